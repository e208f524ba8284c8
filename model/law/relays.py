"""A carrier's relays, read the same way wherever a message's sender or resting place matters: a relay (node kind
`relay`, a carrier's line) makes nothing; what it passes on was sent into the relays by the nodes behind them, and it
comes to rest at every node the relays pass it on to."""

from __future__ import annotations

from collections.abc import Iterable

import networkx as nx


def _relay(graph: nx.DiGraph, node: str) -> bool:
    return bool(graph.nodes[node].get("kind") == "relay")


def senders(graph: nx.DiGraph, node: str, message: str) -> tuple[frozenset[str], frozenset[str]]:
    """(senders, relays) of `message` sent over a link out of `node`: for a node that is no relay, (the node, none);
    for a relay, the nodes outside the relays that send it into the relays reached backwards from `node` over links
    declaring it, and those relays (`node` among them)."""
    if not _relay(graph, node):
        return frozenset({node}), frozenset()
    out: set[str] = set()
    behind, todo = {node}, [node]
    while todo:
        for p, _, d in graph.in_edges(todo.pop(), data=True):
            if message not in d.get("messages", ()):
                continue
            if not _relay(graph, p):
                out.add(p)
            elif p not in behind:
                behind.add(p)
                todo.append(p)
    return frozenset(out), frozenset(behind)


def rest_at(graph: nx.DiGraph, starts: Iterable[str], message: str) -> frozenset[str]:
    """Where `message` put on links to `starts` comes to rest: a node that is no relay, or a relay that passes it
    nowhere; a relay passes it on over its links declaring it."""
    ends: set[str] = set()
    seen, todo = set(starts), list(starts)
    while todo:
        n = todo.pop()
        onward = [v for _, v, d in graph.out_edges(n, data=True) if message in d.get("messages", ())]
        if not _relay(graph, n) or not onward:
            ends.add(n)
            continue
        for v in onward:
            if v not in seen:
                seen.add(v)
                todo.append(v)
    return frozenset(ends)


def through_relays(graph: nx.DiGraph, node: str, message: str) -> tuple[frozenset[str], frozenset[str]]:
    """(senders, ends) of `message` passed on over a link out of `node`: who sent it into the relays behind `node`
    (`senders`), and everywhere those relays pass it (`rest_at`; none for a node that is no relay): an answer that a
    line passes to two bodies is either's, not one's own."""
    sent, behind = senders(graph, node, message)
    return sent, rest_at(graph, behind, message)


def unasked(graph: nx.DiGraph, asked: frozenset[str], src: str, node: str, message: str) -> bool:
    """An answer `src` hands to `node` that `node` did not ask for: sent by a node its queries never reach (`asked`),
    or, through a carrier's relays, by one behind them, or passed by the relays to another node as well."""
    sent, ends = through_relays(graph, src, message)
    return not sent <= asked or bool(ends - {node})
