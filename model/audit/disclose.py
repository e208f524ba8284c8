"""Disclosure to a resident (Art. 30-37, 30-38; C12): their identity information and every
provision of it, read from a run's records."""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from jukinet.model.audit.history import holder_codes
from jukinet.model.core.errors import UserError
from jukinet.model.core.output import listed, regular_tree
from jukinet.model.data import read_toml
from jukinet.model.law.codes import valid_resident_code
from jukinet.model.sim.card import when
from jukinet.model.sim.records import read_parquet


def _read(run: Path, name: str, **kw: Any) -> pa.Table:
    """A record table of the run, checksums verified; one line naming the file if it is missing or damaged."""
    try:
        return read_parquet(run / "records" / f"{name}.parquet", **kw)
    except FileNotFoundError:
        raise UserError(str(run), f"records/{name}.parquet", "missing: not a complete run folder") from None
    except (OSError, pa.ArrowException) as exc:
        raise UserError(str(run), f"records/{name}.parquet", f"damaged ({str(exc).splitlines()[0][:160]})") from None


@functools.cache
def _annex_rows() -> dict[str, dict[str, Any]]:
    """The annex rows by id, read once per process (the audit discloses to ten residents)."""
    return {row["id"]: row for row in read_toml("annex.toml")["row"]}


def disclose(run: Path, code: str, proof: bool = True) -> dict[str, Any]:
    """The disclosure, and (`proof`, if the run was signed) the proof that it is complete: the signed final
    statement, and for each code the holder had its leaf's audit path to the signed disclosure index."""
    if not (len(code) == 11 and code.isascii() and code.isdigit() and valid_resident_code(code)):
        raise UserError("--code", code, "allowed: an 11-digit resident code (ASCII digits 0-9) with a valid check digit")
    summary_path = run / "summary.json"
    if run.is_dir():
        regular_tree(run, str(run))
    if not summary_path.is_file():
        raise UserError(str(run), "summary.json", "not a run folder (written by `jukinet run`)")
    try:
        summary = json.loads(summary_path.read_bytes().decode("utf-8"))
        fy = int(summary["fiscal_year"])
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError, RecursionError) as exc:
        raise UserError(str(run), "summary.json", f"damaged ({type(exc).__name__}); jukinet audit names the problem") from None
    codes = codes_of(run, int(code))
    residents = _read(run, "residents", filters=[("code", "in", codes)])
    if residents.num_rows == 0:
        raise UserError(str(run), "--code", f"no resident with code {code} in this run")
    r = residents.to_pylist()[0]
    prov = _read(run, "provisions", filters=[("code", "in", codes)])
    prov = prov.filter(pc.field("allowed")).sort_by("time")
    rows = _annex_rows()
    provisions = []
    for p in prov.to_pylist():
        record = dict(p)
        row = rows.get(p["affair"], {})
        provisions.append(
            {
                "date": when(p["time"], fy).strftime("%Y-%m-%d %H:%M"),
                "recipient": p["requester"],
                "affair": p["affair"],
                "affair_gloss": row.get("gloss", "?"),
                "citation": row.get("citation", "?"),
                "mode": p["mode"],
                "items": "name, address, date of birth, sex, resident code, change information",
                "rule": p["rule"],
                "record": record,  # the provision record itself: what the proof's hashes are over
            }
        )
    return {
        "code": code,
        "codes": [f"{c:011d}" for c in codes],
        "identity": {**identity_shown(r), "record": r},  # the residents row itself: what the proof's leaf binds
        "provisions": provisions,
        "basis": (
            "identity information: Art. 30-37, asked of the prefectural governor, 30-38 (answer within 30 days); "
            "the record of provisions: the prefectures' personal-information ordinances (e.g. Shiga, Osaka, Gifu); C12"
        ),
        "run": {k: summary.get(k) for k in ("scenario", "seed", "scale", "scenario_hash")},
        "proof": _proof(run, codes) if proof else None,
    }


