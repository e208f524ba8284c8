"""jukinet: a testbed of Japan's Basic Resident Registry Network (Juki-net) as of FY2006.

The public Python API: what notebooks and users import, instead of reaching into `model` or
`proofs`.

    import jukinet

    sc = jukinet.load()                                   # the embedded FY2006 defaults
    sc = jukinet.load("scenarios/cards_30pct.toml")       # or a scenario file
    results = jukinet.prove(sc)                           # C01-C16: solver queries and checked facts
    links = jukinet.linkage(sc)                           # who can join whose records by the code
    changes = jukinet.diff(jukinet.load(), sc)            # what an amendment newly permits or forbids
    summary = jukinet.run(sc, "out/runs/mine", scale=0.01, seed=2006)   # the fiscal year, simulated
    findings = jukinet.audit("out/runs/mine")             # a run's records against the catalogue
    year = jukinet.loadtest(sc, period="busiest-day")     # the center at national volume
    need = jukinet.capacity(sc, "p99<2s")                 # the fewest servers that meet an SLO
    points = jukinet.compare(["scenarios/fy2006_baseline.toml", "scenarios/my_number_pseudonyms.toml"])
    table, points = jukinet.sweep("scenarios/fy2006_baseline.toml", {"cards.uptake": [0.01, 0.3]})
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jukinet.model import __version__  # the installed distribution's (model/__init__.py)
from jukinet.model.audit.checks import audit as _audit
from jukinet.model.config.scenario import Scenario, load
from jukinet.model.queueing.loadtest import SLO
from jukinet.model.queueing.loadtest import capacity as _capacity
from jukinet.model.queueing.loadtest import loadtest as _loadtest
from jukinet.proofs.catalogue import prove
from jukinet.proofs.diff import diff

__all__ = [
    "Scenario",
    "__version__",
    "audit",
    "capacity",
    "compare",
    "diff",
    "linkage",
    "load",
    "loadtest",
    "prove",
    "run",
    "sweep",
]


def run(sc: Scenario, out: str | Path, scale: float = 0.01, seed: int = 2006) -> dict[str, Any]:
    """Simulate the fiscal year over the whole network; the run folder `out` appears whole at the end.
    Returns the summary (every figure with its unit, source, expected value and interval)."""
    from jukinet.model.report.run import execute

    return execute(sc, scale, seed, Path(out))


def compare(
    paths: list[str | Path], replications: int = 3, scale: float = 0.001, seed: int = 2006, workers: int = 1
) -> list[dict[str, Any]]:
    """Each scenario replicated with the same seeds: per scenario, each key figure's mean and 95 % interval,
    and its paired difference from the first scenario (`jukinet compare` without the proofs and files)."""
    from jukinet.model.workbench.grid import Point, run_tasks, statistics, tasks_of

    points = [Point(load(p).config.scenario.name, str(Path(p).resolve())) for p in paths]
    tasks = tasks_of(points, replications, seed)
    return statistics(points, tasks, run_tasks(points, tasks, scale, workers))


def sweep(
    path: str | Path,
    params: dict[str, list[Any]],
    replications: int = 3,
    scale: float = 0.001,
    seed: int = 2006,
    workers: int = 1,
    scheduler: str | None = None,
) -> tuple[Any, list[dict[str, Any]]]:
    """The scenario at every combination of the parameter values (dotted keys; `cards.uptake` a share),
    replicated: the tidy table (pyarrow) and each point's means and intervals."""
    import itertools

    from jukinet.model.workbench.grid import Point, run_tasks, statistics, tasks_of, tidy

    keys = list(params)
    grid = [tuple(zip(keys, combo, strict=True)) for combo in itertools.product(*params.values())]
    points = [Point(", ".join(f"{k}={v}" for k, v in g), str(Path(path).resolve()), g) for g in grid]
    tasks = tasks_of(points, replications, seed)
    results = run_tasks(points, tasks, scale, workers, scheduler)
    return tidy(points, tasks, results), statistics(points, tasks, results)


def audit(run_folder: str | Path, trust: str | Path | None = None) -> dict[str, Any]:
    """Check a run's records against the constraint catalogue; each finding names the record.  With `trust`
    (the public keys of `jukinet keys`), also the run's signed, witnessed heads."""
    return _audit(Path(run_folder), Path(trust) if trust is not None else None)


def linkage(sc: Scenario, item: str = "code") -> dict[str, Any]:
    """For each body, the affair compartments in which it can come to hold `item` (名寄せ)."""
    from jukinet.model.law.flow import Flow
    from jukinet.proofs.linkage import linkage as _linkage

    return _linkage(Flow(sc.graph, sc.policy, sc.config.statute), item)


def loadtest(
    sc: Scenario,
    servers: int | None = None,
    replications: int = 3,
    period: str = "year",
    seed: int = 2006,
    engine: str = "fast",
    scheduler: str | None = None,
) -> dict[str, Any]:
    """A fiscal year (or its busiest day) of provision requests against the center, replicated on Dask
    (a local cluster, or `scheduler`): utilisation and latency percentiles with intervals."""
    return _loadtest(
        sc,
        servers=servers,
        replications=replications,
        engine=engine,
        seed=seed,
        period=period,
        volume_scale=1.0,
        scheduler=scheduler,
        workers=None,
    )


def capacity(sc: Scenario, slo: str = "p99<2s", replications: int = 5, seed: int = 2006) -> dict[str, Any]:
    """The fewest servers whose busiest-hour interactive response meets `slo` (e.g. "p99<2s")."""
    return _capacity(sc, SLO.parse(slo), replications=replications, seed=seed)
