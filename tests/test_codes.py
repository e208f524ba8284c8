"""Resident and municipal codes: check digits, pools, change without reissue (Art. 30-2, 30-3, 30-7; C07)."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from jukinet.model.law.codes import (
    CodeAuthority,
    CodesConfig,
    municipal_code,
    resident_check_digit,
    resident_code,
    valid_resident_code,
)

DATA = Path(__file__).resolve().parent.parent / "model" / "data"


@pytest.mark.parametrize(
    ("code5", "code6"),
    [
        ("13101", "131016"),
        ("01100", "011002"),
        ("14100", "141003"),
        ("27100", "271004"),
        ("40130", "401307"),
        ("27140", "271403"),
        ("22100", "221007"),
    ],
)
def test_municipal_check_digit_known_values(code5: str, code6: str) -> None:
    assert municipal_code(code5) == code6


def test_municipal_check_digit_reproduces_every_fy2006_code() -> None:
    with (DATA / "municipalities.tsv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    assert len(rows) == 1827
    assert all(municipal_code(r["lgcode"][:5]) == r["lgcode"] for r in rows)


@pytest.mark.parametrize(("data", "check"), [("0000000000", 0), ("1234567890", 3), ("9999999999", 5)])
def test_resident_check_digit_hand_computed(data: str, check: int) -> None:
    # 1234567890: weights 2,3,4,5,6,7,2,3,4,5 from the right: sum 195, 195 mod 11 = 8, 11-8 = 3.
    # 9999999999: 9*(2+3+4+5+6+7+2+3+4+5) = 369, 369 mod 11 = 6, 11-6 = 5.
    assert resident_check_digit(data) == check


def test_same_rule_as_individual_number_example() -> None:
    # The published individual-number example 123456789018: the rule that jukinet assumes
    # (docs/sources.md, "Resident codes") applied to 11 digits gives 8.
    digits = "12345678901"
    total = sum(int(d) * (2 + i % 6) for i, d in enumerate(reversed(digits)))
    assert (0 if total % 11 <= 1 else 11 - total % 11) == 8


@given(st.integers(0, 10**10 - 1))
def test_every_code_is_11_digits_and_valid(n: int) -> None:
    code = resident_code(n)
    assert len(code) == 11 and code.isdigit() and valid_resident_code(code)


@given(st.integers(0, 10**10 - 1), st.integers(0, 9), st.integers(1, 9))
def test_single_digit_errors_are_caught(n: int, pos: int, delta: int) -> None:
    code = resident_code(n)
    wrong = code[:pos] + str((int(code[pos]) + delta) % 10) + code[pos + 1 :]

    def rem(data: str) -> int:
        return sum(int(d) * (2 + i % 6) for i, d in enumerate(reversed(data))) % 11

    # mod 11 with a prime modulus sees every single-digit change, except where remainders 0 and 1
    # both map to check digit 0 (the assumed rule's one blind spot).
    if {rem(code[:10]), rem(wrong[:10])} != {0, 1}:
        assert not valid_resident_code(wrong)


def _authority(pops: dict[str, int], seed: int = 1) -> CodeAuthority:
    return CodeAuthority.layout(pops, CodesConfig(block_size=1_000_000, headroom=2.0, seed=seed))


def test_pools_are_disjoint_for_the_whole_country(baseline) -> None:  # type: ignore[no-untyped-def]
    pops = {m.lgcode: m.population for m in baseline.municipalities}
    auth = CodeAuthority.layout(pops, baseline.config.codes)
    seen: set[int] = set()
    for pool in auth.pools.values():
        assert not seen & set(pool.blocks)
        seen |= set(pool.blocks)
        assert pool.capacity >= pops[pool.lgcode] * baseline.config.codes.headroom
    assert len(auth.pools) == 1843  # the units in being as FY2006 starts


@given(
    st.lists(st.tuples(st.sampled_from(["131016", "011002", "472077"]), st.booleans()), min_size=1, max_size=60),
    st.integers(0, 2**32 - 1),
)
def test_issue_and_change_never_reissue(ops: list[tuple[str, bool]], seed: int) -> None:
    auth = _authority({"131016": 50_000, "011002": 30_000, "472077": 200}, seed)
    ever: set[str] = set()
    live: dict[str, list[str]] = {lg: [] for lg, _ in ops}
    for lg, change in ops:
        if change and live[lg]:
            old = live[lg].pop()
            new = auth.change(lg, old)
            assert not auth.resolves(old), "a changed code must stop resolving (C07)"
        else:
            new = auth.issue(lg)
        assert new not in ever, "a code was issued twice (Art. 30-3; C07)"
        assert auth.pools[lg].contains(new), "a code came from another municipality's pool (Art. 30-7)"
        assert auth.resolves(new)
        ever.add(new)
        live[lg].append(new)


def test_changing_a_retired_code_is_refused() -> None:
    auth = _authority({"131016": 1000})
    code = auth.issue("131016")
    auth.change("131016", code)
    with pytest.raises(ValueError, match="not a live code"):
        auth.change("131016", code)


def test_family_members_do_not_get_consecutive_codes() -> None:
    auth = _authority({"131016": 100_000})
    numbers = np.array([int(auth.issue("131016")[:10]) for _ in range(50)])
    assert np.all(np.abs(np.diff(numbers)) > 1)


def test_pools_must_hold_the_years_new_codes_not_only_the_population(scenario_file) -> None:  # type: ignore[no-untyped-def]
    """C07 (Art. 30-3): pools at the loader's minimum hold an ordinary year, but not a year in which every resident
    asks for a new code: Yokohama's pool runs out (the checked fact names it); the old fact, capacity >= population,
    held on both."""
    from jukinet.model.config.scenario import load
    from jukinet.proofs.catalogue import prove

    edge = "[codes]\nblock_size = 1000\nheadroom = 2.0\n"
    (ordinary,) = prove(load(scenario_file(edge)), only=("C07",))[1:]
    assert ordinary.name == "code_pools_are_disjoint" and ordinary.verdict == "CHECKED"
    every = load(scenario_file(edge + "[events]\ncode_changes = 127000000\n", "every.toml"))
    (fact,) = [r for r in prove(every, only=("C07",)) if r.name == "code_pools_are_disjoint"]
    assert fact.verdict == "VIOLATED"
    assert fact.counterexample["tightest_unit"] == "141003" and fact.counterexample["unused_codes_left"] < 0
