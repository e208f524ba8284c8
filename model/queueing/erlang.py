"""Analytic M/M/c results (Erlang C), the theory the engines are validated against."""

from __future__ import annotations

import math


def erlang_c(servers: int, offered: float) -> float:
    """Probability that an arrival waits in M/M/c with offered load a = lambda/mu < c."""
    if offered >= servers:
        return 1.0
    term, total = 1.0, 1.0
    for k in range(1, servers):
        term *= offered / k
        total += term
    top = term * offered / servers * servers / (servers - offered)
    return top / (total + top)


def mean_wait(arrival_rate: float, service_rate: float, servers: int) -> float:
    """Mean waiting time in queue, Wq = C(c, a) / (c mu - lambda)."""
    a = arrival_rate / service_rate
    if a >= servers:
        return math.inf
    return erlang_c(servers, a) / (servers * service_rate - arrival_rate)


def wait_quantile(q: float, arrival_rate: float, service_rate: float, servers: int) -> float:
    """The q-quantile of the waiting time: P(W > t) = C e^{-(c mu - lambda) t}."""
    c = erlang_c(servers, arrival_rate / service_rate)
    if 1 - q >= c:
        return 0.0
    return math.log(c / (1 - q)) / (servers * service_rate - arrival_rate)
