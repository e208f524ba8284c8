"""Drawing a flow counterexample's route for the proof report (matplotlib, outside the model core)."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def draw_route(cex: dict[str, Any], title: str, path: Path) -> Path:
    """One box per holder along the route, an arrow per hop labelled with its message and rule; the
    last box (the unlawful holding) in red.  Writes a PNG and returns its path."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    route = cex.get("route", [])
    holders = [route[0]["from"]] + [h["to"] for h in route] if route else [cex.get("holder", "?")]
    width = max(6.0, 3.2 * len(holders))
    fig, ax = plt.subplots(figsize=(width, 2.8))
    ax.set_xlim(-0.6, len(holders) - 0.4)
    ax.set_ylim(-1.2, 1.2)
    ax.axis("off")
    for i, h in enumerate(holders):
        last = i == len(holders) - 1
        ax.text(
            i,
            0.3,
            h.replace("[", "\n["),
            ha="center",
            va="center",
            fontsize=9,
            bbox={"boxstyle": "round", "fc": "#f8d0d0" if last else "#e8eef8", "ec": "#a00" if last else "#335"},
        )
    for i, hop in enumerate(route):
        ax.annotate("", xy=(i + 0.72, 0.3), xytext=(i + 0.28, 0.3), arrowprops={"arrowstyle": "->", "lw": 1.5})
        label = f"{hop['item']} by {hop['message']}\n{hop['rule'][:40]}\nArt. {', '.join(hop['articles']) or '-'}"
        ax.text(i + 0.5, -0.55, label, ha="center", va="center", fontsize=7)
    token = cex.get("token", {})
    ax.set_title(f"{title}: {token.get('item', '')} reaches {cex.get('holder', '')}", fontsize=10)
    facts = f"left body: {token.get('left_body', '-')}; provided for: {token.get('provided_for', '-')}"
    ax.text(len(holders) / 2 - 0.5, -1.1, f"{cex.get('why_unlawful', '')} ({facts})", ha="center", fontsize=7, color="#a00")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
