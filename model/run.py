"""Finish a simulation: the records as tables, the hash-chained access log, the summary, the
run folder (summary.json, records/*.parquet, report.md, plots)."""

from __future__ import annotations

import math
import time
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from model.meta import stamp
from model.records import Buffer
from model.sim import Simulation, poisson_interval

FY2006_TARGETS = {  # the mission's source document (juki_facts.md s.1), per year at scale 1
    "provisions_national": 70_000_000,
    "provisions_local": 4_000_000,
    "copies_not_needed": 4_400_000,
    "existence_reports_not_needed": 14_000_000,
}


def finish(sim: Simulation) -> dict[str, pa.Table]:
    """Turn the run's buffers, notifications, visits and log into Arrow tables."""
    notes = Buffer("notifications")
    if sim.notes:
        n = sim.notes
        notes.append(
            id=np.array([m.id for m in n], dtype=np.int64),
            time=np.array([m.time for m in n]),
            cs=notes.codes("cs", (sim.lg[m.cs] for m in n)),
            code=np.array([m.code for m in n], dtype=np.int64),
            change=notes.codes("change", (m.change for m in n)),
            items=np.full(len(n), notes.code("items", sim.note_items), np.int32),
            operator=np.full(len(n), -1, dtype=np.int32),
            at_prefecture=np.array([sim.at_pref.get(m.id, math.nan) for m in n]),
            at_center=np.array([sim.at_center.get(m.id, math.nan) for m in n]),
            tries=np.array([m.tries for m in n], dtype=np.int32),
        )
    visits = Buffer("counter_visits")
    if sim.visits:
        keys = sorted(sim.visits)
        visits.append(
            day=np.array([k[0] for k in keys], dtype=np.int32),
            cs=visits.codes("cs", (sim.lg[k[1]] for k in keys)),
            kind=visits.codes("kind", (k[2] for k in keys)),
            count=np.array([sim.visits[k] for k in keys]),
        )
    links = Buffer("links")
    edges = list(sim.sc.graph.edges(data=True))
    if edges:
        links.append(
            src=links.codes("src", [a for a, _, _ in edges]),
            dst=links.codes("dst", [b for _, b, _ in edges]),
            messages=links.codes("messages", [",".join(d["messages"]) for _, _, d in edges]),
            **{
                k: np.array([bool(d.get(k)) for _, _, d in edges])
                for k in ("dedicated", "mutual_auth", "encrypted", "intrusion_detection")
            },
            firewall=links.codes("firewall", [str(d.get("firewall")) for _, _, d in edges]),
            protocol=links.codes("protocol", [str(d.get("protocol")) for _, _, d in edges]),
        )
    insp = Buffer("inspections")
    exempt = set(sim.sc.config.organisation.self_inspection_exempt)
    insp.append(
        cs=insp.codes("cs", sim.lg),
        self_inspected=np.array([lg not in exempt for lg in sim.lg]),
        external_audit=np.full(len(sim.lg), sim.sc.config.organisation.external_audits),
    )
    tables = {
        "notifications": notes.to_arrow(),
        "provisions": sim.buf["provisions"].to_arrow(),
        "access_log": sim.log.finish(),
        "cards": sim.buf["cards"].to_arrow(),
        "counter_visits": visits.to_arrow(),
        "decisions": sim.buf["decisions"].to_arrow(),
        "links": links.to_arrow(),
        "inspections": insp.to_arrow(),
    }
    return tables


def _figure(
    value: float, unit: str, source: str, expected: float | None = None, ci: tuple[float, float] | None = None
) -> dict[str, Any]:
    out: dict[str, Any] = {"value": value, "unit": unit, "source": source}
    if expected is not None:
        out["expected"] = expected
    if ci is not None:
        out["ci95"] = [ci[0], ci[1]]
    return out


