"""The signed heads' hashing at national scale (issue 12, items 1-3), against plain references:

- the bottom-up Merkle tree over NumPy arrays (model.audit.merkle) is RFC 6962's tree: the same root and
  the same audit paths as the RFC's top-down definition, written out here from s.2.1;
- a table's block leaves do not depend on how its rows are batched, nor on which parts of it are read apart
  (the audit's chain workers), nor on whether a string column is stored as a dictionary;
- the disclosure index built from Arrow arrays holds, for each code, the leaf a resident recomputes from the
  records alone (model.audit.index.code_leaf), and the audit path read from index/ is the tree's;
- the field digests written batch by batch hash to what the whole table's digests hash to.
"""

from __future__ import annotations

import hashlib
import json
import math
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jukinet.model.audit import index as index_mod
from jukinet.model.audit import trust
from jukinet.model.audit.index import IndexBuilder, code_leaf, index_path, record_bytes, record_texts
from jukinet.model.audit.merkle import as_array, audit_path, leaf, levels, merkle_root, root_from_path, root_of, upper_of
from jukinet.model.audit.rowdigest import DigestWriter, digest_sha256, field_digests, read_digests


# -- RFC 6962 s.2.1, as the RFC writes it -------------------------------------------------------------------
def _mth(d: list[bytes]) -> bytes:
    if not d:
        return hashlib.sha256(b"").digest()
    if len(d) == 1:
        return d[0]
    k = 1 << ((len(d) - 1).bit_length() - 1)
    return hashlib.sha256(b"\x01" + _mth(d[:k]) + _mth(d[k:])).digest()


def _path(m: int, d: list[bytes]) -> list[bytes]:
    if len(d) <= 1:
        return []
    k = 1 << ((len(d) - 1).bit_length() - 1)
    return [*_path(m, d[:k]), _mth(d[k:])] if m < k else [*_path(m - k, d[k:]), _mth(d[:k])]


def _leaves(n: int) -> list[bytes]:
    return [leaf(i.to_bytes(4, "little")) for i in range(n)]


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 300), st.data())
def test_the_bottom_up_tree_is_rfc_6962s(n: int, data: st.DataObject) -> None:
    d = _leaves(n)
    assert merkle_root(d) == _mth(d)
    if n:
        m = data.draw(st.integers(0, n - 1))
        path = audit_path(m, d)
        assert path == _path(m, d)
        assert root_from_path(m, n, d[m], path) == _mth(d)
        assert root_from_path(m, n, leaf(b"other"), path) != _mth(d)  # a changed leaf leads elsewhere


# -- block leaves -------------------------------------------------------------------------------------------
_TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=6)


@st.composite
def _tables(draw: st.DrawFn) -> pa.Table:
    n = draw(st.integers(0, 60))
    cols = {
        "seq": pa.array(range(n), pa.int64()),
        "time": pa.array(draw(st.lists(st.floats(allow_nan=False), min_size=n, max_size=n)), pa.float64()),
        "who": pa.array(draw(st.lists(st.none() | _TEXT, min_size=n, max_size=n)), pa.string()),
        "ok": pa.array(draw(st.lists(st.none() | st.booleans(), min_size=n, max_size=n)), pa.bool_()),
        "op": pa.array(draw(st.lists(st.none() | st.integers(-(2**31), 2**31 - 1), min_size=n, max_size=n)), pa.int32()),
        "hash": pa.array([hashlib.sha256(bytes([i % 256])).digest() for i in range(n)], pa.binary(32)),
    }
    return pa.table(cols)


def _batched(t: pa.Table, cuts: list[int]) -> list[pa.RecordBatch]:
    bounds = [0, *sorted({c % (t.num_rows + 1) for c in cuts}), t.num_rows]
    return [b for a, z in zip(bounds, bounds[1:], strict=False) if z > a for b in t.slice(a, z - a).to_batches()]


@settings(max_examples=60, deadline=None)
@given(_tables(), st.lists(st.integers(0, 100), max_size=6), st.lists(st.integers(1, 100), max_size=3))
def test_block_leaves_do_not_depend_on_batching_parts_or_dictionaries(t: pa.Table, cuts: list[int], parts: list[int]) -> None:
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(trust, "BLOCK", 7)
        _blocks_agree(t, cuts, parts)


