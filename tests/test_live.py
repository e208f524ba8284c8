"""The live center (issue 31): `jukinet serve` as a real process on loopback, driven by real TLS clients.

A round trip answers from the store; a request for an affair not in the annex is refused, answered and logged
before the answer leaves; a client with a certificate of another authority, or none, is refused; truncated and
oversized frames are refused with the server still serving; SIGTERM stops it with a complete, verifiable log,
a restart resumes the chain, and an edited record is named."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from jukinet.model.cli.main import main
from jukinet.model.config.scenario import Scenario, load
from jukinet.model.core.errors import UserError
from jukinet.model.live.client import Connection
from jukinet.model.live.frames import HEADER, MAX_FRAME, FrameError, encode, read_frame
from jukinet.model.live.ledger import HEAD, LOG, PARQUET, verify
from jukinet.model.live.register import Register, draw
from jukinet.model.live.store import IdentityStore
from jukinet.model.live.tls import client_context, issue
from jukinet.model.sim.records import write_parquet

SCALE, SEED = 0.0001, 2006
REPO = Path(__file__).resolve().parents[1]
BODY = "mhlw"


@dataclass
class Server:
    """A `jukinet serve` process and the lines it wrote on stderr."""

    proc: subprocess.Popen[bytes]
    out: Path
    address: str = ""
    lines: list[str] = field(default_factory=list)
    reader: threading.Thread | None = None

    def said(self, text: str, timeout: float = 5.0, more_than: int = 0) -> bool:
        """Whether more than `more_than` lines (none, by default) say `text` within `timeout` seconds."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if sum(text in line for line in self.lines) > more_than:
                return True
            time.sleep(0.05)
        return False

    def stop(self, sig: int = signal.SIGTERM) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        code = self.proc.wait(timeout=20)
        if self.reader is not None:
            self.reader.join(5)
        if self.proc.stderr is not None:
            self.proc.stderr.close()
        return code


def start(out: Path, certs: Path) -> Server:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    cmd = [sys.executable, "-m", "jukinet", "serve", "--scale", str(SCALE), "--seed", str(SEED)]
    cmd += ["--port", "0", "--out", str(out), "--certs", str(certs), "--frame-timeout", "1"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    s = Server(proc, out)

    def drain() -> None:
        assert proc.stderr is not None
        for raw in proc.stderr:
            s.lines.append(raw.decode(errors="replace").rstrip())

    s.reader = threading.Thread(target=drain, daemon=True)
    s.reader.start()
    assert s.said("listening on", 60), s.lines
    s.address = next(line for line in s.lines if "listening on" in line).split("listening on ")[1].split()[0]
    return s


@pytest.fixture(scope="module")
def sc() -> Scenario:
    return load(None)


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory, sc: Scenario) -> Path:
    out = tmp_path_factory.mktemp("tls") / "certs"
    issue(out, sorted(sc.policy.bodies))
    return out


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, certs: Path) -> Iterator[Server]:
    s = start(tmp_path_factory.mktemp("serve") / "srv", certs)
    yield s
    s.stop()


@pytest.fixture(scope="module")
def reg(sc: Scenario) -> Register:
    return draw(sc, SCALE, SEED)


def ask(server: Server, certs: Path, *messages: dict[str, Any], body: str = BODY) -> list[dict[str, Any]]:
    async def go() -> list[dict[str, Any]]:
        conn = await Connection.open(server.address, certs, body)
        try:
            return [await conn.ask(m, 10.0) for m in messages]
        finally:
            await conn.close()

    return asyncio.run(go())


def affair_of(sc: Scenario, body: str = BODY) -> str:
    return sc.policy.bodies[body].affairs[0]


def test_round_trip_answers_from_the_store(server: Server, certs: Path, sc: Scenario, reg: Register) -> None:
    who = reg.row(123)
    by_code = {"type": "provision_request", "id": 1, "affair": affair_of(sc), "keys": {"code": who["code"]}}
    by_items = {**by_code, "id": 2, "keys": {k: who[k] for k in ("name", "dob", "sex")}}
    hello, a, b = ask(server, certs, {"type": "hello"}, by_code, by_items)
    assert hello["type"] == "info" and hello["requester"] == BODY and hello["residents"] == len(reg)
    for answer in (a, b):
        assert answer["type"] == "provision", answer
        assert answer["residents"] == [{**who, "change_info": "none"}]
        assert answer["rule"] and answer["articles"]
    assert b["seq"] == a["seq"] + 1 and a["id"] == 1


