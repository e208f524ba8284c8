"""Scenarios: TOML files merged onto jukinet's defaults, then validated.

Merge rules (docs/scenarios.md):
- tables merge key by key, recursively;
- arrays of tables whose entries have an `id` merge by id: an entry with a known id replaces
  that entry (fields it leaves out keep their default), a new id is appended, and an entry
  with `remove = true` deletes it;
- any other value replaces the default.

Every problem is one `UserError` line naming the file, the key and what is allowed.
"""

from __future__ import annotations

import copy
import hashlib
import json
import tomllib
from dataclasses import dataclass
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import Any

import networkx as nx
from pydantic import Field, ValidationError

from model.calendar import HOLIDAYS
from model.codes import CodesConfig
from model.data import read_toml
from model.errors import UserError
from model.policy import Policy, PolicyConfig, RegistryConfig
from model.population import Municipality, PopulationConfig, Prefecture, build_municipalities, load_prefectures
from model.queueing.center import CenterConfig
from model.simconfig import (
    CardsConfig,
    EventsConfig,
    LinksConfig,
    OperatorsConfig,
    OrganisationConfig,
    ProvisionConfig,
    RetentionConfig,
)
from model.statute import CONSTRAINT_IDS, Frozen, Statute
from model.topology import NetworkConfig, build_graph
from model.workload import WorkloadConfig

EXPECTED_MUNICIPALITIES = 1827  # 1,804 municipalities + 23 Tokyo wards on 2007-03-31 (prefectures.md)
CENSUS_2005 = 127_767_994  # Statistics Bureau, 2005 census


class ScenarioMeta(Frozen):
    name: str
    description: str = ""
    fiscal_year: int = 2006
    mutant_of: str = Field(default="", pattern=r"^(C(0[1-9]|1[0-6]))?$")  # a mutant: the constraint it must break
    route: str = ""  # a mutant: the route or action it opens (provide, disclosure, link from a CS, relay, ...)


class Config(Frozen):
    """A whole scenario: the statute, the system configuration and the calibration."""

    scenario: ScenarioMeta
    statute: Statute
    registry: RegistryConfig
    policy: PolicyConfig
    network: NetworkConfig
    codes: CodesConfig
    population: PopulationConfig
    workload: WorkloadConfig
    center: CenterConfig
    events: EventsConfig
    cards: CardsConfig
    provision: ProvisionConfig
    operators: OperatorsConfig
    links: LinksConfig
    retention: RetentionConfig
    organisation: OrganisationConfig


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
        out = dict(base)
        for k, v in over.items():
            out[k] = merge(base[k], v, f"{path}.{k}" if path else k, source) if k in base else v
        return out
    if isinstance(base, list) and isinstance(over, list) and all(isinstance(x, dict) and "id" in x for x in base + over):
        out_list = [dict(x) for x in base]
        index = {x["id"]: i for i, x in enumerate(out_list)}
        removed: set[int] = set()
        for entry in over:
            entry = dict(entry)
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


def _key_path(loc: tuple[int | str, ...], data: dict[str, Any]) -> str:
    """('policy', 'rules', 3, 'when') -> 'policy.rules[center.provide.national].when'."""
    parts: list[str] = []
    node: Any = data
    for part in loc:
        if isinstance(part, int):
            ident = node[part].get("id") if isinstance(node, list) and part < len(node) and isinstance(node[part], dict) else None
            parts[-1] += f"[{ident if ident is not None else part}]"
        else:
            parts.append(str(part))
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            node = None
    return ".".join(parts)


def _allowed_keys(loc: tuple[int | str, ...]) -> list[str]:
    model: Any = Config
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        field = model.model_fields.get(part) if hasattr(model, "model_fields") else None
        if field is None:
            return []
        ann = field.annotation
        args = getattr(ann, "__args__", ())
        model = next((a for a in (ann, *args) if hasattr(a, "model_fields")), None)
        if model is None:
            return []
    return sorted(model.model_fields) if hasattr(model, "model_fields") else []