def _blocks_agree(t: pa.Table, cuts: list[int], parts: list[int]) -> None:
    ref = trust.block_leaves(t.to_batches(), t.schema)
    assert len(ref) == max(1, math.ceil(t.num_rows / 7))
    assert trust.block_leaves(_batched(t, cuts), t.schema) == ref
    coded = t.set_column(2, "who", t.column("who").dictionary_encode())
    assert trust.block_leaves(_batched(coded, cuts), coded.schema) == ref
    bounds = [0, *sorted({p % (t.num_rows + 1) for p in parts}), t.num_rows]
    pieces: list[bytes | pa.Table] = []
    for a, z in zip(bounds, bounds[1:], strict=False):  # parts read apart, as the chain workers read the log
        blocks = trust.Blocks(t.schema, a)
        for b in _batched(t.slice(a, z - a), cuts):
            blocks.feed(b)
        pieces += blocks.close()
    assert trust.joined(pieces, t.schema) == ref
    if t.num_rows:  # any one value changed changes a leaf
        edited = t.set_column(0, "seq", pa.array([*range(t.num_rows - 1), 10**9], pa.int64()))
        assert trust.block_leaves(edited.to_batches(), t.schema) != ref


def test_a_parts_pieces_carry_their_rows_not_the_batches_they_came_from() -> None:
    """A chain worker pickles its part's pieces back to the audit: a piece sliced from a batch would carry the
    whole batch (pyarrow pickles a slice's full buffers), two per part, 1.7 GB at full scale (issue 12)."""
    import pickle

    n = 1 << 16
    t = pa.table({"seq": pa.array(range(n), pa.int64()), "who": pa.array([f"body-{i:06d}" for i in range(n)])})
    blocks = trust.Blocks(t.schema, 1000)  # a part starting off a block boundary: a piece before, one after
    blocks.feed(t.to_batches()[0])
    edges = [p for p in blocks.close() if isinstance(p, pa.Table)]
    assert [p.num_rows for p in edges] == [(-1000) % trust.BLOCK, (n - (-1000) % trust.BLOCK) % trust.BLOCK]
    whole = len(pickle.dumps(t))
    for p in edges:
        assert len(pickle.dumps(p)) < 0.2 * whole, (p.num_rows, len(pickle.dumps(p)), whole)


# -- the disclosure index -----------------------------------------------------------------------------------
@st.composite
def _provisions(draw: st.DrawFn) -> tuple[pa.Table, list[int]]:
    codes = draw(st.lists(st.integers(10**10, 10**11 - 1), min_size=1, max_size=40, unique=True))
    n = draw(st.integers(0, 80))
    rows = {
        "seq": list(range(n)),
        "time": draw(st.lists(st.floats(0, 3e7, allow_nan=False), min_size=n, max_size=n)),
        "requester": draw(st.lists(_TEXT, min_size=n, max_size=n)),
        "code": draw(st.lists(st.sampled_from(codes), min_size=n, max_size=n)),
        "allowed": draw(st.lists(st.booleans(), min_size=n, max_size=n)),
        "reason": draw(st.lists(st.none() | _TEXT, min_size=n, max_size=n)),
    }
    order = draw(st.permutations(range(n)))  # the file need not be in seq order
    t = pa.table(rows).take(pa.array(order, pa.int64())) if n else pa.table(rows)
    t = t.set_column(2, "requester", t.column("requester").dictionary_encode())
    return t, codes


@settings(max_examples=40, deadline=None)
@given(_provisions(), st.integers(1, 3), st.integers(1, 9), st.integers(1, 3))
def test_the_index_holds_what_a_resident_recomputes_and_its_paths_are_the_trees(
    tmp_path_factory: pytest.TempPathFactory, prov: tuple[pa.Table, list[int]], upper: int, batch: int, parts: int
) -> None:
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(index_mod, "UPPER", upper)  # subtrees of 2**upper leaves: many at these sizes
        mp.setattr(index_mod, "CHUNK", parts << upper)  # the leaves made and written a few at a time
        _index_agrees(tmp_path_factory.mktemp("index"), prov, batch)


