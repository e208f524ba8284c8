"""`jukinet prove`, `diff`, `audit`, `mutants`: the auditor's commands."""

from __future__ import annotations

import argparse
import sys
import time
from contextlib import nullcontext
from pathlib import Path
from typing import Any

from jukinet.model.config.scenario import load
from jukinet.model.core.errors import UserError
from jukinet.model.core.output import atomic_dir, check_target, print_json


def cmd_prove(args: argparse.Namespace) -> int:
    from jukinet.proofs.catalogue import counts, prove
    from jukinet.proofs.report import PASSING, as_json, markdown, table

    sc = load(args.scenario)
    periods = _periods(sc, args.on)
    single = len(periods) == 1
    certs = check_target(Path(args.certificates), "certificates", "--certificates", args.force) if args.certificates else None
    report = check_target(Path(args.report), "proof-report", "--report", args.force) if args.report else None
    progress = None if args.json else _progress
    proved: list[tuple[Period, list[Any]]] = []
    with atomic_dir(certs, "certificates", "--certificates", args.force) if certs else nullcontext(None) as tmp:
        for p in periods:  # certificates of a timeline's periods go into one subfolder each
            sub = None if tmp is None else tmp if single else tmp / str(p[0])
            if sub is not None:
                sub.mkdir(exist_ok=True)
            began = time.perf_counter()
            proved.append((p, prove(p[2], sub, on_progress=progress)))
            if not single and not sys.stderr.isatty():  # plain lines where no terminal shows the updating one
                took = time.perf_counter() - began
                print(f"jukinet prove: {len(proved)}/{len(periods)} {p[0]} .. {p[1]} proved in {took:.1f} s", file=sys.stderr)
    if certs is not None:
        for p, results in proved:  # name each certificate where it now is
            for r in results:
                if r.certificate is not None:
                    r.certificate["file"] = str((certs if single else certs / str(p[0])) / Path(r.certificate["file"]).name)
    name = sc.config.scenario.name
    from jukinet.proofs.context import Context
    from jukinet.proofs.deadrules import dead_links, dead_rule_lines, dead_rules

    first_ctx = Context(periods[0][2])
    idle = dead_rules(first_ctx)  # the rules are the year's (a dated change touches none of them)
    mute = dead_links(first_ctx.flow)  # the added links as the year starts
    if report is not None:
        from jukinet.proofs.drawing import draw_route

        with atomic_dir(report, "proof-report", "--report", args.force) as tmp:
            parts = [] if single else [_holds_markdown(sc, proved, PASSING)]
            for (first, last, psc, change), results in proved:
                figures: dict[int, str] = {}
                for i, r in enumerate(results):
                    if r.verdict == "VIOLATED" and (r.counterexample or {}).get("route"):
                        png = tmp / f"{'' if single else f'{first}_'}{r.id}_{r.name}.png"
                        figures[i] = draw_route(r.counterexample or {}, f"{r.id} {r.name}", png).name
                title = name if single and args.on is None else f"{name}, {first} .. {last}"
                parts.append(markdown(results, title, psc.hash, figures).replace("\n\n", "\n\n" + _change_line(change), 1))
            parts.append("\n## Rules that decide nothing\n\n" + "\n".join(dead_rule_lines(idle, mute)) + "\n")
            (tmp / "report.md").write_text("\n".join(parts), encoding="utf-8")
    passing = all(counts(r) for _, results in proved for r in results)
    if args.json:
        from jukinet.model.law.flow import Flow
        from jukinet.proofs.linkage import linkage

        def one(psc: Any, results: list[Any]) -> dict[str, Any]:
            flow = Flow(psc.graph, psc.policy, psc.config.statute)
            kinds: dict[str, int] = {}
            for n in flow.nodes:
                kinds[flow.kinds[n]] = kinds.get(flow.kinds[n], 0) + 1
            principals = {
                "nodes": len(flow.nodes),
                "by_kind": dict(sorted(kinds.items())),
                "merged": [],  # no quotient: every node is its own element of the flow proofs (proofs/flow.py)
                "reading": "every node is its own principal and its own element of the flow proofs: no two bodies "
                "(one governor and another, one municipal head and another) are merged, so no lemma is needed",
            }
            return {"hash": psc.hash, "results": as_json(results), "principals": principals, "linkage": linkage(flow)}

        if single and not sc.timeline:
            print_json(
                {
                    "scenario": name,
                    **one(proved[0][0][2], proved[0][1]),
                    "rules_that_decide_nothing": idle,
                    "links_that_carry_nothing": mute,
                }
            )
        else:
            print_json(
                {
                    "scenario": name,
                    "periods": [
                        {"from": str(f), "to": str(t), "change": _change_json(ch), **one(psc, res)}
                        for (f, t, psc, ch), res in proved
                    ],
                    "not_holding": {
                        cid: [[str(a), str(b)] for a, b in spans] for cid, spans in _not_holding(proved, PASSING).items()
                    },
                    "rules_that_decide_nothing": idle,
                    "links_that_carry_nothing": mute,
                }
            )
        return 0 if passing else 1
    print(f"jukinet prove — {name} ({sc.source}, hash {sc.hash[:12]})" + (f" on {args.on}" if args.on else ""))
    for (first, last, _, change), results in proved:
        if not single:
            print(f"\n== {first} .. {last}: " + (f"{change.what} (source: {change.source})" if change else "as the year starts"))
        print(table(results))
    if sc.timeline and not single:
        print("\n" + _holds_text(sc, proved, PASSING))
    print("\n" + "\n".join(dead_rule_lines(idle, mute)))
    return 0 if passing else 1


