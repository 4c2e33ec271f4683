"""Import kinds: the columns of each importable file, their types, units and references.

A kind is declared as data: a target table, its key, and its columns with the Chinese and English
header labels accepted on import and written into templates. Money columns are converted from the
declared unit into the canonical 万元 on import.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Column:
    name: str                      # canonical name = table column
    zh: str                        # Chinese header label
    en: str                        # English header label
    type: str                      # str uscc region industry hs iso3 date period year int float money bool enum share
    required: bool = False
    example: str = ""
    help_zh: str = ""
    help_en: str = ""
    enum: tuple[str, ...] = ()
    negative_ok: bool = False      # money/float columns that may be negative (profit)
    lo: float | None = None
    hi: float | None = None
    unit: str = ""                 # display unit for non-money columns
    aliases: tuple[str, ...] = ()  # further header labels accepted on import (as source systems print them)


@dataclass(frozen=True)
class Reference:
    column: str
    table: str                     # table that must contain the value
    target: str                    # column there
    message: str                   # message key


@dataclass(frozen=True)
class Kind:
    name: str
    table: str
    key: tuple[str, ...]
    columns: tuple[Column, ...]
    zh: str
    en: str
    refs: tuple[Reference, ...] = ()
    derived: dict[str, str] = field(default_factory=dict)   # table column -> SQL over staged columns
    # columns computed into the staging table after typing, from the set of mapped columns (keys that
    # are not in the file, defaults); they are checked and applied like the file's own columns
    staged: Callable[[set[str]], dict[str, str]] | None = None

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)

    @property
    def money_columns(self) -> list[str]:
        return [c.name for c in self.columns if c.type == "money"]


def C(name: str, zh: str, en: str, type: str = "str", required: bool = False, example: str = "", **kw: object) -> Column:
    return Column(name, zh, en, type, required, example, **kw)  # type: ignore[arg-type]


ENT = Reference("uscc", "enterprise", "uscc", "v.unknown_enterprise")
BOOLS = ("1", "0", "true", "false", "yes", "no", "y", "n", "是", "否", "t", "f")
TITLES = ("high_tech", "innovative_sme", "sti_sme", "tech_sme", "zjtx", "little_giant", "single_champion",
          "tech_innovation_demo", "ip_advantage", "ip_demo")
POSITIONS = ("upstream", "midstream", "downstream", "上游", "中游", "下游")
EX_USCC = "91330200MA2AAAAAAF"
EX_USCC2 = "91330200MA2AAAAABJ"

KINDS: dict[str, Kind] = {}


def _register(kind: Kind) -> None:
    KINDS[kind.name] = kind


_register(Kind("region", "region", ("code",), (
    C("code", "区划代码", "code", "str", True, "330212", help_zh="NBS 统计用区划代码（2、4、6 或 9 位）",
      help_en="NBS statistical division code (2, 4, 6 or 9 digits)"),
    C("name", "名称", "name", "str", True, "鄞州区"),
    C("name_en", "英文名称", "name_en", "str", False, "Yinzhou"),
    C("level", "级别", "level", "int", True, "3", lo=1, hi=5, help_zh="1 省 2 地市 3 区县 4 乡镇",
      help_en="1 province, 2 prefecture, 3 county, 4 township"),
    C("parent", "上级代码", "parent", "str", False, "3302"),
), "行政区划", "Regions"))

_register(Kind("hs", "hs_code", ("code",), (
    C("code", "HS编码", "hscode", "str", True, "850760", help_zh="HS 2022 章/品目/子目（2、4、6 位）",
      help_en="HS 2022 chapter/heading/subheading (2, 4 or 6 digits)"),
    C("level", "级别", "level", "int", True, "6", lo=2, hi=6),
    C("section", "类", "section", "str", False, "XVI"),
    C("parent", "上级编码", "parent", "str", False, "8507"),
    C("description", "描述", "description", "str", False, "Lithium-ion accumulators"),
), "HS编码", "HS codes"))

_register(Kind("enterprise", "enterprise", ("uscc",), (
    C("uscc", "统一社会信用代码", "USCC", "uscc", True, EX_USCC, help_zh="18 位，含校验位（GB 32100-2015）",
      help_en="18 characters with check character (GB 32100-2015)"),
    C("name", "企业名称", "name", "str", True, "宁波示例新材料有限公司"),
    C("district", "所在区县代码", "district", "region", True, "330212", help_zh="6 位统计用区划代码",
      help_en="6-digit NBS division code"),
    C("industry", "国民经济行业代码", "industry", "industry", True, "3841",
      help_zh="GB/T 4754-2017 代码（2–4 位，可带门类字母）", help_en="GB/T 4754-2017 code (2-4 digits, letter optional)"),
    C("founded", "成立日期", "founded", "date", False, "2012-05-18"),
), "企业名录", "Enterprises",
    derived={"division": "substr(industry, 1, 2)", "section": "section_of_division(substr(industry, 1, 2))"}))

_register(Kind("scope", "enterprise_scope", ("uscc", "year"), (
    C("uscc", "统一社会信用代码", "USCC", "uscc", True, EX_USCC),
    C("year", "年份", "year", "year", True, "2021"),
    C("above_size", "是否规上", "above_size", "bool", True, "1", help_zh="该年是否属于规模以上工业（名录）",
      help_en="in the above-designated-size directory (规上) that year"),
    C("source", "来源", "source", "enum", False, "directory", enum=("directory", "derived")),
), "规上名录", "Above-size directory", refs=(ENT,)))

_register(Kind("title", "enterprise_title", ("uscc", "title", "valid_from"), (
    C("uscc", "统一社会信用代码", "USCC", "uscc", True, EX_USCC),
    C("title", "称号", "title", "enum", True, "zjtx", enum=TITLES,
      help_zh="high_tech 高新技术企业, innovative_sme 创新型中小企业, zjtx 专精特新中小企业, little_giant 专精特新“小巨人”, single_champion 单项冠军 等",
      help_en="high_tech, innovative_sme, sti_sme, zjtx, little_giant, single_champion ..."),
    C("valid_from", "有效期起", "valid_from", "date", True, "2021-07-01"),
    C("valid_to", "有效期止", "valid_to", "date", False, "2024-06-30"),
    C("category", "类别", "category", "str", False, ""),
), "企业称号", "Titles", refs=(ENT,)))

_MONTHLY_VALUES = (
    C("gross_output", "工业总产值", "gross_output", "money", False, "1250.5"),
    C("value_added", "工业增加值", "value_added", "money", False, "310.2"),
    C("revenue", "营业收入", "revenue", "money", False, "1302.7"),
    C("total_profit", "利润总额", "total_profit", "money", False, "88.1", negative_ok=True),
    C("taxes", "税金总额", "taxes", "money", False, "40.3", help_zh="与利润总额相加为利税", help_en="added to total profit gives 利税"),
    C("export_value", "出口交货值", "export_value", "money", False, "210.0"),
    C("electricity", "用电量", "electricity", "float", False, "52.6", unit="万千瓦时"),
    C("employees", "从业人员", "employees", "float", False, "412", unit="人"),
)
_register(Kind("monthly", "monthly_value", ("uscc", "period"), (
    C("uscc", "统一社会信用代码", "USCC", "uscc", True, EX_USCC),
    C("period", "期间", "period", "period", True, "2021-11", help_zh="YYYY-MM，当月数（非累计）",
      help_en="YYYY-MM, the month's own value (not cumulative)"),
    *_MONTHLY_VALUES,
), "月度指标", "Monthly values", refs=(ENT,),
    derived={"year": "CAST(substr(period, 1, 4) AS INTEGER)", "month": "CAST(substr(period, 6, 2) AS INTEGER)"}))

_register(Kind("deflator", "deflator", ("industry", "period", "span"), (
    C("industry", "行业代码", "industry", "str", True, "*", help_zh="2 位大类代码，* 表示全部工业",
      help_en="2-digit division, * for all industry"),
    C("period", "期间", "period", "period", True, "2021-11"),
    C("span", "口径", "span", "enum", True, "month", enum=("month", "cumulative")),
    C("index_value", "出厂价格指数(上年同期=100)", "index_value", "float", True, "102.3", lo=1, hi=1000),
), "价格指数", "Price indices (PPI)"))

_register(Kind("annual", "enterprise_annual", ("uscc", "year"), (
    C("uscc", "统一社会信用代码", "USCC", "uscc", True, EX_USCC),
    C("year", "年份", "year", "year", True, "2021"),
    C("employees", "从业人员", "employees", "float", False, "412", unit="人"),
    C("rd_personnel", "研发人员", "rd_personnel", "float", False, "61", unit="人"),
    C("revenue", "营业收入", "revenue", "money", False, "15600"),
    C("main_revenue", "主营业务收入", "main_revenue", "money", False, "14800"),
    C("rd_expense", "研发费用", "rd_expense", "money", False, "620"),
    C("net_profit", "净利润", "net_profit", "money", False, "950", negative_ok=True),
    C("total_assets", "资产总额", "total_assets", "money", False, "22000"),
    C("total_liabilities", "负债总额", "total_liabilities", "money", False, "9800"),
    C("invention_patents", "I类知识产权数", "invention_patents", "int", False, "6"),
    C("other_ip", "II类知识产权数", "other_ip", "int", False, "14"),
    C("equity_financing", "股权融资额", "equity_financing", "money", False, "0"),
    C("niche_years", "从事细分领域年限", "niche_years", "float", False, "9"),
    C("digital_level", "数字化水平等级", "digital_level", "int", False, "2", lo=1, hi=4),
    C("market_share_domestic", "主导产品国内市场占有率(%)", "market_share_domestic", "float", False, "12.5", lo=0, hi=100),
    C("market_share_global", "主导产品全球市场占有率(%)", "market_share_global", "float", False, "3.1", lo=0, hi=100),
    C("market_rank_domestic", "国内市场排名", "market_rank_domestic", "int", False, "2", lo=1),
    C("market_rank_global", "全球市场排名", "market_rank_global", "int", False, "8", lo=1),
    C("zjtx_score", "专精特新发展评价得分", "zjtx_score", "float", False, "78", lo=0, hi=100),
    C("rd_institution", "研发机构级别", "rd_institution", "enum", False, "provincial",
      enum=("national", "provincial", "municipal", "none")),
    C("compliance_ok", "无失信及重大事故", "compliance_ok", "bool", False, "1"),
    C("attrs", "其他属性(JSON)", "attrs", "str", False, "{}", help_zh="其他评价输入，JSON 对象",
      help_en="further assessment inputs as a JSON object"),
), "年度评价属性", "Annual attributes", refs=(ENT,)))

_register(Kind("cluster", "cluster", ("cluster_id",), (
    C("cluster_id", "集群代码", "cluster_id", "str", True, "green-petrochem"),
    C("name_zh", "集群名称", "name_zh", "str", True, "绿色石化集群"),
    C("name_en", "英文名称", "name_en", "str", False, "Green petrochemicals"),
), "产业集群", "Clusters"))

_register(Kind("chain", "chain", ("chain_id",), (
    C("chain_id", "产业链代码", "chain_id", "str", True, "nev"),
    C("name_zh", "产业链名称", "name_zh", "str", True, "新能源汽车"),
    C("name_en", "英文名称", "name_en", "str", False, "New-energy vehicles"),
    C("cluster_id", "所属集群代码", "cluster_id", "str", False, ""),
), "产业链", "Chains", refs=(Reference("cluster_id", "cluster", "cluster_id", "v.unknown_cluster"),)))

_register(Kind("segment", "segment", ("segment_id",), (
    C("segment_id", "环节代码", "segment_id", "str", True, "nev-cell"),
    C("chain_id", "产业链代码", "chain_id", "str", True, "nev"),
    C("name_zh", "环节名称", "name_zh", "str", True, "动力电池电芯"),
    C("name_en", "英文名称", "name_en", "str", False, "Battery cells"),
    C("position", "位置", "position", "enum", True, "midstream", enum=POSITIONS),
), "产业链环节", "Segments", refs=(Reference("chain_id", "chain", "chain_id", "v.unknown_chain"),)))

_register(Kind("segment_edge", "segment_edge", ("from_segment", "to_segment"), (
    C("chain_id", "产业链代码", "chain_id", "str", True, "nev"),
    C("from_segment", "上游环节", "from_segment", "str", True, "nev-cathode"),
    C("to_segment", "下游环节", "to_segment", "str", True, "nev-cell"),
), "环节上下游关系", "Segment edges", refs=(
    Reference("chain_id", "chain", "chain_id", "v.unknown_chain"),
    Reference("from_segment", "segment", "segment_id", "v.unknown_segment"),
    Reference("to_segment", "segment", "segment_id", "v.unknown_segment"))))

_register(Kind("segment_product", "segment_product", ("segment_id", "hs_code"), (
    C("segment_id", "环节代码", "segment_id", "str", True, "nev-cell"),
    C("hs_code", "HS编码", "hs_code", "hs", True, "850760"),
), "环节产品", "Segment products", refs=(Reference("segment_id", "segment", "segment_id", "v.unknown_segment"),)))

_register(Kind("segment_enterprise", "segment_enterprise", ("segment_id", "uscc"), (
    C("segment_id", "环节代码", "segment_id", "str", True, "nev-cell"),
    C("uscc", "统一社会信用代码", "USCC", "uscc", True, EX_USCC),
    C("is_main", "是否主环节", "is_main", "bool", False, "1"),
), "环节企业", "Segment enterprises", refs=(
    Reference("segment_id", "segment", "segment_id", "v.unknown_segment"), ENT)))

_register(Kind("supply_link", "supply_link", ("link_id",), (
    C("link_id", "关系编号", "link_id", "str", True, "L000001"),
    C("supplier_uscc", "本地供应商代码", "supplier_uscc", "uscc", False, EX_USCC2),
    C("supplier_name", "供应商名称", "supplier_name", "str", False, ""),
    C("supplier_country", "供应商国家", "supplier_country", "iso3", False, "CHN"),
    C("supplier_region", "供应商所在地区代码", "supplier_region", "str", False, ""),
    C("buyer_uscc", "采购方代码", "buyer_uscc", "uscc", True, EX_USCC),
    C("hs_code", "产品HS编码", "hs_code", "hs", False, "850760"),
    C("segment_id", "产品所属环节", "segment_id", "str", False, ""),
    C("year", "年份", "year", "year", True, "2021"),
    C("annual_value", "年采购额", "annual_value", "money", False, "3200"),
    C("share", "占该投入采购比重", "share", "share", False, "0.35"),
    C("essential", "是否关键投入", "essential", "bool", False, "1"),
), "供应关系", "Supply links", refs=(
    Reference("supplier_uscc", "enterprise", "uscc", "v.unknown_enterprise"),
    Reference("buyer_uscc", "enterprise", "uscc", "v.unknown_enterprise"),
    Reference("segment_id", "segment", "segment_id", "v.unknown_segment"))))

_register(Kind("trade_flow", "trade_flow", ("uscc", "region", "partner", "hs_code", "period", "flow"), (
    C("uscc", "统一社会信用代码", "USCC", "uscc", False, EX_USCC),
    C("region", "地区代码", "region", "region", False, ""),
    C("partner", "贸易伙伴国", "partner", "iso3", True, "DEU"),
    C("hs_code", "HS编码", "hs_code", "hs", True, "850760"),
    C("period", "期间", "period", "period", True, "2021-11"),
    C("flow", "进出口", "flow", "enum", True, "export", enum=("import", "export", "进口", "出口")),
    C("value", "金额", "value", "money", True, "520.4"),
), "进出口", "Trade flows", refs=(ENT,),
    derived={"year": "CAST(substr(period, 1, 4) AS INTEGER)", "month": "CAST(substr(period, 6, 2) AS INTEGER)"}))

_register(Kind("partner_group", "partner_group", ("group_id", "member"), (
    C("group_id", "组别代码", "group_id", "str", True, "rcep"),
    C("name_zh", "组别名称", "name_zh", "str", True, "RCEP成员国"),
    C("name_en", "英文名称", "name_en", "str", False, "RCEP members"),
    C("member", "成员国", "member", "iso3", True, "JPN"),
    C("basis", "依据", "basis", "str", False, "RCEP signatories"),
    C("as_of", "截至日期", "as_of", "date", False, "2022-01-01"),
    C("editable", "可编辑", "editable", "bool", False, "1"),
), "伙伴国分组", "Partner groups"))

INVOICE_STATUS = ("valid", "red", "void", "正常", "蓝字", "红字", "红冲", "负数", "作废")


def _invoice_staged(present: set[str]) -> dict[str, str]:
    """line_key (seller|code|number|line, or a digest of the line) and the default status."""
    def col(name: str, text: bool = False) -> str:
        if name not in present:
            return "''"
        return f"coalesce(CAST({name} AS VARCHAR), '')" if not text else f"coalesce({name}, '')"

    content = " || '|' || ".join(col(c) for c in (
        "seller_uscc", "buyer_uscc", "invoice_date", "amount", "tax_amount", "tax_code", "hs_code", "goods_name",
        "status", "invoice_code", "line_no"))
    digest = f"'H|' || md5({content})"
    if "invoice_number" in present:
        numbered = (f"'N|' || seller_uscc || '|' || {col('invoice_code')} || '|' || invoice_number || '|' || "
                    f"{col('line_no')}")
        key = f"CASE WHEN invoice_number IS NOT NULL THEN {numbered} ELSE {digest} END"
    else:
        key = digest
    out = {"line_key": key}
    if "status" not in present:
        out["status"] = "'valid'"
    return out


_register(Kind("invoice", "invoice", ("line_key",), (
    C("invoice_code", "发票代码", "invoice_code", "str", False, "3302211130",
      help_zh="10 或 12 位；数电票无发票代码", help_en="10 or 12 digits; fully digital invoices have none"),
    C("invoice_number", "发票号码", "invoice_number", "str", False, "01234567",
      help_zh="8 位，数电票 20 位；与发票代码、行号一起识别一行（缺省时以整行内容识别）",
      help_en="8 digits, 20 on fully digital invoices; identifies a line with the code and line number "
              "(without it, the line's content identifies it)", aliases=("数电票号码", "全电发票号码")),
    C("line_no", "行号", "line_no", "int", False, "1", lo=1, aliases=("明细行号", "序号")),
    C("seller_uscc", "销方识别号", "seller_tax_id", "uscc", True, EX_USCC2,
      help_zh="销售方纳税人识别号（统一社会信用代码）", help_en="seller's taxpayer ID (USCC)",
      aliases=("销售方纳税人识别号", "销方纳税人识别号", "销方税号", "销售方识别号", "seller_uscc")),
    C("seller_name", "销方名称", "seller_name", "str", False, "宁波示例电池材料有限公司", aliases=("销售方名称",)),
    C("buyer_uscc", "购方识别号", "buyer_tax_id", "uscc", False, EX_USCC,
      help_zh="购买方纳税人识别号；个人等无识别号时留空", help_en="buyer's taxpayer ID; blank for buyers without one",
      aliases=("购买方纳税人识别号", "购方纳税人识别号", "购方税号", "购买方识别号", "buyer_uscc")),
    C("buyer_name", "购方名称", "buyer_name", "str", False, "宁波示例新材料有限公司", aliases=("购买方名称",)),
    C("invoice_date", "开票日期", "invoice_date", "date", True, "2021-03-15"),
    C("amount", "金额", "amount", "money", True, "12500.00", negative_ok=True,
      help_zh="不含税金额；红字发票可为负数", help_en="amount excluding tax; negative on red-letter invoices",
      aliases=("不含税金额", "金额(不含税)")),
    C("tax_amount", "税额", "tax_amount", "money", False, "1625.00", negative_ok=True),
    C("tax_code", "税收分类编码", "tax_code", "str", False, "1090513010000000000",
      help_zh="商品和服务税收分类编码，19 位数字", help_en="goods and services tax classification code, 19 digits",
      aliases=("商品和服务税收分类编码", "税收编码", "商品编码")),
    C("hs_code", "商品HS编码", "hs_code", "hs", False, "850760", aliases=("HS编码", "海关商品编码")),
    C("goods_name", "货物或应税劳务、服务名称", "goods_name", "str", False, "*电池*锂离子电池",
      aliases=("货物或应税劳务名称", "商品名称", "项目名称")),
    C("status", "发票状态", "status", "enum", False, "正常", enum=INVOICE_STATUS,
      help_zh="正常/蓝字 = valid，红字/红冲/负数 = red（冲减，金额按负数计），作废 = void；缺省为正常",
      help_en="valid, red (a red-letter invoice: its amount is subtracted), void; blank = valid"),
), "增值税发票", "VAT invoices",
    derived={"year": "CAST(EXTRACT(YEAR FROM invoice_date) AS INTEGER)",
             "month": "CAST(EXTRACT(MONTH FROM invoice_date) AS INTEGER)"},
    staged=_invoice_staged))

# a sensible order for loading a full set of files
LOAD_ORDER = ("region", "hs", "enterprise", "scope", "title", "annual", "deflator", "cluster", "chain", "segment",
              "segment_edge", "segment_product", "segment_enterprise", "monthly", "supply_link", "trade_flow",
              "partner_group", "invoice")