def test_an_affair_not_in_the_annex_is_refused_answered_and_logged(server: Server, certs: Path, reg: Register) -> None:
    code = reg.row(7)["code"]
    (answer,) = ask(server, certs, {"type": "provision_request", "affair": "A9-999", "keys": {"code": code}})
    assert answer["type"] == "refusal" and "affair_registered" in answer["reason"], answer
    assert "residents" not in answer
    lines = (server.out / LOG).read_text().splitlines()  # fsynced before the answer left
    refused = [f for f in (line.split("\t") for line in lines) if f[4] == "refuse" and f[6] == str(answer["seq"])]
    assert len(refused) == 1 and refused[0][5] == str(code)


def test_a_wildcard_is_refused_and_an_item_outside_the_schema_is_an_error(server: Server, certs: Path, sc: Scenario) -> None:
    wild = {"type": "provision_request", "affair": affair_of(sc), "keys": {"wildcard": "*"}}
    extra = {"type": "provision_request", "affair": affair_of(sc), "keys": {"code": 1}, "items": ["name", "income"]}
    bad = {"type": "provision_request", "affair": affair_of(sc), "keys": {"income": 1}}
    a, b, c = ask(server, certs, wild, extra, bad)
    assert a["type"] == "refusal" and "keys_allowed" in a["reason"]
    assert b["type"] == "error" and b["error"].startswith("items: ['income']; allowed: items of provision")
    assert c["type"] == "error" and c["error"].startswith("keys:")


def _still_serves(server: Server, certs: Path) -> None:
    assert server.proc.poll() is None
    assert ask(server, certs, {"type": "hello"})[0]["type"] == "info"


def test_a_client_certificate_of_another_authority_is_refused(server: Server, certs: Path, tmp_path: Path, sc: Scenario) -> None:
    rogue = tmp_path / "rogue"
    issue(rogue, [BODY], authority="rogue CA")
    (rogue / "ca.pem").write_bytes((certs / "ca.pem").read_bytes())  # it trusts the real center, the center not it
    with pytest.raises((ssl.SSLError, ConnectionError, FrameError, asyncio.IncompleteReadError, OSError)):
        ask(server, rogue, {"type": "hello"})
    assert server.said("TLS handshake refused"), server.lines[-3:]
    _still_serves(server, certs)


def test_a_client_without_a_certificate_is_refused(server: Server, certs: Path) -> None:
    async def go() -> dict[str, Any] | None:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.load_verify_locations(str(certs / "ca.pem"))
        host, port = server.address.rsplit(":", 1)
        reader, writer = await asyncio.open_connection(host, int(port), ssl=ctx, server_hostname=host)
        try:
            writer.write(encode({"type": "hello"}))
            await writer.drain()
            return await read_frame(reader, timeout=5)
        except (ssl.SSLError, ConnectionError, asyncio.IncompleteReadError, FrameError):
            return None  # dropped (TLS 1.3: the client learns it on its first read)
        finally:
            writer.close()

    n = sum("TLS handshake refused" in line for line in server.lines)
    assert asyncio.run(go()) is None  # not answered
    assert server.said("TLS handshake refused", timeout=20, more_than=n)  # this connection's line (slow under load)
    _still_serves(server, certs)


async def _raw(server: Server, certs: Path, data: bytes) -> bytes:
    """Send raw bytes on an authenticated connection, close our side, and read whatever comes back."""
    host, port = server.address.rsplit(":", 1)
    reader, writer = await asyncio.open_connection(host, int(port), ssl=client_context(certs, BODY), server_hostname=host)
    writer.write(data)
    await writer.drain()
    if len(data) < HEADER.size + 10:
        writer.close()  # the stream ends inside the frame
    try:
        return await asyncio.wait_for(reader.read(), 5)
    except (ConnectionError, ssl.SSLError):
        return b""
    finally:
        writer.close()


def test_truncated_and_oversized_frames_are_refused_and_the_server_goes_on(server: Server, certs: Path) -> None:
    asyncio.run(_raw(server, certs, HEADER.pack(10) + b'{"ty'))
    assert server.said("truncated frame: 4 of 10 bytes"), server.lines[-3:]
    got = asyncio.run(_raw(server, certs, HEADER.pack(MAX_FRAME + 1) + b"x" * 64))
    assert got == b""  # nothing answered: the connection dropped
    assert server.said(f"oversized frame: {MAX_FRAME + 1} bytes announced, limit {MAX_FRAME}"), server.lines[-3:]
    _still_serves(server, certs)