Period = tuple[Any, Any, Any, Any]  # (first day, last day, the scenario in force, the change that began it)


def _periods(sc: Any, on: str | None) -> list[Period]:
    """Each distinct configuration of the year with its days, or the one in force on `on`."""
    if on is None:
        return [tuple(p) for p in sc.periods()]
    day = _day_of(sc, on, "--on")
    for p in sc.periods():
        if p[0] <= day <= p[1]:
            return [(day, day, p[2], p[3])]
    raise AssertionError("the periods cover the year")


def _not_holding(proved: list[tuple[Period, list[Any]]], passing: Any) -> dict[str, list[tuple[Any, Any]]]:
    """Per constraint, the spans of days on which one of its properties does not pass."""
    out: dict[str, list[tuple[Any, Any]]] = {}
    for (first, last, _, _), results in proved:
        for cid in sorted({r.id for r in results if r.verdict not in passing and r.binding}):
            spans = out.setdefault(cid, [])
            if spans and (spans[-1][1] - first).days == -1:
                spans[-1] = (spans[-1][0], last)  # joins the span of the day before
            else:
                spans.append((first, last))
    return out


def _holds_text(sc: Any, proved: list[tuple[Period, list[Any]]], passing: Any) -> str:
    bad = _not_holding(proved, passing)
    fy = sc.config.scenario.fiscal_year
    if not bad:
        return f"Every constraint holds on every day of FY{fy} ({len(proved)} configurations)."
    lines = [f"Per constraint, the days of FY{fy} on which it does not hold ({len(proved)} configurations):"]
    lines += [f"  {cid}  " + ", ".join(f"{a} .. {b}" for a, b in spans) for cid, spans in bad.items()]
    return "\n".join(lines)


def _holds_markdown(sc: Any, proved: list[tuple[Period, list[Any]]], passing: Any) -> str:
    text = _holds_text(sc, proved, passing).splitlines()
    return "\n".join(
        [f"# FY{sc.config.scenario.fiscal_year} in {len(proved)} configurations", "", text[0], ""]
        + [f"- {x.strip()}" for x in text[1:]]
        + [""]
    )


def _change_line(change: Any) -> str:
    return "" if change is None else f"*From {change.date}: {change.what} (source: {change.source}).*\n\n"


def _change_json(change: Any) -> dict[str, Any] | None:
    if change is None:
        return None
    return {"date": str(change.date), "what": change.what, "source": change.source, "keys": list(change.keys)}


def _progress(done: int, total: int, name: str) -> None:
    """One updating line on a terminal's stderr; nothing when stderr is not a terminal."""
    import sys

    if sys.stderr.isatty():
        end = "" if done < total else "\r" + " " * 90 + "\r"
        print(f"\r  proving {done}/{total}: {name:<70}", end=end, file=sys.stderr, flush=True)