def _explain(err: ValidationError, data: dict[str, Any], source: str) -> UserError:
    e = err.errors()[0]
    loc = tuple(e["loc"])
    key = _key_path(loc, data)
    if e["type"] == "extra_forbidden":
        allowed = _allowed_keys(loc)
        return UserError(source, key, f"unknown key; allowed: {', '.join(allowed)}")
    if e["type"] == "missing":
        return UserError(source, key, "required key is missing")
    msg = e["msg"].removeprefix("Value error, ")
    msg = msg[0].lower() + msg[1:]
    if isinstance(e["input"], dict | list):
        return UserError(source, key, msg)
    return UserError(source, key, f"got {e['input']!r}; {msg}")


def _semantic_checks(cfg: Config, source: str) -> None:
    """Cross-references pydantic cannot see: items, articles, constraint ids, messages, codes."""
    items = cfg.statute.item_ids
    for m in cfg.policy.messages:
        for it in m.items:
            if it not in items:
                raise UserError(
                    source, f"policy.messages[{m.id}].items", f"unknown item {it!r}; allowed: {', '.join(sorted(items))}"
                )
    keys = {"code", "name", "address", "dob", "sex"}
    for m in cfg.policy.messages:
        # Only a recipient's query may claim to carry no identity information, and only lookup keys: the
        # flow model (model/flow.py) takes such a message to move nothing, so any other claim could hide a flow.
        if not m.carries_identity and (m.src != "recipient" or not set(m.items) <= keys):
            raise UserError(
                source,
                f"policy.messages[{m.id}].carries_identity",
                "false only for a query from a recipient whose items are lookup keys (code, name, address, dob, sex)",
            )
    msgs = {m.id for m in cfg.policy.messages}
    for action, mid in cfg.policy.action_message.items():
        if mid not in msgs:
            raise UserError(
                source, f"policy.action_message.{action}", f"unknown message {mid!r}; allowed: {', '.join(sorted(msgs))}"
            )
    for store, its in cfg.policy.stores.items():
        for it in its:
            if it not in items:
                raise UserError(source, f"policy.stores.{store}", f"unknown item {it!r}; allowed: {', '.join(sorted(items))}")
    for rule in cfg.policy.rules:
        for a in rule.articles:
            if a not in cfg.statute.article:
                raise UserError(
                    source,
                    f"policy.rules[{rule.id}].articles",
                    f"unknown article {a!r}; allowed: {', '.join(cfg.statute.article)}",
                )
        for c in rule.constraints:
            if c not in CONSTRAINT_IDS:
                raise UserError(source, f"policy.rules[{rule.id}].constraints", f"unknown constraint {c!r}; allowed: C01..C16")
    for combo in cfg.policy.allowed_keys:
        if not combo or not set(combo) <= keys | {"wildcard"}:
            raise UserError(
                source,
                "policy.allowed_keys",
                f"bad key combination {list(combo)}; allowed keys: code, name, address, dob, sex, wildcard",
            )
    for e in cfg.network.link:
        for mid in e.messages:
            if mid not in msgs:
                raise UserError(
                    source, f"network.link[{e.id}].messages", f"unknown message {mid!r}; allowed: {', '.join(sorted(msgs))}"
                )
    if cfg.codes.check_digit != "mod11-weights2-7":
        raise UserError(source, "codes.check_digit", f"got {cfg.codes.check_digit!r}; allowed: 'mod11-weights2-7'")
    if not 1 <= cfg.codes.block_size <= 10**9 or 10**10 % cfg.codes.block_size:
        raise UserError(source, "codes.block_size", f"got {cfg.codes.block_size}; allowed: a divisor of 10**10 up to 10**9")
    if cfg.codes.headroom < 1.0:
        raise UserError(source, "codes.headroom", f"got {cfg.codes.headroom}; allowed: a number >= 1.0")
    if cfg.scenario.fiscal_year not in HOLIDAYS:
        known = ", ".join(map(str, HOLIDAYS))
        raise UserError(source, "scenario.fiscal_year", f"got {cfg.scenario.fiscal_year}; allowed: {known}")
    day = cfg.center.outage.day
    if day != "busiest":
        first, last = date(cfg.scenario.fiscal_year, 4, 1), date(cfg.scenario.fiscal_year + 1, 3, 31)
        try:
            ok = first <= date.fromisoformat(day) <= last
        except ValueError:
            ok = False
        if not ok:
            raise UserError(source, "center.outage.day", f"got {day!r}; allowed: 'busiest' or a date {first} .. {last}")
    p = cfg.provision
    for key, rows, weights in (
        ("existence_check", p.existence_check_rows, p.existence_check_weights),
        ("copy_replacing", p.copy_replacing_rows, p.copy_replacing_weights),
    ):
        if len(rows) != len(weights):
            raise UserError(source, f"provision.{key}_weights", f"has {len(weights)} entries; allowed: one per row ({len(rows)})")
        for r in rows:
            if r not in cfg.statute.rows or cfg.statute.rows[r].table != 1:
                raise UserError(source, f"provision.{key}_rows", f"unknown annex-1 row {r!r}; allowed: ids of annex table 1")
    if cfg.provision.cohort_20_row not in cfg.statute.rows:
        raise UserError(source, "provision.cohort_20_row", f"unknown annex row {cfg.provision.cohort_20_row!r}")
    lgcodes = {r.split("\t")[0] for r in _muni_codes()}
    for key in ("self_inspection_exempt", "withholding"):
        for lg in getattr(cfg.organisation, key):
            if lg not in lgcodes:
                raise UserError(source, f"organisation.{key}", f"unknown municipality {lg!r}; allowed: 6-digit lgcodes")
    if cfg.organisation.leak_penalty not in cfg.statute.penalty:
        raise UserError(
            source,
            "organisation.leak_penalty",
            f"got {cfg.organisation.leak_penalty!r}; allowed: {', '.join(cfg.statute.penalty)}",
        )
    for fault in cfg.links.fault:
        kind, _, ident = fault.link.partition(":")
        if not ((kind == "cs" and ident in lgcodes) or (kind == "pref" and ident.isdigit() and 1 <= int(ident) <= 47)):
            raise UserError(source, "links.fault.link", f"got {fault.link!r}; allowed: 'cs:LGCODE' or 'pref:PP'")
        try:
            date.fromisoformat(fault.start[:10])
        except ValueError:
            raise UserError(source, "links.fault.start", f"got {fault.start!r}; allowed: 'YYYY-MM-DDTHH:MM'") from None
    _shadow_checks(cfg, source, lgcodes)
    for lg in cfg.network.disconnected:
        if lg not in lgcodes:
            raise UserError(
                source,
                "network.disconnected",
                f"unknown municipality {lg!r}; allowed: 6-digit lgcodes of model/data/municipalities.tsv",
            )


