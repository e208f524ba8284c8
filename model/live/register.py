"""The register the live center serves: the residents a run draws at a scale (model.sim.residents, as
`model.sim.engine.Simulation` draws them: the same code authority, the same generator), with the items a
lookup compares written out.  The simulation never materialises a name or an address (it compares versions);
the live center needs values to index, so each is a synthetic token [ASSUMPTION: synthetic names and
addresses]: a name per resident, an address per household of HOUSEHOLD residents of one municipality.

The server and the load generator draw the same register from (scenario, scale, seed): the generator asks
for residents the store holds without reading the store.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from jukinet.model.config.scenario import Scenario
from jukinet.model.law.codes import CodeAuthority
from jukinet.model.sim.residents import Residents
from jukinet.model.world.calendar import DAY

HOUSEHOLD = 3  # residents per synthetic address [ASSUMPTION: the 2005 census gives 2.55 per household]


@dataclass(frozen=True)
class Register:
    """The identity information of every resident, one entry per row: the six items of the store."""

    code: np.ndarray  # int64, the 11-digit resident code
    name: np.ndarray  # str, a synthetic name token
    address: np.ndarray  # str, a synthetic address: the unit's code and a household number
    dob: np.ndarray  # str, ISO date of birth
    sex: np.ndarray  # int8, 1 male, 2 female
    cs: np.ndarray  # str, the lgcode of the unit whose register holds the resident

    def __len__(self) -> int:
        return len(self.code)

    def row(self, i: int) -> dict[str, str | int]:
        """Resident i's items, as a request would give them as keys."""
        return {
            "code": int(self.code[i]),
            "name": str(self.name[i]),
            "address": str(self.address[i]),
            "dob": str(self.dob[i]),
            "sex": int(self.sex[i]),
        }


def draw(sc: Scenario, scale: float, seed: int) -> Register:
    """The residents of a run of `sc` at `scale` and `seed` as the year starts."""
    rng = np.random.default_rng(seed)
    cfg = sc.config
    munis = sc.year_units
    in_being = len(sc.municipalities)
    auth = CodeAuthority.layout({m.lgcode: m.population for m in munis}, cfg.codes, rng=rng)
    res = Residents.build(munis, scale, auth, rng, 0, in_being)
    n = res.n
    rows = np.arange(n)
    lg = np.array([m.lgcode for m in munis], dtype=object)[res.muni[:n]]
    first = np.zeros(len(munis) + 1, dtype=np.int64)
    np.add.at(first, res.muni[:n].astype(np.int64) + 1, 1)
    within = rows - np.cumsum(first)[res.muni[:n]]  # the row's place in its municipality
    name = np.char.add("N", np.char.zfill(rows.astype(str), 9))
    address = np.char.add(np.char.add(lg.astype(str), "-"), (within // HOUSEHOLD + 1).astype(str))
    start = np.datetime64(f"{cfg.scenario.fiscal_year}-04-01")
    days = np.floor(res.dob[:n] / DAY).astype(np.int64)
    dob = np.datetime_as_string(start + days.astype("timedelta64[D]"), unit="D")
    return Register(res.code[:n].copy(), name, address, dob, res.sex[:n].copy(), lg.astype(str))
