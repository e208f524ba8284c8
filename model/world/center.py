"""The center's configuration for the load test: servers, service times, outage, warm-up."""

from __future__ import annotations

from pydantic import Field

from jukinet.model.core.frozen import Frozen
from jukinet.model.world.workload import ServiceTimes


class Outage(Frozen):
    """The center down for some hours (no service starts) on one day."""

    enabled: bool = False
    day: str = "busiest"  # "busiest" (the busiest business day) or an ISO date inside the fiscal year
    start_hour: float = Field(default=9.0, ge=0, lt=24)
    hours: float = Field(default=4.0, gt=0, le=24)


class CenterConfig(Frozen):
    """The `[center]` section."""

    servers: int = Field(ge=1, le=4096)
    service: ServiceTimes
    outage: Outage = Outage()
    warmup_hours: float = Field(default=0.0, ge=0)
