"""The flow model (model/law/flow.py) and its proofs (proofs/flow.py, flowprops.py) agree: on generated
small networks and policies, a flow constraint is PROVED by the solver only if the plain
breadth-first search reaches no unlawful holding, and whenever the search reaches one the solver
says VIOLATED; every hop of the search is a step the solver's relation permits."""

from __future__ import annotations

import networkx as nx
import z3
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from jukinet.model.config.scenario import load
from jukinet.model.law.flow import FLOW_CONSTRAINTS, Flow
from jukinet.model.law.policy import Policy
from jukinet.proofs.encode import Encoding
from jukinet.proofs.flow import NOBODY, FlowEncoding
from jukinet.proofs.flowprops import flow_query

BASE = load(None)
SEC = {
    "dedicated": True,
    "mutual_auth": True,
    "encrypted": True,
    "intrusion_detection": True,
    "firewall": "center-managed",
    "protocol": "juki-app",
}
NODES = {
    "center": {"kind": "center"},
    "pref:13": {"kind": "prefecture"},
    "cs:131016": {"kind": "cs"},
    "cs:132152": {"kind": "cs"},
    "nat:mhlw": {"kind": "recipient", "body": "mhlw"},
    "nat:moj": {"kind": "recipient", "body": "moj"},
    "municipal_head:131016": {"kind": "recipient", "body": "municipal_head"},
    "broker": {"kind": "private"},  # a name outside every registry and annex
    "jpki": {"kind": "jpki"},
}
MESSAGES = [
    "notification",
    "forward",
    "provision",
    "provision_request",
    "transfer_notice",
    "wide_area_copy",
    "jpki_revocation",
    "disclosure",
    "mystery",
]
links = st.lists(
    st.tuples(st.sampled_from(sorted(NODES)), st.sampled_from(sorted(NODES)), st.sets(st.sampled_from(MESSAGES), max_size=3)),
    min_size=1,
    max_size=10,
)
RULES = {r.id: r for r in BASE.config.policy.rules}
rule_edits = st.sets(st.sampled_from(sorted(RULES)), max_size=4)


def network(edges: list[tuple[str, str, set[str]]]) -> nx.DiGraph:
    g = nx.DiGraph()
    for n, d in NODES.items():
        g.add_node(n, **d)
    for a, b, msgs in edges:
        if a != b:
            g.add_edge(a, b, messages=tuple(sorted(msgs)), **SEC)
    return g


def policy(dropped_conditions: set[str], cross_use: bool) -> Policy:
    """The baseline policy, with the conditions of some rules dropped (each drop may open a flow)."""
    cfg = BASE.config
    rules = tuple(r.model_copy(update={"when": ()}) if r.id in dropped_conditions else r for r in cfg.policy.rules)
    if cross_use:
        rules = tuple(r.model_copy(update={"when": ("affair_registered",)}) if r.action == "use" else r for r in rules)
    return Policy.build(cfg.policy.model_copy(update={"rules": rules}), cfg.registry, cfg.statute)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(links, rule_edits, st.booleans())
def test_solver_and_breadth_first_search_agree_on_generated_networks(edges, dropped, cross_use) -> None:
    pol = policy(dropped, cross_use)
    flow = Flow(network(edges), pol, BASE.config.statute)
    named = tuple(sorted({flow.requester_of(n) for n in flow.nodes} | {"-"}))
    fe = FlowEncoding(flow, Encoding.build(pol, BASE.config.statute, named))
    for cid in FLOW_CONSTRAINTS:
        premise, goal, *_ = flow_query(fe, cid)
        s = z3.Solver()
        s.set("timeout", 20000)
        s.add(premise, z3.Not(goal))
        answer = s.check()
        _, bad = flow.reach(stop=(cid,))
        event(f"{cid}: {answer}, search {'finds' if bad else 'finds no'} unlawful holding")
        assert answer != z3.unknown
        if bad is not None:
            assert answer == z3.sat, (cid, bad)  # the search's leak is the solver's too
        if answer == z3.unsat:
            assert bad is None  # PROVED means no reachable leak


def test_every_hop_of_the_search_is_a_step_of_the_solver_relation() -> None:
    """The plain search and the compiled relation agree step by step on a network with every message."""
    edges = [(a, b, set(MESSAGES[:8])) for a in NODES for b in NODES if a != b][::3]
    pol = policy({"prefecture.disclose.self"}, cross_use=True)
    flow = Flow(network(edges), pol, BASE.config.statute)
    named = tuple(sorted({flow.requester_of(n) for n in flow.nodes} | {"-"}))
    fe = FlowEncoding(flow, Encoding.build(pol, BASE.config.statute, named))
    a, b = fe.state("a"), fe.state("b")
    step = z3.And(fe.facts, fe.domain(a, b), fe.step(a, b))
    parent, _ = flow.reach()
    hops = [h for h in parent.values() if h is not None]
    assert len(hops) > 50
    s = z3.Solver()
    s.add(step)
    for hop in hops[::20]:

        def bind(st_, holder, tok):
            e = fe.enc
            return z3.And(
                st_.node == fe.node[holder[0]],
                st_.comp == e.a_const["none" if holder[1] == "-" else holder[1]],
                st_.item == fe.item[tok.item],
                st_.origin == fe.node_sig[NOBODY if tok.origin == "-" else tok.origin],
                st_.tag == e.a_const["none" if tok.tag == "-" else tok.tag],
                st_.sealed == tok.sealed,
                st_.away == tok.away,
                st_.key == tok.key,
                st_.disclosed == tok.disclosed,
            )

        assert s.check(bind(a, hop.src, hop.held), bind(b, hop.dst, hop.token)) == z3.sat, hop


def test_linkage_of_the_baseline_names_the_center_index_and_the_pension_body() -> None:
    from jukinet.proofs.linkage import linkage

    report = linkage(Flow(BASE.graph, BASE.policy, BASE.config.statute))
    assert "nat:mhlw" in report["by_body"] and len(report["by_body"]["nat:mhlw"]) > 5
    heads = [b for b in report["by_body"] if b.startswith("municipal_head:")]
    assert len(heads) == len(BASE.municipalities)  # each office its own body, not one "municipal_head"
    assert report["center_provision_log_joins"] > 100
    assert report["pairs_of_bodies_that_can_join_by_it"] == report["bodies_holding_it"] * (report["bodies_holding_it"] - 1) // 2
