"""`jukinet network` and `jukinet check`: the network and its soundness checks."""

from __future__ import annotations

import argparse
from dataclasses import asdict
from pathlib import Path
from typing import Any

from model import __version__
from model.config.scenario import load
from model.config.timeline import fiscal_year_days
from model.core.output import print_json
from model.world.topology import Check, soundness_checks


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
            "annex_rows_in_force_fy2006": sum(r.in_force_fy2006 for r in sc.config.statute.annex),
            "nodes": g.number_of_nodes(),
            "links": g.number_of_edges(),
        },
        "population_sources": {
            "census 2005": sum(m.population for m in munis if m.population_source == "census 2005"),
            "assumption (size model, ward shares)": sum(m.population for m in munis if m.population_source != "census 2005"),
        },
        "prefectures": prefs,
        "national_bodies": national,
        "local_bodies": local,
        "private_parties": private,
        "links": links,
        "checks": [asdict(c) for c in checks],
    }


def _print_network(s: dict[str, Any]) -> None:
    c = s["counts"]
    print(f"jukinet network — scenario {s['scenario']} ({s['source']}, hash {str(s['scenario_hash'])[:12]})")
    print(f"  {c['prefectures']} prefectures, {c['municipalities']:,} municipalities (CS), population {c['population']:,}")
    print(
        f"  {c['national_bodies']} national recipient bodies, {c['local_body_kinds']} kinds of local recipient, "
        f"{c['private_parties']} private parties; {c['annex_rows']} annex rows "
        f"({c['annex_rows_in_force_fy2006']} in force in FY2006)"
    )
    print(f"  {c['nodes']:,} nodes, {c['links']:,} directed links")
    print("  population basis: " + "; ".join(f"{k} {v:,}" for k, v in dict(s["population_sources"]).items()))
    print("\n  pref  name          munis   population  designated")
    for p in s["prefectures"]:
        print(f"  {p['code']:>4}  {p['name']:<12} {p['municipalities']:>6} {p['population']:>12,} {p['designated_cities']:>11}")
    print("\n  links by kind: " + ", ".join(f"{k} {v}" for k, v in dict(s["links"]).items()))
    print("\n  soundness checks:")
    for ch in s["checks"]:
        print(f"    [{'PASS' if ch['passed'] else 'FAIL'}] {ch['id']:<22} {ch['constraint']:<4} {ch['detail']}")


def cmd_network(args: argparse.Namespace) -> int:
    summary = network_summary(args.scenario)
    if args.json:
        print_json(summary)
    else:
        _print_network(summary)
    return 0 if all(c["passed"] for c in summary["checks"]) else 1


def cmd_check(args: argparse.Namespace) -> int:
    """What `run` and `loadtest` check before they start: the file, and a run's and a load test's size."""
    from model.config.estimate import check_fits, check_memory, check_scale, estimate, loadtest_memory

    sc = load(args.scenario)
    check_scale(sc, args.scale)
    est = estimate(sc, args.scale)
    check_fits(est, Path("out"))
    check_memory(loadtest_memory(sc, 1.0), "the load test's busiest day", "workload.volume")
    print(f"{sc.source}: valid scenario {sc.config.scenario.name!r} (hash {sc.hash[:12]})")
    print(f"  a run at scale {args.scale:g}: {est.text()}")
    return 0
