"""The year-long load test: workload calibration, outage, replications, capacity, the command."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from jukinet.model.config.scenario import load
from jukinet.model.core.errors import UserError
from jukinet.model.queueing.loadtest import SLO, capacity, loadtest, spec_for
from jukinet.model.queueing.year import run_year
from jukinet.model.world.workload import Workload

BASE = load(None)


def test_workload_spreads_exactly_the_annual_volumes() -> None:
    wl = Workload.build(BASE.config.workload, 2006)
    vol = BASE.config.workload.volume
    assert wl.int_per_day.sum() == pytest.approx(vol.national + vol.local - vol.batch)
    assert int(wl.bat_per_day.sum()) == vol.existence_checks + vol.cohort_20
    assert wl.hourly_rate().sum() == pytest.approx(74_000_000)
    busiest_day = int(np.argmax(wl.int_per_day))
    assert wl.cal.business[busiest_day] and wl.cal.days[busiest_day].month in (3, 4)  # the moving season


def test_zero_volume_gives_no_requests(scenario_file: Callable[[str], Path]) -> None:
    sc = load(
        scenario_file("[workload.volume]\nnational = 0\nlocal = 0\nexistence_checks = 0\ncohort_20 = 0\ncopies_replaced = 0\n")
    )
    out = run_year(spec_for(sc, period="busiest-day"), seed=1)
    assert out["requests"]["total"] == 0
    assert out["year"]["wait"]["max"] == 0.0


def test_same_seed_same_result_other_seed_differs() -> None:
    spec = spec_for(BASE, period="busiest-day", volume_scale=0.1)
    a, b, c = run_year(spec, 7), run_year(spec, 7), run_year(spec, 8)
    for r in (a, b, c):
        r.pop("wall_seconds")
    assert a == b
    assert a["requests"] != c["requests"]


def test_outage_builds_a_backlog_that_drains(scenario_file: Callable[[str], Path]) -> None:
    sc = load(scenario_file("[center.outage]\nenabled = true\nstart_hour = 10.0\nhours = 2.0\n"))
    out = run_year(spec_for(sc, period="busiest-day", volume_scale=0.2), seed=3)
    o = out["outage"]
    assert o["peak_backlog"] > 1000  # two office hours of lookups at a fifth of national volume
    assert o["drain_seconds_after_end"] is not None and 0 < o["drain_seconds_after_end"] < 3 * 3600
    hours = out["focus_day"]["hours"]
    assert hours[10]["interactive"]["max"] > 3600  # someone waited through the outage


def test_outage_on_an_unknown_date_is_a_clear_error(scenario_file: Callable[[str], Path]) -> None:
    with pytest.raises(UserError, match=r"center.outage.day: got '2006-02-30'"):
        load(scenario_file("[center.outage]\nenabled = true\nday = '2006-02-30'\n"))


def test_a_fy2007_scenario_has_its_own_year_load_and_targets() -> None:
    """One source for targets (issue 10): the FY2007 scenario's calendar is FY2007's, its workload
    spreads its own 30M existence checks, and a run of it reports deviations against its own volumes."""
    from types import MappingProxyType

    from jukinet.model.report.run import summary_of
    from jukinet.model.sim.tally import Tally

    fy7 = load(Path(__file__).resolve().parent.parent / "scenarios" / "fy2007_existence_checks.toml")
    wl = Workload.build(fy7.config.workload, fy7.config.scenario.fiscal_year)
    assert wl.cal.days[0].isoformat() == "2007-04-01"
    assert not wl.cal.business[wl.cal.days.index(__import__("datetime").date(2007, 9, 24))]  # substitute holiday
    assert (
        int(wl.exist_per_day.sum()) == fy7.config.workload.volume.existence_checks != BASE.config.workload.volume.existence_checks
    )
    made = 0.01 * fy7.config.workload.volume.existence_checks
    t = Tally(
        2007,
        0.01,
        1,
        1827,
        1000,
        1000,
        0,
        0,
        MappingProxyType({}),
        MappingProxyType({k: 1.0 for k in ("births", "deaths", "moves_between", "moves_within", "name_changes", "code_changes")}),
        MappingProxyType({}),
        0,
        0,
        MappingProxyType({}),
        0,
        0,
        MappingProxyType({("national", "existence_check"): int(made)}),
        0,
        MappingProxyType({}),
        0,
        bytes(32),
        MappingProxyType({}),
    )
    f = summary_of(t, fy7, 1.0)["figures"]["existence_reports_not_needed"]
    assert f["expected"] == made and f["deviation_from_target"] == 0.0
    assert "[workload.volume].existence_checks (fy2007_existence_checks)" in f["source"]


def test_slo_is_parsed_into_seconds_and_an_unknown_statistic_refused() -> None:
    assert SLO.parse("p99<2s").limit_s == 2.0
    assert SLO.parse("p95 < 500ms").limit_s == 0.5
    with pytest.raises(UserError, match="expected STAT<LIMIT"):
        SLO.parse("p98<2s")


def test_capacity_finds_the_fewest_servers_and_more_servers_help() -> None:
    res = capacity(BASE, SLO.parse("p99<0.5s"), replications=3, seed=1, volume_scale=1.0)
    curve = res["curve"]
    need = res["servers_needed"]
    assert need is not None
    assert all(not r["meets"] for r in curve if r["servers"] < need)
    p99 = [r["p99"]["mean"] for r in curve]
    assert p99 == sorted(p99, reverse=True)


def test_loadtest_replications_on_dask_give_intervals() -> None:
    res = loadtest(
        BASE,
        servers=None,
        replications=2,
        engine="fast",
        seed=5,
        period="busiest-day",
        volume_scale=0.05,
        scheduler=None,
        workers=2,
    )
    p99 = res["result"]["by_class"]["interactive"]["response"]["mean"]
    assert set(p99) == {"mean", "ci", "values"} and len(p99["values"]) == 2
    assert res["assumptions"]["center.servers"]["label"] == "ASSUMPTION"


def test_loadtest_command_writes_report_plots_and_summary(tmp_path: Path) -> None:
    out = tmp_path / "lt"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "jukinet",
            "loadtest",
            "--replications",
            "1",
            "--period",
            "busiest-day",
            "--volume-scale",
            "0.05",
            "--out",
            str(out),
            "--json",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    res = json.loads(proc.stdout)
    assert res == json.loads((out / "summary.json").read_text())
    assert res["git_commit"] and res["scenario_hash"] and res["version"]
    report = (out / "report.md").read_text()
    assert "[ASSUMPTION]" in report and "Volumes scaled by 0.05" in report
    for png in ("utilisation_day.png", "response_busiest_day.png"):  # the one day simulated, hour by hour
        assert (out / png).stat().st_size > 10_000
    assert not (out / "utilisation_year.png").exists() and not (out / "response_by_month.png").exists()
    day = res["result"]["focus_day"]["date"]
    assert f"## The day {day} (the one day simulated)" in report and "Utilisation over the year" not in report
    from jukinet.model.report.loadtest import loadtest_text

    assert f"utilisation   day {day} " in loadtest_text(res)


def test_bad_slo_exits_2_without_output(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "jukinet", "capacity", "--slo", "fast", "--out", str(tmp_path / "c")],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2
    assert proc.stderr.startswith("jukinet: error: --slo: fast: expected STAT<LIMIT")
    assert not (tmp_path / "c").exists()
