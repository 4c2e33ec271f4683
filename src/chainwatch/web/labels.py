"""Column and value labels for tables shown on pages (catalogue keys ``web.col.*`` and ``web.val.*``).

An unknown column shows its JSON name, so a new service field is visible before it has a label.
"""

from __future__ import annotations

from typing import Any

from chainwatch.i18n import catalogue, t

#: columns whose values are codes with a translated label
CODED = frozenset({"level", "state", "state_code", "from_state", "to_state", "position", "role", "status",
                   "flow", "risk_level"})


def column_label(column: str, lang: str) -> str:
    key = f"web.col.{column}"
    return t(key, lang) if key in catalogue() else column


def value_label(column: str, value: Any, lang: str) -> str | None:
    """A translated label for coded values (levels, states, roles, positions), else None."""
    if not isinstance(value, str) or column not in CODED:
        return None
    key = f"web.val.{value}"
    return t(key, lang) if key in catalogue() else None
