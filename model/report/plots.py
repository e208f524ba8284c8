"""Plots of load-test and capacity results (matplotlib, outside the model core)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from jukinet.model.world.calendar import MONTHS  # noqa: E402


def _mean(x: Any) -> float:
    return float(x["mean"]) if isinstance(x, dict) else float(x)


def _save(fig: Any, path: Path) -> None:
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def loadtest_plots(res: dict[str, Any], out: Path) -> list[str]:
    """Write the load test's plots into out; return their file names.  A run of one day (`--period busiest-day`)
    plots that day's hours, not a year or months it did not simulate."""
    r = res["result"]
    if res.get("period", "year") == "year":
        names = [_year_plot(res, out), *_day_plot(r, out), _month_plot(r, out)]
    else:
        hours = r["focus_day"]["hours"]
        fig, ax = plt.subplots(figsize=(10, 4))
        ax.bar([h["hour"] for h in hours], [_mean(h["utilisation"]) for h in hours], color="tab:blue")
        ax.set_xlabel("hour of day")
        ax.set_ylabel("server utilisation (share of capacity)")
        ax.set_title(f"Center utilisation by hour, {r['focus_day']['date']}, the one day simulated ({res['servers']} servers)")
        _save(fig, out / "utilisation_day.png")
        names = ["utilisation_day.png", *_day_plot(r, out)]
    if "outage" in r:
        o = r["outage"]
        vals = np.asarray(o["backlog_minutes"]["values"] if isinstance(o["backlog_minutes"], dict) else [])
        t0 = _mean(o["backlog_minutes"]["t0"])
        start, end = _mean(o["start_s"]), _mean(o["end_s"])
        fig, ax = plt.subplots(figsize=(9, 4))
        t = (t0 + np.arange(len(vals)) * 60 - start) / 3600
        ax.plot(t, vals)
        ax.axvspan(0, (end - start) / 3600, color="red", alpha=0.1, label="center down")
        ax.set_xlabel("hours from the outage start")
        ax.set_ylabel("requests waiting")
        ax.set_title("Backlog through the outage and its drain")
        ax.legend()
        _save(fig, out / "outage_backlog.png")
        names.append("outage_backlog.png")
    return names


def capacity_plot(res: dict[str, Any], out: Path) -> list[str]:
    rows = res["curve"]
    stat = res["statistic"]
    c = [r["servers"] for r in rows]
    mean = [r[stat]["mean"] for r in rows]
    ci = [r[stat]["ci"] or 0.0 for r in rows]
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.errorbar(c, mean, yerr=ci, marker="o", capsize=3, label=f"busiest-hour interactive {stat}")
    ax.axhline(res["limit_s"], color="red", ls="--", label=f"SLO {res['slo']}")
    if res["servers_needed"] is not None:
        ax.axvline(res["servers_needed"], color="green", ls=":", label=f"fewest servers: {res['servers_needed']}")
    ax.set_yscale("log")
    ax.set_xlabel("servers")
    ax.set_ylabel("response time (s)")
    ax.set_title(f"Capacity curve — {res['scenario']}, {res['day']}")
    ax.legend()
    _save(fig, out / "capacity_curve.png")
    return ["capacity_curve.png"]


def run_plots(summary: dict[str, Any], out: Path) -> list[str]:
    """Notifications and provision requests by month, and the four FY2006 figures, for a run."""
    names = []
    fig, axes = plt.subplots(1, 2, figsize=(12, 4))
    for ax, key, title in (
        (axes[0], "notifications_by_change", "Notifications by month (C16)"),
        (axes[1], "provision_requests_by_purpose", "Provision requests by month and purpose"),
    ):
        bottom = np.zeros(12)
        for kind, counts in sorted(summary["monthly"][key].items()):
            ax.bar(MONTHS, counts, bottom=bottom, label=kind)
            bottom += np.asarray(counts)
        ax.set_title(title)
        if summary["monthly"][key]:
            ax.legend(fontsize=7)
    _save(fig, out / "activity_by_month.png")
    names.append("activity_by_month.png")
    f = summary["figures"]
    keys = ("provisions_national", "provisions_local", "copies_not_needed", "existence_reports_not_needed")
    fig, ax = plt.subplots(figsize=(8, 4))
    ax.bar([k.replace("_", "\n") for k in keys], [f[k]["value"] for k in keys], label="simulated")
    ax.scatter(
        [k.replace("_", "\n") for k in keys],
        [f[k]["expected"] for k in keys],
        color="red",
        zorder=3,
        label="the scenario's target x scale",
    )
    ax.set_title("The four provision figures against the scenario's targets")
    ax.legend()
    _save(fig, out / "fy2006_figures.png")
    names.append("fy2006_figures.png")
    return names


def _day_plot(r: dict[str, Any], out: Path) -> list[str]:
    """The busiest day (or the one day simulated), hour by hour: interactive response percentiles and arrivals."""
    hours = r["focus_day"]["hours"]
    fig, ax = plt.subplots(figsize=(10, 4))
    x = [h["hour"] for h in hours]
    for stat in ("p50", "p95", "p99", "max"):
        ax.plot(x, [_mean(h["interactive"][stat]) for h in hours], marker="o", ms=3, label=f"interactive {stat}")
    ax.set_yscale("log")
    ax.set_xlabel("hour of day")
    ax.set_ylabel("response time (s)")
    ax2 = ax.twinx()
    ax2.bar(x, [_mean(h["arrivals"]) for h in hours], alpha=0.15, color="grey")
    ax2.set_ylabel("arrivals per hour")
    ax.set_title(f"Response time over the busiest day {r['focus_day']['date']}")
    ax.legend(loc="upper left", fontsize=8)
    _save(fig, out / "response_busiest_day.png")
    return ["response_busiest_day.png"]


def _year_plot(res: dict[str, Any], out: Path) -> str:
    hourly = np.asarray(res["result"]["utilisation"]["hourly"]).reshape(-1, 24)
    fig, ax = plt.subplots(figsize=(10, 4))
    ax.plot(hourly.max(axis=1), lw=0.8, label="busiest hour of the day")
    ax.plot(hourly.mean(axis=1), lw=0.8, label="daily mean")
    ax.set_xticks(np.linspace(0, len(hourly), 13)[:-1] + 15, MONTHS)
    ax.set_ylabel("server utilisation")
    ax.set_title(f"Center utilisation over FY — {res['scenario']} ({res['servers']} servers)")
    ax.legend()
    _save(fig, out / "utilisation_year.png")
    return "utilisation_year.png"


def _month_plot(r: dict[str, Any], out: Path) -> str:
    months = r["months"]
    fig, ax = plt.subplots(figsize=(8, 4))
    for stat in ("p50", "p95", "p99"):
        mean = [_mean(m["interactive_response"][stat]) for m in months]
        ci = [
            m["interactive_response"][stat].get("ci") or 0.0 if isinstance(m["interactive_response"][stat], dict) else 0.0
            for m in months
        ]
        ax.errorbar(MONTHS, mean, yerr=ci, marker="o", ms=3, capsize=3, label=stat)
    ax.set_ylabel("interactive response (s)")
    ax.set_title("Interactive response by month (95 % CI over replications)")
    ax.legend()
    _save(fig, out / "response_by_month.png")
    return "response_by_month.png"
