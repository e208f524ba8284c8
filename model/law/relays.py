"""A carrier's relays, read the same way wherever an answer's sender matters: a relay (node kind `relay`, a
carrier's line) makes nothing; what it passes on was sent into the relays by the nodes behind them, and it reaches
every node the relays pass it on to."""

from __future__ import annotations

import networkx as nx


def _relay(graph: nx.DiGraph, node: str) -> bool:
    return bool(graph.nodes[node].get("kind") == "relay")


def through_relays(graph: nx.DiGraph, node: str, message: str) -> tuple[frozenset[str], frozenset[str]]:
    """(senders, ends) of `message` passed on over a link out of `node`.  For a node that is no relay: (the node, none).
    For a relay: the nodes outside the relays that send the message into the relays reached backwards from `node`
    over links declaring it, and the nodes outside the relays that those relays pass it on to (a relay that passes it
    nowhere keeps it): an answer that a line passes to two bodies is either's, not one's own."""
    if not _relay(graph, node):
        return frozenset({node}), frozenset()
    senders: set[str] = set()
    behind, todo = {node}, [node]
    while todo:
        for p, _, d in graph.in_edges(todo.pop(), data=True):
            if message not in d.get("messages", ()):
                continue
            if not _relay(graph, p):
                senders.add(p)
            elif p not in behind:
                behind.add(p)
                todo.append(p)
    ends: set[str] = set()
    seen, todo = set(behind), list(behind)
    while todo:
        r = todo.pop()
        onward = [v for _, v, d in graph.out_edges(r, data=True) if message in d.get("messages", ())]
        if not onward:
            ends.add(r)
        for v in onward:
            if not _relay(graph, v):
                ends.add(v)
            elif v not in seen:
                seen.add(v)
                todo.append(v)
    return frozenset(senders), frozenset(ends)


def unasked(graph: nx.DiGraph, asked: frozenset[str], src: str, node: str, message: str) -> bool:
    """An answer `src` hands to `node` that `node` did not ask for: sent by a node its queries never reach (`asked`),
    or, through a carrier's relays, by one behind them, or passed by the relays to another node as well."""
    senders, ends = through_relays(graph, src, message)
    return not senders <= asked or bool(ends - {node})
