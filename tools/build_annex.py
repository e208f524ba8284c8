"""Build model/data/annex.toml from the Act's annex tables (2012 consolidated text).

Run once by a maintainer when the reference tables change:

    python tools/build_annex.py REFERENCE_DIR model/data/annex.toml

REFERENCE_DIR holds annex1_2012.tsv .. annex5_2012.tsv: the 2012 consolidated text of the Basic Resident
Registers Act's annex tables 1-5 (e-Gov 法令データ提供システム), one row a line (row label, receiving body,
affair; table 5: row label, affair).  The output is jukinet's own structured form of annex tables 1-5: an arabic
row id, the receiving bodies split into registry ids, the statute the affair falls under (Japanese name and
English name), an English gloss generated from the kind of affair, a citation, the service mode (interactive
lookup or scheduled batch matching), the days the row was in force with their source, and the statute's and
body's names of FY2006 where they differ (tools/annex_dates.py, which also restores the rows live in FY2006
that the 2012 text reads as deleted).  The Japanese affair text itself is not copied.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from annex_dates import HEADER, RESTORED, check_names, fields, kanji_number, q, restored, statute_years
from annex_fy2006 import FY2006_NAMES, cite


def row_id(label: str) -> str:
    """七十七の二 -> '77-2'."""
    parts = label.split("の")
    return "-".join(str(kanji_number(p)) for p in parts)


# Receiving bodies: Japanese name -> (registry id, English name, level).
# classes of corporations the annex names as one (指定試験機関, 指定登録機関): one is designated under each Act
DESIGNATED = ("designated_exam_body", "designated_registration_body")
DESIGNATED_WHY = (
    "a corporation designated under each Act its rows name, each a body of its own "
    '(the annex names the class; docs/sources.md, "Annex rows and their dates")'
)
# ids under which the annex names several separate corporations of one kind (the local public servants' mutual
# aid associations and their federations; the two travel agency associations, JATA and ANTA, designated under the
# Travel Agency Act; the surviving pension associations and the designated fund): two of them stand for them all
SEVERAL = ("local_mutual_aid", "travel_assoc", "pension_successor")
SEVERAL_WHY = "several separate corporations under one id, each a body of its own (the annex names them together)"
BODIES: dict[str, tuple[str, str, str]] = {
    "金融庁": ("fsa", "Financial Services Agency", "national"),
    "財務省": ("mof", "Ministry of Finance", "national"),
    "農林水産省": ("maff", "Ministry of Agriculture, Forestry and Fisheries", "national"),
    "厚生労働省": ("mhlw", "Ministry of Health, Labour and Welfare (incl. the Social Insurance Agency in FY2006)", "national"),
    "日本年金機構": (
        "mhlw",
        "Ministry of Health, Labour and Welfare (the Social Insurance Agency in FY2006; Japan Pension Service from 2010)",
        "national",
    ),
    "全国健康保険協会": (
        "mhlw",
        "Ministry of Health, Labour and Welfare (the Social Insurance Agency in FY2006; Japan Health Insurance Association from 2008)",
        "national",
    ),
    "総務省": ("mic", "Ministry of Internal Affairs and Communications", "national"),
    "法務省": ("moj", "Ministry of Justice", "national"),
    "外務省": ("mofa", "Ministry of Foreign Affairs", "national"),
    "文部科学省": ("mext", "Ministry of Education, Culture, Sports, Science and Technology", "national"),
    "文化庁": ("bunka", "Agency for Cultural Affairs", "national"),
    "経済産業省": ("meti", "Ministry of Economy, Trade and Industry", "national"),
    "環境省": ("moe", "Ministry of the Environment", "national"),
    "国土交通省": ("mlit", "Ministry of Land, Infrastructure, Transport and Tourism", "national"),
    "観光庁": ("mlit", "Ministry of Land, Infrastructure, Transport and Tourism (Japan Tourism Agency from 2008)", "national"),
    "気象庁": ("jma", "Japan Meteorological Agency", "national"),
    "人事院": ("npa_hr", "National Personnel Authority", "national"),
    "防衛省": ("mod", "Ministry of Defense (Defense Agency until 2007-01)", "national"),
    "地方公務員共済組合": ("local_mutual_aid", "Local public servants' mutual aid associations", "national"),
    "全国市町村職員共済組合連合会": ("local_mutual_aid", "Local public servants' mutual aid associations", "national"),
    "地方公務員共済組合連合会": ("local_mutual_aid", "Local public servants' mutual aid associations", "national"),
    "存続共済会": ("local_mutual_aid", "Local public servants' mutual aid associations", "national"),
    "地方公務員災害補償基金": ("local_accident_fund", "Fund for Local Government Employees' Accident Compensation", "national"),
    "国家公務員共済組合連合会": ("kkr", "Federation of National Public Service Personnel Mutual Aid Associations", "national"),
    "存続組合": ("pension_successor", "Successor pension associations (1996 pension amendment)", "national"),
    "指定基金": ("pension_successor", "Successor pension associations (1996 pension amendment)", "national"),
    "日本私立学校振興・共済事業団": (
        "private_school_mutual",
        "Promotion and Mutual Aid Corporation for Private Schools",
        "national",
    ),
    "企業年金連合会": ("pension_fund_assoc", "Pension Fund Association", "national"),
    "国民年金基金連合会": ("npf_assoc", "National Pension Fund Association", "national"),
    "農林漁業団体職員共済組合": (
        "agri_mutual",
        "Agriculture, Forestry and Fishery Organisation Employees' Mutual Aid Association",
        "national",
    ),
    "社会保険診療報酬支払基金": ("ssbf", "Social Insurance Medical Fee Payment Fund", "national"),
    "独立行政法人医薬品医療機器総合機構": ("pmda", "Pharmaceuticals and Medical Devices Agency", "national"),
    "独立行政法人環境再生保全機構": ("erca", "Environmental Restoration and Conservation Agency", "national"),
    "独立行政法人産業技術総合研究所": ("aist", "National Institute of Advanced Industrial Science and Technology", "national"),
    "日本電気計器検定所": ("jemic", "Japan Electric Meters Inspection Corporation", "national"),
    "独立行政法人高齢・障害・求職者雇用支援機構": (
        "jeed",
        "Employment Support Agency for the Elderly, Disabled and Job Seekers",
        "national",
    ),
    "小型船舶検査機構": ("jci", "Japan Craft Inspection Organization", "national"),
    "高圧ガス保安協会": ("khk", "High Pressure Gas Safety Institute of Japan", "national"),
    "旅行業協会": ("travel_assoc", "Travel agency associations", "national"),
    "消防団員等公務災害補償等共済基金": (
        "fire_corps_fund",
        "Mutual Aid Fund for Volunteer Fire Corps Accident Compensation",
        "national",
    ),
    "指定法人": ("fire_corps_fund", "Mutual Aid Fund for Volunteer Fire Corps Accident Compensation", "national"),
    "指定試験機関": ("designated_exam_body", "Designated examination bodies", "national"),
    "指定登録機関": ("designated_registration_body", "Designated registration bodies", "national"),
    "中央指定登録機関": ("designated_registration_body", "Designated registration bodies", "national"),
    "都道府県指定登録機関": ("designated_registration_body", "Designated registration bodies", "national"),
    "指定事務所登録機関": ("designated_registration_body", "Designated registration bodies", "national"),
    "指定資格者証交付機関": ("designated_registration_body", "Designated registration bodies", "national"),
    "試験機関": ("designated_exam_body", "Designated examination bodies", "national"),
    "実施機関": ("npa_hr", "National Personnel Authority", "national"),
    "市町村長": ("municipal_head", "Heads of municipalities", "local"),
    "指定都市の長": ("municipal_head", "Heads of municipalities", "local"),
    "市の長": ("municipal_head", "Heads of municipalities", "local"),
    "広島市又は長崎市の長": ("municipal_head", "Heads of municipalities", "local"),
    "中核市の長": ("municipal_head", "Heads of municipalities", "local"),
    "選挙管理委員会": ("municipal_election_board", "Municipal election commissions", "local"),
    "都道府県知事": ("governor", "Prefectural governors", "local"),
    "福島県知事": ("governor", "Prefectural governors", "local"),
    "沖縄県知事": ("governor", "Prefectural governors", "local"),
}

# Statutes the affairs fall under: Japanese name -> English name.
LAWS: dict[str, str] = {
    "銀行法": "Banking Act",
    "長期信用銀行法": "Long-Term Credit Bank Act",
    "信用金庫法": "Shinkin Bank Act",
    "労働金庫法": "Labour Bank Act",
    "協同組合による金融事業に関する法律": "Act on Financial Businesses by Cooperatives",
    "農業協同組合法": "Agricultural Cooperatives Act",
    "水産業協同組合法": "Fishery Cooperatives Act",
    "農林中央金庫法": "Norinchukin Bank Act",
    "保険業法": "Insurance Business Act",
    "金融商品取引法": "Financial Instruments and Exchange Act",
    "投資信託及び投資法人に関する法律": "Act on Investment Trusts and Investment Corporations",
    "信託業法": "Trust Business Act",
    "貸金業法": "Money Lending Business Act",
    "資産の流動化に関する法律": "Act on Securitization of Assets",
    "資金決済に関する法律": "Payment Services Act",
    "公認会計士法": "Certified Public Accountants Act",
    "恩給法": "Pension Act (onkyu)",
    "執行官法の一部を改正する法律": "Act Partially Amending the Court Execution Officers Act",
    "国会議員互助年金法を廃止する法律": "Act Abolishing the Diet Members' Mutual Aid Pension Act",
    "地方公務員等共済組合法": "Local Public Officers Mutual Aid Association Act",
    "地方公務員等共済組合法の一部を改正する法律": "Act Partially Amending the Local Public Officers Mutual Aid Association Act",
    "介護保険法": "Long-Term Care Insurance Act",
    "地方公務員災害補償法": "Local Public Officers Accident Compensation Act",
    "電気通信事業法": "Telecommunications Business Act",
    "日本電信電話株式会社等に関する法律": "Nippon Telegraph and Telephone Corporation Act",
    "電波法": "Radio Act",
    "消防法": "Fire Service Act",
    "消防団員等公務災害補償等責任共済等に関する法律": "Act on Mutual Aid for Volunteer Fire Corps Accident Compensation",
    "司法試験法": "Bar Examination Act",
    "不動産登記法": "Real Property Registration Act",
    "船舶法": "Ships Act",
    "工場抵当法": "Factory Mortgage Act",
    "立木に関する法律": "Act on Standing Trees",
    "道路交通事業抵当法": "Road Transport Business Mortgage Act",
    "建設機械抵当法": "Construction Machinery Mortgage Act",
    "観光施設財団抵当法": "Tourist Facility Foundation Mortgage Act",
    "後見登記等に関する法律": "Act on Guardianship Registration",
    "供託法": "Deposit Act",
    "出入国管理及び難民認定法": "Immigration Control and Refugee Recognition Act",
    "旅券法": "Passport Act",
    "国家公務員共済組合法": "National Public Officers Mutual Aid Association Act",
    "旧令": "Former ordinances on mutual aid associations",
    "厚生年金保険法等の一部を改正する法律": "Act Partially Amending the Employees' Pension Insurance Act",
    "関税法": "Customs Act",
    "たばこ事業法": "Tobacco Business Act",
    "塩事業法": "Salt Business Act",
    "私立学校教職員共済法": "Private School Personnel Mutual Aid Act",
    "博物館法": "Museum Act",
    "技術士法": "Professional Engineer Act",
    "放射性同位元素等による放射線障害の防止に関する法律": "Act on Prevention of Radiation Hazards due to Radioisotopes",
    "万国著作権条約の実施に伴う著作権法の特例に関する法律": "Act on Special Provisions of the Copyright Act under the Universal Copyright Convention",
    "著作権法": "Copyright Act",
    "著作権等管理事業法": "Copyright Management Business Act",
    "美術品の美術館における公開の促進に関する法律": "Act on Promotion of Public Display of Artworks in Museums",
    "新型インフルエンザ予防接種による健康被害の救済に関する特別措置法": "Act on Relief for Health Damage from Pandemic Influenza Vaccination",
    "特定Ｂ型肝炎ウイルス感染者給付金等の支給に関する特別措置法": "Act on Benefits for Persons Infected with Specified Hepatitis B Virus",
    "薬事法": "Pharmaceutical Affairs Act",
    "独立行政法人医薬品医療機器総合機構法": "Pharmaceuticals and Medical Devices Agency Act",
    "労働安全衛生法": "Industrial Safety and Health Act",
    "作業環境測定法": "Working Environment Measurement Act",
    "労働者災害補償保険法": "Industrial Accident Compensation Insurance Act",
    "賃金の支払の確保等に関する法律": "Act on Securing Wage Payment",
    "石綿による健康被害の救済に関する法律": "Act on Asbestos Health Damage Relief",
    "職業安定法": "Employment Security Act",
    "労働者派遣事業の適正な運営の確保及び派遣労働者の保護等に関する法律": "Worker Dispatching Act",
    "雇用対策法": "Employment Measures Act",
    "雇用保険法": "Employment Insurance Act",
    "職業能力開発促進法": "Human Resources Development Promotion Act",
    "職業訓練の実施等による特定求職者の就職の支援に関する法律": "Act on Employment Support for Specified Job Seekers",
    "健康保険法": "Health Insurance Act",
    "船員保険法": "Mariners Insurance Act",
    "国民年金法等の一部を改正する法律": "Act Partially Amending the National Pension Act",
    "厚生年金保険法": "Employees' Pension Insurance Act",
    "厚生年金保険制度及び農林漁業団体職員共済組合制度の統合を図るための農林漁業団体職員共済組合法等を廃止する等の法律": "Act Integrating the Agricultural Mutual Aid Pension into Employees' Pension Insurance",
    "国民年金法": "National Pension Act",
    "確定給付企業年金法": "Defined-Benefit Corporate Pension Act",
    "確定拠出年金法": "Defined Contribution Pension Act",
    "中国残留邦人等の円滑な帰国の促進及び永住帰国後の自立の支援に関する法律": "Act on Support for Japanese Left Behind in China",
    "戦傷病者戦没者遺族等援護法": "Act on Relief of War Wounded and Sick Persons and Bereaved Families",
    "卸売市場法": "Wholesale Market Act",
    "商品先物取引法": "Commodity Derivatives Act",
    "商品投資に係る事業の規制に関する法律": "Act on Regulation of Commodity Investment Business",
    "森林法": "Forest Act",
    "計量法": "Measurement Act",
    "アルコール事業法": "Alcohol Business Act",
    "特定製品に係るフロン類の回収及び破壊の実施の確保等に関する法律": "Fluorocarbons Recovery and Destruction Act",
    "鉱業法": "Mining Act",
    "石油の備蓄の確保等に関する法律": "Petroleum Stockpiling Act",
    "深海底鉱業暫定措置法": "Act on Interim Measures for Deep Seabed Mining",
    "火薬類取締法": "Explosives Control Act",
    "高圧ガス保安法": "High Pressure Gas Safety Act",
    "電気工事士法": "Electricians Act",
    "電気工事業の業務の適正化に関する法律": "Act on Electrical Construction Business",
    "特定家庭用機器再商品化法": "Home Appliance Recycling Act",
    "建設業法": "Construction Business Act",
    "浄化槽法": "Johkasou (Septic Tank) Act",
    "宅地建物取引業法": "Real Estate Brokerage Act",
    "マンションの管理の適正化の推進に関する法律": "Condominium Management Act",
    "旅行業法": "Travel Agency Act",
    "国際観光ホテル整備法": "International Tourist Hotel Act",
    "不動産の鑑定評価に関する法律": "Real Estate Appraisal Act",
    "建築基準法": "Building Standards Act",
    "建築士法": "Architects Act",
    "道路運送車両法": "Road Transport Vehicle Act",
    "自動車損害賠償保障法": "Automobile Liability Security Act",
    "小型船舶の登録等に関する法律": "Small Vessel Registration Act",
    "航空法": "Civil Aeronautics Act",
    "気象業務法": "Meteorological Service Act",
    "国家公務員法": "National Public Service Act",
    "国家公務員災害補償法": "National Public Officers Accident Compensation Act",
    "公職選挙法": "Public Offices Election Act",
    "消防組織法": "Fire Defense Organization Act",
    "予防接種法": "Immunization Act",
    "原子爆弾被爆者に対する援護に関する法律": "Atomic Bomb Survivors' Support Act",
    "大規模小売店舗立地法": "Large-Scale Retail Stores Location Act",
    "総合特別区域法": "Comprehensive Special Zones Act",
    "公営住宅法": "Public Housing Act",
    "高齢者の居住の安定確保に関する法律": "Act on Securing Stable Housing for the Elderly",
    "公害健康被害の補償等に関する法律": "Pollution-Related Health Damage Compensation Act",
    "廃棄物の処理及び清掃に関する法律": "Waste Management and Public Cleansing Act",
    "特定非営利活動促進法": "Act on Promotion of Specified Non-profit Activities (NPO Act)",
    "家畜商法": "Livestock Dealer Act",
    "液化石油ガスの保安の確保及び取引の適正化に関する法律": "Liquefied Petroleum Gas Act",
    "建設工事に係る資材の再資源化等に関する法律": "Construction Material Recycling Act",
    "福島復興再生特別措置法": "Act on Special Measures for Fukushima Reconstruction",
    "沖縄振興特別措置法": "Act on Special Measures for Okinawa Promotion",
    "児童扶養手当法": "Child Rearing Allowance Act",
    "特別児童扶養手当等の支給に関する法律": "Act on Special Child Rearing Allowances",
    "林業種苗法": "Forestry Seeds and Seedlings Act",
    "通訳案内士法": "Guide Interpreters Act",
}

# Kinds of affair, recognised by keyword in the affair text, for the English gloss.
AFFAIR_KINDS = [
    ("年金", "pension benefits"),
    ("支給", "benefit payments"),
    ("給付", "benefit payments"),
    ("試験", "examinations"),
    ("免許", "licences"),
    ("許可", "permits"),
    ("登録", "registrations"),
    ("認証", "certifications"),
    ("認定", "recognitions"),
    ("届出", "notifications"),
    ("発給", "issuance"),
    ("交付", "issuance"),
    ("資格", "qualifications"),
    ("被保険者", "insured persons"),
    ("投票", "voting"),
    ("徴収", "collection"),
]

LAW_RE = re.compile(r"(.+?(?:法律|法|令))(?:（|による|に基づく|の規定|第|に規定|において|に)")


def law_of(affair: str) -> str:
    for name in sorted(LAWS, key=len, reverse=True):
        if affair.startswith(name):
            return name
    if "公職選挙法" in affair:
        return "公職選挙法"
    m = LAW_RE.match(affair)
    if m is None or m.group(1) not in LAWS:
        raise SystemExit(f"no English name for the statute of affair {affair[:40]!r}")
    return m.group(1)


def bodies_of(text: str) -> list[str]:
    text = text.replace("（特別区を含む。）", "")
    if text in BODIES:
        return [BODIES[text][0]]
    found: list[str] = []
    for name in sorted(BODIES, key=len, reverse=True):
        if name in text:
            ident = BODIES[name][0]
            if ident not in found:
                found.append(ident)
            text = text.replace(name, "")
    if not found:
        raise SystemExit(f"no registry id for receiving body {text!r}")
    return found


def mode_of(table: int, affair: str, law: str) -> str:
    """Service mode: batch matching serves pension benefit existence checks and the
    National Pension 20-year-old cohort [ASSUMPTION; docs/sources.md, "Existence checks"]; all rows also allow
    interactive lookups."""
    if table == 1 and ("年金" in affair and "支給" in affair or law == "国民年金法" and "被保険者" in affair):
        return "interactive+batch"
    return "interactive"


def gloss(law: str, affair: str) -> str:
    kinds: list[str] = []
    for key, word in AFFAIR_KINDS:
        if key in affair and word not in kinds:
            kinds.append(word)
    what = ", ".join(kinds[:3]) if kinds else "administrative affairs"
    return f"{LAWS[law]}: {what}"


def main(ref: Path, out: Path) -> None:
    check_names()
    years = statute_years(ref, list(LAWS))
    lines = list(HEADER)
    for table in range(1, 6):
        path = ref / f"annex{table}_2012.tsv"
        for raw in path.read_text(encoding="utf-8").splitlines():
            cols = raw.split("\t")
            label = cols[0]
            if table == 5:
                body_text, affair = "都道府県知事", cols[1]
            else:
                body_text, affair = cols[1], cols[2] if len(cols) > 2 else ""
            if body_text == "削除" or affair in ("", "削除"):  # deleted by 2012; restored if live in FY2006
                lines += restored(label, row_id(label)) if table == 1 and label in RESTORED else []
                continue
            law = law_of(affair)
            rid = row_id(label)
            lines += [
                "[[row]]",
                f"id = {q(f'A{table}-{rid}')}",
                f"table = {table}",
                f"row = {q(rid)}",
                f"row_ja = {q(label)}",
                f"bodies = [{', '.join(q(b) for b in bodies_of(body_text))}]",
                f"law_ja = {q(law)}",
                f"law_en = {q(FY2006_NAMES.get(law, LAWS[law]))}",
                f"gloss = {q(gloss(law, affair))}",
                f"mode = {q(mode_of(table, affair, law))}",
                *fields(table, f"A{table}-{rid}", label, law, body_text, years.get(law)),
                f"citation = {q(cite(table, label, f'A{table}-{rid}'))}",
                "",
            ]
    bodies_seen: dict[str, tuple[str, str]] = {}
    for ident, en, level in BODIES.values():
        bodies_seen.setdefault(ident, (en, level))
    for ident, (en, level) in bodies_seen.items():
        lines += ["[[body]]", f"id = {q(ident)}", f"name = {q(en)}", f"level = {q(level)}", 'kind = "public"']
        if ident in DESIGNATED:
            lines.append(f"designated = true  # {DESIGNATED_WHY}")
        if ident in SEVERAL:
            lines.append(f"several = true  # {SEVERAL_WHY}")
        lines.append("")
    out.write_text("\n".join(lines), encoding="utf-8")


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
