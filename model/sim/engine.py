"""Assemble a fiscal-year run from a scenario, run it with simpy, and collect its records.

Residents live in numpy arrays (`Residents`); their events are drawn up front at the scenario's
annual rates (times the scale) and replayed in time order by one simpy process.  Every register
change is decided by the reference evaluator ("notify" at the CS) and travels up the network
as a notification over store-and-forward links; provision requests are drawn and decided hour
by hour (`ProvisionDesk`).  Every access is appended to the access log, which a second
process numbers, hash-chains and writes a simulated day behind (`model.sim.accesslog`).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Generator
from pathlib import Path
from typing import Any

import numpy as np
import simpy

from jukinet.model.config.scenario import Scenario
from jukinet.model.config.timeline import Change, fiscal_year_days
from jukinet.model.law.codes import CodeAuthority, resident_code
from jukinet.model.law.flow import RouteHop
from jukinet.model.law.policy import Request, decide
from jukinet.model.sim.accesslog import AccessLog
from jukinet.model.sim.cardholders import CardHolders
from jukinet.model.sim.counts import Counters, Counts
from jukinet.model.sim.injector import Injector
from jukinet.model.sim.provision import ProvisionDesk
from jukinet.model.sim.records import Buffer, Sink, write_parquet
from jukinet.model.sim.residents import Residents, pick
from jukinet.model.sim.tally import Tally, expected_counts, frozen
from jukinet.model.sim.traffic import Traffic
from jukinet.model.sim.writers import (
    code_changes_table,
    inspections_table,
    links_table,
)
from jukinet.model.world.calendar import DAY, OFFICE, FiscalCalendar

CHANGE_KINDS = ("birth", "death", "move_between", "move_within", "name", "code_change", "card", "social")
PROVISION_FLUSH_ROWS = 1_000_000


class Simulation:
    """One run: build with a scenario, scale and seed; `run()`; read the buffers and counts.  It owns
    the clock, the run's one random generator, the residents and the access log, and composes the
    parts: the counters, the network's traffic, the card holders, the provision desk, the injector."""

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
        self.munis = sc.year_units  # those in being as the year starts, then those a merger establishes later
        self.in_being = len(sc.municipalities)
        self.lg = [m.lgcode for m in self.munis]
        self.merged = dict(cfg.network.merged)  # units merged away so far (model.world.mergers)
        pref_codes = sorted({m.pref for m in self.munis})
        self.pref_of = np.array([pref_codes.index(m.pref) for m in self.munis])
        self.pops = np.array([m.population for m in self.munis], dtype=float)
        self.pops[self.in_being :] = 0.0  # not yet in being: nobody is born or moves there
        self.pref_munis = [np.flatnonzero(self.pref_of == p) for p in range(len(pref_codes))]
        self.muni_cum: list[float] = []  # lists, drawn one at a time (`pick`), refilled in place by a merger
        self.pref_cum: list[list[float]] = [[] for _ in pref_codes]
        self._weights()
        pref_pop = np.array([self.pops[m].sum() for m in self.pref_munis])
        self.pref_weight = pref_pop / pref_pop.sum()
        self.pref_weight_cum = np.cumsum(self.pref_weight).tolist()
        self.auth = CodeAuthority.layout({m.lgcode: m.population for m in self.munis}, cfg.codes, rng=self.rng)
        extra = int((cfg.events.births + max(0.0, cfg.events.social_change)) * scale * 1.5) + 100
        self.res = Residents.build(self.munis, scale, self.auth, self.rng, extra, self.in_being)
        self.n_start = self.res.n
        self.living = np.bincount(self.res.muni[: self.res.n], minlength=len(self.munis)).astype(np.int64)  # residents now
        self.buf = {name: Buffer(name) for name in ("provisions", "cards", "decisions", "route_hops")}
        self.records = records
        self.provision_sink = Sink(records / "provisions.parquet")
        self.log = AccessLog(records / "access_log.parquet", enabled=self.policy.logging, worker=log_worker)
        self.counts = Counts()
        self.counters = Counters(self.cal.n_days, self.lg, cfg.operators.per_cs, self.rng, self.log)
        self.env = simpy.Environment()
        self.traffic = Traffic(
            self.env,
            cfg,
            self.policy,
            self.lg,
            pref_codes,
            self.pref_of,
            self.res.code,
            self.log,
            self.counts,
            self.counters.operator,
            records,
            asked=self._asked(),
        )
        self.code_changes: list[tuple[float, int, int]] = []  # (time, old code, new code): C07, and for disclosure
        self.holders = CardHolders(
            cfg.cards, cfg.scenario.fiscal_year, sc.population, self.rng, self.res, self.counters, self.counts, self.log,
            self.traffic.relay, self.muni_cum, self.buf["cards"]
        )  # fmt: skip
        self.traffic.on_center = self.holders.changed_at_center
        self.desk = ProvisionDesk(sc, self.policy, self.res, self.rng, self.buf["provisions"], self.log)
        self.injector = Injector(self.policy, self.desk, self.log, self.buf["decisions"], self.buf["route_hops"], inject, route)
        self.holders.initial(self.traffic.disconnected, {self.lg.index(lg): v for lg, v in cfg.cards.unit_share.items()})
        self.cards_start = self.holders.held
        for t, row in self.holders.defects(self.lg, self.traffic.disconnected, self.cal.business):  # [[cards.defect]]
            self._at(t, self.holders.exchange, row)

    def _weights(self) -> None:
        """Births and moves drawn by the units' populations: the cumulative weights, refilled in place."""
        self.muni_cum[:] = np.cumsum(self.pops / self.pops.sum()).tolist()
        for p, m in enumerate(self.pref_munis):
            self.pref_cum[p][:] = (np.cumsum(self.pops[m]) / self.pops[m].sum()).tolist()

    def _asked(self) -> np.ndarray | None:
        """Who asked to be withheld, a uniform draw per resident row, if some municipality of the year withholds
        only a share of its residents ([organisation].withholding_share); else None (the generator is untouched)."""
        configs = [self.sc.config] + [dated.config for _, dated in self.sc.timeline]
        if any(0 < v < 1 for c in configs for v in c.organisation.withholding_share.values()):
            return self.rng.random(len(self.res.code))
        return None

    # -- helpers ------------------------------------------------------------------------------
    def _random_living(self) -> int:
        res = self.res
        while True:
            i = int(self.rng.random() * res.n)
            if res.alive[i]:
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
            "social": abs(ev.social_change),  # the register's net social change: entries or removals (_ev_social)
        }
        issued = max(0, c.holders_end - c.holders_start) / self.sc.population * self.n_start  # the year's issuance
        rates["card"] = issued / self.scale  # cumulative issuance grows from holders_start to holders_end
        times, kinds = [], []
        move_w = np.asarray(ev.move_month_weight)[self.cal.month[biz]]
        for k, kind in enumerate(CHANGE_KINDS):
            n = int(self.rng.poisson(rates[kind] * self.scale))
            w = move_w if kind.startswith("move") or kind == "social" else np.ones(len(biz))
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
        self._enter(t, "births", "birth", newborn=True)

    def _ev_death(self, t: float) -> None:
        self._remove(t, "deaths", "death", "death")

    def _ev_social(self, t: float) -> None:
        """The register's net social change (moves abroad, entries and deletions by the municipality; defaults.toml)."""
        if self.sc.config.events.social_change < 0:
            self._remove(t, "social_removals", "move_out", "move")
        else:
            self._enter(t, "social_entries", "move_in", newborn=False)

    def _enter(self, t: float, key: str, change: str, newborn: bool) -> None:
        muni = pick(self.muni_cum, self.rng.random())
        dob = t if newborn else float(self.res.dob[self._random_living()])
        number = self.auth.issue_number(self.lg[muni])
        row = self.res.add(muni, int(resident_code(number)), dob, 1 + int(self.rng.random() < 0.5))
        self.living[muni] += 1
        self.counts.add(key)
        self.counters.visit(t, muni, change)
        self.traffic.notify(t, row, muni, change)

    def _remove(self, t: float, key: str, change: str, why: str) -> None:  # a death, or a removal filed as a move out
        row = self._random_living()
        muni = int(self.res.muni[row])
        self.res.alive[row], self.living[muni] = False, self.living[muni] - 1
        self.counts.add(key)
        self.counters.visit(t, muni, change)
        self.holders.lapse(t, row, why)
        self.traffic.notify(t, row, muni, change)

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
        self.traffic.notify(t, row, old, "move_out")
        self.res.muni[row] = new
        self.living[old] -= 1
        self.living[new] += 1
        self.res.addr_ver[row] += 1
        self.traffic.relay(t, "transfer_notice", new, old, int(self.res.code[row]))  # the move-in notice to the old CS (転入通知)
        self.traffic.notify(t, row, new, "move_in")
        special = self.res.card[row] and new not in self.traffic.disconnected  # a unit out makes no special move
        if special and self.rng.random() < self.sc.config.cards.special_move_share:
            self.holders.pin(t, row)  # the special move-out/move-in with the card (Art. 24-2)
            self.counters.visit(t, new, "special_move")
            self.counts.saved("special_move")
        else:
            self.counters.visit(t, old, "move_out")
            self.counters.visit(t, new, "move_in")
        self.holders.lapse(t, row, "move")  # the card does not survive the move to another municipality

    def _ev_move_within(self, t: float) -> None:
        row = self._random_living()
        self.res.addr_ver[row] += 1
        self.counts.add("moves_within")
        self.counters.visit(t, int(self.res.muni[row]), "move_within")
        self.traffic.notify(t, row, int(self.res.muni[row]), "move_within")

    def _ev_name(self, t: float) -> None:
        row = self._random_living()
        self.res.name_ver[row] += 1
        self.counts.add("name_changes")
        self.counters.visit(t, int(self.res.muni[row]), "name")
        self.traffic.notify(t, row, int(self.res.muni[row]), "name")

    def _ev_code_change(self, t: float) -> None:
        """A resident asks for a new code (Art. 30-3; C07): decided, issued from the pool, old one retired."""
        row = self._random_living()
        muni = int(self.res.muni[row])
        op = self.counters.operator(t, muni)
        d = decide(self.policy, Request(requester=f"resident:{row}", action="change_code", node="cs", subject_is_requester=True))
        if not d.allowed:
            self.counts.add("code_changes_refused")
            return
        old = f"{int(self.res.code[row]):011d}"
        new = self.auth.change(self.lg[muni], old)
        self.res.code[row] = int(new)
        self.code_changes.append((t, int(old), int(new)))
        self.log.add(t, self.counters.cs_node[muni], op, "change_code", int(new), -1)
        self.counts.add("code_changes")
        self.counters.visit(t, muni, "code_change")
        self.traffic.notify(t, row, muni, "code_change")

    def _wide_area_copy(self, t: float, row: int) -> None:
        self.holders.wide_area_copy(t, row, self.traffic.disconnected)

    def _ev_card(self, t: float) -> None:
        self.holders.new_card(t, self.traffic.disconnected)

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
            self.traffic.flush_notes()
            if self.buf["provisions"].rows >= PROVISION_FLUSH_ROWS:
                self.buf["provisions"].flush(self.provision_sink)
            if self.cal.business[d]:
                copies = self.rng.poisson(self.living * ev.copy_requests / biz_days)
                self.counters.copies(d, copies)
                self.counts.add("copies_at_counter", int(copies.sum()))
                res, n = self.res, self.res.n
                k = int(self.rng.poisson(np.count_nonzero(res.alive[:n]) * ev.wide_area_copy_rate / biz_days))  # photo ID or card
                for row, t in zip(
                    res.sample(self.rng, k, res.alive).tolist(), self.rng.uniform(*OFFICE, k).tolist(), strict=True
                ):
                    self._at(d * DAY + t, self._wide_area_copy, row)
                if d in season:
                    k = int(self.rng.poisson(np.count_nonzero(res.jpki[:n] & res.alive[:n]) * c.e_applications / len(season)))
                    for row, t in zip(
                        res.sample(self.rng, k, res.jpki, res.alive).tolist(), self.rng.uniform(0, DAY, k).tolist(), strict=True
                    ):
                        self._at(d * DAY + t, self.holders.e_application, row)
            if self.progress:
                self.progress(1)

    # -- run --------------------------------------------------------------------------------------
    def run(self) -> None:
        self.env.process(self.injector.process(self.env, self.cal, self.res))  # proof counterexamples
        self.env.process(self._residents_process())
        self.env.process(self._days_process())
        self.env.process(self.desk.process(self.env, self.cal, self.scale, self.n_start))
        start = fiscal_year_days(self.sc.config.scenario.fiscal_year)[0]
        for change, dated in self.sc.timeline:  # the year's changes, each on its date (model.config.timeline)
            self.env.timeout((change.date - start).days * DAY).callbacks.append(functools.partial(self._change, change, dated))
        self.env.run()  # runs the year, then drains every link queue

    def _change(self, change: Change, dated: Scenario, _event: object = None) -> None:
        merged = dated.config.network.merged
        for old in [lg for lg in merged if lg not in self.merged]:  # municipalities merge (model.world.mergers)
            self._merge(float(self.env.now), self.lg.index(old), self.lg.index(merged[old]))
        self.merged = dict(merged)
        self.traffic.reconfigure(dated.config)
        if "statute.annex" in change.keys:  # an amendment: the center decides by the rows in force from today
            self.desk.configure(dated.policy, dated.config.statute)
        if "cards.signature_algorithm" in change.keys:  # a new card type
            self.holders.reconfigure(dated.config.cards)
        self.counts.add("timeline_changes")

    def _merge(self, day: float, old: int, new: int) -> None:
        """A municipality merged away (Local Autonomy Act Art. 7): its register becomes its successor's, each
        resident's address now names the successor, and the successor's CS notifies every one of them as an
        address change (Art. 30-5; C16), ex officio in the day's office hours; cards stay valid [ASSUMPTION]."""
        rows = self.res.merge(old, new)
        self.living[new], self.living[old] = self.living[new] + self.living[old], 0
        self.pops[new], self.pops[old] = self.pops[new] + self.pops[old], 0.0
        self._weights()
        self.holders.merge(old, new)
        self.counts.add("units_merged")
        self.counts.add("residents_merged", len(rows))
        times = np.sort(self.rng.uniform(*OFFICE, len(rows))) + day
        for row, t in zip(rows.tolist(), times.tolist(), strict=True):
            self._at(t, functools.partial(self._merger_note, new), row)

    def _merger_note(self, new: int, t: float, row: int) -> None:
        if self.res.alive[row] and self.res.muni[row] == new:  # not dead or moved away since midnight
            self.traffic.notify(t, row, new, "merger")

    def close(self) -> None:
        """Write every record table not yet written into the records folder (model.sim.writers)."""
        self.buf["provisions"].flush(self.provision_sink)
        self.provision_sink.close(Buffer("provisions").to_arrow())
        self.log.close()
        relays = self.traffic.close()
        for name, table in (
            ("counter_visits", self.counters.table()),
            ("relays", relays),
            ("code_changes", code_changes_table(self.code_changes)),
            ("cards", self.buf["cards"].to_arrow()),
            ("decisions", self.buf["decisions"].to_arrow()),
            ("route_hops", self.buf["route_hops"].to_arrow()),
            ("links", links_table(self.sc.graph)),
            ("inspections", inspections_table(self.sc.config.organisation, self.lg)),
        ):
            write_parquet(table, self.records / f"{name}.parquet")

    def tally(self) -> Tally:
        """The run's observables, read from each part's public figures (model.sim.tally)."""
        res, n = self.res, self.res.n
        return Tally(
            fiscal_year=self.cal.fiscal_year,
            scale=self.scale,
            seed=self.seed,
            municipalities=self.in_being,
            residents_start=self.n_start,
            residents_end=int(res.alive[:n].sum()),
            cards_start=self.cards_start,
            cards_end=int(res.card[:n].sum()),
            events=frozen(self.counts.events),
            expected=frozen(expected_counts(self.sc.config.events, self.scale, self.n_start)),
            visits_saved=frozen(self.counts.visits_saved),
            counter_visits=self.counters.total,
            notifications=self.traffic.note_count,
            notifications_by_change=frozen({k: tuple(v) for k, v in self.traffic.note_by_change.items()}),
            cs_to_cs_messages=len(self.traffic.relays),
            link_retries=self.traffic.retries,
            provisions_allowed=frozen(self.desk.allowed),
            provisions_refused=self.desk.refused,
            provision_requests_by_purpose=frozen({k: tuple(int(x) for x in v) for k, v in self.desk.by_month.items()}),
            log_count=self.log.count,
            log_head=self.log.head,
            reconciliation=frozen(self.traffic.reconcile()),
        )
