"""What the folder itself states across its tables, checked both ways without keys (issue 30, item 3).

- Each notification as the CS logged it: the log's `notify` record with its id names the same resident code, CS
  and operator, and every logged notification is in the table (C09, C16).
- Each notification the center stored as the center logged it: a notification with a time at the center has the
  center's `store` record of it at that time, and every such record has its notification (C16).
- Each code change as the CS logged it (`change_code`: the new code, at its time), both ways (C07, C09).
- Retired codes out of use and new codes in use: no resident holds a code given up, and each new code (not given
  up in turn) is a resident's (C07).
- Each card event names a resident of the register, under a code the resident held (C15).

Memory: a 64-bit fingerprint and a seq per notification, held by its id (no sort), and per code change; the
residents are streamed.  A rewrite of every table together, the log re-chained to match, is seen only with the keys of a signed
run (model.audit.trust): the audit's report says so.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from jukinet.model.audit.folder import AuditFinding, RunFolder

CHECKS = (
    ("each notification as the CS logged it", "C09"),
    ("every logged notification in the table", "C09"),
    ("each notification stored at the center as logged", "C16"),
    ("each code change as logged, both ways", "C07"),
    ("retired codes out of use, new codes in use", "C07"),
    ("each card event names a resident of the register", "C15"),
)
M1, M2, M3 = np.uint64(0x9E3779B97F4A7C15), np.uint64(0xC2B2AE3D27D4EB4F), np.uint64(0x165667B19E3779F9)


def mix(*cols: np.ndarray) -> np.ndarray:
    """64 bits of the given int64 or float64 columns, row by row (order matters)."""
    out = np.zeros(len(cols[0]), np.uint64)
    for i, c in enumerate(cols):
        v = np.ascontiguousarray(c).view(np.uint64) if np.asarray(c).dtype.itemsize == 8 else np.asarray(c, np.uint64)
        out = (out ^ (v * M1 + np.uint64(i))) * M2
        out ^= out >> np.uint64(31)
    return out * M3


def _lg(nodes: pa.Array) -> np.ndarray:
    """`cs:012345` (the log's node) or `012345` (a table's cs) as the int 12345; anything else as -1."""
    digits = pc.replace_substring(nodes.cast(pa.string()), "cs:", "")
    ok = pc.match_substring_regex(digits, r"^\d{1,9}$")
    return np.asarray(pc.if_else(ok, digits, "-1").cast(pa.int64()).to_numpy(zero_copy_only=False), np.int64)


def _is(column: pa.Array, value: str) -> np.ndarray:
    """Where a (dictionary-encoded) string column equals `value`, by the dictionary's index where it has one."""
    if pa.types.is_dictionary(column.type):
        where = np.nonzero(np.asarray(column.dictionary.to_pylist(), dtype=object) == value)[0]
        idx = column.indices.to_numpy(zero_copy_only=False)
        return np.isin(idx, where) if len(where) else np.zeros(len(column), bool)
    return np.asarray(pc.equal(column.cast(pa.string()), value).to_numpy(zero_copy_only=False), bool)


