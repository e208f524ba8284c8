"""Where the FY2006 annex tables differ from the 2012 consolidated text that tools/build_annex.py reads:
rows under later statutes, rows another act's later amendment added, statutes renamed since (the renaming
acts are named in tools/annex_dates.py)."""

from __future__ import annotations

# Statutes in force only after FY2006 (2007-03-31): rows under them were not in the FY2006 table (their days:
# annex_dates.STATUTE_DATES; the Act No. 18 of 2007 was promulgated 2007-03-31, in force 2007-04-01).
POST_FY2006 = {
    "執行官法の一部を改正する法律",
    "資金決済に関する法律",
    "新型インフルエンザ予防接種による健康被害の救済に関する特別措置法",
    "特定Ｂ型肝炎ウイルス感染者給付金等の支給に関する特別措置法",
    "職業訓練の実施等による特定求職者の就職の支援に関する法律",
    "総合特別区域法",
    "福島復興再生特別措置法",
    "地方公務員等共済組合法の一部を改正する法律",
}

# Rows the 2012 text holds that a later amendment of another act added (not in the FY2006 table), with the source.
OKINAWA_2012 = (
    "added by the 2012 amendment of the Act on Special Measures for Okinawa Promotion, Art. 12 "
    "(Okinawa special guide interpreters; Cabinet Office material of July 2012)"
)
ADDED_LATER = {"A3-26-2": OKINAWA_2012, "A5-31-2": OKINAWA_2012}

# Statutes whose FY2006 name differs from the 2012 text's (English; the Japanese names: annex_dates.FY2006_LAW_JA).
FY2006_NAMES = {
    "金融商品取引法": "Securities and Exchange Act (証券取引法) in FY2006; renamed the Financial Instruments and Exchange Act "
    "from 2007-09-30",
    "貸金業法": "Money Lending Business Control Act (貸金業の規制等に関する法律) in FY2006; renamed the Money Lending "
    "Business Act from 2007-12-19",
    "商品先物取引法": "Commodity Exchange Act (商品取引所法) in FY2006; renamed the Commodity Derivatives Act from 2011-01-01",
}


def cite(table: int, label: str, rid: str) -> str:
    text = f"Basic Resident Registers Act, annex table {table}, row {label} (2012 text)"
    return f"{text}; {ADDED_LATER[rid]}" if rid in ADDED_LATER else text
