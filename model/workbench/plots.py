"""The workbench's plots: figures with intervals side by side, their paired differences from the first point, and
a sweep's curves (the maps of Japan: model/report/maps.py)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from jukinet.model.workbench.replica import METRICS  # noqa: E402


def _grid(n: int) -> tuple[int, int]:
    cols = min(4, n)
    return math.ceil(n / cols), cols


def compare_plot(stats: Sequence[dict[str, Any]], path: Path) -> Path:
    """One panel per figure: each point's mean with its 95 % interval."""
    keys = list(METRICS)
    rows, cols = _grid(len(keys))
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 2.9 * rows), squeeze=False)
    labels = [s["label"] for s in stats]
    for ax, key in zip(axes.flat, keys, strict=False):
        means = [s["figures"][key]["mean"] for s in stats]
        errs = [s["figures"][key]["ci"] or 0.0 for s in stats]
        ax.bar(range(len(stats)), means, yerr=errs, capsize=4, color=[f"C{i}" for i in range(len(stats))])
        ax.set_title(METRICS[key][0], fontsize=8)
        ax.set_xticks(range(len(stats)), [lb[:18] for lb in labels], fontsize=7, rotation=15)
        ax.tick_params(axis="y", labelsize=7)
    for ax in list(axes.flat)[len(keys) :]:
        ax.axis("off")
    fig.suptitle("Key figures: mean and 95 % interval over replications", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


def difference_plot(stats: Sequence[dict[str, Any]], path: Path) -> Path:
    """One panel per figure: each later point's paired difference from the first (same seeds, so measured within each
    replication), with its 95 % interval; a filled bar's interval excludes zero, a hollow one's does not."""
    keys = list(METRICS)
    rows, cols = _grid(len(keys))
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 2.9 * rows), squeeze=False)
    later = list(stats[1:])
    for ax, key in zip(axes.flat, keys, strict=False):
        d = [s["figures"][key]["difference"] for s in later]
        x = np.arange(len(later))
        means = np.array([v["mean"] for v in d], dtype=float)
        errs = np.array([v["ci"] if v["ci"] is not None else 0.0 for v in d], dtype=float)
        filled = [bool(v["significant"]) for v in d]
        colours = [f"C{i + 1}" if f else "white" for i, f in enumerate(filled)]
        ax.bar(x, means, yerr=errs, capsize=4, color=colours, edgecolor=[f"C{i + 1}" for i in range(len(later))])
        ax.axhline(0.0, color="black", linewidth=0.8)
        if not means.any() and not errs.any():  # the same in every replication (common random numbers)
            ax.text(0.5, 0.7, "no difference", transform=ax.transAxes, ha="center", fontsize=8, color="grey")
        ax.set_title(METRICS[key][0], fontsize=8)
        ax.set_xticks(x, [s["label"][:18] for s in later], fontsize=7, rotation=15)
        ax.tick_params(axis="y", labelsize=7)
    for ax in list(axes.flat)[len(keys) :]:
        ax.axis("off")
    first = stats[0]["label"]
    fig.suptitle(f"Paired differences from {first}: mean and 95 % interval (filled: the interval excludes 0)", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


def sweep_plot(stats: Sequence[dict[str, Any]], key: str, path: Path) -> Path:
    """One panel per figure: the figure against the swept parameter (other parameters as separate lines)."""
    keys = list(METRICS)
    rows, cols = _grid(len(keys))
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 2.9 * rows), squeeze=False)
    groups: dict[str, list[dict[str, Any]]] = {}
    for s in stats:
        rest = ", ".join(f"{k}={v}" for k, v in s["params"].items() if k != key)
        groups.setdefault(rest, []).append(s)
    values = list(dict.fromkeys(s["params"][key] for s in stats))
    numeric = all(isinstance(v, int | float) and not isinstance(v, bool) for v in values)
    for ax, m in zip(axes.flat, keys, strict=False):
        for i, (rest, ss) in enumerate(groups.items()):
            # a value that is not a number (a scheme's name, true/false) stands at its place in the order given
            x = np.array([float(s["params"][key]) if numeric else values.index(s["params"][key]) for s in ss])
            y = np.array([s["figures"][m]["mean"] for s in ss])
            e = np.array([s["figures"][m]["ci"] or 0.0 for s in ss])
            o = np.argsort(x)
            ax.plot(x[o], y[o], marker="o", color=f"C{i}", label=rest or None)
            ax.fill_between(x[o], (y - e)[o], (y + e)[o], color=f"C{i}", alpha=0.2)
        ax.set_title(METRICS[m][0], fontsize=8)
        ax.set_xlabel(key, fontsize=7)
        if not numeric:
            ax.set_xticks(range(len(values)), [str(v) for v in values])
        ax.tick_params(labelsize=7)
    for ax in list(axes.flat)[len(keys) :]:
        ax.axis("off")
    if len(groups) > 1:
        axes.flat[0].legend(fontsize=6)
    fig.suptitle(f"Sweep over {key}: mean and 95 % interval over replications", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path
