"""jukinet: a testbed of Japan's Basic Resident Registry Network (Juki-net) as of FY2006.

`model` holds the system under test, one subpackage per layer.  Data flows
scenario -> config -> law + world -> sim / queueing (and `proofs/`) -> records -> audit / report,
and a layer imports only the layers below it (tests/test_layers.py enforces the order):

    core      errors, immutable records, run stamps, atomic output     (imports nothing of ours)
    data      the embedded data files and their readers                 (imports nothing of ours)
    law       the Act and the system configuration as data, the evaluator, the flow model
    world     calendar, municipalities, network graph, workload, the center's capacity
    config    a scenario: load, merge onto the defaults, validate, build law + world
    queueing  the center as a queue: engines, Erlang C, the load test
    sim       the whole-network simulation (simpy) and the records it writes
    audit     checks of a run's records and log; disclosure to a resident
    live      the live reference center: a TLS server over a real database, and its load generator
    report    summaries, plots, maps and reports (Markdown, self-contained HTML) of runs and load tests
    workbench replications, comparisons and sweeps (inline or on Dask) and what they write
    cli       the `jukinet` command

`proofs/` (the SMT side, and the conformance code that joins it to the simulation) sits above
`report` and below `workbench` and `cli`; the public Python API is the package `jukinet`.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("jukinet")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    __version__ = "0.0.0"
