"""A record's canonical bytes, the one form every leaf of the signed indexes hashes (model/audit/index.py):
every column as `name=value`, names sorted, joined by `|`; an integer in decimal, a float as the decimal of its
64 IEEE-754 bits, a boolean as true/false, a string as its UTF-8 length, `:` and itself, a null as `~`.
`record_bytes` makes them from one record's values (what a disclosure carries), `record_texts` from a batch's
columns (what the run's signing and the audit read); the two agree (tests/test_merkle.py)."""

from __future__ import annotations

import hashlib
import struct
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

NULL = "~"


def _value(v: Any) -> str:
    if v is None:
        return NULL
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return str(struct.unpack("<q", struct.pack("<d", v))[0])
    text = str(v)
    return f"{len(text.encode('utf-8'))}:{text}"


def record_bytes(row: dict[str, Any]) -> bytes:
    """A provision record's canonical bytes (as the module's docstring says), from its values."""
    return "|".join(f"{k}={_value(row[k])}" for k in sorted(row)).encode("utf-8")


def _texts(col: pa.Array) -> pa.Array:
    """A column's values in record_bytes's form, as strings (nulls as NULL)."""
    t = col.type
    if pa.types.is_dictionary(t):
        col, t = col.dictionary_decode(), t.value_type
    if pa.types.is_floating(t):
        bits = col.cast(pa.float64()).to_numpy(zero_copy_only=False).view(np.int64)
        out = pa.array(bits, mask=col.is_null().to_numpy(zero_copy_only=False)).cast(pa.string())
    elif pa.types.is_string(t) or pa.types.is_large_string(t):
        lengths = pc.binary_length(col).cast(pa.string())
        out = pc.binary_join_element_wise(lengths, col, ":")
    else:  # integers and booleans: Arrow's decimal and true/false are record_bytes's
        out = col.cast(pa.string())
    return pc.fill_null(out, NULL)


def record_texts(batch: pa.RecordBatch) -> pa.Array:
    """record_bytes of every row of the batch, computed by column."""
    parts: list[Any] = []
    for i, k in enumerate(sorted(batch.schema.names)):
        parts += [pa.scalar(("|" if i else "") + f"{k}="), _texts(batch.column(k))]
    return pc.binary_join_element_wise(*parts, "") if parts else pa.array([""] * batch.num_rows)


def hash_each(texts: pa.Array, prefix: bytes) -> bytes:
    """SHA-256(prefix || text) of each string of the array, concatenated."""
    texts = texts.cast(pa.large_binary()) if not pa.types.is_large_binary(texts.type) else texts
    offsets = np.frombuffer(texts.buffers()[1], np.int64)[texts.offset : texts.offset + len(texts) + 1].tolist()
    data = texts.buffers()[2].to_pybytes() if len(texts) else b""
    sha = hashlib.sha256
    return b"".join([sha(prefix + data[a:b]).digest() for a, b in zip(offsets[:-1], offsets[1:], strict=True)])
