"""Card holders in a run: Juki card issuance, PIN checks at the counter, wide-area copies,
JPKI-signed e-applications, certificates revoked when a change reaches the center, and a card maker's
defect (`[[cards.defect]]`: some signatures wrong until the card is exchanged).  A
component of the engine: it owns the cards and the certification body; it reaches other parts
only through what it is given (residents, counters, the network's relay, the access log)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import numpy as np

from jukinet.model.config.settings import CardDefect, CardsConfig
from jukinet.model.sim.accesslog import AccessLog
from jukinet.model.sim.card import Card, CardLocked, JPKIAuthority, KeyPool, issue_card
from jukinet.model.sim.counts import Counters, Counts
from jukinet.model.sim.messages import Notification
from jukinet.model.sim.records import Buffer
from jukinet.model.sim.residents import Residents, pick
from jukinet.model.world.calendar import DAY, YEAR_S

REVOKING = {"death", "move_in", "move_out", "move_within", "name"}  # changes that lapse a JPKI certificate


class CardHolders:
    """Cards and their holders' behaviour."""

    def __init__(
        self,
        cfg: CardsConfig,
        fiscal_year: int,
        population: int,
        rng: np.random.Generator,
        res: Residents,
        counters: Counters,
        counts: Counts,
        log: AccessLog,
        relay: Callable[[float, str, int, int, int], None],
        muni_cum: list[float],
        cards_buf: Buffer,
    ) -> None:
        self.cfg, self.population, self.rng, self.res = cfg, population, rng, res
        self.counters, self.counts, self.log, self.relay, self.muni_cum = counters, counts, log, relay, muni_cum
        self.buf = cards_buf
        self.cards: dict[int, Card] = {}
        self.defective: dict[int, CardDefect] = {}  # row -> the defect its card carries, until exchanged
        self.shares: dict[int, float] = {}  # unit index -> its share of the card holders ([cards] unit_share)
        self.fiscal_year = fiscal_year
        self.jpki = JPKIAuthority(fiscal_year, rng, cfg.signature_algorithm)
        self.keys = KeyPool(cfg.key_pool)  # real keys the chips share ([cards] key_pool [ASSUMPTION])

    def reconfigure(self, cfg: CardsConfig) -> None:
        """A new card type from a date of the scenario's timeline (model.config.timeline): cards issued from
        then on make keys of `cfg.signature_algorithm`; cards already issued keep theirs."""
        self.cfg = cfg

    @property
    def held(self) -> int:
        """Cards held now."""
        return len(self.cards)

    def initial(self, out: set[int], shares: dict[int, float]) -> None:
        """The cards held when the year starts (issued up to 2.6 years before): `holders_start`, the
        cumulative issuance by then, taken as cards held [ASSUMPTION: none lapsed before; not published].
        The units `out` (not connected) issued none (Kunitachi: Art. 30-44 "not executed", MIC 2009), so
        the others' residents hold the cards at a share raised to keep the total; a unit of `shares` (by unit
        index: `[cards] unit_share`) holds its share of them, the other units the rest by population."""
        c, n = self.cfg, self.res.n
        muni = self.res.muni[:n]
        self.shares.update(shares)
        rest = ~np.isin(muni, list(out)) & ~np.isin(muni, list(shares))
        chance = np.zeros(n)
        chance[rest] = c.holders_start * (1 - sum(shares.values())) / self.population * n / max(1, int(rest.sum()))
        for u, share in shares.items():
            mine = muni == u
            if u not in out:
                chance[mine] = share * c.holders_start / self.population * n / max(1, int(mine.sum()))
        for i in np.flatnonzero(self.rng.random(n) < chance):
            self.issue(int(i), -float(self.rng.uniform(0, 2.6)) * YEAR_S, visit=False)

    def merge(self, old: int, new: int) -> None:
        """A unit merged away: its share of the card holders ([cards] unit_share) becomes its successor's, as its
        residents do (else its share would be drawn from a unit with no residents left)."""
        if old in self.shares:
            self.shares[new] = self.shares.get(new, 0.0) + self.shares.pop(old)

    def new_card(self, t: float, out: set[int]) -> None:
        """A card issued at a counter during the year: in a unit of `[cards] unit_share` with its share's chance,
        else in another unit; to a living resident without one, of a connected unit (a unit out issues none)."""
        unit = None
        if self.shares:
            draw, upto = self.rng.random(), 0.0
            for u, share in self.shares.items():
                upto += share
                if draw < upto:
                    unit = u
                    break
        res = self.res

        def eligible(m: int) -> bool:
            return m not in out and (m == unit if unit is not None else m not in self.shares)

        for _ in range(10_000):  # a random row: quick while the unit has residents without a card
            i = int(self.rng.random() * res.n)
            if res.alive[i] and not res.card[i] and eligible(int(res.muni[i])):
                self.issue(i, t)
                return
        n = res.n  # else every row that may take one, or none: a unit whose residents all hold one issues no more
        rows = np.flatnonzero(res.alive[:n] & ~res.card[:n] & np.fromiter(map(eligible, res.muni[:n].tolist()), bool, n))
        if len(rows):
            self.issue(int(rows[int(self.rng.integers(len(rows)))]), t)

    def issue(self, row: int, t: float, visit: bool = True) -> None:
        c = self.cfg
        card = issue_card(
            int(self.res.code[row]), t, c.face_items, c.pin_tries, c.validity_years, self.rng, c.signature_algorithm, self.keys
        )
        self.cards[row] = card
        self.res.card[row] = True
        detail = "face:" + ",".join(card.face)
        if visit:
            self.counters.visit(t, int(self.res.muni[row]), "card")
            self.buf.add(time=t, code=int(self.res.code[row]), event="issue", detail=detail)
            self.counts.add("cards_issued")
        if self.rng.random() < c.jpki_share:
            self.res.jpki[row] = True  # certificate made on first use (key generation is the slow part)

    def defects(self, lg: list[str], out: set[int], business: np.ndarray) -> list[tuple[float, int]]:
        """`[[cards.defect]]`: the cards each maker's defect touched, and when each is exchanged (`defect`); a
        defect given by `unit_count` falls on that many connected units drawn uniformly [ASSUMPTION]."""
        start = dt.date(self.fiscal_year, 4, 1)
        exchanges: list[tuple[float, int]] = []
        for d in self.cfg.defect:
            if d.units:
                units = [lg.index(x) for x in d.units]
            else:
                connected = [i for i in range(len(lg)) if i not in out]
                units = sorted(self.rng.choice(connected, size=min(d.unit_count, len(connected)), replace=False).tolist())
            exchanges += self.defect(d, units, (d.announced - start).days, business)
        return exchanges

    def defect(self, d: CardDefect, units: list[int], first_day: int, business: np.ndarray) -> list[tuple[float, int]]:
        """The cards held now in `units` that carry defect `d` (the run's share of `d.cards`, drawn among them),
        and when each is exchanged: a business day drawn over the `d.exchange_days` from its announcement, which
        is the run's day `first_day` (negative: before the year), at office hours.  A card whose day fell before
        the year was exchanged already and carries nothing; one whose day falls after it carries the defect all
        year.  Only cards held when the year starts [ASSUMPTION: the makers' defective cards were delivered before
        the year, Toshiba's before 2006-01-20, NTT Com's in 2003-08..12]."""
        rows = np.array(sorted(r for r in self.cards if int(self.res.muni[r]) in set(units)), dtype=np.int64)
        k = min(len(rows), round(d.cards * self.res.n / self.population))
        chosen = self.rng.choice(rows, size=k, replace=False) if k else rows[:0]
        days = first_day + self.rng.integers(0, d.exchange_days, size=k)
        hours = self.rng.uniform(9 * 3600, 17 * 3600, size=k)  # the common service hours (docs/sources.md)
        out: list[tuple[float, int]] = []
        for row, day, hour in zip(chosen.tolist(), days.tolist(), hours.tolist(), strict=True):
            if day < 0:
                continue  # exchanged before the year began
            self.defective[row] = d
            self.counts.add("cards_defective")
            later = np.flatnonzero(business[day:])  # empty from a day after the year: defective all year
            if len(later):
                out.append(((day + int(later[0])) * DAY + hour, row))
        return out

    def exchange(self, t: float, row: int) -> None:
        """The holder brings a defective card to the counter and gets a new one of the same holder (same JPKI
        status: a new certificate is made on first use); nothing happens if the card lapsed before."""
        if self.defective.pop(row, None) is None or row not in self.cards:
            return
        c = self.cfg
        self.cards[row] = issue_card(
            int(self.res.code[row]), t, c.face_items, c.pin_tries, c.validity_years, self.rng, c.signature_algorithm, self.keys
        )
        self.counters.visit(t, int(self.res.muni[row]), "card_exchange")
        self.buf.add(time=t, code=int(self.res.code[row]), event="exchange", detail="a maker's defect")
        self.counts.add("cards_exchanged")

    def lapse(self, t: float, row: int, why: str) -> None:
        """The card stops being valid: its holder died, or moved to another municipality (before the 2012
        amendment a card lapsed then; docs/sources.md, "Cards"); a new one may be asked for there."""
        if self.cards.pop(row, None) is None:
            return
        self.defective.pop(row, None)
        self.res.card[row] = False
        self.res.jpki[row] = False
        self.buf.add(time=t, code=int(self.res.code[row]), event="lapse", detail=why)
        self.counts.add(f"cards_lapsed_{why}")

    def pin(self, t: float, row: int) -> bool:
        """The holder enters the PIN at a counter; wrong entries lock the card (C15)."""
        card = self.cards[row]
        c = self.cfg
        try:
            while True:
                wrong = self.rng.random() < c.pin_error
                ok = card.chip.check_pin("xxxx" if wrong else card.chip._pin)
                if ok:
                    return True
                self.buf.add(time=t, code=card.chip.code, event="pin_fail", detail="")
        except CardLocked:
            pass
        self.buf.add(time=t, code=card.chip.code, event="lock", detail=f"{c.pin_tries} wrong PINs")
        card.chip.reset_pin(f"{int(self.rng.integers(10_000)):04d}")
        self.buf.add(time=t, code=card.chip.code, event="reset", detail="at the counter")
        self.counters.visit(t, int(self.res.muni[row]), "pin_reset")
        self.counts.add("pin_locks")
        return False

    def wide_area_copy(self, t: float, row: int, out: set[int] | None = None) -> None:
        """A resident asks at any municipality for their resident record (Art. 12-2 in FY2006 numbering), showing
        an official photo ID (driving licence, passport) or the Juki card with its PIN (Tachikawa and Takahama
        city pages; docs/sources.md): the home CS sends it over the network to the issuing CS.  Drawn as the day
        starts: a resident who died before the hour drawn does not come; a unit `out` neither issues nor sends."""
        home = int(self.res.muni[row])
        at = pick(self.muni_cum, self.rng.random())
        if not self.res.alive[row] or home in (out or ()) or at in (out or ()):
            return
        if row in self.cards:
            self.pin(t, row)
        op = self.counters.operator(t, at)
        self.log.add(t, self.counters.cs_node[at], op, "wide_area_copy", int(self.res.code[row]), -1)
        self.relay(t, "wide_area_copy", home, at, int(self.res.code[row]))
        self.counters.visit(t, at, "wide_area_copy")
        self.counts.add("wide_area_copies")

    def e_application(self, t: float, row: int) -> None:
        """A JPKI-signed e-application, verified by the receiving body (real signatures)."""
        card = self.cards.get(row)
        if card is None:
            return
        if card.chip.certificate is None:  # made on first use [ASSUMPTION]
            self.jpki.issue(card.chip, t)
            self.buf.add(time=t, code=card.chip.code, event="jpki_issue", detail=f"certificate issued ({card.chip.algorithm})")
        data = f"e-application {row} {t:.0f}".encode()
        sig = card.chip.sign(data)
        defect = self.defective.get(row)
        wrong = defect is not None and self.rng.random() < 1 / defect.fail_every
        if wrong:  # the chip's defective software: a wrong signature, which the body's real check rejects
            sig = sig[:-1] + bytes([sig[-1] ^ 0x01])
        ok, why = self.jpki.verify(card.chip.certificate, sig, data, t)  # type: ignore[arg-type]
        if wrong and defect is not None:
            why = f"{why} (defect {defect.name})"
            self.counts.add("signatures_defective")
        self.buf.add(time=t, code=card.chip.code, event="sign", detail="e-application")
        self.buf.add(time=t, code=card.chip.code, event="verify_ok" if ok else "verify_fail", detail=why)
        self.counts.add("signatures_verified" if ok else "signatures_rejected")
        if ok:
            self.counts.saved("e_application")

    def changed_at_center(self, msg: Notification, t: float) -> None:
        """A change reached the center: the certification body revokes the holder's certificate if the
        change lapses it (change notice, Art. 30-11(9))."""
        card = self.cards.get(msg.resident)
        if msg.change in REVOKING and card is not None and card.chip.certificate is not None:
            self.jpki.revoke(card.chip.certificate, t)
            self.buf.add(time=t, code=msg.code, event="revoke", detail=f"{msg.change} reached the center")
            self.counts.add("jpki_revoked")
