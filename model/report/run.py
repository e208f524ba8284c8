"""Finish a simulation: the records as tables, the hash-chained access log, the summary, the
run folder (summary.json, records/*.parquet, report.md, plots)."""

from __future__ import annotations

import gc
import hashlib
import math
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from jukinet.model.config.checks import copies_national_share
from jukinet.model.config.scenario import TIMELINE_FILE, Scenario, timeline_bytes
from jukinet.model.config.timeline import fiscal_year_days
from jukinet.model.core.meta import stamp
from jukinet.model.law.linkage import L01_MEANING
from jukinet.model.report.figures import BY_KEY, FIGURES
from jukinet.model.report.signing import SIGN_BYTES_PER_EVENT, SIGN_DISK_FACTOR, SIGN_SECONDS_PER_EVENT, signed_heads
from jukinet.model.sim.engine import Simulation
from jukinet.model.sim.records import write_parquet
from jukinet.model.sim.tally import Tally


@contextmanager
def few_collections() -> Iterator[None]:
    """Run a simulation with the cyclic garbage collector mostly out of the way.

    A run makes and drops millions of small objects, and keeps millions (relays, cards) that the
    collector would otherwise rescan again and again; few of them form cycles.  The objects made
    so far are frozen out of the collector and young ones are collected less often (without
    this, a 1/50-scale run took about 10 % longer).
    """
    threshold = gc.get_threshold()
    gc.collect()
    gc.freeze()
    gc.set_threshold(100_000, 50, 100)
    try:
        yield
    finally:
        gc.set_threshold(*threshold)
        gc.unfreeze()


def poisson_interval(variance: float, centre: float | None = None) -> tuple[float, float]:
    """95 % interval of a Poisson count with this mean (normal approximation), or of a sum of Poisson counts
    with this variance around `centre`."""
    mid = variance if centre is None else centre
    half = 1.96 * math.sqrt(max(variance, 0.0))
    return mid - half, mid + half


def _figure(value: float, source: str, expected: float | None = None, ci: tuple[float, float] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"value": value, "source": source}  # its label and unit: model.report.figures
    if expected is not None:
        out["expected"] = expected
    if ci is not None:
        out["ci95"] = [ci[0], ci[1]]
    return out


def summarise(sim: Simulation, wall: float, stamped: dict[str, Any] | None = None) -> dict[str, Any]:
    """The run's summary, from its tally (model.sim.tally; the records are on disk).
    `stamped`: the run's stamp (model.core.meta), taken when it started; taken now if not given."""
    return summary_of(sim.tally(), sim.sc, wall, stamped)