def summarise(sim: Simulation, tables: dict[str, pa.Table], wall: float) -> dict[str, Any]:
    sc = sim.sc
    s = sim.scale
    p = tables["provisions"]
    allowed = p.column("allowed").to_numpy(zero_copy_only=False)
    level = np.asarray(p.column("level").to_pylist()) if p.num_rows else np.empty(0)
    purpose = np.asarray(p.column("purpose").to_pylist()) if p.num_rows else np.empty(0)
    c = sim.counts.events
    exp = sim.expected()
    figures: dict[str, Any] = {}
    for key, src in (
        ("births", "[events].births: MHLW 2006"),
        ("deaths", "[events].deaths: MHLW 2006"),
        ("moves_between", "[events].moves_between [ASSUMPTION for 2006]"),
        ("moves_within", "[events].moves_within [ASSUMPTION]"),
        ("name_changes", "[events].name_changes [ASSUMPTION]"),
        ("code_changes", "[events].code_changes [ASSUMPTION]"),
    ):
        figures[key] = _figure(c.get(key, 0), "residents", src, exp[key], poisson_interval(exp[key]))
    notes = tables["notifications"]
    n_notes = notes.num_rows
    figures["notifications"] = _figure(n_notes, "messages", "every register change (Art. 30-5; C16)")
    figures["notifications_at_prefecture"] = _figure(
        int(np.isfinite(notes.column("at_prefecture").to_numpy()).sum()) if n_notes else 0,
        "messages",
        "stored by the prefecture servers",
    )
    figures["notifications_at_center"] = _figure(
        int(np.isfinite(notes.column("at_center").to_numpy()).sum()) if n_notes else 0, "messages", "stored by the center"
    )
    figures["link_retries"] = _figure(sum(lk.retries for lk in sim.up_cs + sim.up_pref), "attempts", "[links] faults")
    for key, mask, target in (
        ("provisions_national", allowed & (level == "national"), "provisions_national"),
        ("provisions_local", allowed & (level == "local"), "provisions_local"),
        ("copies_not_needed", allowed & (purpose == "copy_replaced"), "copies_not_needed"),
        ("existence_reports_not_needed", allowed & (purpose == "existence_check"), "existence_reports_not_needed"),
    ):
        value = int(mask.sum())
        tgt = FY2006_TARGETS[target] * s
        figures[key] = _figure(
            value, "provisions", "FY2006 target: the mission's source document (juki_facts.md s.1)", tgt, poisson_interval(tgt)
        )
        figures[key]["deviation_from_target"] = value / tgt - 1 if tgt else 0.0
    figures["cohort_20"] = _figure(
        int((allowed & (purpose == "cohort_20")).sum()), "provisions", "residents turning 20, batch (annex row A1-77)"
    )
    figures["refusals"] = _figure(int((~allowed).sum()), "requests", "[provision].refusal_rate [ASSUMPTION]")
    cards_end = int(sim.res.card[: sim.res.n].sum())
    figures["cards_issued"] = _figure(c.get("cards_issued", 0), "cards", "calibrated to [cards].holders_end")
    figures["cards_in_circulation_end"] = _figure(
        cards_end,
        "cards",
        "1,413,770 on 2007-03-31 (juki_facts.md s.2)",
        sim.sc.config.cards.holders_end / 127_767_994 * sim.n_start,
    )
    figures["signatures_verified"] = _figure(c.get("signatures_verified", 0), "signatures", "real JPKI signatures verified")
    figures["signatures_rejected"] = _figure(c.get("signatures_rejected", 0), "signatures", "certificate lapsed or invalid")
    figures["jpki_revocations"] = _figure(c.get("jpki_revoked", 0), "certificates", "name/address change (Art. 30-11(9))")
    figures["notifications_withheld"] = _figure(c.get("notifications_withheld", 0), "changes", "C16 forbids any")
    figures["pin_locks"] = _figure(c.get("pin_locks", 0), "cards", "[cards].pin_error [ASSUMPTION]")
    figures["wide_area_copies"] = _figure(c.get("wide_area_copies", 0), "copies", "[events].wide_area_copy_rate [ASSUMPTION]")
    visits = tables["counter_visits"]
    figures["counter_visits"] = _figure(int(np.sum(visits.column("count").to_numpy())), "visits", "all counter visits")
    saved = dict(sim.counts.visits_saved)
    saved["copy_replaced"] = figures["copies_not_needed"]["value"]
    figures["counter_visits_saved"] = _figure(
        sum(saved.values()), "visits", "special move procedure + e-applications + copies replaced by lookups"
    )
    figures["counter_visits_saved"]["by_reason"] = saved
    log = tables["access_log"]
    head = {"count": log.num_rows, "hash": log.column("hash")[-1].as_py().hex() if log.num_rows else "0" * 64}
    return {
        "kind": "run",
        **stamp(sc.config.scenario.name, sc.hash, sim.seed),
        "scale": s,
        "fiscal_year": sim.cal.fiscal_year,
        "residents_start": sim.n_start,
        "residents_end": int(sim.res.alive[: sim.res.n].sum()),
        "municipalities": len(sim.munis),
        "figures": figures,
        "log_head": head,
        "wall_seconds": wall,
        "assumptions": "values marked [ASSUMPTION] in model/data/defaults.toml ([events], [cards], [provision], "
        "[operators], [links], [retention], [workload], [center]); see report.md",
    }


def write_tables(tables: dict[str, pa.Table], folder: Path) -> None:
    (folder / "records").mkdir()
    for name, table in tables.items():
        pq.write_table(table, folder / "records" / f"{name}.parquet")


def residents_table(sim: Simulation) -> pa.Table:
    n = sim.res.n
    return pa.table(
        {
            "code": pa.array(sim.res.code[:n]),
            "cs": pa.array([sim.lg[i] for i in sim.res.muni[:n]]).dictionary_encode(),
            "dob": pa.array(sim.res.dob[:n]),
            "sex": pa.array(sim.res.sex[:n]),
            "alive": pa.array(sim.res.alive[:n]),
            "name_version": pa.array(sim.res.name_ver[:n]),
            "address_version": pa.array(sim.res.addr_ver[:n]),
        }
    )


def timed(fn: Any, *args: Any) -> tuple[Any, float]:
    t = time.perf_counter()
    out = fn(*args)
    return out, time.perf_counter() - t


def execute(sc: Any, scale: float, seed: int, out: Path, progress: Any = None, inject: tuple[Any, ...] = ()) -> dict[str, Any]:
    """Run the scenario and write the run folder whole (model.output.atomic_dir)."""
    from model.output import atomic_dir, write_json
    from model.plots import run_plots
    from model.runreport import run_markdown

    t = time.perf_counter()
    sim = Simulation(sc, scale, seed, progress, inject)
    sim.run()
    tables = finish(sim)
    summary = summarise(sim, tables, time.perf_counter() - t)
    with atomic_dir(out) as tmp:
        write_tables(tables, tmp)
        pq.write_table(residents_table(sim), tmp / "records" / "residents.parquet")
        plots = run_plots(tables, summary, tmp)
        write_json(tmp / "summary.json", summary)
        (tmp / "report.md").write_text(run_markdown(summary, plots), encoding="utf-8")
        if sc.raw:
            (tmp / "scenario.toml").write_bytes(sc.raw)
        (tmp / "scenario_resolved.json").write_text(sc.config.model_dump_json(indent=1), encoding="utf-8")
    return summary