@dataclass
class Logged:
    """One relation's side in the log: each record's fingerprint and seq, sorted by fingerprint when `sealed`."""

    prints: list[np.ndarray] = field(default_factory=list)
    seqs: list[np.ndarray] = field(default_factory=list)
    sealed: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None  # prints, seqs, seen

    def add(self, prints: np.ndarray, seqs: np.ndarray) -> None:
        self.prints.append(prints)
        self.seqs.append(seqs)

    def seal(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        if self.sealed is None:
            p = np.concatenate(self.prints) if self.prints else np.zeros(0, np.uint64)
            s = np.concatenate(self.seqs) if self.seqs else np.zeros(0, np.int64)
            order = np.argsort(p, kind="stable")
            self.sealed = (p[order], s[order], np.zeros(len(p), bool))
            self.prints, self.seqs = [], []
        return self.sealed

    def match(self, prints: np.ndarray) -> np.ndarray:
        """Which of these fingerprints the log has; each found is marked seen."""
        p, _, seen = self.seal()
        if not len(p):
            return np.zeros(len(prints), bool)
        at = np.searchsorted(p, prints).clip(0, len(p) - 1)
        hit: np.ndarray = p[at] == prints
        seen[at[hit]] = True
        return hit

    def unseen(self) -> np.ndarray:
        _, s, seen = self.seal()
        return np.sort(s[~seen])


@dataclass
class ById:
    """One relation's side in the log for the notifications, held by the notification id the record refers to
    (ids are dense, 0 .. n-1): each record's fingerprint and seq, no sort and 13 bytes per notification.  A record
    whose id is outside 0 .. `bound` (the log's length) or already taken is stray: named as not in the table."""

    bound: int
    prints: np.ndarray = field(default_factory=lambda: np.zeros(0, np.uint64))
    seqs: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    seen: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))
    stray: list[np.ndarray] = field(default_factory=list)

    def add(self, ids: np.ndarray, prints: np.ndarray, seqs: np.ndarray) -> None:
        ok = (ids >= 0) & (ids < self.bound)
        if len(ids) and int(ids[ok].max(initial=-1)) >= len(self.seqs):
            n = min(max(int(ids[ok].max()) + 1, 2 * len(self.seqs)), self.bound)
            grown = np.full(n, -1, np.int32 if self.bound < 2**31 else np.int64)
            grown[: len(self.seqs)] = self.seqs
            self.prints = np.concatenate([self.prints, np.zeros(n - len(self.prints), np.uint64)])
            self.seqs, self.seen = grown, np.zeros(n, bool)
        first = np.zeros(len(ids), bool)
        first[np.unique(ids, return_index=True)[1]] = True  # a second record of one id in a batch is stray
        ok &= first
        ok[ok] = self.seqs[ids[ok]] < 0  # and so is one whose id an earlier batch took
        self.stray.append(seqs[~ok])
        self.prints[ids[ok]], self.seqs[ids[ok]] = prints[ok], seqs[ok]

    def match(self, ids: np.ndarray, prints: np.ndarray) -> np.ndarray:
        """Which rows the log has as the table states them; each found is marked seen."""
        inside = (ids >= 0) & (ids < len(self.seqs))
        hit = np.zeros(len(ids), bool)
        at = ids[inside]
        hit[inside] = (self.seqs[at] >= 0) & (self.prints[at] == prints[inside])
        self.seen[ids[hit]] = True
        return hit

    def unseen(self) -> np.ndarray:
        return np.sort(np.concatenate([self.seqs[(self.seqs >= 0) & ~self.seen].astype(np.int64), *self.stray]))


