"""The proof report an auditor reads: per constraint the article, the plain statement, the verdict
and the evidence (counterexample, rules involved, certificate and second-solver verdict)."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from proofs.engine import Result


def as_json(results: list[Result]) -> list[dict[str, Any]]:
    return [asdict(r) for r in results]


def table(results: list[Result]) -> str:
    lines = [f"{'id':<4} {'articles':<26} {'verdict':<9} {'time':>7}  statement"]
    for r in results:
        lines.append(f"{r.id:<4} {', '.join(r.articles)[:26]:<26} {r.verdict:<9} {r.seconds:6.3f}s  {r.statement}")
        if r.verdict == "VIOLATED" and r.counterexample:
            shown = {k: v for k, v in r.counterexample.items() if k != "request"}
            lines.append(f"     counterexample: {json.dumps(shown, ensure_ascii=False)}")
            if r.rules:
                lines.append(f"     rules that let it through: {', '.join(r.rules)}")
        if r.note:
            lines.append(f"     note: {r.note}")
        if r.certificate:
            lines.append(f"     certificate: {r.certificate['file']} (cvc5: {r.certificate['cvc5']})")
    proved = sum(r.verdict == "PROVED" for r in results)
    lines.append(f"{proved} of {len(results)} constraints PROVED")
    return "\n".join(lines)


def markdown(results: list[Result], scenario: str, scenario_hash: str) -> str:
    lines = [
        f"# Proof report — {scenario}",
        "",
        f"Configuration hash `{scenario_hash}`. Each property is proved for every request by SMT (z3) over the "
        "rules the simulation enforces, or checked over the configuration's finite facts; PROVED queries are "
        "exported as SMT-LIB2 and re-checked by cvc5. UNKNOWN never counts as a pass.",
        "",
    ]
    for r in results:
        lines += [
            f"## {r.id} — {r.verdict}",
            "",
            f"*{r.statement}*",
            "",
            f"- articles: {', '.join(r.articles)}",
            f"- property: `{r.name}`",
            f"- time: {r.seconds:.3f} s",
        ]
        if r.counterexample:
            shown = {k: v for k, v in r.counterexample.items() if k != "request"}
            lines.append(f"- counterexample: `{json.dumps(shown, ensure_ascii=False)}`")
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
                f"`{r.hashes.get('statute', '')[:16]}…`; z3 {r.hashes.get('z3')}, cvc5 {r.hashes.get('cvc5')}"
            )
        if r.note:
            lines.append(f"- note: {r.note}")
        lines.append("")
    return "\n".join(lines)
