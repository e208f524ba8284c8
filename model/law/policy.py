"""The rule language of the system configuration, and its plain reference evaluator.

One policy, three semantics: the simulation enforces these rules, `decide` evaluates one
request without a solver, and `proofs/` compiles the same rules to SMT.  A rule is data:

    effect     permit | forbid               (forbid overrides permit; no rule = deny)
    node       where it is enforced          center | prefecture | cs | recipient
    action     what is asked                 provide, notify, forward, demand_code, ...
    requester  which kinds of requester      national | local | private | resident | municipality | prefecture
    when       conditions, all must hold     vocabulary below; "not:NAME" negates
    articles / constraints                   the law the rule implements (C01-C16)

Condition vocabulary (each is a plain predicate here and an SMT term in proofs/):
    registered             the requester is in the recipient registry
    affair_registered      the requester is registered for the request's affair
    public_body            the requester is a public body
    operator_authenticated the operator's IC card and password were checked (C08)
    operator_in_scope      the operation lies within the operator's scope (C08)
    keys_allowed           interactive: the query keys are an allowed combination;
                           batch: the affair is a scheduled batch affair (C10)
    items_in_schema        the items asked for are within the action's message schema (C01, C02)
    subject_is_requester   a resident asks about themselves (C07, C12)
    same_affair            a recipient uses data for the affair it was provided for (C04)
    logging_on             the node's access log is switched on (C09)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Literal, get_args

from pydantic import Field, field_validator

from jukinet.model.core.frozen import Frozen
from jukinet.model.law.statute import Statute

Action = Literal["provide", "notify", "forward", "demand_code", "keep_code_db", "disclose", "use", "change_code"]
NodeKind = Literal["center", "prefecture", "cs", "recipient"]
RequesterKind = Literal["national", "local", "private", "resident", "municipality", "prefecture", "unknown"]
Mode = Literal["interactive", "batch"]
CONDITIONS = (
    "registered",
    "affair_registered",
    "public_body",
    "operator_authenticated",
    "operator_in_scope",
    "keys_allowed",
    "items_in_schema",
    "subject_is_requester",
    "same_affair",
    "logging_on",
)
ACTIONS: tuple[str, ...] = get_args(Action)
NODE_KINDS: tuple[str, ...] = get_args(NodeKind)
REQUESTER_KINDS: tuple[str, ...] = get_args(RequesterKind)
QUERY_KEYS = ("code", "name", "address", "dob", "sex", "wildcard")


# The message each action sends, as the simulation sends it (model/sim: the ids are its own): fixed, so a
# scenario cannot bind an action to another message that only the proofs would read (issue 26).
ACTION_MESSAGE: dict[str, str] = {
    "provide": "provision",
    "notify": "notification",
    "forward": "forward",
    "disclose": "disclosure",
}

# Who asks for the request that permits a message bound to an action: the receiver of a provision or a
# disclosure (it asks), the sender of a notification or a forward (it reports).  Fixed by the Act.
PULL_PUSH: dict[str, Literal["sender", "receiver"]] = {
    "provide": "receiver",
    "disclose": "receiver",
    "notify": "sender",
    "forward": "sender",
}


class Rule(Frozen):
    """One access rule of a node."""

    id: str
    effect: Literal["permit", "forbid"]
    node: NodeKind
    action: Action
    requester: tuple[RequesterKind, ...] = Field(min_length=1)
    when: tuple[str, ...] = ()
    articles: tuple[str, ...] = Field(min_length=1)
    constraints: tuple[str, ...] = ()
    note: str = ""

    @field_validator("when")
    @classmethod
    def _known_conditions(cls, when: tuple[str, ...]) -> tuple[str, ...]:
        for c in when:
            if c.removeprefix("not:") not in CONDITIONS:
                raise ValueError(f"unknown condition {c!r}; allowed: {', '.join(CONDITIONS)} (optionally 'not:')")
        return when


class MessageSchema(Frozen):
    """Which items a message type carries, over which kind of link (from -> to)."""

    id: str
    src: str
    dst: str
    items: tuple[str, ...]
    carries_identity: bool = True  # false: query keys only, nothing the receiver may keep (C03)
    sealed: bool = False  # relays carry it without reading it; only a node of the `dst` kind opens it


class RegistryBody(Frozen):
    """A body registered with the center as a recipient (or a private party known to it)."""

    id: str
    name: str
    level: Literal["national", "local", "private"]
    kind: Literal["public", "private"]
    affairs: tuple[str, ...] = ()


class PolicyConfig(Frozen):
    """The system configuration's access policy (the `[policy]` section of a scenario)."""

    rules: tuple[Rule, ...]
    messages: tuple[MessageSchema, ...]
    action_message: dict[str, str]
    # Who is the requester of the request that permits a message bound to an action: the node that
    # sends it (push) or the one that receives it (pull).  Read by the flow model (model/law/flow.py).
    action_requester: dict[str, Literal["sender", "receiver"]] = Field(default_factory=lambda: dict(PULL_PUSH))
    stores: dict[str, tuple[str, ...]]
    allowed_keys: tuple[tuple[str, ...], ...]
    logging: bool = True


