"""The proof report an auditor reads: per property the constraint, article, plain statement, basis
(solver query or checked fact), verdict and evidence (the route of a flow violation hop by hop, a
counterexample request, the rules involved, the certificate and the second solver's verdict)."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from jukinet.model.law.flow import NONE, Holder, Hop, Token
from jukinet.proofs.engine import Result

PASSING = ("PROVED", "CHECKED")


def as_json(results: list[Result]) -> list[dict[str, Any]]:
    return [asdict(r) for r in results]


def route_lines(cex: dict[str, Any], indent: str) -> list[str]:
    """A flow counterexample's route, one hop a line."""
    lines = []
    for i, hop in enumerate(cex.get("route", []), 1):
        arts = ", ".join(hop["articles"]) or "-"
        lines.append(
            f"{indent}{i}. {hop['from']} -> {hop['to']}  {hop['item']} by {hop['message']} via {hop['via']}; "
            f"permitted by {hop['rule']} (Art. {arts})"
        )
    return lines


def _evidence(r: Result) -> dict[str, Any]:
    return {k: v for k, v in (r.counterexample or {}).items() if k not in ("request", "route")}


def table(results: list[Result]) -> str:
    lines = [f"{'id':<5} {'articles':<22} {'basis':<12} {'verdict':<9} {'time':>7}  property"]
    for r in results:
        lines.append(f"{r.id:<5} {', '.join(r.articles)[:22]:<22} {r.basis:<12} {r.verdict:<9} {r.seconds:6.3f}s  {r.name}")
        if r.verdict == "VIOLATED" and r.counterexample:
            lines.append(f"      counterexample: {json.dumps(_evidence(r), ensure_ascii=False)}")
            if "route" in r.counterexample:
                lines.append("      route:" + (" (an initial holding)" if not r.counterexample["route"] else ""))
                lines += route_lines(r.counterexample, "        ")
            if r.rules:
                lines.append(f"      rules that let it through: {', '.join(r.rules)}")
        if r.note and r.basis != "checked fact":
            lines.append(f"      note: {r.note}")
        if r.certificate:
            lines.append(f"      certificate: {r.certificate['file']} (cvc5: {r.certificate['cvc5']})")
    proofs = [r for r in results if r.basis != "checked fact" and r.binding]
    facts = [r for r in results if r.basis == "checked fact" and r.binding]
    shown = [r for r in results if not r.binding]
    searched = sum(r.basis == "full search" and r.verdict == "PROVED" for r in proofs)
    lines.append(
        f"{sum(r.verdict == 'PROVED' for r in proofs)} of {len(proofs)} solver queries PROVED"
        + (f" ({searched} by the complete search of every reachable holding)" if searched else "")
        + "; "
        f"{sum(r.verdict == 'CHECKED' for r in facts)} of {len(facts)} checked facts hold "
        "(a checked fact is computed over the configuration's values, not proved by a solver)"
        + (f"; not counted: {', '.join(f'{r.id} {r.verdict}' for r in shown)} (a design property not claimed)" if shown else "")
    )
    return "\n".join(lines)


def markdown(results: list[Result], scenario: str, scenario_hash: str, figures: dict[int, str] | None = None) -> str:
    """The report; `figures` maps a result's index to the file name of its route's drawing."""
    lines = [
        f"# Proof report — {scenario}",
        "",
        f"Configuration hash `{scenario_hash}`. A *solver query* is proved by SMT (z3) over the relations the "
        "simulation enforces, for every holder, route and requester the configuration names; the flow "
        "properties are inductive invariants (no initial holding is unlawful, no permitted step makes one). "
        "A *checked fact* is a value of the configuration compared with the law in Python: checked, not "
        "proved. PROVED queries can be exported as SMT-LIB2 and re-checked by cvc5. UNKNOWN never counts "
        "as a pass.",
        "",
    ]
    for i, r in enumerate(results):
        lines += [
            f"## {r.id} — {r.name} — {r.verdict}",
            "",
            f"*{r.statement}*",
            "",
            f"- basis: {r.basis}",
            f"- articles: {', '.join(r.articles)}",
            f"- time: {r.seconds:.3f} s",
        ]
        if r.counterexample:
            lines.append(f"- counterexample: `{json.dumps(_evidence(r), ensure_ascii=False)}`")
            if r.counterexample.get("route"):
                lines.append("- route, hop by hop:")
                lines += route_lines(r.counterexample, "    ")
                if figures and i in figures:
                    lines += ["", f"![the route of {r.id}]({figures[i]})", ""]
        if r.rules:
            lines.append(f"- rules involved: {', '.join(r.rules)}")
        if r.certificate:
            lines.append(
                f"- certificate: `{r.certificate['file']}` sha256 `{r.certificate['sha256'][:16]}…`, "
                f"cvc5 says {r.certificate['cvc5']}"
            )
        if r.hashes:
            lines.append(
                f"- hashes: configuration `{r.hashes.get('configuration', '')[:16]}…`, statute "
                f"`{r.hashes.get('statute', '')[:16]}…`; z3 {r.hashes.get('z3', '-')}, cvc5 {r.hashes.get('cvc5', '-')}"
            )
        if r.note:
            lines.append(f"- note: {r.note}")
        lines.append("")
    return "\n".join(lines)


def holder_str(h: Holder) -> str:
    return h[0] if h[1] == NONE else f"{h[0]}[{h[1]}]"


def hop_dict(hop: Hop) -> dict[str, Any]:
    return {
        "from": holder_str(hop.src),
        "to": holder_str(hop.dst),
        "via": hop.via,
        "message": hop.message,
        "item": hop.token.item,
        "rule": hop.rule or "(no rule governs this message: the link declares it)",
        "articles": list(hop.articles),
    }


def token_dict(t: Token) -> dict[str, Any]:
    return {
        "item": t.item,
        "left_body": t.origin,
        "provided_for": t.tag,
        "sealed": t.sealed,
        "away_from_home_cs": t.away,
        "query_key": t.key,
        "disclosed": t.disclosed,
    }
