"""The demo city's chain maps: clusters, chains of the "10+X" list, segments, edges and products.

Each segment carries what the generator needs: position, GB/T 4754-2017 industry class, HS codes,
its share of the chain's local output (``weight``), how many local enterprises it has (``firms``,
relative), and where its product comes from when local buyers purchase it outside the city
(``foreign`` share of external purchases and the supplying countries). ``firms=0`` marks a segment
with no local producer (a missing link, 缺链). Everything here is invented for the synthetic city,
modelled loosely on Ningbo's published chain priorities; it is not official data.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Seg:
    key: str
    zh: str
    en: str
    position: str           # upstream | midstream | downstream
    industry: str           # GB/T 4754-2017 class (4 digits) or group
    hs: tuple[str, ...]
    weight: float           # share of the chain's local output
    firms: float            # relative number of local enterprises (0 = missing link)
    foreign: float = 0.2    # share of external (non-local) purchases bought abroad
    countries: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Chain:
    chain_id: str
    zh: str
    en: str
    cluster: str
    growth: float           # trend growth per year of the chain's output
    va_rate: float          # value-added rate
    export_share: float     # share of output exported
    segments: tuple[Seg, ...]
    edges: tuple[tuple[str, str], ...]


CLUSTERS = {
    "cl_petrochem": ("绿色石化产业集群", "Green petrochemicals cluster"),
    "cl_auto": ("汽车产业集群", "Automotive cluster"),
    "cl_electronics": ("电子信息产业集群", "Electronic information cluster"),
    "cl_equipment": ("高端装备产业集群", "High-end equipment cluster"),
    "cl_materials": ("新材料产业集群", "New materials cluster"),
    "cl_software": ("软件与新兴服务产业集群", "Software and emerging services cluster"),
    "cl_consumer": ("时尚纺织服装与智能家电产业集群", "Fashion textiles and smart appliances cluster"),
}

_OIL = {"SAU": 0.22, "IRQ": 0.14, "OMN": 0.10, "ARE": 0.10, "KWT": 0.08, "RUS": 0.12, "AGO": 0.08,
        "BRA": 0.08, "MYS": 0.04, "USA": 0.04}
_CHEM = {"KOR": 0.25, "JPN": 0.20, "SAU": 0.15, "USA": 0.12, "DEU": 0.10, "SGP": 0.08, "THA": 0.05, "IND": 0.05}
_CHIP = {"TWN": 0.32, "KOR": 0.24, "JPN": 0.14, "USA": 0.12, "MYS": 0.08, "VNM": 0.04, "NLD": 0.03, "DEU": 0.03}
_EQUIP_SEMI = {"USA": 0.35, "JPN": 0.30, "NLD": 0.20, "DEU": 0.10, "KOR": 0.05}
_AUTO = {"DEU": 0.35, "JPN": 0.30, "KOR": 0.10, "USA": 0.10, "MEX": 0.05, "CZE": 0.05, "HUN": 0.05}
_PREC = {"DEU": 0.30, "JPN": 0.35, "CHE": 0.10, "ITA": 0.10, "USA": 0.10, "KOR": 0.05}
_LI = {"AUS": 0.45, "CHL": 0.30, "ARG": 0.15, "ZWE": 0.05, "BRA": 0.05}
_SOFT = {"USA": 0.45, "DEU": 0.30, "FRA": 0.15, "JPN": 0.10}
_FIBRE = {"VNM": 0.20, "IND": 0.20, "USA": 0.15, "AUS": 0.15, "UZB": 0.10, "PAK": 0.10, "BRA": 0.10}
_RARE = {"MMR": 0.40, "AUS": 0.20, "USA": 0.15, "LAO": 0.15, "VNM": 0.10}
_OPT = {"JPN": 0.40, "KOR": 0.25, "DEU": 0.15, "USA": 0.10, "TWN": 0.10}


def _s(key: str, zh: str, en: str, pos: str, ind: str, hs: tuple[str, ...], w: float, firms: float,
       foreign: float = 0.2, countries: dict[str, float] | None = None) -> Seg:
    return Seg(key, zh, en, pos, ind, hs, w, firms, foreign, countries or {"JPN": 0.3, "KOR": 0.2, "DEU": 0.2,
                                                                          "USA": 0.15, "VNM": 0.15})


CHAINS: tuple[Chain, ...] = (
    Chain("green_petrochem", "绿色石化产业链", "Green petrochemicals", "cl_petrochem", 0.05, 0.16, 0.08, (
        _s("crude", "原油及原料供应", "Crude oil and feedstock", "upstream", "0711", ("270900",), 0.0, 0.0, 0.95, _OIL),
        _s("refining", "炼油", "Oil refining", "upstream", "2511", ("271012", "271019"), 0.30, 0.4, 0.3, _OIL),
        _s("olefins", "乙烯裂解", "Olefins (steam cracking)", "upstream", "2614", ("290121", "290122"), 0.10, 0.4, 0.3, _CHEM),
        _s("aromatics", "芳烃（PX）", "Aromatics (PX)", "upstream", "2614", ("290243", "290220"), 0.08, 0.3, 0.5, _CHEM),
        _s("pta", "精对苯二甲酸（PTA）", "Purified terephthalic acid", "midstream", "2614", ("291736",), 0.07, 0.3),
        _s("meg", "乙二醇", "Ethylene glycol", "midstream", "2614", ("290531",), 0.04, 0.3, 0.6, _CHEM),
        _s("polyolefins", "聚乙烯/聚丙烯", "Polyethylene and polypropylene", "midstream", "2651", ("390110", "390210"), 0.08, 0.8, 0.4, _CHEM),
        _s("abs", "ABS及工程塑料", "ABS and engineering plastics", "midstream", "2651", ("390330", "390740"), 0.05, 0.6, 0.4, _CHEM),
        _s("rubber", "合成橡胶", "Synthetic rubber", "midstream", "2652", ("400219",), 0.03, 0.4, 0.3, _CHEM),
        _s("polyester", "聚酯切片", "Polyester chips", "midstream", "2651", ("390761",), 0.05, 0.5),
        _s("fine_chem", "精细化学品", "Fine chemicals", "midstream", "2669", ("382499",), 0.05, 1.5, 0.3, _CHEM),
        _s("plastic_products", "塑料制品", "Plastic products", "downstream", "2929", ("392690",), 0.05, 3.0, 0.1),
        _s("rubber_products", "橡胶制品", "Rubber products", "downstream", "2913", ("401693",), 0.02, 1.5, 0.1),
        _s("coatings", "涂料及油墨", "Coatings and inks", "downstream", "2641", ("320890",), 0.03, 1.2, 0.2),
    ), (("crude", "refining"), ("refining", "olefins"), ("refining", "aromatics"), ("aromatics", "pta"),
        ("olefins", "meg"), ("olefins", "polyolefins"), ("olefins", "abs"), ("olefins", "rubber"),
        ("pta", "polyester"), ("meg", "polyester"), ("aromatics", "fine_chem"), ("refining", "fine_chem"),
        ("polyolefins", "plastic_products"), ("abs", "plastic_products"), ("rubber", "rubber_products"),
        ("fine_chem", "coatings"))),
    Chain("chem_materials", "化工新材料产业链", "Chemical new materials", "cl_materials", 0.09, 0.22, 0.15, (
        _s("monomers", "特种单体", "Specialty monomers", "upstream", "2614", ("292610", "291614"), 0.12, 0.6, 0.5, _CHEM),
        _s("catalysts", "催化剂及助剂", "Catalysts and additives", "upstream", "2661", ("381519", "381210"), 0.06, 0.8, 0.6, _CHEM),
        _s("eng_plastics", "高性能工程塑料", "High-performance engineering plastics", "midstream", "2651", ("390810", "390740"), 0.18, 0.8, 0.6, _CHEM),
        _s("polyurethane", "聚氨酯（MDI）", "Polyurethane (MDI)", "midstream", "2651", ("390950", "292910"), 0.22, 0.5, 0.2),
        _s("fluorine", "氟化工材料", "Fluorochemicals", "midstream", "2613", ("390461",), 0.06, 0.4, 0.5, _CHEM),
        _s("films", "功能膜材料", "Functional films", "midstream", "2921", ("392062", "392099"), 0.12, 1.0, 0.5, _OPT),
        _s("composites", "复合材料", "Composite materials", "midstream", "3062", ("701912", "681511"), 0.08, 0.8, 0.3),
        _s("adhesives", "胶粘剂", "Adhesives", "downstream", "2669", ("350691",), 0.06, 1.0, 0.3),
        _s("modified_plastics", "改性塑料", "Modified plastics", "downstream", "2929", ("390390",), 0.10, 1.5, 0.2),
        _s("electronic_chem", "电子化学品", "Electronic chemicals", "downstream", "3985", ("381800", "280511"), 0.06, 0.5, 0.8, _CHIP),
    ), (("monomers", "eng_plastics"), ("monomers", "polyurethane"), ("catalysts", "eng_plastics"),
        ("catalysts", "polyurethane"), ("catalysts", "fluorine"), ("eng_plastics", "films"),
        ("eng_plastics", "modified_plastics"), ("polyurethane", "adhesives"), ("fluorine", "films"),
        ("eng_plastics", "composites"), ("fluorine", "electronic_chem"), ("monomers", "electronic_chem"))),
    Chain("auto_parts", "汽车及零部件产业链", "Automobiles and parts", "cl_auto", 0.04, 0.20, 0.20, (
        _s("steel_sheet", "汽车钢板", "Automotive steel sheet", "upstream", "3130", ("720851", "721049"), 0.05, 0.4, 0.2, _AUTO),
        _s("aluminium", "铝合金压铸", "Aluminium die-castings", "upstream", "3392", ("760429", "761699"), 0.06, 1.2, 0.1),
        _s("engine", "发动机及部件", "Engines and parts", "midstream", "3670", ("840734", "840991"), 0.10, 0.8, 0.4, _AUTO),
        _s("transmission", "变速器", "Transmissions", "midstream", "3670", ("870840",), 0.06, 0.4, 0.5, _AUTO),
        _s("chassis", "底盘与制动", "Chassis and brakes", "midstream", "3670", ("870830", "870880"), 0.07, 1.2, 0.3),
        _s("body_parts", "车身及内外饰", "Body, interior and exterior parts", "midstream", "3670", ("870829", "940120"), 0.10, 2.5, 0.1),
        _s("auto_electronics", "汽车电子", "Automotive electronics", "midstream", "3670", ("851220", "853710"), 0.07, 1.0, 0.6, _CHIP),
        _s("tyres", "轮胎", "Tyres", "midstream", "2911", ("401110",), 0.03, 0.3, 0.2),
        _s("vehicles", "整车制造", "Vehicle assembly", "downstream", "3611", ("870323", "870324"), 0.40, 0.15, 0.05),
        _s("aftermarket", "汽车后市场零部件", "Aftermarket parts", "downstream", "3670", ("870899",), 0.06, 2.0, 0.1),
    ), (("steel_sheet", "body_parts"), ("steel_sheet", "chassis"), ("aluminium", "engine"), ("aluminium", "chassis"),
        ("aluminium", "transmission"), ("engine", "vehicles"), ("transmission", "vehicles"), ("chassis", "vehicles"),
        ("body_parts", "vehicles"), ("auto_electronics", "vehicles"), ("tyres", "vehicles"),
        ("chassis", "aftermarket"), ("body_parts", "aftermarket"))),
    Chain("nev", "新能源汽车产业链", "New-energy vehicles", "cl_auto", 0.30, 0.18, 0.10, (
        _s("lithium", "锂资源及锂盐", "Lithium resources and salts", "upstream", "2613", ("283691", "282520"), 0.05, 0.2, 0.8, _LI),
        _s("cathode", "正极材料", "Cathode materials", "upstream", "3985", ("284190", "284290"), 0.08, 0.5, 0.2),
        _s("anode", "负极材料", "Anode materials", "upstream", "3985", ("380110",), 0.04, 0.3, 0.2),
        _s("electrolyte", "电解液", "Electrolyte", "upstream", "2669", ("382499",), 0.03, 0.2, 0.2),
        _s("separator", "隔膜", "Separators", "upstream", "2921", ("392020",), 0.02, 0.1, 0.3, _OPT),
        _s("cells", "动力电池电芯", "Battery cells", "midstream", "3841", ("850760",), 0.16, 0.3, 0.2),
        _s("packs_bms", "电池包及电池管理系统", "Battery packs and BMS", "midstream", "3841", ("850760", "903289"), 0.08, 0.6, 0.3),
        _s("e_motor", "驱动电机", "Traction motors", "midstream", "3812", ("850152",), 0.06, 0.6, 0.2),
        _s("rare_earth_magnets", "电机用永磁体", "Permanent magnets for motors", "upstream", "3985", ("850511",), 0.03, 0.6, 0.1),
        _s("e_control", "电控及功率模块", "Electronic controls and power modules", "midstream", "3824", ("850440", "854129"), 0.06, 0.4, 0.7, _CHIP),
        _s("thermal", "热管理系统", "Thermal management", "midstream", "3670", ("841583",), 0.03, 0.6, 0.3),
        _s("charging", "充电桩", "Charging equipment", "downstream", "3829", ("850440",), 0.03, 0.6, 0.1),
        _s("nev_assembly", "新能源整车", "NEV assembly", "downstream", "3612", ("870380",), 0.33, 0.1, 0.05),
    ), (("lithium", "cathode"), ("lithium", "electrolyte"), ("cathode", "cells"), ("anode", "cells"),
        ("electrolyte", "cells"), ("separator", "cells"), ("cells", "packs_bms"), ("e_control", "packs_bms"),
        ("rare_earth_magnets", "e_motor"), ("e_motor", "nev_assembly"), ("packs_bms", "nev_assembly"),
        ("e_control", "nev_assembly"), ("thermal", "nev_assembly"), ("e_control", "charging"))),
    Chain("ic", "集成电路产业链", "Integrated circuits", "cl_electronics", 0.15, 0.30, 0.12, (
        _s("eda_ip", "EDA工具及IP核", "EDA tools and IP cores", "upstream", "6513", ("852349",), 0.0, 0.0, 0.95, _SOFT),
        _s("wafers", "硅片", "Silicon wafers", "upstream", "3985", ("381800",), 0.08, 0.3, 0.8, _CHIP),
        _s("targets", "溅射靶材", "Sputtering targets", "upstream", "3985", ("810399", "811299"), 0.06, 0.4, 0.4, _CHIP),
        _s("process_gases", "电子特气", "Electronic specialty gases", "upstream", "2619", ("280440", "281213"), 0.04, 0.3, 0.7, _CHIP),
        _s("semi_equipment", "半导体设备", "Semiconductor equipment", "upstream", "3562", ("848620",), 0.06, 0.4, 0.9, _EQUIP_SEMI),
        _s("design", "芯片设计", "Chip design", "midstream", "6520", ("854231",), 0.10, 0.8, 0.85, _CHIP),
        _s("foundry", "晶圆制造", "Wafer fabrication", "midstream", "3973", ("854231", "854232"), 0.30, 0.2, 0.9, _CHIP),
        _s("power_devices", "功率半导体", "Power semiconductors", "midstream", "3972", ("854129", "854110"), 0.14, 0.5, 0.75, _CHIP),
        _s("packaging", "封装测试", "Packaging and testing", "downstream", "3973", ("854239", "854290"), 0.16, 0.5, 0.7, _CHIP),
        _s("modules", "芯片模组及应用", "Chip modules and applications", "downstream", "3979", ("854239",), 0.06, 0.6, 0.8, _CHIP),
    ), (("eda_ip", "design"), ("wafers", "foundry"), ("targets", "foundry"), ("process_gases", "foundry"),
        ("semi_equipment", "foundry"), ("semi_equipment", "packaging"), ("design", "foundry"),
        ("foundry", "packaging"), ("wafers", "power_devices"), ("power_devices", "packaging"),
        ("packaging", "modules"))),
    Chain("optoelectronics", "光学电子产业链", "Optoelectronics", "cl_electronics", 0.10, 0.25, 0.35, (
        _s("optical_glass", "光学玻璃及材料", "Optical glass and materials", "upstream", "3052", ("700100", "701400"), 0.08, 0.4, 0.5, _OPT),
        _s("optical_film", "光学膜", "Optical films", "upstream", "2921", ("392062",), 0.08, 0.4, 0.6, _OPT),
        _s("led_chips", "LED芯片", "LED chips", "upstream", "3976", ("854141",), 0.06, 0.2, 0.5, _CHIP),
        _s("image_sensors", "图像传感器", "Image sensors", "upstream", "3972", ("854231",), 0.06, 0.1, 0.9, _CHIP),
        _s("lenses", "光学镜头", "Optical lenses", "midstream", "4040", ("900211", "900290"), 0.18, 1.2, 0.2),
        _s("camera_modules", "摄像模组", "Camera modules", "midstream", "3976", ("852589",), 0.16, 0.6, 0.3),
        _s("displays", "显示面板及背光", "Display panels and backlights", "midstream", "3974", ("852412", "901380"), 0.12, 0.5, 0.6, _OPT),
        _s("lighting", "LED照明", "LED lighting", "downstream", "3873", ("940542",), 0.12, 2.0, 0.1),
        _s("optical_instruments", "光学仪器", "Optical instruments", "downstream", "4040", ("901380", "903149"), 0.14, 0.8, 0.3),
    ), (("optical_glass", "lenses"), ("optical_film", "displays"), ("led_chips", "lighting"),
        ("led_chips", "displays"), ("lenses", "camera_modules"), ("image_sensors", "camera_modules"),
        ("lenses", "optical_instruments"), ("optical_glass", "optical_instruments"), ("displays", "optical_instruments"))),
    Chain("smart_terminals", "智能终端产业链", "Smart terminals", "cl_electronics", 0.08, 0.20, 0.45, (
        _s("pcb", "印制电路板", "Printed circuit boards", "upstream", "3982", ("853400",), 0.10, 0.8, 0.3),
        _s("passives", "被动元器件", "Passive components", "upstream", "3981", ("853224", "853340"), 0.06, 0.6, 0.5, _CHIP),
        _s("connectors", "连接器", "Connectors", "upstream", "3989", ("853669",), 0.06, 1.0, 0.3),
        _s("batteries_small", "消费类锂电池", "Consumer lithium batteries", "upstream", "3841", ("850760",), 0.06, 0.4, 0.2),
        _s("chips_in", "处理器及存储芯片", "Processors and memory", "upstream", "3973", ("854231", "854232"), 0.0, 0.0, 0.95, _CHIP),
        _s("casings", "结构件及外壳", "Structural parts and casings", "midstream", "3399", ("830249", "392690"), 0.08, 1.5, 0.1),
        _s("pcba", "电路板组装", "PCB assembly", "midstream", "3989", ("847330",), 0.12, 1.0, 0.2),
        _s("phones", "智能手机及平板", "Smartphones and tablets", "downstream", "3922", ("851713",), 0.18, 0.2, 0.1),
        _s("wearables", "可穿戴设备", "Wearables", "downstream", "3969", ("851762",), 0.08, 0.6, 0.1),
        _s("iot_devices", "物联网终端", "IoT devices", "downstream", "3921", ("851762", "852691"), 0.14, 0.8, 0.2),
        _s("audio_video", "智能影音设备", "Smart audio and video devices", "downstream", "3952", ("851822",), 0.12, 1.0, 0.1),
    ), (("pcb", "pcba"), ("passives", "pcba"), ("connectors", "pcba"), ("chips_in", "pcba"),
        ("pcba", "phones"), ("pcba", "wearables"), ("pcba", "iot_devices"), ("pcba", "audio_video"),
        ("casings", "phones"), ("casings", "audio_video"), ("batteries_small", "phones"),
        ("batteries_small", "wearables"))),
    Chain("industrial_software", "工业软件产业链", "Industrial software", "cl_software", 0.18, 0.50, 0.05, (
        _s("os_db", "基础软件（操作系统、数据库）", "Base software (OS, databases)", "upstream", "6511", ("852349",), 0.0, 0.0, 0.9, _SOFT),
        _s("cad_cae", "研发设计类软件（CAD/CAE）", "Design software (CAD/CAE)", "upstream", "6513", ("852349",), 0.10, 0.4, 0.85, _SOFT),
        _s("plc", "工业控制器（PLC/DCS）", "Industrial controllers (PLC/DCS)", "upstream", "4011", ("853720",), 0.16, 0.6, 0.6, _PREC),
        _s("sensors", "工业传感器", "Industrial sensors", "upstream", "4019", ("902610", "903289"), 0.12, 0.8, 0.5, _PREC),
        _s("mes_erp", "生产控制与管理软件（MES/ERP）", "Production and management software (MES/ERP)", "midstream", "6513", ("852349",), 0.18, 1.2, 0.3, _SOFT),
        _s("scada", "工业自动化系统集成", "Automation system integration", "midstream", "6531", ("853710",), 0.18, 1.2, 0.2),
        _s("iiot_platform", "工业互联网平台", "Industrial internet platforms", "downstream", "6450", ("852349",), 0.12, 0.6, 0.1),
        _s("industry_apps", "行业解决方案", "Industry solutions", "downstream", "6513", ("852349",), 0.14, 1.2, 0.1),
    ), (("os_db", "mes_erp"), ("os_db", "iiot_platform"), ("cad_cae", "industry_apps"), ("plc", "scada"),
        ("sensors", "scada"), ("sensors", "iiot_platform"), ("mes_erp", "industry_apps"),
        ("scada", "iiot_platform"), ("mes_erp", "iiot_platform"))),
    Chain("hi_end_equipment", "高端装备产业链", "High-end equipment", "cl_equipment", 0.07, 0.26, 0.25, (
        _s("castings", "铸锻件", "Castings and forgings", "upstream", "3391", ("732591", "732690"), 0.08, 1.5, 0.1),
        _s("cnc_systems", "数控系统", "CNC systems", "upstream", "3421", ("853710",), 0.05, 0.2, 0.8, _PREC),
        _s("servo", "伺服电机及驱动", "Servo motors and drives", "upstream", "3812", ("850140",), 0.06, 0.5, 0.6, _PREC),
        _s("hydraulics", "液压气动元件", "Hydraulic and pneumatic components", "upstream", "3444", ("841221", "848120"), 0.07, 1.2, 0.4, _PREC),
        _s("reducers", "精密减速器", "Precision reducers", "upstream", "3453", ("848340",), 0.04, 0.4, 0.7, _PREC),
        _s("injection_machines", "注塑机", "Injection moulding machines", "midstream", "3513", ("847710",), 0.16, 0.8, 0.1),
        _s("machine_tools", "数控机床", "CNC machine tools", "midstream", "3421", ("845710", "845811"), 0.14, 1.0, 0.3),
        _s("robots", "工业机器人", "Industrial robots", "midstream", "3491", ("847950",), 0.08, 0.6, 0.5, _PREC),
        _s("moulds", "模具", "Moulds", "midstream", "3525", ("848071",), 0.10, 2.5, 0.1),
        _s("marine", "船舶与海工装备", "Ships and marine equipment", "downstream", "3731", ("890190",), 0.10, 0.3, 0.3),
        _s("smart_lines", "智能成套装备", "Turnkey smart production lines", "downstream", "3599", ("847989",), 0.12, 0.8, 0.2),
    ), (("castings", "injection_machines"), ("castings", "machine_tools"), ("cnc_systems", "machine_tools"),
        ("servo", "injection_machines"), ("servo", "robots"), ("servo", "machine_tools"),
        ("hydraulics", "injection_machines"), ("reducers", "robots"), ("machine_tools", "moulds"),
        ("robots", "smart_lines"), ("injection_machines", "smart_lines"), ("castings", "marine"),
        ("hydraulics", "marine"))),
    Chain("key_components", "关键基础件产业链", "Key basic components", "cl_equipment", 0.05, 0.24, 0.30, (
        _s("special_steel", "特种钢材", "Special steel", "upstream", "3140", ("722830", "722300"), 0.10, 0.4, 0.3, _PREC),
        _s("powder_metal", "粉末冶金", "Powder metallurgy", "upstream", "3393", ("848390",), 0.06, 0.8, 0.2),
        _s("bearings", "轴承", "Bearings", "midstream", "3451", ("848210", "848250"), 0.18, 1.5, 0.4, _PREC),
        _s("gears", "齿轮及传动件", "Gears and transmission parts", "midstream", "3453", ("848340",), 0.14, 1.5, 0.2),
        _s("fasteners", "紧固件", "Fasteners", "midstream", "3482", ("731815", "731816"), 0.12, 2.5, 0.1),
        _s("seals", "密封件", "Seals", "midstream", "2913", ("401693", "848420"), 0.06, 1.0, 0.3),
        _s("valves", "阀门", "Valves", "downstream", "3443", ("848180",), 0.14, 1.5, 0.2),
        _s("pumps", "泵及真空设备", "Pumps and vacuum equipment", "downstream", "3441", ("841370",), 0.12, 1.0, 0.2),
        _s("springs", "弹簧及精密冲压件", "Springs and precision stampings", "downstream", "3481", ("732020",), 0.08, 1.2, 0.1),
    ), (("special_steel", "bearings"), ("special_steel", "gears"), ("special_steel", "fasteners"),
        ("special_steel", "springs"), ("powder_metal", "gears"), ("bearings", "pumps"), ("gears", "pumps"),
        ("seals", "valves"), ("seals", "pumps"), ("fasteners", "valves"))),
    Chain("magnetic_materials", "稀土磁性材料产业链", "Rare-earth magnetic materials", "cl_materials", 0.12, 0.22, 0.35, (
        _s("rare_earth_ore", "稀土原料", "Rare-earth raw materials", "upstream", "0932", ("280530",), 0.0, 0.0, 0.6, _RARE),
        _s("re_metals", "稀土金属及合金", "Rare-earth metals and alloys", "upstream", "3232", ("280530", "850511"), 0.12, 0.3, 0.3, _RARE),
        _s("ndfeb_blanks", "钕铁硼毛坯", "NdFeB blanks", "midstream", "3985", ("850511",), 0.28, 0.8, 0.1),
        _s("ferrite", "铁氧体磁材", "Ferrite magnets", "midstream", "3985", ("850519",), 0.10, 0.6, 0.1),
        _s("coating_machining", "磁材加工与镀层", "Magnet machining and coating", "midstream", "3360", ("850511",), 0.12, 1.2, 0.1),
        _s("magnet_assemblies", "磁组件", "Magnetic assemblies", "downstream", "3985", ("850590",), 0.14, 0.8, 0.2),
        _s("motors_small", "微特电机", "Micro and special motors", "downstream", "3813", ("850131", "850110"), 0.16, 1.5, 0.2),
        _s("testing_equip", "磁性检测设备", "Magnetic testing equipment", "downstream", "4014", ("903033",), 0.08, 0.3, 0.7, _PREC),
    ), (("rare_earth_ore", "re_metals"), ("re_metals", "ndfeb_blanks"), ("ndfeb_blanks", "coating_machining"),
        ("coating_machining", "magnet_assemblies"), ("ferrite", "magnet_assemblies"), ("ferrite", "motors_small"),
        ("magnet_assemblies", "motors_small"), ("ndfeb_blanks", "testing_equip"))),
    Chain("textiles_apparel", "时尚纺织服装产业链", "Textiles and apparel", "cl_consumer", -0.01, 0.22, 0.45, (
        _s("fibres_in", "棉花及天然纤维", "Cotton and natural fibres", "upstream", "0131", ("520100",), 0.0, 0.0, 0.7, _FIBRE),
        _s("chem_fibre", "化学纤维", "Man-made fibres", "upstream", "2822", ("550320", "540233"), 0.10, 0.8, 0.1),
        _s("spinning", "纺纱", "Spinning", "upstream", "1712", ("520523",), 0.08, 1.5, 0.3, _FIBRE),
        _s("weaving", "织造", "Weaving and knitting", "midstream", "1713", ("540752", "600632"), 0.12, 2.5, 0.2),
        _s("dyeing", "印染", "Dyeing and finishing", "midstream", "1752", ("540761",), 0.10, 1.5, 0.1),
        _s("accessories", "辅料（纽扣、拉链）", "Trims (buttons, zippers)", "midstream", "2439", ("960719", "960622"), 0.04, 1.2, 0.1),
        _s("garments", "服装", "Garments", "downstream", "1810", ("620342", "611030"), 0.36, 5.0, 0.1),
        _s("home_textiles", "家用纺织品", "Home textiles", "downstream", "1771", ("630231",), 0.10, 2.0, 0.1),
        _s("knitwear", "针织服饰", "Knitwear", "downstream", "1830", ("611020",), 0.10, 2.5, 0.1),
    ), (("fibres_in", "spinning"), ("chem_fibre", "spinning"), ("chem_fibre", "weaving"), ("spinning", "weaving"),
        ("weaving", "dyeing"), ("dyeing", "garments"), ("dyeing", "home_textiles"), ("accessories", "garments"),
        ("spinning", "knitwear"), ("dyeing", "knitwear"))),
    Chain("smart_appliances", "智能家电产业链", "Smart home appliances", "cl_consumer", 0.06, 0.21, 0.40, (
        _s("compressors", "压缩机", "Compressors", "upstream", "3442", ("841430",), 0.08, 0.4, 0.3),
        _s("small_motors", "家电电机", "Appliance motors", "upstream", "3813", ("850131",), 0.08, 1.0, 0.1),
        _s("controllers", "智能控制器", "Smart controllers", "upstream", "3989", ("853710", "903289"), 0.08, 1.0, 0.5, _CHIP),
        _s("plastic_parts", "注塑结构件", "Moulded plastic parts", "midstream", "2929", ("392690",), 0.08, 2.5, 0.1),
        _s("heat_exchangers", "换热器", "Heat exchangers", "midstream", "3464", ("841950",), 0.06, 0.8, 0.1),
        _s("air_conditioners", "空调", "Air conditioners", "downstream", "3851", ("841510",), 0.20, 0.4, 0.1),
        _s("fridges_washers", "冰箱洗衣机", "Refrigerators and washing machines", "downstream", "3851", ("841821", "845011"), 0.18, 0.5, 0.1),
        _s("small_appliances", "小家电", "Small appliances", "downstream", "3856", ("850940", "851671"), 0.18, 3.0, 0.1),
        _s("kitchen", "厨房电器", "Kitchen appliances", "downstream", "3854", ("851660", "841460"), 0.06, 1.2, 0.1),
    ), (("compressors", "air_conditioners"), ("compressors", "fridges_washers"), ("small_motors", "fridges_washers"),
        ("small_motors", "small_appliances"), ("controllers", "air_conditioners"), ("controllers", "fridges_washers"),
        ("controllers", "small_appliances"), ("controllers", "kitchen"), ("plastic_parts", "small_appliances"),
        ("plastic_parts", "kitchen"), ("heat_exchangers", "air_conditioners"), ("heat_exchangers", "fridges_washers"))),
)

# enterprises outside the mapped chains (food, paper, building materials, metal products ...)
UNMAPPED_INDUSTRIES = {"1391": 0.08, "1419": 0.06, "2231": 0.08, "3021": 0.08, "3311": 0.14, "3331": 0.10,
                       "2110": 0.08, "2411": 0.08, "2710": 0.06, "3130": 0.04, "4411": 0.02, "3759": 0.04,
                       "1529": 0.04, "2319": 0.06, "4220": 0.04}
UNMAPPED_HS = {"13": "210690", "14": "190590", "22": "481910", "30": "681099", "33": "732690", "21": "940360",
               "24": "950300", "27": "300490", "31": "720851", "44": "271600", "37": "871200", "15": "220299",
               "23": "491199", "42": "740400"}
UNMAPPED_CHAIN_GROWTH = 0.03


def segment_id(chain: Chain, seg: Seg) -> str:
    """Global segment id, e.g. ``nev.cells``."""
    return f"{chain.chain_id}.{seg.key}"


def all_segments() -> list[tuple[Chain, Seg]]:
    return [(c, s) for c in CHAINS for s in c.segments]


def hs_codes_used() -> list[str]:
    codes = {h for _, s in all_segments() for h in s.hs} | set(UNMAPPED_HS.values()) | {"270900"}
    return sorted(codes)
