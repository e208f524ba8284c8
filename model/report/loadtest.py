"""Markdown reports of load tests and capacity searches (figures with units, CIs, assumptions)."""

from __future__ import annotations

from typing import Any

from jukinet.model.world.calendar import MONTHS


def fmt(x: Any, unit: str = "s", digits: int = 3) -> str:
    """'0.394 s ± 0.004' for an aggregated figure, '0.394 s' for a plain one."""
    if isinstance(x, dict):
        ci = x.get("ci")
        mean = x["mean"]
        return f"{mean:.{digits}g}" + (f" {unit}" if unit else "") + (f" ± {ci:.2g}" if ci is not None else "")
    return f"{x:.{digits}g}" + (f" {unit}" if unit else "")


def count(x: Any) -> str:
    """'73,996,472 ± 21,000' for an aggregated count, '15,400,000' for a plain one."""
    if isinstance(x, dict):
        return f"{x['mean']:,.0f}" + (f" ± {x['ci']:,.0f}" if x.get("ci") is not None else "")
    return f"{x:,.0f}"


def _assumptions(res: dict[str, Any]) -> list[str]:
    lines = ["", "## Assumptions", "", "Values no public source confirms, used in this run:", ""]
    for key, a in res["assumptions"].items():
        lines.append(f"- `{key}` = {a['value']} — {a['meaning']} **[{a['label']}]**")
    return lines


def loadtest_markdown(res: dict[str, Any], plots: list[str]) -> str:
    r = res["result"]
    reps = len(res["replication_seeds"])
    vol = res["volumes"]
    lines = [
        f"# Load test of the center — {res['scenario']}",
        "",
        f"Scenario hash `{res['scenario_hash'][:12]}`, seed {res['seed']}, {reps} replication(s), engine {res['engine']}, "
        f"period {res['period']}, {res['servers']} servers, jukinet {res['version']} ({res['git_commit'][:12]}).",
        "Figures are means over replications with the half-width of the 95 % confidence interval (±).",
        "Percentiles over the year and per month come from 1 %-resolution histograms (a figure without ± did not vary "
        "at that resolution); the busiest day's are exact.",
        "",
        f"Annual volumes: {vol['national']:,} to national bodies + {vol['local']:,} to local bodies; "
        f"batch {vol['batch']:,} (existence checks {vol['existence_checks']:,}, 20-year cohort {vol['cohort_20']:,}). "
        f"Sources: {vol['sources']}.",
    ]
    if res["volume_scale"] != 1.0:
        lines.append(f"**Volumes scaled by {res['volume_scale']} (not national volume).**")
    req = r["requests"]
    lines += [
        "",
        f"## The {_span(res)}" + ("" if res.get("period", "year") == "year" else " (the one day simulated)"),
        "",
        f"Requests served: {count(req['total'])} (interactive {count(req['interactive'])}, "
        f"batch {count(req['batch'])}). Utilisation over the {_span(res)} {fmt(r['utilisation']['year'], '')}, "
        f"in its highest hour {fmt(r['utilisation']['busiest_hour'], '')}.",
        "",
        "| class | measure | p50 | p95 | p99 | max | mean |",
        "|---|---|---|---|---|---|---|",
    ]
    for cls, v in r["by_class"].items():
        for kind in ("wait", "response"):
            s = v[kind]
            lines.append(f"| {cls} | {kind} | " + " | ".join(fmt(s[k]) for k in ("p50", "p95", "p99", "max", "mean")) + " |")
    bh = r["busiest_hour"]
    lines += [
        "",
        f"Busiest hour (highest expected arrival rate, {fmt(bh['expected_rate_per_s'], 'per s')}): {bh['date']} "
        f"{bh['hour']:02d}:00, {count(bh['arrivals'])} requests arrived ({fmt(bh['rate_per_s'], 'per s')}), "
        f"utilisation {fmt(bh['utilisation'], '')}, mean wait {fmt(bh['mean_wait'])}.",
        "",
        "## By month (all classes, response time)",
        "",
        "| month | requests | p50 | p95 | p99 | max |",
        "|---|---|---|---|---|---|",
    ]
    for name, m in zip(MONTHS, r["months"], strict=True):
        s = m["response"]
        if not (s["n"]["mean"] if isinstance(s["n"], dict) else s["n"]):
            continue
        lines.append(f"| {name} | {count(s['n'])} | " + " | ".join(fmt(s[k]) for k in ("p50", "p95", "p99", "max")) + " |")
    lines += [
        "",
        f"## The busiest day, {r['focus_day']['date']}, hour by hour (interactive response)",
        "",
        "| hour | arrivals | utilisation | p50 | p95 | p99 | max |",
        "|---|---|---|---|---|---|---|",
    ]
    for h in r["focus_day"]["hours"]:
        i = h["interactive"]
        lines.append(
            f"| {h['hour']:02d} | {count(h['arrivals'])} | {fmt(h['utilisation'], '')} | "
            + " | ".join(fmt(i[k]) for k in ("p50", "p95", "p99", "max"))
            + " |"
        )
    if "outage" in r:
        o = r["outage"]
        lines += [
            "",
            "## Outage",
            "",
            f"The center down from {fmt(o['start_s'], 's', 8)} to {fmt(o['end_s'], 's', 8)} (seconds from the fiscal "
            f"year's start); peak backlog {count(o['peak_backlog']) + ' requests'}; drained "
            f"{fmt(o['drain_seconds_after_end']) if o['drain_seconds_after_end'] is not None else 'not within the day'} "
            "after the center came back. No request is lost: requests wait **[ASSUMPTION: no abandonment]**.",
        ]
    lines += ["", "## Plots", ""] + [f"![{p}]({p})" for p in plots]
    lines += _assumptions(res)
    return "\n".join(lines) + "\n"


