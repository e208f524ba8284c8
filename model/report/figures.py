"""The run's figures, declared once (issue 28; the role of Mesa's DataCollector reporters): each with its key,
label, unit and group, and where it is shown besides the summary, report.md and report.html (which show every
figure): the command line's printout and the workbench's metrics (compare, sweep).  The summary
(model.report.run.summary_of) computes each figure's value, expected value, interval and source, and takes its
unit and label from here; the reports, the command line and the workbench read their figures from here, so adding
a figure is one entry here and its value there (a test checks every output names every figure).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Figure:
    key: str
    label: str
    unit: str
    group: str  # a key of GROUPS
    cli: bool = False  # printed by `jukinet run`
    compare: bool = False  # a metric of `jukinet compare` and `jukinet sweep`


GROUPS = {  # in the order the reports show them
    "four": "The four provision figures against the scenario's targets (FY2006: the mission's source document)",
    "register": "Residents and the register",
    "network": "Notifications and the network (C16)",
    "provision": "Provisions",
    "cards": "Cards and JPKI",
    "counters": "Counter visits",
}

FIGURES: tuple[Figure, ...] = (
    Figure("provisions_national", "provisions to national bodies", "provisions", "four", cli=True, compare=True),
    Figure("provisions_local", "provisions to local bodies", "provisions", "four", cli=True, compare=True),
    Figure("copies_not_needed", "resident-record copies not needed", "provisions", "four", cli=True, compare=True),
    Figure("existence_reports_not_needed", "pension existence reports not needed", "provisions", "four", cli=True, compare=True),
    Figure("births", "births", "residents", "register", cli=True),
    Figure("deaths", "deaths", "residents", "register", cli=True),
    Figure("moves_between", "moves between municipalities", "residents", "register", cli=True),
    Figure("moves_within", "moves within a municipality", "residents", "register", cli=True),
    Figure("name_changes", "name changes", "residents", "register"),
    Figure("code_changes", "resident-code changes", "residents", "register"),
    Figure("social_change", "social change (net)", "residents", "register", cli=True),
    Figure("register_population_end", "register at the year's end", "residents", "register", cli=True),
    Figure("units_merged", "units merged away", "municipalities", "register"),
    Figure("residents_merged", "residents of units merged away", "residents", "register"),
    Figure("notifications", "notifications", "messages", "network", cli=True, compare=True),
    Figure("notifications_at_prefecture", "notifications at the prefecture servers", "messages", "network"),
    Figure("notifications_at_center", "notifications at the center", "messages", "network", cli=True),
    Figure("notifications_withheld", "changes withheld (C16)", "changes", "network"),
    Figure("notifications_not_sent_disconnected", "changes not sent by a disconnected unit (C16)", "changes", "network"),
    Figure("cs_to_cs_messages", "messages between community servers", "messages", "network"),
    Figure("cs_to_cs_arrived", "messages between community servers arrived", "messages", "network"),
    Figure("relays_not_sent_disconnected", "messages to or from a disconnected unit, not sent", "messages", "network"),
    Figure("link_retries", "link retries", "attempts", "network"),
    Figure("cohort_20", "residents turning 20 (batch)", "provisions", "provision"),
    Figure("refusals", "requests refused", "requests", "provision", cli=True, compare=True),
    Figure("cards_in_circulation_start", "cards held at the start", "cards", "cards"),
    Figure("cards_issued", "cards issued", "cards", "cards", cli=True, compare=True),
    Figure("cards_lapsed", "cards lapsed", "cards", "cards"),
    Figure("cards_in_circulation_end", "cards held at the end", "cards", "cards"),
    Figure("signatures_verified", "signatures verified", "signatures", "cards", cli=True, compare=True),
    Figure("signatures_rejected", "signatures rejected", "signatures", "cards"),
    Figure("signatures_defective", "signatures wrong by a maker's defect", "signatures", "cards"),
    Figure("cards_defective", "cards with a maker's defect", "cards", "cards"),
    Figure("cards_exchanged", "defective cards exchanged", "cards", "cards"),
    Figure("jpki_revocations", "JPKI certificates revoked", "certificates", "cards"),
    Figure("pin_locks", "cards locked by wrong PINs", "cards", "cards"),
    Figure("wide_area_copies", "wide-area copies", "copies", "counters"),
    Figure("counter_visits", "counter visits", "visits", "counters"),
    Figure("counter_visits_saved", "counter visits saved", "visits", "counters", cli=True, compare=True),
)
BY_KEY = {f.key: f for f in FIGURES}


def in_group(group: str) -> tuple[Figure, ...]:
    return tuple(f for f in FIGURES if f.group == group)