def test_a_slow_frame_is_cut_at_the_frame_timeout(server: Server, certs: Path) -> None:
    """A slowloris client: a header, then a few bytes of the body, then nothing: dropped after --frame-timeout."""

    async def go() -> bytes:
        host, port = server.address.rsplit(":", 1)
        reader, writer = await asyncio.open_connection(host, int(port), ssl=client_context(certs, BODY), server_hostname=host)
        writer.write(HEADER.pack(100) + b'{"type"')
        await writer.drain()
        t = time.monotonic()
        try:
            got = await asyncio.wait_for(reader.read(), 10)
        except (ConnectionError, ssl.SSLError):
            got = b""
        writer.close()
        assert time.monotonic() - t < 5
        return got

    assert asyncio.run(go()) == b""
    assert server.said("frame body of 100 bytes not complete within 1 s"), server.lines[-3:]
    _still_serves(server, certs)


def test_sigterm_leaves_a_complete_log_a_restart_resumes_it_and_an_edit_is_named(
    tmp_path: Path, certs: Path, sc: Scenario, reg: Register, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "srv"
    s = start(out, certs)
    msgs = [{"type": "provision_request", "affair": affair_of(sc), "keys": {"code": reg.row(i)["code"]}} for i in range(50)]
    answers = ask(s, certs, *msgs, {"type": "provision_request", "affair": "A9-999", "keys": {"code": 1}})
    assert [a["type"] for a in answers] == ["provision"] * 50 + ["refusal"]
    assert s.stop() == 0 and s.said("stopped;")
    assert verify(out) == []
    assert json.loads((out / HEAD).read_text())["count"] == 52 == pq.read_metadata(out / PARQUET).num_rows
    lines = (out / LOG).read_text().splitlines()
    assert len(lines) == 52  # a login, 50 provisions, a refusal
    assert [line.split("\t")[4] for line in lines] == ["login"] + ["provide"] * 50 + ["refuse"]
    s = start(out, certs)
    assert s.said("access log resumed at record 52")
    argv = ["loadtest", "--live", s.address, "--duration", "1", "--rate", "100", "--certs", str(certs)]
    assert main([*argv, "--out", str(tmp_path / "lt")]) == 0  # the busiest hour's mix: batch existence checks
    assert "batch:existence_check" in capsys.readouterr().out
    ask(s, certs, msgs[0])
    assert s.stop() == 0 and verify(out) == []
    lines = (out / LOG).read_text().splitlines()
    assert len(lines) > 100 and [line.split("\t")[0] for line in lines] == [str(i) for i in range(len(lines))]
    assert json.loads((out / HEAD).read_text())["count"] == len(lines)
    assert main(["audit", str(out)]) == 0  # the server folder read as a run's: every check passes
    assert "clean: every check passed" in capsys.readouterr().out
    log = pq.read_table(out / PARQUET)
    codes = log.column("code").to_pylist()
    codes[10] += 1
    write_parquet(log.set_column(log.schema.get_field_index("code"), "code", pa.array(codes, pa.int64())), out / PARQUET)
    assert main(["audit", str(out), "--json"]) == 1
    named = json.loads(capsys.readouterr().out)["findings"]
    assert {(f["table"], f["record"]) for f in named} >= {("access_log", 10)}, named
    fields = lines[10].split("\t")
    fields[5] = str(int(fields[5]) + 1)  # the resident provided, edited in the line file too
    (out / LOG).write_text("\n".join([*lines[:10], "\t".join(fields), *lines[11:]]) + "\n")
    found = verify(out)
    assert found and found[0].seq == 10 and "does not match its hash" in found[0].problem


def test_the_store_answers_each_key_combination_by_its_index(tmp_path: Path, sc: Scenario, reg: Register) -> None:
    combos = list(sc.config.statute.lookup.keys)
    store, _ = IdentityStore.build(tmp_path / "s.sqlite", reg, combos, "t")
    assert store.indices() and len(store) == len(reg)
    for keys in combos:
        plan = store.plan(list(keys))
        assert "USING INDEX by_" in plan or "PRIMARY KEY" in plan or "INTEGER PRIMARY KEY" in plan, (keys, plan)
        assert "SCAN" not in plan.replace("SCAN residents USING", ""), plan
        who = reg.row(55)
        assert who["code"] in [r["code"] for r in store.lookup({k: who[k] for k in keys})]


def test_the_live_load_test_measures_service_times(
    server: Server, certs: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["loadtest", "--live", server.address, "--duration", "2", "--rate", "150", "--connections", "4"]
    argv += ["--certs", str(certs), "--out", str(tmp_path / "lt"), "--hour", "busiest-interactive"]
    assert main(argv) == 0
    text = capsys.readouterr().out
    assert "interactive:code" in text and "errors        none" in text, text
    st = json.loads((tmp_path / "lt" / "service_times.json").read_text())
    res = json.loads((tmp_path / "lt" / "summary.json").read_text())
    assert st["classes"]["interactive"]["n"] > 100 and 0 < st["classes"]["interactive"]["mean_s"] < 0.5
    assert res["answered"] == res["planned"] > 100 and res["error_count"] == 0


def test_bad_options_are_one_line_and_exit_2(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["serve", "--db", "postgresql://u@h/db", "--out", str(tmp_path / "x")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "--db" in err and "not supported yet" in err and "u@" not in err
    assert main(["loadtest", "--live", "nowhere", "--certs", str(tmp_path)]) == 2
    assert "HOST:PORT" in capsys.readouterr().err


def test_a_server_folder_and_a_run_folder_are_never_taken_for_each_other(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Issue 30 item 5 / issue 31: a live center's folder holds an access log that cannot be made again, so `jukinet
    run --out` refuses it even with --force; and `jukinet serve --out` refuses a simulated run's folder (its log
    would be resumed as the server's)."""
    from jukinet.model.core.output import MARKER, check_target
    from jukinet.model.live.center import prepare_folder

    served = tmp_path / "served"
    prepare_folder(served)
    (served / "log").mkdir()
    for force in (False, True):
        with pytest.raises(UserError, match="`jukinet serve` writes") as e:
            check_target(served, "run", force=force)
        assert "\n" not in str(e.value)
    assert main(["run", "--scale", "0.0001", "--no-prove", "--out", str(served), "--force"]) == 2
    assert "jukinet serve" in capsys.readouterr().err and (served / "log").is_dir()
    ran = tmp_path / "ran"  # a folder `jukinet run` wrote: kind "run", no server flag
    ran.mkdir()
    (ran / MARKER).write_text(json.dumps({"kind": "run"}) + "\n")
    (ran / "summary.json").write_text("{}")
    with pytest.raises(UserError, match="did not write"):
        prepare_folder(ran)
    prepare_folder(served)  # a server's own folder: its log resumes


def test_frames_refuse_what_is_not_a_json_object() -> None:
    async def read(data: bytes) -> dict[str, Any] | None:
        r = asyncio.StreamReader()
        r.feed_data(data)
        r.feed_eof()
        return await read_frame(r, timeout=1)

    assert asyncio.run(read(encode({"a": 1}))) == {"a": 1}
    assert asyncio.run(read(b"")) is None
    for bad in (HEADER.pack(2) + b"[]", HEADER.pack(3) + b"\xff\xfe{", b"\x00\x00"):
        with pytest.raises(FrameError):
            asyncio.run(read(bad))
    with pytest.raises(FrameError):
        encode({"x": "y" * MAX_FRAME})


def test_capacity_rests_on_measured_service_times_and_shows_the_assumed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from jukinet.model.live.results import FILE_KIND

    st = tmp_path / "st.json"
    slow = {"n": 1000, "mean_s": 0.5, "cv": 0.5}  # slower than assumed: the measured answer needs more servers
    st.write_text(json.dumps({"kind": FILE_KIND, "classes": {"interactive": slow, "batch": {"n": 0}}}))
    argv = ["capacity", "--service-times", str(st), "--replications", "1", "--out", str(tmp_path / "cap"), "--json"]
    main(argv)
    res = json.loads(capsys.readouterr().out)
    assert res["rests_on"] == "measured service times"
    assert res["service_times"]["classes"]["interactive"]["used"] == "measured"
    assert res["service_times"]["classes"]["batch"]["used"] == "assumed"
    assert res["servers_needed"] > res["assumed"]["servers_needed"]
    assert "fewest servers, **measured** service times" in (tmp_path / "cap" / "report.md").read_text()
    st.write_text(json.dumps({"kind": "something else"}))
    assert main(argv) == 2
    assert "not a service-time file" in capsys.readouterr().err
