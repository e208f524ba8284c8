"""The Juki card's chip and JPKI: real keys of the configured type sign and verify; a changed
message, another card's signature or a revoked certificate is rejected; an unknown key type is
refused when the scenario loads ([cards].signature_algorithm)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from jukinet.model.config.scenario import load
from jukinet.model.core.errors import UserError
from jukinet.model.sim.card import KEYS, JPKIAuthority, KeyPool, issue_card


@pytest.mark.parametrize("algorithm", KEYS)
def test_signatures_verify_and_tampering_is_caught(algorithm: str) -> None:
    rng = np.random.default_rng(1)
    jpki = JPKIAuthority(2006, rng, algorithm)
    card = issue_card(12345678901, 0.0, ("name",), 3, 10, rng, algorithm)
    other = issue_card(10987654321, 0.0, ("name",), 3, 10, rng, algorithm)
    cert = jpki.issue(card.chip, 0.0)
    jpki.issue(other.chip, 0.0)
    key = cert.public_key()
    assert isinstance(key, rsa.RSAPublicKey if algorithm.startswith("rsa") else ec.EllipticCurvePublicKey)
    if algorithm.startswith("rsa"):
        assert isinstance(key, rsa.RSAPublicKey) and key.key_size == int(algorithm[4:])
    data = b"e-application"
    sig = card.chip.sign(data)
    assert jpki.verify(cert, sig, data, 100.0) == (True, "valid")
    assert jpki.verify(cert, sig, b"e-application, altered", 100.0)[1] == "signature does not verify"
    assert jpki.verify(cert, other.chip.sign(data), data, 100.0)[1] == "signature does not verify"
    jpki.revoke(cert, 50.0)
    assert jpki.verify(cert, sig, data, 100.0) == (False, "certificate revoked (name or address changed)")


def test_an_unknown_signature_algorithm_is_refused(scenario_file: Callable[[str], Path]) -> None:
    with pytest.raises(UserError, match="cards.signature_algorithm: got 'dsa'"):
        load(scenario_file("[cards]\nsignature_algorithm = 'dsa'\n"))


def test_a_key_pool_shares_real_keys_by_slot() -> None:
    """`KeyPool(n)`: chips whose codes fall in one slot (code mod n) share a real key, made once; other slots'
    keys differ, so another slot's signature is still rejected; `KeyPool(0)`: every chip its own key."""
    rng = np.random.default_rng(2)
    pool = KeyPool(4)
    jpki = JPKIAuthority(2006, rng, "ecdsa-p256")
    cards = [issue_card(code, 0.0, ("name",), 3, 10, rng, "ecdsa-p256", pool) for code in (8, 12, 13)]
    certs = [jpki.issue(c.chip, 0.0) for c in cards]
    assert pool.made == 2  # slots 0 (codes 8, 12) and 1 (13)
    data = b"e-application"
    assert jpki.verify(certs[0], cards[1].chip.sign(data), data, 1.0) == (True, "valid")  # one slot, one key
    assert jpki.verify(certs[0], cards[2].chip.sign(data), data, 1.0)[1] == "signature does not verify"
    own = KeyPool(0)
    a, b = (issue_card(c, 0.0, ("name",), 3, 10, rng, "ecdsa-p256", own) for c in (8, 12))
    assert a.chip.public_key().public_numbers() != b.chip.public_key().public_numbers() and own.made == 0


def test_sharing_keys_changes_no_record_of_a_run(scenario_file: Callable[[str], Path], tmp_path: Path) -> None:
    """The pool is an [ASSUMPTION] about time only: a run with every chip its own key (`key_pool = 0`, as the real
    cards) and one with the defaults' pool have the same figures and the same cards table, signatures included."""
    from jukinet.model.report.run import execute

    pooled = execute(load(None), 0.001, 7, tmp_path / "pooled")
    own = execute(load(scenario_file("[cards]\nkey_pool = 0\n")), 0.001, 7, tmp_path / "own")
    assert {k: f["value"] for k, f in pooled["figures"].items()} == {k: f["value"] for k, f in own["figures"].items()}
    assert pooled["figures"]["signatures_verified"]["value"] > 0
    tables = [pq.read_table(p / "records" / "cards.parquet") for p in (tmp_path / "pooled", tmp_path / "own")]
    assert tables[0].equals(tables[1])


