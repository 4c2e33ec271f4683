"""NBS-style five-light signal (statistics.md §8.2, risk-methods.md §2.6) and its mapping to grades.

Label every output "NBS-style signal (configured)": the official scoring and cut-offs are not
published. Lights, coldest first: 1 blue (冷), 2 light blue (偏冷), 3 green (正常), 4 yellow (偏热),
5 red (过热); the light's number is also its score.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

LIGHTS: tuple[str, ...] = ("", "blue", "light_blue", "green", "yellow", "red")
LIGHT_ZH: tuple[str, ...] = ("", "冷", "偏冷", "正常", "偏热", "过热")
#: composite bands on 100·S/(3N): blue ≤ 50; light blue (50, 83.3]; green (83.3, 116.7); yellow [116.7, 150); red ≥ 150
COMPOSITE_BANDS: tuple[float, float, float, float] = (50.0, 250.0 / 3.0, 350.0 / 3.0, 150.0)


def calibrate_cuts(g: np.ndarray, method: str = "quantile", quantiles: Sequence[float] = (10, 25, 75, 90),
                   window: slice | None = None) -> np.ndarray:
    """Four cut-offs c1 < c2 < c3 < c4 per indicator row from its calibration window.

    ``quantile``: the given percentiles; ``sigma``: μ−2σ, μ−σ, μ+σ, μ+2σ.

    Returns
    -------
    ``(k, 4)`` array.
    """
    g = np.atleast_2d(np.asarray(g, dtype=float))
    h = g[:, window] if window is not None else g
    if method == "sigma":
        mu, sd = np.nanmean(h, axis=1), np.nanstd(h, axis=1)
        return np.stack([mu - 2 * sd, mu - sd, mu + sd, mu + 2 * sd], axis=1)
    return np.nanpercentile(h, list(quantiles), axis=1).T


def lights(g: np.ndarray, cuts: np.ndarray, hot_is_high: Sequence[bool] | None = None) -> np.ndarray:
    """Light (1–5) of each value: below c1 blue, c1–c2 light blue, c2–c3 green, c3–c4 yellow, ≥ c4 red.

    For an indicator where a *high* value means cold (``hot_is_high`` False) the scale is flipped.
    NaN values get light 0 (no signal).

    Examples
    --------
    >>> lights(np.array([[-5.0, 0, 5, 9, 20]]), np.array([[-2.0, 1, 8, 12]])).tolist()
    [[1, 2, 3, 4, 5]]
    """
    g = np.atleast_2d(np.asarray(g, dtype=float))
    cuts = np.atleast_2d(cuts)
    out = np.ones(g.shape, dtype=np.int8)
    for j in range(4):
        out += (g >= cuts[:, j:j + 1]).astype(np.int8)
    if hot_is_high is not None:
        flip = ~np.asarray(hot_is_high, bool)
        out[flip] = 6 - out[flip]
    out[np.isnan(g)] = 0
    return out


def composite(light_matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Composite signal ``100·Σ score / (3N)`` over indicators (rows) with a light, and its light.

    Examples
    --------
    >>> idx, light = composite(np.array([[3, 1], [3, 2], [4, 2]]))
    >>> idx.round(1).tolist(), light.tolist()
    ([111.1, 55.6], [3, 2])
    """
    lm = np.atleast_2d(light_matrix)
    has = lm > 0
    n = has.sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        idx = np.where(n > 0, 100.0 * lm.sum(axis=0) / (3.0 * n), np.nan)
    b = COMPOSITE_BANDS
    light = np.select([idx <= b[0], idx <= b[1], idx < b[2], idx < b[3], idx >= b[3]], [1, 2, 3, 4, 5], 0)
    return idx, light.astype(np.int8)


def light_levels(light_series: np.ndarray) -> np.ndarray:
    """Map a cold-side light series to raw warning grades per month (risk-methods.md §2.6 table).

    light blue for ≥ 3 consecutive months → blue; blue for 1–2 months → yellow; blue for ≥ 3
    consecutive months → orange. (The red row needs the chain's diffusion index and segment grades
    and is applied by the engine.) Hot-side lights give no grade.

    Examples
    --------
    >>> light_levels(np.array([[2, 2, 2, 1, 1, 1, 3]])).tolist()
    [[0, 0, 1, 2, 2, 3, 0]]
    """
    ls = np.atleast_2d(light_series)
    n, T = ls.shape
    out = np.zeros((n, T), dtype=np.int8)
    cold_run = np.zeros(n, int)
    blue_run = np.zeros(n, int)
    for t in range(T):
        cold_run = np.where((ls[:, t] >= 1) & (ls[:, t] <= 2), cold_run + 1, 0)
        blue_run = np.where(ls[:, t] == 1, blue_run + 1, 0)
        g = np.where(cold_run >= 3, 1, 0)
        g = np.where(blue_run >= 1, 2, g)
        g = np.where(blue_run >= 3, 3, g)
        out[:, t] = g
    return out


def red_override(levels: np.ndarray, light_series: np.ndarray, diffusion: np.ndarray,
                 share_segments_yellow: np.ndarray, di_max: float = 30.0, share_min: float = 0.5) -> np.ndarray:
    """The red row of risk-methods.md §2.6: blue light, diffusion index < 30 and at least half of the
    chain's segments at yellow or worse give red, whatever the persistence.

    Examples
    --------
    >>> red_override(np.array([[2, 2]]), np.array([[1, 1]]), np.array([[25.0, 35.0]]), np.array([[0.5, 0.9]])).tolist()
    [[4, 2]]
    """
    with np.errstate(invalid="ignore"):
        red = (light_series == 1) & (diffusion < di_max) & (share_segments_yellow >= share_min)
    return np.where(red, np.int8(4), levels).astype(np.int8)
