"""`jukinet run` and `jukinet disclose`: the fiscal-year simulation and a resident's disclosure."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from jukinet.model.cli.capacity import out_dir
from jukinet.model.config.scenario import load
from jukinet.model.core.errors import UserError
from jukinet.model.core.output import print_json
from jukinet.model.report.figures import FIGURES
from jukinet.model.workbench.verdicts import Background


def cmd_run(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from jukinet.model.config.estimate import check_scale, proving_text
    from jukinet.model.report.run import execute

    sc = load(args.scenario)
    check_scale(sc, args.scale)  # before the folder: a bad scale is named first
    out = out_dir(args, "run", f"{sc.config.scenario.name}-s{args.seed}")

    def announce(text: str) -> None:
        print(f"jukinet run: {text}", file=sys.stderr)

    started: list[Background] = []

    def start_proofs() -> Callable[[], dict[str, str]]:
        from jukinet.model.workbench.verdicts import configurations

        n = configurations([sc])
        announce(f"proving {n} configuration(s) of the year in a second process, {proving_text(n)} (--no-prove skips)")
        started.append(Background([sc]))

        def wait() -> dict[str, str]:
            try:
                return started[0].result()[0]
            except RuntimeError as exc:  # the run is kept; its report says why it has no verdicts
                announce(f"no proof verdicts: {exc}")
                return {"proofs": f"not available ({exc}); run jukinet prove on the scenario"}

        return wait

    try:
        with tqdm(total=365, unit="day", desc="simulated time", disable=None, file=sys.stderr) as bar:
            summary = execute(
                sc,
                args.scale,
                args.seed,
                out,
                progress=bar.update,
                announce=announce,
                force=args.force,
                sign=Path(args.sign) if args.sign else None,
                proofs=None if args.no_prove else start_proofs,
            )
    finally:
        for b in started:
            b.cancel()
    f = summary["figures"]
    if args.json:
        print_json(summary)
        return 0
    print(
        f"jukinet run — {summary['scenario']}, FY{summary['fiscal_year']}, scale {summary['scale']}, seed {summary['seed']}: "
        f"{summary['residents_start']:,} residents in {summary['municipalities']:,} municipalities, "
        f"{summary['wall_seconds']:.1f} s"
    )
    for spec in FIGURES:  # the figures declared for the printout (model.report.figures)
        x = f[spec.key]
        if spec.group == "four":
            print(f"  {spec.label:<38} {x['value']:>12,}  (target {x['expected']:,.0f}, {x['deviation_from_target']:+.2%})")
        elif spec.cli:
            print(f"  {spec.label:<38} {x['value']:>12,}  {spec.unit}")
    u, b = summary["units_connected"], summary["units_in_being"]
    lost = f["notifications_withheld"]["value"] + f["notifications_not_sent_disconnected"]["value"]
    if u != b or lost:
        print(
            f"  {'units connected (start, end)':<38} {u['start']:>6,}, {u['end']:,}; changes withheld or not sent: {lost:,} (C16)"
        )
    if f["units_merged"]["value"]:
        print(
            f"  {'units merged away':<38} {f['units_merged']['value']:>12,}  ({b['start']:,} in being at the start, "
            f"{b['end']:,} at the end); {f['residents_merged']['value']:,} residents' new addresses notified"
        )
    r = summary["reconciliation"]
    if r["windows"]:
        drains = ", ".join(f"{w['kind']} {w['where']} {w['drain_seconds']:.0f} s" for w in r["windows"])
        print(
            f"  {'network faults':<38} lost {r['lost']}, duplicated {r['duplicated']}, stale {r['stale']}, "
            f"mismatched {r['mismatched']}; drained after: {drains}"
        )
    k = summary["linkage"]
    print(
        f"  {'linkage by a common identifier (L01)':<38} {k['pairs_of_bodies_joined']:>12,}  pairs of bodies joined; "
        f"{k['records_joinable']:,} residents' records joinable ({k['scheme'].replace('_', ' ')})"
    )
    q = summary["center_queue"]
    label = f"center queue ({q['servers']} servers)"
    if summary["scale"] < 1:  # the run's own share of the year's requests: no capacity figure (issue 28)
        print(f"  {label:<38} not meaningful at scale {summary['scale']}: jukinet loadtest gives the full-scale figures")
    else:
        print(
            f"  {label:<38} utilisation {q['utilisation']:.2%}, interactive p99 wait "
            f"{q['interactive'].get('wait_p99_s', 0):.3g} s  [ASSUMPTION: service times]"
        )
    v = summary["proofs"]
    if v is not None:
        from jukinet.model.report.html import failing

        bad = failing(v)
        print(
            f"  {'proofs (jukinet prove)':<38} "
            + (f"all {len(v)} PROVED or CHECKED" if not bad else "; ".join(f"{c} {x}" for c, x in bad.items()))
        )
    print(f"  written {out}/report.html (self-contained, with a map), summary.json, report.md, records/*.parquet")
    return 0


def cmd_keys(args: argparse.Namespace) -> int:
    from jukinet.model.audit.trust import SIGNERS, write_keys
    from jukinet.model.core.output import atomic_dir, check_target

    out = Path(args.out)
    if out.exists() and not args.force:  # keys are not replaced as results are: a lost private key cannot be remade
        raise UserError("--out", str(out), "exists; allowed: a new folder (or --force to replace a key folder)")
    check_target(out, "keys", force=args.force)
    with atomic_dir(out, "keys", force=args.force) as tmp:
        write_keys(tmp)
    print(
        f"jukinet keys: {len(SIGNERS)} Ed25519 key pairs in {out}/private (sign: jukinet run --sign {out}) and {out}/public "
        f"(audit: jukinet audit RUN --trust {out}/public)"
    )
    return 0


def cmd_verify_disclosure(args: argparse.Namespace) -> int:
    import json

    from jukinet.model.audit.disclose import verify
    from jukinet.model.audit.trust import load_public

    keys = load_public(Path(args.trust))
    if Path(args.file).exists() and not Path(args.file).is_file():  # a FIFO would block for ever
        raise UserError(args.file, "-", "not a regular file; allowed: the output of jukinet disclose RUN --code CODE --json")
    try:
        d = json.loads(Path(args.file).read_bytes())
    except OSError as exc:
        raise UserError(args.file, "-", f"cannot read ({exc.strerror})") from None
    except (ValueError, RecursionError):
        raise UserError(args.file, "-", "not JSON; allowed: the output of jukinet disclose RUN --code CODE --json") from None
    problems = verify(d, keys) if isinstance(d, dict) else ["not a disclosure"]
    for p in problems:
        print(f"  FAIL {p}")
    if not problems:
        n = len(d["provisions"])
        print(f"verified: {n} provision(s), complete for code(s) {', '.join(e['code'] for e in d['proof']['codes'])}")
        print(
            "  the signed index binds each provision's record, every code the holder had and the residents row the "
            "identity shown is read from; the provisions' readable lines are not checked against their records"
        )
    return 0 if not problems else 1


def cmd_disclose(args: argparse.Namespace) -> int:
    from jukinet.model.audit.disclose import disclose, render

    result = disclose(Path(args.run), args.code)
    if args.json:
        print_json(result)
    else:
        print(render(result))
    return 0