def _day_of(sc: Any, text: str, option: str) -> Any:
    """The day `text` names, which must be a day of the scenario's fiscal year (one line and exit 2 if not)."""
    from jukinet.model.config.timeline import fiscal_year_days, parse_date

    day = parse_date(text, option)
    first, last = fiscal_year_days(sc.config.scenario.fiscal_year)
    if not first <= day <= last:
        raise UserError(option, text, f"allowed: a day of FY{sc.config.scenario.fiscal_year}, {first} .. {last}")
    return day


def cmd_diff(args: argparse.Namespace) -> int:
    from jukinet.proofs.diff import diff, render

    old = load(args.old)
    new = load(args.new) if args.new else old
    if args.new is None and args.date_from is None and args.date_to is None:
        raise UserError(
            "diff", args.old, "one scenario needs --from DATE and/or --to DATE (two dates of its timeline); allowed: OLD NEW"
        )
    if args.date_from is not None:
        old = old.on(_day_of(old, args.date_from, "--from"))
    if args.date_to is not None:
        new = new.on(_day_of(new, args.date_to, "--to"))
    d = diff(old, new)
    d["old"] += f" on {args.date_from}" if args.date_from else ""
    d["new"] += f" on {args.date_to}" if args.date_to else ""
    if args.json:
        print_json(d)
    else:
        print(render(d))
    return 0


def cmd_audit(args: argparse.Namespace) -> int:
    from jukinet.model.audit.checks import audit, render

    if args.index and not args.trust:
        raise UserError("--index", "--trust", "missing; allowed: --index with --trust KEYS/public (the signed index)")

    def announce(text: str) -> None:
        print(f"jukinet audit: {text}", file=sys.stderr, flush=True)

    res = audit(Path(args.run), Path(args.trust) if args.trust else None, index=args.index, announce=announce)
    if args.json:
        print_json(res)
    else:
        print(render(res))
    return 0 if res["clean"] else 1


def mutant_files(paths: list[str]) -> list[Path]:
    """The mutant files the command line names: each file as it is, each folder's *.toml; a path that is
    neither, or a folder with none, is refused (exit 2)."""
    out: list[Path] = []
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            found = sorted(p.glob("*.toml"))
            if not found:
                raise UserError(raw, "PATH", "a folder with no .toml file; allowed: mutant files or folders of them")
            out += found
        elif p.is_file() and p.suffix == ".toml":
            out.append(p)
        else:
            raise UserError(raw, "PATH", "no such .toml file or folder; allowed: mutant files or folders of them")
    return out


def cmd_mutants(args: argparse.Namespace) -> int:
    from jukinet.proofs.mutation import run_mutants

    res = run_mutants(mutant_files(args.paths) or None, with_replay=not args.no_replay)
    rows = []
    for o in res["mutants"]:
        rep = o.replay
        rows.append(
            {
                "file": o.file,
                "constraint": o.constraint,
                "verdict": o.verdict,
                "caught": o.caught,
                "evaluator": rep.evaluator if rep else None,
                "simulation": rep.simulation if rep else None,
                "evidence": rep.evidence[:1] if rep else [],
                "audit_names": list(rep.audit_named) if rep else [],
                "audit_only": list(o.audit_only),
            }
        )
    if args.json:
        print_json(
            {
                "mutants": rows,
                "score": res["score"],
                "caught": res["caught"],
                "total": res["total"],
                "shown_in_simulation": res["shown_in_simulation"],
            }
        )
    else:
        print("jukinet mutants — each mutant configuration must be VIOLATED on its constraint and replay")
        for r in rows:
            replay = "" if r["evaluator"] is None else f"  evaluator {r['evaluator']}, simulation {r['simulation']}"
            print(f"  {r['constraint']} {r['file']:<38} {r['verdict']:<9}{replay}")
            if r["audit_only"]:
                print(f"      DISAGREE: the audit of its run names {', '.join(r['audit_only'])}, which prove proves")
        print(
            f"  mutation score {res['caught']}/{res['total']} = {res['score']:.0%} "
            "(caught, the counterexample replayed by the evaluator, and no constraint the run's audit names that "
            "prove proves)"
        )
        if not args.no_replay:
            print(f"  the short simulation's audit shows {res['shown_in_simulation']} of {res['total']}")
    return 0 if res["score"] == 1.0 else 1