def capacity_markdown(res: dict[str, Any], plots: list[str]) -> str:
    lines = [
        f"# Capacity of the center — {res['scenario']}",
        "",
        f"SLO: busiest-hour interactive response {res['slo']}, judged on the upper end of the 95 % CI over "
        f"{res['replications']} replications of the busiest business day {res['day']} "
        f"(peak offered load {res['peak_offered_load_erlang']:.2f} erlang).",
        "",
        f"**Fewest servers that meet it: {res['servers_needed']}**"
        if res["servers_needed"] is not None
        else "**No server count up to the search limit meets the SLO.**",
        "",
        f"| servers | busiest-hour {res['statistic']} | upper CI | utilisation | meets |",
        "|---|---|---|---|---|",
    ]
    for row in res["curve"]:
        lines.append(
            f"| {row['servers']} | {fmt(row[res['statistic']])} | {row['upper']:.3g} s | "
            f"{fmt(row['utilisation'], '')} | {'yes' if row['meets'] else 'no'} |"
        )
    lines += ["", "## Plots", ""] + [f"![{p}]({p})" for p in plots]
    lines += _assumptions(res)
    return "\n".join(lines) + "\n"


def _span(res: dict[str, Any]) -> str:
    """What the load test simulated: the year, or the one day (`--period busiest-day`)."""
    return "year" if res.get("period", "year") == "year" else f"day {res['result']['focus_day']['date']}"


def loadtest_text(res: dict[str, Any]) -> str:
    """The short terminal summary."""
    r = res["result"]
    i = r["by_class"]["interactive"]["response"]
    b = r["by_class"]["batch"]["response"]
    bh = r["busiest_hour"]
    lines = [
        f"jukinet loadtest — {res['scenario']}: {res['servers']} servers, {len(res['replication_seeds'])} replication(s), "
        f"engine {res['engine']}, period {res['period']}",
        f"  requests      {count(r['requests']['total'])}  (interactive {count(r['requests']['interactive'])}, "
        f"batch {count(r['requests']['batch'])})",
        f"  utilisation   {_span(res)} {fmt(r['utilisation']['year'], '')}, "
        f"highest hour {fmt(r['utilisation']['busiest_hour'], '')}",
        f"  interactive   response p50 {fmt(i['p50'])}, p95 {fmt(i['p95'])}, p99 {fmt(i['p99'])}, max {fmt(i['max'])}",
        f"  batch         response p50 {fmt(b['p50'])}, p95 {fmt(b['p95'])}, p99 {fmt(b['p99'])}, max {fmt(b['max'])}",
        f"  busiest hour  {bh['date']} {bh['hour']:02d}:00, expected {fmt(bh['expected_rate_per_s'], 'requests/s')}, "
        f"arrived {fmt(bh['rate_per_s'], 'requests/s')}, utilisation {fmt(bh['utilisation'], '')}",
    ]
    if "outage" in r:
        o = r["outage"]
        drain = o["drain_seconds_after_end"]
        lines.append(
            f"  outage        peak backlog {count(o['peak_backlog']) + ' requests'}, drained "
            f"{fmt(drain) if drain is not None else 'not within the day'} after the center came back"
        )
    lines.append("  [ASSUMPTION] service times, servers, month/hour profiles, batch window: see the report's Assumptions")
    return "\n".join(lines)
