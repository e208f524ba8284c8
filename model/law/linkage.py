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

from model.core.frozen import Frozen


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


def record_linkage(requester: np.ndarray, identifier: np.ndarray) -> dict[str, Any]:
    """From the provisions made (one row each: the receiving body's index, the identifier it received):
    pairs of bodies that share an identifier for at least one resident, and the identifiers (residents'
    records) held by two bodies or more."""
    req = np.asarray(requester, np.int64)
    ident = np.asarray(identifier, np.int64)
    if len(req) == 0:
        return {"records_received": 0, "pairs_of_bodies_joined": 0, "records_joinable": 0, "bodies_with_joinable_records": 0}
    pairs = np.unique(np.stack([ident, req], axis=1), axis=0)  # (identifier, body), one row each
    ids, inverse, per_id = np.unique(pairs[:, 0], return_inverse=True, return_counts=True)
    shared = per_id[inverse] >= 2  # rows whose identifier another body holds too
    rows, cols = inverse[shared], pairs[shared, 1]
    n_bodies = int(req.max()) + 1
    m = sparse.csr_matrix((np.ones(len(rows), np.int64), (rows, cols)), shape=(len(ids), n_bodies))
    co = (m.T @ m).tocoo()  # bodies x bodies: identifiers both hold
    joined = int(np.count_nonzero(co.row < co.col))
    return {
        "records_received": int(len(pairs)),
        "pairs_of_bodies_joined": joined,
        "records_joinable": int((per_id >= 2).sum()),
        "bodies_with_joinable_records": int(len(np.unique(cols))),
    }
