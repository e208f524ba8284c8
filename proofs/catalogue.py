"""The constraint catalogue C01-C16 as properties, and running it on a scenario (with the design
property L01, which binds only a configuration that claims it).

A constraint is proved by one or more solver queries (basis "solver query": PROVED / VIOLATED /
UNKNOWN; a flow invariant the solver finds not inductive is decided by the complete search of every
reachable holding instead, basis "full search"), and some have a part that is a single configured value,
reported as a checked fact (basis "checked fact": CHECKED / VIOLATED).  The flow properties quantify over
every node of the network, each its own principal (proofs/flow.py); `jukinet network`'s structural checks are properties here too
(proofs/structure.py), so the two commands cannot disagree.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from jukinet.model.config.scenario import Scenario
from jukinet.proofs import flowprops, pseudonyms, rules, structure
from jukinet.proofs.context import Context
from jukinet.proofs.engine import Result

Property = Callable[[Context], Result]

CATALOGUE: dict[str, tuple[Property, ...]] = {
    "C01": (
        flowprops.central_stores_hold_identity_information_only,
        rules.notifications_carry_identity_information_only,
        structure.network_central_messages_identity_only,
        structure.network_prefecture_servers_read_their_own_residents,
    ),
    "C02": (
        flowprops.identity_information_reaches_bodies_only_by_listed_provision,
        rules.provision_only_to_annex_bodies_for_listed_affairs,
        structure.network_cs_answers_its_own_head_only,
        structure.network_cs_read_their_own_residents,
        structure.network_identity_information_leaves_only_as_addressed,
        structure.tables_2_and_5_serve_their_own_prefecture,
    ),
    "C03": (
        flowprops.nothing_flows_back_from_recipients,
        flowprops.no_link_between_bodies,
        structure.network_one_way_provision,
    ),
    "C04": (flowprops.no_flow_between_affair_compartments, rules.recipients_use_data_only_for_its_affair),
    "C05": (rules.code_demanded_only_by_public_bodies_for_the_act,),
    "C06": (rules.no_code_database_for_others,),
    "C07": (rules.code_changes_only_on_the_holders_request, structure.code_pools_are_disjoint),
    "C08": (rules.every_operation_by_an_authenticated_operator_in_scope,),
    "C09": (rules.nothing_is_permitted_unlogged, structure.access_log_is_on),
    "C10": (rules.lookups_only_by_code_or_allowed_items,),
    "C11": (structure.staff_and_recipients_owe_confidentiality,),
    "C12": (
        flowprops.identity_information_disclosed_only_to_its_subject,
        rules.residents_obtain_their_own_record,
        rules.disclosure_only_to_its_subject,
        structure.disclosure_reaches_its_subject,
        structure.disclosure_within_30_days,
    ),
    "C13": (flowprops.links_meet_c13, structure.network_links_c13),
    "C14": (structure.every_municipality_self_inspects,),
    "C15": (structure.code_stays_in_the_chip,),
    "C16": (
        flowprops.every_change_reaches_the_center,
        structure.changes_are_read_and_recorded,
        structure.network_cs_via_own_prefecture,
        structure.network_all_connected,
    ),
}
# Design properties: not constraints of the Act; each binds only a configuration that claims it (Result.binding)
DESIGN: dict[str, tuple[Property, ...]] = {"L01": (pseudonyms.no_common_identifier_outside_the_hub,)}
PASSING = ("PROVED", "CHECKED")


def prove(
    sc: Scenario,
    certificates: Path | None = None,
    only: tuple[str, ...] = (),
    on_progress: Callable[[int, int, str], None] | None = None,
) -> list[Result]:
    """Every property of every constraint (in catalogue order)."""
    ctx = Context(sc, certificates)
    chosen = [(cid, p) for cid, ps in {**CATALOGUE, **DESIGN}.items() if not only or cid in only for p in ps]
    out = []
    for done, (_cid, p) in enumerate(chosen, 1):
        if on_progress:
            on_progress(done, len(chosen), p.__name__)
        out.append(p(ctx))
    if on_progress:
        on_progress(len(chosen), len(chosen), "")
    return out


def counts(r: Result) -> bool:
    """Whether a result passes as far as the verdict of the whole proof goes: a design property a
    configuration does not claim is shown, never counted."""
    return r.verdict in PASSING or not r.binding


def verdict_of(results: list[Result], cid: str) -> str:
    """One constraint's verdict: VIOLATED if any of its properties is, PROVED only if all pass."""
    mine = [r for r in results if r.id == cid]
    if any(r.verdict == "VIOLATED" for r in mine):
        return "VIOLATED"
    if mine and all(r.verdict in PASSING for r in mine):
        return "PROVED" if any(r.basis != "checked fact" for r in mine) else "CHECKED"
    return "UNKNOWN"
