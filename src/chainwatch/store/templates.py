"""Import templates: an XLSX (data sheet + column explanations) or a CSV (+ a .columns.csv section)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from chainwatch import sheets
from chainwatch.i18n import t
from chainwatch.model.units import CANONICAL_UNIT
from chainwatch.store.kinds import Kind

TYPE_TEXT = {
    "str": ("文本", "text"), "uscc": ("统一社会信用代码", "USCC"), "region": ("区划代码", "region code"),
    "industry": ("行业代码", "industry code"), "hs": ("HS编码", "HS code"), "iso3": ("ISO 3166 三位字母代码", "ISO 3166 alpha-3"),
    "date": ("日期 YYYY-MM-DD", "date YYYY-MM-DD"), "period": ("期间 YYYY-MM", "period YYYY-MM"),
    "year": ("年份", "year"), "int": ("整数", "whole number"), "float": ("数值", "number"),
    "money": ("金额", "money"), "bool": ("是/否（1/0）", "yes/no (1/0)"), "enum": ("可选值", "one of"),
    "share": ("比重 0–1", "share 0-1"),
}


def header(kind: Kind, lang: str) -> list[str]:
    """Header labels: Chinese labels (zh) or canonical names (en); money columns carry their unit."""
    out = []
    for c in kind.columns:
        label = c.zh if lang == "zh" else c.name
        if c.type == "money":
            label = f"{label}({CANONICAL_UNIT})"
        out.append(label)
    return out


def columns_sheet(kind: Kind) -> pd.DataFrame:
    rows = []
    for c in kind.columns:
        ty_zh, ty_en = TYPE_TEXT[c.type]
        if c.enum:
            ty_zh, ty_en = f"{ty_zh}：{'、'.join(c.enum)}", f"{ty_en}: {', '.join(c.enum)}"
        unit = c.unit or (f"{CANONICAL_UNIT}（可在表头括号内改为 元/千元/亿元）" if c.type == "money" else "")
        rows.append({"字段 column": c.name, "中文表头": c.zh, "English header": c.en, "类型": ty_zh, "type": ty_en,
                     "单位 unit": unit, "必填 required": "是 yes" if c.required else "否 no",
                     "说明": c.help_zh, "description": c.help_en, "示例 example": c.example})
    return pd.DataFrame(rows)


def write_template(kind: Kind, path: str | Path, lang: str = "zh", with_example: bool = False) -> Path:
    """Write the template for ``kind`` to ``path`` (.xlsx or .csv)."""
    p = Path(path)
    data = pd.DataFrame([[c.example for c in kind.columns]] if with_example else [], columns=header(kind, lang))
    if p.suffix.lower() == ".xlsx":
        sheets.write_xlsx(p, {kind.name: data, t("template.columns_sheet", lang): columns_sheet(kind)})
    else:
        sheets.to_csv(data, p)
        sheets.to_csv(columns_sheet(kind), p.with_suffix(".columns.csv"))
    return p