def summary_of(t: Tally, sc: Scenario, wall: float, stamped: dict[str, Any] | None = None) -> dict[str, Any]:
    """Every figure with its unit, source, expected value and interval, from a run's tally."""
    s = t.scale
    exp = t.expected
    figures: dict[str, Any] = {}
    for key, src in (
        ("births", "[events].births: the register's FY2006 births, MIC release for 2007-03-31"),
        ("deaths", "[events].deaths: the register's FY2006 deaths, MIC release for 2007-03-31"),
        ("moves_between", "[events].moves_between [ASSUMPTION for 2006]"),
        ("moves_within", "[events].moves_within [ASSUMPTION]"),
        ("name_changes", "[events].name_changes [ASSUMPTION]"),
        ("code_changes", "[events].code_changes [ASSUMPTION]"),
    ):
        figures[key] = _figure(t.event(key), src, exp[key], poisson_interval(exp[key]))
    social, social_exp = t.event("social_entries") - t.event("social_removals"), exp.get("social_change", 0.0)
    lo, hi = poisson_interval(abs(social_exp))
    figures["social_change"] = _figure(
        social,
        "[events].social_change: the register's FY2006 net social change (moves abroad and back, entries and deletions "
        "by the municipality), MIC release for 2007-03-31; the net only [ASSUMPTION]",
        social_exp,
        (lo, hi) if social_exp >= 0 else (-hi, -lo),
    )
    end_exp = exp.get("register_end", float(t.residents_end))
    figures["register_population_end"] = _figure(
        t.residents_end,
        "the register at the year's end: the start, plus births, less deaths, plus the social change; MIC release for "
        f"2007-03-31: 127,053,471 at scale 1 (this run's scale {s:g})",
        end_exp,
        poisson_interval(exp["births"] + exp["deaths"] + abs(exp.get("social_change", 0.0)), end_exp),
    )
    figures["notifications"] = _figure(t.notifications, "every register change (Art. 30-5; C16)")
    figures["notifications_at_prefecture"] = _figure(t.event("notifications_at_prefecture"), "stored by the prefecture servers")
    figures["notifications_at_center"] = _figure(t.event("notifications_at_center"), "stored by the center")
    figures["cs_to_cs_messages"] = _figure(t.cs_to_cs_messages, "move-in notices and wide-area copies")
    figures["cs_to_cs_arrived"] = _figure(t.event("relays_arrived"), "relayed CS -> prefecture -> CS")
    figures["link_retries"] = _figure(t.link_retries, "[links] faults")
    vol = sc.config.workload.volume  # the scenario's own targets (FY2006: the mission's source document)
    how = {  # how a figure maps the source's count (docs/sources.md)
        "copies_replaced": f"; lookups by national ({copies_national_share(sc.config):.0%}) and local bodies "
        "as [provision] copy_replacing_rows fall, one lookup per copy spared [ASSUMPTION: the weights]",
        "existence_checks": "; the source counts reports: one batch provision spares one report [ASSUMPTION]; by month "
        "as [workload] existence_month_weight (FY2006: from October 2006 by birth month, SIA; pensioners who "
        "could not be matched, 6 M of 31.8 M, still filed on paper: Yomiuri 2006-11-01; docs/sources.md)",
    }
    for key, value, field_name in (
        ("provisions_national", t.provisions(level="national"), "national"),
        ("provisions_local", t.provisions(level="local"), "local"),
        ("copies_not_needed", t.provisions(purpose="copy_replaced"), "copies_replaced"),
        ("existence_reports_not_needed", t.provisions(purpose="existence_check"), "existence_checks"),
    ):
        tgt = getattr(vol, field_name) * s
        src = f"target: the scenario's [workload.volume].{field_name} ({sc.config.scenario.name}), times the scale"
        src += how.get(field_name, "")
        figures[key] = _figure(value, src, tgt, poisson_interval(tgt))
        figures[key]["deviation_from_target"] = value / tgt - 1 if tgt else 0.0
    figures["cohort_20"] = _figure(
        t.provisions(purpose="cohort_20"),
        "residents turning 20, batch (annex row A1-77); the scenario's [workload.volume].cohort_20 at most",
        vol.cohort_20 * s,
    )
    figures["refusals"] = _figure(t.provisions_refused, "[provision].refusal_rate [ASSUMPTION]")
    cards = sc.config.cards
    figures["cards_issued"] = _figure(
        t.event("cards_issued"),
        "the year's issuance: [cards].holders_end - holders_start, cumulative (FY2006: 1,413,770 - 914,755 = 498,015; "
        "MIC, as quoted in the Wikipedia timeline)",
        max(0, cards.holders_end - cards.holders_start) / sc.population * t.residents_start,
    )
    figures["cards_lapsed"] = _figure(
        t.event("cards_lapsed_move") + t.event("cards_lapsed_death"),
        "holders who moved to another municipality (a card lapsed then, before 2012) or died",
    )
    figures["cards_in_circulation_start"] = _figure(
        t.cards_start, "[cards].holders_start, cumulative issuance by 2006-03-31, taken as held [ASSUMPTION]"
    )
    figures["cards_in_circulation_end"] = _figure(
        t.cards_end,
        "not published [ASSUMPTION: the cumulative issuance of 2006-03-31 taken as the cards held then, less the year's lapses]",
    )
    pool = (
        f"the chips share {cards.key_pool} real keys, [cards].key_pool [ASSUMPTION]"
        if cards.key_pool
        else "each chip its own key"
    )
    figures["signatures_verified"] = _figure(t.event("signatures_verified"), f"real JPKI signatures verified ({pool})")
    figures["signatures_rejected"] = _figure(t.event("signatures_rejected"), "certificate lapsed or invalid")
    defects = ", ".join(d.name for d in cards.defect) or "none in this scenario"  # each with its source in the scenario
    figures["signatures_defective"] = _figure(
        t.event("signatures_defective"), f"wrong by a card maker's defect, [[cards.defect]]: {defects}"
    )
    figures["cards_defective"] = _figure(
        t.event("cards_defective"), f"held at the start with a maker's defect not yet exchanged: {defects}"
    )
    figures["cards_exchanged"] = _figure(
        t.event("cards_exchanged"),
        "defective cards exchanged at the counter, on days drawn over [[cards.defect]] exchange_days [ASSUMPTION]",
    )
    figures["jpki_revocations"] = _figure(t.event("jpki_revoked"), "name/address change (Art. 30-11(9))")
    figures["notifications_withheld"] = _figure(t.event("notifications_withheld"), "C16 forbids any")
    figures["notifications_not_sent_disconnected"] = _figure(
        t.event("notifications_not_sent_disconnected"),
        "recorded at a disconnected CS, not sent (C16 forbids any)",
    )
    figures["relays_not_sent_disconnected"] = _figure(
        t.event("relays_not_sent_disconnected"),
        "move-in notices and wide-area copies to or from a disconnected CS, not sent",
    )
    figures["units_merged"] = _figure(t.event("units_merged"), "merged away on their dates ([[timeline]])")
    figures["residents_merged"] = _figure(
        t.event("residents_merged"), "living in a unit merged away: a new address, notified by its successor"
    )
    figures["pin_locks"] = _figure(t.event("pin_locks"), "[cards].pin_error [ASSUMPTION]")
    figures["wide_area_copies"] = _figure(t.event("wide_area_copies"), "[events].wide_area_copy_rate [ASSUMPTION]")
    figures["counter_visits"] = _figure(t.counter_visits, "all counter visits")
    saved = dict(t.visits_saved)
    saved["copy_replaced"] = figures["copies_not_needed"]["value"]
    figures["counter_visits_saved"] = _figure(
        sum(saved.values()), "special move procedure + e-applications + copies replaced by lookups"
    )
    figures["counter_visits_saved"]["by_reason"] = saved
    if set(figures) != set(BY_KEY):  # every figure declared once, in model/report/figures.py
        raise RuntimeError(f"figures not declared or not computed: {sorted(set(figures) ^ set(BY_KEY))}")
    figures = {f.key: {"label": f.label, "unit": f.unit, **figures[f.key]} for f in FIGURES}
    monthly = {
        "notifications_by_change": {k: list(v) for k, v in t.notifications_by_change.items()},
        "provision_requests_by_purpose": {k: list(v) for k, v in t.provision_requests_by_purpose.items()},
    }
    end = sc.on(fiscal_year_days(t.fiscal_year)[1])
    return {
        "kind": "run",
        **(stamped or stamp(sc.config.scenario.name, sc.hash, t.seed)),
        "description": sc.config.scenario.description,
        "timeline": [{"date": str(c.date), "what": c.what, "source": c.source, "keys": list(c.keys)} for c, _ in sc.timeline],
        "scale": s,
        "effective_scale": t.residents_start / sc.population,  # every municipality keeps at least one resident
        "fiscal_year": t.fiscal_year,
        "residents_start": t.residents_start,
        "residents_end": t.residents_end,
        "municipalities": t.municipalities,
        "population_register": sc.population,  # the register's population the run is scaled from (2006-03-31)
        "units_connected": {  # register-keeping units in being with a link to their prefecture server (C16)
            "start": t.municipalities - len(sc.config.network.disconnected),
            "end": len(end.municipalities) - len(end.config.network.disconnected),
        },
        "units_in_being": {"start": t.municipalities, "end": len(end.municipalities)},  # mergers (model.world.mergers)
        "figures": figures,
        "monthly": monthly,
        "log_head": {"count": t.log_count, "hash": t.log_head.hex()},
        "reconciliation": dict(t.reconciliation),
        "wall_seconds": wall,
        "assumptions": "values marked [ASSUMPTION] in the scenario's resolved configuration ([events], [cards], [provision], "
        "[operators], [links], [workload], [center]); each figure's source says which it rests on",
    }


