"""`jukinet prove`, `diff`, `audit`, `mutants`: the auditor's commands."""

from __future__ import annotations

import argparse
from pathlib import Path

from model.config.scenario import load
from model.core.output import atomic_dir, check_target, print_json


def cmd_prove(args: argparse.Namespace) -> int:
    from proofs.catalogue import prove
    from proofs.report import PASSING, as_json, markdown, table

    sc = load(args.scenario)
    certs = check_target(Path(args.certificates), "certificates", "--certificates", args.force) if args.certificates else None
    report = check_target(Path(args.report), "proof-report", "--report", args.force) if args.report else None
    if certs is not None:
        with atomic_dir(certs, "certificates", "--certificates", args.force) as tmp:
            results = prove(sc, tmp, on_progress=None if args.json else _progress)
        for r in results:  # name each certificate where it now is
            if r.certificate is not None:
                r.certificate["file"] = str(certs / Path(r.certificate["file"]).name)
    else:
        results = prove(sc, None, on_progress=None if args.json else _progress)
    if report is not None:
        from proofs.drawing import draw_route

        with atomic_dir(report, "proof-report", "--report", args.force) as tmp:
            figures: dict[int, str] = {}
            for i, r in enumerate(results):
                if r.verdict == "VIOLATED" and (r.counterexample or {}).get("route"):
                    png = tmp / f"{r.id}_{r.name}.png"
                    figures[i] = draw_route(r.counterexample or {}, f"{r.id} {r.name}", png).name
            (tmp / "report.md").write_text(markdown(results, sc.config.scenario.name, sc.hash, figures), encoding="utf-8")
    if args.json:
        from model.law.flow import Flow
        from proofs.linkage import linkage

        flow = Flow(sc.graph, sc.policy, sc.config.statute)
        print_json({"scenario": sc.config.scenario.name, "results": as_json(results), "linkage": linkage(flow)})
    else:
        print(f"jukinet prove — {sc.config.scenario.name} ({sc.source}, hash {sc.hash[:12]})")
        print(table(results))
    return 0 if all(r.verdict in PASSING for r in results) else 1


def _progress(done: int, total: int, name: str) -> None:
    """One updating line on a terminal's stderr; nothing when stderr is not a terminal."""
    import sys

    if sys.stderr.isatty():
        end = "" if done < total else "\r" + " " * 90 + "\r"
        print(f"\r  proving {done}/{total}: {name:<70}", end=end, file=sys.stderr, flush=True)


def cmd_diff(args: argparse.Namespace) -> int:
    from proofs.diff import diff, render

    d = diff(load(args.old), load(args.new))
    if args.json:
        print_json(d)
    else:
        print(render(d))
    return 0


def cmd_audit(args: argparse.Namespace) -> int:
    from model.audit.checks import audit, render

    res = audit(Path(args.run))
    if args.json:
        print_json(res)
    else:
        print(render(res))
    return 0 if res["clean"] else 1


def cmd_mutants(args: argparse.Namespace) -> int:
    from proofs.mutation import run_mutants

    res = run_mutants(with_replay=not args.no_replay)
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
        print(
            f"  mutation score {res['caught']}/{res['total']} = {res['score']:.0%} "
            "(caught, and the counterexample replayed by the evaluator)"
        )
        if not args.no_replay:
            print(f"  the short simulation's audit shows {res['shown_in_simulation']} of {res['total']}")
    return 0 if res["score"] == 1.0 else 1
