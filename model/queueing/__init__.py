"""The center as a queue: c identical servers, two request classes with non-preemptive priority
(interactive before batch, FCFS within a class), an optional outage window.

Two engines consume the same arrays (one random stream): `fast.serve` (numba, no Python object
per request) and `reference.serve` (simpy).  `erlang` has the analytic M/M/c results.
"""