def residents_table(sim: Simulation) -> pa.Table:
    n = sim.res.n
    return pa.table(
        {
            "code": pa.array(sim.res.code[:n]),
            "cs": pa.DictionaryArray.from_arrays(pa.array(sim.res.muni[:n], pa.int32()), pa.array(sim.lg, pa.string())),
            "dob": pa.array(sim.res.dob[:n]),
            "sex": pa.array(sim.res.sex[:n]),
            "alive": pa.array(sim.res.alive[:n]),
            "name_version": pa.array(sim.res.name_ver[:n]),
            "address_version": pa.array(sim.res.addr_ver[:n]),
        }
    )


PROVISION_COLUMNS = ["time", "mode", "requester", "identifier", "allowed"]  # what center_queue and run_linkage read


def center_queue(center: Any, scale: float, rng: np.random.Generator, t: pa.Table) -> dict[str, Any]:
    """The run's recorded provision requests through the center's queue (model.queueing.runload)."""
    from jukinet.model.queueing.runload import serve_run

    times = t.column("time").to_numpy()
    batch = pc.equal(t.column("mode"), "batch").to_numpy(zero_copy_only=False)  # per dictionary chunk
    return serve_run(times[~batch], times[batch], center, scale, rng)


def run_linkage(identifiers: Any, bodies: Any, provisions: pa.Table) -> dict[str, Any]:
    """Who can join whose records by a common identifier (model.law.linkage; L01): by the configuration,
    and in the provisions this run made."""
    from jukinet.model.law.linkage import design_linkage, record_linkage

    t = provisions.filter(pc.field("allowed"))
    req = t.column("requester").combine_chunks()  # read as a dictionary (execute): one index per body
    out = design_linkage(identifiers, bodies)
    out.update(record_linkage(req.indices.to_numpy(zero_copy_only=False), t.column("identifier").to_numpy()))
    return out


