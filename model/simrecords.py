"""The record tables a run writes when it ends: notifications, counter visits, cards, decisions,
links and inspections (provisions and the access log are streamed while it runs)."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from model.netsim import Notification
from model.records import Buffer
from model.sim import VISIT_KINDS, Simulation


def write_remaining(sim: Simulation) -> None:
    """Write every record table not yet written into the run's records folder."""
    sim.buf["provisions"].flush(sim.provision_sink)
    sim.provision_sink.close(Buffer("provisions").to_arrow())
    sim.log.close()
    sim._flush_notes(final=True)
    sim.note_sink.close(Buffer("notifications").to_arrow())
    for name, table in (
        ("counter_visits", visits_table(sim)),
        ("relays", relays_table(sim)),
        ("code_changes", code_changes_table(sim)),
        ("cards", sim.buf["cards"].to_arrow()),
        ("decisions", sim.buf["decisions"].to_arrow()),
        ("route_hops", sim.buf["route_hops"].to_arrow()),
        ("links", links_table(sim)),
        ("inspections", inspections_table(sim)),
    ):
        pq.write_table(table, sim.records / f"{name}.parquet")


def notifications_batch(sim: Simulation, n: list[Notification]) -> None:
    """Write settled notifications (in id order) to the run's notifications file."""
    b = sim.note_buf
    b.append(
        id=np.array([m.id for m in n], dtype=np.int64),
        time=np.array([m.time for m in n]),
        cs=b.codes("cs", [sim.lg[m.cs] for m in n]),
        code=np.array([m.code for m in n], dtype=np.int64),
        change=b.codes("change", [m.change for m in n]),
        items=np.full(len(n), b.code("items", sim.note_items), np.int32),
        operator=np.array([m.operator for m in n], dtype=np.int32),
        at_prefecture=np.array([m.at_prefecture for m in n]),
        at_center=np.array([m.at_center for m in n]),
        tries=np.array([m.tries for m in n], dtype=np.int32),
    )
    b.flush(sim.note_sink)


def relays_table(sim: Simulation) -> pa.Table:
    b = Buffer("relays")
    r = sim.relays
    if r:
        b.append(
            id=np.array([m.id for m in r], dtype=np.int64),
            kind=b.codes("kind", [m.kind for m in r]),
            time=np.array([m.time for m in r]),
            src=b.codes("src", [sim.lg[m.src] for m in r]),
            dst=b.codes("dst", [sim.lg[m.dst] for m in r]),
            code=np.array([m.code for m in r], dtype=np.int64),
            arrived=np.array([m.arrived for m in r]),
            tries=np.array([m.tries for m in r], dtype=np.int32),
        )
    return b.to_arrow()


def code_changes_table(sim: Simulation) -> pa.Table:
    b = Buffer("code_changes")
    if sim.code_changes:
        t, old, new = zip(*sim.code_changes, strict=True)
        b.append(time=np.array(t), old=np.array(old, dtype=np.int64), new=np.array(new, dtype=np.int64))
    return b.to_arrow()


def visits_table(sim: Simulation) -> pa.Table:
    b = Buffer("counter_visits")
    day, muni, kind = np.nonzero(sim.visits)
    if len(day):
        b.append(
            day=day.astype(np.int32),
            cs=b.codes("cs", [sim.lg[i] for i in muni]),
            kind=b.codes("kind", [VISIT_KINDS[k] for k in kind]),
            count=sim.visits[day, muni, kind],
        )
    return b.to_arrow()


def links_table(sim: Simulation) -> pa.Table:
    b = Buffer("links")
    edges = list(sim.sc.graph.edges(data=True))
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


def inspections_table(sim: Simulation) -> pa.Table:
    b = Buffer("inspections")
    org = sim.sc.config.organisation
    exempt = set(org.self_inspection_exempt)
    b.append(
        cs=b.codes("cs", sim.lg),
        self_inspected=np.array([lg not in exempt for lg in sim.lg]),
        external_audit=np.full(len(sim.lg), org.external_audits),
    )
    return b.to_arrow()