def _index_agrees(folder: Path, prov: tuple[pa.Table, list[int]], batch: int) -> None:
    t, codes = prov
    b = IndexBuilder()
    people = sorted(set(codes[: len(codes) // 2]))  # residents with no provision have a leaf too, binding their row
    rows = pa.table({"code": pa.array(people, pa.int64()), "cs": pa.array([f"{c % 97:06d}" for c in people])})
    for rb in rows.to_batches(max_chunksize=batch):
        b.residents(rb)
    chain = sorted(set(codes))[:3] if len(set(codes)) >= 3 else []  # one holder's codes: a -> b, then b -> c
    if chain:
        b.changed(np.array(chain[:2], np.int64), np.array(chain[1:], np.int64))
    for rb in t.to_batches(max_chunksize=batch):
        b.provisions(rb)
    size, root = b.finish(folder)
    records = [json.loads(json.dumps(r)) for r in t.to_pylist()]  # what a disclosure carries: its JSON
    known = sorted(set(codes[: len(codes) // 2]) | set(chain) | {r["code"] for r in records if r["allowed"]})
    assert size == len(known)
    held = {c: chain for c in chain}  # each of the chain's codes binds all three; every other code itself alone
    row = {r["code"]: r for r in rows.to_pylist()}
    leaves = [code_leaf(c, [r for r in records if r["code"] == c and r["allowed"]], held.get(c), row.get(c)) for c in known]
    assert root == _mth(leaves)
    for m, c in enumerate(known):
        found = index_path(folder, c)
        assert found is not None and found[:2] == (m, size)
        assert found[2] == _path(m, leaves)
    assert index_path(folder, 1) is None
    texts = record_texts(t.to_batches()[0]) if t.num_rows else pa.array([], pa.string())
    assert [x.encode() for x in texts.to_pylist()] == [record_bytes(r) for r in records[: len(texts)]]


def test_a_changed_index_file_is_a_clear_error(tmp_path: Path) -> None:
    b = IndexBuilder()
    b.known(np.arange(10**10, 10**10 + 50, dtype=np.int64))
    b.finish(tmp_path)
    np.save(tmp_path / "upper.npy", np.zeros((3, 32), np.uint8))
    with pytest.raises(ValueError, match="do not fit together"):
        index_path(tmp_path, 10**10 + 3)


# -- field digests ------------------------------------------------------------------------------------------
@settings(max_examples=30, deadline=None)
@given(_tables(), st.lists(st.integers(0, 100), max_size=6))
def test_digests_written_batch_by_batch_are_the_whole_tables(
    tmp_path_factory: pytest.TempPathFactory, t: pa.Table, cuts: list[int]
) -> None:
    folder = tmp_path_factory.mktemp("digests")
    w = DigestWriter(folder, "t", t.num_rows, t.num_columns)
    for b in _batched(t, cuts):
        w.add(b)
    sha = w.close()
    whole = field_digests(t)
    assert sha == digest_sha256(whole)
    got = read_digests(folder, "t", sha)
    assert got is not None and np.array_equal(np.asarray(got), whole)
    assert read_digests(folder, "t", "0" * 64) is None


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 300), st.integers(0, 5), st.integers(1, 4))
def test_the_upper_levels_from_parts_are_the_trees(n: int, below: int, k: int) -> None:
    """The index's tree is built a part of its leaves at a time (model.audit.merkle.upper_of)."""
    leaves = as_array([leaf(i.to_bytes(4, "little")) for i in range(n)])
    whole = levels(leaves)
    step = k << below
    root, upper = upper_of([leaves[lo : lo + step] for lo in range(0, n, step)], below)
    assert root == root_of(leaves)
    assert [u.tolist() for u in upper] == [w.tolist() for w in whole[below:]] if len(whole) > below else upper == []
    if n > step:
        with pytest.raises(ValueError, match="not a multiple"):
            upper_of([leaves[:1], leaves[1:]], max(below, 1))


def test_as_array_keeps_the_order() -> None:
    d = _leaves(5)
    assert [bytes(r) for r in as_array(d)] == d
