"""Scalar formulas of the official statistics (statistics.md §2, §5, §6).

These are the textbook definitions used by the table pipeline (which applies the same formulas as
Ibis expressions) and by the bulletin text. Every function returns ``None`` where the measure is
undefined (a zero base), never ``inf``.
"""

from __future__ import annotations

import math

__all__ = ["growth_pct", "contribution_pct", "pull_pp", "two_year_avg_pct", "real_growth_pct"]


def growth_pct(current: float, base: float) -> float | None:
    """Same-caliber growth ``(N - D) / |D| × 100`` (equals ``N/D − 1`` for a positive base).

    Parameters
    ----------
    current : N, the current-period sum over the caliber set.
    base : D, the same enterprises' sum a year earlier.

    Returns
    -------
    The growth in percent, or ``None`` when ``D = 0`` (statistics.md §2.2 step 6).
    """
    if base == 0 or base is None or current is None:
        return None
    return (current - base) / abs(base) * 100.0


def contribution_pct(delta_i: float, delta_total: float) -> float | None:
    """贡献率 = ΔYᵢ / ΔY × 100 (statistics.md §6); ``None`` when ΔY = 0."""
    if delta_total == 0:
        return None
    return delta_i / delta_total * 100.0


def pull_pp(delta_i: float, base_total: float) -> float | None:
    """拉动 = ΔYᵢ / |Y_{t−1}| × 100 percentage points (statistics.md §6); ``None`` for a zero base."""
    if base_total == 0:
        return None
    return delta_i / abs(base_total) * 100.0


def two_year_avg_pct(g1_pct: float | None, g2_pct: float | None) -> float | None:
    """两年平均增速 ``sqrt((1+g1)(1+g2)) − 1`` in percent (statistics.md §5).

    ``g1`` is the growth of year t−1 over t−2 and ``g2`` of year t over t−1, each on its own caliber.
    Undefined (``None``) when either rate is missing or the product is negative.
    """
    if g1_pct is None or g2_pct is None:
        return None
    prod = (1 + g1_pct / 100.0) * (1 + g2_pct / 100.0)
    if prod < 0:
        return None
    return (math.sqrt(prod) - 1) * 100.0


def real_growth_pct(current_va: float, base_va: float, ppi_index: float) -> float | None:
    """Comparable-price growth: ``(VA_t / (PPI/100)) / VA_{t−1} − 1`` (statistics.md §3.2)."""
    if not ppi_index:
        return None
    return growth_pct(current_va / (ppi_index / 100.0), base_va)
