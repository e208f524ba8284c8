"""The reference evaluator over the default configuration (C02, C05, C06, C08, C10, C12)."""

from __future__ import annotations

import pytest
from hypothesis import event, find, given, settings
from hypothesis import strategies as st

from jukinet.model.config.scenario import Scenario, load
from jukinet.model.law.policy import ACTIONS, Policy, Request, decide

BASE = load(None)
POLICY = BASE.policy
STATUTE = BASE.config.statute
IDENTITY = STATUTE.identity_items
ROWS = sorted(STATUTE.rows)
BODIES = sorted(POLICY.bodies)
ITEMS = sorted(STATUTE.item_ids)
KEYS = ["code", "name", "address", "dob", "sex", "wildcard"]

random_requests = st.builds(
    Request,
    requester=st.one_of(
        st.sampled_from(BODIES),
        st.sampled_from(["private:bank", "private:telco", "nat:unknown", "resident:1", "cs:131016", "pref:13", "mystery"]),
    ),
    action=st.sampled_from(ACTIONS),
    node=st.sampled_from(["center", "prefecture", "cs", "recipient"]),
    affair=st.one_of(st.none(), st.sampled_from(ROWS), st.just("A1-999")),
    provided_affair=st.one_of(st.none(), st.sampled_from(ROWS)),
    keys=st.frozensets(st.sampled_from(KEYS), max_size=4),
    items=st.frozensets(st.sampled_from(ITEMS), max_size=8),
    mode=st.sampled_from(["interactive", "batch"]),
    operator_authenticated=st.booleans(),
    operator_in_scope=st.booleans(),
    subject_is_requester=st.booleans(),
)
LISTED = sorted(STATUTE.listed)
# requests near the permitted ones: a listed (body, affair) at the center by an authenticated operator,
# everything else still drawn, so that the properties' "if allowed" branches are reached often
near_permitted = st.builds(
    lambda pair, keys, items, mode, authed, in_scope: Request(
        requester=pair[0],
        action="provide",
        node="center",
        affair=pair[1],
        keys=keys,
        items=items,
        mode=mode,
        operator_authenticated=authed,
        operator_in_scope=in_scope,
    ),
    st.sampled_from(LISTED),
    st.sampled_from([frozenset(k) for k in POLICY.allowed_keys] + [frozenset({"wildcard"}), frozenset({"name"})]),
    st.one_of(st.frozensets(st.sampled_from(sorted(IDENTITY)), max_size=6), st.frozensets(st.sampled_from(ITEMS), max_size=8)),
    st.sampled_from(["interactive", "interactive", "batch"]),
    st.sampled_from([True, True, True, False]),
    st.sampled_from([True, True, True, False]),
)
# the other actions by the requester kinds that perform them, with operators mostly authenticated
other_actions = st.builds(
    Request,
    requester=st.sampled_from(["cs:131016", "pref:13", "resident:1", "center", *BODIES[:8]]),
    action=st.sampled_from([a for a in ACTIONS if a != "provide"]),
    node=st.sampled_from(["center", "prefecture", "cs", "recipient"]),
    affair=st.one_of(st.none(), st.sampled_from(ROWS)),
    provided_affair=st.one_of(st.none(), st.sampled_from(ROWS)),
    items=st.frozensets(st.sampled_from(sorted(IDENTITY)), max_size=6),
    operator_authenticated=st.sampled_from([True, True, True, False]),
    operator_in_scope=st.sampled_from([True, True, True, False]),
    subject_is_requester=st.booleans(),
)
requests = st.one_of(random_requests, near_permitted, other_actions)


@pytest.mark.parametrize(
    "case",
    ["interactive provision", "batch provision", "refused provision", "private party refused", "other action permitted"],
)
def test_the_request_generator_reaches_each_case_the_properties_assert_on(case: str) -> None:
    """The properties below assert on permitted and refused requests: the generator must reach each
    kind (each property also labels its examples with `event`, shown by --hypothesis-show-statistics)."""
    cases = {
        "interactive provision": lambda r: r.action == "provide" and r.mode == "interactive" and decide(POLICY, r).allowed,
        "batch provision": lambda r: r.action == "provide" and r.mode == "batch" and decide(POLICY, r).allowed,
        "refused provision": lambda r: r.action == "provide" and r.requester in POLICY.bodies and not decide(POLICY, r).allowed,
        "private party refused": lambda r: r.requester.startswith("private:") and not decide(POLICY, r).allowed,
        "other action permitted": lambda r: r.action != "provide" and decide(POLICY, r).allowed,
    }
    find(requests, cases[case], settings=settings(max_examples=10_000, database=None))  # found early; rare cases need room


@given(requests)
def test_provision_only_to_listed_public_bodies_for_listed_affairs(r: Request) -> None:
    """C02 (Art. 30-7, 30-8, 30-30): no body outside the annex tables, no unlisted affair, no private party."""
    d = decide(POLICY, r)
    event("permitted provision" if d.allowed and r.action == "provide" else "other")
    if d.allowed and r.action == "provide":
        assert (r.requester, r.affair) in STATUTE.listed
        assert POLICY.bodies[r.requester].kind == "public"
        assert r.items <= set(IDENTITY)


@given(requests)
def test_private_parties_and_unknown_requesters_never_get_anything(r: Request) -> None:
    """C02, C05, C06 (Art. 30-43): a private or unregistered party is allowed nothing."""
    if r.requester.startswith(("private:", "nat:", "mystery")):
        assert not decide(POLICY, r).allowed


