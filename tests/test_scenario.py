"""Scenario loading: merge rules, and one exact error line for each kind of bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from jukinet.model.config.scenario import load
from jukinet.model.core.errors import UserError

BAD = [
    (
        "[scenari]\nname = 'x'\n",
        "scenari: unknown key; allowed: cards, center, codes, events, identifiers, links, network, operators, organisation, "
        "policy, population, provision, registry, scenario, statute, timeline, workload",
    ),
    ("[scenario]\nnam = 'x'\n", "scenario.nam: unknown key; allowed: description, fiscal_year, mutant_of, name, route"),
    ("[policy]\nlogging = 'yes'\n", "policy.logging: got 'yes'; input should be a valid boolean"),
    (
        "[[policy.rules]]\nid = 'center.provide.national'\neffect = 'allow'\n",
        "policy.rules[center.provide.national].effect: got 'allow'; input should be 'permit' or 'forbid'",
    ),
    (
        "[[policy.rules]]\nid = 'center.provide.national'\nwhen = ['registered', 'magic']\n",
        "policy.rules[center.provide.national].when: unknown condition 'magic'; allowed: registered, affair_registered, "
        "public_body, operator_authenticated, operator_in_scope, keys_allowed, items_in_schema, subject_is_requester, "
        "same_affair, logging_on (optionally 'not:')",
    ),
    ("[[policy.rules]]\nid = 'new.rule'\neffect = 'permit'\n", "policy.rules[new.rule].node: required key is missing"),
    (
        "[[policy.rules]]\nid = 'center.provide.national'\nconstraints = ['C99']\n",
        "policy.rules[center.provide.national].constraints: unknown constraint 'C99'; allowed: C01..C16",
    ),
    (
        "[[policy.rules]]\nid = 'center.provide.national'\narticles = ['99-9']\n",
        "policy.rules[center.provide.national].articles: unknown article '99-9'; allowed: ",
    ),
    (
        "[[policy.messages]]\nid = 'notification'\nitems = ['name', 'salary']\n",
        "policy.messages[notification].items: unknown item 'salary'; allowed: address, change_info, child_allowance, code, "
        "dob, domicile, electoral_roll, health_insurance, household_head, long_term_care, name, pension, previous_address, "
        "relationship, seal_registration, sex, tax",
    ),
    ("[network.link_security]\nprotocol = 3\n", "network.link_security.protocol: got 3; input should be a valid string"),
    (
        "[network]\ndisconnected = ['999999']\n",
        "network.disconnected: unknown municipality '999999'; allowed: 6-digit lgcodes of model/data/municipalities.tsv",
    ),
    ("[codes]\nheadroom = 0.5\n", "codes.headroom: got 0.5; input should be greater than or equal to 1"),
    ("[codes]\nblock_size = 2.5\n", "codes.block_size: got 2.5; input should be a valid integer"),
    (
        "[[statute.annex]]\nid = 'A1-999'\ntable = 1\nrow = '999'\nbodies = ['mhlw']\nlaw_en = 'x'\ngloss = 'y'\n"
        "citation = 'z'\nmode = 'weekly'\n",
        "statute.annex[A1-999].mode: got 'weekly'; input should be 'interactive' or 'interactive+batch'",
    ),
    ("[[policy.rules]]\nid = 'no.such.rule'\nremove = true\n", "policy.rules[no.such.rule]: cannot remove unknown id; known: "),
    (
        "[[registry.body]]\nid = 'cs:131016'\nname = 'x'\nlevel = 'national'\nkind = 'public'\n",
        "registry.body[cs:131016].id: shadows a network node or requester kind; allowed: ",
    ),
    (
        "[[registry.body]]\nid = 'center'\nname = 'x'\nlevel = 'private'\nkind = 'private'\n",
        "registry.body[center].id: shadows a network node or requester kind; allowed: ",
    ),
    (
        "[[network.node]]\nid = 'pref:13'\nkind = 'relay'\n",
        "network.node[pref:13].id: shadows a built-in node, a registry or annex body or a resident; allowed: a new id",
    ),
    (
        "[[network.node]]\nid = 'mhlw'\nkind = 'private'\n",
        "network.node[mhlw].id: shadows a built-in node, a registry or annex body or a resident; allowed: a new id",
    ),
    (
        "[[network.link]]\nid = 'l'\nsrc = 'center'\ndst = 'nowhere'\nmessages = []\n",
        "network.link[l].dst: unknown node 'nowhere'; allowed: a built-in node or a [[network.node]] id",
    ),
    (
        "[[network.link]]\nid = 'l'\nsrc = 'cs:131016'\ndst = 'cs:131016'\nmessages = []\n",
        "network.link[l]: a link from 'cs:131016' to itself; allowed: two different nodes",
    ),
    (
        "[[network.node]]\nid = 'pref:99'\nkind = 'relay'\n",
        "network.node[pref:99].id: shadows a built-in node, a registry or annex body or a resident; allowed: a new id",
    ),
    (
        "[[policy.messages]]\nid = 'notification'\ncarries_identity = false\n",
        "policy.messages[notification].carries_identity: false; allowed: false only for a query from a recipient whose items "
        "are lookup keys "
        "(address, code, dob, name, sex)",
    ),
    ("this is not toml\n", "-: not valid TOML: Expected '=' after a key in a key/value pair (at line 1, column 6)"),
    # issue 11: the register population (calibration.toml [resident_register])
    (
        '[population.resident_register]\nprefecture = { "99" = 5 }\n',
        "population.resident_register.prefecture.99: got 5; allowed: a prefecture code 01..47 and a count > 0",
    ),
    (
        '[population.resident_register]\nprefecture = { "13" = 200000000 }\n',
        "population.resident_register: the prefectures given sum to 314,781,649; allowed: all 47 summing to the total "
        "(127,055,025; change `total` with them)",
    ),
    ("[population.resident_register]\ntotal = 0\n", "population.resident_register.total: got 0; input should be greater than 0"),
    (
        '[organisation]\nwithholding_share = { "141003" = 1.5 }\n',
        "organisation.withholding_share.141003: got 1.5; allowed: a 6-digit lgcode and a share in (0, 1]",
    ),
    # issue 13: values that crashed or exhausted the machine, refused before any run
    ("[events]\nbirths = inf\n", "events.births: got inf; input should be a finite number"),
    ("[events]\nbirths = 1e300\n", "events.births: got 1e+300; allowed: at most the population a year (127,055,025)"),
    (
        "[events]\nsocial_change = -2e8\n",
        "events.social_change: got -2e+08; allowed: between minus and plus the population a year (127,055,025)",
    ),
    (
        "[workload]\nmonth_weight = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]\n",
        "workload.month_weight: got [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]; "
        "allowed: weights >= 0 with a positive sum",
    ),
    (
        "[workload.volume]\nnational = 9223372036854775807\n",
        "workload.volume.national: got 9,223,372,036,854,775,807; allowed: at most 100 a resident a year (12,705,502,500)",
    ),
    (
        "[[policy.rules]]\nid = 'x'\neffect = 'permit'\nnode = 'cs'\naction = 'notify'\nrequester = ['municipality']\n"
        "[[policy.rules]]\nid = 'x'\neffect = 'forbid'\nnode = 'cs'\naction = 'notify'\nrequester = ['municipality']\n",
        "policy.rules[x]: the same id twice in one file; allowed: each id once",
    ),
    (
        "[[statute.annex]]\nid = 'A1-998'\ntable = 1\nrow = '998'\nbodies = ['nobody']\nlaw_en = 'x'\ngloss = 'x'\n"
        "citation = 'x'\n",
        "statute.annex[A1-998].bodies: unknown body 'nobody'; allowed: a [[statute.body]] or [[registry.body]] id",
    ),
    (  # issue 11: 69 % of the 4.4 million copies are passport lookups by prefectures (annex 5 row 6)
        "[workload.volume]\nlocal = 1000000\n",
        "workload.volume.copies_replaced: got 4,400,000; allowed: the copy-replacing lookups of annex 2-5 rows fit in "
        "workload.volume.local (with the batches)",
    ),
    (
        "[provision]\ncopy_replacing_rows = ['A9-1']\ncopy_replacing_weights = [1.0]\n",
        "provision.copy_replacing_rows: 'A9-1' is not a row of the annex as it stands here (a row [provision] names "
        "cannot be deleted); allowed: ids of annex tables 1-5",
    ),
    (
        "[cards]\nsignature_algorithm = 'rsa-512'\n",
        "cards.signature_algorithm: got 'rsa-512'; input should be 'ecdsa-p256', 'rsa-1024' or 'rsa-2048'",
    ),
]


@pytest.mark.parametrize(("text", "message"), BAD, ids=[m.split(":")[0] for _, m in BAD])
def test_bad_input_gets_one_exact_line(text: str, message: str, scenario_file: Callable[[str], Path]) -> None:
    path = scenario_file(text)
    with pytest.raises(UserError) as info:
        load(path)
    line = str(info.value)
    assert "\n" not in line
    assert line.startswith(f"{path}: {message}")
    if not message.endswith(": "):
        assert line == f"{path}: {message}"


def test_a_missing_scenario_file_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(UserError, match=r"nope.toml: -: no such file, nor a shipped scenario of that name"):
        load(tmp_path / "nope.toml")


def test_cli_bad_input_exits_2_with_one_line_and_no_traceback(scenario_file: Callable[[str], Path]) -> None:
    path = scenario_file("[policy]\nlogging = 'yes'\n")
    proc = subprocess.run([sys.executable, "-m", "jukinet", "network", str(path)], capture_output=True, text=True)
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert proc.stderr == f"jukinet: error: {path}: policy.logging: got 'yes'; input should be a valid boolean\n"


def test_merge_by_id_replaces_appends_and_removes(scenario_file: Callable[[str], Path]) -> None:
    sc = load(
        scenario_file("""
