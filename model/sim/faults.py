"""Faults of the network in a run, from the scenario's `[[links.fault]]` (each with a window):

- `down` (a CS's or prefecture's link to its parent, both ways): nothing is delivered; senders keep
  their messages and retry;
- `flap`: the same link down for the first half of every `period_minutes`, up for the second;
- `slow`: the link's latency multiplied by `factor`;
- `crash` (a prefecture server or the center): every link into or out of it is down, and the
  acknowledgement of what it received in the last retry interval before the crash is lost, so the
  sender sends it again (the receiver recognises it and stores nothing twice);
- `poison` (a CS): its notifications are garbled; the prefecture server quarantines them, and
  every later one from that CS, until the fix at the window's end, then replays them in order
  (as in March 2013, when prefecture servers stopped accepting a faulty CS update);
- `skew` (a CS): its clock is off by `skew_s` seconds, so its notifications carry wrong times;
  stores order a resident's changes by their sequence number, never by the time they carry.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from datetime import datetime

from jukinet.model.config.schema import Config
from jukinet.model.world.calendar import HOUR


@dataclass
class LinkFaults:
    """What the faults do to one link: down windows (sorted, disjoint or not) and slow windows."""

    down: list[tuple[float, float]] = field(default_factory=list)
    slow: list[tuple[float, float, float]] = field(default_factory=list)

    def add(self, w: Window) -> None:
        """A down, flap or slow window on this link (crashes put the receiver's links down)."""
        if w.kind in ("down", "crash"):
            self.down.append((w.start, w.end))
        elif w.kind == "slow":
            self.slow.append((w.start, w.end, w.factor))
        elif w.kind == "flap":
            t = w.start
            while t < w.end:
                self.down.append((t, min(t + w.period_s / 2, w.end)))
                t += w.period_s
        self.finish()

    def finish(self) -> None:
        self.down.sort()
        self._starts = [a for a, _ in self.down]
        self._ends_max: list[float] = []
        m = float("-inf")
        for _, b in self.down:
            m = max(m, b)
            self._ends_max.append(m)

    def is_up(self, t: float) -> bool:
        i = bisect.bisect_right(self._starts, t)
        return i == 0 or self._ends_max[i - 1] <= t

    def latency_factor(self, t: float) -> float:
        return max((f for a, b, f in self.slow if a <= t < b), default=1.0)


@dataclass(frozen=True)
class Window:
    kind: str
    where: str
    start: float
    end: float
    factor: float
    skew_s: float
    period_s: float


def windows(cfg: Config) -> list[Window]:
    """Each fault's window in seconds since the fiscal year's start."""
    start = datetime(cfg.scenario.fiscal_year, 4, 1)
    out = []
    for f in cfg.links.fault:
        t0 = (datetime.fromisoformat(f.start) - start).total_seconds()
        out.append(Window(f.kind, f.link, t0, t0 + f.hours * HOUR, f.factor, f.skew_s, f.period_minutes * 60))
    return out


def links_of(w: Window, cs_names: list[str], pref_names: list[str], pref_of_cs: list[int]) -> list[tuple[str, str, bool]]:
    """The links a down, flap, slow or crash window acts on, as (direction, node, its receiver crashes);
    direction is "up_cs", "up_pref", "down_pref" or "down_cs", node the sending or receiving end below
    ("cs:LG" or "pref:PP").  Poison and skew act on a CS, not a link: none."""
    if w.kind in ("down", "flap", "slow"):
        up, down = ("up_cs", "down_cs") if w.where.startswith("cs:") else ("up_pref", "down_pref")
        return [(up, w.where, False), (down, w.where, False)]
    if w.kind != "crash":
        return []
    if w.where == "center":
        into = [("up_pref", n) for n in pref_names]
        out_of = [("down_pref", n) for n in pref_names]
    else:
        p = pref_names.index(w.where)
        mine = [n for n, q in zip(cs_names, pref_of_cs, strict=True) if q == p]
        into = [("up_cs", n) for n in mine] + [("down_pref", w.where)]
        out_of = [("up_pref", w.where)] + [("down_cs", n) for n in mine]
    return [(d, n, True) for d, n in into] + [(d, n, False) for d, n in out_of]
