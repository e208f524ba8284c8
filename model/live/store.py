"""The identity store in a real database: SQLite (the standard library's sqlite3: embedded, no setup), one row
per resident with the six items of identity information, and an index for every lookup key combination the
configuration allows (`[lookup] keys` of the statute and `[policy] allowed_keys`); the code is the primary
key.  A store file is built once for a (scenario, scale, seed) and reused while those match.

PostgreSQL by DSN is refused for now (`check_db`): no driver is installed with jukinet.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from jukinet.model.core.errors import UserError
from jukinet.model.live.register import Register

COLUMNS = ("code", "name", "address", "dob", "sex", "change_info")
KEY_COLUMNS = frozenset(("code", "name", "address", "dob", "sex"))
MAX_MATCHES = 10  # a lookup by the four items answers at most this many residents (C10: no bulk listing)
CHUNK = 100_000


def check_db(db: str) -> str:
    """The database option as the server uses it: 'sqlite', or one line saying what is supported."""
    if db == "sqlite":
        return db
    if db.startswith(("postgresql://", "postgres://")):
        raise UserError(
            "--db", db.split("@")[-1], "PostgreSQL is not supported yet (no driver ships with jukinet); allowed: sqlite"
        )
    raise UserError("--db", db, "allowed: sqlite (postgresql://... is not supported yet)")


def index_sets(combos: Iterable[Sequence[str]]) -> list[tuple[str, ...]]:
    """The column sets to index: each combination of key columns once, in a fixed order; the code alone is the
    primary key, and a key that is no column (a wildcard) has no index: the evaluator refuses it first."""
    out: dict[tuple[str, ...], None] = {}
    for combo in combos:
        cols = tuple(c for c in COLUMNS if c in combo)
        if set(combo) <= KEY_COLUMNS and cols and cols != ("code",):
            out[cols] = None
    return list(out)


class IdentityStore:
    """The residents' identity information in SQLite, queried by any allowed key combination."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.db = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
        self.db.execute("PRAGMA query_only = ON")
        self._sql: dict[tuple[str, ...], str] = {}

    @staticmethod
    def build(
        path: Path,
        reg: Register,
        combos: Iterable[Sequence[str]],
        stamp: str,
        progress: Callable[[int], None] | None = None,
    ) -> tuple[IdentityStore, float]:
        """The store at `path` for the register `stamp` names, built unless a store of that stamp is there; the
        store and the seconds building took (0 when reused)."""
        if path.exists() and _stamp_of(path) == stamp:
            return IdentityStore(path), 0.0
        t0 = time.perf_counter()
        tmp = path.with_name(path.name + ".partial")
        tmp.unlink(missing_ok=True)
        db = sqlite3.connect(str(tmp), isolation_level=None)
        db.execute("PRAGMA journal_mode = OFF")
        db.execute("PRAGMA synchronous = OFF")
        db.execute(
            "CREATE TABLE residents (code INTEGER PRIMARY KEY, name TEXT NOT NULL, address TEXT NOT NULL, "
            "dob TEXT NOT NULL, sex INTEGER NOT NULL, change_info TEXT NOT NULL)"
        )
        db.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        db.execute("BEGIN")
        for lo in range(0, len(reg), CHUNK):
            hi = min(lo + CHUNK, len(reg))
            rows = zip(
                reg.code[lo:hi].tolist(),
                reg.name[lo:hi].tolist(),
                reg.address[lo:hi].tolist(),
                reg.dob[lo:hi].tolist(),
                reg.sex[lo:hi].tolist(),
                ["none"] * (hi - lo),
                strict=True,
            )
            db.executemany("INSERT INTO residents VALUES (?, ?, ?, ?, ?, ?)", rows)
            if progress is not None:
                progress(hi - lo)
        db.execute("COMMIT")
        for cols in index_sets(combos):
            db.execute(f"CREATE INDEX by_{'_'.join(cols)} ON residents ({', '.join(cols)})")
        db.execute("INSERT INTO meta VALUES ('stamp', ?)", (stamp,))
        db.execute("ANALYZE")
        db.close()
        tmp.replace(path)
        return IdentityStore(path), time.perf_counter() - t0

    def indices(self) -> list[str]:
        return [str(r[0]) for r in self.db.execute("SELECT name FROM sqlite_master WHERE type = 'index' AND name LIKE 'by_%'")]

    def plan(self, keys: Sequence[str]) -> str:
        """How SQLite answers a lookup by these keys (EXPLAIN QUERY PLAN), to check an index is used."""
        sql = "EXPLAIN QUERY PLAN " + self._query(tuple(sorted(keys)))
        return " ".join(str(r[-1]) for r in self.db.execute(sql, [None] * len(keys)))

    def _query(self, keys: tuple[str, ...]) -> str:
        sql = self._sql.get(keys)
        if sql is None:
            where = " AND ".join(f"{k} = ?" for k in keys)
            sql = self._sql[keys] = f"SELECT {', '.join(COLUMNS)} FROM residents WHERE {where} LIMIT {MAX_MATCHES}"
        return sql

    def lookup(self, keys: dict[str, Any]) -> list[dict[str, Any]]:
        """The residents whose items equal every key given (keys: columns of KEY_COLUMNS)."""
        names = tuple(sorted(keys))
        rows = self.db.execute(self._query(names), [keys[k] for k in names]).fetchall()
        return [dict(zip(COLUMNS, r, strict=True)) for r in rows]

    def __len__(self) -> int:
        return int(self.db.execute("SELECT count(*) FROM residents").fetchone()[0])

    def close(self) -> None:
        self.db.close()


def _stamp_of(path: Path) -> str | None:
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            row = db.execute("SELECT value FROM meta WHERE key = 'stamp'").fetchone()
        finally:
            db.close()
    except sqlite3.Error:
        return None
    return str(row[0]) if row else None
