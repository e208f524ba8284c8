"""Provision of identity information by the center to national and local bodies (Art. 30-7, 30-8).

Each hour the desk draws that hour's requests (interactive lookups by code or by an allowed
combination of the four items; scheduled batch matching for pension existence checks and the
20-year-old cohort), has every request decided by the reference evaluator (the same rules the
proofs compile), and records each provision or refusal with its rule, articles and annex row.
Decisions are cached per request shape: the resident looked up does not change the decision.
"""

from __future__ import annotations

from collections.abc import Generator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import simpy

from jukinet.model.config.checks import copies_national_share
from jukinet.model.config.scenario import Scenario
from jukinet.model.law.policy import Policy, Request, decide
from jukinet.model.law.statute import Statute
from jukinet.model.sim.accesslog import AccessLog
from jukinet.model.sim.hub import Hub
from jukinet.model.sim.records import Buffer
from jukinet.model.sim.residents import Residents
from jukinet.model.world.calendar import DAY, HOUR, YEAR_S, FiscalCalendar
from jukinet.model.world.workload import Workload

ERRORS = ("unlisted_affair", "wildcard", "unauthenticated")
SHAPE_COLUMNS = (  # a request shape's decision and the record's coded columns (`ProvisionDesk._decide`)
    "allowed",
    "requester",
    "level",
    "affair",
    "mode",
    "keys",
    "rule",
    "articles",
    "reason",
    "first_operator",
    "log_action",
    "operator_authenticated",
)
BODY_OPERATORS = 1_000_000  # recipient bodies' operator ids start here; CS operators are below it


@dataclass(frozen=True)
class Stream:
    """A kind of request: its (annex row, body) pairs with their probabilities, and for every pair and
    key set the decision with the record's coded columns (`ProvisionDesk._decide`)."""

    purpose: str
    p: np.ndarray  # (pairs,)
    table: np.ndarray  # (pairs, key sets, len(SHAPE_COLUMNS)) int64, in SHAPE_COLUMNS order


