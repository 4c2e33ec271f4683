"""Number formatting and the official bulletin sentence (pure text functions; no catalogue access).

Chinese official style: one decimal, a true minus sign (−, U+2212), figures joined by 、 with 和 before
the last; a single negative figure is worded as a decline (下降 1.4%), a list with mixed signs keeps
增长 with signed figures ("分别同比增长 −1.4%、4.3%、9.2% 和 14.9%"), a list where every figure
is negative becomes 分别同比下降 with absolute values.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

MINUS = "\u2212"


def _ok(v: float | None) -> bool:
    return v is not None and not (isinstance(v, float) and (math.isnan(v) or math.isinf(v)))


def fmt_pct(value: float | None, digits: int = 1, signed: bool = True) -> str:
    """'−1.4%' / '4.3%' / '—' (undefined); ``signed=False`` drops the sign (for 下降 wording)."""
    if not _ok(value):
        return "—"
    v = round(float(value), digits)  # type: ignore[arg-type]
    if v == 0:
        v = 0.0
    text = f"{abs(v):.{digits}f}%"
    return f"{MINUS}{text}" if signed and v < 0 else text


def fmt_pp(value: float | None, digits: int = 1) -> str:
    """Percentage points: '−1.0个百分点' is left to the caller; here '−1.0'."""
    if not _ok(value):
        return "—"
    v = round(float(value), digits)  # type: ignore[arg-type]
    return f"{MINUS}{abs(v):.{digits}f}" if v < 0 else f"{abs(v):.{digits}f}"


def fmt_amount(wanyuan: float | None, lang: str = "zh", digits: int = 1) -> str:
    """A money level in 万元 as 亿元 (≥ 1 亿) or 万元: '1,234.5亿元' / 'CNY 123.45 bn'."""
    if not _ok(wanyuan):
        return "—"
    w = float(wanyuan)  # type: ignore[arg-type]
    sign = MINUS if w < 0 else ""
    w = abs(w)
    if lang == "zh":
        if w >= 10_000:
            return f"{sign}{w / 10_000:,.{digits}f}亿元"
        return f"{sign}{w:,.{digits}f}万元"
    if w >= 100_000:
        return f"{sign}CNY {w / 100_000:,.{digits + 1}f} bn"
    return f"{sign}CNY {w / 100:,.{digits}f} m"


def join_list(items: Sequence[str], lang: str = "zh") -> str:
    """'a、b、c 和 d' / 'a, b, c, and d' (serial comma, so 'profits and taxes' stays one item)."""
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    if lang == "zh":
        return "、".join(items[:-1]) + " 和 " + items[-1]
    if len(items) == 2:
        return f"{items[0]} and {items[1]}"
    return ", ".join(items[:-1]) + ", and " + items[-1]


def growth_phrase(values: Sequence[float | None], lang: str = "zh") -> str:
    """The verb and figures of a growth statement.

    Returns e.g. '增长 4.3%', '下降 1.4%', '增长 −1.4%、4.3% 和 9.2%', '下降 1.4% 和 2.0%'
    (en: 'grew by 4.3%', 'fell by 1.4%', 'grew by −1.4%, 4.3% and 9.2%', 'fell by 1.4% and 2.0%').
    """
    defined = [v for v in values if _ok(v)]
    all_down = bool(defined) and all(round(float(v), 1) < 0 for v in defined)  # type: ignore[arg-type]
    figs = [fmt_pct(v, signed=not all_down) for v in values]
    if lang == "zh":
        verb = "下降" if all_down else "增长"
        return f"{verb} {join_list(figs, 'zh')}"
    verb = "fell by" if all_down else "grew by"
    return f"{verb} {join_list(figs, 'en')}"
