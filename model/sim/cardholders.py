"""Card holders in a run: Juki card issuance, PIN checks at the counter, wide-area copies and
JPKI-signed e-applications (a mixin of `model.sim.engine.Simulation`, which holds the state)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from model.sim.card import CardLocked, issue_card
from model.sim.residents import pick
from model.world.calendar import YEAR_S

if TYPE_CHECKING:
    from model.config.scenario import Scenario
    from model.sim.accesslog import AccessLog
    from model.sim.card import Card, JPKIAuthority
    from model.sim.records import Buffer
    from model.sim.residents import Residents


class CardHolders:
    """Behaviour of card holders; the attributes below are the simulation's."""

    sc: Scenario
    rng: np.random.Generator
    res: Residents
    cards: dict[int, Card]
    jpki: JPKIAuthority
    buf: dict[str, Buffer]
    log: AccessLog
    counts: Any
    pref_of: np.ndarray
    lg: list[str]
    cs_node: list[str]

    _visit: Callable[..., None]  # Simulation._visit(t, muni, kind, n=1)
    _operator: Callable[[float, int], int]  # Simulation._operator(t, muni)
    relay: Callable[[float, str, int, int, int], None]  # Simulation.relay(t, kind, src, dst, code)
    muni_cum: list[float]

    def _initial_cards(self) -> None:
        c = self.sc.config.cards
        share = c.holders_start / self.sc.population
        holders = np.flatnonzero(self.rng.random(self.res.n) < share)
        for i in holders:
            self._issue(int(i), -float(self.rng.uniform(0, 2.6)) * YEAR_S, visit=False)

    def _issue(self, row: int, t: float, visit: bool = True) -> None:
        c = self.sc.config.cards
        card = issue_card(
            int(self.res.code[row]), t, c.face_items, c.pin_tries, c.validity_years, self.rng, c.signature_algorithm
        )
        self.cards[row] = card
        self.res.card[row] = True
        detail = "face:" + ",".join(card.face)
        if visit:
            self._visit(t, int(self.res.muni[row]), "card")
            self.buf["cards"].add(time=t, code=int(self.res.code[row]), event="issue", detail=detail)
            self.counts.add("cards_issued")
        if self.rng.random() < c.jpki_share:
            self.res.jpki[row] = True  # certificate made on first use (key generation is the slow part)

    def _pin(self, t: float, row: int) -> bool:
        """The holder enters the PIN at a counter; wrong entries lock the card (C15)."""
        card = self.cards[row]
        c = self.sc.config.cards
        try:
            while True:
                wrong = self.rng.random() < c.pin_error
                ok = card.chip.check_pin("xxxx" if wrong else card.chip._pin)
                if ok:
                    return True
                self.buf["cards"].add(time=t, code=card.chip.code, event="pin_fail", detail="")
        except CardLocked:
            pass
        self.buf["cards"].add(time=t, code=card.chip.code, event="lock", detail=f"{c.pin_tries} wrong PINs")
        card.chip.reset_pin(f"{int(self.rng.integers(10_000)):04d}")
        self.buf["cards"].add(time=t, code=card.chip.code, event="reset", detail="at the counter")
        self._visit(t, int(self.res.muni[row]), "pin_reset")
        self.counts.add("pin_locks")
        return False

    def _wide_area_copy(self, t: float, row: int) -> None:
        """A card holder asks at any municipality for their resident record (Art. 12-2 in FY2006 numbering): the home CS
        sends it over the network to the issuing CS."""
        home = int(self.res.muni[row])
        at = pick(self.muni_cum, self.rng.random())
        self._pin(t, row)
        op = self._operator(t, at)
        self.log.add(t, self.cs_node[at], op, "wide_area_copy", int(self.res.code[row]), -1)
        self.relay(t, "wide_area_copy", home, at, int(self.res.code[row]))
        self._visit(t, at, "wide_area_copy")
        self.counts.add("wide_area_copies")

    def _e_application(self, t: float, row: int) -> None:
        """A JPKI-signed e-application, verified by the receiving body (real signatures)."""
        card = self.cards.get(row)
        if card is None:
            return
        if card.chip.certificate is None:  # made on first use [ASSUMPTION]
            self.jpki.issue(card.chip, t)
            self.buf["cards"].add(time=t, code=card.chip.code, event="jpki_issue", detail="certificate issued")
        data = f"e-application {row} {t:.0f}".encode()
        sig = card.chip.sign(data)
        ok, why = self.jpki.verify(card.chip.certificate, sig, data, t)  # type: ignore[arg-type]
        self.buf["cards"].add(time=t, code=card.chip.code, event="sign", detail="e-application")
        self.buf["cards"].add(time=t, code=card.chip.code, event="verify_ok" if ok else "verify_fail", detail=why)
        self.counts.add("signatures_verified" if ok else "signatures_rejected")
        if ok:
            self.counts.saved("e_application")
