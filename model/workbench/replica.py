"""One replication of one scenario (with sweep parameters applied): the run, measured.

`run_replica` is what a Dask worker executes: given the scenario (built and checked once, in the process
that asks), it runs it into a temporary folder of its own, and returns the key figures and the per-prefecture figures
the map shows.  The same seed gives the same figures on any worker (the run's one generator)."""

from __future__ import annotations

import datetime as dt
import tomllib
from pathlib import Path
from typing import Any

from jukinet.model.config.scenario import Scenario, load
from jukinet.model.core.errors import UserError
from jukinet.model.core.output import scratch
from jukinet.model.report.figures import FIGURES

# key -> (label, unit): what compare and sweep report, each read from a run's summary.json (`measure`)
METRICS: dict[str, tuple[str, str]] = {  # label and unit: the run's figures marked `compare` (model.report.figures), then
    **{f.key: (f.label, f.unit) for f in FIGURES if f.compare},  # what the workbench derives from the summary (measure)
    "changes_withheld_or_not_sent": ("changes withheld or not sent (C16)", "changes"),
    "center_utilisation": ("center utilisation", "share"),
    "center_interactive_wait_p99_s": ("center interactive p99 wait", "s"),
    "linkage_pairs_of_bodies_joined": ("pairs of bodies that can join records (L01)", "pairs"),
    "linkage_records_joinable": ("residents' records joinable by a common identifier (L01)", "records"),
}
# a share of the register population holding a card by year end, spread over the units by population
SHORTHANDS = {"cards.uptake": "cards.holders_end"}


def measure(summary: dict[str, Any]) -> dict[str, float]:
    f = summary["figures"]
    q = summary["center_queue"]
    k = summary["linkage"]
    out = {key: float(f[key]["value"]) for key in METRICS if key in f}
    out["changes_withheld_or_not_sent"] = float(
        f["notifications_withheld"]["value"] + f["notifications_not_sent_disconnected"]["value"]
    )
    out["center_utilisation"] = float(q["utilisation"])
    out["center_interactive_wait_p99_s"] = float(q["interactive"].get("wait_p99_s", 0.0))
    out["linkage_pairs_of_bodies_joined"] = float(k["pairs_of_bodies_joined"])
    out["linkage_records_joinable"] = float(k["records_joinable"])
    return out


def sources(summary: dict[str, Any]) -> dict[str, str]:
    """Where each figure of METRICS comes from, as the run's summary says ([ASSUMPTION] where it is one)."""
    f = summary["figures"]
    out = {key: str(f[key]["source"]) for key in METRICS if key in f}
    out["changes_withheld_or_not_sent"] = "C16: withheld at a withholding CS, or recorded at a disconnected CS and never sent"
    out["center_utilisation"] = out["center_interactive_wait_p99_s"] = summary["center_queue"]["note"]
    out["linkage_pairs_of_bodies_joined"] = out["linkage_records_joinable"] = (
        "identifiers received in the run's provisions (model/law/linkage.py); identifiers only, not the four basic items"
    )
    return out


def assumptions(path: Path) -> list[str]:
    """The lines marked [ASSUMPTION] in a scenario file and the files it extends (not the defaults)."""
    out: list[str] = []
    seen: set[Path] = set()
    p: Path | None = path.resolve()
    while p is not None and p not in seen and p.is_file():
        seen.add(p)
        text = p.read_text(encoding="utf-8")
        out += [f"{p.name}: {line.strip()}" for line in text.splitlines() if "[ASSUMPTION" in line]
        data = tomllib.loads(text)
        ext = data.get("scenario", {}).get("extends")
        p = (p.parent / ext).resolve() if isinstance(ext, str) else None
    return out


def parse_param(text: str) -> tuple[str, list[Any]]:
    """`KEY=V1,V2,...` -> (KEY, values as TOML reads them); one line naming what is allowed otherwise."""
    key, eq, values = text.partition("=")
    key = key.strip()
    parts = [v.strip() for v in values.split(",")]
    if not eq or not key or not all(parts) or any(not p.isidentifier() for p in key.split(".")):
        raise UserError("--param", text, "allowed: SECTION.KEY=V1,V2,... (e.g. cards.uptake=0.01,0.1,0.3,0.6)")
    if key.split(".")[0] == "scenario":
        raise UserError("--param", text, "allowed: a key outside [scenario] (the point's name is made from its values)")
    allowed = "allowed: numbers, true/false or words (a table or list cannot be swept; a date or time is read as text)"
    out = []
    for p in parts:
        if any(c in p for c in "\r\n"):
            raise UserError("--param", text.replace("\n", "\\n"), f"a value with a line break; {allowed}")
        try:
            v = tomllib.loads(f"v = {p}")
        except tomllib.TOMLDecodeError:
            v = {"v": p}  # a bare word: a string
        if isinstance(v.get("v"), dt.date | dt.time):  # a day or a time, as the keys that take one spell it
            v = {"v": p}
        if set(v) != {"v"} or not isinstance(v["v"], bool | int | float | str):
            raise UserError("--param", text, f"value {p!r}; {allowed}")
        out.append(v["v"])
    return key, out


def _toml(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int | float):
        return repr(v)
    if isinstance(v, str):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(v, list):
        return "[" + ", ".join(_toml(x) for x in v) + "]"
    raise TypeError(v)


def with_params(path: Path, params: tuple[tuple[str, Any], ...], folder: Path) -> Scenario:
    """The scenario at `path` with each (KEY, value) set: a layer that `extends` it, checked like any file."""
    if not params:
        return load(path)
    base = load(path)
    lines = []
    for key, value in params:
        if key == "cards.uptake":
            if not isinstance(value, int | float) or not 0 <= value <= 1:
                raise UserError("--param", f"cards.uptake={value}", "allowed: a share in [0, 1]")
            value = round(float(value) * base.population)
            lines.append("cards.unit_share = {}")  # a what-if share of everyone: spread by population, no unit's own
        lines.append(f"{SHORTHANDS.get(key, key)} = {_toml(value)}")
    name = base.config.scenario.name
    lines += ["[scenario]", f'name = "{name}"', f"extends = {_toml(path.resolve().as_posix())}"]
    layer = folder / f"{name}-params.toml"
    layer.write_text("\n".join(lines) + "\n", encoding="utf-8")
    try:
        return load(layer)
    except UserError as err:  # name the parameter, not the temporary file
        raise UserError("--param", ",".join(f"{k}={v}" for k, v in params), str(err).split(": ", 1)[-1]) from None


def run_replica(sc: Scenario, scale: float, seed: int, maps: bool = False) -> dict[str, Any]:
    """Run one replication in a temporary folder of its own; return its figures (and the map's, if asked).
    The scenario travels whole (it pickles to about 0.2 MB), so a worker needs none of the files."""
    from jukinet.model.report.run import execute

    with scratch("replica") as d:  # a folder a killed replica left is cleared by the next (model.core.output)
        summary = execute(sc, scale, seed, Path(d) / "run")
        out: dict[str, Any] = {"metrics": measure(summary), "sources": sources(summary)}
        if maps:
            out["prefectures"] = summary["prefectures"]  # computed by the run for its own map
    return out