@dataclass
class CrossScan:
    """Fed the log's batches, then the notifications, code changes, residents and cards; its findings per check."""

    bound: int  # the log's length: no notification id reaches it
    limit: int = 20
    changed: Logged = field(default_factory=Logged)
    counts: dict[str, int] = field(default_factory=lambda: {c: 0 for c, _ in CHECKS})
    named: dict[str, list[AuditFinding]] = field(default_factory=lambda: {c: [] for c, _ in CHECKS})
    found_current: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))  # new codes a resident holds
    found_cards: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))  # card codes a resident holds

    def __post_init__(self) -> None:
        self.notify, self.stored = ById(self.bound), ById(self.bound)

    def log(self, b: pa.RecordBatch) -> None:
        node = b.column("node")
        n, c, s = (_is(b.column("action"), a) for a in ("notify", "change_code", "store"))
        s &= _is(node, "center")
        seq, code, ref = (b.column(k).to_numpy().astype(np.int64) for k in ("seq", "code", "ref"))
        t = b.column("time").to_numpy().astype(np.float64)
        if n.any():
            op = b.column("operator").to_numpy().astype(np.int64)
            self.notify.add(ref[n], mix(code[n], _lg(node.filter(pa.array(n))), op[n]), seq[n])
        if s.any():
            self.stored.add(ref[s], mix(code[s], t[s]), seq[s])
        if c.any():
            self.changed.add(mix(code[c], t[c]), seq[c])

    def notifications(self, b: pa.RecordBatch) -> None:
        ids, code = b.column("id").to_numpy().astype(np.int64), b.column("code").to_numpy().astype(np.int64)
        op = b.column("operator").to_numpy().astype(np.int64)
        hit = self.notify.match(ids, mix(code, _lg(b.column("cs")), op))
        self._name("each notification as the CS logged it", "notifications", ids[~hit], "no log record of it as entered")
        at = b.column("at_center").to_numpy(zero_copy_only=False).astype(np.float64)
        kept = np.isfinite(at)
        hit = self.stored.match(ids[kept], mix(code[kept], at[kept]))
        what = "stored at the center, by the table, with no center log record of it then"
        self._name("each notification stored at the center as logged", "notifications", ids[kept][~hit], what)

    def finish_log(self) -> None:
        """The log's records no table row matched (after every notification was fed)."""
        what = "a logged notification the table does not have (or has otherwise)"
        self._name("every logged notification in the table", "access_log", self.notify.unseen(), what)
        what = "the center's log records storing a notification the table does not say it stored"
        self._name("each notification stored at the center as logged", "access_log", self.stored.unseen(), what)

    def code_changes(self, t: pa.Table | None) -> tuple[np.ndarray, np.ndarray]:
        """Each change as logged, both ways; the codes to look for among the residents (retired, in use)."""
        if t is None or t.num_rows == 0:
            self._name("each code change as logged, both ways", "access_log", self.changed.unseen(), "not in code_changes")
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        old, new = t.column("old").to_numpy().astype(np.int64), t.column("new").to_numpy().astype(np.int64)
        hit = self.changed.match(mix(new, t.column("time").to_numpy().astype(np.float64)))
        self._name("each code change as logged, both ways", "code_changes", np.nonzero(~hit)[0], "no log record of it")
        self._name("each code change as logged, both ways", "access_log", self.changed.unseen(), "not in code_changes")
        return np.unique(old), np.setdiff1d(new, old)  # a code given up, and one still held at the end

    def residents(self, codes: np.ndarray, retired: np.ndarray, current: np.ndarray, cards: np.ndarray) -> None:
        """One batch of the residents' codes: none retired; mark the current codes and card holders found."""
        held = np.isin(codes, retired)
        self._name("retired codes out of use, new codes in use", "residents", codes[held], "holds a code given up")
        self.found_current = np.union1d(self.found_current, codes[np.isin(codes, current)])
        self.found_cards = np.union1d(self.found_cards, codes[np.isin(codes, cards)])

    def finish_residents(self, current: np.ndarray, card_codes: np.ndarray, retired: np.ndarray) -> None:
        missing = np.setdiff1d(current, self.found_current)
        self._name("retired codes out of use, new codes in use", "code_changes", missing, "new code held by no resident")
        known = np.union1d(self.found_cards, retired)
        stray = np.setdiff1d(card_codes, known)
        what = "a card event for a code no resident of the register held"
        self._name("each card event names a resident of the register", "cards", stray, what)

    def _name(self, check: str, table: str, records: np.ndarray, problem: str) -> None:
        if not len(records):
            return
        cid = dict(CHECKS)[check]
        self.counts[check] += len(records)
        room = max(self.limit - len(self.named[check]), 0)
        self.named[check] += [AuditFinding(cid, table, int(r), problem) for r in records[:room].tolist()]


def scan_notifications(
    files: RunFolder, identity: frozenset[str], cross: CrossScan, limit: int
) -> dict[str, tuple[int, list[AuditFinding]]]:
    """C01: each notification carries identity items only (judged once per distinct list); C16: each reached
    the center; streamed, with the first `limit` of each named, each batch also to `cross` (as logged)."""
    judged: dict[str, list[str]] = {}
    out: dict[str, tuple[int, list[AuditFinding]]] = {
        "notifications carry identity items only": (0, []),
        "notifications reached the center": (0, []),
    }

    def name(check: str, ids: np.ndarray, problems: list[str]) -> None:
        n, named = out[check]
        cid = "C01" if "items" in check else "C16"
        room = max(limit - len(named), 0)
        named += [AuditFinding(cid, "notifications", int(i), p) for i, p in zip(ids[:room], problems[:room], strict=True)]
        out[check] = (n + len(ids), named)

    for b in files.scan("notifications"):
        cross.notifications(b)
        ids = b.column("id").to_numpy()
        items = b.column("items").cast(pa.string())
        for v in pc.unique(items).to_pylist():
            if v not in judged:
                judged[v] = sorted(set(str(v).split(",")) - identity)
            if judged[v]:
                hit = pc.equal(items, v).to_numpy(zero_copy_only=False)
                name("notifications carry identity items only", ids[hit], [f"carried {judged[v]}"] * int(hit.sum()))
        at = b.column("at_center").to_numpy(zero_copy_only=False).astype(np.float64)
        lost = ~np.isfinite(at)
        name("notifications reached the center", ids[lost], ["never stored at the center"] * int(lost.sum()))
    return out
