"""The notebooks are thin and run: every code cell of every notebook is executed in order."""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib
import pytest

matplotlib.use("Agg")

# What each notebook must have computed when it ends (a notebook that runs but shows nonsense fails).
EXPECT = {
    "fy2006_run": lambda ns: abs(ns["summary"]["figures"]["provisions_national"]["deviation_from_target"]) < 0.05,
    "capacity_engineer": lambda ns: ns["res"]["servers_needed"] is not None and ns["p99"]["outage"] > 10 * ns["p99"]["normal"],
    "auditor": lambda ns: (
        ns["result"].verdict == "VIOLATED"
        and ns["result"].id == "C13"
        and ns["report"]["clean"]
        and ns["problems"] == []
        and ns["verify"](ns["tampered"], ns["load_public"](ns["work"] / "keys" / "public")) != []
        and len(ns["changes"]["newly_permits"]) > 0
    ),
    "policy_analyst": lambda ns: (
        ns["base"]["figures"]["linkage_pairs_of_bodies_joined"]["mean"] > 100
        and ns["mine"]["figures"]["linkage_pairs_of_bodies_joined"]["mean"] == 0
        and ns["mine"]["figures"]["linkage_pairs_of_bodies_joined"]["difference"]["significant"]
        and ns["cards"][1][1] > 5 * ns["cards"][0][1]
    ),
}
BOOKS = sorted((Path(__file__).resolve().parent.parent / "notebooks").glob("*.ipynb"))


@pytest.mark.parametrize("book", BOOKS, ids=[b.stem for b in BOOKS])
def test_every_notebook_runs_and_shows_its_result(book: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(book.parent)  # as Jupyter runs it: paths are relative to the notebook
    nb = json.loads(book.read_text(encoding="utf-8"))
    cells = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert cells, "a notebook without code"
    assert all(not c.get("outputs") for c in cells), "notebooks are committed without outputs"
    namespace: dict[str, object] = {}
    for cell in cells:
        source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        exec(compile(source, f"{book.name}", "exec"), namespace)  # noqa: S102 - the project's own notebooks
    import matplotlib.pyplot as plt

    plt.close("all")
    assert EXPECT[book.stem](namespace), f"{book.name} ended without the expected result"
