"""Calendar effects shared by the demo city and the scale generators.

* ordinary month pattern (year-end push in December, National Day dip in October, days per month);
* the Spring Festival (春节) dip: output in a window from 5 days before to 15 days after the
  festival runs at about half capacity, so January or February (whichever holds the window) drops
  and the official 1–2月 figure is well below two average months;
* the 2020 Q1 COVID-19 shock and recovery (deepest in February 2020, back to trend by June).
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta

import numpy as np

SPRING_FESTIVAL = {
    2015: date(2015, 2, 19), 2016: date(2016, 2, 8), 2017: date(2017, 1, 28), 2018: date(2018, 2, 16),
    2019: date(2019, 2, 5), 2020: date(2020, 1, 25), 2021: date(2021, 2, 12), 2022: date(2022, 2, 1),
    2023: date(2023, 1, 22), 2024: date(2024, 2, 10), 2025: date(2025, 1, 29), 2026: date(2026, 2, 17),
    2027: date(2027, 2, 6), 2028: date(2028, 1, 26), 2029: date(2029, 2, 13), 2030: date(2030, 2, 3),
}
# ordinary month pattern of industrial output (before the Spring Festival effect), mean ~1
MONTH_PATTERN = np.array([1.00, 1.00, 1.02, 0.99, 1.00, 1.04, 0.97, 0.97, 1.03, 0.95, 1.03, 1.10])
SF_BEFORE, SF_AFTER, SF_LOSS = 5, 15, 0.55
# 2020 COVID-19 shock on output by month (depth = 1 - factor), scaled per chain
COVID_2020 = {1: 0.07, 2: 0.45, 3: 0.15, 4: 0.05, 5: 0.02}
COVID_EXPORT_2020 = {4: 0.10, 5: 0.12, 6: 0.05}


def periods(start: str, n_months: int) -> list[str]:
    """``n_months`` consecutive 'YYYY-MM' strings from ``start``."""
    y, m = int(start[:4]), int(start[5:7])
    out = []
    for k in range(n_months):
        idx = y * 12 + m - 1 + k
        out.append(f"{idx // 12:04d}-{idx % 12 + 1:02d}")
    return out


def spring_festival_factor(year: int, month: int) -> float:
    """Share of normal output left in (year, month) after the Spring Festival window."""
    sf = SPRING_FESTIVAL.get(year)
    if sf is None or month > 3:
        return 1.0
    days = calendar.monthrange(year, month)[1]
    first, last = date(year, month, 1), date(year, month, days)
    lo, hi = sf - timedelta(days=SF_BEFORE), sf + timedelta(days=SF_AFTER)
    overlap = max(0, (min(last, hi) - max(first, lo)).days + 1)
    return 1.0 - SF_LOSS * overlap / days


def month_factors(period_list: list[str]) -> np.ndarray:
    """Seasonal × Spring Festival × days-in-month factor of each period (mean about 1 per year)."""
    out = np.empty(len(period_list))
    for i, p in enumerate(period_list):
        y, m = int(p[:4]), int(p[5:7])
        days = calendar.monthrange(y, m)[1]
        out[i] = MONTH_PATTERN[m - 1] * spring_festival_factor(y, m) * days / 30.44
    return out


def covid_depth(period_list: list[str], table: dict[int, float] | None = None) -> np.ndarray:
    """Depth of the 2020 shock (0 = none) for each period."""
    tab = COVID_2020 if table is None else table
    return np.array([tab.get(int(p[5:7]), 0.0) if p.startswith("2020-") else 0.0 for p in period_list])


def months_since(period_list: list[str], origin: str) -> np.ndarray:
    oy, om = int(origin[:4]), int(origin[5:7])
    return np.array([(int(p[:4]) - oy) * 12 + int(p[5:7]) - om for p in period_list], dtype=float)
