"""The `jukinet` command."""

from __future__ import annotations

import argparse
import signal
import sys
from collections.abc import Callable, Sequence
from typing import NoReturn

from jukinet.model import __version__
from jukinet.model.cli import number
from jukinet.model.cli.capacity import cmd_capacity, cmd_loadtest
from jukinet.model.cli.live import add_capacity_options, add_loadtest_options
from jukinet.model.cli.live import add_commands as add_live_commands
from jukinet.model.cli.network import cmd_check, cmd_network, cmd_scenarios
from jukinet.model.cli.proofs import cmd_audit, cmd_diff, cmd_mutants, cmd_prove
from jukinet.model.cli.run import cmd_disclose, cmd_keys, cmd_run, cmd_verify_disclosure
from jukinet.model.cli.workbench import cmd_compare, cmd_sweep
from jukinet.model.core.errors import Aborted, UserError

NO_PROVE_HELP = (
    "leave the proof verdicts out of the report (they are proved in a second process while the runs go on, "
    "about 12 s of CPU per configuration of the year)"
)
FORCE_HELP = "replace a jukinet folder of another kind at {where} (never a folder jukinet did not write)"


def _grid_options(p: argparse.ArgumentParser, kind: str) -> None:
    p.add_argument("--replications", type=int, default=3, help="runs per point, with seeds spawned from --seed (default 3)")
    p.add_argument("--scale", type=number, default=0.001, help="share of residents simulated in each run (default 0.001)")
    p.add_argument("--seed", type=seed, default=2006, help="base seed of the replications (default 2006)")
    p.add_argument("--workers", type=int, help="local Dask workers (default: one per core; 1 runs inline)")
    p.add_argument("--scheduler", metavar="ADDRESS", help="a running Dask scheduler (e.g. tcp://host:8786) instead")
    p.add_argument("--out", help=f"result folder (default out/{kind}/NAME)")
    p.add_argument("--force", action="store_true", help=FORCE_HELP.format(where="--out"))
    p.add_argument("--json", action="store_true", help="print the statistics as JSON")
    p.add_argument("--no-prove", action="store_true", help=NO_PROVE_HELP)


