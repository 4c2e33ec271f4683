"""Periods: months 'YYYY-MM', the combined 1–2月 period, cumulative spans.

Enterprise data is stored month by month. Official outputs never show a standalone January:
the first official period of a year is 1–2月, which serves as both its 当月 and 累计 figure
(statistics.md §4).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

PERIOD_RE = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


@dataclass(frozen=True, order=True)
class Period:
    year: int
    month: int

    @classmethod
    def parse(cls, text: str) -> Period:
        from chainwatch.errors import InputError

        m = PERIOD_RE.match(str(text).strip())
        if not m:
            raise InputError("v.period_arg", value=text)
        return cls(int(m.group(1)), int(m.group(2)))

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def official_months(self) -> tuple[int, ...]:
        """Months making up the official 当月 figure: (1, 2) for January/February, else (m,)."""
        return (1, 2) if self.month <= 2 else (self.month,)

    @property
    def cumulative_months(self) -> tuple[int, ...]:
        """Months 1..m of the 累计 span (February's span is 1–2; January's is also 1–2)."""
        return tuple(range(1, max(self.month, 2) + 1))

    def prior_year(self) -> Period:
        return Period(self.year - 1, self.month)

    def shift(self, months: int) -> Period:
        idx = self.year * 12 + (self.month - 1) + months
        return Period(idx // 12, idx % 12 + 1)

    def label(self, lang: str = "zh", cumulative: bool = False) -> str:
        """'1–11月' / 'Jan–Nov' for a cumulative span, '11月' / 'Nov' for one month, 1–2月 for Jan/Feb."""
        months_en = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        if cumulative or self.month <= 2:
            last = max(self.month, 2)
            return f"1–{last}月" if lang == "zh" else f"Jan–{months_en[last - 1]}"
        return f"{self.month}月" if lang == "zh" else months_en[self.month - 1]


def period_str(year: int, month: int) -> str:
    return f"{year:04d}-{month:02d}"
