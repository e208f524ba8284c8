"""A year that changes (issue 11, item 1): `[[timeline]]` entries change the configuration on a date;
the run applies each on its date, `prove` proves each configuration of the year and names the days a
constraint does not hold (C16 here), `diff` compares two dates; bad entries are one-line errors; and
FY2006 as it was (scenarios/fy2006_baseline.toml, the embedded defaults)."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from jukinet.model.config.scenario import load
from jukinet.model.core.errors import UserError
from jukinet.model.report.figures import BY_KEY
from jukinet.model.report.run import execute
from jukinet.model.world.calendar import DAY

YOKOHAMA, SETAGAYA = "141003", "131121"
SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"
AS_DESIGNED = SCENARIOS / "fy2006_as_designed.toml"
MERGERS = [str(c.date) for c, _ in load(None).timeline if "network.merged" in c.keys]  # dated in the year
TIMELINE = f"""
[scenario]
name = "timeline_test"
extends = "{AS_DESIGNED.as_posix()}"
[organisation]
withholding = ["{YOKOHAMA}"]
[[timeline]]
date = 2006-09-01
what = "Yokohama sends every resident"
source = "Yokohama city"
organisation.withholding = []
[[timeline]]
date = 2006-12-01
what = "Setagaya disconnects (hypothetical)"
source = "[ASSUMPTION] a test"
network.disconnected = ["{SETAGAYA}"]
""" + "".join(  # without the year's mergers (tests/test_mergers.py), so each change here begins a period of its own
    f"[[timeline]]\ndate = {d}\nremove = true\n" for d in MERGERS
)
SEP1 = (dt.date(2006, 9, 1) - dt.date(2006, 4, 1)).days * DAY
DEC1 = (dt.date(2006, 12, 1) - dt.date(2006, 4, 1)).days * DAY


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> Path:
    p = tmp_path_factory.mktemp("tl") / "timeline.toml"
    p.write_text(TIMELINE, encoding="utf-8")
    return p


def test_the_configuration_in_force_on_each_day(scenario: Path) -> None:
    sc = load(scenario)
    periods = [(str(a), str(b), p.config.organisation.withholding, p.config.network.disconnected) for a, b, p, _ in sc.periods()]
    assert periods == [
        ("2006-04-01", "2006-08-31", (YOKOHAMA,), ()),
        ("2006-09-01", "2006-11-30", (), ()),
        ("2006-12-01", "2007-03-31", (), (SETAGAYA,)),
    ]
    assert sc.on(dt.date(2006, 8, 31)).config.organisation.withholding == (YOKOHAMA,)
    assert sc.on(dt.date(2006, 9, 1)).config.organisation.withholding == ()
    assert len({p.hash for _, _, p, _ in sc.periods()}) == 3 and sc.hash != load(None).hash


def test_the_run_applies_each_change_on_its_date(scenario: Path, tmp_path: Path) -> None:
    s = execute(load(scenario), 0.002, 2006, tmp_path / "r")
    f = s["figures"]
    assert f["notifications_withheld"]["value"] > 0 and f["notifications_not_sent_disconnected"]["value"] > 0
    assert [c["date"] for c in s["timeline"]] == ["2006-09-01", "2006-12-01"]
    assert s["units_connected"] == {"start": 1843, "end": 1842}  # Setagaya out from 2006-12-01
    notes = pq.read_table(tmp_path / "r" / "records" / "notifications.parquet").to_pydict()
    yokohama = [t for c, t in zip(notes["cs"], notes["time"], strict=True) if c == YOKOHAMA]
    assert yokohama and min(yokohama) >= SEP1  # withheld before its change, notified after it
    setagaya = [(t, a) for c, t, a in zip(notes["cs"], notes["time"], notes["at_center"], strict=True) if c == SETAGAYA]
    assert all((a == a) == (t < DEC1) for t, a in setagaya)  # reached the center exactly until it disconnected
    assert any(t >= DEC1 for t, _ in setagaya) and any(t < DEC1 for t, _ in setagaya)
    report = (tmp_path / "r" / "report.md").read_text(encoding="utf-8")
    assert "2006-09-01: Yokohama sends every resident" in report and BY_KEY["notifications_not_sent_disconnected"].label in report


def test_prove_names_the_days_a_constraint_does_not_hold(scenario: Path) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "jukinet", "prove", str(scenario), "--json"], capture_output=True, text=True, check=False
    )
    assert out.returncode == 1, out.stderr
    d = json.loads(out.stdout)
    assert [(p["from"], p["to"]) for p in d["periods"]] == [
        ("2006-04-01", "2006-08-31"),
        ("2006-09-01", "2006-11-30"),
        ("2006-12-01", "2007-03-31"),
    ]
    assert d["not_holding"] == {"C16": [["2006-04-01", "2006-08-31"], ["2006-12-01", "2007-03-31"]]}
    on = subprocess.run(
        [sys.executable, "-m", "jukinet", "prove", str(scenario), "--on", "2006-10-15"],
        capture_output=True,
        text=True,
        check=False,
    )
    rows = [line for line in on.stdout.splitlines() if line[:1] == "C" and line[1:3].isdigit()]  # C01..C16 rows
    assert on.returncode == 0 and "on 2006-10-15" in on.stdout and rows and not any("VIOLATED" in r for r in rows)


def test_diff_between_two_dates_of_one_scenario(scenario: Path) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "jukinet", "diff", str(scenario), "--from", "2006-04-01", "--to", "2006-09-01", "--json"],
        capture_output=True,
        text=True,
        check=False,
    )
    d = json.loads(out.stdout)
    assert d["newly_permits"] == [{"kind": "notifies", "subject": f"cs:{YOKOHAMA}", "item": "every resident"}]
    assert d["newly_forbids"] == []
    for option, day in (("--from", "1990-01-01"), ("--to", "2007-04-01")):  # issue 30: a day outside the year was read
        args = ["--from", "2006-04-01", "--to", "2006-09-01"]
        args[args.index(option) + 1] = day
        bad = subprocess.run([sys.executable, "-m", "jukinet", "diff", str(scenario), *args], capture_output=True, text=True)
        assert bad.returncode == 2 and f"{option}: {day}: allowed: a day of FY2006" in bad.stderr


@pytest.mark.parametrize(
    ("entry", "says"),
    [
        ('date = 2006-04-01\nwhat = "x"\nsource = "y"\nremove = 1', "true or false"),
        ("date = 2006-10-02\nremove = true", "no change dated 2006-10-02 to remove; known: 2006-04-01, 2006-08-01, 2006-09-01"),
        ('date = 2007-04-01\nwhat = "x"\nsource = "y"\norganisation.withholding = []', "a day of FY2006"),
        ('date = "2006-09-01"\nwhat = "x"\nsource = "y"\norganisation.withholding = []', "a TOML date"),
        ('date = 2006-09-01\nwhat = "x"\norganisation.withholding = []', "source: required"),
        ('date = 2006-09-01\nwhat = "x"\nsource = "y"\ncenter.servers = 9', "not changeable on a date"),
        ('date = 2006-09-01\nwhat = "x"\nsource = "y"\norganisation.leak_penalty = 1', "not changeable on a date"),
        ('date = 2006-09-01\nwhat = "x"\nsource = "y"', "changes nothing"),
        ('date = 2006-09-01\nwhat = "x"\nsource = "y"\nnetwork.disconnected = ["999999"]', "network.disconnected"),
    ],
)
def test_a_bad_entry_is_one_line_naming_it(entry: str, says: str, tmp_path: Path) -> None:
    p = tmp_path / "bad.toml"
    p.write_text(f'[scenario]\nname = "bad"\n[[timeline]]\n{entry}\n', encoding="utf-8")
    with pytest.raises(UserError, match=says) as e:
        load(p)
    assert "timeline[" in str(e.value) and "\n" not in str(e.value)


def test_two_entries_on_one_date_are_refused(tmp_path: Path) -> None:
    one = 'date = 2006-09-01\nwhat = "x"\nsource = "y"\norganisation.withholding = []\n'
    p = tmp_path / "twice.toml"
    p.write_text(f'[scenario]\nname = "twice"\n[[timeline]]\n{one}[[timeline]]\n{one}', encoding="utf-8")
    with pytest.raises(UserError, match="one entry per date"):
        load(p)


AS_IT_WAS = SCENARIOS / "fy2006_baseline.toml"


def test_a_file_adds_to_the_timeline_it_builds_on_by_date(tmp_path: Path) -> None:
    """The defaults' timeline (Yokohama, 2006-09-01) stays under a file's own entries: a new date is added,
    the same date joined (tests/test_mergers.py), `remove = true` drops it; a change dated before the year is
    its start."""
    one = 'date = 2006-10-02\nwhat = "x"\nsource = "y"\nnetwork.disconnected = ["074829"]\n'
    p = tmp_path / "add.toml"
    p.write_text(f'[scenario]\nname = "add"\n[[timeline]]\n{one}', encoding="utf-8")
    assert [str(c.date) for c, _ in load(p).timeline] == sorted(["2006-09-01", "2006-10-02", *MERGERS])
    p.write_text('[scenario]\nname = "rm"\n[[timeline]]\ndate = 2006-09-01\nremove = true\n', encoding="utf-8")
    sc = load(p)
    assert [str(c.date) for c, _ in sc.timeline] == MERGERS
    assert sc.on(dt.date(2007, 3, 31)).config.organisation.withholding == (YOKOHAMA,)
    early = 'date = 2005-10-01\nwhat = "x"\nsource = "y"\nnetwork.disconnected = []\n'
    p.write_text(f'[scenario]\nname = "early"\n[[timeline]]\n{early}', encoding="utf-8")
    sc = load(p)
    assert sc.config.network.disconnected == () and [str(c.date) for c, _ in sc.timeline] == sorted(["2006-09-01", *MERGERS])
    fy2007 = load(SCENARIOS / "fy2007_existence_checks.toml")  # FY2006's change is its history
    # its only dated change is the annex rows' own day (2007-09-30: tests/test_annex_dates.py)
    assert [c.date for c, _ in fy2007.timeline] == [dt.date(2007, 9, 30)] and fy2007.config.organisation.withholding == ()
    assert fy2007.config.network.disconnected == ("132152", "074829", "131156")  # Suginami still out in FY2007


@pytest.mark.parametrize(
    ("extends", "says"),
    [
        ("3", "allowed: the path of a scenario .toml file"),
        ('"nowhere.toml"', "no scenario file"),
        ('"loop.toml"', "extends this file again"),
    ],
)
def test_a_bad_extends_is_one_line_naming_it(extends: str, says: str, tmp_path: Path) -> None:
    p = tmp_path / "loop.toml"
    p.write_text(f'[scenario]\nname = "loop"\nextends = {extends}\n', encoding="utf-8")
    with pytest.raises(UserError, match=says) as e:
        load(p)
    assert str(e.value).startswith(f"{p}: scenario.extends: ") and "\n" not in str(e.value)


def test_a_chain_of_extends_names_the_file_with_the_error(tmp_path: Path) -> None:
    (tmp_path / "base.toml").write_text('[scenario]\nname = "base"\n[center]\nservers = -1\n', encoding="utf-8")
    top = tmp_path / "top.toml"
    top.write_text('[scenario]\nname = "top"\nextends = "base.toml"\n[center]\nservers = 4\n', encoding="utf-8")
    with pytest.raises(UserError) as e:
        load(top)
    assert str(e.value).startswith(f"{tmp_path / 'base.toml'}: center.servers")
    (tmp_path / "base.toml").write_text('[scenario]\nname = "base"\n[center]\nservers = 9\n', encoding="utf-8")
    sc = load(top)
    assert sc.config.center.servers == 4 and sc.config.scenario.name == "top" and sc.source == str(top)


@pytest.mark.slow  # the whole year proved by the CLI (about 30 s alone); the fast tier proves its first day
def test_fy2006_as_it_was_breaks_c16_every_day_and_names_the_units() -> None:
    """scenarios/fy2006_baseline.toml: Kunitachi, Yamatsuri and Suginami out all year, Yokohama withholding until
    2006-09-01; `prove` finds C16 (Art. 30-5, 30-11) VIOLATED in every configuration (each merger date begins one), naming who."""
    out = subprocess.run(
        [sys.executable, "-m", "jukinet", "prove", str(AS_IT_WAS), "--json"], capture_output=True, text=True, check=False
    )
    assert out.returncode == 1, out.stderr
    d = json.loads(out.stdout)
    assert d["not_holding"] == {"C16": [["2006-04-01", "2007-03-31"]]}
    assert len(d["periods"]) == 2 + len(MERGERS)  # the start, Yokohama's change, each merger date
    for p in d["periods"]:
        named = [r for r in p["results"] if r["id"] == "C16"][0]["counterexample"]["municipality"]
        assert named in {"132152", "074829", "131156"} | ({YOKOHAMA} if p["from"] < "2006-09-01" else set()), (p["from"], named)


def test_yokohama_withholds_only_the_share_who_asked(tmp_path: Path) -> None:
    """[organisation].withholding_share: about 24 % of Yokohama's changes are withheld until the change date,
    none after it; every other change of Yokohama reaches the center."""
    s = execute(load(AS_IT_WAS), 0.002, 2006, tmp_path / "r")
    notes = pq.read_table(tmp_path / "r" / "records" / "notifications.parquet").to_pydict()
    before = [t for c, t in zip(notes["cs"], notes["time"], strict=True) if c == YOKOHAMA and t < SEP1]
    withheld = s["figures"]["notifications_withheld"]["value"]
    share = withheld / (withheld + len(before))
    assert 0.2435 - 0.05 < share < 0.2435 + 0.05, share
    assert s["figures"]["notifications_not_sent_disconnected"]["value"] > 0
    assert s["reconciliation"]["lost"] == 0
    assert s["units_connected"] == {"start": 1840, "end": 1824} and s["population_register"] == 127_055_025
    report = (tmp_path / "r" / "report.md").read_text(encoding="utf-8")
    assert "units connected to their prefecture server: 1,840 at the start, 1,824 at the end" in report
