"""What `jukinet compare` and `jukinet sweep` write: the tidy table (Parquet and CSV), the statistics as
JSON, plots, maps, report.md and one self-contained report.html."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pcsv

from jukinet.model.core.output import write_json
from jukinet.model.report.html import Page
from jukinet.model.report.maps import japan_maps
from jukinet.model.sim.records import write_parquet
from jukinet.model.workbench.grid import fmt
from jukinet.model.workbench.plots import compare_plot, difference_plot, sweep_plot
from jukinet.model.workbench.replica import METRICS

INTERVALS = (
    "Intervals are 95 % Student-t intervals of the mean over replications (none with one replication). Every "
    "point uses the same seeds (common random numbers), so a difference is measured within each replication; "
    "it is marked * where its interval excludes 0."
)


def figure_rows(stats: Sequence[dict[str, Any]]) -> tuple[list[str], list[list[str]]]:
    header = ["figure", "unit"] + [s["label"] for s in stats]
    header += [f"{s['label']} - {stats[0]['label']}" for s in stats[1:]]
    rows = []
    for key, (label, unit) in METRICS.items():
        row = [label, unit] + [fmt(s["figures"][key]) for s in stats]
        for s in stats[1:]:
            d = s["figures"][key]["difference"]
            row.append(fmt(d) + (" *" if d["significant"] else ""))
        rows.append(row)
    return header, rows


def write_outputs(
    tmp: Path,
    kind: str,
    title: str,
    meta: dict[str, Any],
    table: pa.Table,
    stats: list[dict[str, Any]],
    maps: dict[str, Any],
    extra: list[tuple[str, list[str], list[str], list[list[str]]]],
    sources: dict[str, dict[str, str]],
    assumed: list[str],
    sweep_key: str | None = None,
) -> list[Path]:
    """Write every file; `extra`: (heading, paragraphs, table header, table rows) sections."""
    first = next(iter(sources.values()), {})
    extra = [
        *extra,
        (
            "Sources of the figures",
            ["As each run's summary gives them; [ASSUMPTION] marks a value no public source confirmed."],
            ["figure", "source"],
            [[METRICS[k][0], first.get(k, "")] for k in METRICS],
        ),
        (
            "Assumptions in force",
            [
                "Lines marked [ASSUMPTION] in the scenario files and the files they extend; the embedded defaults' own are in "
                "model/data/defaults.toml ([events], [cards], [provision], [operators], [links], [workload], [center])."
            ],
            ["assumption"],
            [[a] for a in assumed] or [["none beyond the defaults'"]],
        ),
    ]
    write_parquet(table, tmp / f"{kind}.parquet")
    pcsv.write_csv(table, tmp / f"{kind}.csv")
    write_json(tmp / f"{kind}.json", {**meta, "points": stats, "maps": maps, "sources": first, "assumptions": assumed})
    plots = [sweep_plot(stats, sweep_key, tmp / "figures.png") if sweep_key else compare_plot(stats, tmp / "figures.png")]
    if len(stats) > 1:
        plots.append(difference_plot(stats, tmp / "differences.png"))
    for i, (label, figs) in enumerate(maps.items()):
        plots.append(japan_maps(figs, f"{label} (replication 1)", tmp / f"map_{i + 1}.png"))
    if len(maps) > 1:  # the second mapped point minus the first, prefecture by prefecture
        (a, fa), (b, fb) = list(maps.items())[:2]
        diff = {k: [y - x for x, y in zip(fa[k], fb[k], strict=True)] for k in fa if k in fb}
        plots.append(japan_maps(diff, f"{b} minus {a} (replication 1)", tmp / "map_difference.png", difference=True))
    header, rows = figure_rows(stats)
    md = [f"# {title}", "", *[f"- {k}: {v}" for k, v in meta.items() if isinstance(v, str | int | float)], "", INTERVALS, ""]
    md += ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)] + ["| " + " | ".join(r) + " |" for r in rows]
    page = Page(title)
    page.table(["", ""], [[k, v] for k, v in meta.items() if isinstance(v, str | int | float)])
    page.h2("Key figures").p(INTERVALS, note=True).table(header, rows)
    for heading, paras, h, r in extra:
        md += ["", f"## {heading}", "", *paras]
        if h:
            md += ["", "| " + " | ".join(h) + " |", "|" + "---|" * len(h)] + ["| " + " | ".join(map(str, x)) + " |" for x in r]
        page.h2(heading)
        for text in paras:
            page.p(text)
        if h:
            page.table(h, r)
    md += ["", "## Plots", ""] + [f"![{p.name}]({p.name})" for p in plots]
    page.h2("Plots")
    for p in plots:
        page.image(p, p.stem)
    (tmp / "report.md").write_text("\n".join(md) + "\n", encoding="utf-8")
    page.write(tmp / "report.html")
    return plots