[[policy.rules]]
id = "center.provide.national"
when = ["registered"]
[[policy.rules]]
id = "cs.change_code.self"
remove = true
[[statute.annex]]
id = "A1-999"
table = 1
row = "999"
bodies = ["mhlw"]
law_en = "Hypothetical Act"
gloss = "Hypothetical Act: registrations"
citation = "scenario amendment"
""")
    )
    rules = {r.id: r for r in sc.config.policy.rules}
    assert rules["center.provide.national"].when == ("registered",)
    assert rules["center.provide.national"].effect == "permit"  # fields left out keep their default
    assert "cs.change_code.self" not in rules
    assert sc.config.statute.rows["A1-999"].law_en == "Hypothetical Act"
    assert "A1-999" in sc.policy.bodies["mhlw"].affairs  # the amendment reaches the registry


def test_baseline_file_equals_embedded_defaults(baseline) -> None:  # type: ignore[no-untyped-def]
    defaults = load(None).config
    assert baseline.config == defaults


def test_every_baseline_key_is_explained_by_a_comment() -> None:
    text = (Path(__file__).resolve().parent.parent / "scenarios" / "fy2006_baseline.toml").read_text(encoding="utf-8")
    lines = text.splitlines()
    for before, line in zip([""] + lines, lines, strict=False):
        if "=" in line and not line.lstrip().startswith("#"):
            assert "#" in line or before.startswith("#"), f"baseline key without an explanation: {line!r}"


SCENARIOS = sorted(
    p for p in (Path(__file__).resolve().parent.parent / "scenarios").rglob("*.toml") if p.parent.name != "refused"
)


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_every_shipped_scenario_loads_and_names_itself(path: Path) -> None:
    """Every scenario file is valid and sets its own name (reports and run folders carry it)."""
    name = load(path).config.scenario.name
    assert name == "fy2006_baseline" if path.stem == "fy2006_baseline" else name != "fy2006_baseline"


def test_a_scale_too_small_or_a_run_too_big_is_refused_before_it_starts(tmp_path: Path) -> None:
    """Everything a run will use is checked before it starts (issue 13): the scale, and the memory and
    disk the run needs against what this machine has; `jukinet check --scale` makes the same checks."""
    from jukinet.model.config.estimate import Estimate, check_fits, check_scale, estimate, smallest_scale

    sc = load(None)
    assert smallest_scale(sc) == 0.0001
    for bad in (1e-9, 0.0, -1.0, float("inf"), float("nan"), 1.5):
        with pytest.raises(UserError, match=r"--scale: .*allowed: a number in \[0.0001, 1\]"):
            check_scale(sc, bad)
    check_scale(sc, 0.0001)
    est = estimate(sc, 1.0)
    assert 17e9 < est.memory_bytes < 20e9  # measured 18.3 GB (model/config/estimate.py)
    huge = Estimate(1, 1, 1, 1e15, 0.0, 1.0)
    with pytest.raises(UserError, match="needs about 1e\\+06 GB of memory"):
        check_fits(huge, tmp_path / "out")
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "jukinet",
            "check",
            str(Path(__file__).resolve().parent.parent / "scenarios" / "fy2006_baseline.toml"),
            "--scale",
            "1e-9",
        ],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1 and "--scale: 1e-09" in proc.stderr


def test_the_time_estimate_counts_the_chip_keys_of_the_signature_algorithm(scenario_file: Callable[[str], Path]) -> None:
    """RSA-1024 chip keys (JPKI of the Juki card era, the defaults) take about 9 ms each to make
    (bench/keygen_bench.py): the estimate printed before a run includes them, so an RSA run at scale 1 is
    estimated minutes longer than one with ECDSA P-256 keys, when each chip makes its own key (`key_pool = 0`);
    with the defaults' pool of shared keys ([cards] key_pool, model/sim/card.py KeyPool) a second at most."""
    from jukinet.model.config.estimate import estimate

    own = "[cards]\nkey_pool = 0\n"
    ecdsa = estimate(load(scenario_file(own + 'signature_algorithm = "ecdsa-p256"\n', "e.toml")), 1.0).seconds
    rsa = estimate(load(scenario_file(own, "r.toml")), 1.0).seconds
    assert 600 < rsa - ecdsa < 3600, (ecdsa, rsa)
    pooled = estimate(load(None), 1.0).seconds
    assert 0 < pooled - estimate(load(scenario_file('[cards]\nsignature_algorithm = "ecdsa-p256"\n', "p.toml")), 1.0).seconds < 1


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("a = " + "[" * 100_000 + "]" * 100_000 + "\n", "-: nested too deeply"),
        ('[scenario]\nname = "t"\n[[timeline]]\ndate = [2006, 5, 1]\nwhat = "x"\nsource = "y"\n', "timeline[0].date"),
        ('[scenario]\nname = "t"\n[[timeline]]\ndate = {a = 1}\nwhat = "x"\nsource = "y"\n', "timeline[0].date"),
        ("[codes]\nseed = -1\n", "codes.seed"),
        ("[codes]\nheadroom = 1e300\n", "codes.headroom"),
        ('[[links.fault]]\nlink = "center"\nstart = 2006-06-01T10:00:00+09:00\nhours = 2\nkind = "crash"\n', "links.fault.start"),
        ('[[links.fault]]\nlink = "center"\nstart = "2007-06-01T10:00"\nhours = 2\nkind = "crash"\n', "links.fault.start"),
        ('[provision]\nown_use_not_made = ["48"]\n', "provision.own_use_not_made"),
        ('[[links.fault]]\nlink = "cs:132152"\nstart = "2006-06-01T10:00"\nhours = 2\nkind = "down"\n', "links.fault.link"),
    ],
    ids=[
        "deep",
        "timeline-date-list",
        "timeline-date-table",
        "negative-seed",
        "huge-headroom",
        "zoned-fault",
        "fault-out",
        "own-use",
        "fault-unit-out",
    ],
)
def test_hostile_inputs_of_issue_30_are_one_line_errors(
    scenario_file: Callable[[str], Path], capsys: pytest.CaptureFixture[str], text: str, key: str
) -> None:
    """Each once crashed `check` or a run with a traceback (issue 30): now one line naming file and key, exit 2."""
    from jukinet.model.cli.main import main

    path = scenario_file(text)
    assert main(["check", str(path)]) == 2
    err = capsys.readouterr().err
    assert f"{path}: {key}" in err and err.count("\n") == 1 and "fault_ends" not in err
    assert "allowed" in err or "should be" in err  # what is allowed, in the checks' words or pydantic's


