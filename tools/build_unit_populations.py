"""Build model/data/unit_populations.tsv: every register-keeping unit's register population on 2006-03-31.

Run once by a maintainer when the reference table changes (needs `pip install xlrd`):

    python tools/build_unit_populations.py 0603sjin.xls model/data/unit_populations.tsv

The table is MIC's 「平成18年3月31日住民基本台帳人口・世帯数、平成17年度人口動態（市区町村別）」 (住民基本台帳に基づく
人口、人口動態及び世帯数調査, e-Stat toukei 00200241; CC BY 4.0), column F (平成18年 人口 計), as copied in the
GitHub repository passaglia/japandata-sources at commit 3f31b541cc89236a9e3673f89b86e73aa3ca7149, path
population/populationdata/sjin/0603sjin.xls (sha256 dea33ea8455b12c96f3ca7e0ec0151b689137609507a66c7899ac3a1037126e6;
the next commit removed it from the tree, so it is cited by this commit).  Its boundaries are those of 2006-03-31;
the four changes that took effect on 2006-04-01, the first day of the fiscal year, are applied here (APRIL1).

The units written are those in being as FY2006 starts (model/data/municipalities.tsv and
municipalities_abolished.tsv, less the units the defaults' `[network] merged` and `pending` put out of being).
Designated cities are taken by their city row (their ward rows are checked to sum to it, not added); county
subtotals, the Tokyo islands' subtotal and the national and prefecture rows are checked, not used; the six
Northern-Territories villages (population 0, no register) are left out.  Every check is an assertion: the total
is the register's 127,055,025 and every prefecture equals calibration.toml `[resident_register]`.
"""

from __future__ import annotations

import collections
import csv
import hashlib
import sys
import tomllib
from pathlib import Path

import xlrd  # type: ignore[import-not-found]

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from jukinet.model.config.scenario import load  # noqa: E402
from jukinet.model.law.codes import municipal_code  # noqa: E402
from jukinet.model.world.mergers import out_of_being  # noqa: E402
from jukinet.model.world.population import unit_rows  # noqa: E402

SHA256 = "dea33ea8455b12c96f3ca7e0ec0151b689137609507a66c7899ac3a1037126e6"
SOURCE = "MIC register 2006-03-31 by municipality (e-Stat 00200241; passaglia/japandata-sources@3f31b54, 0603sjin.xls)"
# changes in force on 2006-04-01, after the table's day: table code -> the unit of the year's first day
APRIL1 = {
    "234281": ("232351", "弥富町 became 弥富市 on 2006-04-01"),
    "234265": ("232351", "十四山村 merged into 弥富市 on 2006-04-01"),
    "272019": ("271403", "堺市 took code 271403 as a designated city on 2006-04-01"),
    "303267": ("302091", "岩出町 became 岩出市 on 2006-04-01"),
}
NATIONAL_TOTAL = 127_055_025


def read_table(xls: Path) -> tuple[dict[str, tuple[str, int]], dict[str, int]]:
    """(municipality rows: code -> (name, population), prefecture rows: pref -> population), every row checked."""
    assert hashlib.sha256(xls.read_bytes()).hexdigest() == SHA256, "not the cited table"
    sh = xlrd.open_workbook(str(xls)).sheet_by_index(0)
    assert str(sh.cell_value(0, 0)).startswith("平成18年3月31日住民基本台帳人口")
    assert sh.row_values(1)[3] == "平成18年" and sh.row_values(3)[5] == "計"
    munis: dict[str, tuple[str, int]] = {}
    pref: dict[str, int] = {}
    wards: list[tuple[str, str, int]] = []
    for r in range(5, sh.nrows):
        row = sh.row_values(r)
        code, name, pop = str(row[0]).strip(), str(row[2]).strip(), int(row[5])
        if not code:  # the Tokyo islands' subtotal (checked by the prefecture sum)
            continue
        assert len(code) == 6 and municipal_code(code[:5]) == code, row
        if code[2:5] == "000":
            pref[code[:2]] = pop
        elif code[4] == "0" and code[2] >= "3" and name.endswith("郡"):
            continue  # a county subtotal
        elif 1695 <= int(code[:5]) <= 1700:
            assert pop == 0  # Northern Territories
        elif code[2] == "1" and code[:2] != "13" and code[2:5] not in ("100", "130"):
            wards.append((code, name, pop))  # a designated city's ward
        else:
            assert code not in munis
            munis[code] = (name, pop)
    sums: collections.Counter[str] = collections.Counter()
    for code, name, pop in wards:
        city = [c for c in munis if c[:2] == code[:2] and c[2:5] in ("100", "130") and name.startswith(munis[c][0])]
        assert len(city) == 1, (code, name)
        sums[city[0]] += pop
    assert all(munis[c][1] == s for c, s in sums.items()), "a designated city's wards do not sum to it"
    for p, pop in pref.items():
        assert pop == sum(v for c, (_, v) in munis.items() if c[:2] == p), p
    return munis, pref


def main(xls: Path, out: Path) -> None:
    munis, pref = read_table(xls)
    net = load(None).config.network
    gone = out_of_being(net.merged, net.pending)
    units = [r for r in unit_rows() if r["lgcode"] not in gone]
    codes = {r["lgcode"] for r in units}
    into: dict[str, list[str]] = collections.defaultdict(list)
    for code in munis:
        target = code if code in codes else APRIL1[code][0]  # KeyError: a table row no unit of the year takes
        into[target].append(code)
    assert set(into) == codes, sorted(codes ^ set(into))
    register = tomllib.loads((REPO / "model/data/calibration.toml").read_text(encoding="utf-8"))["resident_register"]
    by_pref: collections.Counter[str] = collections.Counter()
    with out.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, delimiter="\t", lineterminator="\n")
        w.writerow(["lgcode", "name_ja", "population", "constituents", "source"])
        for r in units:
            parts = sorted(into[r["lgcode"]])
            pop = sum(munis[c][1] for c in parts)
            by_pref[r["pref"]] += pop
            notes = "; ".join(APRIL1[c][1] for c in parts if c in APRIL1)
            w.writerow([r["lgcode"], r["name_ja"], pop, ",".join(parts), SOURCE + (f"; {notes}" if notes else "")])
    assert sum(by_pref.values()) == NATIONAL_TOTAL == register["total"]
    assert dict(by_pref) == register["prefecture"] == pref, "a prefecture differs from calibration.toml"
    print(f"{len(units)} units, {sum(by_pref.values()):,} residents, 47 prefectures equal to calibration.toml")


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