class RegistryConfig(Frozen):
    """The recipient registry (the `[registry]` section)."""

    register_annex_bodies: bool = True
    include_rows_not_in_force: bool = False
    body: tuple[RegistryBody, ...] = ()


@dataclass(frozen=True, slots=True)
class Request:
    """One request put to a node's reference monitor."""

    requester: str
    action: str
    node: str
    affair: str | None = None
    provided_affair: str | None = None
    keys: frozenset[str] = frozenset()
    items: frozenset[str] = frozenset()
    mode: str = "interactive"
    operator_authenticated: bool = True
    operator_in_scope: bool = True
    subject_is_requester: bool = False


@dataclass(frozen=True, slots=True)
class Decision:
    """The outcome of `decide`: allowed or not, and the rules and articles behind it."""

    allowed: bool
    permits: tuple[str, ...]
    forbids: tuple[str, ...]
    articles: tuple[str, ...]
    constraints: tuple[str, ...]
    reason: str
    rule: str = ""  # the rule that decided: the permit, the forbid, or the permit whose condition failed


@dataclass(frozen=True)
class Policy:
    """The compiled policy: rules, registry, schemas.  Built by `Policy.build`."""

    rules: tuple[Rule, ...]
    bodies: dict[str, RegistryBody]
    messages: dict[str, MessageSchema]
    action_message: dict[str, str]
    action_requester: dict[str, str]
    stores: dict[str, frozenset[str]]
    allowed_keys: frozenset[frozenset[str]]
    batch_affairs: frozenset[str]
    logging: bool
    _by_action: dict[tuple[str, str], tuple[Rule, ...]] = field(default_factory=dict)

    @staticmethod
    def build(policy: PolicyConfig, registry: RegistryConfig, statute: Statute) -> Policy:
        """Materialise the registry from the annex tables (if configured) plus explicit bodies."""
        # the rows in force on the statute's day (Art. 30-7), or every row when the registry takes them all
        rows = statute.annex if registry.include_rows_not_in_force else statute.in_force
        names = {b.id: b.name for b in statute.body}
        affairs: dict[str, list[str]] = {}
        levels: dict[str, str] = {}
        if registry.register_annex_bodies:
            for r in rows:
                for b in r.bodies:
                    affairs.setdefault(b, []).append(r.id)
                    levels[b] = "national" if r.table == 1 else "local"
        bodies: dict[str, RegistryBody] = {
            b: RegistryBody(id=b, name=names.get(b, b), level=levels[b], kind="public", affairs=tuple(a))  # type: ignore[arg-type]
            for b, a in affairs.items()
        }
        for body in registry.body:
            prior = bodies.get(body.id)
            merged = tuple(dict.fromkeys((prior.affairs if prior else ()) + body.affairs))
            bodies[body.id] = body.model_copy(update={"affairs": merged})
        by_action: dict[tuple[str, str], list[Rule]] = {}
        for rule in policy.rules:
            by_action.setdefault((rule.node, rule.action), []).append(rule)
        return Policy(
            rules=policy.rules,
            bodies=bodies,
            messages={m.id: m for m in policy.messages},
            action_message=dict(policy.action_message),
            action_requester={**PULL_PUSH, **policy.action_requester},
            stores={k: frozenset(v) for k, v in policy.stores.items()},
            allowed_keys=frozenset(frozenset(k) for k in policy.allowed_keys),
            batch_affairs=frozenset(r.id for r in rows if r.batch),
            logging=policy.logging,
            _by_action={k: tuple(v) for k, v in by_action.items()},
        )

    def requester_kind(self, requester: str) -> str:
        """national | local | private from the registry; else by node-id prefix (`private:X` a private party in
        no registry: C05 binds it all the same); else unknown."""
        body = self.bodies.get(requester)
        if body is not None:
            return body.level
        prefix = requester.split(":", 1)[0]
        return {"resident": "resident", "cs": "municipality", "pref": "prefecture", "private": "private"}.get(prefix, "unknown")

    @cached_property
    def registered_pairs(self) -> frozenset[tuple[str, str]]:
        return frozenset((b.id, a) for b in self.bodies.values() for a in b.affairs)

    def holds(self, condition: str, r: Request) -> bool:
        """Evaluate one condition of the vocabulary on a request."""
        if condition.startswith("not:"):
            return not self.holds(condition[4:], r)
        body = self.bodies.get(r.requester)
        match condition:
            case "registered":
                return body is not None
            case "affair_registered":
                return body is not None and r.affair in body.affairs
            case "public_body":
                return body is not None and body.kind == "public"
            case "operator_authenticated":
                return r.operator_authenticated
            case "operator_in_scope":
                return r.operator_in_scope
            case "keys_allowed":
                if r.mode == "batch":
                    return r.affair in self.batch_affairs
                return r.keys in self.allowed_keys
            case "items_in_schema":
                msg = self.action_message.get(r.action)
                return msg is not None and r.items <= frozenset(self.messages[msg].items)
            case "subject_is_requester":
                return r.subject_is_requester
            case "same_affair":
                return r.affair is not None and r.affair == r.provided_affair
            case "logging_on":
                return self.logging
        raise ValueError(f"unknown condition {condition!r}")

    def applies(self, rule: Rule, r: Request) -> bool:
        return self.requester_kind(r.requester) in rule.requester and all(self.holds(c, r) for c in rule.when)


