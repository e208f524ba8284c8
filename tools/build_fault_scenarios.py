"""Write the fault scenarios of scenarios/faults/ (issue 13): each fault kind at each level it
applies to, on busy and quiet days, alone and combined.  Run from the repository root:

    python tools/build_fault_scenarios.py
"""

from __future__ import annotations

from pathlib import Path

# (name, description, [faults]); a fault is (link, start, hours, kind, extra TOML)
SCENARIOS = [
    (
        "cs_down_setagaya",
        "Setagaya's CS loses its link for a morning of the moving season",
        [("cs:131121", "2006-04-03T09:00", 8, "down", "")],
    ),
    (
        "pref_down_tokyo",
        "Tokyo's prefecture server loses its link to the center for six office hours",
        [("pref:13", "2006-04-03T10:00", 6, "down", "")],
    ),
    (
        "pref_down_hokkaido_2days",
        "Hokkaido's prefecture link is down for two days",
        [("pref:01", "2006-06-01T00:00", 48, "down", "")],
    ),
    (
        "pref_down_okinawa_week",
        "Okinawa's prefecture link is down for a week",
        [("pref:47", "2006-09-04T00:00", 168, "down", "")],
    ),
    (
        "cs_flap_sapporo",
        "Sapporo's CS link flaps every 10 minutes for a working day",
        [("cs:011002", "2006-04-04T08:00", 10, "flap", "period_minutes = 10.0")],
    ),
    (
        "pref_flap_osaka",
        "Osaka's prefecture link flaps every 30 minutes for a day",
        [("pref:27", "2006-04-05T00:00", 24, "flap", "period_minutes = 30.0")],
    ),
    (
        "cs_slow_yokohama",
        "Yokohama's CS link is 50 times slower for a working day",
        [("cs:141003", "2006-04-03T08:00", 8, "slow", "factor = 50.0")],
    ),
    (
        "pref_slow_kanagawa",
        "Kanagawa's prefecture link is 200 times slower for half a day",
        [("pref:14", "2006-04-03T08:00", 12, "slow", "factor = 200.0")],
    ),
    (
        "pref_crash_tokyo",
        "Tokyo's prefecture server crashes for four hours on the busiest morning",
        [("pref:13", "2006-04-03T11:00", 4, "crash", "")],
    ),
    (
        "pref_crash_osaka_march",
        "Osaka's prefecture server crashes in the March moving season",
        [("pref:27", "2007-03-26T10:00", 2, "crash", "")],
    ),
    (
        "center_crash_midday",
        "The center crashes mid-day on the busiest day and restarts three hours later",
        [("center", "2006-04-03T13:00", 3, "crash", "")],
    ),
    (
        "center_crash_march",
        "The center crashes for an hour in the last week of the year",
        [("center", "2007-03-30T15:00", 1, "crash", "")],
    ),
    (
        "poison_setagaya",
        "A faulty update garbles Setagaya's notifications for a day; the prefecture quarantines them until the fix",
        [("cs:131121", "2006-04-04T08:00", 24, "poison", "")],
    ),
    (
        "poison_osaka_3days",
        "A poison batch from Osaka city for three days in March (as in March 2013)",
        [("cs:271004", "2007-03-01T00:00", 72, "poison", "")],
    ),
    (
        "skew_setagaya_back",
        "Setagaya's CS clock runs an hour behind for a day",
        [("cs:131121", "2006-04-03T00:00", 24, "skew", "skew_s = -3600.0")],
    ),
    (
        "skew_sapporo_ahead",
        "Sapporo's CS clock runs a day ahead for two days",
        [("cs:011002", "2006-04-10T00:00", 48, "skew", "skew_s = 86400.0")],
    ),
    (
        "cs_down_and_pref_crash",
        "Setagaya's link is down while Tokyo's prefecture server crashes",
        [("cs:131121", "2006-04-03T09:00", 6, "down", ""), ("pref:13", "2006-04-03T11:00", 3, "crash", "")],
    ),
    (
        "poison_and_slow",
        "Yokohama sends a poison batch while Kanagawa's link is slow",
        [("cs:141003", "2006-04-03T08:00", 10, "poison", ""), ("pref:14", "2006-04-03T09:00", 8, "slow", "factor = 100.0")],
    ),
    (
        "center_crash_and_pref_down",
        "The center crashes while Hokkaido's link is down",
        [("center", "2006-04-03T12:00", 2, "crash", ""), ("pref:01", "2006-04-03T10:00", 6, "down", "")],
    ),
    (
        "every_level",
        "Faults at every level on one day: a CS flaps, a prefecture crashes, the center crashes, a clock is skewed",
        [
            ("cs:011002", "2006-04-03T08:00", 9, "flap", "period_minutes = 20.0"),
            ("pref:27", "2006-04-03T10:00", 2, "crash", ""),
            ("center", "2006-04-03T14:00", 1, "crash", ""),
            ("cs:131016", "2006-04-03T00:00", 24, "skew", "skew_s = 600.0"),
        ],
    ),
]


def main() -> None:
    out = Path("scenarios/faults")
    out.mkdir(exist_ok=True)
    for name, description, faults in SCENARIOS:
        lines = [
            f"# {description}.",
            "# A fault scenario (issue 13; tools/build_fault_scenarios.py): after the drain every register change",
            "# must be at its prefecture and the center exactly once and in order (`reconciliation` in summary.json).",
            "",
            "[scenario]",
            f'name = "fault_{name}"',
            f'description = "{description} (fault scenario)."',
            "",
        ]
        for link, start, hours, kind, extra in faults:
            lines += ["[[links.fault]]", f'link = "{link}"', f'start = "{start}"', f"hours = {float(hours)}", f'kind = "{kind}"']
            lines += [extra] if extra else []
            lines.append("")
        (out / f"{name}.toml").write_text("\n".join(lines), encoding="utf-8")
    print(f"wrote {len(SCENARIOS)} scenarios into {out}")


if __name__ == "__main__":
    main()
