"""A year that changes (issue 11): a scenario's `[[timeline]]` entries change its configuration on
a date, and every command reads the configuration in force on the day it needs.

An entry names its date (up to the fiscal year's last day), what changed and the
source for it, and holds the change as tables keyed like the scenario itself, merged onto the
configuration of the day before by the same rules as a scenario file (model.config.scenario).
A change dated on or before the year's first day is history: it is part of the configuration the
year starts with (so FY2006's timeline serves a FY2007 scenario too):

    [[timeline]]
    date = 2006-09-01
    what = "Yokohama sends every resident to Kanagawa's server"
    source = "Yokohama city, 横浜市の住基ネットに対する取り組みについて"
    organisation.withholding = []

Every command applies the same changes: `jukinet run` on their dates, `jukinet prove` to each
distinct configuration of the year (or the one of `--on DATE`), `jukinet diff` between two dates.
So a change may only touch the keys all three apply (`CHANGEABLE`); others are refused on loading.

An amendment adds, changes or deletes annex rows (`[[timeline.statute.annex]]`, merged by id as in a
scenario file; `remove = true` deletes a row): from its date the center provides for the new rows and
refuses the deleted ones, and the audit judges each provision by the rows in force when it was made.  The
bodies registered must stay those the year starts with (a body's links and operators exist from the start;
a body an amendment brings in is registered from the start with `[[registry.body]]` and no affairs).

An annex row's own days (`in_force_from`, `in_force_until`: model/data/annex.toml) inside the year are dated
changes too (`annex_breakpoints`): from such a day the configuration reads its statute on that day, so a row
ceasing on 2007-09-30 is listed on 2007-09-29 and not on 2007-09-30 (Art. 30-7).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from jukinet.model.core.errors import UserError

# the keys a timeline entry may change: each one the run applies on its date, and prove and diff read
CHANGEABLE = {
    "network": {"disconnected", "merged", "pending"},  # a unit disconnects or connects (C16); municipalities merge
    "organisation": {"withholding", "withholding_share"},  # a municipality starts or stops withholding residents (C16)
    "statute": {"annex"},  # an amendment: annex rows come into force, change or are deleted (C02; rows merge by id)
    "cards": {"signature_algorithm"},  # a new card type: cards issued from the date make keys of this algorithm (JPKI)
}
ENTRY_KEYS = {"date", "what", "source"}


@dataclass(frozen=True)
class Change:
    """One dated change: what it is, its source, the keys it sets (as in a scenario file)."""

    date: dt.date
    what: str
    source: str
    keys: tuple[str, ...]  # e.g. ("organisation.withholding",)
    patch: dict[str, Any]


def fiscal_year_days(fiscal_year: int) -> tuple[dt.date, dt.date]:
    """The first and last day of a Japanese fiscal year (April to March)."""
    return dt.date(fiscal_year, 4, 1), dt.date(fiscal_year + 1, 3, 31)


def layer(inherited: list[tuple[str, dict[str, Any]]], own: Any, source: str) -> list[tuple[str, dict[str, Any]]]:
    """A file's `[[timeline]]` entries merged onto those it builds on, by date: an entry on a date already
    there is merged onto it (`_joined`), `remove = true` drops it, any other is added.  Each entry keeps the
    name of the last file that wrote it."""
    if not isinstance(own, list) or not all(isinstance(e, dict) for e in own):
        raise UserError(source, "timeline", "allowed: an array of tables ([[timeline]] entries)")
    out = list(inherited)
    seen: set[Any] = set()
    for n, entry in enumerate(own):
        e = dict(entry)
        remove = e.pop("remove", False)
        date = e.get("date")
        where = f"timeline[{date if type(date) is dt.date else n}]"
        if type(date) is not dt.date:  # a TOML local date (a datetime, string, list or table is none)
            raise UserError(source, f"{where}.date", f"got {date!r:.60}; allowed: a TOML date such as 2006-09-01")
        if date in seen:
            raise UserError(source, f"{where}.date", "a second entry for this date; allowed: one entry per date")
        seen.add(date)
        if not isinstance(remove, bool):
            raise UserError(source, f"{where}.remove", f"got {remove!r}; allowed: true or false")
        at = [i for i, (_, x) in enumerate(out) if x.get("date") == date]
        if remove:
            if not at:
                known = ", ".join(sorted(str(x.get("date")) for _, x in out)) or "none"
                raise UserError(source, f"{where}.remove", f"no change dated {date} to remove; known: {known}")
            del out[at[0]]
        elif at:  # the same date: merged onto the entry there (a file's change joins, say, a merger of that day)
            for key in ("what", "source"):  # each file says what it changes and why
                if not isinstance(e.get(key), str) or not e[key].strip():
                    raise UserError(source, f"{where}.{key}", "required: a non-empty string")
            if not set(e) - ENTRY_KEYS:
                raise UserError(source, where, "changes nothing; allowed: keys of CHANGEABLE (docs/scenarios.md)")
            out[at[0]] = (source, _joined(out[at[0]][1], e))
        else:
            out.append((source, e))
    return out


def _joined(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """Two entries of one date as one: `what` and `source` joined, tables merged key by key (a key of
    both: the new one's value)."""

    def tables(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
        out = dict(a)
        for k, v in b.items():
            out[k] = tables(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
        return out

    text = {  # a file restating the entry it extends says it once
        k: "; ".join(dict.fromkeys(x for x in (old.get(k), new.get(k)) if isinstance(x, str) and x)) for k in ("what", "source")
    }
    rest = tables({k: v for k, v in old.items() if k not in text}, {k: v for k, v in new.items() if k not in text})
    return {**rest, **{k: v for k, v in text.items() if v}}


def parse(entries: list[tuple[str, dict[str, Any]]], fiscal_year: int) -> tuple[Change, ...]:
    """The timeline entries (each with the file it came from), checked: dates up to the year's last day (a
    change dated on or before its first day is in force as the year starts: `before_year`), one entry per
    date, a `what` and a `source` each, only changeable keys (`CHANGEABLE`); sorted by date."""
    first, last = fiscal_year_days(fiscal_year)
    out: list[Change] = []
    seen: set[dt.date] = set()
    allowed = ", ".join(f"{t}.{k}" for t, ks in CHANGEABLE.items() for k in sorted(ks))
    for n, (source, e) in enumerate(entries):
        date = e.get("date")
        where = f"timeline[{date if type(date) is dt.date else n}]"
        if not isinstance(date, dt.date) or isinstance(date, dt.datetime):
            raise UserError(source, f"{where}.date", f"got {date!r}; allowed: a TOML date such as 2006-09-01")
        if date > last:  # not yet in force in this year
            raise UserError(source, f"{where}.date", f"got {date}; allowed: a day of FY{fiscal_year} or earlier (up to {last})")
        if date in seen:
            raise UserError(source, f"{where}.date", "a second entry for this date; allowed: one entry per date")
        seen.add(date)
        for key in ("what", "source"):
            if not isinstance(e.get(key), str) or not e[key].strip():
                raise UserError(source, f"{where}.{key}", "required: a non-empty string")
        patch = {k: v for k, v in e.items() if k not in ENTRY_KEYS}
        keys = []
        for table, body in patch.items():
            if table not in CHANGEABLE or not isinstance(body, dict):
                raise UserError(source, f"{where}.{table}", f"not changeable on a date; allowed: {allowed}")
            for k in body:
                if k not in CHANGEABLE[table]:
                    raise UserError(source, f"{where}.{table}.{k}", f"not changeable on a date; allowed: {allowed}")
                keys.append(f"{table}.{k}")
        if not keys:
            raise UserError(source, where, f"changes nothing; allowed: {allowed}")
        out.append(Change(date, e["what"].strip(), e["source"].strip(), tuple(keys), patch))
    return tuple(sorted(out, key=lambda c: c.date))


def first_day(data: dict[str, Any]) -> dt.date:
    """The first day of the fiscal year a scenario's data names (its statute is read on it: model.law.statute)."""
    meta = data.get("scenario")
    year = meta.get("fiscal_year", 2006) if isinstance(meta, dict) else 2006
    return fiscal_year_days(year if isinstance(year, int) and 1900 < year < 2100 else 2006)[0]


def before_year(change: Change, fiscal_year: int) -> bool:
    """Whether a change was already in force on the year's first day (so it is part of the start)."""
    return change.date <= fiscal_year_days(fiscal_year)[0]


def parse_date(text: str, option: str) -> dt.date:
    """A date given on the command line (YYYY-MM-DD)."""
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise UserError(option, text, "allowed: a date YYYY-MM-DD") from None


ANNEX_SOURCE = "model/data/annex.toml"  # where the breakpoints of annex rows' own days come from


def _day(value: Any) -> dt.date | None:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    try:
        return dt.date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None  # refused when the row is validated


def annex_breakpoints(changes: tuple[Change, ...], rows: list[Any], fiscal_year: int) -> tuple[Change, ...]:
    """The year's changes with one on each day inside the year (after its first day) that an annex row, of the
    start or of a change, comes into force or ceases: a change with no keys of its own but `statute.annex`, so
    every command reads the rows in force from that day (Art. 30-7; a change of that day is joined)."""
    first, last = fiscal_year_days(fiscal_year)
    rows = [*rows, *(r for ch in changes for r in ch.patch.get("statute", {}).get("annex", []))]
    marks: dict[dt.date, dict[str, list[str]]] = {}
    for r in (r for r in rows if isinstance(r, dict)):
        for key, verb in (("in_force_from", "into force"), ("in_force_until", "ceasing")):
            day = _day(r.get(key))
            if day is not None and first < day <= last:
                marks.setdefault(day, {}).setdefault(verb, []).append(str(r.get("id")))
    out = {c.date: c for c in changes}
    for day, verbs in sorted(marks.items()):
        what = "; ".join(f"annex row(s) {', '.join(dict.fromkeys(ids))} {verb} (Art. 30-7)" for verb, ids in verbs.items())
        source = f"{ANNEX_SOURCE}: the rows' in_force_from / in_force_until, each with its source"
        old = out.get(day)
        if old is None:
            out[day] = Change(day, what, source, ("statute.annex",), {})
        else:
            keys = tuple(dict.fromkeys((*old.keys, "statute.annex")))
            out[day] = Change(day, f"{old.what}; {what}", f"{old.source}; {source}", keys, old.patch)
    return tuple(sorted(out.values(), key=lambda c: c.date))


# per-unit settings that end with the unit: a unit merged away on a day of the year no longer withholds, is
# disconnected or is exempt from that day (what it was before stays in the days before); a file naming a unit gone
# before the year starts (history) is refused
PER_UNIT = (
    ("network", "disconnected"),
    ("organisation", "withholding"),
    ("organisation", "withholding_share"),
    ("organisation", "self_inspection_exempt"),
    ("cards", "unit_share"),
)


def ended_units(data: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    """`data` with the units a dated change merges away dropped from the per-unit settings."""
    gone = set(patch.get("network", {}).get("merged", {}))
    if not gone:
        return data
    out = dict(data)
    for table, key in PER_UNIT:
        value = out.get(table, {}).get(key)
        if isinstance(value, list):
            out[table] = {**out[table], key: [lg for lg in value if lg not in gone]}
        elif isinstance(value, dict):
            out[table] = {**out[table], key: {lg: v for lg, v in value.items() if lg not in gone}}
    return out