def identity_shown(r: dict[str, Any]) -> dict[str, Any]:
    """The identity information a disclosure shows, from the holder's residents row (Art. 30-37)."""
    return {
        "municipality": r["cs"],
        "date_of_birth_offset_s": r["dob"],
        "sex": {1: "male", 2: "female"}.get(r["sex"], "?"),
        "in_register": r["alive"],
        "name_version": r["name_version"],
        "address_version": r["address_version"],
    }


def _proof(run: Path, codes: list[int]) -> dict[str, Any] | None:
    """Inclusion of each of the holder's codes in the signed disclosure index (model.audit.trust), or None
    if the run was not signed (`jukinet run --sign`)."""
    from jukinet.model.audit.index import index_path

    try:
        signed = json.loads((run / "heads.json").read_bytes())["signed"][-1]
    except FileNotFoundError:
        if "heads.json" in (listed(run) or []):  # written signed, then removed: no proof is not "not signed"
            raise UserError(
                str(run), "heads.json", "missing from a signed run (its marker lists it); jukinet audit names it"
            ) from None
        return None
    except (OSError, ValueError, KeyError, IndexError, TypeError, RecursionError):
        raise UserError(str(run), "heads.json", "damaged; jukinet audit --trust names the problem") from None
    entries, size = [], 0
    for c in codes:
        try:
            found = index_path(run / "index", c)
        except ValueError as exc:
            raise UserError(str(run), "index/", f"the signed run's disclosure index is missing or damaged ({exc})") from None
        if found is None:
            raise UserError(str(run), "index/codes.npy", f"code {c:011d} is not in the disclosure index")
        m, size, path = found
        entries.append({"code": f"{c:011d}", "index": m, "path": [h.hex() for h in path]})
    return {"signed": signed, "index_size": size, "codes": entries}


def _int(x: Any) -> int:
    if type(x) is not int:  # not a bool, a float or a string of digits: what disclose writes is an integer
        raise TypeError(x)
    return x


def _code(x: Any) -> int:
    """A resident code as disclose writes it: 11 ASCII digits in a string (an integer loses a leading zero)."""
    if not (isinstance(x, str) and len(x) == 11 and x.isascii() and x.isdigit()):
        raise ValueError(x)
    return int(x)


def verify(d: dict[str, Any], keys: dict[str, Any]) -> list[str]:
    """What is wrong with a disclosure, checked alone against the trusted public keys: the final statement's
    signatures (the center and a majority of witnesses), that it is this run's, and that the provisions
    disclosed are exactly those the signed disclosure index holds for each of the holder's codes."""
    from jukinet.model.audit.index import code_leaf
    from jukinet.model.audit.merkle import root_from_path
    from jukinet.model.audit.trust import VERSION
    from jukinet.model.audit.trust import verify as verify_signatures

    try:
        proof, provisions = d["proof"], d["provisions"]
        if proof is None:
            return ["no proof: the run was not signed (jukinet run --sign), so nothing outside the folder vouches for it"]
        signed, stmt = proof["signed"], proof["signed"]["statement"]
        index, size = stmt["disclosure_index"], _int(proof["index_size"])
        root, _ = bytes.fromhex(index["root"]), _int(index["codes"])
        entries = [(_code(e["code"]), _int(e["index"]), [bytes.fromhex(h) for h in e["path"]]) for e in proof["codes"]]
        records = [p["record"] for p in provisions]
    except (KeyError, TypeError, ValueError, AttributeError, OverflowError):  # the types jukinet disclose writes, exactly
        return ["not a disclosure with a proof (jukinet disclose RUN --code CODE --json of a signed run)"]
    for i, r in enumerate(records):  # what the checks below read of each record: an int code and seq
        if not (isinstance(r, dict) and all(type(r.get(k)) is int for k in ("code", "seq"))):
            return [f"provisions[{i}].record: not a provision record (integer code and seq, as jukinet disclose writes)"]
    problems = verify_signatures([signed], keys)
    try:
        claimed = {_code(c) for c in d["codes"]} if isinstance(d["codes"], list) else set()
        subject = _code(d["code"])
    except (KeyError, TypeError, ValueError):
        return [*problems, "the disclosure names no resident code (code, codes) it is for"]
    covered = [c for c, _, _ in entries]
    if not covered or subject not in claimed or set(covered) != claimed or len(covered) != len(claimed):
        shown = ", ".join(f"{c:011d}" for c in covered) or "none"
        problems.append(
            f"the proof covers code(s) {shown}, not the disclosure's code {subject:011d} and its codes "
            f"({', '.join(f'{c:011d}' for c in sorted(claimed)) or 'none'}) each once"
        )
    if stmt.get("kind") != "final" or stmt.get("run") != d.get("run"):
        problems.append("the signed statement is not the final statement of this disclosure's run")
    if stmt.get("version") != VERSION:  # an index of another form: its leaves are not computed as below
        problems.append(f"signed as {stmt.get('version')}; this verifier reads {VERSION} (sign the run again)")
    if size != index["codes"]:
        problems.append(f"the index size {size} is not the signed one ({index['codes']})")
    mine = {c for c, _, _ in entries}
    stray = [r["seq"] for r in records if int(r.get("code", -1)) not in mine or not r.get("allowed")]
    if stray:
        problems.append(f"provisions {stray[:5]} are not provisions made under the codes the proof covers")
    person = _identity_problem(d, mine, problems)
    for c, m, path in entries:  # each leaf binds the provisions under c, every code the holder had, and its row
        row = person if person is not None and person["code"] == c else None
        leaf = code_leaf(c, [r for r in records if int(r.get("code", -1)) == c], sorted(claimed), row)
        if root_from_path(m, size, leaf, path) != root:
            problems.append(
                f"code {c:011d}: the disclosed provisions or codes differ from the signed index (missing, added or changed)"
            )
    return problems


