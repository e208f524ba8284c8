"""The constraint catalogue C01-C16 as properties, and running it on a scenario."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from model.scenario import Scenario
from proofs import rules, structure
from proofs.context import Context
from proofs.engine import Result

Property = Callable[[Context], Result]

CATALOGUE: dict[str, tuple[Property, ...]] = {
    "C01": (structure.central_stores_hold_identity_information_only,),
    "C02": (rules.provision_only_to_annex_bodies_for_listed_affairs,),
    "C03": (structure.provision_is_one_way,),
    "C04": (rules.recipients_use_data_only_for_its_affair,),
    "C05": (rules.code_demanded_only_by_public_bodies_for_the_act,),
    "C06": (rules.no_code_database_for_others,),
    "C07": (rules.code_changes_only_on_the_holders_request,),
    "C08": (rules.every_operation_by_an_authenticated_operator_in_scope,),
    "C09": (rules.every_access_is_logged,),
    "C10": (rules.lookups_only_by_code_or_allowed_items,),
    "C11": (structure.staff_and_recipients_owe_confidentiality,),
    "C12": (rules.residents_obtain_their_own_record,),
    "C13": (structure.links_are_dedicated_authenticated_and_encrypted,),
    "C14": (structure.every_municipality_self_inspects,),
    "C15": (structure.code_stays_in_the_chip,),
    "C16": (structure.every_municipality_notifies_every_resident, rules.every_change_is_notified),
}


def prove(sc: Scenario, certificates: Path | None = None, only: tuple[str, ...] = ()) -> list[Result]:
    """One result per constraint: the first property of it that is not PROVED, else the last."""
    ctx = Context(sc, certificates)
    out = []
    for cid, props in CATALOGUE.items():
        if only and cid not in only:
            continue
        results = [p(ctx) for p in props]
        failing = [r for r in results if r.verdict != "PROVED"]
        chosen = failing[0] if failing else results[-1]
        if len(results) > 1:
            chosen = Result(
                **{
                    **chosen.__dict__,
                    "seconds": sum(r.seconds for r in results),
                    "name": " + ".join(r.name for r in results) if not failing else chosen.name,
                }
            )
        out.append(chosen)
    return out
