"""The residents of a run: one row per person in numpy arrays (no Python object per person).

The register of every municipality is the set of rows whose `muni` is that municipality and
`alive` is set.  Names and addresses are not materialised: a person's name is identified by
(row, name_version) and an address by (municipality, address_version), which is all the
network ever needs to compare.
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass

import numpy as np

from jukinet.model.law.codes import CodeAuthority, full_codes
from jukinet.model.world.calendar import YEAR_S
from jukinet.model.world.population import Municipality, simulated_residents

# Age structure of Japan, 2005 census, by 10-year band 0-9 .. 90+ (Statistics Bureau) [ASSUMPTION: the
# rounding to these shares]: used to draw dates of birth.
AGE_SHARES = (0.094, 0.098, 0.120, 0.149, 0.128, 0.146, 0.140, 0.084, 0.038, 0.003)


def pick(cum: list[float], u: float) -> int:
    """The index a uniform draw u in [0, 1) selects from cumulative weights (a scalar searchsorted:
    where a municipality or prefecture is drawn by population, one event at a time)."""
    return min(bisect_left(cum, u), len(cum) - 1)


@dataclass
class Residents:
    """Columns of the resident table; `n` rows are in use."""

    code: np.ndarray  # int64, 11-digit resident code (Art. 30-2)
    muni: np.ndarray  # int32, index into the run's municipality list
    dob: np.ndarray  # float64, date of birth as seconds from the fiscal year's start (negative: before it)
    sex: np.ndarray  # int8, 1 male, 2 female
    alive: np.ndarray  # bool, in a register (False after death)
    name_ver: np.ndarray  # int32, incremented on every name change
    addr_ver: np.ndarray  # int32, incremented on every address change
    card: np.ndarray  # bool, holds a Juki card
    jpki: np.ndarray  # bool, holds a valid JPKI signing certificate
    n: int

    @staticmethod
    def build(
        munis: list[Municipality], scale: float, auth: CodeAuthority, rng: np.random.Generator, extra: int, in_being: int
    ) -> Residents:
        """The initial register at the given scale, with room for `extra` more rows (births): the first `in_being`
        units hold residents; the others are established later in the year (model.world.mergers) and hold none yet."""
        counts = {**simulated_residents(munis[:in_being], scale), **{m.lgcode: 0 for m in munis[in_being:]}}
        numbers = auth.bulk_issue(counts)
        n = sum(counts.values())
        cap = n + extra
        muni = np.zeros(cap, dtype=np.int32)
        code = np.zeros(cap, dtype=np.int64)
        start = 0
        for i, m in enumerate(munis):
            k = counts[m.lgcode]
            muni[start : start + k] = i
            code[start : start + k] = full_codes(numbers[m.lgcode])
            start += k
        band = rng.choice(len(AGE_SHARES), size=n, p=np.asarray(AGE_SHARES) / sum(AGE_SHARES))
        age_years = band * 10 + rng.uniform(0, 10, n)
        dob = np.zeros(cap)
        dob[:n] = -age_years * YEAR_S
        sex = np.zeros(cap, dtype=np.int8)
        sex[:n] = rng.choice(np.array([1, 2], dtype=np.int8), size=n, p=[0.488, 0.512])  # 2005 census sex ratio
        alive = np.zeros(cap, dtype=bool)
        alive[:n] = True
        return Residents(
            code,
            muni,
            dob,
            sex,
            alive,
            np.zeros(cap, np.int32),
            np.zeros(cap, np.int32),
            np.zeros(cap, bool),
            np.zeros(cap, bool),
            n,
        )

    def add(self, muni: int, code: int, dob: float, sex: int) -> int:
        """A newborn's row."""
        i = self.n
        if i >= len(self.code):
            raise RuntimeError("resident table full: raise `extra`")
        self.muni[i], self.code[i], self.dob[i], self.sex[i], self.alive[i] = muni, code, dob, sex, True
        self.n += 1
        return i

    def merge(self, old: int, new: int) -> np.ndarray:
        """Municipality `old` merged into `new`: its living residents' rows, now `new`'s, each with a new address."""
        rows = np.flatnonzero((self.muni[: self.n] == old) & self.alive[: self.n])
        self.muni[rows] = new
        self.addr_ver[rows] += 1
        return rows

    def sample(self, rng: np.random.Generator, k: int, *masks: np.ndarray, born_by: float | None = None) -> np.ndarray:
        """k rows drawn uniformly, with replacement, among the rows where every mask is set (and,
        if `born_by` is given, born by then).

        By rejection, so a draw costs about k / share random look-ups instead of a scan of every
        row; when the rows are rare (or none), it falls back to the scan.
        """
        if k <= 0:
            return np.empty(0, dtype=np.int64)
        out: list[np.ndarray] = []
        got = tried = 0
        share = 0.5
        while got < k and tried < 64 * k + 100_000:
            idx = rng.integers(0, self.n, int((k - got) / share * 1.2) + 16)
            ok = np.ones(len(idx), dtype=bool)
            for m in masks:
                ok &= m[idx]
            if born_by is not None:
                ok &= self.dob[idx] <= born_by
            out.append(idx[ok])
            got += int(ok.sum())
            tried += len(idx)
            share = max(got / tried, 1e-3)
        if got < k:
            conds = [m[: self.n] for m in masks] + ([self.dob[: self.n] <= born_by] if born_by is not None else [])
            rows = np.flatnonzero(np.logical_and.reduce(conds)) if conds else np.arange(self.n)
            return rng.choice(rows, k) if len(rows) else np.empty(0, dtype=np.int64)
        return np.concatenate(out)[:k]
