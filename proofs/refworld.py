"""The scenario as the independent reference reads it (proofs/reference.py): roles, principals, the registry,
message schemas and its own small rule evaluator, from the configuration's data and the graph's node ids and
edges alone (no node attribute of the graph, nothing of model/law/flow.py, proofs/flow.py or the policy's
evaluator)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import networkx as nx

from jukinet.model.config.scenario import Scenario
from jukinet.model.law.policy import MessageSchema, Rule

REFERENCE_IDS = ("C01", "C02", "C03", "C04", "C12", "C13", "C16")
FACT_IDS = ("C01", "C02", "C03", "C04", "C12")
SUBJECT = "resident:subject"
OTHER = "resident:other"
RESIDENTS = (SUBJECT, OTHER)
NODE_KINDS = ("center", "prefecture", "cs", "recipient")
RECEIVER_ACTIONS = ("provide", "disclose")  # fixed by the Act: the receiver asks (C02, C12)
OTHER_AFFAIR = "other"


@dataclass(frozen=True)
class Verdict:
    """One constraint's verdict under the reference semantics, with a witness when violated."""

    constraint: str
    violated: bool
    witness: str = ""


@dataclass(frozen=True, order=True)
class Token:
    """One item as it travels: where it first left a body, for which affair, sealed, away, as a key."""

    item: str
    origin: str | None = None
    tag: str | None = None
    sealed: bool = False
    away: bool = False
    key: bool = False
    disclosed: bool = False  # brought by a disclosure (Art. 30-37: for its subject alone)
    place: str | None = None  # the prefecture whose server or CS it was read from (None: the center's, the subject's)


@dataclass(frozen=True, order=True)
class Fact:
    """A holder keeps a token in a compartment (None: in no affair's compartment)."""

    holder: str
    compartment: str | None
    token: Token

    def __str__(self) -> str:
        t = self.token
        flags = "".join(f for f, on in (("S", t.sealed), ("A", t.away), ("K", t.key)) if on)
        place = f",place={t.place}" if t.place is not None else ""
        return f"{self.holder}[{self.compartment}] {t.item}(origin={t.origin},tag={t.tag}{place}{',' + flags if flags else ''})"


@dataclass(frozen=True)
class Entry:
    """One registry entry: level, public or private, registered affairs."""

    level: str
    kind: str
    affairs: frozenset[str]


@dataclass(frozen=True)
class Ask:
    """A request with its bound fields; None in `subject` or `operator` means free (any value)."""

    action: str
    requester: str
    affair: str | None = None
    provided_affair: str | None = None
    subject: bool | None = False
    operator: bool | None = None
    items: frozenset[str] | None = None  # None: free (no items, or every item)


def node_principal(node: str) -> str:
    """The law's principal of a node: the node itself (each body its own principal; C03)."""
    return node


def collapsed_principal(node: str) -> str:
    """A WRONG principal map (a mutant of the reference): bodies of one kind merged into one principal."""
    return node.split(":", 1)[0] if node.startswith(("governor:", "municipal_head:")) else node


