"""The record tables a run writes from its components' state: notifications (in batches as they
settle), and when it ends counter visits, relays, code changes, links and inspections (provisions
and the access log are streamed while it runs; cards, decisions and route hops are buffers).
Each function takes what it writes, never the engine."""

from __future__ import annotations

from collections.abc import Sequence

import networkx as nx
import numpy as np
import pyarrow as pa

from jukinet.model.config.settings import OrganisationConfig
from jukinet.model.sim.messages import Notification, Relay
from jukinet.model.sim.records import VISIT_KINDS, Buffer, Sink


def notifications_batch(b: Buffer, sink: Sink, lg: Sequence[str], items: str, n: list[Notification]) -> None:
    """Write settled notifications (in id order) to the run's notifications file."""
    b.append(
        id=np.array([m.id for m in n], dtype=np.int64),
        time=np.array([m.time for m in n]),
        cs=b.codes("cs", [lg[m.cs] for m in n]),
        code=np.array([m.code for m in n], dtype=np.int64),
        change=b.codes("change", [m.change for m in n]),
        items=np.full(len(n), b.code("items", items), np.int32),
        operator=np.array([m.operator for m in n], dtype=np.int32),
        at_prefecture=np.array([m.at_prefecture for m in n]),
        at_center=np.array([m.at_center for m in n]),
        tries=np.array([m.tries for m in n], dtype=np.int32),
    )
    b.flush(sink)


def relays_table(r: Sequence[Relay], lg: Sequence[str]) -> pa.Table:
    b = Buffer("relays")
    if r:
        b.append(
            id=np.array([m.id for m in r], dtype=np.int64),
            kind=b.codes("kind", [m.kind for m in r]),
            time=np.array([m.time for m in r]),
            src=b.codes("src", [lg[m.src] for m in r]),
            dst=b.codes("dst", [lg[m.dst] for m in r]),
            code=np.array([m.code for m in r], dtype=np.int64),
            arrived=np.array([m.arrived for m in r]),
            tries=np.array([m.tries for m in r], dtype=np.int32),
        )
    return b.to_arrow()


def code_changes_table(changes: Sequence[tuple[float, int, int]]) -> pa.Table:
    b = Buffer("code_changes")
    if changes:
        t, old, new = zip(*changes, strict=True)
        b.append(time=np.array(t), old=np.array(old, dtype=np.int64), new=np.array(new, dtype=np.int64))
    return b.to_arrow()


def visits_table(visits: np.ndarray, lg: Sequence[str]) -> pa.Table:
    b = Buffer("counter_visits")
    day, muni, kind = np.nonzero(visits)
    if len(day):
        b.append(
            day=day.astype(np.int32),
            cs=b.codes("cs", [lg[int(i)] for i in muni]),
            kind=b.codes("kind", [VISIT_KINDS[k] for k in kind]),
            count=visits[day, muni, kind],
        )
    return b.to_arrow()


def links_table(graph: nx.DiGraph) -> pa.Table:
    b = Buffer("links")
    edges = list(graph.edges(data=True))
    if edges:
        b.append(
            src=b.codes("src", [a for a, _, _ in edges]),
            dst=b.codes("dst", [x for _, x, _ in edges]),
            messages=b.codes("messages", [",".join(d["messages"]) for _, _, d in edges]),
            **{
                k: np.array([bool(d.get(k)) for _, _, d in edges])
                for k in ("dedicated", "mutual_auth", "encrypted", "intrusion_detection")
            },
            firewall=b.codes("firewall", [str(d.get("firewall")) for _, _, d in edges]),
            protocol=b.codes("protocol", [str(d.get("protocol")) for _, _, d in edges]),
        )
    return b.to_arrow()


def inspections_table(org: OrganisationConfig, lg: Sequence[str]) -> pa.Table:
    b = Buffer("inspections")
    exempt = set(org.self_inspection_exempt)
    b.append(
        cs=b.codes("cs", lg),
        self_inspected=np.array([x not in exempt for x in lg]),
        external_audit=np.full(len(lg), org.external_audits),
    )
    return b.to_arrow()
