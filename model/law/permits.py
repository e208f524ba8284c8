"""Is there a request the policy permits?  The existential question the flow model (model/law/flow.py)
asks of the plain evaluator: with some fields of a request fixed (action, requester, affair, the
affair data was provided for, whether the requester is the subject), does any value of the other
fields make `model.law.policy.decide` permit it, and by which rule?

The candidates realise every value of every condition that depends on a free field (the node
kind where a permit rule may apply, operator authenticated and in scope, keys allowed or not,
interactive or batch, items within or beyond the schema), so the search is exhaustive over the
conditions' vocabulary; the compiled policy in proofs/ answers the same question with every
field free, and the differential tests keep the two in agreement.
"""

from __future__ import annotations

import itertools

from jukinet.model.law.policy import NODE_KINDS, Policy, Request, Rule, decide
from jukinet.model.law.statute import Statute

# Conditions that only the requester, the affairs and the configuration decide (no free field).
BOUND_CONDITIONS = ("registered", "affair_registered", "public_body", "subject_is_requester", "same_affair", "logging_on")

Grant = tuple[str, tuple[str, ...]]  # the permitting rule and its articles


class Permits:
    """The existential permission search, cached per question."""

    def __init__(self, policy: Policy, statute: Statute) -> None:
        self.policy, self.statute = policy, statute
        self.items = frozenset(statute.item_ids)
        self._grants: dict[tuple[str, str, str | None, str | None, bool], Grant | None] = {}
        self._affairs_of: dict[str, tuple[str, ...]] = {}
        kinds: dict[str, set[str]] = {}
        for r in policy.rules:
            if r.effect == "permit":
                kinds.setdefault(r.action, set()).update(r.requester)
        self.permit_kinds = {a: frozenset(k) for a, k in kinds.items()}

    def permitted(
        self, action: str, requester: str, affair: str | None = None, provided: str | None = None, subject: bool = False
    ) -> Grant | None:
        """The permitting rule and its articles if some request with these fields is permitted, else None."""
        key = (action, requester, affair, provided, subject)
        if key not in self._grants:
            self._grants[key] = self._search(*key)
        return self._grants[key]

    def _search(self, action: str, requester: str, affair: str | None, provided: str | None, subject: bool) -> Grant | None:
        p = self.policy
        kind = p.requester_kind(requester)
        if kind not in self.permit_kinds.get(action, ()):
            return None
        base = Request(requester, action, "center", affair, provided, subject_is_requester=subject)

        def may_apply(rule: Rule) -> bool:  # the conditions no free field can change already hold
            bound = (c for c in rule.when if c.removeprefix("not:") in BOUND_CONDITIONS)
            return kind in rule.requester and all(p.holds(c, base) for c in bound)

        nodes = [n for n in NODE_KINDS if any(r.effect == "permit" and may_apply(r) for r in p._by_action.get((n, action), ()))]
        msg = p.action_message.get(action)
        schema = frozenset(p.messages[msg].items) if msg in p.messages else frozenset()
        item_sets = [frozenset(), self.items] if self.items - schema else [frozenset()]
        # keys_allowed true (an allowed combination), false (no key), and batch (decided by the affair)
        keysets = [("interactive", k) for k in sorted(p.allowed_keys, key=sorted)[:1]]
        keysets += [("interactive", frozenset()), ("batch", frozenset())]
        for node, auth, scope, (mode, keys), items in itertools.product(nodes, (True, False), (True, False), keysets, item_sets):
            d = decide(p, Request(requester, action, node, affair, provided, keys, items, mode, auth, scope, subject))
            if d.allowed:
                return d.rule, d.articles
        return None

    def relevant_affairs(self, requester: str) -> tuple[str, ...]:
        """Affairs whose conditions can differ for this requester; any other behaves as `other`."""
        if requester not in self._affairs_of:
            body = self.policy.bodies.get(requester)
            mine = set(body.affairs) if body else set()
            mine |= {a for b, a in self.statute.listed if b == requester}
            mine |= set(self.policy.batch_affairs)
            self._affairs_of[requester] = (*sorted(mine), "other")
        return self._affairs_of[requester]
