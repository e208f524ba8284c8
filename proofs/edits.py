"""Every single edit of the reduced as-designed scenario, and the reference semantics against the prover.

Each edit is a scenario-file layer (a dict written as TOML that `extends` scenarios/fy2006_as_designed.toml),
loaded through the normal loader (validation included) and reduced (proofs.reference.reduced); the
reference semantics (proofs.reference) and `proofs.catalogue.prove` then judge the same scenario, and
every constraint on which they differ is a disagreement.  Families:

    link      a link between two nodes of the reduced network, for each message id (and one unknown id)
    item      a statute item added to a message schema or a store
    rule      a rule's `when` condition dropped, or its requester widened by one kind
    flip      `carries_identity` or `sealed` flipped on a schema
    bind      an action of `action_message` bound to another message
    node      an added node of each kind linked to a CS (either way, each message)

    python -m proofs.edits              # the count, then every edit compared (slow: ~3 s an edit)
    python -m proofs.edits --sample 30  # a seeded sample
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jukinet.model.config.scenario import Scenario, load
from jukinet.model.core.errors import UserError
from jukinet.proofs.reference import REFERENCE_IDS, Verdict, reduced, reference_verdicts

REPO = Path(__file__).resolve().parent.parent
AS_DESIGNED = REPO / "scenarios" / "fy2006_as_designed.toml"
UNKNOWN_MESSAGE = "edit-unknown-message"
REQUESTER_KINDS = ("national", "local", "private", "resident", "municipality", "prefecture", "unknown")
ADDED_KINDS = ("recipient", "private", "cs", "relay")


@dataclass(frozen=True)
class Edit:
    """One single edit: a scenario layer onto the as-designed scenario."""

    id: str
    family: str
    label: str
    layer: dict[str, Any] = field(hash=False, compare=False)


@dataclass(frozen=True)
class Disagreement:
    """A constraint the reference and the prover judge differently."""

    constraint: str
    reference_violated: bool
    prover_violated: bool
    reference_witness: str
    prover: str  # the prover's results of that id: name=verdict, ...
    edit: str = ""


@dataclass
class Outcome:
    """One edit's comparison: refused by the loader, failed, or the disagreements (maybe none)."""

    edit: Edit
    refused: str = ""
    error: str = ""
    disagreements: list[Disagreement] = field(default_factory=list)
    reference: dict[str, Verdict] = field(default_factory=dict)
    reference_s: float = 0.0
    prover_s: float = 0.0


# ---- TOML ---------------------------------------------------------------------------------------------


def _value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int | float):
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v)  # a TOML basic string
    if isinstance(v, list | tuple):
        return "[" + ", ".join(_value(x) for x in v) + "]"
    raise TypeError(f"cannot write {v!r} as TOML")


def to_toml(data: dict[str, Any], path: str = "") -> str:
    """A small TOML writer for scenario layers: scalars, arrays, tables and arrays of tables."""
    scalars = {k: v for k, v in data.items() if not isinstance(v, dict) and not _is_table_array(v)}
    out = [f"{json.dumps(k) if not k.isidentifier() else k} = {_value(v)}" for k, v in scalars.items()]
    for k, v in data.items():
        sub = f"{path}.{k}" if path else k
        if isinstance(v, dict):
            out.append(f"\n[{sub}]")
            out.append(to_toml(v, sub))
        elif _is_table_array(v):
            for entry in v:
                out.append(f"\n[[{sub}]]")
                out.append(to_toml(entry, sub))
    return "\n".join(x for x in out if x)


def _is_table_array(v: Any) -> bool:
    return isinstance(v, list) and bool(v) and all(isinstance(x, dict) for x in v)


def load_edit(edit: Edit, folder: Path, base: Path = AS_DESIGNED) -> Scenario:
    """The edit written as a TOML file extending `base`, loaded through the normal loader (UserError if refused)."""
    layer = {"scenario": {"extends": str(base.resolve())}, **edit.layer}
    p = folder / f"{edit.id}.toml"
    p.write_text(to_toml(layer) + "\n", encoding="utf-8")
    return load(p)


# ---- the edits ------------------------------------------------------------------------------------------


def enumerate_edits(base: Scenario) -> list[Edit]:
    """Every single edit of `base` (the as-designed scenario) in the six families, numbered edit-1, edit-2, ..."""
    red = reduced(base)
    layers: list[tuple[str, str, dict[str, Any]]] = []
    layers += _link_edits(red)
    layers += _item_edits(red)
    layers += _rule_edits(red)
    layers += _flip_edits(red)
    layers += _bind_edits(red)
    layers += _node_edits(red)
    return [Edit(f"edit-{i}", family, label, layer) for i, (family, label, layer) in enumerate(layers, 1)]


def _message_ids(sc: Scenario) -> list[str]:
    return [m.id for m in sc.config.policy.messages] + [UNKNOWN_MESSAGE]


def _link(lid: str, src: str, dst: str, messages: Iterable[str]) -> dict[str, Any]:
    return {"network": {"link": [{"id": lid, "src": src, "dst": dst, "messages": list(messages)}]}}


