"""One self-contained HTML file: headings, paragraphs, tables and PNG images embedded as data URIs, so the
report opens offline and can be sent as one file."""

from __future__ import annotations

import base64
import html
from collections.abc import Sequence
from pathlib import Path
from typing import Any

STYLE = (
    "body{font-family:sans-serif;max-width:1200px;margin:2em auto;color:#222}table{border-collapse:collapse;margin:1em 0}"
    "td,th{border:1px solid #ccc;padding:3px 8px;font-size:13px;text-align:right}th{background:#eee}"
    "td:first-child,th:first-child,td:last-child{text-align:left}img{max-width:100%}.note{color:#555;font-size:13px}"
)
PROOF_NOTE = (
    "Each constraint as `jukinet prove` decides it over every configuration of the year: PROVED (a solver query) or "
    "CHECKED (computed in Python and checked), else the first other verdict and in how many configurations. L01 is a "
    "design property: it binds only a design that claims it ([identifiers] scheme = agency_codes); '(not claimed)' "
    "marks a verdict shown and not counted."
)


class Page:
    def __init__(self, title: str) -> None:
        self.title = title
        self.parts: list[str] = [f"<h1>{html.escape(title)}</h1>"]

    def h2(self, text: str) -> Page:
        self.parts.append(f"<h2>{html.escape(text)}</h2>")
        return self

    def p(self, text: str, note: bool = False) -> Page:
        cls = ' class="note"' if note else ""
        self.parts.append(f"<p{cls}>{html.escape(text)}</p>")
        return self

    def table(self, header: Sequence[str], rows: Sequence[Sequence[Any]]) -> Page:
        head = "".join(f"<th>{html.escape(str(h))}</th>" for h in header)
        body = "".join("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in r) + "</tr>" for r in rows)
        self.parts.append(f"<table><tr>{head}</tr>{body}</table>")
        return self

    def image(self, png: Path, alt: str) -> Page:
        data = base64.b64encode(png.read_bytes()).decode("ascii")
        self.parts.append(f'<p><img alt="{html.escape(alt)}" src="data:image/png;base64,{data}"></p>')
        return self

    def write(self, path: Path) -> Path:
        doc = (
            f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{html.escape(self.title)}</title>'
            f"<style>{STYLE}</style></head><body>\n" + "\n".join(self.parts) + "\n</body></html>\n"
        )
        path.write_text(doc, encoding="utf-8")
        return path


def run_page(summary: dict[str, Any], pngs: Sequence[Path]) -> Page:
    """A run's report as one page: what ran, every figure with its unit, target and source, the linkage
    measure, the center's queue, the assumptions in force, and the plots and the map."""
    s = summary
    page = Page(f"jukinet run — {s['scenario']}, FY{s['fiscal_year']}, scale {s['scale']}, seed {s['seed']}")
    page.table(
        ["", ""],
        [
            ["scenario", s["scenario"]],
            ["residents at the start", f"{s['residents_start']:,}"],
            ["municipalities", f"{s['municipalities']:,}"],
            ["units connected (start, end)", f"{s['units_connected']['start']:,}, {s['units_connected']['end']:,}"],
            ["configuration hash", s.get("config_sha256", "")],
        ],
    )
    rows = []
    for key, f in s["figures"].items():
        if not isinstance(f, dict) or "value" not in f:
            continue
        target = f"{f['expected']:,.0f}" if "expected" in f else ""
        dev = f"{f['deviation_from_target']:+.2%}" if "deviation_from_target" in f else ""
        rows.append([key.replace("_", " "), f"{f['value']:,}", f.get("unit", ""), target, dev, f.get("source", "")])
    page.h2("Figures").p(
        "Each figure with its source; a source marked [ASSUMPTION] rests on a value no public source confirmed.", note=True
    ).table(["figure", "value", "unit", "target", "vs target", "source"], rows)
    k = s.get("linkage")
    if k:
        page.h2("Linkage by a common identifier (L01, 名寄せ)").table(
            ["measure", "value"], [[a, f"{b:,}" if isinstance(b, int) else b] for a, b in k.items()]
        )
    q = s.get("center_queue")
    if q:
        page.h2("The run's requests at the center").p(
            f"{q['servers']} servers, utilisation {q['utilisation']:.2%} at scale {q['scale']}. {q['note']}."
        )
    page.h2("Assumptions in force").p(str(s.get("assumptions", "")))
    page.h2("Proof verdicts")
    v = s.get("proofs")
    if v:
        page.p(PROOF_NOTE, note=True).table(["constraint", "verdict"], list(v.items()))
    else:
        page.p("Not proved with this run (jukinet run --no-prove): `jukinet prove` on its scenario gives them.")
    page.p("The audit of these records: `jukinet audit` on this run folder.", note=True)
    page.h2("Plots and map")
    for p in pngs:
        page.image(p, p.stem)
    return page
