"""The catalogue of named inputs (attributes) a rule may read.

One catalogue serves the tier rule sets (cultivation) and the support policies (policy): a rule file
that names an attribute not listed here is rejected. Each attribute has a type (see
:mod:`chainwatch.analytics.rules.values`), a label in Chinese and English, and a group used in docs.
``y`` is the calendar year of the assessment or reference date; ``y1`` = the prior year (y−1),
``y2`` = y−2.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Attribute:
    """One named input: ``name``, ``kind`` (value type), labels and the catalogue group."""

    name: str
    kind: str
    zh: str
    en: str
    group: str

    def label(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.en


_A = Attribute
_TITLES = {
    "high_tech": ("高新技术企业", "high-tech enterprise"),
    "tech_innovation_demo": ("国家级技术创新示范企业", "national technology-innovation demonstration enterprise"),
    "ip_advantage": ("知识产权优势企业", "IP-advantage enterprise"),
    "ip_demo": ("知识产权示范企业", "IP-demonstration enterprise"),
    "innovative_sme": ("创新型中小企业", "innovative SME"),
    "sti_sme": ("科技型中小企业（入库登记）", "technology-based SME (registered)"),
    "zjtx": ("专精特新中小企业", "specialised and innovative (专精特新) SME"),
    "little_giant": ("专精特新“小巨人”企业", "专精特新 'little giant'"),
    "single_champion": ("制造业单项冠军企业", "manufacturing single champion"),
}

ATTRIBUTES_LIST: list[Attribute] = [
    # identity and structure
    _A("district", "category", "所在区县（统计用区划代码）", "district (NBS code)", "identity"),
    _A("industry", "category", "国民经济行业代码", "industry code (GB/T 4754-2017)", "identity"),
    _A("division", "category", "行业大类（2位）", "industry division (2 digits)", "identity"),
    _A("section", "category", "行业门类", "industry section", "identity"),
    _A("chains", "set", "所属产业链", "industrial chains", "identity"),
    _A("segments", "set", "所属产业链环节", "chain segments", "identity"),
    _A("size_class", "category", "企业规模（大/中/小/微）", "size class (large/medium/small/micro)", "identity"),
    _A("sme", "bool", "中小企业（工信部联企业〔2011〕300号）", "SME (MIIT 2011 No. 300)", "identity"),
    _A("above_size", "bool", "规模以上工业企业（参考年）", "above designated size (reference year)", "identity"),
    _A("above_size_new", "bool", "当年新晋规上", "newly above designated size this year", "identity"),
    _A("compliance_ok", "bool", "无异常名录、严重失信、重大事故及禁止类产品",
       "no abnormal/dishonesty listing, major accident or prohibited product", "identity"),
    # monthly statistics (reference period, cumulative year to date)
    _A("revenue_ytd", "money", "本年累计营业收入", "operating revenue, year to date", "monthly"),
    _A("output_ytd", "money", "本年累计工业总产值", "gross industrial output, year to date", "monthly"),
    _A("profit_ytd", "money", "本年累计利润总额", "total profit, year to date", "monthly"),
    _A("export_ytd", "money", "本年累计出口交货值", "export delivery value, year to date", "monthly"),
    _A("revenue_growth_ytd", "ratio", "营业收入累计同比增速", "operating revenue growth, year to date", "monthly"),
    _A("output_growth_ytd", "ratio", "工业总产值累计同比增速", "gross output growth, year to date", "monthly"),
    _A("profit_growth_ytd", "ratio", "利润总额累计同比增速", "total profit growth, year to date", "monthly"),
    _A("export_growth_ytd", "ratio", "出口交货值累计同比增速", "export delivery value growth, year to date", "monthly"),
    _A("export_share_ytd", "ratio", "出口交货值占工业总产值比重（本年累计）",
       "export delivery value as a share of gross output, year to date", "monthly"),
    _A("employees", "number", "从业人员（参考月）", "employees (reference month)", "monthly"),
    _A("open_warnings", "count", "未解除的预警数", "open warnings", "monthly"),
    # annual financials (the prior year y−1 unless stated)
    _A("employees_y1", "number", "上年从业人员", "employees, prior year", "annual"),
    _A("revenue_y1", "money", "上年营业收入", "operating revenue, prior year", "annual"),
    _A("main_revenue_y1", "money", "上年主营业务收入", "main-business revenue, prior year", "annual"),
    _A("main_share_y1", "ratio", "上年主营业务收入占营业收入比重", "main-business share of operating revenue, prior year", "annual"),
    _A("rd_expense_y1", "money", "上年研发费用", "R&D expense, prior year", "annual"),
    _A("rd_expense_y2", "money", "前年研发费用", "R&D expense, year y−2", "annual"),
    _A("rd_expense_min_2y", "money", "近2年研发费用（两年中较低者）", "R&D expense, lower of the last two years", "annual"),
    _A("rd_expense_2y_total", "money", "近2年研发费用总额", "R&D expense, total of the last two years", "annual"),
    _A("rd_expense_2y_mean", "money", "近2年研发费用平均值", "R&D expense, mean of the last two years", "annual"),
    _A("rd_share_y1", "ratio", "上年研发费用占营业收入比重", "R&D intensity, prior year", "annual"),
    _A("rd_share_y2", "ratio", "前年研发费用占营业收入比重", "R&D intensity, year y−2", "annual"),
    _A("rd_share_min_2y", "ratio", "近2年研发费用占营业收入比重（两年中较低者）",
       "R&D intensity, lower of the last two years", "annual"),
    _A("rd_staff_share_y1", "ratio", "上年研发人员占全部职工比重", "R&D staff share, prior year", "annual"),
    _A("mbr_growth_y1", "ratio", "上年主营业务收入增长率", "main-business revenue growth, prior year", "annual"),
    _A("mbr_growth_2y_avg", "ratio", "近2年主营业务收入平均增长率", "main-business revenue growth, 2-year average", "annual"),
    _A("or_cagr_2y", "ratio", "近2年营业收入复合增长率", "operating revenue 2-year compound growth", "annual"),
    _A("mbr_3y_mean", "money", "近3年主营业务收入平均值", "main-business revenue, 3-year mean", "annual"),
    _A("debt_ratio_y1", "ratio", "上年末资产负债率", "debt-to-asset ratio, end of prior year", "annual"),
    _A("net_margin_y1", "ratio", "上年净利润率", "net profit margin, prior year", "annual"),
    _A("equity_2y", "money", "近2年新增合格机构股权融资（实缴）", "qualified equity financing paid in, last 2 years", "annual"),
    _A("equity_3y", "money", "近3年新增合格机构股权融资（实缴）", "qualified equity financing paid in, last 3 years", "annual"),
    # niche, field, market
    _A("niche_years", "years", "从事特定细分市场年限（截至上年末）", "years in the niche market (to end of prior year)", "profile"),
    _A("years_in_field", "years", "从事相关领域年限（截至上年末）", "years in the field (to end of prior year)", "profile"),
    _A("new_product_years", "years", "新产品从事年限", "years in the field for a new product", "profile"),
    _A("market_share_domestic", "ratio", "主导产品国内细分市场占有率", "main product's domestic niche-market share", "profile"),
    _A("market_share_best", "ratio", "主导产品国内或国际细分市场占有率（较高者）",
       "main product's niche-market share, domestic or global (higher)", "profile"),
    _A("market_rank_domestic", "count", "主导产品国内市场排名", "main product's domestic market rank", "profile"),
    _A("market_rank_global", "count", "主导产品全球市场排名", "main product's global market rank", "profile"),
    _A("field_strategic_emerging", "bool", "主导产品属于《战略性新兴产业分类》", "main product in the strategic emerging industries list", "profile"),
    _A("field_key_link_results", "bool", "在产业链关键环节补短板、锻长板、填空白取得实际成效",
       "proven 补短板/锻长板/填空白 results at key supply-chain links", "profile"),
    _A("field_six_basics", "bool", "主导产品属于工业“六基”领域", "main product in the industrial 'six basics'", "profile"),
    _A("field_laozihao", "bool", "中华老字号", "中华老字号 (time-honoured brand)", "profile"),
    _A("field_serves_chain_leader", "bool", "为重点产业链龙头企业配套", "supplies a leading enterprise of a key chain", "profile"),
    _A("field_manufacturing_power", "bool", "属于制造强国战略十大重点产业领域", "in the ten key sectors of the manufacturing-power strategy", "profile"),
    _A("field_network_power", "bool", "属于网络强国战略相关重点领域", "in the key fields of the network-power strategy", "profile"),
    _A("field_2026_priority", "bool", "属于六基、传统产业升级、新兴产业或未来产业领域",
       "in 六基, traditional-industry upgrading, emerging or future industries", "profile"),
    _A("key_chain_link", "bool", "位于重点产业链关键环节", "at a key link of a key industrial chain", "profile"),
    _A("info_system", "bool", "至少1项核心业务采用信息系统支撑", "a core business runs on an information system", "profile"),
    _A("mgmt_or_product_cert", "bool", "取得管理体系认证或发达国家/地区产品认证",
       "management-system certificate or developed-market product certificate", "profile"),
    _A("own_brand", "bool", "拥有自主品牌", "owns an independent brand", "profile"),
    _A("quality_items", "count", "质量管理项（质量奖、管理体系认证、自主品牌、参与标准制修订）",
       "quality-management items (award, QMS certificate, own brand, standards)", "profile"),
    _A("digital_level", "count", "数字化水平等级", "digitalisation level", "profile"),
    _A("special_score", "number", "特色化指标得分（省定，0–15）", "local 特色化 score (0–15)", "profile"),
    _A("zjtx_score_y", "number", "当年专精特新发展评价得分", "专精特新 development score, this year", "profile"),
    _A("zjtx_score_best_2y", "number", "近2年专精特新发展评价得分（较高者）", "专精特新 development score, best of last two years", "profile"),
    _A("energy_advanced", "bool", "产品能耗达到能耗限额标准先进值", "energy use meets the advanced value of the quota standard", "profile"),
    # IP, awards, institutions
    _A("ip_best", "category", "与主导产品相关的有效知识产权（最高类别）", "best IP class related to the main product", "innovation"),
    _A("ip_class1", "count", "与主导产品相关的Ⅰ类知识产权数", "class I IP items related to the main product", "innovation"),
    _A("ip_class1_applied", "count", "实际应用并产生经济效益的Ⅰ类知识产权数", "class I IP items applied with economic benefit", "innovation"),
    _A("ip_class1_applied_own", "count", "自主（非受让）且权利人排名前3、实际应用的Ⅰ类知识产权数",
       "own (not transferred-in, holder in first three) applied class I IP", "innovation"),
    _A("rd_institution_level", "category", "最高级别研发机构", "highest-level R&D institution", "innovation"),
    _A("rd_institution_any", "bool", "拥有自建或合作研发机构", "has an own or joint R&D institution", "innovation"),
    _A("award_natprov_3y", "bool", "近3年获国家级或省级科技奖励", "national or provincial S&T award, last 3 years", "innovation"),
    _A("award_z1_3y", "bool", "近3年获省级科技奖励（前3）或国家级科技奖励（前5）",
       "provincial S&T award (top 3) or national (top 5), last 3 years", "innovation"),
    _A("award_provmin_top3_3y", "bool", "近3年获省部级及以上科技奖励（排名前3）",
       "provincial/ministerial-or-higher S&T award ranked top 3, last 3 years", "innovation"),
    _A("award_nat_top3_3y", "bool", "近3年获国家级科技奖励（排名前3）", "national S&T award ranked top 3, last 3 years", "innovation"),
    _A("makers_top500_3y", "bool", "近3年进入“创客中国”大赛全国500强企业组", "创客中国 national top-500 group, last 3 years", "innovation"),
    _A("makers_top50_3y", "bool", "近3年进入“创客中国”大赛全国50强企业组", "创客中国 national top-50 group, last 3 years", "innovation"),
]

for _code, (_zh, _en) in _TITLES.items():
    ATTRIBUTES_LIST.append(_A(f"title_{_code}", "bool", f"持有有效的{_zh}称号", f"holds a valid title: {_en}", "titles"))
    ATTRIBUTES_LIST.append(_A(f"title_{_code}_since", "date", f"{_zh}称号认定日期", f"{_en}: title valid from", "titles"))
    ATTRIBUTES_LIST.append(_A(f"title_{_code}_until", "date", f"{_zh}称号有效期至", f"{_en}: title valid to", "titles"))

ATTRIBUTES: dict[str, Attribute] = {a.name: a for a in ATTRIBUTES_LIST}
TITLE_CODES: tuple[str, ...] = tuple(_TITLES)
TITLE_LABELS: dict[str, tuple[str, str]] = dict(_TITLES)

# categories whose values are a closed list (checked when a rule file is loaded)
CATEGORY_VALUES: dict[str, tuple[str, ...]] = {
    "size_class": ("large", "medium", "small", "micro"),
    "ip_best": ("high_value", "class1_self", "class1", "class2", "none"),
    "rd_institution_level": ("national", "provincial", "ministerial", "municipal", "lower", "none"),
}


def attribute(name: str) -> Attribute | None:
    """The catalogue entry of ``name``, or None when the name is unknown."""
    return ATTRIBUTES.get(name)