class OneLineParser(argparse.ArgumentParser):
    """argparse, with a refusal in one line that points to --help, not the usage block above it (subcommands' parsers
    are of the same class)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(
        prog="jukinet",
        description="A testbed of Japan's Basic Resident Registry Network (Juki-net) as of FY2006: "
        "the Act and the system as data, the whole network, its soundness checks.",
        epilog="Scenarios are TOML files merged onto the embedded FY2006 defaults; see docs/scenarios.md. "
        "Bad input exits with status 2 and one line naming the file and key.",
    )
    parser.add_argument("--version", action="version", version=f"jukinet {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    p = sub.add_parser(
        "network",
        help="print the whole network and its soundness checks",
        description="Print the FY2006 network: prefectures, municipalities per prefecture, population, "
        "recipient bodies, links, and the soundness checks (47 prefectures, 1,827 municipalities, "
        "register population, every CS via its own prefecture, every link meeting C13, one-way provision). "
        "Exit 0 if every check passes, 1 if one fails, 2 on bad input.",
    )
    p.add_argument("scenario", nargs="?", help=SCENARIO_HELP)
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.set_defaults(func=cmd_network)
    p = sub.add_parser(
        "run",
        help="simulate the fiscal year over the whole network (the main job)",
        description="Simulate the fiscal year (FY2006: 2006-04-01 .. 2007-03-31) over every municipality, prefecture, "
        "the center, the recipient bodies and card holders, with residents scaled by --scale, and prove every "
        "constraint over the year's configurations meanwhile (jukinet prove). Writes report.html (self-contained, with "
        "a map and the proof verdicts), summary.json, report.md, plots and the records (notifications, provisions and "
        "refusals, the hash-chained access log, card and JPKI events, counter visits, residents) as Parquet into --out.",
    )
    p.add_argument("scenario", nargs="?", help=SCENARIO_HELP)
    p.add_argument("--scale", type=number, default=0.01, help="share of residents simulated (default 0.01; 1.0 = everyone)")
    p.add_argument("--seed", type=seed, default=2006, help="seed of the run's one random generator (default 2006)")
    p.add_argument("--out", help="run folder (default out/runs/NAME-sSEED)")
    p.add_argument("--force", action="store_true", help=FORCE_HELP.format(where="--out"))
    p.add_argument("--json", action="store_true", help="print summary.json")
    p.add_argument(
        "--sign",
        metavar="KEYS",
        help="a folder written by `jukinet keys`: the center and the 47 prefectures sign the log's day heads and every "
        "record table into heads.json (verify with `jukinet audit RUN --trust KEYS/public`); the run also keeps each "
        "field's digest (digests/) and the disclosure index (index/), about 1.5 times the records' size, and the "
        "estimate printed first includes signing's time, memory and disk",
    )
    p.add_argument("--no-prove", action="store_true", help=NO_PROVE_HELP)
    p.set_defaults(func=cmd_run)
    p = sub.add_parser(
        "compare",
        help="two scenarios or more side by side: figures with intervals, differences, proofs, settings, maps",
        description="Run each scenario --replications times (the same seeds for each: common random numbers) and "
        "report the key figures with 95 %% intervals, each scenario's difference from the first with its interval, "
        "the proof verdicts of each (jukinet prove; --no-prove skips them), what the later ones newly permit and "
        "forbid (jukinet diff) and the settings that differ, with plots and maps of the 47 prefectures. Writes "
        "report.html (self-contained), report.md, compare.json, compare.parquet and compare.csv into --out.",
    )
    p.add_argument("scenarios", nargs="+", help="scenario TOML files or shipped names; the first is the reference")
    _grid_options(p, "compare")
    p.set_defaults(func=cmd_compare)
    p = sub.add_parser(
        "sweep",
        help="a scenario over a grid of parameter values, replicated, on Dask",
        description="Run SCENARIO at every combination of the --param values, --replications times each, inline "
        "(--workers 1), on a local Dask cluster (default: one worker per core) or on a running scheduler "
        "(--scheduler ADDRESS). The same seeds give the same table on any number of workers. Writes one tidy "
        "table (sweep.parquet, sweep.csv: point, parameters, replication, seed, figure, value), sweep.json with "
        "means and intervals, plots, maps and report.html (with the proof verdicts of each distinct configuration; "
        "--no-prove skips them) into --out.",
    )
    p.add_argument("scenario", help="scenario TOML file or shipped name to sweep")
    p.add_argument(
        "--param",
        action="append",
        required=True,
        metavar="KEY=V1,V2,...",
        help="a dotted key of the scenario and its values, e.g. cards.uptake=0.01,0.1,0.3,0.6 (cards.uptake: the "
        "share of the register population holding a card by the year's end, spread over the units by population) or "
        "center.servers=2,4; repeat for a grid",
    )
    _grid_options(p, "sweep")
    p.set_defaults(func=cmd_sweep)
    p = sub.add_parser(
        "keys",
        help="make the center's and the 47 prefecture witnesses' signing keys (Ed25519)",
        description="Write a new folder with a key pair for the designated organisation (the center) and for each "
        "prefecture server (the witnesses): KEYS/private/*.pem to sign runs (`jukinet run --sign KEYS`; keep them "
        "away from the run folders) and KEYS/public/*.pub to audit them (`jukinet audit RUN --trust KEYS/public`).",
    )
    p.add_argument("--out", required=True, help="the new key folder")
    p.add_argument("--force", action="store_true", help=FORCE_HELP.format(where="--out"))
    p.set_defaults(func=cmd_keys)
    p = sub.add_parser(
        "disclose",
        help="one resident's identity information and the record of its provisions (C12)",
        description="What Art. 30-37 gives a resident who asks: their identity information as the run "
        "ends and every provision of it: when, to whom, for which affair (C12).",
    )
    p.add_argument("run", help="a run folder written by `jukinet run`")
    p.add_argument("--code", required=True, help="the resident's 11-digit code")
    p.add_argument("--json", action="store_true", help="print JSON (with the proof of completeness of a signed run)")
    p.set_defaults(func=cmd_disclose)
    p = sub.add_parser(
        "verify-disclosure",
        help="check a disclosure's proof alone, without the run (C12)",
        description="Check a disclosure written by `jukinet disclose RUN --code CODE --json` of a signed run, with nothing "
        "but the trusted public keys: the final statement is signed by the center and 24 of the 47 prefecture witnesses, "
        "and the provisions disclosed are exactly those the signed disclosure index holds for each code the resident "
        "had (a provision removed, added or changed fails). Exit 0 if it verifies, 1 if not, 2 on bad input.",
    )
    p.add_argument("file", help="the disclosure JSON")
    p.add_argument("--trust", metavar="KEYS", required=True, help="the public keys of `jukinet keys` (KEYS/public)")
    p.set_defaults(func=cmd_verify_disclosure)
    p = sub.add_parser(
        "loadtest",
        help="a whole fiscal year of provision requests against the center",
        description="Run every provision request of the fiscal year (FY2006: 70M to national bodies + 4M to local "
        "bodies) against the center at request level, and report utilisation, waiting and response-time percentiles "
        "with 95%% confidence intervals over the year, per month, per hour of the busiest day and per class, the "
        "busiest hour's arrival rate and, if the scenario sets [center.outage], the backlog and its drain time. "
        "Writes report.md, summary.json and plots to --out.",
    )
    p.add_argument("scenario", nargs="?", help=SCENARIO_HELP)
    p.add_argument("--servers", type=int, help="servers at the center (default: the scenario's center.servers)")
    p.add_argument("--replications", type=int, default=3, help="independent replications (default 3)")
    p.add_argument(
        "--engine",
        choices=("fast", "simpy"),
        default="fast",
        help="fast (numba, the default) or simpy (the reference; hours for a whole year: use --period busiest-day)",
    )
    p.add_argument("--period", choices=("year", "busiest-day"), default="year", help="what to simulate (default year)")
    p.add_argument("--seed", type=seed, default=2006, help="base seed; replications get independent seeds from it")
    p.add_argument("--scheduler", help="address of a running Dask scheduler (default: a local cluster)")
    p.add_argument("--workers", type=int, help="local Dask workers (default: one per core, at most one per replication)")
    p.add_argument(
        "--volume-scale", type=number, default=1.0, help="scale the annual volumes (quick checks only; the report says so)"
    )
    p.add_argument("--out", help="output folder (default out/loadtest/SCENARIO_NAME)")
    p.add_argument("--force", action="store_true", help=FORCE_HELP.format(where="--out"))
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    add_loadtest_options(p)
    p.set_defaults(func=cmd_loadtest)
    p = sub.add_parser(
        "capacity",
        help="the fewest center servers that meet a response-time SLO in the busiest hour",
        description="Simulate the busiest business day for increasing server counts and report the fewest servers "
        "whose busiest-hour interactive response meets the SLO (judged on the upper end of the 95%% CI), with the "
        "capacity curve. Exit 0 if some count meets it, 1 if none up to --max-servers does.",
    )
    p.add_argument("scenario", nargs="?", help=SCENARIO_HELP)
    p.add_argument(
        "--slo", default="p99<2s", help="objective, STAT<LIMIT: STAT p50|p95|p99|max, LIMIT in s or ms (default 'p99<2s')"
    )
    p.add_argument("--replications", type=int, default=5, help="replications per server count (default 5)")
    p.add_argument("--seed", type=seed, default=2006, help="base seed")
    p.add_argument("--max-servers", type=int, default=256, help="search limit (default 256)")
    p.add_argument("--volume-scale", type=number, default=1.0, help="scale the annual volumes (quick checks only)")
    p.add_argument("--out", help="output folder (default out/capacity/SCENARIO_NAME)")
    p.add_argument("--force", action="store_true", help=FORCE_HELP.format(where="--out"))
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    add_capacity_options(p)
    p.set_defaults(func=cmd_capacity)
    p = sub.add_parser(
        "prove",
        help="prove the constraint catalogue C01-C16 on a configuration (z3, re-checked by cvc5)",
        description="Check every constraint of the catalogue against the configuration the scenario describes, one "
        "row per property: its constraint, article, basis and verdict. A solver query (PROVED / VIOLATED / UNKNOWN) "
        "is proved by z3 over every holder, route and requester the configuration names, every node its own "
        "principal (each governor and each municipal head a body of its own); the flow constraints (C01-C04, C12) "
        "are inductive invariants over the whole network, and one the solver finds not inductive is decided by the "
        "complete search of every reachable holding (basis 'full search'). A checked fact (CHECKED / VIOLATED) is a "
        "configured value compared with the law, not a proof; `jukinet network`'s checks are among them. A VIOLATED "
        "flow property shows its route hop by hop (link, message, permitting rule, article). --json adds the "
        "principals (nothing merged) and the linkage report: for each body, the affair compartments the resident "
        "code lets it join. Exit 0 only if every query is PROVED and every fact CHECKED; UNKNOWN never counts as a "
        "pass.",
    )
    p.add_argument("scenario", nargs="?", help=SCENARIO_HELP)
    p.add_argument(
        "--json",
        action="store_true",
        help="print {scenario, periods: [{from, to, change, hash, results: [...], principals, linkage}], not_holding} "
        "(a scenario with no dated change at all: {scenario, hash, results, principals, linkage}); a result has id, "
        "basis, verdict, counterexample, ...",
    )
    p.add_argument("--certificates", metavar="DIR", help="export each query as SMT-LIB2 into DIR and re-check it with cvc5")
    p.add_argument(
        "--report", metavar="DIR", help="write the proof report into the folder DIR: report.md and a PNG of each violated route"
    )
    p.add_argument("--force", action="store_true", help=FORCE_HELP.format(where="DIR"))
    p.add_argument(
        "--on", metavar="DATE", help="prove only the configuration in force on DATE (default: each one of the year's timeline)"
    )
    p.set_defaults(func=cmd_prove)
    p = sub.add_parser(
        "diff",
        help="what an amendment newly permits and newly forbids",
        description="List exhaustively the flows (action, requester, affair, mode), registrations, "
        "message and store items and links that NEW permits and OLD does not, and the reverse.",
    )
    p.add_argument("old", help="scenario before the amendment")
    p.add_argument("new", nargs="?", help="scenario after the amendment (default: OLD, compared between --from and --to)")
    p.add_argument("--from", dest="date_from", metavar="DATE", help="read OLD as in force on DATE (its [[timeline]] applied)")
    p.add_argument("--to", dest="date_to", metavar="DATE", help="read NEW as in force on DATE (its [[timeline]] applied)")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_diff)
    p = sub.add_parser(
        "audit",
        help="check a run's records against the constraints (C01-C16)",
        description="Verify the access log's hash chain, that every provision was authorised by the "
        "run's policy and logged, operators logged in before acting, notifications, decisions, cards, "
        "links, inspections and disclosure. Each finding names the record. Exit 0 if clean, 1 if not.",
    )
    p.add_argument("run", help="a run folder written by `jukinet run`")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument(
        "--trust",
        metavar="KEYS",
        help="the public keys of `jukinet keys` (KEYS/public): check the run's signed, witnessed heads against the "
        "folder (without it, only the folder's internal consistency is checked)",
    )
    p.add_argument(
        "--index",
        action="store_true",
        help="with --trust: also rebuild the disclosure index from the provisions and resident codes, and check "
        "index/ and the signed index against it, naming each resident code whose leaf differs (C12). Slow: "
        "it hashes every provision and code again (the time and memory it needs are printed first)",
    )
    p.set_defaults(func=cmd_audit)
    p = sub.add_parser(
        "mutants",
        help="the mutation suite: every mutant caught on its constraint, replayed",
        description="Prove each configuration in scenarios/mutants/ and require VIOLATED on the constraint "
        "it names; replay each counterexample through the evaluator and a short simulation, whose audit "
        "should show it and must name no constraint that prove proves of the same configuration (one "
        "verdict). Prints the mutation score; exit 0 only at 100%. Name files or folders to prove only those "
        "(each file's [scenario] mutant_of names its constraint).",
    )
    p.add_argument(
        "paths",
        nargs="*",
        metavar="PATH",
        help="mutant files (.toml) or folders of them; default: every mutant shipped in scenarios/mutants/",
    )
    p.add_argument(
        "--no-replay", action="store_true", help="skip the replays (the evaluator and one short simulation per mutant)"
    )
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_mutants)
    p = sub.add_parser(
        "scenarios",
        help="list the shipped scenarios, which any command takes by name",
        description="List the scenarios shipped with jukinet, each with its one-line description: the analyst's "
        "questions, incidents/ and faults/ (with --all the proofs' suites too). Any command takes one by name "
        "instead of a file: `jukinet run fy2006_as_designed`, `jukinet prove incidents/jpki_card_defects`; a file "
        "of yours of the same name wins.",
    )
    p.add_argument("--all", action="store_true", help="also mutants/, lawful/ and refused/")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_scenarios)
    p = sub.add_parser(
        "check",
        help="validate a scenario file",
        description="Load, merge and validate a scenario file, and check that a run at --scale and the load test "
        "fit this machine: the checks `run` and `loadtest` make before they start.",
    )
    p.add_argument("scenario", help="scenario TOML file, or a shipped scenario's name (jukinet scenarios)")
    p.add_argument("--scale", type=number, default=0.01, help="the run's scale to check (default 0.01)")
    p.set_defaults(func=cmd_check)
    add_live_commands(sub, SCENARIO_HELP, seed)
    return parser


SCENARIO_HELP = "scenario TOML file or shipped name (jukinet scenarios); default: the embedded FY2006 defaults"


def seed(text: str) -> int:
    """A seed numpy's generator accepts: an integer 0 .. 2**63 - 1."""
    try:
        value = int(text) if text.isascii() else int("not ASCII")
    except ValueError:
        raise argparse.ArgumentTypeError(f"got {text!r}; allowed: an integer 0 .. 2**63 - 1") from None
    if not 0 <= value < 2**63:
        raise argparse.ArgumentTypeError(f"got {text}; allowed: an integer 0 .. 2**63 - 1")
    return value


