"""The run's figures are declared once (model/report/figures.py, issue 28): every declared figure is in the
summary, report.md and report.html under its label and unit; those marked for the printout are printed by
`jukinet run`, those marked `compare` are workbench metrics; and nothing in the summary is undeclared."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pytest

from jukinet.model.report.figures import FIGURES, GROUPS, in_group


@pytest.fixture(scope="module")
def printed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    import contextlib
    import io

    from jukinet.model.cli.main import main

    out = tmp_path_factory.mktemp("figs") / "run"
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        assert main(["run", "--scale", "0.0005", "--seed", "3", "--no-prove", "--out", str(out)]) == 0
    return out, buf.getvalue()


def test_every_declared_figure_is_in_every_output(printed: tuple[Path, str]) -> None:
    out, text = printed
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))["figures"]
    md = (out / "report.md").read_text(encoding="utf-8")
    page = html.unescape(re.sub(r"<[^>]+>", "|", (out / "report.html").read_text(encoding="utf-8")))
    assert list(summary) == [f.key for f in FIGURES]  # in the declared order, none undeclared
    for f in FIGURES:
        assert summary[f.key]["label"] == f.label and summary[f.key]["unit"] == f.unit
        value = f"{summary[f.key]['value']:,}"
        assert f"| {f.label} | {value} {f.unit} |" in md, f.key
        assert f"|{f.label}||{value}||{f.unit}|" in page, f.key
        printed_line = re.search(rf"^  {re.escape(f.label)} +{re.escape(value)}  ", text, re.M)
        assert printed_line is not None or not (f.cli or f.group == "four"), f.key
    for title in GROUPS.values():
        assert f"## {title}" in md and f"|{title}|" in page
    assert all(in_group(g) for g in GROUPS)  # no empty group


def test_the_workbench_compares_the_figures_marked_for_it() -> None:
    from jukinet.model.workbench.replica import METRICS

    marked = {f.key: (f.label, f.unit) for f in FIGURES if f.compare}
    assert marked and all(METRICS[k] == v for k, v in marked.items())
    assert {f.key for f in FIGURES} & set(METRICS) == set(marked)
