"""The analyst's workbench: compare with intervals and differences, sweep on Dask (the same table on one
worker and on two), and self-contained HTML reports with every image present and nothing fetched."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from jukinet.model.core.errors import UserError
from jukinet.model.workbench.grid import Point, run_tasks, statistics, tasks_of, tidy
from jukinet.model.workbench.replica import parse_param, with_params

SC = Path(__file__).resolve().parent.parent / "scenarios"
BASE, MY_NUMBER = SC / "fy2006_baseline.toml", SC / "my_number_pseudonyms.toml"


class _Images(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.images: list[str] = []
        self.outside: list[str] = []
        self.tags: list[str] = []
        self.cells: list[str] = []

    def handle_data(self, data: str) -> None:
        if self.tags and self.tags[-1] == "td":
            self.cells.append(data)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        a = dict(attrs)
        if tag == "img":
            self.images.append(a.get("src") or "")
        self.outside += [v for k, v in a.items() if k in ("src", "href") and v and not v.startswith("data:")]


def check_html(path: Path, at_least: int) -> _Images:
    """Parsed, with every image embedded as a PNG and nothing to fetch: it opens offline."""
    text = path.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>") and text.rstrip().endswith("</html>")
    p = _Images()
    p.feed(text)
    assert not p.outside, p.outside
    assert len(p.images) >= at_least
    for src in p.images:
        head, _, data = src.partition(",")
        assert head == "data:image/png;base64" and base64.b64decode(data)[:8] == b"\x89PNG\r\n\x1a\n"
    return p


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "jukinet", *args], capture_output=True, text=True)


def compare_json(tmp_path: Path, *extra: str) -> tuple[dict[str, Any], Path]:
    out = tmp_path / "cmp"
    args = [str(BASE), str(MY_NUMBER), "--replications", "2", "--scale", "0.0005", "--workers", "2", "--out", str(out)]
    p = cli("compare", *args, "--json", *extra)
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout), out


def test_compare_gives_intervals_differences_settings_and_a_report(tmp_path: Path) -> None:
    """`jukinet compare fy2006_baseline my_number_pseudonyms` (the proofs: the slow test below)."""
    d, out = compare_json(tmp_path, "--no-prove")
    base, mine = d["points"]
    link = mine["figures"]["linkage_pairs_of_bodies_joined"]
    assert base["figures"]["linkage_pairs_of_bodies_joined"]["mean"] > 100 and link["mean"] == 0
    assert link["difference"]["significant"] and link["difference"]["mean"] < 0
    # common random numbers: the designs differ in identifiers only, so the residents' events are the same
    same = {"mean": 0.0, "ci": 0.0, "from": "fy2006_baseline", "significant": False}
    assert mine["figures"]["notifications"]["difference"] == same
    assert mine["figures"]["center_utilisation"]["difference"]["mean"] > 0  # the hub's translation at the center
    assert d["verdicts"] == {} and d["diffs"][0]["newly_permits"] > 0  # every body now receives its own agency code
    table = pq.read_table(out / "compare.parquet")
    assert table.num_rows == 2 * 2 * 14 and set(table.column("point").to_pylist()) == {"fy2006_baseline", "my_number_pseudonyms"}
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "Settings that differ" in html and "center.service.translation_s" in html
    assert "Sources of the figures" in html and "[workload.volume]" in html  # every figure with its source
    assert "translation_s = 0.02" in html  # the assumptions in force, from the scenario files
    check_html(out / "report.html", 5)  # the figures, their paired differences, a map per scenario, the difference map
    assert (out / "differences.png").stat().st_size > 10_000 and (out / "map_difference.png").stat().st_size > 10_000
    assert "differences.png" in (out / "report.md").read_text(encoding="utf-8")


@pytest.mark.slow  # the proofs of 22 configurations (two scenarios' years): about 110 s more
def test_compare_reports_each_scenarios_proof_verdicts(tmp_path: Path) -> None:
    d, out = compare_json(tmp_path)
    assert d["verdicts"]["my_number_pseudonyms"]["L01"] == "PROVED"
    base = d["verdicts"]["fy2006_baseline"]
    assert base["L01"].startswith("VIOLATED") and "not claimed" in base["L01"] and base["C16"].startswith("VIOLATED")
    assert "Proof verdicts" in (out / "report.html").read_text(encoding="utf-8")


@pytest.mark.slow  # the proofs of 22 configurations, with two runs
def test_a_sweep_reports_each_points_proof_verdicts(tmp_path: Path) -> None:
    out = tmp_path / "sw"
    args = ["--param", "identifiers.scheme=common_code,agency_codes", "--replications", "1", "--scale", "0.0003"]
    p = cli("sweep", str(MY_NUMBER), *args, "--workers", "1", "--out", str(out), "--json")
    assert p.returncode == 0, p.stderr
    v = json.loads(p.stdout)["verdicts"]
    assert v["identifiers.scheme=agency_codes"]["L01"] == "PROVED"
    assert v["identifiers.scheme=common_code"]["L01"] == "VIOLATED in 11 of 11 configurations (not claimed)"
    assert "proving 22 distinct configuration(s)" in p.stderr
    assert "Proof verdicts (jukinet prove" in (out / "report.html").read_text(encoding="utf-8")


@pytest.mark.slow  # about 2 minutes; bench/sweep_bench.py checks the same on twelve runs
def test_a_sweep_gives_the_same_table_on_one_worker_and_on_two() -> None:
    points = [Point(f"u={u}", str(BASE), (("cards.uptake", u),)) for u in (0.01, 0.1)]
    tasks = tasks_of(points, 1, 7)  # two runs: on two workers each has its own (bench/sweep_bench.py: 12 runs)
    one = run_tasks(points, tasks, 0.0005, workers=1)
    two = run_tasks(points, tasks, 0.0005, workers=2)
    assert tidy(points, tasks, one).equals(tidy(points, tasks, two))
    from dask.distributed import LocalCluster

    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=":0") as cluster:
        # a cluster given by address: its worker is sent the scenario itself, not a file name
        far = run_tasks(points[:1], tasks[:1], 0.0005, scheduler=cluster.scheduler_address)
    assert far[0]["metrics"] == one[0]["metrics"]
    stats = statistics(points, tasks, one)
    assert stats[1]["figures"]["cards_issued"]["mean"] > 3 * stats[0]["figures"]["cards_issued"]["mean"]


def test_the_sweep_command_writes_its_table_plots_maps_and_report(tmp_path: Path) -> None:
    out = tmp_path / "sw"
    p = cli(
        "sweep",
        str(BASE),
        "--param",
        "center.servers=2,4",
        "--replications",
        "1",
        "--scale",
        "0.0005",
        "--workers",
        "2",
        "--out",
        str(out),
        "--no-prove",
    )
    assert p.returncode == 0, p.stderr
    assert "Not proved (--no-prove)" in (out / "report.md").read_text(encoding="utf-8")
    t = pq.read_table(out / "sweep.parquet")
    assert set(t.column("center.servers").to_pylist()) == {"2", "4"} and (out / "sweep.csv").exists()
    check_html(out / "report.html", 3)


@pytest.mark.parametrize(
    ("args", "key"),
    [
        (["--param", "cards.uptake=0.1,abc"], "cards.uptake"),
        (["--param", "nosuch.key=1"], "--param"),
        (["--param", "center.servers=0"], "--param"),
        (["--param", "novalue"], "--param"),
        (["--param", "cards.uptake=0.1", "--replications", "0"], "--replications"),
    ],
)
def test_a_bad_sweep_is_one_line_before_any_run(tmp_path: Path, args: list[str], key: str) -> None:
    out = tmp_path / "bad"
    p = cli("sweep", str(BASE), *args, "--scale", "0.0005", "--out", str(out))
    assert p.returncode == 2 and p.stderr.count("\n") == 1 and key in p.stderr and "Traceback" not in p.stderr, p.stderr
    assert not out.exists()


def test_an_unreachable_scheduler_is_one_line(tmp_path: Path) -> None:
    for address in ("tcp://127.0.0.1:9", "nonsense"):  # nobody there (a 5 s wait), not an address
        p = cli("compare", str(BASE), str(BASE), "--scale", "0.0005", "--scheduler", address, "--out", str(tmp_path / "c"))
        assert p.returncode == 2 and p.stderr.strip().count("\n") == 0 and "--scheduler" in p.stderr, p.stderr
        assert not (tmp_path / "c").exists()


def test_a_scheduler_address_is_checked_by_every_command_before_it_waits(tmp_path: Path) -> None:
    """Issue 30: tls:// and ucx:// addresses crashed, `loadtest --scheduler garbage` was never checked, and a port
    that accepts and says nothing held for 40 s: each is one line, exit 2, within about the 5 s allowed."""
    import socket
    import time

    for address in ("tls://127.0.0.1:1", "ucx://127.0.0.1:1", "garbage"):
        p = cli("loadtest", "--scheduler", address, "--out", str(tmp_path / "l"))
        assert p.returncode == 2 and "--scheduler: " + address + ": not an address" in p.stderr, p.stderr
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        address = f"tcp://127.0.0.1:{silent.getsockname()[1]}"
        t = time.perf_counter()
        p = cli("sweep", str(BASE), "--param", "center.servers=2", "--scheduler", address, "--out", str(tmp_path / "s"))
        assert p.returncode == 2 and "it said nothing in 5 s" in p.stderr and time.perf_counter() - t < 20, p.stderr
    assert not (tmp_path / "l").exists() and not (tmp_path / "s").exists()


def test_one_scenario_is_not_a_comparison(tmp_path: Path) -> None:
    p = cli("compare", str(BASE), "--out", str(tmp_path / "c"))
    assert p.returncode == 2 and "two scenario files" in p.stderr


def test_parameters_parse_as_toml_values(tmp_path: Path) -> None:
    assert parse_param("center.servers=2,4") == ("center.servers", [2, 4])
    assert parse_param("identifiers.scheme=common_code,agency_codes")[1] == ["common_code", "agency_codes"]
    sc = with_params(BASE, (("cards.uptake", 0.3),), tmp_path)
    assert sc.config.cards.holders_end == round(0.3 * sc.population)
    with pytest.raises(UserError):
        parse_param("=1")
    assert parse_param("center.outage.day=2006-05-01,busiest")[1] == ["2006-05-01", "busiest"]  # a day as its text
    for bad in ("center.servers={a = 1}", "network.disconnected=[1]", 'center.servers=2\n[scenario]\nname = "x"'):
        with pytest.raises(UserError, match="allowed: numbers, true/false or words"):  # issue 30: before, a crash
            parse_param(bad)


def test_a_run_writes_a_self_contained_html_report_with_a_map_and_the_proof_verdicts(tmp_path: Path) -> None:
    p = cli("run", str(MY_NUMBER), "--scale", "0.0005", "--seed", "1", "--out", str(tmp_path / "r"), "--json")
    assert p.returncode == 0, p.stderr
    v = json.loads(p.stdout)["proofs"]  # proved in a second process while the run went on
    assert v["L01"] == "PROVED" and v["C16"] == "VIOLATED in 11 of 11 configurations" and v["C01"] == "PROVED"
    assert "proving 11 configuration(s) of the year" in p.stderr  # the start, Yokohama's change, nine merger dates
    html = check_html(tmp_path / "r" / "report.html", 3)
    assert html.cells[html.cells.index("L01") + 1] == "PROVED"  # the verdicts' table, as the summary has it
    text = (tmp_path / "r" / "report.html").read_text(encoding="utf-8")  # the report to send (issue 28): a headline,
    assert "What this run found" in text and "Does not hold: C16 (every creation" in text  # the fault with its meaning,
    assert '<td class="bad">VIOLATED in 11 of 11 configurations</td>' in text  # marked in the matrix,
    assert "95 % interval" in text and "register at the year&#x27;s end" in text  # intervals, and no file the reader lacks
    assert "report.md" not in text and "model/data" not in text and str(tmp_path) not in text
    assert (tmp_path / "r" / "map.png").stat().st_size > 20_000
    assert "| L01 | PROVED |" in (tmp_path / "r" / "report.md").read_text(encoding="utf-8")


def test_a_sweep_over_names_or_booleans_plots_them_in_the_order_given(tmp_path: Path) -> None:
    from jukinet.model.workbench.plots import sweep_plot
    from jukinet.model.workbench.replica import METRICS

    for values in (["common_code", "agency_codes"], [True, False], [2, 4]):
        stats = [
            {"params": {"k": v}, "figures": {m: {"mean": float(i), "ci": None if i else 0.5} for m in METRICS}}
            for i, v in enumerate(values)
        ]
        png = sweep_plot(stats, "k", tmp_path / "f.png")  # was: a traceback after every run, on float("common_code")
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
