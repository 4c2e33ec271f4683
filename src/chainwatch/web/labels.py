"""Column and value labels for tables shown on pages (catalogue keys ``web.col.*`` and ``web.val.*``).

An unknown column shows its JSON name, so a new service field is visible before it has a label.
"""

from __future__ import annotations

from typing import Any

from chainwatch.i18n import catalogue, t

#: columns whose values are codes with a translated label
CODED = frozenset({"level", "state", "state_code", "from_state", "to_state", "position", "role", "status",
                   "flow", "risk_level"})


SUFFIXES = (("_yoy_pct", " 同比 %", " y/y %"), ("_share_pct", " 占比 %", " share %"), ("_pct", " %", " %"))


def column_label(column: str, lang: str) -> str:
    """The label of a result column; ``<indicator>_yoy_pct`` and similar are composed from their base."""
    key = f"web.col.{column}"
    if key in catalogue():
        return t(key, lang)
    for suffix, zh, en in SUFFIXES:
        base = f"web.col.{column[: -len(suffix)]}"
        if column.endswith(suffix) and base in catalogue():
            return t(base, lang) + (zh if lang == "zh" else en)
    return column


def value_label(column: str, value: Any, lang: str) -> str | None:
    """A translated label for coded values (levels, states, roles, positions), else None."""
    if not isinstance(value, str) or column not in CODED:
        return None
    key = f"web.val.{value}"
    return t(key, lang) if key in catalogue() else None
