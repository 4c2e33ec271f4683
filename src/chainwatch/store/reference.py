"""Reference data seeded into every new database.

Facts from the code standards (classifications.md): the 20 sections and 97 divisions of
GB/T 4754-2017, the Ningbo county-level units of the NBS 2023 division codes, the 97 HS chapters,
and the default partner groups (RCEP, the 65-country Belt and Road regional list, ASEAN, EU-27).
Full region and HS lists can be imported (``chainwatch import --kind region|hs``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from chainwatch.store.db import Store

SECTIONS = {
    "A": ("农、林、牧、渔业", "Agriculture, forestry, animal husbandry and fishery"),
    "B": ("采矿业", "Mining"),
    "C": ("制造业", "Manufacturing"),
    "D": ("电力、热力、燃气及水生产和供应业", "Electricity, heat, gas and water production and supply"),
    "E": ("建筑业", "Construction"),
    "F": ("批发和零售业", "Wholesale and retail trade"),
    "G": ("交通运输、仓储和邮政业", "Transport, storage and post"),
    "H": ("住宿和餐饮业", "Accommodation and catering"),
    "I": ("信息传输、软件和信息技术服务业", "Information transmission, software and IT services"),
    "J": ("金融业", "Finance"),
    "K": ("房地产业", "Real estate"),
    "L": ("租赁和商务服务业", "Leasing and business services"),
    "M": ("科学研究和技术服务业", "Scientific research and technical services"),
    "N": ("水利、环境和公共设施管理业", "Water conservancy, environment and public facilities management"),
    "O": ("居民服务、修理和其他服务业", "Resident, repair and other services"),
    "P": ("教育", "Education"),
    "Q": ("卫生和社会工作", "Health and social work"),
    "R": ("文化、体育和娱乐业", "Culture, sports and entertainment"),
    "S": ("公共管理、社会保障和社会组织", "Public administration, social security and social organisations"),
    "T": ("国际组织", "International organisations"),
}

DIVISIONS = {
    "01": "农业", "02": "林业", "03": "畜牧业", "04": "渔业", "05": "农、林、牧、渔专业及辅助性活动",
    "06": "煤炭开采和洗选业", "07": "石油和天然气开采业", "08": "黑色金属矿采选业", "09": "有色金属矿采选业",
    "10": "非金属矿采选业", "11": "开采专业及辅助性活动", "12": "其他采矿业",
    "13": "农副食品加工业", "14": "食品制造业", "15": "酒、饮料和精制茶制造业", "16": "烟草制品业",
    "17": "纺织业", "18": "纺织服装、服饰业", "19": "皮革、毛皮、羽毛及其制品和制鞋业",
    "20": "木材加工和木、竹、藤、棕、草制品业", "21": "家具制造业", "22": "造纸和纸制品业",
    "23": "印刷和记录媒介复制业", "24": "文教、工美、体育和娱乐用品制造业", "25": "石油、煤炭及其他燃料加工业",
    "26": "化学原料和化学制品制造业", "27": "医药制造业", "28": "化学纤维制造业", "29": "橡胶和塑料制品业",
    "30": "非金属矿物制品业", "31": "黑色金属冶炼和压延加工业", "32": "有色金属冶炼和压延加工业",
    "33": "金属制品业", "34": "通用设备制造业", "35": "专用设备制造业", "36": "汽车制造业",
    "37": "铁路、船舶、航空航天和其他运输设备制造业", "38": "电气机械和器材制造业",
    "39": "计算机、通信和其他电子设备制造业", "40": "仪器仪表制造业", "41": "其他制造业",
    "42": "废弃资源综合利用业", "43": "金属制品、机械和设备修理业",
    "44": "电力、热力生产和供应业", "45": "燃气生产和供应业", "46": "水的生产和供应业",
    "47": "房屋建筑业", "48": "土木工程建筑业", "49": "建筑安装业", "50": "建筑装饰、装修和其他建筑业",
    "51": "批发业", "52": "零售业", "53": "铁路运输业", "54": "道路运输业", "55": "水上运输业",
    "56": "航空运输业", "57": "管道运输业", "58": "多式联运和运输代理业", "59": "装卸搬运和仓储业",
    "60": "邮政业", "61": "住宿业", "62": "餐饮业", "63": "电信、广播电视和卫星传输服务",
    "64": "互联网和相关服务", "65": "软件和信息技术服务业", "66": "货币金融服务", "67": "资本市场服务",
    "68": "保险业", "69": "其他金融业", "70": "房地产业", "71": "租赁业", "72": "商务服务业",
    "73": "研究和试验发展", "74": "专业技术服务业", "75": "科技推广和应用服务业", "76": "水利管理业",
    "77": "生态保护和环境治理业", "78": "公共设施管理业", "79": "土地管理业", "80": "居民服务业",
    "81": "机动车、电子产品和日用产品修理业", "82": "其他服务业", "83": "教育", "84": "卫生",
    "85": "社会工作", "86": "新闻和出版业", "87": "广播、电视、电影和录音制作业", "88": "文化艺术业",
    "89": "体育", "90": "娱乐业", "91": "中国共产党机关", "92": "国家机构", "93": "人民政协、民主党派",
    "94": "社会保障", "95": "群众团体、社会团体和其他成员组织", "96": "基层群众自治组织及其他组织",
    "97": "国际组织",
}

# NBS 2023 statistical division codes (classifications.md §3.2)
REGIONS = [
    ("33", "浙江省", 1, None), ("3302", "宁波市", 2, "33"),
    ("330203", "海曙区", 3, "3302"), ("330205", "江北区", 3, "3302"), ("330206", "北仑区", 3, "3302"),
    ("330211", "镇海区", 3, "3302"), ("330212", "鄞州区", 3, "3302"), ("330213", "奉化区", 3, "3302"),
    ("330225", "象山县", 3, "3302"), ("330226", "宁海县", 3, "3302"), ("330281", "余姚市", 3, "3302"),
    ("330282", "慈溪市", 3, "3302"),
]
NINGBO_DISTRICTS = [r[0] for r in REGIONS if r[2] == 3]
REGION_EN = {"330203": "Haishu", "330205": "Jiangbei", "330206": "Beilun", "330211": "Zhenhai",
             "330212": "Yinzhou", "330213": "Fenghua", "330225": "Xiangshan", "330226": "Ninghai",
             "330281": "Yuyao", "330282": "Cixi", "3302": "Ningbo", "33": "Zhejiang"}

HS_SECTIONS = {  # section -> chapters (HS 2022)
    "I": range(1, 6), "II": range(6, 15), "III": range(15, 16), "IV": range(16, 25), "V": range(25, 28),
    "VI": range(28, 39), "VII": range(39, 41), "VIII": range(41, 44), "IX": range(44, 47),
    "X": range(47, 50), "XI": range(50, 64), "XII": range(64, 68), "XIII": range(68, 71),
    "XIV": range(71, 72), "XV": range(72, 84), "XVI": range(84, 86), "XVII": range(86, 90),
    "XVIII": range(90, 93), "XIX": range(93, 94), "XX": range(94, 97), "XXI": range(97, 98),
}

# the 14 RCEP partners of a Chinese city: the 15 signatories less China itself (classifications.md §5.1)
RCEP = ["BRN", "KHM", "LAO", "SGP", "THA", "VNM", "JPN", "AUS", "NZL", "KOR", "MYS", "IDN", "PHL", "MMR"]
ASEAN = ["SGP", "MYS", "IDN", "MMR", "THA", "LAO", "KHM", "VNM", "BRN", "PHL"]
BRI65 = ["MNG", *ASEAN,
         "IRN", "IRQ", "TUR", "SYR", "JOR", "LBN", "ISR", "PSE", "SAU", "YEM", "OMN", "ARE", "QAT", "KWT", "BHR",
         "GRC", "CYP", "EGY",
         "IND", "PAK", "BGD", "AFG", "LKA", "MDV", "NPL", "BTN",
         "KAZ", "UZB", "TKM", "TJK", "KGZ",
         "RUS", "UKR", "BLR", "GEO", "AZE", "ARM", "MDA",
         "POL", "CZE", "SVK", "HUN", "SVN", "HRV", "ROU", "BGR", "SRB", "MNE", "MKD", "BIH", "ALB", "EST", "LTU", "LVA"]
EU27 = ["AUT", "BEL", "BGR", "HRV", "CYP", "CZE", "DNK", "EST", "FIN", "FRA", "DEU", "GRC", "HUN", "IRL", "ITA",
        "LVA", "LTU", "LUX", "MLT", "NLD", "POL", "PRT", "ROU", "SVK", "SVN", "ESP", "SWE"]

PARTNER_GROUPS = [
    ("rcep", "RCEP成员国", "RCEP members", RCEP,
     "RCEP signatories (signed 2020-11-15) other than China: the partner set of a Chinese city's trade; classifications.md §5.1", "2020-11-15"),
    ("bri", "“一带一路”沿线国家", "Belt and Road partners", BRI65,
     "沿线国家 regional list as reproduced in secondary sources; not an official machine-readable list; unconfirmed", "2015-03-28"),
    ("asean", "东盟", "ASEAN", ASEAN, "ASEAN member states", "1999-04-30"),
    ("eu", "欧盟", "European Union", EU27, "EU-27 member states since 2020-02-01", "2020-02-01"),
]


def seed_reference(store: Store) -> None:
    """Insert the reference rows that are missing (idempotent)."""
    import pandas as pd

    from chainwatch.model.codes import section_of

    frames = {
        "industry": pd.DataFrame(
            [(s, 1, s, None, zh, en) for s, (zh, en) in SECTIONS.items()]
            + [(d, 2, section_of(d), section_of(d), name, None) for d, name in DIVISIONS.items()],
            columns=["code", "level", "section", "parent", "name_zh", "name_en"]),
        "region": pd.DataFrame(REGIONS, columns=["code", "name", "level", "parent"]),
        "hs_code": pd.DataFrame([(f"{ch:02d}", 2, sec, None, None) for sec, chapters in HS_SECTIONS.items()
                                 for ch in chapters if ch != 77],
                                columns=["code", "level", "section", "parent", "description"]),
        "partner_group": pd.DataFrame(
            [(gid, zh, en, m, basis, as_of, True) for gid, zh, en, members, basis, as_of in PARTNER_GROUPS for m in members],
            columns=["group_id", "name_zh", "name_en", "member", "basis", "as_of", "editable"]),
    }
    frames["region"]["name_en"] = frames["region"]["code"].map(REGION_EN)
    frames["partner_group"]["as_of"] = pd.to_datetime(frames["partner_group"]["as_of"]).dt.date
    for table, frame in frames.items():
        cols = ", ".join(frame.columns)
        with store.registered("_seed", frame):
            store.execute(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM _seed ON CONFLICT DO NOTHING")
    store.executemany("UPDATE region SET name_en = ? WHERE code = ? AND name_en IS NULL",
                    [(en, code) for code, en in REGION_EN.items()])