# Prefixes of the network's own node ids (model/topology.py) and of the flow model's residents
# (model/flow.py): a requester named so would be read as that kind (model/policy.py).
RESERVED_PREFIXES = ("cs:", "pref:", "governor:", "municipal_head:", "nat:", "private:", "resident:")
RESERVED_IDS = ("center", "jpki", "-", "unknown-party")


def _shadow_checks(cfg: Config, source: str, lgcodes: set[str]) -> None:
    """No id may stand for two things: a registry body named like a network node or a kind, an added
    node named like a built-in node, two added nodes or rules with one id."""
    for b in cfg.registry.body:
        if b.id in RESERVED_IDS or b.id.startswith(RESERVED_PREFIXES):
            raise UserError(
                source,
                f"registry.body[{b.id}].id",
                f"shadows a network node or requester kind; allowed: an id without the prefixes {', '.join(RESERVED_PREFIXES)} "
                f"and other than {', '.join(RESERVED_IDS)}",
            )
    builtin = set(RESERVED_IDS) | {f"cs:{lg}" for lg in lgcodes} | {f"municipal_head:{lg}" for lg in lgcodes}
    builtin |= {f"pref:{p:02d}" for p in range(1, 48)} | {f"governor:{p:02d}" for p in range(1, 48)}
    bodies = {b.id for b in cfg.registry.body} | {b.id for b in cfg.statute.body}
    seen: set[str] = set()
    for n in cfg.network.node:
        prefixed = n.id.startswith(RESERVED_PREFIXES) and not (n.kind == "cs" and n.id.startswith("cs:"))
        if n.id in builtin or n.id in bodies or prefixed:
            what = "shadows a built-in node, a registry or annex body or a resident; allowed: a new id"
            raise UserError(source, f"network.node[{n.id}].id", what)
        if n.id in seen:
            raise UserError(source, f"network.node[{n.id}].id", "appears twice; allowed: one entry per id")
        seen.add(n.id)
    national = {b for r in cfg.statute.annex if r.table == 1 for b in r.bodies}
    national |= {b.id for b in cfg.registry.body if b.level == "national"}
    nodes = builtin | seen | {f"nat:{b}" for b in national}
    nodes |= {f"private:{b.id}" for b in cfg.registry.body if b.level == "private"}
    for e in cfg.network.link:
        for end, key in ((e.src, "src"), (e.dst, "dst")):
            if end not in nodes:
                what = f"unknown node {end!r}; allowed: a built-in node or a [[network.node]] id"
                raise UserError(source, f"network.link[{e.id}].{key}", what)
        if e.src == e.dst:
            raise UserError(source, f"network.link[{e.id}]", f"a link from {e.src!r} to itself; allowed: two different nodes")


