"""The Markdown report of a fiscal-year run: every figure with its unit, source and interval."""

from __future__ import annotations

from typing import Any

from jukinet.model.report.figures import GROUPS, in_group
from jukinet.model.world.calendar import MONTHS


def _row(name: str, f: dict[str, Any]) -> str:
    exp = f"{f['expected']:,.0f}" if "expected" in f else ""
    ci = f"{f['ci95'][0]:,.0f} .. {f['ci95'][1]:,.0f}" if "ci95" in f else ""
    dev = f"{f['deviation_from_target']:+.2%}" if "deviation_from_target" in f else ""
    return f"| {name} | {f['value']:,} {f['unit']} | {exp} | {ci} | {dev} | {f['source']} |"


def run_markdown(s: dict[str, Any], plots: list[str]) -> str:
    f = s["figures"]
    lines = [
        f"# Juki-net FY{s['fiscal_year']} — {s['scenario']}",
        "",
        *([s["description"], ""] if s.get("description") else []),
        *(
            ["The year's changes (the scenario's `[[timeline]]`), each applied on its date:", ""]
            + [f"- {c['date']}: {c['what']} ({', '.join(c['keys'])}; source: {c['source']})" for c in s.get("timeline", [])]
            + [""]
            if s.get("timeline")
            else []
        ),
        f"Scale {s['scale']} ({s['residents_start']:,} residents at the start, {s['municipalities']:,} municipalities, "
        f"all 47 prefectures), seed {s['seed']}, scenario hash `{s['scenario_hash'][:12]}`, jukinet {s['version']} "
        f"({s['git_commit'][:12]}), {s['wall_seconds']:.1f} s.",
        *(
            [
                f"Scaled from the register's {s['population_register']:,} residents; units connected to their prefecture "
                f"server: {s['units_connected']['start']:,} at the start, {s['units_connected']['end']:,} at the end (C16)."
                + (
                    f" Units in being: {s['units_in_being']['start']:,} at the start, {s['units_in_being']['end']:,} at "
                    f"the end ({s['figures']['units_merged']['value']:,} merged away on their dates, their "
                    f"{s['figures']['residents_merged']['value']:,} residents' new addresses notified by the successor)."
                    if s.get("units_in_being", {}).get("start") != s.get("units_in_being", {}).get("end")
                    else ""
                )
            ]
            if "units_connected" in s
            else []
        ),
        "Expected values and 95 % intervals are the model's (Poisson) at this scale; "
        "targets are the scenario's `[workload.volume]` figures times the scale.",
        "",
        f"## {GROUPS['four']}",
        "",
        "| figure | simulated | target | 95 % interval | deviation | source |",
        "|---|---|---|---|---|---|",
        *(_row(x.label, f[x.key]) for x in in_group("four")),
    ]
    for group, title in GROUPS.items():  # every other figure, by its group (model.report.figures)
        if group != "four":
            lines += [
                "",
                f"## {title}",
                "",
                "| figure | simulated | expected | 95 % interval | | source |",
                "|---|---|---|---|---|---|",
            ]
            lines += [_row(x.label, f[x.key]) for x in in_group(group)]
    saved = f["counter_visits_saved"]["by_reason"]
    lines += [
        "",
        "Counter visits saved: " + ", ".join(f"{k.replace('_', ' ')} {v:,}" for k, v in saved.items()) + ".",
        "",
        f"Access log: {s['log_head']['count']:,} records, hash chain head `{s['log_head']['hash'][:16]}…` (C09).",
        "",
    ]
    r = s.get("reconciliation")
    if r:
        lines += [
            "## The network after the drain (C16)",
            "",
            f"Every change the registers sent on, at the center: {r['lost']:,} lost, {r['duplicated']:,} stored twice, "
            f"{r['stale']:,} residents whose copy at the center is not their latest change, {r['mismatched']:,} "
            f"mismatches between the prefecture servers and what was routed to them; {r['late_arrivals']:,} changes "
            f"arrived after a newer one (kept as history, never over it), {r['duplicates_suppressed']:,} copies "
            f"sent again after a crash recognised, {r['quarantined']:,} notifications quarantined and replayed.",
            "",
        ]
        if r["windows"]:
            lines += ["| fault | where | hours | drain after it ends |", "|---|---|---:|---:|"]
            for w in r["windows"]:
                hours = (w["end_s"] - w["start_s"]) / 3600
                lines.append(f"| {w['kind']} | {w['where']} | {hours:g} | {w['drain_seconds']:.0f} s |")
            lines.append("")
    q = s.get("center_queue")
    if q:
        lines += [
            "## The run's requests at the center",
            "",
            f"The run's own provision requests through the center's queue: {q['servers']} servers, "
            f"utilisation {q['utilisation']:.2%} at scale {q['scale']}. {q['note']}.",
            "",
            "| class | requests | mean wait | p95 wait | p99 wait | p99 response |",
            "|---|---:|---:|---:|---:|---:|",
        ]
        for cls in ("interactive", "batch"):
            r = q[cls]
            if r["requests"]:
                lines.append(
                    f"| {cls} | {r['requests']:,} | {r['wait_mean_s']:.3g} s | {r['wait_p95_s']:.3g} s | "
                    f"{r['wait_p99_s']:.3g} s | {r['response_p99_s']:.3g} s |"
                )
        lines.append("")
    lines += monthly_lines(s.get("monthly", {}).get("provision_requests_by_purpose", {}))
    lines += linkage_lines(s.get("linkage"))
    lines += proof_lines(s.get("proofs"))
    lines += ["## Plots", ""] + [f"![{p}]({p})" for p in plots]
    lines += [
        "",
        "## Assumptions",
        "",
        "Figures whose source is marked [ASSUMPTION] rest on values no public source "
        "confirmed; they are listed with their values in model/data/defaults.toml ([events], [cards], [provision], "
        "[operators], [links], [workload], [center]) and in this run's scenario.toml.",
    ]
    return "\n".join(lines) + "\n"