def _identity_problem(d: dict[str, Any], covered: set[int], problems: list[str]) -> dict[str, Any] | None:
    """The holder's residents row the disclosure carries, if it is one the proof can check: it holds one of the
    codes the proof covers, and the identity shown is read from it (else a problem is added, and the leaves are
    checked without it, so they fail too)."""
    identity = d.get("identity")
    row = identity.get("record") if isinstance(identity, dict) else None
    shown = None
    if isinstance(row, dict) and type(row.get("code")) is int:
        try:
            shown = identity_shown(row)
        except (KeyError, TypeError):
            shown = None
    if not isinstance(identity, dict) or not isinstance(row, dict) or shown is None:
        problems.append("identity.record: not the holder's residents row (as jukinet disclose writes)")
        return None
    if row["code"] not in covered:
        problems.append(f"identity.record holds code {row['code']:011d}, none of the codes the proof covers")
        return None
    if {k: v for k, v in identity.items() if k != "record"} != shown:
        problems.append("the identity shown is not the one its record holds (a field changed)")
    return row


def codes_of(run: Path, code: int) -> list[int]:
    """Every code the holder of `code` has had in the run: a disclosure covers provisions made under
    codes they had before a change (Art. 30-3, 30-37)."""
    changes = _read(run, "code_changes").to_pylist()  # missing: refused (the old codes' provisions would be dropped)
    return holder_codes([(c["old"], c["new"]) for c in changes], code)


def render(d: dict[str, Any]) -> str:
    i = d["identity"]
    lines = [
        f"Disclosure to the holder of resident code {d['code']} ({d['basis']})",
        f"  identity information: municipality {i['municipality']}, sex {i['sex']}, "
        f"{'in the register' if i['in_register'] else 'removed from the register'}, "
        f"name version {i['name_version']}, address version {i['address_version']}",
        f"  provisions of it: {len(d['provisions'])}",
    ]
    for p in d["provisions"]:
        lines.append(f"    {p['date']}  to {p['recipient']:<20} affair {p['affair']:<8} {p['affair_gloss']} ({p['mode']})")
    if d.get("proof"):
        lines.append(
            "  proof of completeness included (--json): check it alone with jukinet verify-disclosure FILE --trust KEYS/public"
        )
    else:
        lines.append("  no proof: the run was not signed (jukinet run --sign KEYS)")
    return "\n".join(lines)
