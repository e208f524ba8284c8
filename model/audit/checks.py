"""`jukinet audit RUN`: check a run's records against the constraint catalogue.

The log chain (C09), every provision authorised by the run's own policy and logged (C02, C08,
C09, C10), operators logged in before they act (C08), notifications complete and within the six
items (C01, C16), decisions of the other monitors (C04-C07, C12), cards (C15), links (C03, C13),
inspections (C14), confidentiality duties (C11), and disclosure complete (C12).  Each finding
names the record (table and sequence number) and the constraint.
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np

from model.audit.folder import AuditFinding, opened
from model.audit.heads import UNTRUSTED, heads_findings
from model.law.flow import FLOW_CONSTRAINTS, JUKINET_KINDS, NONE, WHY_UNLAWFUL, Flow, Token
from model.law.policy import Request, decide
from model.sim.hashchain import verify_chain
from model.world.topology import c13_missing, identity_messages, one_way_problem

LIMIT = 20  # findings listed per check (the count is always complete)


def audit(run: Path, trust: Path | None = None) -> dict[str, Any]:
    """Check a run folder; with `trust` (the public keys of `jukinet keys`) also its signed heads."""
    from model.audit.trust import QUORUM, load_public

    pub = load_public(trust) if trust is not None else None  # bad keys: one line before anything is read
    summary, sc, files = opened(run)
    found: list[AuditFinding] = []
    counts: dict[str, int] = {}

    def add(check: str, items: list[AuditFinding]) -> None:
        counts[check] = len(items)
        found.extend(items[:LIMIT])

    add("files present and intact", list(files.problems))
    if pub is not None:
        add("signed and witnessed heads match the folder", heads_findings(run, files, pub, summary or {}))
    trusted = UNTRUSTED if pub is None else f"checked against the keys in {trust} (the center and {QUORUM} of 47 witnesses)"
    if summary is None or sc is None or files.problems:  # what cannot be read cannot be checked
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
    statute, policy = sc.config.statute, sc.policy

    def _cols(_run: Path, name: str) -> dict[str, np.ndarray]:
        cols = files.table(name)
        assert cols is not None  # every table of RECORDS was read above
        return cols

    log = _cols(run, "access_log")
    head = summary["log_head"]
    columns = [log[k].tolist() for k in ("seq", "time", "node", "operator", "action", "code", "ref", "hash")]
    seq, time, node, operator, action, code, ref, hashes = columns
    chain = verify_chain(seq, time, node, operator, action, code, ref, hashes, int(head["count"]), bytes.fromhex(head["hash"]))
    add("log chain intact", [AuditFinding("C09", "access_log", f.seq, f.problem) for f in chain])

    prov = _cols(run, "provisions")
    allowed = prov["allowed"].astype(bool)
    at_center = (log["node"] == "center") & np.isin(log["action"], ["provide", "refuse"])
    logged = set(log["ref"][at_center].tolist())
    add(
        "every provision logged",
        [AuditFinding("C09", "provisions", int(s), "no access-log record") for s in prov["seq"] if int(s) not in logged],
    )
    listed = statute.listed
    add(
        "provisions only to annex bodies for listed affairs",
        [
            AuditFinding("C02", "provisions", int(s), f"{r} received identity information for {a}, not listed for it")
            for s, r, a, ok in zip(prov["seq"], prov["requester"], prov["affair"], allowed, strict=True)
            if ok and (r, a) not in listed
        ],
    )
    add(
        "operators authenticated",
        [
            AuditFinding("C08", "provisions", int(s), "provision by an unauthenticated operator")
            for s, ok, au in zip(prov["seq"], allowed, prov["operator_authenticated"], strict=True)
            if ok and not au
        ],
    )
    if sc.config.identifiers.scheme != "common_code":  # L01 binds a design that claims it
        add("no identifier shared by two bodies (L01)", _shared_identifiers(prov, allowed))
    law_keys = {frozenset(k) for k in statute.lookup.keys}
    batch_rows = {r.id for r in statute.annex if r.batch}
    add(
        "lookups by allowed keys",
        [
            AuditFinding("C10", "provisions", int(s), f"lookup by keys '{k}'" if m == "interactive" else f"batch for {a}")
            for s, ok, m, k, a in zip(prov["seq"], allowed, prov["mode"], prov["keys"], prov["affair"], strict=True)
            if ok
            and ((m == "interactive" and frozenset(str(k).split(",")) not in law_keys) or (m == "batch" and a not in batch_rows))
        ],
    )
    shapes: dict[tuple[Any, ...], list[int]] = {}
    for s, r, a, m, k, au, ok in zip(
        prov["seq"],
        prov["requester"],
        prov["affair"],
        prov["mode"],
        prov["keys"],
        prov["operator_authenticated"],
        allowed,
        strict=True,
    ):
        shapes.setdefault((r, a, m, k, bool(au), bool(ok)), []).append(int(s))
    mismatch = []
    for (r, a, m, k, au, ok), seqs in shapes.items():
        keys = frozenset() if m == "batch" else frozenset(str(k).split(","))
        d = decide(
            policy,
            Request(
                requester=r,
                action="provide",
                node="center",
                affair=a or None,
                keys=keys,
                items=statute.identity_items,
                mode=m,
                operator_authenticated=au,
            ),
        )
        if d.allowed != ok:
            mismatch += [
                AuditFinding(
                    "C02",
                    "provisions",
                    s,
                    f"recorded {'allowed' if ok else 'refused'}, the policy says "
                    f"{'allowed' if d.allowed else 'refused'} ({d.reason})",
                )
                for s in seqs
            ]
    add("every provision authorised by the policy", mismatch)

    ops = log["operator"].astype(int)
    day = (log["time"].astype(float) // 86400).astype(int)
    first_seen: dict[tuple[int, int], str] = {}
    not_logged_in = []
    for s, op, d, act in zip(log["seq"], ops, day, log["action"], strict=True):
        if op < 0:
            continue
        key = (int(op), int(d))
        if key not in first_seen:
            first_seen[key] = act
            if act != "login":
                not_logged_in.append(AuditFinding("C08", "access_log", int(s), f"operator {op} acted ({act}) before logging in"))
    add("operators log in before they act", not_logged_in)

    notes = _cols(run, "notifications")
    add(
        "notifications carry identity items only",
        [
            AuditFinding("C01", "notifications", int(i), f"carried {sorted(set(str(it).split(',')) - statute.identity_items)}")
            for i, it in zip(notes["id"], notes["items"], strict=True)
            if not set(str(it).split(",")) <= statute.identity_items
        ],
    )
    add(
        "notifications reached the center",
        [
            AuditFinding("C16", "notifications", int(i), "never stored at the center")
            for i, t in zip(notes["id"], notes["at_center"], strict=True)
            if not np.isfinite(float(t))
        ],
    )
    add(
        "no resident withheld",
        [
            AuditFinding("C16", "access_log", int(s), f"{n} withheld a change from notification")
            for s, n, a in zip(log["seq"], log["node"], log["action"], strict=True)
            if a == "withhold"
        ],
    )

    dec = _cols(run, "decisions")
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

    cards = _cols(run, "cards")
    add(
        "card faces",
        [
            AuditFinding("C15", "cards", i, "the card face prints the resident code")
            for i, (ev, det) in enumerate(zip(cards["event"], cards["detail"], strict=True))
            if ev == "issue" and "code" in str(det).removeprefix("face:").split(",")
        ],
    )
    links = _cols(run, "links")
    kinds = {n: d.get("kind") for n, d in sc.graph.nodes(data=True)}
    link_bad = []
    for i in range(len(links["src"])):
        msgs = {m for m in str(links["messages"][i]).split(",") if m}
        src, dst = str(links["src"][i]), str(links["dst"][i])
        boundary = (kinds.get(src) in JUKINET_KINDS) != (kinds.get(dst) in JUKINET_KINDS)  # as the C13 query
        if identity_messages(msgs, policy) or boundary:
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
    insp = _cols(run, "inspections")
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

    from model.audit.disclose import disclose

    codes, n = np.unique(prov["code"][allowed].astype(np.int64), return_counts=True)
    incomplete = []
    for code in codes[np.argsort(n)[-10:]]:
        disclosed = disclose(run, f"{int(code):011d}", proof=False)
        listed_to_resident = len(disclosed["provisions"])
        held = [int(c) for c in disclosed["codes"]]
        want = int((np.isin(prov["code"].astype(np.int64), held) & allowed).sum())
        if listed_to_resident != want:
            incomplete.append(AuditFinding("C12", "provisions", int(code), f"disclosure lists {listed_to_resident} of {want}"))
    add("disclosure complete", incomplete)
    flow = Flow(sc.graph, sc.policy, sc.config.statute)
    add("what the stores keep is lawful", _store_findings(flow))
    hops = files.table("route_hops", optional=True)  # absent in runs written before the table existed
    if files.problems:
        add("files present and intact", list(files.problems))
    elif hops is not None:
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


def _shared_identifiers(prov: dict[str, np.ndarray], allowed: np.ndarray) -> list[AuditFinding]:
    """L01: provisions whose identifier another body also received for the same resident (model.law.linkage)."""
    ident, req, seq = prov["identifier"][allowed], prov["requester"][allowed].astype(str), prov["seq"][allowed]
    pairs = np.unique(np.stack([ident.astype(str), req], axis=1), axis=0)
    ids, counts = np.unique(pairs[:, 0], return_counts=True)
    shared = set(ids[counts >= 2].tolist())
    holders: dict[str, list[str]] = {}
    for i, r in pairs:
        if i in shared:
            holders.setdefault(i, []).append(r)
    return [
        AuditFinding(
            "L01",
            "provisions",
            int(s),
            f"{r} received identifier {i}, which {', '.join(sorted(set(holders[i]) - {r}))} also hold",
        )
        for s, i, r in zip(seq, ident.astype(str), req, strict=True)
        if i in shared
    ]


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