def _muni_codes() -> list[str]:
    from model.data import read_text

    return read_text("municipalities.tsv").splitlines()[1:]


def load(path: str | Path | None = None) -> Scenario:
    """Load a scenario file (or the embedded defaults when path is None), merged and validated."""
    base = default_data()
    source = "defaults"
    over: dict[str, Any] = {}
    raw = b""
    if path is not None:
        p = Path(path)
        source = str(p)
        try:
            raw = p.read_bytes()
        except OSError as exc:
            raise UserError(source, "-", f"cannot read scenario file ({exc.strerror})") from None
        try:
            over = tomllib.loads(raw.decode("utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise UserError(source, "-", f"not valid TOML: {exc}") from None
    unknown = sorted(set(over) - set(base))
    if unknown:
        raise UserError(source, unknown[0], f"unknown key; allowed: {', '.join(sorted(base))}")
    data = merge(base, over, "", source)
    try:
        cfg = Config.model_validate_json(json.dumps(data, ensure_ascii=False))
    except ValidationError as err:
        raise _explain(err, data, source) from None
    _semantic_checks(cfg, source)
    digest = hashlib.sha256(json.dumps(data, sort_keys=True, ensure_ascii=False).encode()).hexdigest()
    return Scenario(cfg, source, digest, raw)


@dataclass(frozen=True)
class Scenario:
    """A validated scenario and what is built from it."""

    config: Config
    source: str
    hash: str
    raw: bytes

    @cached_property
    def policy(self) -> Policy:
        return Policy.build(self.config.policy, self.config.registry, self.config.statute)

    @cached_property
    def prefectures(self) -> list[Prefecture]:
        return load_prefectures()

    @cached_property
    def municipalities(self) -> list[Municipality]:
        return build_municipalities(self.config.population)

    @cached_property
    def graph(self) -> nx.DiGraph:
        return build_graph(self.prefectures, self.municipalities, self.policy, self.config.network)