def _link_edits(sc: Scenario) -> list[tuple[str, str, dict[str, Any]]]:
    """A link u -> v for each message (onto an existing link: its messages plus the new one)."""
    g = sc.graph
    nodes = sorted(g)
    out = []
    for u in nodes:
        for v in nodes:
            if u == v:
                continue
            have = list(g.edges[u, v]["messages"]) if g.has_edge(u, v) else []
            for m in _message_ids(sc):
                if m not in have:
                    out.append(("link", f"link {u}->{v} +{m}", _link("edit-link", u, v, [*have, m])))
    return out


def _item_edits(sc: Scenario) -> list[tuple[str, str, dict[str, Any]]]:
    items = [i.id for i in sc.config.statute.item]
    out: list[tuple[str, str, dict[str, Any]]] = []
    for m in sc.config.policy.messages:
        for i in items:
            if i not in m.items:
                out.append(("item", f"message {m.id} +{i}", {"policy": {"messages": [{"id": m.id, "items": [*m.items, i]}]}}))
    for store, held in sc.config.policy.stores.items():
        for i in items:
            if i not in held:
                out.append(("item", f"store {store} +{i}", {"policy": {"stores": {store: [*held, i]}}}))
    return out


def _rule_edits(sc: Scenario) -> list[tuple[str, str, dict[str, Any]]]:
    out = []
    for r in sc.config.policy.rules:
        for c in r.when:
            when = [x for x in r.when if x != c]
            out.append(("rule", f"rule {r.id} -{c}", {"policy": {"rules": [{"id": r.id, "when": when}]}}))
        for k in REQUESTER_KINDS:
            if k not in r.requester:
                out.append(
                    ("rule", f"rule {r.id} requester +{k}", {"policy": {"rules": [{"id": r.id, "requester": [*r.requester, k]}]}})
                )
    return out


def _flip_edits(sc: Scenario) -> list[tuple[str, str, dict[str, Any]]]:
    out = []
    for m in sc.config.policy.messages:
        for attr in ("carries_identity", "sealed"):
            now = bool(getattr(m, attr))
            out.append(("flip", f"message {m.id} {attr}={not now}", {"policy": {"messages": [{"id": m.id, attr: not now}]}}))
    return out


def _bind_edits(sc: Scenario) -> list[tuple[str, str, dict[str, Any]]]:
    out = []
    for action, message in sc.config.policy.action_message.items():
        for m in _message_ids(sc):
            if m != message:
                out.append(("bind", f"action {action} -> {m}", {"policy": {"action_message": {action: m}}}))
    return out


def _node_edits(sc: Scenario) -> list[tuple[str, str, dict[str, Any]]]:
    css = [f"cs:{m.lgcode}" for m in sc.municipalities]
    out = []
    for kind in ADDED_KINDS:
        node = f"edit:{kind}"
        for cs in css:
            for m in _message_ids(sc):
                for src, dst in ((cs, node), (node, cs)):
                    link = _link("edit-node-link", src, dst, [m])["network"]["link"]
                    layer: dict[str, Any] = {"network": {"node": [{"id": node, "kind": kind}], "link": link}}
                    out.append(("node", f"{kind} node {src}->{dst} {m}", layer))
    return out


# ---- comparison ---------------------------------------------------------------------------------------


# The prover's properties of the policy alone (a request the rules permit, a configured deadline): the reference
# judges what can flow, not what a rule would grant, so these are not compared.
REQUEST_LEVEL = frozenset(
    {
        "provision_only_to_annex_bodies_for_listed_affairs",
        "residents_obtain_their_own_record",
        "disclosure_reaches_its_subject",  # C12's positive half (delivery), like the one above
        "disclosure_only_to_its_subject",
        "disclosure_within_30_days",
        "notifications_carry_identity_information_only",
        "recipients_use_data_only_for_its_affair",  # C04 of the use rules alone (Art. 30-34)
    }
)


def prover_violated(results: list[Any], cid: str) -> tuple[bool, str]:
    """Whether the prover finds `cid` violated (a flow or structural result VIOLATED or UNKNOWN), and its
    results of that id."""
    mine = [r for r in results if r.id == cid and r.name not in REQUEST_LEVEL]
    return any(r.verdict in ("VIOLATED", "UNKNOWN") for r in mine), ", ".join(f"{r.name}={r.verdict}" for r in mine)


def compare(sc: Scenario, label: str = "", verdicts: dict[str, Verdict] | None = None) -> list[Disagreement]:
    """The constraints of REFERENCE_IDS on which the reference and `proofs.catalogue.prove` differ for `sc`
    (a reduced scenario)."""
    from jukinet.proofs.catalogue import prove  # the prover's public entry point, and nothing else of it

    ref = verdicts if verdicts is not None else reference_verdicts(sc)
    results = prove(sc, only=REFERENCE_IDS)
    out = []
    for cid in REFERENCE_IDS:
        pv, detail = prover_violated(results, cid)
        if pv != ref[cid].violated:
            out.append(Disagreement(cid, ref[cid].violated, pv, ref[cid].witness, detail, label))
    return out


