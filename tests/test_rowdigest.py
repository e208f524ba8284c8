"""The field digests that name a changed row and field of a signed table (model.audit.rowdigest; C09, issue 12)."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
from hypothesis import given
from hypothesis import strategies as st

from jukinet.model.audit.rowdigest import SHOWN, Change, Locator, _fields, _rows, _span, digest_sha256, field_digests, locate

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


def _whole_locate(signed: np.ndarray, mine: np.ndarray, fields: list[str]) -> list[Change]:
    """The reference: `locate` as first written, on both tables' digests whole (sorting the rows it compares)."""
    if signed.shape[1] != mine.shape[1]:
        return [Change(0, f"has {mine.shape[1]} columns; {signed.shape[1]} signed")]
    n, m = len(signed), len(mine)
    a, b = _rows(signed), _rows(mine)
    k = min(n, m)
    diff = np.flatnonzero(a[:k] != b[:k])
    p = int(diff[0]) if len(diff) else k
    if p == n == m:
        return []
    tail = np.flatnonzero(a[n - 1 - np.arange(k - p)] != b[m - 1 - np.arange(k - p)])
    s = int(tail[0]) if len(tail) else k - p  # rows equal at the end
    sa, sb = a[p : n - s], b[p : m - s]  # the signed rows replaced, and what the folder has instead
    if n == m:
        if len(sa) >= 2 and np.array_equal(np.sort(sa), np.sort(sb)):
            return [Change(p, f"{_span(p, n - s)} reordered (the same rows in another order)")]
        rows = p + np.flatnonzero(sa != sb)
        out = [Change(int(i), f"row {i:,} edited: {', '.join(_fields(fields, signed[i], mine[i]))}") for i in rows[:SHOWN]]
        if len(rows) > SHOWN:
            out.append(Change(int(rows[SHOWN]), f"and {len(rows) - SHOWN:,} more rows edited"))
        return out
    if m == 0:
        return [Change(0, f"all {n:,} rows of the signed table deleted")]
    if m < n and len(sb) == 0:
        end = " (cut off at the end)" if s == 0 and p == m else ""
        return [Change(p, f"{_span(p, p + len(sa))} of the signed table deleted{end}")]
    if m > n and len(sa) == 0:
        return [Change(p, f"{_span(p, p + len(sb))} inserted")]
    return [Change(p, f"signed {_span(p, n - s)} replaced by the folder's {_span(p, m - s)}")]


@st.composite
def _tampered(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray]:
    """Signed digests (few distinct values, so rows repeat) and the folder's after a few edits, deletions,
    insertions, swaps and replaced stretches."""
    n, w = draw(st.integers(0, 60)), draw(st.integers(1, 3))
    signed = np.array(draw(st.lists(st.integers(0, 3), min_size=n * w, max_size=n * w)), np.uint32).reshape(n, w)
    rows = [r.copy() for r in signed]
    for _ in range(draw(st.integers(0, 4))):
        op = draw(st.sampled_from(["edit", "delete", "insert", "swap", "replace"]))
        i = draw(st.integers(0, max(len(rows) - 1, 0)))
        new = np.array(draw(st.lists(st.integers(0, 3), min_size=w, max_size=w)), np.uint32)
        if op == "insert":
            rows.insert(i, new)
        elif not rows:
            continue
        elif op == "edit":
            rows[i] = new
        elif op == "delete":
            del rows[i]
        elif op == "swap" and i + 1 < len(rows):
            rows[i], rows[i + 1] = rows[i + 1], rows[i]
        elif op == "replace":
            rows[i : i + draw(st.integers(1, 5))] = [new] * draw(st.integers(0, 5))
    return signed, np.array(rows, np.uint32).reshape(len(rows), w)


@given(_tampered(), st.integers(1, 70))
def test_the_streamed_locate_names_what_the_whole_tables_do(pair: tuple[np.ndarray, np.ndarray], chunk: int) -> None:
    """The audit feeds a changed table's digests a batch at a time (a full-scale log's are 4.9 GB whole): fed in
    any chunks, it names the same rows and fields as comparing the two tables whole."""
    signed, mine = pair
    fields = [f"f{j}" for j in range(signed.shape[1])]
    found = Locator(signed, len(mine), fields)
    for lo in range(0, len(mine), chunk):
        found.feed(mine[lo : lo + chunk])
    assert found.finish() == _whole_locate(signed, mine, fields)


def test_more_edits_than_shown_name_the_first_not_shown() -> None:
    signed = np.arange(100, dtype=np.uint32).reshape(50, 2)
    mine = signed.copy()
    mine[3::4, 1] += 1000  # rows 3, 7, ..., 47 edited: 12 of them
    found = Locator(signed, 50, ["a", "b"])
    for lo in range(0, 50, 9):
        found.feed(mine[lo : lo + 9])
    got = found.finish()
    assert [c.row for c in got] == [*range(3, 4 * SHOWN, 4), 4 * SHOWN + 3] and got[-1].text == "and 2 more rows edited"
    assert got[0].text == "row 3 edited: b"
    short = Locator(signed, 50, ["a", "b"])
    short.feed(mine[:49])  # fed fewer rows than it was told: it names nothing (the caller names the block)
    assert short.finish() == []
