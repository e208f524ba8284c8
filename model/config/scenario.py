"""Scenarios: TOML files merged onto jukinet's defaults, then validated.

Merge rules (docs/scenarios.md):
- tables merge key by key, recursively; an empty table replaces (clears) the table it is merged onto;
- arrays of tables whose entries have an `id` merge by id: an entry with a known id replaces
  that entry (fields it leaves out keep their default), a new id is appended, and an entry
  with `remove = true` deletes it;
- any other value replaces the default.

Every problem is one `UserError` line naming the file, the key and what is allowed.
"""

from __future__ import annotations

import copy
import datetime as dt
import functools
import hashlib
import json
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import networkx as nx
from pydantic import ValidationError

from jukinet.model.config.checks import pools_fit, semantic_checks, units_in_being
from jukinet.model.config.explain import explain
from jukinet.model.config.lawside import law_side_checks, law_side_touched
from jukinet.model.config.registry import affairs_are_rows, same_bodies
from jukinet.model.config.schema import Config
from jukinet.model.config.shipped import resolve
from jukinet.model.config.timeline import (
    ANNEX_SOURCE,
    Change,
    annex_breakpoints,
    before_year,
    ended_units,
    first_day,
    fiscal_year_days,
)
from jukinet.model.config.timeline import layer as layer_timeline
from jukinet.model.config.timeline import parse as parse_timeline
from jukinet.model.core.errors import UserError
from jukinet.model.data import read_toml
from jukinet.model.law.policy import Policy
from jukinet.model.world.mergers import fold, out_of_being
from jukinet.model.world.population import (
    Municipality,
    PopulationConfig,
    Prefecture,
    build_municipalities,
    load_prefectures,
    unit_rows,
)
from jukinet.model.world.topology import NetworkConfig, build_graph


def default_data() -> dict[str, Any]:
    """The embedded defaults as one plain dict (before any scenario)."""
    data = read_toml("defaults.toml")
    statute = read_toml("statute.toml")
    annex = read_toml("annex.toml")
    statute["annex"] = annex["row"]
    statute["body"] = annex["body"]
    data["statute"] = statute
    data["population"] = read_toml("calibration.toml")
    return data


def merge(base: Any, over: Any, path: str, source: str) -> Any:
    """Merge `over` onto `base` by the rules in the module docstring."""
    if isinstance(base, dict) and isinstance(over, dict):
        if not over:  # an empty table clears: `withholding_share = {}`
            return {}
        out = dict(base)
        for k, v in over.items():
            out[k] = merge(base[k], v, f"{path}.{k}" if path else k, source) if k in base else v
        return out
    if isinstance(base, list) and isinstance(over, list) and all(isinstance(x, dict) and "id" in x for x in base + over):
        out_list = [dict(x) for x in base]
        index = {x["id"]: i for i, x in enumerate(out_list)}
        removed: set[int] = set()
        seen: set[object] = set()
        for entry in over:
            entry = dict(entry)
            if not isinstance(entry["id"], str):
                raise UserError(source, f"{path}.id", f"got {entry['id']!r}; allowed: a string")
            if entry["id"] in seen:
                raise UserError(source, f"{path}[{entry['id']}]", "the same id twice in one file; allowed: each id once")
            seen.add(entry["id"])
            remove = entry.pop("remove", False)
            if not isinstance(remove, bool):
                raise UserError(source, f"{path}[{entry['id']}].remove", f"expected true or false, got {remove!r}")
            if entry["id"] in index:
                i = index[entry["id"]]
                if remove:
                    removed.add(i)
                else:
                    out_list[i] = {**out_list[i], **entry}
            elif remove:
                raise UserError(
                    source, f"{path}[{entry['id']}]", f"cannot remove unknown id; known: {', '.join(sorted(index))[:300]}"
                )
            else:
                index[entry["id"]] = len(out_list)
                out_list.append(entry)
        return [x for i, x in enumerate(out_list) if i not in removed]
    return copy.deepcopy(over)


MAX_EXTENDS = 8  # files in one chain of `[scenario] extends`


