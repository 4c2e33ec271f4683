"""Typed values of rule inputs: parsing what a rule file says, formatting what a result shows.

Rule files are written by people, so a threshold may be written the way the official text writes it:
``"100万元"``, ``"1亿元"``, ``"3%"``, ``"2,000,000元"``, ``2`` (years), ``"2026-04-01"``. Each value is
converted **once**, here, into the canonical internal unit of its attribute type:

=========  ======================  =========================================
type       internal unit           accepted spellings
=========  ======================  =========================================
money      yuan                    number (yuan), "N元", "N千元", "N万元", "N亿元"
ratio      fraction (0.03 = 3 %)   "3%", "3 %" (a bare number is refused: 3 or 0.03?)
number     as written              number
count      as written              integer
years      years                   number, "N年"
bool       True/False              true/false/yes/no/是/否
category   string                  string
set        string                  string (membership)
date       ``datetime.date``       "YYYY-MM-DD"
=========  ======================  =========================================

A malformed value raises :class:`ValueProblem` with a short English problem key the caller turns
into a catalogue message naming the file and the condition.
"""

from __future__ import annotations

import math
import re
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

TYPES = ("money", "ratio", "number", "count", "years", "bool", "category", "set", "date")
NUMERIC_TYPES = ("money", "ratio", "number", "count", "years")

MONEY_UNITS: dict[str, Decimal] = {
    "元": Decimal(1), "yuan": Decimal(1),
    "千元": Decimal(1000),
    "万元": Decimal(10_000), "万": Decimal(10_000),
    "亿元": Decimal(100_000_000), "亿": Decimal(100_000_000),
}
_NUM = r"[-+]?\d[\d,]*(?:\.\d+)?"
_MONEY_RE = re.compile(rf"^\s*({_NUM})\s*(元|yuan|千元|万元|万|亿元|亿)\s*$", re.IGNORECASE)
_PCT_RE = re.compile(rf"^\s*({_NUM})\s*%\s*$")
_YEARS_RE = re.compile(rf"^\s*({_NUM})\s*(年|years?|y)?\s*$", re.IGNORECASE)
_BOOL = {"true": True, "yes": True, "是": True, "1": True, "false": False, "no": False, "否": False, "0": False}


class ValueProblem(ValueError):
    """A value in a rule file cannot be read; ``problem`` is a short machine-readable reason."""

    def __init__(self, problem: str, value: Any, expected: str) -> None:
        super().__init__(f"{problem}: {value!r} (expected {expected})")
        self.problem = problem
        self.value = value
        self.expected = expected


def _decimal(text: str) -> Decimal:
    try:
        return Decimal(text.replace(",", ""))
    except InvalidOperation as exc:  # pragma: no cover - regexes only pass numbers
        raise ValueProblem("not_a_number", text, "a number") from exc


def parse_value(value: Any, kind: str) -> Any:
    """Convert one rule-file value into the internal unit of ``kind`` (see the module table).

    Raises
    ------
    ValueProblem
        when the value does not fit the type (wrong unit, not a number, bad date …).
    """
    if kind not in TYPES:
        raise ValueProblem("unknown_type", kind, ", ".join(TYPES))
    if value is None:
        raise ValueProblem("empty", value, kind)
    if kind == "bool":
        if isinstance(value, bool):
            return value
        key = str(value).strip().lower()
        if key in _BOOL:
            return _BOOL[key]
        raise ValueProblem("not_a_bool", value, "true or false")
    if kind in ("category", "set"):
        if isinstance(value, (dict, list)):
            raise ValueProblem("not_a_code", value, "a code")
        return str(value).strip()
    if kind == "date":
        if isinstance(value, date):
            return value
        try:
            return date.fromisoformat(str(value).strip())
        except ValueError as exc:
            raise ValueProblem("not_a_date", value, "a date YYYY-MM-DD") from exc
    if isinstance(value, bool):
        raise ValueProblem("not_a_number", value, kind)
    if kind == "money":
        if isinstance(value, (int, float)):
            return _finite(float(value), value, "an amount such as 100万元")
        m = _MONEY_RE.match(str(value))
        if not m:
            raise ValueProblem("bad_money", value, "an amount with a unit: 元, 千元, 万元 or 亿元 (e.g. 100万元)")
        return float(_decimal(m.group(1)) * MONEY_UNITS[m.group(2).lower()])
    if kind == "ratio":
        if isinstance(value, (int, float)):
            raise ValueProblem("ratio_needs_percent", value, "a percentage such as 3%")
        m = _PCT_RE.match(str(value))
        if not m:
            raise ValueProblem("bad_percent", value, "a percentage such as 3%")
        return float(_decimal(m.group(1)) / Decimal(100))
    if kind in ("number", "count", "years"):
        if isinstance(value, (int, float)):
            out = _finite(float(value), value, "a number")
        else:
            m = _YEARS_RE.match(str(value)) if kind == "years" else re.match(rf"^\s*({_NUM})\s*$", str(value))
            if not m:
                raise ValueProblem("not_a_number", value, "a number")
            out = float(_decimal(m.group(1)))
        if kind == "count" and out != int(out):
            raise ValueProblem("not_a_count", value, "a whole number")
        return out
    raise ValueProblem("unknown_type", kind, ", ".join(TYPES))  # pragma: no cover


def _finite(f: float, raw: Any, expected: str) -> float:
    if math.isnan(f) or math.isinf(f):
        raise ValueProblem("not_a_number", raw, expected)
    return f


def format_value(value: Any, kind: str, lang: str = "zh") -> str:
    """Human text of an internal value: ``0.024 → "2.4%"``, ``1e6 yuan → "100万元"``, ``3 → "3年"``."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if kind == "ratio":
        return f"{_trim(round(float(value) * 100, 2))}%"
    if kind == "money":
        v = float(value)
        if lang != "zh":
            return f"CNY {_trim(round(v / 1_000_000, 2))} m"
        if abs(v) >= 100_000_000:
            return f"{_trim(round(v / 100_000_000, 4))}亿元"
        return f"{_trim(round(v / 10_000, 2))}万元"
    if kind == "years":
        return f"{_trim(float(value))}年" if lang == "zh" else f"{_trim(float(value))} years"
    if kind == "bool":
        yes = bool(value)
        return ("是" if yes else "否") if lang == "zh" else ("yes" if yes else "no")
    if kind in ("number", "count"):
        return _trim(float(value))
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (list, tuple, set, frozenset)):
        return "、".join(str(v) for v in value) if lang == "zh" else ", ".join(str(v) for v in value)
    return str(value)


def _trim(x: float) -> str:
    """Up to 4 significant decimals, no trailing zeros, thousands separators for large values."""
    if x == int(x) and abs(x) < 1e15:
        return f"{int(x):,}"
    text = f"{x:,.4f}".rstrip("0").rstrip(".")
    return text
