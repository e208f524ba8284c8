"""`jukinet network` and `jukinet check`: the network and its soundness checks."""

from __future__ import annotations

import argparse
import datetime as dt
from dataclasses import asdict
from pathlib import Path
from typing import Any

from jukinet.model import __version__
from jukinet.model.config.scenario import Scenario, load
from jukinet.model.config.timeline import fiscal_year_days
from jukinet.model.core.output import print_json
from jukinet.model.world.central import Check
from jukinet.model.world.topology import soundness_checks


def network_summary(scenario_path: str | None) -> dict[str, Any]:
    """The whole network as a JSON-able summary, with its soundness checks."""
    sc = load(scenario_path)
    g = sc.graph
    kinds = {n: d["kind"] for n, d in g.nodes(data=True)}
    prefs = []
    for p in sc.prefectures:
        css = [n for n, k in kinds.items() if k == "cs" and g.nodes[n]["pref"] == p.code]
        prefs.append(
            {
                "code": p.code,
                "name": p.name_en,
                "name_ja": p.name_ja,
                "municipalities": len(css),
                "population": sum(g.nodes[n]["population"] for n in css),
                "designated_cities": sum(1 for n in css if g.nodes[n]["type"] == "designated_city"),
            }
        )
    national = sorted(
        ({"id": b.id, "name": b.name, "affairs": len(b.affairs)} for b in sc.policy.bodies.values() if b.level == "national"),
        key=lambda x: str(x["id"]),
    )
    local = sorted(
        (
            {
                "id": b.id,
                "name": b.name,
                "affairs": len(b.affairs),
                "instances": sum(1 for n in g if g.nodes[n].get("body") == b.id),
            }
            for b in sc.policy.bodies.values()
            if b.level == "local"
        ),
        key=lambda x: str(x["id"]),
    )
    private = sorted(b.id for b in sc.policy.bodies.values() if b.level == "private")
    links: dict[str, int] = {}
    for a, b in g.edges():
        key = f"{kinds.get(a, '?')}->{kinds.get(b, '?')}"
        links[key] = links.get(key, 0) + 1
    targets = sc.config.population.targets
    checks = soundness_checks(g, sc.policy, sc.config.statute, targets.units_start, sc.config.population.resident_register.total)
    end = sc.on(fiscal_year_days(sc.config.scenario.fiscal_year)[1])
    n_end = len(end.municipalities)
    checks.insert(
        2,
        Check(
            "municipalities_end",
            "-",
            n_end == targets.units,
            f"{n_end} units in being at the year's end (expected {targets.units})",
        ),
    )
    munis = sc.municipalities
    return {
        "scenario": sc.config.scenario.name,
        "source": sc.source,
        "scenario_hash": sc.hash,
        "version": __version__,
        "counts": {
            "prefectures": len(prefs),
            "municipalities": sum(p["municipalities"] for p in prefs),
            "population": sum(p["population"] for p in prefs),
            "national_bodies": len(national),
            "local_body_kinds": len(local),
            "private_parties": len(private),
            "annex_rows": len(sc.config.statute.annex),
            "annex_rows_in_force": len(sc.config.statute.in_force),  # on the scenario's first day (Art. 30-7)
            "annex_rows_on": str(sc.config.statute.day),
            "nodes": g.number_of_nodes(),
            "links": g.number_of_edges(),
        },
        "population_sources": {  # each unit's population by where it comes from (model.world.population)
            src: sum(m.population for m in munis if m.population_source == src)
            for src in sorted({m.population_source for m in munis})
        },
        "prefectures": prefs,
        "national_bodies": national,
        "local_bodies": local,
        "private_parties": private,
        "links": links,
        "checks": [asdict(c) for c in checks],
        "units": units_out(sc),
    }