MIYAZAKI = "452017"  # Miyazaki city: 133,785 of 2,339,949 cards by 2008-03-31 ([cards] unit_share)


def _miyazaki_share(sc: object, tmp_path: Path, new_cards: int) -> tuple[float, float, float]:
    """(Miyazaki's share of the cards held as the year starts, of `new_cards` issued at the counters, of the residents)."""
    from jukinet.model.sim.engine import Simulation

    sim = Simulation(sc, 0.002, 3, tmp_path, log_worker=False)  # type: ignore[arg-type]
    unit = sim.lg.index(MIYAZAKI)
    held = np.array(list(sim.holders.cards))
    start = float(np.mean(sim.res.muni[held] == unit))
    before = set(sim.holders.cards)
    for _ in range(new_cards):
        sim.holders.new_card(0.0, sim.traffic.disconnected)
    issued = np.array([r for r in sim.holders.cards if r not in before])
    return start, float(np.mean(sim.res.muni[issued] == unit)), float(np.mean(sim.res.muni[: sim.res.n] == unit))


def test_a_unit_with_a_sourced_figure_holds_its_share_of_the_cards(scenario_file: Callable[[str], Path], tmp_path: Path) -> None:
    """[cards] unit_share: Miyazaki city holds 5.72 % of the cards held and issued (binomial bounds at 4.5 sigma),
    twenty times its 0.29 % of the residents; without the entry it holds about its population's share (the mutant
    that draws every card by population fails the first half)."""
    start, issued, residents = _miyazaki_share(load(None), tmp_path / "a", 2000)
    n_start = 914_755 * 0.002
    assert abs(start - 0.0572) <= 4.5 * (0.0572 * 0.9428 / n_start) ** 0.5, start
    assert abs(issued - 0.0572) <= 4.5 * (0.0572 * 0.9428 / 2000) ** 0.5, issued
    assert residents < 0.004
    plain = load(scenario_file("[cards.unit_share]\n"))
    start, issued, residents = _miyazaki_share(plain, tmp_path / "b", 2000)
    assert start < 0.015 and issued < 0.015


def test_a_unit_share_beyond_its_residents_is_refused(scenario_file: Callable[[str], Path]) -> None:
    with pytest.raises(UserError, match=r"cards\.unit_share\.134023.*allowed: at most 1 card each"):
        load(scenario_file('[cards.unit_share]\n"134023" = 0.01\n'))  # Aogashima: 195 residents, 14,138 cards
    with pytest.raises(UserError, match=r"cards\.unit_share: shares sum to 1\.1.*allowed: at most 1"):
        load(scenario_file('[cards.unit_share]\n"131016" = 0.02\n"141003" = 0.5\n"271004" = 0.58\n'))


def test_a_merged_units_card_share_passes_to_its_successor(scenario_file: Callable[[str], Path], tmp_path: Path) -> None:
    """本宮町 (073237) merges into 本宮市 (072141) on 2007-01-01: its share of the card holders goes with its residents,
    so new cards after the merger are drawn in the successor (the mutant that keeps the share on the emptied unit
    finds nobody there and issues none)."""
    from jukinet.model.sim.engine import Simulation

    sc = load(scenario_file('[cards.unit_share]\n"073237" = 0.005\n'))
    sim = Simulation(sc, 0.002, 5, tmp_path, log_worker=False)
    old, new = sim.lg.index("073237"), sim.lg.index("072141")
    sim._merge(0.0, old, new)
    assert sim.holders.shares[new] == 0.005 and old not in sim.holders.shares  # Miyazaki city keeps its own
    before = set(sim.holders.cards)
    for _ in range(4000):
        sim.holders.new_card(0.0, sim.traffic.disconnected)
    issued = [r for r in sim.holders.cards if r not in before]
    assert 7 <= sum(int(sim.res.muni[r]) == new for r in issued) <= 35, len(issued)  # 20 expected
