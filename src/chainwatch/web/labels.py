"""Column and value labels for tables shown on pages (catalogue keys ``web.col.*`` and ``web.val.*``).

An unknown column shows its JSON name, so a new service field is visible before it has a label; the
browser tests fail on such headers on the main pages.
"""

from __future__ import annotations

from typing import Any

from chainwatch.i18n import catalogue, t

#: columns whose values are codes with a translated label
CODED = frozenset({"level", "state", "state_code", "from_state", "to_state", "position", "role", "status",
                   "flow", "risk_level", "band", "kind"})

#: columns whose values are indicator or table names (labelled by ``web.col.*`` / ``web.tbl.*``)
INDICATOR_COLUMNS = frozenset({"indicator", "input", "attribute"})

#: technical columns never shown in generic tables (the JSON API keeps them)
HIDDEN = frozenset({"ruleset_basis", "flags", "missing_inputs", "dependence_method", "key", "label_en",
                    "name_en", "group_type", "score_max", "unconfirmed", "on_path", "parent",
                    "missing_attributes", "path_uscc", "model", "inventory_days", "max_sweeps"})

SUFFIXES = (("_yoy_pct", "同比 %", " y/y %"), ("_share_pct", "占比 %", " share %"),
            ("_change_pp", "变动（百分点）", " change (pp)"), ("_pct", " %", " %"), ("_pp", "（百分点）", " (pp)"),
            ("_label", "", ""), ("_yi", "（亿元）", " (CNY 100m)"), ("_wan", "（万元）", " (CNY 10k)"))
PREFIXES = (("month_", "当月", "Month "), ("ytd_", "累计", "YTD "))


def column_label(column: str, lang: str) -> str:
    """The label of a result column; ``<indicator>_yoy_pct``, ``month_<x>`` and similar are composed."""
    key = f"web.col.{column}"
    if key in catalogue():
        return t(key, lang)
    for prefix, zh, en in PREFIXES:
        if column.startswith(prefix) and len(column) > len(prefix):
            base = column_label(column[len(prefix):], lang)
            if base != column[len(prefix):]:
                return (zh if lang == "zh" else en) + (base if lang == "zh" else base[:1].lower() + base[1:])
    for suffix, zh, en in SUFFIXES:
        if column.endswith(suffix) and len(column) > len(suffix):
            base = column_label(column[: -len(suffix)], lang)
            if base != column[: -len(suffix)]:
                return base + (zh if lang == "zh" else en)
    return column


def value_label(column: str, value: Any, lang: str) -> str | None:
    """A translated label for coded values (levels, states, roles, positions, indicators), else None."""
    if not isinstance(value, str):
        return None
    if column in INDICATOR_COLUMNS:
        key = f"web.col.{value}"
        return t(key, lang) if key in catalogue() else None
    if column in ("table", "rule_id", "subject_level"):
        prefix = {"table": "web.tbl.", "rule_id": "web.rule.", "subject_level": "web.val.subj."}[column]
        key = f"{prefix}{value}"
        if key not in catalogue():
            return None
        text = t(key, lang)
        return text[:1].upper() + text[1:] if lang == "en" else text
    if column not in CODED:
        return None
    key = f"web.val.{value}"
    if key not in catalogue():
        return None
    text = t(key, lang)
    return text[:1].upper() + text[1:] if lang == "en" and value != "none" else text


def table_columns(rows: list[dict[str, Any]], columns: list[str] | None = None) -> list[str]:
    """The columns a generic table shows: the given ones, else the row keys without technical fields and
    without a code whose ``<code>_label`` is also present (the label is shown instead)."""
    if columns:
        return list(columns)
    keys = list(rows[0].keys()) if rows else []
    present = set(keys)
    return [c for c in keys if c not in HIDDEN and f"{c}_label" not in present and f"{c}_name" not in present
            and not (c == "id" and "policy_id" in present)]