@dataclass
class World:
    """The scenario read the reference's way: roles, registry, rules, schemas, graph."""

    sc: Scenario
    principal: Callable[[str], str] = node_principal
    _cache: dict[tuple[Any, ...], bool] = field(default_factory=dict)
    landing_memo: dict[tuple[str, str, str], list[tuple[str | None, str]]] = field(default_factory=dict)
    use_memo: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    asked: dict[str, frozenset[str]] = field(default_factory=dict)

    # ---- roles -------------------------------------------------------------------------------------
    @cached_property
    def graph(self) -> nx.DiGraph:
        return self.sc.graph

    @cached_property
    def juki(self) -> dict[str, str]:
        """Juki-net nodes and their roles (center, prefecture, cs), by the node-id conventions."""
        roles = {"center": "center"}
        roles.update({f"pref:{p.code}": "prefecture" for p in self.sc.prefectures})
        roles.update({f"cs:{m.lgcode}": "cs" for m in self.sc.municipalities})
        return roles

    @cached_property
    def bodies(self) -> tuple[str, ...]:
        """Every graph node outside Juki-net: a body, its own principal."""
        return tuple(sorted(n for n in self.graph if n not in self.juki))

    @cached_property
    def relays(self) -> frozenset[str]:
        return frozenset(n.id for n in self.sc.config.network.node if n.kind == "relay")

    def is_body(self, node: str) -> bool:
        return node not in self.juki and node not in RESIDENTS

    def asks_to(self, body: str) -> frozenset[str]:
        """Every node a body's requests can reach: its lookup messages (a schema that carries no identity
        information) followed link by link.  The Act provides only on request (Art. 30-7(3)): an answer that
        comes to a body from any other node was someone else's."""
        if body not in self.asked:
            seen, todo = {body}, [body]
            while todo:
                u = todo.pop()
                for _, v, data in self.graph.out_edges(u, data=True):
                    lookups = [m for m in data.get("messages", ()) if m in self.schemas and not self.schemas[m].carries_identity]
                    if lookups and v not in seen:
                        seen.add(v)
                        todo.append(v)
            self.asked[body] = frozenset(seen - {body})
        return self.asked[body]

    @cached_property
    def prefecture_of(self) -> dict[str, str]:
        """The prefecture code of each place-bound node, from its id and the unit list: pref:PP and governor:PP are
        PP's; cs:LG and municipal_head:LG are the prefecture of unit LG."""
        out = {f"{k}:{p.code}": p.code for p in self.sc.prefectures for k in ("pref", "governor")}
        out.update({f"{k}:{m.lgcode}": m.pref for m in self.sc.municipalities for k in ("cs", "municipal_head")})
        return out

    @cached_property
    def own_place_rows(self) -> frozenset[str]:
        """The annex rows served with the prefecture's own residents to its own bodies: table 2 (the municipal organs
        in the prefecture, Art. 30-7(4)) and table 5 (the governor's own use, Art. 30-8)."""
        return frozenset(r.id for r in self.sc.config.statute.annex if r.table in (2, 5))

    def identity(self, node: str) -> str:
        """A body's registry identity: nat:X -> X, governor:PP -> governor, municipal_head:LG -> municipal_head,
        private:X -> X, any other node its own id."""
        for prefix in ("nat:", "private:"):
            if node.startswith(prefix):
                return node.removeprefix(prefix)
        for prefix in ("governor:", "municipal_head:"):
            if node.startswith(prefix):
                return prefix[:-1]
        return node

    @staticmethod
    def holder_kind(node: str) -> str | None:
        return "jpki" if node == "jpki" else None

    @cached_property
    def added_kinds(self) -> dict[str, str]:
        return {n.id: n.kind for n in self.sc.config.network.node}

    def body_role(self, node: str) -> str:
        """What a body is, read from the raw data: an annex body's office (nat:, governor:, municipal_head:) is a
        recipient; private:X a private party; jpki the certification body; an added node what it is declared."""
        if node in self.added_kinds:
            return self.added_kinds[node]
        if node.startswith("private:"):
            return "private"
        return "jpki" if node == "jpki" else "recipient"

    def role_matches(self, node: str, role: str) -> bool:
        """Whether a node plays a schema's src/dst role (residents: "resident")."""
        if node in RESIDENTS:
            return role == "resident"
        if node in self.juki:
            return self.juki[node] == role
        return role == self.body_role(node)

    # ---- statute and registry ---------------------------------------------------------------------
    @cached_property
    def items(self) -> tuple[str, ...]:
        return tuple(i.id for i in self.sc.config.statute.item)

    @cached_property
    def identity_items(self) -> frozenset[str]:
        return frozenset(i.id for i in self.sc.config.statute.item if i.identity)

    @cached_property
    def in_force_pairs(self) -> frozenset[tuple[str, str]]:
        """(body, row) pairs of annex rows in force on the configuration's day: the only lawful bases (C02)."""
        st = self.sc.config.statute
        return frozenset((b, r.id) for r in st.annex if r.in_force_on(st.day) for b in r.bodies)

    @cached_property
    def batch_rows(self) -> frozenset[str]:
        return frozenset(r.id for r in self.sc.config.statute.annex if "batch" in r.mode)

    @cached_property
    def registry(self) -> dict[str, Entry]:
        """The recipient registry, built from the annex (when registered) and [[registry.body]]."""
        cfg = self.sc.config.registry
        out: dict[str, Entry] = {}
        if cfg.register_annex_bodies:
            st = self.sc.config.statute
            for row in st.annex:
                if not (row.in_force_on(st.day) or cfg.include_rows_not_in_force):
                    continue
                for b in row.bodies:
                    level = "national" if row.table == 1 else "local"
                    old = out.get(b)
                    out[b] = Entry(old.level if old else level, "public", (old.affairs if old else frozenset()) | {row.id})
        for body in cfg.body:
            old = out.get(body.id)
            out[body.id] = Entry(body.level, body.kind, (old.affairs if old else frozenset()) | set(body.affairs))
        return out

    def requester_kind(self, principal: str) -> str:
        if principal in RESIDENTS:
            return "resident"
        if principal in self.juki:
            return {"cs": "municipality", "prefecture": "prefecture"}.get(self.juki[principal], "unknown")
        entry = self.registry.get(self.identity(principal))
        return entry.level if entry else "unknown"

    @cached_property
    def annex_ids(self) -> tuple[str, ...]:
        return tuple(r.id for r in self.sc.config.statute.annex)

    def affairs_to_try(self, body: str) -> tuple[str, ...]:
        """A body's registered affairs, every annex row and "other"."""
        entry = self.registry.get(self.identity(body))
        own = sorted(entry.affairs) if entry else []
        return tuple(dict.fromkeys([*own, *self.annex_ids, OTHER_AFFAIR]))

    # ---- messages ---------------------------------------------------------------------------------
    @cached_property
    def schemas(self) -> dict[str, MessageSchema]:
        return {m.id: m for m in self.sc.config.policy.messages}

    def carries(self, message: str, item: str) -> bool:
        """A message with no schema carries every item; a schema its items (a query's as lookup keys)."""
        s = self.schemas.get(message)
        return s is None or item in s.items

    def carries_any(self, message: str) -> bool:
        s = self.schemas.get(message)
        return s is None or bool(s.items)

    def bound_actions(self, message: str) -> tuple[str, ...]:
        return tuple(sorted(a for a, m in self.sc.config.policy.action_message.items() if m == message))

    def action_items(self, action: str) -> frozenset[str]:
        """The items of the message schema an action is bound to (no schema: every item; unbound: none)."""
        message = self.sc.config.policy.action_message.get(action)
        if message is None:
            return frozenset()
        s = self.schemas.get(message)
        return frozenset(self.items) if s is None else frozenset(s.items)

    # ---- rules ------------------------------------------------------------------------------------
    def permitted(self, ask: Ask) -> bool:
        """Some request with the ask's bound fields is permitted: deny by default, forbid overrides permit,
        at one node kind (the free fields range over node kind, operator, keys/mode, items, subject)."""
        fixed = self._fixed_conditions(ask)
        key: tuple[Any, ...] = (ask.action, tuple(sorted(fixed.items())), ask.subject, ask.operator)
        key += (tuple(self._keys_allowed_values(ask)), tuple(self._in_schema_values(ask)))
        if key not in self._cache:
            self._cache[key] = any(self._permitted_with(ask, env) for env in self._envs(ask, fixed))
        return self._cache[key]

    def _envs(self, ask: Ask, fixed: dict[str, bool | str]) -> Iterator[dict[str, bool | str]]:
        """Every assignment of the free fields, as condition values (plus the node kind)."""
        ops = [ask.operator] if ask.operator is not None else [True, False]
        subjects = [ask.subject] if ask.subject is not None else [True, False]
        for kind in NODE_KINDS:
            for auth in ops:
                for scope in ops:
                    for keys in self._keys_allowed_values(ask):
                        for in_schema in self._in_schema_values(ask):
                            for subject in subjects:
                                yield {
                                    **fixed,
                                    "node": kind,
                                    "operator_authenticated": auth,
                                    "operator_in_scope": scope,
                                    "keys_allowed": keys,
                                    "items_in_schema": in_schema,
                                    "subject_is_requester": subject,
                                }

    def _fixed_conditions(self, ask: Ask) -> dict[str, bool | str]:
        ident = self.identity(ask.requester) if self.is_body(ask.requester) else ask.requester
        entry = self.registry.get(ident)
        return {
            "kind": self.requester_kind(ask.requester),
            "registered": entry is not None,
            "affair_registered": entry is not None and ask.affair is not None and ask.affair in entry.affairs,
            "public_body": entry is not None and entry.kind == "public",
            "same_affair": ask.provided_affair is not None and ask.affair == ask.provided_affair,
            "logging_on": self.sc.config.policy.logging,
        }

    def _keys_allowed_values(self, ask: Ask) -> list[bool]:
        """Keys/mode: an allowed combination, no keys, or batch mode (C10)."""
        combos = [tuple(sorted(c)) for c in self.sc.config.policy.allowed_keys]
        out = [True] if combos else []
        out.append(() in combos)
        out.append(ask.affair in self.batch_rows)
        return sorted(set(out))

    def _in_schema_values(self, ask: Ask) -> list[bool]:
        """Items asked: none (always within the schema), or every item; or the ask's fixed items."""
        schema = self.action_items(ask.action)
        if ask.items is not None:
            return [ask.items <= schema]
        return sorted({True, frozenset(self.items) <= schema})

    @staticmethod
    def _holds(cond: str, env: dict[str, bool | str]) -> bool:
        name = cond.removeprefix("not:")
        value = bool(env[name])
        return not value if cond.startswith("not:") else value

    def _matches(self, rule: Rule, ask: Ask, env: dict[str, bool | str]) -> bool:
        return (
            rule.node == env["node"]
            and rule.action == ask.action
            and env["kind"] in rule.requester
            and all(self._holds(c, env) for c in rule.when)
        )

    def _permitted_with(self, ask: Ask, env: dict[str, bool | str]) -> bool:
        matching = [r for r in self.sc.config.policy.rules if self._matches(r, ask, env)]
        return any(r.effect == "permit" for r in matching) and not any(r.effect == "forbid" for r in matching)


# ---- the flow: facts and their successors -------------------------------------------------------------
