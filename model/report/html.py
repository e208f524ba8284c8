"""One self-contained HTML file: headings, paragraphs, tables and PNG images embedded as data URIs, so the
report opens offline and can be sent as one file."""

from __future__ import annotations

import base64
import html
from collections.abc import Collection, Mapping, Sequence
from pathlib import Path
from typing import Any

from jukinet.model.report.figures import GROUPS, in_group
from jukinet.model.world.calendar import MONTHS

STYLE = (
    "body{font-family:sans-serif;max-width:1200px;margin:2em auto;color:#222}table{border-collapse:collapse;margin:1em 0}"
    "td,th{border:1px solid #ccc;padding:3px 8px;font-size:13px;text-align:right}th{background:#eee}"
    "td:first-child,th:first-child,td:last-child{text-align:left}img{max-width:100%}.note{color:#555;font-size:13px}"
    "td.bad{background:#fdd;color:#900;font-weight:bold}li{margin:.3em 0}h1{font-size:24px}h2{font-size:19px}"
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

    def bullets(self, items: Sequence[str]) -> Page:
        self.parts.append("<ul>" + "".join(f"<li>{html.escape(x)}</li>" for x in items) + "</ul>")
        return self

    def table(
        self, header: Sequence[str], rows: Sequence[Sequence[Any]], flag: Mapping[int, Collection[str]] | None = None
    ) -> Page:
        """A table; `flag`: column -> values shown as a fault (a verdict that does not hold)."""
        flag = flag or {}

        def cell(i: int, c: Any) -> str:
            bad = str(c) in flag.get(i, ())
            return f'<td class="bad">{html.escape(str(c))}</td>' if bad else f"<td>{html.escape(str(c))}</td>"

        head = "".join(f"<th>{html.escape(str(h))}</th>" for h in header)
        body = "".join("<tr>" + "".join(cell(i, c) for i, c in enumerate(r)) + "</tr>" for r in rows)
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


def failing(v: dict[str, str]) -> dict[str, str]:
    """The verdicts that are neither PROVED nor CHECKED, nor a design property the configuration does not claim."""
    return {c: x for c, x in v.items() if not x.startswith(("PROVED", "CHECKED")) and not x.endswith("(not claimed)")}


def headline(s: dict[str, Any], meanings: Mapping[str, tuple[str, Sequence[str]]]) -> list[str]:
    """What the run found, in a few sentences: the constraints that do not hold, the four figures against their
    targets, the register's year, the units out, what the center's queue means at this scale, the assumptions."""
    f, out = s["figures"], []
    v = s.get("proofs")
    if v is None:
        out.append("The constraints were not proved with this run (--no-prove): `jukinet prove` on its scenario gives them.")
    elif bad := failing(v):
        out.append(
            "Does not hold: "
            + "; ".join(f"{c} ({meanings.get(c, ('', ()))[0] or 'see below'}): {x}" for c, x in bad.items())
            + "."
        )
    else:
        out.append(f"All {len(v)} constraints hold on every configuration of the year (PROVED or CHECKED).")
    parts = []
    for spec in in_group("four"):
        name, x = spec.label, f[spec.key]
        lo, hi = x.get("ci95", (x["expected"], x["expected"]))
        ok = "within" if lo <= x["value"] <= hi else "OUTSIDE"
        parts.append(
            f"{name} {x['value']:,} against {x['expected']:,.0f} ({x['deviation_from_target']:+.1%}, {ok} its 95 % interval)"
        )
    out.append("The four FY2006 figures against their targets at this scale: " + "; ".join(parts) + ".")
    if "register_population_end" in f:
        r = f["register_population_end"]
        out.append(f"The register ends the year at {r['value']:,} residents (expected {r['expected']:,.0f}).")
    u, lost = s["units_connected"], f["notifications_withheld"]["value"] + f["notifications_not_sent_disconnected"]["value"]
    out.append(
        f"{u['end']:,} of {s['units_in_being']['end']:,} units connected at the year's end ({u['start']:,} at its start); "
        f"{lost:,} register changes withheld or not sent (C16)."
    )
    if s["scale"] < 1:
        out.append(
            f"At scale {s['scale']} the center carries only the run's own share of the year's requests, so its queue "
            "says nothing about capacity: `jukinet loadtest` and `jukinet capacity` give the full-scale figures."
        )
    assumed = [k for k, x in f.items() if isinstance(x, dict) and "[ASSUMPTION" in str(x.get("source", ""))]
    if assumed:
        out.append(
            f"{len(assumed)} of the figures rest on a value no public source confirmed ([ASSUMPTION]): "
            + ", ".join(k.replace("_", " ") for k in assumed)
            + "."
        )
    return out


def _figure_rows(f: dict[str, Any]) -> list[list[str]]:
    """Every figure, by its group (model.report.figures), each group led by its title."""
    rows = []
    for group, title in GROUPS.items():
        rows.append([title, "", "", "", "", "", ""])
        for spec in in_group(group):
            x = f[spec.key]
            target = f"{x['expected']:,.0f}" if "expected" in x else ""
            ci = f"{x['ci95'][0]:,.0f} .. {x['ci95'][1]:,.0f}" if "ci95" in x else ""
            dev = f"{x['deviation_from_target']:+.2%}" if "deviation_from_target" in x else ""
            rows.append([spec.label, f"{x['value']:,}", spec.unit, target, ci, dev, x.get("source", "")])
    return rows


def run_page(s: dict[str, Any], pngs: Sequence[Path], meanings: Mapping[str, tuple[str, Sequence[str]]]) -> Page:
    """A run's report as one page, to send as it is: a headline of what the run found; the verdict matrix with
    each constraint's meaning and articles; every figure with its unit, expected value, 95 % interval, target and
    source; the year's changes; the network after the drain; the requests by month; the linkage measure; the
    plots and the map. `meanings`: constraint id -> (statement, articles), from the scenario's statute."""
    page = Page(f"jukinet run — {s['scenario']}, FY{s['fiscal_year']}, scale {s['scale']}, seed {s['seed']}")
    if s.get("description"):
        page.p(s["description"])
    page.h2("What this run found").bullets(headline(s, meanings))
    page.p(
        f"Scale {s['scale']}: {s['residents_start']:,} residents at the start (of the register's "
        f"{s['population_register']:,}), {s['municipalities']:,} municipalities; jukinet {s['version']}, "
        f"scenario hash {s['scenario_hash'][:12]}, configuration hash {s.get('config_sha256', '')[:12]}. Expected values "
        "and 95 % intervals are the model's (Poisson) at this scale; targets are the scenario's figures times the scale.",
        note=True,
    )
    verdict_section(page, s.get("proofs"), meanings)
    page.h2("Figures").p(
        "Each figure with its source; a source marked [ASSUMPTION] rests on a value no public source confirmed.", note=True
    ).table(["figure", "value", "unit", "expected", "95 % interval", "vs target", "source"], _figure_rows(s["figures"]))
    if s.get("timeline"):
        page.h2("The year's changes").bullets([f"{c['date']}: {c['what']} (source: {c['source']})" for c in s["timeline"]])
    drain_section(page, s.get("reconciliation"))
    monthly = s.get("monthly", {}).get("provision_requests_by_purpose", {})
    if monthly:
        page.h2("Provision requests by month").table(
            ["purpose", *MONTHS], [[k.replace("_", " "), *(f"{x:,}" for x in v)] for k, v in sorted(monthly.items())]
        )
    k = s.get("linkage")
    if k:
        page.h2("Linkage by a common identifier (L01, 名寄せ)").table(
            ["measure", "value"], [[a.replace("_", " "), f"{b:,}" if isinstance(b, int) else b] for a, b in k.items()]
        )
    q = s.get("center_queue")
    if q:
        page.h2("The run's requests at the center").p(
            f"{q['servers']} servers, utilisation {q['utilisation']:.2%} at scale {q['scale']}. {q['note']}."
        )
    page.h2("Plots and map")
    for png in pngs:
        page.image(png, png.stem.replace("_", " "))
    page.p(
        "The records behind these figures are in the run folder; `jukinet audit` on it checks them against the "
        "constraints, and `jukinet disclose` gives one resident's record of provisions (C12).",
        note=True,
    )
    return page


def verdict_section(page: Page, v: dict[str, str] | None, meanings: Mapping[str, tuple[str, Sequence[str]]]) -> None:
    page.h2("Proof verdicts")
    if not v:
        page.p("Not proved with this run (jukinet run --no-prove): `jukinet prove` on its scenario gives them.")
        return
    bad = failing(v)
    rows = [[c, x, meanings.get(c, ("", ()))[0], ", ".join(meanings.get(c, ("", ()))[1])] for c, x in v.items()]
    page.p(PROOF_NOTE, note=True).table(["constraint", "verdict", "meaning", "articles"], rows, flag={1: set(bad.values())})


def drain_section(page: Page, r: dict[str, Any] | None) -> None:
    if not r:
        return
    page.h2("The network after the drain (C16)").p(
        f"Every change the registers sent on, at the center: {r['lost']:,} lost, {r['duplicated']:,} stored twice, "
        f"{r['stale']:,} residents whose copy at the center is not their latest change, {r['mismatched']:,} mismatches "
        f"between the prefecture servers and what was routed to them; {r['late_arrivals']:,} changes arrived after a "
        f"newer one, {r['duplicates_suppressed']:,} copies sent again after a crash recognised, {r['quarantined']:,} "
        "notifications quarantined and replayed."
    )
    if r["windows"]:
        page.table(
            ["fault", "where", "hours", "drain after it ends"],
            [
                [w["kind"], w["where"], f"{(w['end_s'] - w['start_s']) / 3600:g}", f"{w['drain_seconds']:.0f} s"]
                for w in r["windows"]
            ],
        )