def execute(
    sc: Any,
    scale: float,
    seed: int,
    out: Path,
    progress: Any = None,
    inject: tuple[Any, ...] = (),
    route: tuple[Any, ...] = (),
    announce: Callable[[str], None] | None = None,
    force: bool = False,
    sign: Path | None = None,
    proofs: Callable[[], Callable[[], dict[str, str]]] | None = None,
) -> dict[str, Any]:
    """Run the scenario, streaming its records into a new run folder that replaces `out` whole at the end
    (model.core.output.atomic_dir: an interrupted run leaves nothing half-written).  The scale and the run's
    estimated size are checked first; `announce` is given the estimate.  With `sign` (a folder written by
    `jukinet keys`), the center and the 47 prefecture witnesses sign the log's day heads and the final
    statement binding every table (model.audit.trust) into heads.json.  `proofs`, called once the checks pass,
    starts the proofs (model.workbench.verdicts: in a second process) and returns what waits for the verdicts
    the report carries."""
    from jukinet.model.audit.trust import load_private
    from jukinet.model.config.estimate import check_fits, check_memory, check_scale, duration, estimate
    from jukinet.model.core.output import atomic_dir, write_json
    from jukinet.model.report.markdown import run_markdown
    from jukinet.model.report.plots import run_plots

    check_scale(sc, scale)  # everything the run will use is checked before it starts
    est = estimate(sc, scale)
    keys = load_private(sign) if sign is not None else None
    if keys is not None:  # signing reads every table back, once the simulation is freed, and builds the disclosure index
        est = replace(  # the simulation is freed before signing: the run needs the larger of the two memories
            est,
            memory_bytes=max(est.memory_bytes, SIGN_BYTES_PER_EVENT * est.events),
            disk_bytes=est.disk_bytes * SIGN_DISK_FACTOR,
            seconds=est.seconds + SIGN_SECONDS_PER_EVENT * est.events,
        )
        check_memory(est.memory_bytes, f"signing a run of {est.events:,} events", "--sign")
    check_fits(est, out)
    if announce is not None:
        announce(est.text())
    verdicts = proofs() if proofs is not None else None
    t = time.perf_counter()
    stamped = stamp(sc.config.scenario.name, sc.hash, seed)  # the code that runs: the commit as the run starts
    with atomic_dir(out, "run", force=force) as tmp:
        (tmp / "records").mkdir()
        with few_collections():
            sim = Simulation(sc, scale, seed, tmp / "records", progress, inject, route=route)
            sim.run()
            sim.close()
            write_parquet(residents_table(sim), tmp / "records" / "residents.parquet")
            summary = summarise(sim, time.perf_counter() - t, stamped)
            rng, checkpoints, bodies = sim.rng, sim.log.checkpoints, sim.policy.bodies
            del sim  # the residents, buffers and processes (most of a full-scale run's memory): freed below
        gc.collect()
        # read once for both; strings as dictionaries (74 M rows at full scale)
        prov = pq.read_table(
            tmp / "records" / "provisions.parquet", columns=PROVISION_COLUMNS, read_dictionary=["mode", "requester"]
        )
        summary["center_queue"] = center_queue(sc.config.center, scale, rng, prov)
        summary["linkage"] = run_linkage(sc.config.identifiers, bodies, prov)
        del prov
        resolved = sc.config.model_dump_json(indent=1).encode("utf-8")
        summary["config_sha256"] = hashlib.sha256(resolved).hexdigest()  # the audit reads its policy only from these bytes
        timeline = timeline_bytes(sc) if sc.timeline else None  # and each dated configuration from these
        if timeline is not None:
            summary["timeline_sha256"] = hashlib.sha256(timeline).hexdigest()
        summary["signed"] = keys is not None
        summary["proofs"] = verdicts() if verdicts is not None else None
        plots = run_plots(summary, tmp)
        from jukinet.model.report.html import run_page
        from jukinet.model.report.maps import japan_maps, prefecture_figures

        # the map's figures need the residents table, written above; kept in the summary (compare and sweep map them)
        summary["prefectures"] = prefecture_figures(tmp)
        maps = japan_maps(summary["prefectures"], f"{summary['scenario']}: per prefecture", tmp / "map.png")
        meanings = {c.id: (c.statement, c.articles) for c in sc.config.statute.constraint}
        meanings["L01"] = (L01_MEANING, ("design property",))
        run_page(summary, [*(tmp / p for p in plots), maps], meanings).write(tmp / "report.html")
        plots = [*plots, maps.name]
        write_json(tmp / "summary.json", summary)
        (tmp / "report.md").write_text(run_markdown(summary, plots), encoding="utf-8")
        if sc.raw:
            (tmp / "scenario.toml").write_bytes(sc.raw)
        (tmp / "scenario_resolved.json").write_bytes(resolved)
        if timeline is not None:
            (tmp / TIMELINE_FILE).write_bytes(timeline)
        if keys is not None:  # last: the final statement binds every output written above (issue 30)
            if announce is not None:
                took = duration(SIGN_SECONDS_PER_EVENT * est.events)
                announce(f"signing: every table read back for its blocks, field digests and disclosure index (about {took})")
            write_json(tmp / "heads.json", signed_heads(checkpoints, summary, tmp / "records", keys))
    return summary