def monthly_lines(by_purpose: dict[str, list[int]]) -> list[str]:
    """Provision requests by fiscal month and purpose (the existence checks follow [workload]
    existence_month_weight: FY2006 from October, by birth month)."""
    if not by_purpose:
        return []
    lines = ["## Provision requests by month", "", "| purpose | " + " | ".join(MONTHS) + " |", "|---" * 13 + "|"]
    for k, v in sorted(by_purpose.items()):
        lines.append(f"| {k} | " + " | ".join(f"{x:,}" for x in v) + " |")
    return [*lines, ""]


def proof_lines(v: dict[str, str] | None) -> list[str]:
    """The proof verdicts proved with the run (jukinet run; none with --no-prove)."""
    from jukinet.model.report.html import PROOF_NOTE

    if not v:
        return ["## Proof verdicts", "", "Not proved with this run (--no-prove): `jukinet prove` on its scenario gives them.", ""]
    rows = [f"| {c} | {x} |" for c, x in v.items()]
    return ["## Proof verdicts", "", PROOF_NOTE, "", "| constraint | verdict |", "|---|---|", *rows, ""]


def linkage_lines(k: dict[str, Any] | None) -> list[str]:
    """Who can join whose records by a common identifier (L01; model/law/linkage.py)."""
    if not k:
        return []
    scheme = "the common resident code (FY2006)" if k["scheme"] == "common_code" else "agency codes translated by a hub"
    return [
        "## Linkage by a common identifier (L01, 名寄せ)",
        "",
        f"Bodies receive {scheme}. By the configuration, {k['bodies_receiving_the_common_code']} of {k['bodies']} bodies "
        f"receive the common code: {k['pairs_of_bodies_joinable_by_design']:,} pairs of bodies could join their records "
        f"by it. In this run's {k['records_received']:,} records received (one per body and resident), "
        f"{k['pairs_of_bodies_joined']:,} pairs of bodies share an identifier for at least one resident, and "
        f"{k['records_joinable']:,} residents' records are held under one identifier by two bodies or more. "
        "Identifiers only: the four basic items that come with every provision still allow a probabilistic join.",
        "",
    ]