def _read(p: Path) -> tuple[dict[str, Any], bytes]:
    source = str(p)
    if p.exists() and not p.is_file():  # a folder, a FIFO, a device: reading would fail or block for ever
        raise UserError(source, "-", "not a regular file; allowed: a scenario file (.toml)")
    try:
        raw = p.read_bytes()
    except FileNotFoundError:
        raise UserError(source, "-", "no such file, nor a shipped scenario of that name (jukinet scenarios lists them)") from None
    except OSError as exc:
        raise UserError(source, "-", f"cannot read scenario file ({exc.strerror})") from None
    try:
        return tomllib.loads(raw.decode("utf-8")), raw
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise UserError(source, "-", f"not valid TOML: {exc}") from None
    except RecursionError:
        raise UserError(source, "-", "nested too deeply to read; allowed: a scenario as docs/scenarios.md describes") from None


def _layers(path: Path) -> list[tuple[str, dict[str, Any], bytes]]:
    """The file and the files it extends, base first: `[scenario] extends = "other.toml"` (relative to
    the file) merges the file onto that scenario instead of straight onto the defaults."""
    chain: list[tuple[str, dict[str, Any], bytes]] = []
    seen: set[Path] = set()
    p: Path | None = path
    while p is not None:
        over, raw = _read(p)
        seen.add(p.resolve())
        meta = over.get("scenario")
        parent = meta.pop("extends", None) if isinstance(meta, dict) else None
        if meta == {}:  # only `extends`: nothing to merge (an empty table would clear [scenario])
            del over["scenario"]
        chain.append((str(p), over, raw))
        if parent is None:
            break
        if not isinstance(parent, str) or not parent.endswith(".toml"):
            raise UserError(str(p), "scenario.extends", f"got {parent!r}; allowed: the path of a scenario .toml file")
        nxt = (p.parent / parent).resolve()
        if nxt in seen:
            raise UserError(str(p), "scenario.extends", f"{parent!r} extends this file again; allowed: a chain without a loop")
        if len(chain) >= MAX_EXTENDS:
            raise UserError(str(p), "scenario.extends", f"more than {MAX_EXTENDS} files in one chain; allowed: {MAX_EXTENDS}")
        if not nxt.is_file():
            raise UserError(str(p), "scenario.extends", f"no scenario file {nxt}; allowed: a path relative to this file")
        p = nxt
    return chain[::-1]


def load(path: str | Path | None = None) -> Scenario:
    """Load a scenario file (or the embedded defaults when path is None), merged and validated.

    The defaults and a scenario may carry a `[[timeline]]`; a file's entries merge by date onto those it
    builds on (`remove = true` drops one). Changes dated on or before the year's first day are part of the
    configuration the year starts with; the others are applied on their dates."""
    data = default_data()
    entries = layer_timeline([], data.pop("timeline", []), "defaults")
    source = "defaults"
    layers = _layers(resolve(path)) if path is not None else []  # a file, or a shipped scenario by name
    raw = layers[-1][2] if layers else b""  # the file's own bytes (copied into a run folder)
    allowed = ", ".join(sorted([*data, "timeline"]))
    cfg = _validated(data, source, units=False) if path is None else None
    defaults, act = data, None
    setters: list[tuple[str, dict[str, Any]]] = [("defaults", data)]  # who set what, for units_in_being's refusal
    for source, layer, _ in layers:
        over = dict(layer)
        own = over.pop("timeline", [])
        unknown = sorted(set(over) - set(data))
        if unknown:
            raise UserError(source, unknown[0], f"unknown key; allowed: {allowed}")
        if act is None and law_side_touched(over):
            act = _validated(defaults, "defaults").statute  # the Act's law side, validated once, when a file reaches it
        data = merge(data, over, "", source)
        setters.append((source, over))
        cfg = _validated(data, source, units=False)  # each file of a chain checked as it is merged
        if act is not None:
            law_side_checks(cfg.statute, act, source)
        entries = layer_timeline(entries, own, source)
    assert cfg is not None
    fiscal_year = cfg.scenario.fiscal_year
    changes = annex_breakpoints(parse_timeline(entries, fiscal_year), data["statute"]["annex"], fiscal_year)
    origin = {e.get("date"): src for src, e in entries}  # an annex row's own day: ANNEX_SOURCE, or the file dating it
    for who, part in reversed(setters[1:]):  # the last file to date a row
        for row in part.get("statute", {}).get("annex", []) if isinstance(part.get("statute"), dict) else []:
            for key in ("in_force_from", "in_force_until"):
                if isinstance(row, dict) and isinstance(row.get(key), dt.date):
                    origin.setdefault(row[key], who)
    dated: list[tuple[Change, Scenario]] = []
    start, prev = data, cfg
    for ch in changes:  # each change onto the configuration of the day before
        where, esource = f"timeline[{ch.date}]", origin.get(ch.date, ANNEX_SOURCE)
        data = merge(data, ch.patch, where, esource) if ch.patch else data
        history = before_year(ch, fiscal_year)
        data = data if history else ended_units(data, ch.patch)  # history: a unit already gone is refused
        if history:
            setters.append((esource, ch.patch))
        elif not dated:  # the first change inside the year: the year's start is complete
            units_in_being(cfg, _setter(setters))
        try:  # the statute read on the change's day (the year's first, for history): model.law.statute
            day_cfg = _validated(data, esource, max(ch.date, fiscal_year_days(fiscal_year)[0]), units=not history)
        except UserError as e:
            raise UserError(esource, f"{where}.{e.key}", e.message) from None
        _merges_stay(prev, day_cfg, esource, where)
        prev = day_cfg
        if history:
            cfg, start = day_cfg, data  # in force as the year starts
        else:
            dated.append((ch, Scenario(day_cfg, source, _digest(data), raw, start_network=cfg.network)))
    if not dated:
        units_in_being(cfg, _setter(setters))
    digest = _digest(start) if not dated else _digest({"start": start, "timeline": [(str(c.date), c.patch) for c, _ in dated]})
    sc = Scenario(cfg, source, digest, raw, tuple(dated))
    same_bodies(set(sc.policy.bodies), [(c, set(d.policy.bodies)) for c, d in dated], origin)  # the policies every command uses
    affairs_are_rows(cfg, [(c, d.config) for c, d in dated], setters, source)
    pools_fit({m.lgcode: m.population for m in sc.municipalities}, sc.config, sc.source)
    return sc


