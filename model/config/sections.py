"""Checks of the sections a run's simulation alone reads: the network's faults (`[[links.fault]]`), the cards'
makers' defects (`[[cards.defect]]`) and the units' shares of the card holders (`[cards] unit_share`).  Called by
model.config.checks.semantic_checks; each refusal is one line naming the file and key."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime

from jukinet.model.config.schema import Config
from jukinet.model.core.errors import UserError

MAX_FAULT_WINDOWS = 100_000  # down windows of all faults together: a year of 10-minute flaps on two links


def fault_checks(cfg: Config, source: str, lgcodes: set[str], prefs: set[str]) -> None:
    """`[[links.fault]]`: few enough down windows, a link of the fault's kind whose unit is in the network, a
    local start time in the fiscal year."""
    fy_first, fy_last = date(cfg.scenario.fiscal_year, 4, 1), date(cfg.scenario.fiscal_year + 1, 3, 31)
    windows = sum(f.hours * 60 / f.period_minutes if f.kind == "flap" else 1 for f in cfg.links.fault)
    if windows > MAX_FAULT_WINDOWS:  # each flap period is a window the run holds (model/sim/faults.py)
        raise UserError(
            source,
            "links.fault",
            f"{windows:,.0f} down windows (a flap: hours x 60 / period_minutes each); allowed: at most {MAX_FAULT_WINDOWS:,}",
        )
    for fault in cfg.links.fault:
        kind, _, ident = fault.link.partition(":")
        where = "cs" if kind == "cs" and ident in lgcodes else "pref" if kind == "pref" and ident in prefs else fault.link
        link_ends = ("cs", "pref")
        fault_ends: dict[str, tuple[str, ...]] = {"down": link_ends, "flap": link_ends, "slow": link_ends}
        fault_ends.update(crash=("pref", "center"), poison=("cs",), skew=("cs",))
        if where not in fault_ends[fault.kind]:
            names = {"cs": "'cs:LGCODE'", "pref": "'pref:PP'", "center": "'center'"}
            raise UserError(
                source,
                "links.fault.link",
                f"got {fault.link!r} for a {fault.kind} fault; allowed: {' or '.join(names[w] for w in fault_ends[fault.kind])}",
            )
        gone = set(cfg.network.disconnected) | set(cfg.network.merged)
        if where == "cs" and ident in gone:  # a unit out or merged away as the year starts: no link to fault
            raise UserError(
                source, "links.fault.link", f"got {fault.link!r}: that unit is not in the network; allowed: a connected unit's CS"
            )
        try:
            when = date.fromisoformat(fault.start[:10])
            zoned = datetime.fromisoformat(fault.start).tzinfo is not None
        except ValueError:
            raise UserError(source, "links.fault.start", f"got {fault.start!r}; allowed: 'YYYY-MM-DDTHH:MM'") from None
        if zoned:
            raise UserError(
                source, "links.fault.start", f"got {fault.start!r}; allowed: a local time 'YYYY-MM-DDTHH:MM', no zone"
            )
        if not fy_first <= when <= fy_last:
            span = f"a time in FY{fy_first.year} ({fy_first} .. {fy_last})"
            raise UserError(source, "links.fault.start", f"got {fault.start!r}; allowed: {span}")


def unit_share_checks(cfg: Config, source: str, populations: Mapping[str, int]) -> None:
    """`[cards] unit_share`: units of the year, each share in (0, 1], together at most 1, and no unit asked to hold
    more cards at the year's end than it has residents on the register."""
    shares = cfg.cards.unit_share
    for lg, share in shares.items():
        key = f"cards.unit_share.{lg}"
        if lg not in populations or not 0 < share <= 1:
            raise UserError(source, key, f"got {share!r}; allowed: a 6-digit lgcode of a unit and a share in (0, 1]")
        if share * cfg.cards.holders_end > populations[lg]:
            held = f"{share * cfg.cards.holders_end:,.0f} of cards.holders_end"
            raise UserError(source, key, f"got {share!r}: {held} for {populations[lg]:,} residents; allowed: at most 1 card each")
    if sum(shares.values()) > 1:
        raise UserError(source, "cards.unit_share", f"shares sum to {sum(shares.values()):.4g}; allowed: at most 1")


def defect_checks(cfg: Config, source: str, lgcodes: set[str]) -> None:
    """`[[cards.defect]]`: a name of its own, its units named or counted (not both), and announced by the year's end."""
    last = date(cfg.scenario.fiscal_year + 1, 3, 31)
    seen: set[str] = set()
    for d in cfg.cards.defect:
        key = f"cards.defect[{d.name}]"
        if d.name in seen:
            raise UserError(source, f"{key}.name", "used twice; allowed: one entry per defect")
        seen.add(d.name)
        if bool(d.units) == bool(d.unit_count):
            raise UserError(source, f"{key}.units", "allowed: either units (lgcodes) or unit_count > 0, not both, not neither")
        for lg in d.units:
            if lg not in lgcodes:
                raise UserError(source, f"{key}.units", f"unknown municipality {lg!r}; allowed: 6-digit lgcodes")
        if d.unit_count > len(lgcodes):
            raise UserError(source, f"{key}.unit_count", f"got {d.unit_count}; allowed: at most {len(lgcodes)} units")
        if d.announced > last:
            raise UserError(source, f"{key}.announced", f"got {d.announced}; allowed: a date up to {last}, the year's last day")
