"""Resident codes (住民票コード) and municipal codes (全国地方公共団体コード).

Resident code: 11 digits, 10 random data digits plus a check digit (enforcement rules art. 1).
The check-digit rule was never published; jukinet uses modulus 11 with weights 2..7 repeating
from the rightmost data digit, check = 11 - (sum mod 11), with 10 and 11 mapping to 0
**[ASSUMPTION: the published rule of the 12-digit individual number]** (juki_facts.md s.5).

Pools (Art. 30-7(1)(2)): every municipality draws from its own set of code blocks; the sets are
disjoint.  A code is issued at random inside the pool (family members do not get consecutive
numbers), changes only on the holder's request (Art. 30-3; C07) and is never reissued.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from model.statute import Frozen

DATA_DIGITS = 10
SPACE = 10**DATA_DIGITS


class CodesConfig(Frozen):
    """The `[codes]` section of a scenario."""

    check_digit: str = "mod11-weights2-7"
    block_size: int = 1_000_000
    headroom: float = 3.0
    seed: int = 20020805


def resident_check_digit(data: str) -> int:
    """Check digit of 10 data digits [ASSUMPTION: individual-number rule, juki_facts.md s.5]."""
    if len(data) != DATA_DIGITS or not data.isdigit():
        raise ValueError(f"resident code data must be {DATA_DIGITS} digits, got {data!r}")
    total = sum(int(d) * (2 + i % 6) for i, d in enumerate(reversed(data)))
    rem = total % 11
    return 0 if rem <= 1 else 11 - rem


def resident_code(number: int) -> str:
    """The 11-digit resident code for data number 0 <= number < 10**10."""
    data = f"{number:010d}"
    return data + str(resident_check_digit(data))


def valid_resident_code(code: str) -> bool:
    return len(code) == 11 and code.isdigit() and resident_check_digit(code[:10]) == int(code[10])


def municipal_check_digit(code5: str) -> int:
    """Official check digit of a 5-digit local-government code (e.g. 13101 -> 6)."""
    if len(code5) != 5 or not code5.isdigit():
        raise ValueError(f"municipal code must be 5 digits, got {code5!r}")
    total = sum(int(d) * w for d, w in zip(code5, (6, 5, 4, 3, 2), strict=True))
    return (11 - total % 11) % 10


def municipal_code(code5: str) -> str:
    """The 6-digit municipal code with check digit: 13101 -> 131016."""
    return code5 + str(municipal_check_digit(code5))


class PoolExhausted(RuntimeError):
    pass


@dataclass
class CodePool:
    """One municipality's code pool: a set of blocks of the 10-digit space."""

    lgcode: str
    blocks: tuple[int, ...]
    block_size: int

    def contains(self, code: str) -> bool:
        return int(code[:10]) // self.block_size in self.blocks

    @property
    def capacity(self) -> int:
        return len(self.blocks) * self.block_size


@dataclass
class CodeAuthority:
    """Issues, changes and retires resident codes for every municipality (Art. 30-2, 30-3, 30-7).

    `issued` holds every code ever issued, live or retired, so none is issued twice.
    """

    pools: dict[str, CodePool]
    rng: np.random.Generator
    issued: set[int] = field(default_factory=set)
    retired: set[int] = field(default_factory=set)

    @staticmethod
    def layout(populations: dict[str, int], cfg: CodesConfig) -> CodeAuthority:
        """Lay out disjoint pools sized to each municipality's population times the headroom."""
        rng = np.random.default_rng(cfg.seed)
        n_blocks = SPACE // cfg.block_size
        need = {lg: max(1, -(-int(pop * cfg.headroom) // cfg.block_size)) for lg, pop in populations.items()}
        if sum(need.values()) > n_blocks:
            raise ValueError(f"code pools need {sum(need.values())} blocks, only {n_blocks} exist")
        order = rng.permutation(n_blocks)
        pools: dict[str, CodePool] = {}
        start = 0
        for lg in sorted(need):
            chunk = order[start : start + need[lg]]
            pools[lg] = CodePool(lg, tuple(sorted(int(b) for b in chunk)), cfg.block_size)
            start += need[lg]
        return CodeAuthority(pools, rng)

    def issue(self, lgcode: str) -> str:
        """A fresh code from the municipality's pool, never issued before (Art. 30-2)."""
        pool = self.pools[lgcode]
        for _ in range(64):
            block = pool.blocks[int(self.rng.integers(len(pool.blocks)))]
            number = block * pool.block_size + int(self.rng.integers(pool.block_size))
            if number not in self.issued:
                self.issued.add(number)
                return resident_code(number)
        raise PoolExhausted(f"code pool of {lgcode} is nearly exhausted")

    def change(self, lgcode: str, old: str) -> str:
        """A new code on the holder's request; the old one is retired, never reissued (Art. 30-3; C07)."""
        number = int(old[:10])
        if number not in self.issued or number in self.retired:
            raise ValueError(f"code {old} is not a live code")
        self.retired.add(number)
        return self.issue(lgcode)

    def resolves(self, code: str) -> bool:
        """A code resolves while it is issued and not retired (C07)."""
        number = int(code[:10])
        return valid_resident_code(code) and number in self.issued and number not in self.retired
