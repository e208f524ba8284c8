"""What a run will need, checked before it starts: the scale (the one resident every municipality
keeps must not distort it), and the memory, disk and time the run will take, against what this
machine has.  Estimates are fitted to measured runs and labelled as estimates: a 1/100-scale FY2006 year
took 652 MB and 147 MB of records (bench/sim_bench.py); the full-scale year (`jukinet run --scale 1 --no-prove`
under /usr/bin/time -v, 2026-11-27) took 1 h 30 min wall (85 min simulating, RSA-1024 chip keys much of the
last months), 16.5 GB peak memory and 13 GB of records; again on 2026-11-28, with the year's mergers (seed 1):
1 h 29 min 43 s wall and 18.3 GB peak (ru_maxrss 17,831,420 KiB), to which the memory estimate is now fitted."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from jukinet.model.config.scenario import Scenario
from jukinet.model.core.errors import UserError
from jukinet.model.world.population import simulated_residents
from jukinet.model.world.workload import Workload

MAX_DISTORTION = 1.02  # the run's residents at most 2 % above scale x population
# seconds to make one chip key, by [cards].signature_algorithm (python bench/keygen_bench.py on this machine:
# 0.05 ms, 8.9 ms, 57 ms); RSA keys dominate a run's time at large scales (about 150,000 keys at scale 1)
KEYGEN_SECONDS = {"ecdsa-p256": 0.00005, "rsa-1024": 0.009, "rsa-2048": 0.057}
# seconds to prove one configuration of a year (python bench/proofs_bench.py: the FY2006 year's 11 in 28.4 s on
# this machine, 2026-12-06); a timeline of other changes may take longer per configuration
PROVE_SECONDS = 2.6


def proving_text(configurations: int) -> str:
    """What proving a year's configurations will take, for the announcement before a run."""
    return f"about {duration(configurations * PROVE_SECONDS)} at {PROVE_SECONDS} s each (bench/proofs_bench.py)"


GB = 1e9


@dataclass(frozen=True)
class Estimate:
    """A run's expected size (an estimate, not a measurement)."""

    residents: int
    events: int  # resident events, notifications, relays, counter visits and provision requests
    peak_hour_requests: int
    memory_bytes: float
    disk_bytes: float
    seconds: float

    def text(self) -> str:
        return (
            f"estimated need: {self.memory_bytes / GB:.1f} GB memory, {self.disk_bytes / GB:.2f} GB disk, "
            f"about {duration(self.seconds)} ({self.residents:,} residents, {self.events:,} events)"
        )


def duration(s: float) -> str:
    return f"{s:.0f} s" if s < 120 else f"{s / 60:.0f} min" if s < 7200 else f"{s / 3600:.1f} h"


def residents_at(sc: Scenario, scale: float) -> int:
    """Residents a run simulates: every municipality keeps at least one."""
    return sum(simulated_residents(sc.municipalities, scale).values())


def smallest_scale(sc: Scenario) -> float:
    """The smallest of 1, 2, 5 x 10^k at which the one resident every municipality keeps distorts the
    run by at most MAX_DISTORTION."""
    for k in range(-7, 1):
        for m in (1, 2, 5):
            s = m * 10.0**k
            if s <= 1 and residents_at(sc, s) <= MAX_DISTORTION * s * sc.population:
                return s
    return 1.0


def check_scale(sc: Scenario, scale: float, option: str = "--scale") -> None:
    """A scale in [smallest_scale, 1]: finite, positive, and not so small that the floor of one
    resident per municipality makes the run larger than its scale says."""
    if not (np.isfinite(scale) and 0 < scale <= 1) or residents_at(sc, scale) > MAX_DISTORTION * scale * sc.population:
        low = smallest_scale(sc)
        raise UserError(
            option,
            str(scale),
            f"allowed: a number in [{low:g}, 1] (below {low:g} the one resident every municipality keeps outweighs the scale)",
        )


def estimate(sc: Scenario, scale: float) -> Estimate:
    cfg = sc.config
    ev = cfg.events
    residents = residents_at(sc, scale)
    changes = (ev.births + ev.deaths + ev.moves_between + ev.moves_within + ev.name_changes + ev.code_changes) * scale
    copies = ev.copy_requests * residents
    vol = cfg.workload.volume
    provisions = (vol.national + vol.local) * scale
    wl = Workload.build(cfg.workload, cfg.scenario.fiscal_year, scale)
    peak = float(wl.hourly_rate().max())
    events = changes * 3 + copies + provisions  # a change is notified and relayed up two hops
    memory = 0.54 * GB + 136.0 * residents + 400.0 * peak + 40.0 * changes  # 18.3 GB at scale 1, 0.72 GB at 1/100
    disk = 40.0 * residents + 80.0 * (provisions + 3 * changes)
    c = cfg.cards
    held = (c.holders_start + c.holders_end) / 2 / sc.population * residents  # cards held on average
    keys = held * c.jpki_share * (1 - np.exp(-c.e_applications))  # chips that sign at least once: a key each ...
    if c.key_pool:  # ... unless they share a pool of keys (model/sim/card.py KeyPool): at most that many per card type
        keys = min(keys, c.key_pool * len({p.config.cards.signature_algorithm for _, _, p, _ in sc.periods()}))
    spans = [((last - first).days + 1, KEYGEN_SECONDS[p.config.cards.signature_algorithm]) for first, last, p, _ in sc.periods()]
    per_key = sum(d * k for d, k in spans) / sum(d for d, _ in spans)  # a new card type from a date: by its days
    seconds = 5.0 + (changes * 3 + provisions * 2) / 45_000 + keys * per_key  # 5,430 s at scale 1
    return Estimate(residents, int(min(events, 2**62)), int(min(peak, 2**62)), memory, disk, seconds)


def loadtest_memory(sc: Scenario, volume_scale: float) -> float:
    """Bytes the load test holds at once: its busiest day's requests (arrival, service and start times)."""
    wl = Workload.build(sc.config.workload, sc.config.scenario.fiscal_year, volume_scale)
    busiest = float((wl.int_per_day + wl.bat_per_day).max())
    return 0.3 * GB + 120.0 * busiest


def check_memory(need: float, what: str, option: str, allowed: str = "smaller volumes or scale") -> None:
    have = available_memory()
    if need > 0.9 * have:
        raise UserError(
            option, what, f"needs about {need / GB:,.3g} GB of memory and {have / GB:.1f} GB is available; allowed: {allowed}"
        )


def available_memory() -> float:
    """Bytes of memory available now (Linux MemAvailable; else the physical memory)."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return float(line.split()[1]) * 1024
    except OSError:
        pass
    return float(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))


def check_fits(est: Estimate, out: Path, option: str = "--scale") -> None:
    """Refuse a run that would not fit this machine's memory or the output folder's disk."""
    check_memory(est.memory_bytes, f"a run of {est.residents:,} residents and {est.events:,} events", option)
    parent = next((p for p in (out, *out.parents) if p.exists()), Path("."))
    free = shutil.disk_usage(parent).free
    if est.disk_bytes > 0.95 * free:
        raise UserError(
            option,
            f"{est.residents:,} residents",
            f"the run writes about {est.disk_bytes / GB:.1f} GB and {parent} has {free / GB:.1f} GB free; "
            "allowed: a smaller --scale or another --out",
        )