def decide(policy: Policy, request: Request) -> Decision:
    """Decide one request: deny by default; a matching forbid overrides any permit."""
    candidates = policy._by_action.get((request.node, request.action), ())
    matched = [rule for rule in candidates if policy.applies(rule, request)]
    permits = tuple(r.id for r in matched if r.effect == "permit")
    forbids = tuple(r.id for r in matched if r.effect == "forbid")
    cited = [r for r in matched if r.effect == "forbid"] if forbids else [r for r in matched if r.effect == "permit"]
    articles = tuple(dict.fromkeys(a for r in cited for a in r.articles))
    constraints = tuple(dict.fromkeys(c for r in cited for c in r.constraints))
    if forbids:
        return Decision(False, permits, forbids, articles, constraints, f"forbidden by {', '.join(forbids)}", forbids[0])
    if permits:
        return Decision(True, permits, (), articles, constraints, f"permitted by {', '.join(permits)}", permits[0])
    kind = policy.requester_kind(request.requester)
    near = sorted((r for r in candidates if r.effect == "permit"), key=lambda r: kind not in r.requester)
    reason = "no rule permits this request (default deny)"
    rule = ""
    if near:
        rule = near[0].id
        failing = [c for c in near[0].when if not policy.holds(c, request)]
        if kind not in near[0].requester:
            failing.insert(0, f"requester kind {kind}")
        reason = f"denied: {near[0].id} fails on {', '.join(failing)}"
        articles = near[0].articles
        constraints = near[0].constraints
    return Decision(False, (), (), articles, constraints, reason, rule)
