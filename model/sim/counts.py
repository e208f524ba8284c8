"""What a run counts, and the municipal counters: event counters the summary reports (`Counts`),
and the counters' visits and operator logins (`Counters`, C08)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

from jukinet.model.sim.accesslog import AccessLog
from jukinet.model.sim.records import VISIT_KINDS
from jukinet.model.sim.writers import visits_table
from jukinet.model.world.calendar import DAY, OFFICE

VISIT_INDEX = {k: i for i, k in enumerate(VISIT_KINDS)}


@dataclass
class Counts:
    """Event counters the summary reports."""

    events: dict[str, int] = field(default_factory=dict)
    visits_saved: dict[str, int] = field(default_factory=dict)

    def add(self, key: str, n: int = 1) -> None:
        self.events[key] = self.events.get(key, 0) + n

    def saved(self, key: str, n: int = 1) -> None:
        self.visits_saved[key] = self.visits_saved.get(key, 0) + n


class Counters:
    """The municipal counters: residents' visits per day, municipality and kind, and the CS operators
    who serve them (IC card and password, logged in once a day; C08)."""

    def __init__(self, n_days: int, lg: Sequence[str], per_cs: int, rng: np.random.Generator, log: AccessLog) -> None:
        self.n_days, self.per_cs, self.rng, self.log = n_days, per_cs, rng, log
        self.lg = list(lg)
        self.cs_node = [f"cs:{x}" for x in lg]
        self.visits = np.zeros((n_days, len(lg), len(VISIT_KINDS)), dtype=np.int64)
        self.sessions: dict[int, int] = {}

    def visit(self, t: float, muni: int, kind: str, n: int = 1) -> None:
        self.visits[min(int(t // DAY), self.n_days - 1), muni, VISIT_INDEX[kind]] += n

    def copies(self, d: int, per_municipality: np.ndarray) -> None:
        """Day d's resident-record copies at each municipality's counter."""
        self.visits[d, :, VISIT_INDEX["copy"]] += per_municipality

    def table(self) -> pa.Table:
        """The counter_visits record table."""
        return visits_table(self.visits, self.lg)

    @property
    def total(self) -> int:
        return int(self.visits.sum())

    def operator(self, t: float, muni: int) -> int:
        """An authenticated CS operator at this municipality, logged in for the day."""
        per = self.per_cs
        op = muni * per + int(self.rng.random() * per)
        day = int(t // DAY)
        if self.sessions.get(op) != day:  # logged in as the counter opens (or at once, if earlier)
            self.sessions[op] = day
            self.log.add(min(t, day * DAY + OFFICE[0] - 60.0), self.cs_node[muni], op, "login", 0, -1)
        return op