@given(requests)
def test_every_permitted_operation_had_an_authenticated_operator_in_scope(r: Request) -> None:
    """C08: operations by people (all but the prefecture's system forward and recipients' own use) need both."""
    d = decide(POLICY, r)
    if d.allowed and r.action not in ("forward", "use", "demand_code"):
        assert r.operator_authenticated and r.operator_in_scope


@given(requests)
def test_lookups_only_by_allowed_keys_or_scheduled_batch(r: Request) -> None:
    """C10: interactive lookups by code or an allowed combination; batch only for batch affairs."""
    d = decide(POLICY, r)
    if d.allowed and r.action == "provide":
        if r.mode == "interactive":
            assert "wildcard" not in r.keys and r.keys in POLICY.allowed_keys
        else:
            assert STATUTE.rows[r.affair or ""].batch


def _req(**kw: object) -> Request:
    base: dict[str, object] = dict(
        requester="mhlw",
        action="provide",
        node="center",
        affair="A1-74",
        keys=frozenset({"code"}),
        items=frozenset({"name", "address", "dob", "sex"}),
    )
    base.update(kw)
    return Request(**base)  # type: ignore[arg-type]


def test_pension_lookup_by_code_is_allowed_and_cites_the_article() -> None:
    d = decide(POLICY, _req())
    assert d.allowed and d.permits == ("center.provide.national",)
    assert "30-7(3)" in d.articles and "C02" in d.constraints


def test_unauthenticated_operator_is_refused_naming_the_condition() -> None:
    d = decide(POLICY, _req(operator_authenticated=False))
    assert not d.allowed
    assert d.reason == "denied: center.provide.national fails on operator_authenticated"


def test_wildcard_lookup_is_refused() -> None:
    d = decide(POLICY, _req(keys=frozenset({"wildcard"})))
    assert not d.allowed and "keys_allowed" in d.reason


def test_batch_only_for_batch_affairs() -> None:
    assert decide(POLICY, _req(mode="batch", keys=frozenset())).allowed  # A1-74 pension benefits
    assert not decide(POLICY, _req(requester="mofa", affair="A1-41", mode="batch", keys=frozenset())).allowed


def test_unlisted_affair_for_a_listed_body_is_refused() -> None:
    d = decide(POLICY, _req(requester="mofa", affair="A1-74"))  # passports office asking for pensions
    assert not d.allowed and "affair_registered" in d.reason


def test_private_party_demanding_a_code_is_forbidden_by_30_43() -> None:
    policy = _with_private()
    d = decide(policy, Request(requester="bank", action="demand_code", node="recipient", affair="A1-74"))
    assert not d.allowed and d.forbids == ("recipient.demand_code.private.forbid",)
    assert "30-43(1)(2)" in d.articles


def test_resident_sees_own_record_but_not_anothers() -> None:
    """Art. 30-37: the resident asks the prefectural governor (the prefecture server's copy), not the municipal
    counter (prefectures' 30-37 disclosure rules); C12."""
    own = Request(
        requester="resident:1", action="disclose", node="prefecture", subject_is_requester=True, items=frozenset(IDENTITY)
    )
    d = decide(POLICY, own)
    assert d.allowed and d.rule == "prefecture.disclose.self" and "30-37" in d.articles
    other = Request(
        requester="resident:1", action="disclose", node="prefecture", subject_is_requester=False, items=frozenset(IDENTITY)
    )
    assert not decide(POLICY, other).allowed
    at_the_counter = Request(
        requester="resident:1", action="disclose", node="cs", subject_is_requester=True, items=frozenset(IDENTITY)
    )
    assert not decide(POLICY, at_the_counter).allowed


def _with_private() -> Policy:
    from jukinet.model.law.policy import RegistryBody

    cfg = BASE.config
    reg = cfg.registry.model_copy(
        update={"body": (RegistryBody(id="bank", name="a bank", level="private", kind="private", affairs=("A1-74",)),)}
    )
    return Policy.build(cfg.policy, reg, cfg.statute)


def test_mutant_private_recipient_is_caught(scenario_file) -> None:  # type: ignore[no-untyped-def]
    """Mutant: register a private bank and let the center serve private parties: the C02 property breaks."""
    mutant: Scenario = load(
        scenario_file("""
[[registry.body]]
id = "bank"
name = "a private bank"
level = "private"
kind = "private"
affairs = ["A1-74"]
[[policy.rules]]
id = "center.provide.private.forbid"
remove = true
[[policy.rules]]
id = "center.provide.private"
effect = "permit"
node = "center"
action = "provide"
requester = ["private"]
when = ["affair_registered"]
articles = ["30-30"]
""")
    )
    d = decide(mutant.policy, _req(requester="bank"))
    assert d.allowed  # the mutant lets it through ...
    assert ("bank", "A1-74") not in STATUTE.listed  # ... and the law says it must not


def test_mutant_dropping_authentication_is_caught(scenario_file) -> None:  # type: ignore[no-untyped-def]
    """Mutant: the national provision rule without operator authentication breaks C08."""
    mutant = load(
        scenario_file("""
[[policy.rules]]
id = "center.provide.national"
when = ["registered", "affair_registered", "public_body", "keys_allowed", "items_in_schema"]
""")
    )
    assert decide(mutant.policy, _req(operator_authenticated=False)).allowed
    assert not decide(POLICY, _req(operator_authenticated=False)).allowed
