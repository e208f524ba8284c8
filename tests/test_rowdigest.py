"""The field digests that name a changed row and field of a signed table (model.audit.rowdigest; C09, issue 12)."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
from hypothesis import given
from hypothesis import strategies as st

from model.audit.rowdigest import digest_sha256, field_digests, locate

SCHEMA = pa.schema(
    [
        ("seq", pa.int64()),
        ("time", pa.float64()),
        ("who", pa.dictionary(pa.int32(), pa.string())),
        ("note", pa.string()),
        ("ok", pa.bool_()),
        ("hash", pa.binary(32)),
    ]
)
ROW = st.fixed_dictionaries(
    {
        "seq": st.integers(-(2**63), 2**63 - 1),
        "time": st.floats(allow_nan=False) | st.none(),
        "who": st.sampled_from(["a", "b", "kkr"]),
        "note": st.text(max_size=5) | st.none(),
        "ok": st.booleans(),
        "hash": st.binary(min_size=32, max_size=32),
    }
)


def _table(rows: list[dict[str, object]]) -> pa.Table:
    return pa.Table.from_pylist(rows, schema=SCHEMA)


def test_every_type_and_null_gets_its_own_digest() -> None:
    rows = [
        {"seq": 1, "time": 0.0, "who": "a", "note": None, "ok": False, "hash": bytes(32)},
        {"seq": 2, "time": -0.0, "who": "b", "note": "", "ok": True, "hash": bytes(31) + b"\x01"},
        {"seq": 2, "time": None, "who": "b", "note": "x", "ok": True, "hash": None},
    ]
    d = field_digests(_table(rows))
    assert d.shape == (3, 6) and d.dtype == np.uint32
    assert (d[0] != d[1]).all()  # every field differs between the first two rows, and so does its digest
    assert d[1, 0] == d[2, 0] and (d[1, 1:5] == d[2, 1:5]).tolist() == [False, True, False, True]
    assert field_digests(_table(rows).slice(1)).tolist() == d[1:].tolist()  # by value, not position or chunk


@given(st.lists(ROW, min_size=2, max_size=12, unique_by=lambda r: r["seq"]), st.data())
def test_locate_names_what_was_done(rows: list[dict[str, object]], data: st.DataObject) -> None:
    """Each tampering of a table of distinct rows is named exactly: the row, and for an edit the field."""
    n = len(rows)
    signed = field_digests(_table(rows))
    i = data.draw(st.integers(0, n - 1))
    op = data.draw(st.sampled_from(["edit", "delete", "insert", "swap", "truncate", "empty", "none"]))
    changed = [dict(r) for r in rows]
    if op == "edit":
        field = data.draw(st.sampled_from(["time", "who", "note", "ok", "hash"]))
        new = data.draw(ROW)[field]
        if new == rows[i][field]:
            return
        changed[i][field] = new
        want = [(i, f"row {i:,} edited: {field}")]
    elif op == "delete":
        del changed[i]
        want = [(i, f"row {i:,} of the signed table deleted" + (" (cut off at the end)" if i == n - 1 else ""))]
    elif op == "insert":
        changed.insert(i, dict(rows[i], seq=-1 if rows[i]["seq"] != -1 else -2))
        want = [(i, f"row {i:,} inserted")]
    elif op == "swap" and i < n - 1:
        changed[i], changed[i + 1] = changed[i + 1], changed[i]
        want = [(i, f"rows {i:,}-{i + 1:,} reordered (the same rows in another order)")]
    elif op == "truncate":
        changed = changed[:-1]
        want = [(n - 1, f"row {n - 1:,} of the signed table deleted (cut off at the end)")]
    elif op == "empty":
        changed = []
        want = [(0, f"all {n:,} rows of the signed table deleted")]
    else:
        want = []
    got = locate(signed, field_digests(_table(changed)), SCHEMA.names)
    assert [(c.row, c.text) for c in got] == want


def test_the_signed_sha_covers_shape_and_bytes() -> None:
    d = np.arange(12, dtype=np.uint32).reshape(4, 3)
    assert digest_sha256(d) != digest_sha256(d.reshape(3, 4)) != digest_sha256(d[:3])
    e = d.copy()
    e[2, 1] ^= 1
    assert digest_sha256(d) != digest_sha256(e)
