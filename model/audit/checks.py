"""`jukinet audit RUN`: check a run's records against the constraint catalogue.

The log chain (C09), every provision authorised by the run's own policy and logged (C02, C08,
C09, C10), operators logged in before they act (C08), notifications complete and within the six
items (C01, C16), decisions of the other monitors (C04-C07, C12), cards (C15), links (C03, C13),
inspections (C14), confidentiality duties (C11), and disclosure complete (C12).  Each finding
names the record (table and sequence number) and the constraint.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from jukinet.model.audit.crossscan import CHECKS as CROSS_CHECKS
from jukinet.model.audit.crossscan import CrossScan, scan_notifications
from jukinet.model.audit.folder import LOG_COLUMNS, AuditFinding, RunFolder, opened, teller
from jukinet.model.audit.heads import UNTRUSTED, SignedHeads
from jukinet.model.audit.logscan import Chain, LogScan, chain_problems
from jukinet.model.audit.provscan import CHECKS, ProvScan
from jukinet.model.law.flow import FLOW_CONSTRAINTS, NONE, WHY_UNLAWFUL, Flow, Token
from jukinet.model.world.topology import c13_governs, c13_missing, one_way_problem

LIMIT = 20  # findings listed per check (the count is always complete)
HEADS = "signed and witnessed heads match the folder"


def audit(
    run: Path, trust: Path | None = None, index: bool = False, announce: Callable[[str], None] | None = None
) -> dict[str, Any]:
    """Check a run folder; with `trust` (the public keys of `jukinet keys`) also its signed heads, and with
    `index` the disclosure index rebuilt from the records against index/ and the signed one (what that needs is
    checked first, and given to `announce`)."""
    from jukinet.model.audit.index import check_rebuild
    from jukinet.model.audit.trust import QUORUM, load_public

    pub = load_public(trust) if trust is not None else None  # bad keys: one line before anything is read
    summary, sc, files = opened(run)
    need = check_rebuild(run) if index and pub is not None else None  # refused in one line, naming --index
    say = teller(run, summary, pub is not None, announce)
    if need is not None and announce is not None:
        announce(need)
    found: list[AuditFinding] = []
    counts: dict[str, int] = {}

    def add(check: str, items: list[AuditFinding]) -> None:
        counts[check] = len(items)
        found.extend(items[:LIMIT])

    add("files present and intact", list(files.problems))
    unread = len(files.problems)
    heads = SignedHeads(run, files, pub, summary or {}, index) if pub is not None else None
    built = heads.index if heads is not None and heads.final else None  # fed below as the records are read
    if heads is not None:
        counts[HEADS] = 0  # its place among the checks; its findings once the records are read
    at = len(found)

    def signed(log: tuple[int, list[Any], dict[int, str]] | None = None) -> None:
        if heads is not None:
            items = heads.findings(log)
            counts[HEADS] = len(items)
            found[at:at] = items[:LIMIT]

    trusted = UNTRUSTED if pub is None else f"checked against the keys in {trust} (the center and {QUORUM} of 47 witnesses)"
    if summary is None or sc is None or files.problems:  # what cannot be read cannot be checked
        signed()
        return _stopped(trusted, run, summary, found, counts)
    statute, policy = sc.config.statute, sc.policy
    head = summary["log_head"]
    log_path = run / "records" / "access_log.parquet"
    # verified meanwhile, in worker processes for a long log; which hash its blocks for the signed heads
    chain = _start_chain(log_path, files.batch_rows, heads)
    try:
        logscan, cross = LogScan(limit=LIMIT), CrossScan(int(head["count"]), limit=LIMIT)
        for batch in files.scan("access_log", columns=[c for c in LOG_COLUMNS if c != "hash"]):
            logscan.feed(batch)
            cross.log(batch)
        say(f"the log's {logscan.position:,} records read (their chain in worker processes); the provisions next")
        prov = ProvScan(statute, policy, *logscan.logged(), _changes(files), limit=LIMIT, amended=_amended(sc))
        l01 = sc.config.identifiers.scheme != "common_code"  # L01 binds a design that claims it
        for batch in files.scan("provisions"):
            prov.feed(batch, l01)
            if built is not None:
                built.provisions(batch)
        prov.finish()
        say("the provisions checked; the notifications and the other tables next")
        notes = scan_notifications(files, statute.identity_items, cross, LIMIT)
        cross.finish_log()
        changes = files.arrow_table("code_changes")
        retired, current = cross.code_changes(changes)
        dec, cards, links, insp = (files.table(n) for n in ("decisions", "cards", "links", "inspections"))
        card_codes = np.unique(np.asarray(cards["code"], np.int64)) if cards is not None else np.zeros(0, np.int64)
        for name in ("relays", "counter_visits", "residents"):  # the rest, read for their checksums (and the codes held)
            for batch in files.scan(name):
                if name == "residents":
                    codes = batch.column("code").to_numpy(zero_copy_only=False)
                    cross.residents(np.asarray(codes, np.int64), retired, current, card_codes)
                    if built is not None:
                        built.residents(batch)
        cross.finish_residents(current, card_codes, retired)
        if built is not None and changes is not None:  # a code changed keeps its leaf (its provisions before)
            built.changed(changes.column("old").to_numpy(), changes.column("new").to_numpy())
        hops = files.table("route_hops", optional=True)  # absent in runs written before the table existed
        say("every table read; waiting for the log's chain")
        parts = chain.result() if chain is not None else []
    finally:
        if chain is not None and chain.pool is not None:
            chain.pool.shutdown(wait=False, cancel_futures=True)
    for part in parts:
        if part.damaged:
            files.bad("records/access_log.parquet", part.damaged)
            break
    whole = bool(chain is not None and chain.extra[0] and parts) and not any(p.damaged for p in parts)
    if heads is not None:
        say("the chain verified; comparing the tables with the signed heads" + (", rebuilding the index" if built else ""))
    if whole:  # the workers read the whole log: its rows, block pieces and day-head hashes
        signed((sum(p.rows for p in parts), [x for p in parts for x in p.pieces], dict(m for p in parts for m in p.marked)))
    else:
        signed()
    if files.problems or dec is None or cards is None or links is None or insp is None:  # found while reading
        counts["files present and intact"] = len(files.problems)
        found.extend(files.problems[unread:][:LIMIT])
        return _stopped(trusted, run, summary, found, counts)

    def seqs_again() -> Iterator[np.ndarray]:
        for b in files.scan("access_log", columns=["seq"]):
            yield b.column("seq").to_numpy()

    broken = chain_problems(parts, int(head["count"]), bytes.fromhex(head["hash"]), seqs_again)
    add("log chain intact", [AuditFinding("C09", "access_log", s, problem) for s, _i, problem in broken])
    for check, constraint in CHECKS:
        counts[check] = prov.counts[check]
        found.extend(AuditFinding(constraint, "provisions", s, problem) for s, problem in prov.named[check])
        if check == "operators authenticated" and l01:
            add("no identifier shared by two bodies (L01)", _shared_identifiers(files, prov))
    counts["operators log in before they act"] = logscan.not_logged_in_count
    for s, op, a in logscan.not_logged_in:
        found.append(AuditFinding("C08", "access_log", s, f"operator {op} acted ({a}) before logging in"))
    for check, (n, named) in notes.items():
        counts[check] = n
        found.extend(named)
    for check, _ in CROSS_CHECKS:
        counts[check] = cross.counts[check]
        found.extend(cross.named[check])
    counts["no resident withheld"] = logscan.withheld_count
    found.extend(AuditFinding("C16", "access_log", s, f"{n} withheld a change from notification") for s, n in logscan.withheld)

    listed = statute.listed
    bad = []
    for s, r, act, a, prov_aff, subj, au, ok in zip(
        dec["seq"],
        dec["requester"],
        dec["action"],
        dec["affair"],
        dec["provided_affair"],
        dec["subject_is_requester"],
        dec["operator_authenticated"],
        dec["allowed"],
        strict=True,
    ):
        s = int(s)
        if act == "use" and ok and (a != prov_aff or not a):
            bad.append(AuditFinding("C04", "decisions", s, f"{r} used data of {prov_aff or 'none'} for {a or 'none'}"))
        if act == "demand_code" and ok and (r, a) not in listed:
            bad.append(AuditFinding("C05", "decisions", s, f"{r} demanded a resident code for {a or 'no affair'}"))
        if act == "keep_code_db" and ok and r not in {b for row in statute.annex for b in row.bodies}:
            bad.append(AuditFinding("C06", "decisions", s, f"{r} keeps a database of resident codes"))
        if act == "change_code" and (ok != bool(subj and au)):
            bad.append(
                AuditFinding(
                    "C07", "decisions", s, "code change " + ("for someone else allowed" if ok else "refused to its holder")
                )
            )
        if act == "disclose" and (ok != bool(subj and au)):
            bad.append(
                AuditFinding(
                    "C12", "decisions", s, "disclosure " + ("to someone else allowed" if ok else "refused to the resident")
                )
            )
        if act == "notify" and not ok:
            bad.append(AuditFinding("C16", "decisions", s, "a notification was refused"))
        if act in ("provide", "notify", "disclose", "change_code") and ok and not au:
            bad.append(AuditFinding("C08", "decisions", s, f"{act} by an unauthenticated operator"))
    add("other monitors' decisions", bad)

    add(
        "card faces",
        [
            AuditFinding("C15", "cards", i, "the card face prints the resident code")
            for i, (ev, det) in enumerate(zip(cards["event"], cards["detail"], strict=True))
            if ev == "issue" and "code" in str(det).removeprefix("face:").split(",")
        ],
    )
    kinds = {n: d.get("kind") for n, d in sc.graph.nodes(data=True)}
    link_bad = []
    for i in range(len(links["src"])):
        msgs = {m for m in str(links["messages"][i]).split(",") if m}
        src, dst = str(links["src"][i]), str(links["dst"][i])
        if c13_governs(kinds.get(src), kinds.get(dst), msgs, policy):  # as the C13 query
            attrs = {
                k: links[k][i] for k in ("dedicated", "mutual_auth", "encrypted", "intrusion_detection", "firewall", "protocol")
            }
            miss = c13_missing(attrs, statute)
            if miss:
                link_bad.append(AuditFinding("C13", "links", i, f"{src} -> {dst} lacks {', '.join(miss)}"))
        problem = one_way_problem(kinds.get(src), kinds.get(dst), msgs, policy)
        if problem:
            link_bad.append(AuditFinding("C03", "links", i, f"{src} -> {dst}: {problem}"))
    add("links", link_bad)
    add(
        "self-inspections",
        [
            AuditFinding("C14", "inspections", i, f"{cs} did not self-inspect")
            for i, (cs, ok) in enumerate(zip(insp["cs"], insp["self_inspected"], strict=True))
            if not ok
        ],
    )
    org = sc.config.organisation
    add(
        "confidentiality duties",
        [
            AuditFinding("C11", "organisation", 0, f"no confidentiality duty for {k} ({art})")
            for k, art in statute.confidentiality.items()
            if k not in org.confidentiality
        ],
    )

    from jukinet.model.audit.disclose import disclose
    from jukinet.model.core.errors import UserError

    incomplete = []
    for code in prov.top_codes:  # the residents most provided in the first batch, each as `jukinet disclose` shows them
        try:
            disclosed = disclose(run, f"{code:011d}", proof=False)
        except UserError as exc:  # a provided code no resident holds (a residents row deleted): a finding, not a stop
            incomplete.append(AuditFinding("C12", "residents", code, f"cannot be disclosed: {exc}"))
            continue
        want = prov.provided([int(c) for c in disclosed["codes"]])
        if len(disclosed["provisions"]) != want:
            shown = len(disclosed["provisions"])
            incomplete.append(AuditFinding("C12", "provisions", code, f"disclosure lists {shown} of {want}"))
    add("disclosure complete", incomplete)
    flow = Flow(sc.graph, sc.policy, sc.config.statute)
    add("what the stores keep is lawful", _store_findings(flow))
    if hops is not None:
        add("every holder a route reaches is lawful", _route_findings(hops, flow))
    return {
        "trust": trusted,
        "run": str(run),
        "scenario": summary["scenario"],
        "seed": summary["seed"],
        "findings": [asdict(f) for f in found],
        "counts": counts,
        "clean": not found,
    }


def _amended(sc: Any) -> tuple[tuple[float, Any, Any], ...]:
    """(from time, statute, policy) of each dated change of the annex rows (model.config.timeline): the audit
    judges a provision by the rows in force when it was made."""
    from jukinet.model.config.timeline import fiscal_year_days
    from jukinet.model.world.calendar import DAY

    first = fiscal_year_days(sc.config.scenario.fiscal_year)[0]
    out, statute = [], sc.config.statute
    for ch, dated in sc.timeline:  # a change of the rows, not only of the day the statute is read on
        st = dated.config.statute
        if (st.annex, st.listed) != (statute.annex, statute.listed):
            statute = dated.config.statute
            out.append(((ch.date - first).days * DAY, statute, dated.policy))
    return tuple(out)


def _start_chain(path: Path, batch_rows: int, heads: SignedHeads | None) -> Chain | None:
    blocks = heads is not None and "access_log" in heads.final.get("tables", {})
    try:
        return Chain(path, batch_rows, blocks=blocks, marks=heads.log_rows if heads is not None else ())
    except (OSError, pa.ArrowException):  # missing or damaged: the scan of the log names it
        return None


def _stopped(
    trusted: str, run: Path, summary: dict[str, Any] | None, found: list[AuditFinding], counts: dict[str, int]
) -> dict[str, Any]:
    return {
        "trust": trusted,
        "run": str(run),
        "scenario": summary["scenario"] if summary else "?",
        "seed": summary["seed"] if summary else "?",
        "findings": [asdict(f) for f in found],
        "counts": counts,
        "clean": False,
        "stopped": "the audit stops: the files above are missing or damaged, so the records cannot be checked",
    }


def _changes(files: RunFolder) -> list[tuple[int, int]]:
    t = files.table("code_changes")
    return [] if t is None else [(int(o), int(n)) for o, n in zip(t["old"], t["new"], strict=True)]


def _shared_identifiers(files: RunFolder, prov: ProvScan) -> list[AuditFinding]:
    """L01: provisions whose identifier another body also received for the same resident (model.law.linkage),
    named on a second read of the provisions, only when some identifier is shared."""
    holders = prov.shared_identifiers()
    out: list[AuditFinding] = []
    if not holders:
        return out
    shared = pa.array(list(holders), pa.int64())
    for b in files.scan("provisions"):
        hit = pc.and_(b.column("allowed"), pc.is_in(b.column("identifier"), shared))
        t = pa.Table.from_batches([b]).filter(hit)
        cols = (t.column(c).to_pylist() for c in ("seq", "identifier", "requester"))
        for s, i, r in zip(*cols, strict=True):
            others = ", ".join(sorted(set(holders[i]) - {str(r)}))
            out.append(AuditFinding("L01", "provisions", int(s), f"{r} received identifier {i}, which {others} also hold"))
    return out


def _store_findings(flow: Flow) -> list[AuditFinding]:
    """What the run's prefecture and center stores were set up to keep (`policy.stores`): lawful holdings
    under every flow constraint (C01: identity information only)."""
    out = []
    one_of_each = {next((n for n, k in flow.kinds.items() if k == kind), "") for kind in ("prefecture", "center")}
    for (node, comp), tok in flow.initial():
        if node not in one_of_each:  # a store is configured per kind of server
            continue
        out += [
            AuditFinding(cid, "stores", 0, f"{node} keeps {tok.item}: {WHY_UNLAWFUL[cid]}")
            for cid in FLOW_CONSTRAINTS
            if not flow.lawful(cid, (node, comp), tok)
        ]
    return out


def _route_findings(hops: dict[str, np.ndarray], flow: Flow) -> list[AuditFinding]:
    """Each hop of a route the run sent (a proof's counterexample replayed): the holder it reaches must
    be a lawful holder of the item under every flow constraint (model/law/flow.py)."""
    out = []
    for k in range(len(hops["seq"])):
        node, comp = str(hops["dst"][k]), str(hops["compartment"][k]) or NONE
        tok = Token(
            str(hops["item"][k]),
            str(hops["origin"][k]),
            str(hops["provided_for"][k]),
            bool(hops["sealed"][k]),
            bool(hops["away"][k]),
            bool(hops["key"][k]) if "key" in hops else False,
            bool(hops["disclosed"][k]) if "disclosed" in hops else False,
        )
        if node not in flow.kinds:
            out.append(
                AuditFinding("C02", "route_hops", int(hops["seq"][k]), f"{tok.item} reached {node}, not a node of the network")
            )
            continue
        for cid in FLOW_CONSTRAINTS:
            if not flow.lawful(cid, (node, comp), tok):
                where = node if comp == NONE else f"{node}[{comp}]"
                out.append(
                    AuditFinding(cid, "route_hops", int(hops["seq"][k]), f"{tok.item} held by {where}: {WHY_UNLAWFUL[cid]}")
                )
    return out


def render(res: dict[str, Any]) -> str:
    lines = [f"jukinet audit — {res['run']} (scenario {res['scenario']}, seed {res['seed']})"]
    for check, n in res["counts"].items():
        lines.append(f"  [{'OK  ' if n == 0 else 'FAIL'}] {check}: {n} finding(s)")
    for f in res["findings"]:
        lines.append(f"    {f['constraint']} {f['table']} #{f['record']}: {f['problem']}")
    if res.get("stopped"):
        lines.append(f"  {res['stopped']}")
    lines.append(f"  trust: {res['trust']}")
    lines.append("  clean: every check passed" if res["clean"] else "  findings above (at most 20 listed per check)")
    return "\n".join(lines)
