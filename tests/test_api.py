"""The public API (`import jukinet`): one small surface over the model and the proofs, each entry
doing what its command does."""

from __future__ import annotations

from pathlib import Path

import jukinet


def test_api_names_its_surface_and_each_entry_works(tmp_path: Path) -> None:
    assert set(jukinet.__all__) == {
        "Scenario",
        "__version__",
        "audit",
        "capacity",
        "compare",
        "diff",
        "linkage",
        "load",
        "loadtest",
        "prove",
        "run",
        "sweep",
    }
    sc = jukinet.load()
    assert isinstance(sc, jukinet.Scenario) and sc.config.scenario.name == "fy2006_baseline"
    assert jukinet.__version__.count(".") >= 2  # the installed distribution's (issue 28)
    assert jukinet.load("incidents/jpki_card_defects").config.scenario.name == "jpki_card_defects"  # by name
    results = jukinet.prove(sc, only=("C13",))
    assert [r.verdict for r in results if r.id == "C13"] == ["PROVED", "CHECKED"]  # the solver query, the network check
    assert jukinet.linkage(sc)["bodies_holding_it"] > 10
    assert jukinet.diff(sc, sc)["newly_permits"] == []
    summary = jukinet.run(sc, tmp_path / "run", scale=0.0003, seed=1)
    assert summary["seed"] == 1 and (tmp_path / "run" / "summary.json").is_file()
    found = jukinet.audit(tmp_path / "run")  # FY2006 as it ran: only the C16 breaches of the units out or withholding
    assert not found["clean"] and {f["constraint"] for f in found["findings"]} == {"C16"}
