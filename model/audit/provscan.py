"""The provisions audited batch by batch (issue 12, item 5): each logged by the center, as its log record says
(code, time, decision) and no logged one missing from the table (C09; issue 30, both ways), made only to an
annex body for a listed affair (C02), by an authenticated operator (C08), looked up by lawful keys (C10),
decided as the run's own policy decides (C02), and no identifier shared by two bodies where the design claims
it (L01).

A provision's lawfulness depends only on its shape (requester, affair, mode, keys, operator authenticated,
recorded decision): each distinct shape is judged once, by the plain evaluator, and the rows of a shape found
unlawful are named as they stream past, so memory holds the shapes, not the rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from jukinet.model.audit.history import holder_codes
from jukinet.model.audit.logscan import fingerprint
from jukinet.model.law.policy import Request, decide

SHAPE = ("requester", "affair", "mode", "keys", "operator_authenticated", "allowed")
CHECKS = (
    ("every provision logged", "C09"),
    ("each provision as its log record says", "C09"),
    ("every logged provision in the table", "C09"),
    ("provisions only to annex bodies for listed affairs", "C02"),
    ("operators authenticated", "C08"),
    ("lookups by allowed keys", "C10"),
    ("every provision authorised by the policy", "C02"),
)
Shape = tuple[str, str, str, str, bool, bool]


@dataclass
class ProvScan:
    """Fed the provisions' batches; per check, its count and the first `limit` (seq, problem) found."""

    statute: Any
    policy: Any
    logged: np.ndarray  # sorted provision numbers the center logged (LogScan.logged)
    prints: np.ndarray  # each one's fingerprint of code, time and decision (logscan.fingerprint)
    changes: list[tuple[int, int]]  # the run's code changes (old, new): a disclosure covers a holder's every code
    limit: int = 20
    amended: tuple[tuple[float, Any, Any], ...] = ()  # (from time, statute, policy) of each amendment of the year
    counts: dict[str, int] = field(default_factory=lambda: {c: 0 for c, _ in CHECKS})
    named: dict[str, list[tuple[int, str]]] = field(default_factory=lambda: {c: [] for c, _ in CHECKS})
    judged: dict[tuple[Shape, int], list[tuple[str, str]]] = field(default_factory=dict)
    top_codes: list[int] = field(default_factory=list)  # residents the disclosure check reads: the first batch's most provided
    codes: list[np.ndarray] = field(default_factory=list)  # allowed provisions' codes naming one of `watch`
    watch: np.ndarray = field(default_factory=lambda: np.array([], np.int64))  # every code of those residents
    ident_pairs: list[pa.Table] = field(default_factory=list)  # (identifier, requester) per allowed row, for L01

    def __post_init__(self) -> None:
        self._starts = np.array([at for at, _, _ in self.amended])  # when each amendment came into force
        self._seen = np.zeros(len(self.logged), bool)  # the log records a provision row was found for

    def feed(self, b: pa.RecordBatch, l01: bool = False) -> None:
        if b.num_rows == 0:
            return
        seq = b.column("seq").to_numpy().astype(np.int64)
        at = np.searchsorted(self.logged, seq).clip(0, max(len(self.logged) - 1, 0))
        hit = self.logged[at] == seq if len(self.logged) else np.zeros(len(seq), bool)
        unlogged = np.nonzero(~hit)[0]
        self._name("every provision logged", seq[unlogged], ["no access-log record"] * len(unlogged))
        # a log record that a row of an earlier batch, or of this one, already answered
        again = hit & self._seen[at] if len(self._seen) else np.zeros(len(seq), bool)
        _, first = np.unique(seq, return_index=True)
        again[np.setdiff1d(np.arange(len(seq)), first)] = True
        copied = np.nonzero(again)[0]
        self._name(
            "each provision as its log record says", seq[copied], ["a second row for one log record (a row copied)"] * len(copied)
        )
        self._seen[at[hit]] = True
        mine = fingerprint(
            b.column("code").to_numpy(), b.column("time").to_numpy(), b.column("allowed").to_numpy(zero_copy_only=False)
        )
        differ = np.nonzero(hit & (self.prints[at] != mine))[0] if len(self.prints) else np.zeros(0, np.int64)
        what = "its resident code, time or decision differs from the center's log record of it"
        self._name("each provision as its log record says", seq[differ], [what] * len(differ))
        t = pa.Table.from_batches([b]).select(list(SHAPE))
        t = t.set_column(1, "affair", pc.fill_null(t.column("affair").cast(pa.string()), ""))
        for c in ("requester", "mode", "keys"):
            t = t.set_column(t.schema.get_field_index(c), c, t.column(c).cast(pa.string()))
        period = np.searchsorted(self._starts, b.column("time").to_numpy(), side="right")  # the rows in force then
        t = t.append_column("period", pa.array(period, pa.int32()))
        cols = [*SHAPE, "period"]
        shapes = t.group_by(cols).aggregate([]).to_pylist()
        bad: list[tuple[dict[str, Any], list[tuple[str, str]]]] = []
        for s in shapes:
            key: Shape = tuple(s[c] for c in SHAPE)
            if (key, s["period"]) not in self.judged:
                self.judged[key, s["period"]] = self._judge(key, s["period"])
            if self.judged[key, s["period"]]:
                bad.append((s, self.judged[key, s["period"]]))
        for s, problems in bad:
            mask = np.ones(b.num_rows, bool)
            for c in cols:
                mask &= pc.equal(t.column(c), pa.scalar(s[c], t.schema.field(c).type)).to_numpy(zero_copy_only=False)
            rows = seq[mask]
            for check, problem in problems:
                self._name(check, rows, [problem] * len(rows))
        allowed = b.column("allowed").to_numpy(zero_copy_only=False).astype(bool)
        code = b.column("code").to_numpy().astype(np.int64)
        if not self.top_codes:
            ids, n = np.unique(code[allowed], return_counts=True)
            self.top_codes = [int(c) for c in ids[np.argsort(n, kind="stable")[-10:]]]
            self.watch = np.array(sorted({h for c in self.top_codes for h in holder_codes(self.changes, c)}), np.int64)
        if len(self.watch):
            self.codes.append(code[allowed & np.isin(code, self.watch)])
        if l01:
            pairs = pa.table({"identifier": b.column("identifier"), "requester": b.column("requester").cast(pa.string())})
            self.ident_pairs.append(pairs.filter(pa.array(allowed)).group_by(["identifier", "requester"]).aggregate([]))

    def _name(self, check: str, seqs: np.ndarray, problems: list[str]) -> None:
        self.counts[check] += len(seqs)
        room = self.limit - len(self.named[check])
        if room > 0:
            self.named[check] += list(zip(seqs[:room].tolist(), problems[:room], strict=True))

    def _judge(self, shape: Shape, period: int = 0) -> list[tuple[str, str]]:
        """The problems of every provision of this shape made in this period (0: before the year's first
        amendment), per check (none for a lawful one)."""
        r, a, m, k, au, ok = shape
        st, policy = (self.statute, self.policy) if period == 0 else self.amended[period - 1][1:]
        out = []
        if ok and (r, a) not in st.listed:
            out.append(
                (
                    "provisions only to annex bodies for listed affairs",
                    f"{r} received identity information for {a}, not listed for it",
                )
            )
        if ok and not au:
            out.append(("operators authenticated", "provision by an unauthenticated operator"))
        batch_rows = {row.id for row in st.annex if row.batch}
        if ok and (
            (m == "interactive" and not st.lookup.allows(frozenset(k.split(",")))) or (m == "batch" and a not in batch_rows)
        ):
            out.append(("lookups by allowed keys", f"lookup by keys '{k}'" if m == "interactive" else f"batch for {a}"))
        keys = frozenset() if m == "batch" else frozenset(k.split(","))
        req = Request(
            requester=r,
            action="provide",
            node="center",
            affair=a or None,
            keys=keys,
            items=st.identity_items,
            mode=m,
            operator_authenticated=au,
        )
        d = decide(policy, req)
        if d.allowed != ok:
            said = "allowed" if d.allowed else "refused"
            out.append(
                (
                    "every provision authorised by the policy",
                    f"recorded {'allowed' if ok else 'refused'}, the policy says {said} ({d.reason})",
                )
            )
        return out

    def finish(self) -> None:
        """After the last batch: the log records of provisions the table does not have (a row deleted)."""
        gone = self.logged[~self._seen]
        self._name(
            "every logged provision in the table", gone, ["the center logged it; the provisions table lacks it"] * len(gone)
        )

    def provided(self, held: list[int]) -> int:
        """How many allowed provisions name one of `held` (a subset of `watch`)."""
        codes = np.concatenate(self.codes) if self.codes else np.array([], np.int64)
        return int(np.isin(codes, np.array(held, np.int64)).sum())

    def shared_identifiers(self) -> dict[int, list[str]]:
        """L01: each identifier that two bodies or more received, and who holds it."""
        if not self.ident_pairs:
            return {}
        pairs = pa.concat_tables(self.ident_pairs).group_by(["identifier", "requester"]).aggregate([])
        per = pairs.group_by("identifier").aggregate([("requester", "count")])
        shared = per.filter(pc.greater_equal(per.column("requester_count"), 2)).column("identifier")
        held = pairs.filter(pc.is_in(pairs.column("identifier"), shared))
        holders: dict[int, list[str]] = {}
        for i, r in zip(held.column("identifier").to_pylist(), held.column("requester").to_pylist(), strict=True):
            holders.setdefault(int(i), []).append(str(r))
        return holders
