"""What a run reports, collected in one place: the engine's `tally()` reads each component's
public figures into this immutable record, and the summary (model.report.run) reads only it
(the role of Mesa's DataCollector)."""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from jukinet.model.config.settings import EventsConfig


@dataclass(frozen=True)
class Tally:
    """The observables of a finished run."""

    fiscal_year: int
    scale: float
    seed: int
    municipalities: int
    residents_start: int
    residents_end: int
    cards_start: int
    cards_end: int
    events: MappingProxyType[str, int]  # counted events (births, notifications_at_center, cards_issued, ...)
    expected: MappingProxyType[str, float]  # the expected count of each resident event at this scale
    visits_saved: MappingProxyType[str, int]  # counter visits saved, by reason
    counter_visits: int
    notifications: int
    notifications_by_change: MappingProxyType[str, tuple[int, ...]]  # per fiscal month
    cs_to_cs_messages: int
    link_retries: int
    provisions_allowed: MappingProxyType[tuple[str, str], int]  # (level, purpose) -> provisions made
    provisions_refused: int
    provision_requests_by_purpose: MappingProxyType[str, tuple[int, ...]]  # per fiscal month
    log_count: int
    log_head: bytes
    reconciliation: MappingProxyType[str, Any]  # after the drain: lost, duplicated, stale, ... (Traffic.reconcile)

    def provisions(self, level: str | None = None, purpose: str | None = None) -> int:
        """Provisions made, for a level (national, local) and/or a purpose."""
        return sum(
            k for (lv, pu), k in self.provisions_allowed.items() if (level is None or lv == level) and (purpose in (None, pu))
        )

    def event(self, key: str) -> int:
        return self.events.get(key, 0)


def frozen(d: dict[Any, Any]) -> MappingProxyType[Any, Any]:
    return MappingProxyType(dict(d))


def expected_counts(ev: EventsConfig, scale: float, residents_start: int) -> dict[str, float]:
    """The expected count of each resident event at this scale, and the register's expected size at the year's end."""
    counts = {key: getattr(ev, key) * scale for key in ("births", "deaths", "moves_between", "moves_within")}
    counts |= {"name_changes": ev.name_changes * scale, "code_changes": ev.code_changes * scale}
    counts["social_change"] = ev.social_change * scale
    counts["register_end"] = residents_start + (ev.births - ev.deaths + ev.social_change) * scale
    return counts