def _setter(setters: list[tuple[str, dict[str, Any]]]) -> Callable[[str, str], str]:
    """The file (or history entry's file) that last named a unit under a per-unit key (`network.disconnected`, ...)."""

    def source_of(key: str, lgcode: str) -> str:
        table, _, name = key.partition(".")
        for who, part in reversed(setters):
            value = part.get(table, {}).get(name) if isinstance(part.get(table), dict) else None
            if isinstance(value, (list, dict)) and lgcode in value:
                return str(who)
        return setters[0][0]

    return source_of


def _merges_stay(before: Config, after: Config, source: str, where: str) -> None:
    """A merger is not undone: a unit merged away stays merged into the same unit, and a unit once established
    is not pending again (model.world.mergers)."""
    b, a = before.network, after.network
    for lg, to in b.merged.items():
        if a.merged.get(lg) != to:
            raise UserError(source, f"{where}.network.merged.{lg}", f"merged into {to!r} before; allowed: a merger is not undone")
    back = sorted(set(a.pending) - set(b.pending))
    if back:
        raise UserError(source, f"{where}.network.pending", f"{back[0]!r} was in being before; allowed: units still pending")


def _validated(data: dict[str, Any], source: str, day: dt.date | None = None, units: bool = True) -> Config:
    """`data` checked as a configuration, its statute read on `day` (None: the fiscal year's first day)."""
    statute = data.get("statute")
    if isinstance(statute, dict) and "as_of" in statute:
        raise UserError(source, "statute.as_of", "set by jukinet (the year's first day or a change's); allowed: leave it out")
    dated = {**data, "statute": {**statute, "as_of": str(day or first_day(data))}} if isinstance(statute, dict) else data
    try:  # TOML dates (an annex row's in_force_from) as ISO strings
        cfg = Config.model_validate_json(json.dumps(dated, ensure_ascii=False, default=str))
    except ValidationError as err:
        raise explain(err, data, source) from None
    semantic_checks(cfg, source, units)
    return cfg


def _digest(data: Any) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True, ensure_ascii=False, default=str).encode()).hexdigest()


