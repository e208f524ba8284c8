"""A run's own provision requests through the center's queue: the arrival times a whole-network run
recorded (interactive and batch), with service times drawn from the scenario's `[center.service]`,
served by the fast engine on the scenario's center.  At a scale below 1 the center sees only the
run's share of the year's load, so utilisation and waits are those of that lighter load; at scale 1
they are the year's (`jukinet loadtest` gives the full-scale figures at any scale)."""

from __future__ import annotations

from typing import Any

import numpy as np

from jukinet.model.queueing import fast
from jukinet.model.world.center import CenterConfig
from jukinet.model.world.workload import lognormal

QUANTILES = (0.5, 0.95, 0.99)


def serve_run(
    a_int: np.ndarray, a_bat: np.ndarray, center: CenterConfig, scale: float, rng: np.random.Generator
) -> dict[str, Any]:
    """Waits and response times (s) of the run's requests, per class, and the center's utilisation."""
    servers = center.servers
    a0, a1 = np.sort(a_int), np.sort(a_bat)
    svc = center.service
    s0 = lognormal(rng, svc.interactive_mean, svc.interactive_cv, len(a0)) + svc.translation_s  # the hub's
    s1 = lognormal(rng, svc.batch_mean, svc.batch_cv, len(a1)) + svc.translation_s  # translation, if any
    first = min(a0[0] if len(a0) else np.inf, a1[0] if len(a1) else np.inf)
    free = np.full(servers, 0.0 if not np.isfinite(first) else first)
    st0, st1 = fast.serve(a0, s0, a1, s1, free)
    out: dict[str, Any] = {
        "servers": servers,
        "scale": scale,
        "note": "the run's own requests on the scenario's center: at a scale below 1 a lighter load than the year's "
        "(jukinet loadtest gives the full-scale figures); service times [ASSUMPTION] from [center.service]",
    }
    busy = float(s0.sum() + s1.sum())
    span = float(max(free.max(), first) - first) if np.isfinite(first) else 0.0
    out["utilisation"] = busy / (servers * span) if span > 0 else 0.0
    for name, a, s, st in (("interactive", a0, s0, st0), ("batch", a1, s1, st1)):
        w = st - a
        row: dict[str, Any] = {"requests": int(len(a))}
        if len(w):
            row["wait_mean_s"] = float(w.mean())
            row.update({f"wait_p{round(q * 100)}_s": float(np.quantile(w, q)) for q in QUANTILES})
            row.update({f"response_p{round(q * 100)}_s": float(np.quantile(w + s, q)) for q in QUANTILES})
        out[name] = row
    return out