class ProvisionDesk:
    """Draws, decides and records provision requests."""

    def __init__(
        self, sc: Scenario, policy: Policy, res: Residents, rng: np.random.Generator, provisions: Buffer, log: AccessLog
    ) -> None:
        cfg = self.cfg = sc.config
        self.res, self.rng, self.buf, self.log = res, rng, provisions, log
        p = cfg.provision
        self.per_body = cfg.operators.per_body
        self.cal = FiscalCalendar.of(cfg.scenario.fiscal_year)  # requests are counted by calendar month
        self.key_sets = tuple(tuple(k) for k in p.lookup_keys)  # [provision] lookup_keys, lookup_key_weights [ASSUMPTION]
        self.key_weights = _norm(p.lookup_key_weights)
        self.body_index = {b: i for i, b in enumerate(sorted(policy.bodies))}
        out = set(p.own_use_not_made)  # prefectures whose governor made no own use (annex 5) [provision]
        self.no_own_use = np.array([m.pref in out for m in sc.year_units] or [False], dtype=bool)
        self.hub = Hub(cfg.identifiers, sorted(policy.bodies), rng)  # the identifier each body receives ([identifiers])
        self.configure(policy, cfg.statute)
        self.refusal_rate = p.refusal_rate
        self.batch_age = p.batch_age
        self.seq = 0
        self.allowed: dict[tuple[str, str], int] = {}  # (level, purpose) -> provisions made
        self.refused = 0
        self.by_month: dict[str, np.ndarray] = {}  # purpose -> requests per fiscal month
        self._born_in: tuple[int, np.ndarray] | None = None  # (calendar month, who was born in it) for the batch
        self.sessions: dict[int, int] = {}

    def configure(self, policy: Policy, statute: Statute) -> None:
        """The rows in force and the center's decisions under them: as the run starts, and from the date of an
        amendment of the scenario's timeline (model.config.timeline; C02): new rows are drawn from that day, and
        deleted ones no longer are (a row [provision] names cannot be deleted: model.config.checks)."""
        cfg, p = self.cfg, self.cfg.provision
        self.policy, self.statute = policy, statute
        self.cache: dict[tuple[str, str, str, tuple[str, ...], bool], tuple[int, ...]] = {}
        rows = statute.annex if cfg.registry.include_rows_not_in_force else statute.in_force  # on the statute's day
        national = [r.id for r in rows if r.table == 1]
        pension = [r for r in national if statute.rows[r].batch]
        others = [r for r in national if r not in pension]
        local = [r.id for r in rows if r.table > 1]
        other_national, other_local = cfg.workload.volume.others(copies_national_share(cfg))  # copies by level
        other_w = [p.pension_share_of_other / len(pension)] * len(pension)
        other_w += [(1 - p.pension_share_of_other) / len(others)] * len(others)
        self.own_use = np.array(sorted({self.buf.code("requester", b) for r in rows if r.table == 5 for b in r.bodies}))
        self.interactive = (
            self._stream("copy_replaced", p.copy_replacing_rows, p.copy_replacing_weights, "interactive", self.key_sets),
            self._stream("other", pension + others, other_w, "interactive", self.key_sets),
            self._stream("local", local, [1.0] * len(local), "interactive", self.key_sets),
        )
        self.interactive_share = _norm([cfg.workload.volume.copies_replaced, other_national, other_local])
        self.existence = self._stream(
            "existence_check", p.existence_check_rows, p.existence_check_weights, "batch", (("batch",),)
        )
        self.cohort = self._stream("cohort_20", [p.cohort_20_row], [1.0], "batch", (("batch",),))
        self.national_rows = tuple(national)

    def _decide(self, requester: str, affair: str, mode: str, keys: tuple[str, ...], authed: bool) -> tuple[int, ...]:
        """The decision for a request shape, with the record's string columns already encoded."""
        sig = (requester, affair, mode, keys, authed)
        hit = self.cache.get(sig)
        if hit is None:
            d = decide(
                self.policy,
                Request(
                    requester=requester,
                    action="provide",
                    node="center",
                    affair=affair,
                    keys=frozenset(k for k in keys if k != "batch"),
                    items=self.statute.identity_items,
                    mode=mode,
                    operator_authenticated=authed,
                ),
            )
            b = self.buf
            hit = (
                int(d.allowed),
                b.code("requester", requester),
                b.code("level", self.policy.requester_kind(requester)),
                b.code("affair", affair),
                b.code("mode", mode),
                b.code("keys", ",".join(keys)),
                b.code("rule", d.rule or "default-deny"),
                b.code("articles", ",".join(d.articles)),
                b.code("reason", d.reason),
                BODY_OPERATORS + self.body_index.get(requester, len(self.body_index)) * self.per_body,
                self.log.buf.code("action", "provide" if d.allowed else "refuse"),
                int(authed),
            )
            self.cache[sig] = hit
        return hit

    def _stream(
        self, purpose: str, rows: Sequence[str], weights: Sequence[float], mode: str, key_sets: tuple[tuple[str, ...], ...]
    ) -> Stream:
        """A stream's (row, body) pairs (a row's bodies equally likely) and their decisions."""
        pairs = [
            (r, b, w / len(self.statute.rows[r].bodies))
            for r, w in zip(rows, _norm(weights), strict=True)
            for b in self.statute.rows[r].bodies
        ]
        table = np.array([[self._decide(b, r, mode, k, True) for k in key_sets] for r, b, _ in pairs], dtype=np.int64)
        return Stream(purpose, _norm([w for _, _, w in pairs]), table)

    def _residents(self, k: int, t: float, min_age: float | None = None) -> np.ndarray:
        """k living residents at random (aged min_age or more at t if given)."""
        return self.res.sample(self.rng, k, self.res.alive, born_by=None if min_age is None else t - min_age * YEAR_S)

    def _pensioners(self, k: int, t: float) -> np.ndarray:
        """k living residents aged `batch_age` or more at t, and, if `[provision] batch_birth_month_lead` is set,
        born in the calendar month that many months after t's (the existence report fell due in the birth month;
        SIA's notice of 2006: checks by Juki-net from October 2006, those born in December first)."""
        lead = self.cfg.provision.batch_birth_month_lead
        born_by = t - self.batch_age * YEAR_S
        if lead is None:
            return self.res.sample(self.rng, k, self.res.alive, born_by=born_by)
        fy = self.cfg.scenario.fiscal_year
        today = np.datetime64(f"{fy}-04-01") + np.timedelta64(int(t // DAY), "D")
        month = (int(today.astype("datetime64[M]").astype(int)) + lead) % 12
        if self._born_in is None or self._born_in[0] != month:
            days = np.floor(self.res.dob / DAY).astype(np.int64)
            months = (np.datetime64(f"{fy}-04-01") + days.astype("timedelta64[D]")).astype("datetime64[M]").astype(np.int64) % 12
            self._born_in = (month, months == month)  # one mask for the month's cohort, made when the month changes
        return self.res.sample(self.rng, k, self.res.alive, self._born_in[1], born_by=born_by)

    def _record(self, t: np.ndarray, shapes: np.ndarray, who: np.ndarray, purpose: str) -> None:
        """Record n requests: `shapes` holds each one's decision and coded columns (n, SHAPE_COLUMNS)."""
        n = len(t)
        if n == 0:
            return
        col = dict(zip(SHAPE_COLUMNS, shapes.T, strict=True))
        allowed = col["allowed"] == 1
        ops = col["first_operator"] + self.rng.integers(0, self.per_body, n)
        seq = np.arange(self.seq, self.seq + n)
        self.seq += n
        b = self.buf
        levels = {v: k for k, v in b.vocab["level"].items()}
        for code, k in zip(*np.unique(col["level"][allowed], return_counts=True), strict=True):
            key = (levels[int(code)], purpose)
            self.allowed[key] = self.allowed.get(key, 0) + int(k)
        self.refused += int(n - allowed.sum())
        month = self.cal.month_of(float(t[0]))
        self.by_month.setdefault(purpose, np.zeros(12, dtype=np.int64))[month] += n
        codes = self.res.code[who]
        i32 = np.int32
        requesters = list(b.vocab["requester"])  # in code order
        body = np.array([self.hub.index.get(r, len(self.hub.bodies)) for r in requesters], np.int64)[col["requester"]]
        identifier = np.where(allowed, self.hub.translate(body, codes), 0)
        b.append(
            seq=seq,
            time=t,
            requester=col["requester"].astype(i32),
            level=col["level"].astype(i32),
            affair=col["affair"].astype(i32),
            mode=col["mode"].astype(i32),
            keys=col["keys"].astype(i32),
            code=codes,
            identifier=identifier,
            operator=ops.astype(i32),
            allowed=allowed,
            rule=col["rule"].astype(i32),
            articles=col["articles"].astype(i32),
            reason=col["reason"].astype(i32),
            purpose=np.full(n, b.code("purpose", purpose), i32),
            operator_authenticated=col["operator_authenticated"].astype(bool),
        )
        day = (t // DAY).astype(np.int64)
        key = ops * 1000 + day  # one login per operator and day
        uniq, first = np.unique(key, return_index=True)
        for k, i in zip(uniq.tolist(), first.tolist(), strict=True):
            op, d = divmod(k, 1000)
            if self.sessions.get(op) != d:  # the operator logs in with IC card and password (C08)
                self.sessions[op] = d
                self.log.add(
                    float(t[i] // 3600 * 3600), requesters[int(col["requester"][i])], op, "login", 0, -1
                )  # the hour's start
        self.log.extend_coded(t, "center", ops, col["log_action"].astype(i32), codes, seq)

    # -- the desk's process -----------------------------------------------------------------------
    def process(self, env: simpy.Environment, cal: FiscalCalendar, scale: float, n_start: int) -> Generator[Any, Any, None]:
        """Day by day, the center's load from the one generator the load test also uses
        (model.world.workload.Workload, at this scale): interactive lookups, and in the batch window
        the existence checks and, on each month's first business day, the month's 20-year-old
        cohort (real residents of the run).  Each hour's requests are recorded as the hour starts."""
        cfg = self.cfg
        wl = Workload.build(cfg.workload, cfg.scenario.fiscal_year, scale)
        turning_20 = self._turning_20(cal, n_start)
        empty_f, empty_i = np.empty(0), np.empty(0, dtype=np.int64)
        batch = (empty_f, empty_f, empty_i)  # pending batch: existence times, cohort times, cohort rows
        for d in range(cal.n_days):
            t_int = wl.interactive_times(d, self.rng)
            cohort = self._cohort(cal, d, turning_20, int(wl.cohort_per_day[d])) if wl.cohort_per_day[d] else empty_i
            tb = wl.batch_times(d, len(cohort) + int(wl.exist_per_day[d]))
            batch = (
                np.concatenate([batch[0], tb[len(cohort) :]]),
                np.concatenate([batch[1], tb[: len(cohort)]]),
                np.concatenate([batch[2], cohort]),
            )
            for h in range(24):
                t0 = d * DAY + h * HOUR
                yield env.timeout(t0 - env.now)
                end = t0 + HOUR if (d, h) != (cal.n_days - 1, 23) else np.inf  # the year's last hour takes the rest
                i = np.searchsorted(t_int, [t0, end])
                ne, nc = int(np.searchsorted(batch[0], end)), int(np.searchsorted(batch[1], end))
                self.hour(t0, t_int[i[0] : i[1]], batch[0][:ne], batch[1][:nc], batch[2][:nc])
                batch = (batch[0][ne:], batch[1][nc:], batch[2][nc:])

    def _own_use_subjects(self, shapes: np.ndarray, who: np.ndarray, t0: float) -> np.ndarray:
        """`who`, with the subject of an own-use lookup (a body of an annex-5 row) redrawn while it lives in a
        prefecture whose governor made none ([provision] own_use_not_made: Nagano in FY2006)."""
        if not self.no_own_use.any() or not len(self.own_use):
            return who
        bad = np.isin(shapes[:, 1], self.own_use) & self.no_own_use[self.res.muni[who]]
        while bad.any():
            who = who.copy()
            who[bad] = self._residents(int(bad.sum()), t0)
            bad &= self.no_own_use[self.res.muni[who]]
        return who

    def _turning_20(self, cal: FiscalCalendar, n_start: int) -> np.ndarray:
        """The residents at the start who turn 20 during the year (no one born in it will)."""
        age20 = self.res.dob[:n_start] + 20 * YEAR_S
        out: np.ndarray = np.flatnonzero((age20 >= 0) & (age20 < cal.n_days * DAY))
        return out

    def _cohort(self, cal: FiscalCalendar, d: int, turning_20: np.ndarray, n: int) -> np.ndarray:
        """n residents (all, if fewer) who turn 20 during day d's month (the pension body's batch;
        docs/sources.md, "Existence checks"), in row order."""
        days = np.flatnonzero(cal.month == int(cal.month[d]))
        lo, hi = days[0] * DAY, (days[-1] + 1) * DAY
        age20 = self.res.dob[turning_20] + 20 * YEAR_S
        rows: np.ndarray = turning_20[self.res.alive[turning_20] & (age20 >= lo) & (age20 < hi)]
        if len(rows) > n:
            rows = np.sort(self.rng.choice(rows, n, replace=False))
        return rows

    def hour(self, t0: float, t_int: np.ndarray, t_exist: np.ndarray, t_cohort: np.ndarray, cohort: np.ndarray) -> None:
        """One hour of requests starting at t0: interactive ones at times t_int (sorted), existence
        checks at t_exist, the cohort's rows at t_cohort; and the operator errors the center refuses."""
        rng = self.rng
        n_interactive = len(t_int)
        if n_interactive:
            t = t_int
            cat = rng.choice(3, n_interactive, p=self.interactive_share)
            who = self._residents(n_interactive, t0)
            keys = rng.choice(len(self.key_sets), n_interactive, p=self.key_weights)
            for c, stream in enumerate(self.interactive):
                sel = np.flatnonzero(cat == c)
                pair = rng.choice(len(stream.p), len(sel), p=stream.p)
                shapes = stream.table[pair, keys[sel]]
                self._record(t[sel], shapes, self._own_use_subjects(shapes, who[sel], t0), stream.purpose)
            n_err = rng.poisson(self.refusal_rate * n_interactive)
            if n_err:
                self._erroneous(t0, n_err)
        if len(t_exist):
            pair = rng.choice(len(self.existence.p), len(t_exist), p=self.existence.p)
            who = self._pensioners(len(t_exist), t0)  # fewer if the year's cohort holds fewer (a batch_age of 99)
            self._record(t_exist[: len(who)], self.existence.table[pair[: len(who)], 0], who, self.existence.purpose)
        if len(cohort):
            pair = rng.choice(len(self.cohort.p), len(cohort), p=self.cohort.p)
            self._record(t_cohort, self.cohort.table[pair, 0], cohort, self.cohort.purpose)

    def inject(self, t: float, r: Request) -> None:
        """Put one given request (a proof's counterexample, replayed) through the desk."""
        keys = tuple(sorted(r.keys)) if r.mode == "interactive" else ("batch",)
        shape = self._decide(r.requester, r.affair or "", r.mode, keys, r.operator_authenticated)
        self._record(np.array([t]), np.array([shape], dtype=np.int64), self._residents(1, t), "injected")

    def _body(self, row: str) -> str:
        bodies = self.statute.rows[row].bodies
        return bodies[0] if len(bodies) == 1 else bodies[int(self.rng.integers(len(bodies)))]

    def _erroneous(self, t0: float, n: int) -> None:
        """Operator errors the center must refuse (C02, C08, C10) [ASSUMPTION: their rate and kinds]."""
        rng = self.rng
        t: np.ndarray = np.sort(t0 + rng.uniform(0, 3600, n))
        who = self._residents(n, t0)
        for i in range(n):
            kind = ERRORS[int(rng.integers(len(ERRORS)))]
            row = self.national_rows[int(rng.integers(len(self.national_rows)))]
            body = self._body(row)
            keys: tuple[str, ...] = ("code",)
            authed = True
            if kind == "unlisted_affair":
                wrong = [r for r in self.national_rows if body not in self.statute.rows[r].bodies]
                row = wrong[int(rng.integers(len(wrong)))]
            elif kind == "wildcard":
                keys = ("wildcard",)
            else:
                authed = False
            shape = self._decide(body, row, "interactive", keys, authed)
            self._record(t[i : i + 1], np.array([shape], dtype=np.int64), who[i : i + 1], "erroneous")


def _norm(w: object) -> np.ndarray:
    """Weights scaled to sum to 1 (equal weights if all are zero)."""
    a = np.asarray(w, dtype=float)
    return a / a.sum() if a.sum() > 0 else np.full(len(a), 1 / len(a))
