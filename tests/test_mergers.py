"""FY2006's municipal mergers on their dates (issue 11, item 2; model.world.mergers): the units in being on
each day, their populations, the run moving a merged unit's residents to its successor, whose CS notifies
each new address (Art. 30-5; C16), and prove quantifying over the units in being (C16)."""

from __future__ import annotations

import csv
import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from jukinet.model.audit.checks import audit
from jukinet.model.config.scenario import load
from jukinet.model.core.errors import UserError
from jukinet.model.report.run import execute
from jukinet.model.world.calendar import DAY, OFFICE

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "model" / "data"
DESIGN = (REPO / "scenarios" / "fy2006_as_designed.toml").as_posix()
FIRST = dt.date(2006, 4, 1)


def _rows(name: str) -> list[dict[str, str]]:
    with (DATA / name).open(encoding="utf-8") as f:
        return list(csv.DictReader(f, delimiter="\t"))


def _check_digit_ok(lg: str) -> bool:
    """MIC's check digit of a 6-digit local government code."""
    s = sum(int(d) * w for d, w in zip(lg[:5], (6, 5, 4, 3, 2), strict=True))
    return lg[5] == str((11 - s % 11) % 10 if s >= 11 else 11 - s)


def test_the_units_in_being_on_each_day_of_fy2006() -> None:
    """1,821 municipalities on 2006-03-31 (e-Stat via jpcity) and 1,804 on 2007-03-31, plus the 23 wards; the
    register's 127,055,025 residents in every configuration of the year."""
    sc = load(None)
    every = _rows("municipalities.tsv") + _rows("municipalities_abolished.tsv")
    established = {"232351", *sc.config.network.pending}  # 弥富市 (2006-04-01) and the three of later mergers
    assert len(every) - len(established) == 1_821 + 23
    assert all(_check_digit_ok(r["lgcode"]) for r in every)
    assert len(sc.municipalities) == 1_843 == sc.config.population.targets.units_start
    end = sc.on(dt.date(2007, 3, 31))
    assert len(end.municipalities) == 1_827 == sc.config.population.targets.units
    assert {m.lgcode for m in end.municipalities} == {r["lgcode"] for r in _rows("municipalities.tsv")}
    for _, _, day, _ in sc.periods():
        assert sum(m.population for m in day.municipalities) == sc.population == 127_055_025


def test_each_unit_merged_away_goes_where_and_when_its_row_says() -> None:
    """Every row of municipalities_abolished.tsv is merged, on the date its source names, into the unit it
    names; the successor holds the start populations of the units merged into it."""
    sc = load(None)
    start = {m.lgcode: m.population for m in sc.municipalities}
    end = sc.on(dt.date(2007, 3, 31))
    end_pop = {m.lgcode: m.population for m in end.municipalities}
    dates = {lg: ch.date for ch, d in sc.timeline for lg in d.config.network.merged if lg not in _before(sc, ch.date)}
    into: dict[str, int] = {}
    for r in _rows("municipalities_abolished.tsv"):
        lg, source = r["lgcode"], r["source"]
        to = end.config.network.merged[lg]
        assert f"({to}) on " in source, (lg, source)
        day = dt.date.fromisoformat(source.split(f"({to}) on ")[1][:10])
        if day > FIRST:
            assert dates[lg] == day, lg
            into[to] = into.get(to, 0) + start[lg]
        else:  # 2006-04-01: the year's first day, part of its start
            assert lg in sc.config.network.merged and lg not in start
    for to, merged_in in into.items():
        assert end_pop[to] == start.get(to, 0) + merged_in, to


def _before(sc: object, day: dt.date) -> set[str]:
    prev = sc.on(day - dt.timedelta(days=1))  # type: ignore[attr-defined]
    return set(prev.config.network.merged)


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, object]]:
    out = tmp_path_factory.mktemp("mergers") / "run"
    return out, execute(load(None), 0.001, 11, out)


def test_a_run_moves_each_merged_units_residents_and_its_successor_notifies_them(run: tuple[Path, dict]) -> None:
    out, s = run
    sc = load(None)
    assert s["units_in_being"] == {"start": 1_843, "end": 1_827} and s["units_connected"]["end"] == 1_824
    assert s["figures"]["units_merged"]["value"] == 19
    notes = pq.read_table(out / "records" / "notifications.parquet", columns=["cs", "change", "time"]).to_pydict()
    merged_on = {}
    for ch, d in sc.timeline:
        for lg, to in d.config.network.merged.items():
            merged_on.setdefault(lg, ((ch.date - FIRST).days * DAY, to))
    successors = {to for _, to in merged_on.values()}
    by_merger = [(c, t) for c, k, t in zip(notes["cs"], notes["change"], notes["time"], strict=True) if k == "merger"]
    assert by_merger and {c for c, _ in by_merger} <= successors
    days = {t0 for t0, _ in merged_on.values()}
    assert all(any(t0 + OFFICE[0] <= t <= t0 + OFFICE[1] for t0 in days) for _, t in by_merger)
    moved = s["figures"]["residents_merged"]["value"]
    assert 0.97 * moved <= len(by_merger) <= moved  # a few die or move away on the day itself
    for lg, (t0, _) in merged_on.items():  # a unit merged away notifies nothing after its date
        assert not [t for c, t in zip(notes["cs"], notes["time"], strict=True) if c == lg and t >= t0], lg
    new = "072141"  # 本宮市, in being from 2007-01-01 only
    assert min(t for c, t in zip(notes["cs"], notes["time"], strict=True) if c == new) >= merged_on["073237"][0]
    res = audit(out)
    assert {
        k: v for k, v in res["counts"].items() if v and k not in ("notifications reached the center", "no resident withheld")
    } == {}