@dataclass(frozen=True)
class Scenario:
    """A validated scenario and what is built from it."""

    config: Config
    source: str
    hash: str
    raw: bytes
    timeline: tuple[tuple[Change, Scenario], ...] = ()  # each dated change and the scenario from that day
    start_network: NetworkConfig | None = None  # a dated scenario's: the units in being as its year starts

    def on(self, day: dt.date) -> Scenario:
        """The scenario in force on a day (the last change on or before it; before any: this one)."""
        now = self
        for ch, sc in self.timeline:
            if ch.date <= day:
                now = sc
        return now

    def periods(self) -> list[tuple[dt.date, dt.date, Scenario, Change | None]]:
        """The fiscal year cut at each change: (first day, last day, the scenario in force, the change
        that began it, None for the first)."""
        first, last = fiscal_year_days(self.config.scenario.fiscal_year)
        starts: list[tuple[dt.date, Scenario, Change | None]] = [(first, self, None)]
        starts += [(ch.date, sc, ch) for ch, sc in self.timeline]
        ends = [d - dt.timedelta(days=1) for d, _, _ in starts[1:]] + [last]
        return [(d, e, sc, ch) for (d, sc, ch), e in zip(starts, ends, strict=True)]

    @cached_property
    def policy(self) -> Policy:
        return Policy.build(self.config.policy, self.config.registry, self.config.statute)

    @cached_property
    def prefectures(self) -> list[Prefecture]:
        return load_prefectures(self.config.population.resident_register)

    @cached_property
    def municipalities(self) -> list[Municipality]:
        """The units in being under this configuration, with the register's populations as the year starts
        (a merged unit's in its successor's: model.world.mergers)."""
        start = self.start_network or self.config.network
        munis = list(_start_units(self.config.population.model_dump_json(), frozenset(out_of_being(start.merged, start.pending))))
        if self.start_network is None:
            return munis
        return fold(munis, unit_rows(), self.config.network.merged, self.config.network.pending)

    @cached_property
    def year_units(self) -> list[Municipality]:
        """Every unit in being on some day of the year, a run's units: those of the start, then each a merger
        establishes later (with the populations merged into it by the year's end, for its code pool)."""
        units = {m.lgcode: m for m in self.municipalities}
        for _, _, day, _ in self.periods()[::-1]:  # the latest configuration first
            units.update({m.lgcode: m for m in day.municipalities if m.lgcode not in units})
        return list(units.values())

    @cached_property
    def population(self) -> int:
        """The residents of every municipality together (the base of national shares such as card holders)."""
        return sum(m.population for m in self.municipalities)

    @cached_property
    def graph(self) -> nx.DiGraph:
        return build_graph(self.prefectures, self.municipalities, self.policy, self.config.network)


@functools.lru_cache(maxsize=4)
def _start_units(population: str, gone: frozenset[str]) -> list[Municipality]:
    """The units in being as a year starts, drawn once for all of the year's configurations (each folds them)."""
    return build_municipalities(PopulationConfig.model_validate_json(population), gone)


TIMELINE_FILE = "timeline_resolved.json"  # a run folder's copy of the year's dated configurations


def timeline_bytes(sc: Scenario) -> bytes:
    """The year's dated changes, each with the whole configuration in force from its date: what a run folder
    keeps beside scenario_resolved.json, so its audit judges each record by the configuration of its day."""
    entries = [
        dict(date=str(ch.date), what=ch.what, source=ch.source, keys=list(ch.keys), config=d.config.model_dump(mode="json"))
        for ch, d in sc.timeline
    ]
    return json.dumps(entries, indent=1, ensure_ascii=False).encode("utf-8")


def with_timeline(sc: Scenario, raw: bytes) -> Scenario:
    """`sc` with the dated configurations of timeline_bytes; ValueError if they cannot be read."""
    try:
        entries = json.loads(raw)
        dated = tuple(
            (
                Change(dt.date.fromisoformat(e["date"]), str(e["what"]), str(e["source"]), tuple(e["keys"]), {}),
                Scenario(
                    Config.model_validate_json(json.dumps(e["config"])), sc.source, sc.hash, b"", start_network=sc.config.network
                ),
            )
            for e in entries
        )
    except (TypeError, KeyError, AttributeError, ValidationError, json.JSONDecodeError) as exc:
        raise ValueError(str(exc).splitlines()[0][:120]) from None
    return Scenario(sc.config, sc.source, sc.hash, sc.raw, dated)
