"""Build model/data/prefectures.tsv and model/data/municipalities.tsv from the reference tables.

    python tools/build_calibration.py REFERENCE_DIR model/data

REFERENCE_DIR holds prefectures_municipality_detail.tsv and municipalities_2007-03-31.tsv (sources:
PREF_SOURCE and MUNI_SOURCE below).

Keeps the columns jukinet uses and a source column; designated-city wards are dropped
(the designated city keeps one register; its wards are not separate register-keeping units
for Juki-net notification in this model [ASSUMPTION]).
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

PREF_SOURCE = (
    "population: Statistics Bureau, 2005 census time series c01.csv; municipalities on 2007-03-31: "
    "e-Stat municipality change data via jpcity (UchidaMizuki/jpcity); names: code4fukui/localgovjp (CC0)"
)
MUNI_SOURCE = "e-Stat municipality change data via jpcity (MIT), units valid on 2007-03-31"


def main(ref: Path, out: Path) -> None:
    with (ref / "prefectures_municipality_detail.tsv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    with (out / "prefectures.tsv").open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, delimiter="\t", lineterminator="\n")
        w.writerow(
            [
                "code",
                "name_en",
                "name_ja",
                "pop_2005",
                "municipalities",
                "cities",
                "towns",
                "villages",
                "designated_cities",
                "tokyo_special_wards",
                "source",
            ]
        )
        for r in rows:
            w.writerow(
                [
                    r["code"],
                    r["name_en"],
                    r["name_ja"],
                    r["pop_2005_census"],
                    r["munis_2007_03_31"],
                    r["shi_2007_03_31"],
                    r["machi_2007_03_31"],
                    r["mura_2007_03_31"],
                    r["designated_cities_2007_03_31"],
                    r["tokyo_special_wards"],
                    PREF_SOURCE,
                ]
            )
    with (ref / "municipalities_2007-03-31.tsv").open(encoding="utf-8") as f:
        munis = [m for m in csv.DictReader(f, delimiter="\t") if m["type"] != "designated_city_ward"]
    with (out / "municipalities.tsv").open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, delimiter="\t", lineterminator="\n")
        w.writerow(["lgcode", "pref", "name_ja", "type", "source"])
        for m in munis:
            w.writerow([m["lgcode6"], m["city_code"][:2], m["name"], m["type"], MUNI_SOURCE])


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
