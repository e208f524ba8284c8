"""Resident codes (住民票コード) and municipal codes (全国地方公共団体コード).

Resident code: 11 digits, 10 random data digits plus a check digit (enforcement rules art. 1).
The check-digit rule was never published; jukinet uses modulus 11 with weights 2..7 repeating
from the rightmost data digit, check = 11 - (sum mod 11), with 10 and 11 mapping to 0
**[ASSUMPTION: the published rule of the 12-digit individual number]** (docs/sources.md, "Resident codes").

Pools (Art. 30-7(1)(2)): every municipality draws from its own set of code blocks; the sets are
disjoint.  A code is issued at random inside the pool (family members do not get consecutive
numbers), changes only on the holder's request (Art. 30-3; C07) and is never reissued.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from pydantic import Field

from jukinet.model.core.frozen import Frozen

DATA_DIGITS = 10
SPACE = 10**DATA_DIGITS


class CodesConfig(Frozen):
    """The `[codes]` section of a scenario."""

    check_digit: str = "mod11-weights2-7"
    # at least 1,000: the layout permutes the 10**10 / block_size blocks (10**7 at 1,000, 80 MB)
    block_size: int = Field(default=1_000_000, ge=1_000, le=SPACE)
    headroom: float = Field(default=3.0, ge=1.0, le=1000.0)  # allowed: 1 .. 1000 (pools of 10**10 codes)
    seed: int = Field(default=20020805, ge=0, lt=2**63)  # a seed of numpy's generator: a non-negative integer


def resident_check_digit(data: str) -> int:
    """Check digit of 10 data digits [ASSUMPTION: individual-number rule; docs/sources.md, "Resident codes"]."""
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


def blocks_needed(populations: dict[str, int], cfg: CodesConfig) -> dict[str, int]:
    """The blocks of codes each unit's pool needs: its population times the headroom, at least one."""
    return {lg: max(1, -(-int(pop * cfg.headroom) // cfg.block_size)) for lg, pop in populations.items()}


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


def check_digits(numbers: np.ndarray) -> np.ndarray:
    """Vectorised `resident_check_digit` over 10-digit data numbers."""
    n = numbers.astype(np.int64)
    total = np.zeros_like(n)
    for i in range(DATA_DIGITS):
        total += (n // 10**i % 10) * (2 + i % 6)
    rem = total % 11
    return np.where(rem <= 1, 0, 11 - rem)


def full_codes(numbers: np.ndarray) -> np.ndarray:
    """The 11-digit resident codes (as integers; print with 11 digits) of 10-digit data numbers."""
    out: np.ndarray = numbers.astype(np.int64) * 10 + check_digits(numbers)
    return out


def code_str(code11: int) -> str:
    return f"{int(code11):011d}"


@dataclass
class CodeAuthority:
    """Issues, changes and retires resident codes for every municipality (Art. 30-2, 30-3, 30-7).

    Every code ever issued, live or retired, is remembered (a sorted array for the codes issued
    in bulk at the start, a set for those issued later), so none is issued twice.
    """

    pools: dict[str, CodePool]
    rng: np.random.Generator
    bulk: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    issued: set[int] = field(default_factory=set)
    retired: set[int] = field(default_factory=set)

    @staticmethod
    def layout(populations: dict[str, int], cfg: CodesConfig, rng: np.random.Generator | None = None) -> CodeAuthority:
        """Lay out disjoint pools sized to each municipality's population times the headroom.

        The layout is drawn from `cfg.seed`; codes are then drawn from `rng` (the run's generator)
        or, without one, from a generator seeded by `cfg.seed` too.
        """
        layout_rng = np.random.default_rng(cfg.seed)
        n_blocks = SPACE // cfg.block_size
        need = blocks_needed(populations, cfg)
        if sum(need.values()) > n_blocks:
            raise ValueError(f"code pools need {sum(need.values())} blocks, only {n_blocks} exist")
        order = layout_rng.permutation(n_blocks)
        pools: dict[str, CodePool] = {}
        start = 0
        for lg in sorted(need):
            chunk = order[start : start + need[lg]]
            pools[lg] = CodePool(lg, tuple(sorted(int(b) for b in chunk)), cfg.block_size)
            start += need[lg]
        return CodeAuthority(pools, rng if rng is not None else layout_rng)

    def _known(self, number: int) -> bool:
        if number in self.issued:
            return True
        i = int(np.searchsorted(self.bulk, number))
        return i < len(self.bulk) and int(self.bulk[i]) == number

    def bulk_issue(self, counts: dict[str, int]) -> dict[str, np.ndarray]:
        """Issue n distinct codes to each municipality at once (the initial register); data numbers.

        Only for an authority that has issued nothing yet.
        """
        if len(self.bulk) or self.issued:
            raise ValueError("bulk_issue is only for the initial register")
        out: dict[str, np.ndarray] = {}
        for lg, n in counts.items():
            pool = self.pools[lg]
            if n > pool.capacity // 2:
                raise PoolExhausted(f"code pool of {lg} cannot hold {n} residents")
            offsets = self.rng.choice(pool.capacity, size=n, replace=False)
            blocks = np.asarray(pool.blocks, dtype=np.int64)[offsets // pool.block_size]
            out[lg] = blocks * pool.block_size + offsets % pool.block_size
        self.bulk = np.sort(np.concatenate(list(out.values()))) if out else self.bulk
        return out

    def issue_number(self, lgcode: str) -> int:
        """A fresh data number from the municipality's pool, never issued before (Art. 30-2)."""
        pool = self.pools[lgcode]
        for _ in range(64):
            block = pool.blocks[int(self.rng.integers(len(pool.blocks)))]
            number = block * pool.block_size + int(self.rng.integers(pool.block_size))
            if not self._known(number):
                self.issued.add(number)
                return number
        raise PoolExhausted(f"code pool of {lgcode} is nearly exhausted")

    def issue(self, lgcode: str) -> str:
        """A fresh 11-digit code from the municipality's pool (Art. 30-2)."""
        return resident_code(self.issue_number(lgcode))

    def change(self, lgcode: str, old: str) -> str:
        """A new code on the holder's request; the old one is retired, never reissued (Art. 30-3; C07)."""
        number = int(old[:10])
        if not self._known(number) or number in self.retired:
            raise ValueError(f"code {old} is not a live code")
        self.retired.add(number)
        return self.issue(lgcode)

    def resolves(self, code: str) -> bool:
        """A code resolves while it is issued and not retired (C07)."""
        number = int(code[:10])
        return valid_resident_code(code) and self._known(number) and number not in self.retired
