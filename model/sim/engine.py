"""Assemble a fiscal-year run from a scenario, run it with simpy, and collect its records.

Residents live in numpy arrays (`Residents`); their events are drawn up front at the scenario's
annual rates (times the scale) and replayed in time order by one simpy process.  Every register
change is decided by the reference evaluator ("notify" at the CS) and travels up the network
as a notification over store-and-forward links; provision requests are drawn and decided hour
by hour (`ProvisionDesk`).  Every access is appended to the access log, which a second
process numbers, hash-chains and writes a simulated day behind (`model.sim.accesslog`).
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.parquet as pq
import simpy

from model.config.scenario import Scenario
from model.law.codes import CodeAuthority, resident_code
from model.law.flow import RouteHop
from model.law.policy import Request, decide
from model.sim.accesslog import AccessLog
from model.sim.card import Card, JPKIAuthority
from model.sim.cardholders import CardHolders
from model.sim.injector import Injector
from model.sim.messages import IdentityStore, Link, Notification, Relay
from model.sim.provision import ProvisionDesk
from model.sim.records import VISIT_KINDS, Buffer, Sink
from model.sim.residents import Residents, pick
from model.sim.traffic import NetworkTraffic
from model.sim.writers import (
    code_changes_table,
    inspections_table,
    links_table,
    notifications_batch,
    relays_table,
    visits_table,
)
from model.world.calendar import DAY, HOUR, OFFICE, FiscalCalendar

CHANGE_KINDS = ("birth", "death", "move_between", "move_within", "name", "code_change", "card")
VISIT_INDEX = {k: i for i, k in enumerate(VISIT_KINDS)}
PROVISION_FLUSH_ROWS = 1_000_000


@dataclass
class Counts:
    """Event counters the summary reports."""

    events: dict[str, int] = field(default_factory=dict)
    visits_saved: dict[str, int] = field(default_factory=dict)

    def add(self, key: str, n: int = 1) -> None:
        self.events[key] = self.events.get(key, 0) + n

    def saved(self, key: str, n: int = 1) -> None:
        self.visits_saved[key] = self.visits_saved.get(key, 0) + n


class Simulation(NetworkTraffic, CardHolders):
    """One run: build with a scenario, scale and seed; `run()`; read the buffers and counts."""

    def __init__(
        self,
        sc: Scenario,
        scale: float,
        seed: int,
        records: Path,
        progress: Callable[[int], None] | None = None,
        inject: tuple[Request, ...] = (),
        log_worker: bool = True,
        route: tuple[RouteHop, ...] = (),
    ) -> None:
        cfg = sc.config
        self.sc, self.scale, self.seed, self.progress = sc, scale, seed, progress
        self.rng = np.random.default_rng(seed)
        self.cal = FiscalCalendar.of(cfg.scenario.fiscal_year)
        self.policy = sc.policy
        self.munis = sc.municipalities
        self.lg = [m.lgcode for m in self.munis]
        self.cs_node = [f"cs:{lg}" for lg in self.lg]  # access-log node names
        pref_codes = sorted({m.pref for m in self.munis})
        self.pref_of = np.array([pref_codes.index(m.pref) for m in self.munis])
        self.pref_codes = pref_codes
        self.pref_node = [f"pref:{p}" for p in pref_codes]
        pops = np.array([m.population for m in self.munis], dtype=float)
        self.muni_weight = pops / pops.sum()
        self.muni_cum = np.cumsum(self.muni_weight).tolist()  # lists: drawn from one at a time (`pick`)
        n_pref = len(pref_codes)
        self.pref_munis = [np.flatnonzero(self.pref_of == p) for p in range(n_pref)]
        self.pref_cum = [(np.cumsum(pops[m]) / pops[m].sum()).tolist() for m in self.pref_munis]
        pref_pop = np.array([pops[m].sum() for m in self.pref_munis])
        self.pref_weight = pref_pop / pref_pop.sum()
        self.pref_weight_cum = np.cumsum(self.pref_weight).tolist()
        self.auth = CodeAuthority.layout({m.lgcode: m.population for m in self.munis}, cfg.codes, rng=self.rng)
        extra = int(cfg.events.births * scale * 1.5) + 100
        self.res = Residents.build(self.munis, scale, self.auth, self.rng, extra)
        self.n_start = self.res.n
        self.living = np.bincount(self.res.muni[: self.res.n], minlength=len(self.munis)).astype(np.int64)  # residents now
        self.buf = {name: Buffer(name) for name in ("provisions", "cards", "decisions", "route_hops")}
        self.records = records
        self.provision_sink = Sink(records / "provisions.parquet")
        self.log = AccessLog(records / "access_log.parquet", enabled=self.policy.logging, worker=log_worker)
        self.withholding = {self.lg.index(x) for x in cfg.organisation.withholding}
        self.visits = np.zeros((self.cal.n_days, len(self.munis), len(VISIT_KINDS)), dtype=np.int64)
        self.counts = Counts()
        self.notes: list[Notification] = []  # not yet written: written in id order once settled
        self.note_count = 0
        self.note_by_change: dict[str, list[int]] = {}  # change -> notifications per fiscal month
        self.note_buf = Buffer("notifications")
        self.note_sink = Sink(records / "notifications.parquet")
        self.sessions: dict[int, int] = {}
        self.per_cs = cfg.operators.per_cs
        items = frozenset(self.policy.messages["notification"].items) if "notification" in self.policy.messages else frozenset()
        self.note_items = ",".join(sorted(items))
        self.items = items
        self.pref_store = [IdentityStore(f"pref:{p}", self.policy.stores.get("prefecture", frozenset())) for p in pref_codes]
        self.center_store = IdentityStore("center", self.policy.stores.get("center", frozenset()))
        # the policy does not change during a run: what each CS may notify and each prefecture forward
        notify = [
            Request(requester=n, action="notify", node="cs", items=items, operator_authenticated=True, operator_in_scope=True)
            for n in self.cs_node
        ]
        self.notify_ok = [decide(self.policy, r).allowed and i not in self.withholding for i, r in enumerate(notify)]
        forward = [Request(requester=n, action="forward", node="prefecture", items=items) for n in self.pref_node]
        self.forward_ok = [decide(self.policy, r).allowed for r in forward]
        self.env = simpy.Environment()
        faults = self._faults()
        links = cfg.links
        self.up_cs = [
            Link(self.env, f"cs:{lg}", links.latency_s, links.retry_s, self._at_prefecture, faults.get(f"cs:{lg}", []))
            for lg in self.lg
        ]
        self.up_pref = [
            Link(self.env, f"pref:{p}", links.latency_s, links.retry_s, self._at_center, faults.get(f"pref:{p}", []))
            for p in pref_codes
        ]
        self.down_pref = [
            Link(self.env, f"pref:{p}", links.latency_s, links.retry_s, self._relay_at_prefecture, faults.get(f"pref:{p}", []))
            for p in pref_codes
        ]
        self.down_cs = [
            Link(self.env, f"cs:{lg}", links.latency_s, links.retry_s, self._relay_arrived, faults.get(f"cs:{lg}", []))
            for lg in self.lg
        ]
        self.relays: list[Relay] = []
        self.code_changes: list[tuple[float, int, int]] = []  # (time, old code, new code): C07, and for disclosure
        self.disconnected = {self.lg.index(x) for x in cfg.network.disconnected}
        self.cards: dict[int, Card] = {}
        self.jpki = JPKIAuthority(cfg.scenario.fiscal_year, self.rng, cfg.cards.signature_algorithm)
        self.desk = ProvisionDesk(sc, self.policy, self.res, self.rng, self.buf["provisions"], self.log)
        self.injector = Injector(self.policy, self.desk, self.log, self.buf["decisions"], self.buf["route_hops"], inject, route)
        self._initial_cards()

    # -- set-up -------------------------------------------------------------------------------
    def _faults(self) -> dict[str, list[tuple[float, float]]]:
        start = datetime(self.cal.fiscal_year, 4, 1)
        out: dict[str, list[tuple[float, float]]] = {}
        for f in self.sc.config.links.fault:
            t0 = (datetime.fromisoformat(f.start) - start).total_seconds()
            out.setdefault(f.link, []).append((t0, t0 + f.hours * HOUR))
        return out

    # -- helpers ------------------------------------------------------------------------------
    def _visit(self, t: float, muni: int, kind: str, n: int = 1) -> None:
        self.visits[min(int(t // DAY), self.cal.n_days - 1), muni, VISIT_INDEX[kind]] += n

    def _operator(self, t: float, muni: int) -> int:
        """An authenticated CS operator (IC card and password, once a day; C08)."""
        per = self.per_cs
        op = muni * per + int(self.rng.random() * per)
        day = int(t // DAY)
        if self.sessions.get(op) != day:  # logged in as the counter opens (or at once, if earlier)
            self.sessions[op] = day
            self.log.add(min(t, day * DAY + OFFICE[0] - 60.0), self.cs_node[muni], op, "login", 0, -1)
        return op

    def _random_living(self, holders: bool | None = None) -> int:
        res = self.res
        while True:
            i = int(self.rng.random() * res.n)
            if res.alive[i] and (holders is None or res.card[i] == holders):
                return i

    # -- resident events ----------------------------------------------------------------------
    def _schedule(self) -> tuple[np.ndarray, np.ndarray]:
        """Times and kinds of every resident event of the year, sorted."""
        ev = self.sc.config.events
        c = self.sc.config.cards
        biz = np.flatnonzero(self.cal.business)
        rates = {
            "birth": ev.births,
            "death": ev.deaths,
            "move_between": ev.moves_between,
            "move_within": ev.moves_within,
            "name": ev.name_changes,
            "code_change": ev.code_changes,
        }
        n_end = c.holders_end / self.sc.population * self.n_start
        rates["card"] = max(0.0, (n_end - len(self.cards)) / self.scale)  # calibrated to the end-of-year circulation
        times, kinds = [], []
        move_w = np.asarray(ev.move_month_weight)[self.cal.month[biz]]
        for k, kind in enumerate(CHANGE_KINDS):
            n = int(self.rng.poisson(rates[kind] * self.scale))
            w = move_w if kind.startswith("move") else np.ones(len(biz))
            days = self.rng.choice(biz, n, p=w / w.sum())
            times.append(days * DAY + self.rng.uniform(*OFFICE, n))
            kinds.append(np.full(n, k))
        t = np.concatenate(times)
        order = np.argsort(t, kind="stable")
        return t[order], np.concatenate(kinds)[order]

    def _residents_process(self) -> Generator[Any, Any, None]:
        t_all, k_all = self._schedule()
        handlers = [getattr(self, f"_ev_{kind}") for kind in CHANGE_KINDS]
        env = self.env
        for t, k in zip(t_all.tolist(), k_all.tolist(), strict=True):
            yield env.timeout(t - env.now)
            handlers[k](t)

    def _ev_birth(self, t: float) -> None:
        muni = pick(self.muni_cum, self.rng.random())
        number = self.auth.issue_number(self.lg[muni])
        row = self.res.add(muni, int(resident_code(number)), t, 1 + int(self.rng.random() < 0.5))
        self.living[muni] += 1
        self.counts.add("births")
        self._visit(t, muni, "birth")
        self._notify(t, row, muni, "birth")

    def _ev_death(self, t: float) -> None:
        row = self._random_living()
        self.res.alive[row] = False
        self.living[int(self.res.muni[row])] -= 1
        muni = int(self.res.muni[row])
        self.counts.add("deaths")
        self._visit(t, muni, "death")
        if self.res.card[row]:
            self.res.card[row] = False
            self.res.jpki[row] = False
        self._notify(t, row, muni, "death")

    def _ev_move_between(self, t: float) -> None:
        row = self._random_living()
        old = int(self.res.muni[row])
        pref = int(self.pref_of[old])
        if self.rng.random() < self.sc.config.events.share_between_prefectures:
            while pref == self.pref_of[old]:  # another prefecture, by population
                pref = pick(self.pref_weight_cum, self.rng.random())
        new = old
        while new == old:  # a municipality of that prefecture other than the old one, by population
            k = pick(self.pref_cum[pref], self.rng.random())
            new = int(self.pref_munis[pref][k])
        self.counts.add("moves_between")
        self._notify(t, row, old, "move_out")
        self.res.muni[row] = new
        self.living[old] -= 1
        self.living[new] += 1
        self.res.addr_ver[row] += 1
        self.relay(t, "transfer_notice", new, old, int(self.res.code[row]))  # the move-in notice to the old CS (転入通知)
        self._notify(t, row, new, "move_in")
        if self.res.card[row] and self.rng.random() < self.sc.config.cards.special_move_share:
            self._pin(t, row)
            self._visit(t, new, "special_move")
            self.counts.saved("special_move")
        else:
            self._visit(t, old, "move_out")
            self._visit(t, new, "move_in")

    def _ev_move_within(self, t: float) -> None:
        row = self._random_living()
        self.res.addr_ver[row] += 1
        self.counts.add("moves_within")
        self._visit(t, int(self.res.muni[row]), "move_within")
        self._notify(t, row, int(self.res.muni[row]), "move_within")

    def _ev_name(self, t: float) -> None:
        row = self._random_living()
        self.res.name_ver[row] += 1
        self.counts.add("name_changes")
        self._visit(t, int(self.res.muni[row]), "name")
        self._notify(t, row, int(self.res.muni[row]), "name")

    def _ev_code_change(self, t: float) -> None:
        """A resident asks for a new code (Art. 30-3; C07): decided, issued from the pool, old one retired."""
        row = self._random_living()
        muni = int(self.res.muni[row])
        op = self._operator(t, muni)
        d = decide(self.policy, Request(requester=f"resident:{row}", action="change_code", node="cs", subject_is_requester=True))
        if not d.allowed:
            self.counts.add("code_changes_refused")
            return
        old = f"{int(self.res.code[row]):011d}"
        new = self.auth.change(self.lg[muni], old)
        self.res.code[row] = int(new)
        self.code_changes.append((t, int(old), int(new)))
        self.log.add(t, self.cs_node[muni], op, "change_code", int(new), -1)
        self.counts.add("code_changes")
        self._visit(t, muni, "code_change")
        self._notify(t, row, muni, "code_change")

    def _ev_card(self, t: float) -> None:
        row = self._random_living(holders=False)
        self._issue(row, t)

    # -- daily work: copies, wide-area copies, e-applications, progress -------------------------
    def _at(self, t: float, action: Callable[[float, int], None], row: int) -> None:
        """Do `action(t, row)` when the simulation reaches time t."""
        self.env.timeout(t - self.env.now).callbacks.append(lambda _event: action(t, row))

    def _days_process(self) -> Generator[Any, Any, None]:
        ev = self.sc.config.events
        c = self.sc.config.cards
        biz_days = max(1, int(self.cal.business.sum()))
        season = np.flatnonzero(self.cal.business & np.isin(self.cal.month, (10, 11)))  # February and March (e-Tax)
        for d in range(self.cal.n_days):
            yield self.env.timeout(d * DAY - self.env.now)
            self.log.flush_until(self.env.now - DAY)  # nothing older than a day is still to come
            self._flush_notes()
            if self.buf["provisions"].rows >= PROVISION_FLUSH_ROWS:
                self.buf["provisions"].flush(self.provision_sink)
            if self.cal.business[d]:
                copies = self.rng.poisson(self.living * ev.copy_requests / biz_days)
                self.visits[d, :, VISIT_INDEX["copy"]] += copies
                self.counts.add("copies_at_counter", int(copies.sum()))
                res, n = self.res, self.res.n
                k = int(self.rng.poisson(np.count_nonzero(res.card[:n]) * ev.wide_area_copy_rate / biz_days))
                for row, t in zip(res.sample(self.rng, k, res.card).tolist(), self.rng.uniform(*OFFICE, k).tolist(), strict=True):
                    self._at(d * DAY + t, self._wide_area_copy, row)
                if d in season:
                    k = int(self.rng.poisson(np.count_nonzero(res.jpki[:n] & res.alive[:n]) * c.e_applications / len(season)))
                    for row, t in zip(
                        res.sample(self.rng, k, res.jpki, res.alive).tolist(), self.rng.uniform(0, DAY, k).tolist(), strict=True
                    ):
                        self._at(d * DAY + t, self._e_application, row)
            if self.progress:
                self.progress(1)

    # -- run --------------------------------------------------------------------------------------
    def run(self) -> None:
        self.env.process(self.injector.process(self.env, self.cal, self.res))  # proof counterexamples
        self.env.process(self._residents_process())
        self.env.process(self._days_process())
        self.env.process(self.desk.process(self.env, self.cal, self.scale, self.n_start))
        self.env.run()  # runs the year, then drains every link queue

    def _flush_notes(self, final: bool = False) -> None:
        """Write the settled notifications at the head of the queue (all of them at the end)."""
        k = 0
        while k < len(self.notes) and (final or self.notes[k].settled):
            k += 1
        if k:
            notifications_batch(self.note_buf, self.note_sink, self.lg, self.note_items, self.notes[:k])
            del self.notes[:k]

    def close(self) -> None:
        """Write every record table not yet written into the records folder (model.sim.writers)."""
        self.buf["provisions"].flush(self.provision_sink)
        self.provision_sink.close(Buffer("provisions").to_arrow())
        self.log.close()
        self._flush_notes(final=True)
        self.note_sink.close(Buffer("notifications").to_arrow())
        for name, table in (
            ("counter_visits", visits_table(self.visits, self.lg)),
            ("relays", relays_table(self.relays, self.lg)),
            ("code_changes", code_changes_table(self.code_changes)),
            ("cards", self.buf["cards"].to_arrow()),
            ("decisions", self.buf["decisions"].to_arrow()),
            ("route_hops", self.buf["route_hops"].to_arrow()),
            ("links", links_table(self.sc.graph)),
            ("inspections", inspections_table(self.sc.config.organisation, self.lg)),
        ):
            pq.write_table(table, self.records / f"{name}.parquet")

    def expected(self) -> dict[str, float]:
        ev = self.sc.config.events
        s = self.scale
        return {
            "births": ev.births * s,
            "deaths": ev.deaths * s,
            "moves_between": ev.moves_between * s,
            "moves_within": ev.moves_within * s,
            "name_changes": ev.name_changes * s,
            "code_changes": ev.code_changes * s,
        }