def run_edit(edit: Edit, folder: Path, with_prover: bool = True) -> Outcome:
    """Load one edit, reduce it, and compare (or only run the reference: `with_prover` false)."""
    out = Outcome(edit)
    try:
        sc = reduced(load_edit(edit, folder))
    except UserError as e:
        out.refused = str(e)
        return out
    t = time.perf_counter()
    try:
        ref = reference_verdicts(sc)
    except Exception as e:  # noqa: BLE001 - an edit the reference cannot judge is reported, not raised
        out.error = f"reference: {type(e).__name__}: {e}"
        return out
    out.reference_s = time.perf_counter() - t
    out.reference = ref
    if not with_prover:
        return out
    t = time.perf_counter()
    try:
        out.disagreements = compare(sc, edit.label, ref)
    except Exception as e:  # noqa: BLE001 - the prover failing on an edit is a finding
        out.error = f"prover: {type(e).__name__}: {e}"
    out.prover_s = time.perf_counter() - t
    return out


def sample(edits: list[Edit], limit: int | None = None, seed: int = 0) -> list[Edit]:
    """`limit` edits drawn with `seed`, taken in turn from each family (so the small families are not drowned
    by the links); all of them, in order, when limit is None."""
    if limit is None or limit >= len(edits):
        return list(edits)
    rng = random.Random(seed)
    by_family: dict[str, list[Edit]] = {}
    for e in edits:
        by_family.setdefault(e.family, []).append(e)
    pools = [rng.sample(v, len(v)) for _, v in sorted(by_family.items())]
    chosen: list[Edit] = []
    while len(chosen) < limit:
        for pool in pools:
            if pool and len(chosen) < limit:
                chosen.append(pool.pop())
    return sorted(chosen, key=lambda e: int(e.id.split("-")[1]))


def run(limit: int | None = None, seed: int = 0, with_prover: bool = True, base: Path = AS_DESIGNED) -> list[Outcome]:
    """Every edit (or a seeded sample of `limit`) of the as-designed scenario, each compared."""
    edits = sample(enumerate_edits(load(base)), limit, seed)
    with tempfile.TemporaryDirectory() as tmp:
        return [run_edit(e, Path(tmp), with_prover) for e in edits]


def _report(o: Outcome) -> str:
    e = o.edit
    if o.refused:
        return f"{e.id} [{e.label}] refused: {o.refused}"
    if o.error:
        return f"{e.id} [{e.label}] {o.error}"
    broken = ",".join(c for c, v in o.reference.items() if v.violated) or "-"
    lines = [f"{e.id} [{e.label}] reference violates {broken}; ref {o.reference_s:.2f}s prover {o.prover_s:.2f}s"]
    for d in o.disagreements:
        ref = "violated" if d.reference_violated else "holds"
        prv = "violated" if d.prover_violated else "holds"
        lines.append(f"    DISAGREE {d.constraint}: reference {ref} / prover {prv} ({d.prover}); {d.reference_witness[:300]}")
    return "\n".join(lines)


def _one(args: tuple[Edit, bool]) -> str:
    with tempfile.TemporaryDirectory() as tmp:
        return _report(run_edit(args[0], Path(tmp), args[1]))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m proofs.edits", description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--sample", type=int, default=None, help="compare a seeded sample of this many edits")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--family", action="append", default=[], help="only edits of this family (repeatable)")
    ap.add_argument("--count", action="store_true", help="only print the number of edits per family")
    ap.add_argument("--reference-only", action="store_true", help="run the reference only (no prover)")
    ap.add_argument("--jobs", type=int, default=1, help="worker processes")
    args = ap.parse_args(argv)
    edits = enumerate_edits(load(AS_DESIGNED))
    families: dict[str, int] = {}
    for e in edits:
        families[e.family] = families.get(e.family, 0) + 1
    print(f"{len(edits)} edits: " + ", ".join(f"{k} {v}" for k, v in families.items()), flush=True)
    if args.count:
        return 0
    chosen = sample([e for e in edits if not args.family or e.family in args.family], args.sample, args.seed)
    work = [(e, not args.reference_only) for e in chosen]
    tally = {"compared": 0, "refused": 0, "errors": 0, "disagreements": 0}
    started = time.perf_counter()

    def count(line: str) -> None:
        print(line, flush=True)
        head = line.splitlines()[0]
        kind = "refused" if "] refused: " in head else "errors" if "] reference: " in head or "] prover: " in head else "compared"
        tally[kind] += 1
        tally["disagreements"] += line.count("DISAGREE ")

    if args.jobs > 1:
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(args.jobs) as pool:
            for line in pool.map(_one, work, chunksize=4):
                count(line)
    else:
        for w in work:
            count(_one(w))
    print(
        f"{len(work)} edits in {time.perf_counter() - started:.0f} s: {tally['compared']} compared, {tally['refused']} refused "
        f"at load, {tally['errors']} errors; {tally['disagreements']} disagreements between the reference and the prover"
    )
    return 1 if tally["disagreements"] or tally["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
