"""The live center assembled from a scenario: its server folder, identity store, log, desk and TLS context.

OUT/.jukinet                 marker (kind "serve"): only such a folder is reused (a restart resumes its log)
OUT/identity.sqlite          the identity store (model.live.store), rebuilt when scenario, scale or seed change
OUT/log/access_log.tsv       the hash-chained access log, fsynced per batch (model.live.ledger)
OUT/log/head.json            the chain head, at each clean shutdown
OUT/records/access_log.parquet  the log in the audit's columns, at each clean shutdown
OUT/server.json              what is served: scenario, scale, seed, address, store
OUT/summary.json             the last session's counters and log head
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jukinet.model.config.scenario import Scenario
from jukinet.model.core.errors import UserError
from jukinet.model.core.output import MARKER, serves
from jukinet.model.live import runfolder
from jukinet.model.live.desk import Desk
from jukinet.model.live.ledger import Ledger
from jukinet.model.live.register import Register, draw
from jukinet.model.live.server import CenterServer, Limits
from jukinet.model.live.store import IdentityStore, check_db
from jukinet.model.live.tls import server_context

KIND = "run"  # the audit reads the folder as a run's (model.live.runfolder)
SERVER = "server.json"


@dataclass(frozen=True)
class Setup:
    sc: Scenario
    scale: float
    seed: int
    out: Path
    certs: Path
    host: str = "127.0.0.1"
    port: int = 7443
    db: str = "sqlite"


def prepare_folder(out: Path) -> None:
    """OUT as a server folder: a new one, or one a server wrote before (its log resumes)."""
    if out.exists():
        if not out.is_dir():
            raise UserError("--out", str(out), "is a file; allowed: a new folder or a folder `jukinet serve` wrote")
        if any(out.iterdir()) and not serves(out):
            raise UserError(
                "--out", str(out), "is a folder `jukinet serve` did not write; allowed: a new folder or a serve folder"
            )
    out.mkdir(parents=True, exist_ok=True)
    # kind "run": the audit reads it as a run's; "server": no other command replaces it (model.core.output.serves)
    (out / MARKER).write_text(json.dumps({"kind": KIND, "server": True}) + "\n", encoding="utf-8")


def check_certs(certs: Path) -> None:
    missing = [n for n in ("ca.pem", "center.pem", "center.key") if not (certs / n).is_file()]
    if missing:
        raise UserError("--certs", str(certs), f"lacks {', '.join(missing)}; allowed: a folder written by `jukinet tls-keys`")


@dataclass
class Center:
    """A server ready to serve and what its folder is written from when it stops."""

    setup: Setup
    server: CenterServer
    register: Register


def build(s: Setup, limits: Limits | None = None, say: Callable[[str], None] = print) -> Center:
    """The server, its store built (or reused) and its log opened; not yet listening."""
    check_db(s.db)
    check_certs(s.certs)
    prepare_folder(s.out)
    ctx = server_context(s.certs)
    stamp = f"{s.sc.hash}|{s.scale!r}|{s.seed}"
    policy = s.sc.policy
    combos = [*s.sc.config.statute.lookup.keys, *(sorted(k) for k in policy.allowed_keys)]
    reg = draw(s.sc, s.scale, s.seed)
    store, took = IdentityStore.build(s.out / "identity.sqlite", reg, combos, stamp)
    say(
        f"jukinet serve: identity store {s.out / 'identity.sqlite'}: {len(reg):,} residents, "
        f"indices {', '.join(store.indices())}" + (f" (built in {took:.1f} s)" if took else " (reused)")
    )
    fy = s.sc.config.scenario.fiscal_year
    info: dict[str, Any] = {"scenario": s.sc.config.scenario.name, "scale": s.scale, "seed": s.seed, "residents": len(reg)}
    desk = Desk(policy, store, {**info, "fiscal_year": fy}, s.sc.config.operators.per_body)
    ledger = Ledger(s.out)
    desk.seq = ledger.provisions
    if ledger.resumed:
        say(f"jukinet serve: access log resumed at record {ledger.count:,} ({ledger.head.hex()[:16]}...)")
    (s.out / SERVER).write_text(json.dumps({**info, "host": s.host, "port": s.port, "db": s.db}, indent=1) + "\n")
    return Center(s, CenterServer(desk, ledger, ctx, s.host, s.port, limits, say), reg)


def finish(c: Center, summary: dict[str, Any]) -> None:
    """After the server stopped (its log closed): the run folder the audit reads, and the session's counters."""
    s, ledger = c.setup, c.server.ledger
    runfolder.write(s.out, s.sc, s.seed, c.register, ledger.count, ledger.head)
    (s.out / "server_summary.json").write_text(json.dumps(summary, indent=1) + "\n", encoding="utf-8")