def test_a_fifo_or_a_folder_given_as_a_file_is_refused_not_waited_on(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Issue 30: a FIFO named as the scenario blocked for ever; it and a folder are one line, exit 2."""
    import os

    from jukinet.model.cli.main import main

    fifo = tmp_path / "fifo.toml"
    os.mkfifo(fifo)
    for path in (fifo, tmp_path):
        assert main(["check", str(path)]) == 2
        assert f"{path}: -: not a regular file" in capsys.readouterr().err


def test_shipped_scenarios_are_listed_and_taken_by_name(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 28: `jukinet scenarios` lists what ships with a description each; every command takes one by name
    (`incidents/NAME`, with or without .toml) from any folder; a file of the user's of that name wins."""
    from jukinet.model.cli.main import main
    from jukinet.model.config.shipped import shipped

    monkeypatch.chdir(tmp_path)
    assert main(["scenarios", "--json"]) == 0
    listed = {s["name"]: s["description"] for s in json.loads(capsys.readouterr().out)}
    assert {"fy2006_as_designed", "incidents/jpki_card_defects", "faults/cs_flap_sapporo"} <= set(listed)
    assert all(listed.values()) and not any(n.startswith("mutants/") for n in listed)
    assert len(shipped()) == len(listed) and main(["scenarios", "--all"]) == 0
    assert "mutants/c01_" in capsys.readouterr().out
    for name in ("incidents/jpki_card_defects", "incidents/jpki_card_defects.toml"):
        assert load(name).config.scenario.name == "jpki_card_defects"
    mine = tmp_path / "incidents"
    mine.mkdir()
    (mine / "jpki_card_defects.toml").write_text('[scenario]\nname = "mine"\n', encoding="utf-8")
    assert load("incidents/jpki_card_defects.toml").config.scenario.name == "mine"  # the user's file wins
    assert main(["check", "no_such_scenario"]) == 2
    assert "no such file, nor a shipped scenario of that name" in capsys.readouterr().err


def test_a_huge_value_is_refused_in_one_short_line(
    scenario_file: Callable[[str], Path], capsys: pytest.CaptureFixture[str]
) -> None:
    """Issue 30: a 20 MB description was accepted (and copied into every output); now at most 300 characters,
    and the error shows the start of what was given, not all of it."""
    from jukinet.model.cli.main import main

    path = scenario_file('[scenario]\nname = "x"\ndescription = "' + "a" * 1_000_000 + '"\n')
    assert main(["check", str(path)]) == 2
    err = capsys.readouterr().err
    assert "scenario.description" in err and "at most 300 characters" in err and len(err) < 400