def _scenario(tmp_path: Path, body: str) -> Path:
    p = tmp_path / "m.toml"
    p.write_text(f'[scenario]\nname = "m"\nextends = "{DESIGN}"\n{body}', encoding="utf-8")
    return p


@pytest.mark.parametrize(
    ("body", "key", "says"),
    [
        ('[network]\nmerged = { "193275" = "072141" }\n', "network.merged.193275", "not in being"),
        ('[network]\nmerged = { "999999" = "192112" }\n', "network.merged.999999", "6-digit lgcodes"),
        ('[organisation]\nwithholding = ["234265"]\n', "organisation.withholding", "not in being"),
        # Chiyoda ward, in being all year, declared not yet established: its residents would vanish (C16, Art. 30-5)
        ('[network]\npending = ["131016"]\n', "network.pending", "no merger of the year establishes it"),
        (
            '[[timeline]]\ndate = 2007-02-01\nwhat = "x"\nsource = "y"\nnetwork.merged = {}\n',
            "timeline[2007-02-01].network.merged",
            "a merger is not undone",
        ),
        (
            '[[timeline]]\ndate = 2007-03-20\nwhat = "x"\nsource = "y"\nnetwork.pending = ["072141"]\n',
            "timeline[2007-03-20].network.merged.073237",
            "not in being",
        ),
    ],
)
def test_a_merger_that_cannot_be_is_one_line(tmp_path: Path, body: str, key: str, says: str) -> None:
    p = _scenario(tmp_path, body)
    with pytest.raises(UserError, match=says) as e:
        load(p)
    assert key in str(e.value) and "\n" not in str(e.value)
    out = subprocess.run([sys.executable, "-m", "jukinet", "check", str(p)], capture_output=True, text=True, check=False)
    assert out.returncode == 2 and "Traceback" not in out.stderr and key in out.stderr


def test_a_unit_the_year_starts_with_may_be_named(tmp_path: Path) -> None:
    """弥富市 (232351) is established on 2006-04-01, the year's first day (history, part of the year's start): a file
    may name it under a per-unit key; 弥富町 (234281), merged into it that day, is refused naming the file, not the
    defaults' timeline entry (red-team round 5)."""
    sc = load(_scenario(tmp_path, '[organisation]\nself_inspection_exempt = ["232351"]\n'))
    assert sc.config.organisation.self_inspection_exempt == ("232351",)
    p = _scenario(tmp_path, '[organisation]\nself_inspection_exempt = ["234281"]\n')
    with pytest.raises(UserError, match="not in being") as e:
        load(p)
    assert str(e.value).startswith(str(p)), str(e.value)


def test_a_change_on_a_merger_date_joins_that_merger(tmp_path: Path) -> None:
    """A scenario's entry on a day of the defaults' mergers is merged onto that day's entry, not put in its place."""
    p = _scenario(tmp_path, '[[timeline]]\ndate = 2006-10-01\nwhat = "x"\nsource = "y"\nnetwork.disconnected = ["132152"]\n')
    day = load(p).on(dt.date(2006, 10, 1))
    assert day.config.network.disconnected == ("132152",) and "103217" in day.config.network.merged


def test_prove_quantifies_over_the_units_in_being(tmp_path: Path) -> None:
    """Mutant: 芦川村 disconnected until it merges into 笛吹市 on 2006-08-01: C16 (Art. 30-5, 30-11) does not hold
    on 2006-07-31, naming it, and holds from the merger, when it is no longer a unit that must notify."""
    p = _scenario(
        tmp_path,
        '[network]\ndisconnected = ["193275"]\n[[timeline]]\ndate = 2006-08-01\nwhat = "x"\nsource = "y"\n'
        "network.disconnected = []\n",
    )

    def c16(day: str) -> dict[str, object]:
        cmd = [sys.executable, "-m", "jukinet", "prove", str(p), "--on", day, "--json"]
        d = json.loads(subprocess.run(cmd, capture_output=True, text=True, check=False).stdout)
        return [r for r in d["periods"][0]["results"] if r["id"] == "C16"][0]

    before = c16("2006-07-31")
    assert before["verdict"] == "VIOLATED" and before["counterexample"]["municipality"] == "193275"
    assert c16("2006-08-01")["verdict"] == "PROVED"


@pytest.mark.slow  # ten configurations: about 60 s
def test_the_design_is_proved_on_every_day_of_the_year_with_its_mergers() -> None:
    """scenarios/fy2006_as_designed.toml keeps the year's mergers: every constraint holds in each of its ten
    configurations (issue 11: the as-designed scenario is all PROVED)."""
    out = subprocess.run([sys.executable, "-m", "jukinet", "prove", DESIGN, "--json"], capture_output=True, text=True)
    assert out.returncode == 0, out.stdout[-2000:]
    d = json.loads(out.stdout)
    assert len(d["periods"]) == 10 and d["not_holding"] == {}