def units_out(sc: Scenario) -> dict[str, Any]:
    """The units not connected on some day of the year (C16; Art. 30-5), each with its name and the days it was
    out, and the units connected at the year's end (of those in being then)."""
    names = {m.lgcode: m.name_ja for m in sc.municipalities}
    spans: dict[str, list[list[str]]] = {}
    for first, last, day, _ in sc.periods():
        for lg in day.config.network.disconnected:
            s = spans.setdefault(lg, [])
            if s and s[-1][1] == str(first - dt.timedelta(days=1)):
                s[-1][1] = str(last)
            else:
                s.append([str(first), str(last)])
    end = sc.on(fiscal_year_days(sc.config.scenario.fiscal_year)[1])
    in_being = {m.lgcode for m in end.municipalities}
    out = [
        {
            "lgcode": lg,
            "name": names.get(lg, lg),
            "out": sp,
            "days": sum((dt.date.fromisoformat(b) - dt.date.fromisoformat(a)).days + 1 for a, b in sp),
        }
        for lg, sp in sorted(spans.items())
    ]
    connected = len(in_being - set(end.config.network.disconnected))
    return {"units_out": out, "connected_at_end": connected, "in_being_at_end": len(in_being)}


def _print_network(s: dict[str, Any]) -> None:
    c = s["counts"]
    print(f"jukinet network — scenario {s['scenario']} ({s['source']}, hash {str(s['scenario_hash'])[:12]})")
    print(f"  {c['prefectures']} prefectures, {c['municipalities']:,} municipalities (CS), population {c['population']:,}")
    print(
        f"  {c['national_bodies']} national recipient bodies, {c['local_body_kinds']} kinds of local recipient, "
        f"{c['private_parties']} private parties; {c['annex_rows']} annex rows "
        f"({c['annex_rows_in_force']} in force on {c['annex_rows_on']})"
    )
    print(f"  {c['nodes']:,} nodes, {c['links']:,} directed links")
    print("  population basis: " + "; ".join(f"{k} {v:,}" for k, v in dict(s["population_sources"]).items()))
    print("\n  pref  name          munis   population  designated")
    for p in s["prefectures"]:
        print(f"  {p['code']:>4}  {p['name']:<12} {p['municipalities']:>6} {p['population']:>12,} {p['designated_cities']:>11}")
    print("\n  links by kind: " + ", ".join(f"{k} {v}" for k, v in dict(s["links"]).items()))
    u = s["units"]
    print(f"\n  units connected at the year's end: {u['connected_at_end']:,} of {u['in_being_at_end']:,} (C16; Art. 30-5)")
    for x in u["units_out"]:
        days = ", ".join(f"{a} .. {b}" for a, b in x["out"])
        print(f"    out: {x['lgcode']} {x['name']}  {days} ({x['days']} days)")
    print("\n  soundness checks:")
    wide = max((len(ch["id"]) for ch in s["checks"]), default=0)
    for ch in s["checks"]:
        print(f"    [{'PASS' if ch['passed'] else 'FAIL'}] {ch['id']:<{wide}} {ch['constraint']:<4} {ch['detail']}")


def cmd_network(args: argparse.Namespace) -> int:
    summary = network_summary(args.scenario)
    if args.json:
        print_json(summary)
    else:
        _print_network(summary)
    return 0 if all(c["passed"] for c in summary["checks"]) else 1


def cmd_check(args: argparse.Namespace) -> int:
    """What `run` and `loadtest` check before they start: the file, and a run's and a load test's size."""
    from jukinet.model.config.estimate import check_fits, check_memory, check_scale, estimate, loadtest_memory

    sc = load(args.scenario)
    check_scale(sc, args.scale)
    est = estimate(sc, args.scale)
    check_fits(est, Path("out"))
    check_memory(loadtest_memory(sc, 1.0), "the load test's busiest day", "workload.volume")
    print(f"{sc.source}: valid scenario {sc.config.scenario.name!r} (hash {sc.hash[:12]})")
    print(f"  a run at scale {args.scale:g}: {est.text()}")
    return 0


def cmd_scenarios(args: argparse.Namespace) -> int:
    """The shipped scenarios a command takes by name (model/config/shipped.py), with their descriptions."""
    from jukinet.model.config.shipped import FOLDERS, SUITES, shipped, shipped_dir

    found = shipped(FOLDERS + SUITES if args.all else FOLDERS)
    if args.json:
        print_json([{"name": s.name, "description": s.description, "path": str(s.path)} for s in found])
        return 0
    print(f"jukinet scenarios: {len(found)} shipped in {shipped_dir()} (give a name to any command, or a file of yours)")
    for s in found:
        print(f"  {s.name:<44} {s.description}")
    if not args.all:
        print("  (--all adds the proofs' suites: mutants/, lawful/, refused/)")
    return 0
