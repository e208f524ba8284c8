"""Japan's 47 prefectures on a map: a run's figures per prefecture, and the map drawn with matplotlib from
the japanmap package's prefecture outlines."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pyarrow as pa  # noqa: E402
import pyarrow.compute as pc  # noqa: E402
import pyarrow.parquet as pq  # noqa: E402
from matplotlib.collections import PolyCollection  # noqa: E402

MAP_TITLES = {
    "notifications_per_1000": "notifications per 1,000 residents",
    "provisions_per_1000": "provisions per 1,000 residents",
    "card_events_per_1000": "card events per 1,000 residents",
    "withheld_or_unsent": "changes withheld or not sent (C16)",
}


def _prefecture_index(column: Any) -> np.ndarray:
    """0..46 per row of a column of lgcodes, read through its dictionary (one parse per distinct code)."""
    arr = column.combine_chunks() if hasattr(column, "combine_chunks") else column
    enc = arr if pa.types.is_dictionary(arr.type) else pc.dictionary_encode(arr)
    lookup = np.array([int(str(c)[:2]) - 1 for c in enc.dictionary.to_pylist()] or [0], dtype=np.int64)
    return lookup[enc.indices.to_numpy(zero_copy_only=False).astype(np.int64)] if len(enc) else np.zeros(0, np.int64)


def prefecture_figures(run: Path) -> dict[str, list[float]]:
    """Per prefecture (01..47): residents, and per 1,000 residents the notifications, provisions and card
    events of the run; the changes withheld (the access log's `withhold`) or never at the center (C16)."""
    rec = run / "records"
    res = pq.read_table(rec / "residents.parquet", columns=["code", "cs"])
    pref_of_res = _prefecture_index(res.column("cs"))
    residents = np.bincount(pref_of_res, minlength=47).astype(float)
    order = np.argsort(res.column("code").to_numpy())
    codes_sorted = res.column("code").to_numpy()[order]

    def by_code(codes: np.ndarray) -> np.ndarray:
        i = np.clip(np.searchsorted(codes_sorted, codes), 0, len(codes_sorted) - 1)
        hit = codes_sorted[i] == codes
        return np.bincount(pref_of_res[order[i[hit]]], minlength=47).astype(float)

    nt = pq.read_table(rec / "notifications.parquet", columns=["cs", "at_center"])
    note_pref = _prefecture_index(nt.column("cs"))
    notifications = np.bincount(note_pref, minlength=47).astype(float)
    unsent = np.bincount(note_pref[np.isnan(nt.column("at_center").to_numpy())], minlength=47).astype(float)
    prov = pq.read_table(rec / "provisions.parquet", columns=["code", "allowed"])
    provisions = by_code(prov.column("code").to_numpy()[prov.column("allowed").to_numpy(zero_copy_only=False)])
    cards = by_code(pq.read_table(rec / "cards.parquet", columns=["code"]).column("code").to_numpy())
    log = pq.read_table(rec / "access_log.parquet", columns=["node", "action"])
    held = log.filter(pc.equal(log.column("action").cast("string"), "withhold")).column("node")
    withheld = unsent + np.bincount(_prefecture_index(pc.utf8_slice_codeunits(held.cast("string"), 3)), minlength=47)
    per = np.where(residents > 0, 1000.0 / np.maximum(residents, 1), math.nan)
    return {
        "residents": residents.tolist(),
        "notifications_per_1000": (notifications * per).tolist(),
        "provisions_per_1000": (provisions * per).tolist(),
        "card_events_per_1000": (cards * per).tolist(),
        "withheld_or_unsent": withheld.tolist(),
    }


def _shapes() -> list[list[np.ndarray]]:
    import japanmap

    qpqo = japanmap.get_data()
    return [[np.asarray(japanmap.pref_points(qpqo)[i])] for i in range(47)]


def japan_maps(figures: dict[str, list[float]], title: str, path: Path, difference: bool = False) -> Path:
    """Japan's 47 prefectures coloured by each figure of MAP_TITLES (one panel each); `difference`: the figures are
    differences, drawn on a diverging scale centred on zero (red above, blue below)."""
    shapes = _shapes()
    keys = [k for k in MAP_TITLES if k in figures]
    fig, axes = plt.subplots(1, len(keys), figsize=(4.6 * len(keys), 5.2), squeeze=False)
    for ax, key in zip(axes.flat, keys, strict=True):
        vals = np.asarray(figures[key], dtype=float)
        polys = [p for s in shapes for p in s]
        owner = [i for i, s in enumerate(shapes) for _ in s]
        span = float(np.nanmax(np.abs(vals))) if difference and np.isfinite(vals).any() else 0.0
        scale = {"cmap": "RdBu_r", "clim": (-span or -1.0, span or 1.0)} if difference else {"cmap": "viridis"}
        coll = PolyCollection(polys, array=vals[owner], edgecolors="white", linewidths=0.3, **scale)
        ax.add_collection(coll)
        ax.set_xlim(127.5, 146.2)
        ax.set_ylim(26.0, 45.8)
        ax.set_aspect(1.2)
        ax.axis("off")
        ax.set_title(MAP_TITLES[key] + (" (no difference)" if difference and span == 0 else ""), fontsize=9)
        fig.colorbar(coll, ax=ax, shrink=0.6)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path