def _terminated(signum: int, _frame: object) -> None:
    raise KeyboardInterrupt(signal.Signals(signum).name)


def main(argv: Sequence[str] | None = None) -> int:
    signal.signal(signal.SIGTERM, _terminated)  # a kill ends like Ctrl-C: temporary output removed, one line
    parser = build_parser()
    args = parser.parse_args(argv)
    func: Callable[[argparse.Namespace], int] | None = getattr(args, "func", None)
    if func is None:
        parser.print_help()
        return 2
    try:
        return func(args)
    except UserError as err:
        print(f"jukinet: error: {err}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # output piped into `head` and closed: not an error
        sys.stderr.close()
        return 0
    except OSError as err:  # a path the system refuses (too long, not a folder, no permission, disk full)
        name = str(err.filename) if err.filename else ""
        where = f"{name[:80]}{'...' if len(name) > 80 else ''}: " if name else ""
        print(f"jukinet: error: {where}{err.strerror or err}", file=sys.stderr)
        return 2
    except ValueError as err:  # a path with a NUL byte (only the Python API can pass one): the system refuses it
        if "null byte" not in str(err):
            raise
        print("jukinet: error: a path holds a NUL byte; allowed: a path without one", file=sys.stderr)
        return 2
    except Aborted as err:  # a worker killed or failed: not the input's fault
        print(f"jukinet: aborted: {err}; no result folder was written or changed", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("jukinet: interrupted; no result folder was written or changed", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
