"""Linkage (名寄せ) by a common identifier: how many pairs of bodies, and how many residents' records,
can be joined without the hub (L01; the plain evaluator beside proofs/pseudonyms.py).

Two bodies can join their records of a resident without asking anyone when both received the same
identifier for that resident.  Under FY2006's common code that is every pair of recipients that looked up
the same resident; under the My Number design's agency codes no pair, unless a body still receives the
common code.  The measure counts identifiers only: the four basic items (name, address, date of birth,
sex) that come with every provision still allow a probabilistic join, which no identifier design removes.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Literal

import numpy as np
from scipy import sparse

from jukinet.model.core.frozen import Frozen

L01_MEANING = (  # the design property's reading, for reports (proofs/pseudonyms.py proves it)
    "no two bodies hold a common identifier of a resident, so none can join records without the hub (名寄せ); binds "
    "only a design that claims it ([identifiers] scheme = agency_codes)"
)


class IdentifiersConfig(Frozen):
    """The `[identifiers]` section: which identifier a recipient body receives with a provision.

    common_code   FY2006: the 11-digit resident code itself (Art. 30-7), the same at every body;
    agency_codes  the My Number design (2015-, 機関別符号): a hub translates the code into a code of the
                  body's own, distinct per body and never equal to a resident code (model/sim/hub.py);
                  `common_code_bodies` still receive the common code (an exception, or a mutant).
    """

    scheme: Literal["common_code", "agency_codes"] = "common_code"
    common_code_bodies: tuple[str, ...] = ()


def design_linkage(cfg: IdentifiersConfig, bodies: Iterable[str]) -> dict[str, Any]:
    """From the configuration: the bodies that receive the common code, and the pairs of them."""
    every = sorted(bodies)
    common = [b for b in every if cfg.scheme == "common_code" or b in cfg.common_code_bodies]
    k = len(common)
    return {
        "scheme": cfg.scheme,
        "bodies": len(every),
        "bodies_receiving_the_common_code": k,
        "pairs_of_bodies_joinable_by_design": k * (k - 1) // 2,
    }


def _unique_pairs(ident: np.ndarray, req: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct (identifier, body) pairs, sorted by identifier: one 1-D sort of a combined key where both
    fit in 63 bits (always for resident codes and agency codes), else a lexicographic sort.  About three
    arrays of the input's length at once (np.unique(axis=0) over 74 M full-scale provisions took several
    times that, and ran a full-scale run out of memory)."""
    lo = int(ident.min())
    span = int(ident.max()) - lo
    body_bits = max(int(req.max()).bit_length(), 1)
    if span.bit_length() + body_bits <= 63:
        key = ((ident - lo) << body_bits) | req
        key.sort()
        keep = np.empty(len(key), bool)
        keep[0] = True
        np.not_equal(key[1:], key[:-1], out=keep[1:])
        key = key[keep]
        return (key >> body_bits) + lo, key & ((1 << body_bits) - 1)
    order = np.lexsort((req, ident))
    i, r = ident[order], req[order]
    del order
    keep = np.empty(len(i), bool)
    keep[0] = True
    keep[1:] = (i[1:] != i[:-1]) | (r[1:] != r[:-1])
    return i[keep], r[keep]


def record_linkage(requester: np.ndarray, identifier: np.ndarray) -> dict[str, Any]:
    """From the provisions made (one row each: the receiving body's index, the identifier it received):
    pairs of bodies that share an identifier for at least one resident, and the identifiers (residents'
    records) held by two bodies or more."""
    req = np.asarray(requester, np.int64)
    ident = np.asarray(identifier, np.int64)
    if len(req) == 0:
        return {"records_received": 0, "pairs_of_bodies_joined": 0, "records_joinable": 0, "bodies_with_joinable_records": 0}
    n_bodies = int(req.max()) + 1
    pair_id, pair_body = _unique_pairs(ident, req)  # one row per (identifier, body), sorted by identifier
    starts = np.empty(len(pair_id), bool)
    starts[0] = True
    np.not_equal(pair_id[1:], pair_id[:-1], out=starts[1:])
    inverse = np.cumsum(starts) - 1  # each pair's identifier, numbered 0, 1, ...
    per_id = np.diff(np.append(np.flatnonzero(starts), len(pair_id)))  # bodies holding each identifier
    del pair_id, starts
    shared = per_id[inverse] >= 2  # pairs whose identifier another body holds too
    rows, cols = inverse[shared], pair_body[shared]
    m = sparse.csr_matrix((np.ones(len(rows), np.int64), (rows, cols)), shape=(len(per_id), n_bodies))
    co = (m.T @ m).tocoo()  # bodies x bodies: identifiers both hold
    joined = int(np.count_nonzero(co.row < co.col))
    return {
        "records_received": int(len(pair_body)),
        "pairs_of_bodies_joined": joined,
        "records_joinable": int((per_id >= 2).sum()),
        "bodies_with_joinable_records": int(len(np.unique(cols))),
    }
