"""Facts the flow proofs take from Python rather than from the solver, each computed from the configuration and
handed to the solver as a checked fact, and named in every verdict that rests on it (issue 26: a fact computed in
Python is a checked fact and is labelled one)."""

from __future__ import annotations

from jukinet.model.law.flow import Flow
from jukinet.model.law.relays import unasked


def unasked_links(f: Flow, message: str) -> list[tuple[str, str]]:
    """The links carrying `message` to a body from a node its own queries never reach (model/law/flow.py
    `misdelivered`, `asks_through`; through a carrier's relays, the nodes behind them): the answer there is another's
    (provision only on request, Art. 30-7(3))."""
    links = [(u, v) for u, v, m, _ in f.links if m == message and f.is_body(v)]
    return sorted({(u, v) for u, v in links if unasked(f.graph, f.asks_through[v], u, v, message)})


def checked_facts(f: Flow) -> list[str]:
    """One line per checked fact a flow verdict rests on, when the configuration gives it anything to say."""
    pulls = [m for m, a in f.message_action.items() if f.policy.action_requester.get(a) != "sender"]
    facts = (
        (
            sorted({n for ns in f.never_asks.values() for n in ns}),
            "node(s) declared of an addressee kind that no registry entry stands for",
            "never_asks",
        ),
        (
            [f"{u} -> {v}" for m in pulls for u, v in unasked_links(f, m)],
            "link(s) bringing a body answers from a node its own queries never reach",
            "asks_through",
        ),
    )
    return [
        f"rests on a checked fact: {len(xs)} {what} ({', '.join(xs[:3])}{' ...' if len(xs) > 3 else ''}; "
        f"model/law/flow.py {fn}, computed in Python)"
        for xs, what, fn in facts
        if xs
    ]


def carried_home(f: Flow, message: str, first: str, home: str) -> bool:
    """A notification sent to `first` reaches no node but added relays and the CS's own prefecture server `home`: it is
    sealed for another kind than a relay, so the relays (carriers' lines) cannot open it and hold nothing (C16 reads
    through them; model/law/flow.py `Flow.conduit`).  A checked fact of C16's proof."""
    if not f.sealed(message) or f.dst_kind(message) == "relay":
        return False
    seen, todo = set(), [first]
    while todo:
        n = todo.pop()
        if n in seen or n == home:
            continue
        if f.kinds.get(n) != "relay":
            return False
        seen.add(n)
        todo += [v for _, v, d in f.graph.out_edges(n, data=True) if message in d.get("messages", ())]
    return True


def conduit_links(f: Flow) -> list[tuple[str, str]]:
    """The links with a relay at one end that declare only messages sealed for another kind than a relay: the relay
    cannot open them, so it is a carrier's line there, no principal (model/law/flow.py `Flow.conduit`), and the link
    joins no two bodies (C03).  A checked fact of C03's link proof."""
    out = []
    for u, v, d in f.graph.edges(data=True):
        msgs = d.get("messages", ())
        sealed = all(f.sealed(m) and f.dst_kind(m) != "relay" for m in msgs)
        if "relay" in (f.kinds.get(u), f.kinds.get(v)) and msgs and sealed:
            out.append((u, v))
    return sorted(out)


def pure_carriers(f: Flow) -> tuple[list[str], list[str]]:
    """The relays every link into which is a carrier's line (`conduit_links`), and those of them no query reaches: the
    nodes C03's and C04's lemmas speak of (proofs/flow.py `strengthening`).  A hint, not a checked fact: the solver
    proves the lemmas, so a wrong hint costs a complete search, never a verdict."""
    lines = set(conduit_links(f))
    pure = [n for n in f.nodes if f.kinds[n] == "relay" and all((u, n) in lines for u in f.graph.predecessors(n))]
    asked = {v for _, v, d in f.graph.edges(data=True) if any(f.query(m) for m in d.get("messages", ()))}
    return pure, [n for n in pure if n not in asked]
