"""Statistical detectors that need no hand-set threshold (risk-methods.md §2.1, §2.2, §2.4, §2.5).

* :func:`yoy_pct` and :func:`seasonal_diff`: the seasonal transform (year-on-year, or lag-7 for
  daily data);
* :func:`rolling_robust_z`: robust z-score of each value against the median and MAD of the
  preceding window, excluding the value itself;
* :func:`cusum_downshift` and :func:`binary_segmentation`: change points in the mean;
* :func:`diffusion_index`: share of units expanding, per group;
* :func:`composite_index`: the Conference Board composite index.

All functions take numpy arrays with one row per series and one column per period (oldest first)
and vectorise over rows.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp

MAD_SCALE = 1.4826     # 1 / Φ⁻¹(0.75): MAD → σ under normality
MEAN_AD_SCALE = 1.2533  # √(π/2): mean absolute deviation → σ under normality


def yoy_pct(x: np.ndarray, lag: int = 12) -> np.ndarray:
    """Year-on-year growth ``100·(x_t / x_{t−lag} − 1)``; NaN where the base is missing or ≤ 0.

    Examples
    --------
    >>> yoy_pct(np.array([[100.0, 50, 110, 40]]), lag=2).round(1).tolist()
    [[nan, nan, 10.0, -20.0]]
    """
    x = np.asarray(x, dtype=float)
    out = np.full(x.shape, np.nan)
    if x.shape[-1] > lag:
        base = x[..., :-lag]
        cur = x[..., lag:]
        with np.errstate(divide="ignore", invalid="ignore"):
            g = 100.0 * (cur / base - 1.0)
        g[~(base > 0)] = np.nan
        out[..., lag:] = g
    return out


def seasonal_diff(x: np.ndarray, lag: int) -> np.ndarray:
    """``x_t − x_{t−lag}`` with NaN for the first ``lag`` columns."""
    x = np.asarray(x, dtype=float)
    out = np.full(x.shape, np.nan)
    if x.shape[-1] > lag:
        out[..., lag:] = x[..., lag:] - x[..., :-lag]
    return out


def rolling_robust_z(g: np.ndarray, window: int = 36, min_history: int = 24, floor: float = 0.5,
                     columns: Sequence[int] | None = None) -> np.ndarray:
    """Robust z of each value against the preceding ``window`` values (§2.2).

    ``z_t = (g_t − med_t) / (1.4826·MAD_t)`` where the median and MAD are taken over
    ``g_{t−w} … g_{t−1}`` (the current value is excluded so an outlier cannot mask itself). When
    MAD is 0 the denominator becomes 1.2533 × the mean absolute deviation, and when that is 0 too,
    ``floor``. Fewer than ``min_history`` non-missing predecessors give NaN.

    Parameters
    ----------
    g : ``(n, T)`` seasonal transform (e.g. YoY growth in %).
    columns : compute only these columns (others NaN); default all.

    Examples
    --------
    >>> g = np.array([[0.0, 1, -1, 2, -2, 1, 0, -1, 10]])
    >>> round(float(rolling_robust_z(g, window=8, min_history=6)[0, -1]), 2)
    6.74
    """
    g = np.atleast_2d(np.asarray(g, dtype=float))
    n, T = g.shape
    out = np.full((n, T), np.nan)
    cols = range(T) if columns is None else columns
    for t in cols:
        if t < 1:
            continue
        hist = g[:, max(0, t - window):t]
        count = np.sum(~np.isnan(hist), axis=1)
        ok = (count >= min_history) & ~np.isnan(g[:, t])
        if not ok.any():
            continue
        h = hist[ok]
        with np.errstate(all="ignore"):
            med = np.nanmedian(h, axis=1)
            dev = np.abs(h - med[:, None])
            scale = MAD_SCALE * np.nanmedian(dev, axis=1)
            alt = MEAN_AD_SCALE * np.nanmean(dev, axis=1)
        scale = np.where(scale > 0, scale, np.where(alt > 0, alt, floor))
        out[ok, t] = (g[ok, t] - med) / scale
    return out


def cusum_downshift(x: np.ndarray, k: float = 0.5, h: float = 4.0, baseline: int = 12) -> np.ndarray:
    """One-sided (downward) tabular CUSUM of Page, on robustly standardised series.

    Each row is standardised by the median and MAD of its first ``baseline`` non-missing values; then
    ``S_t = max(0, S_{t−1} − z_t − k)`` and an alarm is raised where ``S_t > h`` (in σ units;
    k = 0.5, h = 4 detect a 1σ shift with an in-control run length of about 170).

    Returns
    -------
    float array ``(n, T)`` of the statistic S_t (alarm where ``S_t > h``); NaN before the baseline.
    """
    x = np.atleast_2d(np.asarray(x, dtype=float))
    n, T = x.shape
    base = x[:, :baseline]
    with np.errstate(all="ignore"):
        med = np.nanmedian(base, axis=1)
        mad = MAD_SCALE * np.nanmedian(np.abs(base - med[:, None]), axis=1)
        sd = np.nanstd(base, axis=1)
    scale = np.where(mad > 0, mad, np.where(sd > 0, sd, 1.0))
    z = (x - med[:, None]) / scale[:, None]
    s = np.zeros(n)
    out = np.full((n, T), np.nan)
    for t in range(baseline, T):
        zt = np.nan_to_num(z[:, t], nan=0.0)
        s = np.maximum(0.0, s - zt - k)
        out[:, t] = s
    return out


def best_split(x: np.ndarray, min_size: int = 3,
               sigma: np.ndarray | float | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The single most likely change in mean of each row (CUSUM / likelihood-ratio statistic).

    For a split after position k of a series of length m, the statistic is
    ``|mean(after) − mean(before)| · sqrt(k(m−k)/m) / σ̂`` with σ̂ a robust noise scale from the
    first differences (``MAD(Δx)/√2``), so it is unaffected by the shift itself; pass ``sigma`` to
    use a known noise scale instead.

    Returns
    -------
    (position, stat, shift) : index of the first value after the change, the statistic, and
    ``mean(after) − mean(before)``; rows with missing values are ignored (stat NaN).
    """
    x = np.atleast_2d(np.asarray(x, dtype=float))
    n, m = x.shape
    pos = np.zeros(n, dtype=int)
    stat = np.full(n, np.nan)
    shift = np.full(n, np.nan)
    if m < 2 * min_size:
        return pos, stat, shift
    good = ~np.isnan(x).any(axis=1)
    xs = x[good]
    csum = np.cumsum(xs, axis=1)
    total = csum[:, -1:]
    k = np.arange(min_size, m - min_size + 1)
    before = csum[:, k - 1] / k
    after = (total - csum[:, k - 1]) / (m - k)
    diff = after - before
    if sigma is None:
        sig = diff_sigma(xs)
    else:
        sig = np.broadcast_to(np.asarray(sigma, dtype=float), (n,))[good]
    st = np.abs(diff) * np.sqrt(k * (m - k) / m) / sig[:, None]
    best = np.argmax(st, axis=1)
    rows = np.arange(xs.shape[0])
    pos[good] = k[best]
    stat[good] = st[rows, best]
    shift[good] = diff[rows, best]
    return pos, stat, shift


def diff_sigma(x: np.ndarray) -> np.ndarray:
    """Robust noise scale of each row from its first differences: ``1.4826·MAD(Δx)/√2``."""
    x = np.atleast_2d(np.asarray(x, dtype=float))
    d1 = np.diff(x, axis=1)
    sig = MAD_SCALE * np.median(np.abs(d1 - np.median(d1, axis=1, keepdims=True)), axis=1) / np.sqrt(2)
    return np.where(sig > 0, sig, np.maximum(np.std(x, axis=1), 1e-12))


def binary_segmentation(x: Sequence[float], threshold: float = 4.0, min_size: int = 5,
                        max_changes: int = 10) -> list[int]:
    """Change points in the mean of one series by binary segmentation (Scott & Knott 1974; Vostrikova 1981).

    Split the series at its best CUSUM split (:func:`best_split`) when the statistic exceeds
    ``threshold`` (in noise σ), then recurse on both parts.

    Returns
    -------
    Sorted indices of the first value after each change.

    Examples
    --------
    >>> binary_segmentation([0.0] * 20 + [5.0] * 20, min_size=3)
    [20]
    """
    arr = np.asarray(x, dtype=float)
    arr = np.where(np.isnan(arr), np.nanmedian(arr), arr)
    sigma = float(diff_sigma(arr[None, :])[0])  # whole-series noise scale for every sub-segment
    found: list[int] = []
    stack = [(0, len(arr))]
    while stack and len(found) < max_changes:
        lo, hi = stack.pop()
        if hi - lo < 2 * min_size:
            continue
        p, s, _ = best_split(arr[None, lo:hi], min_size, sigma=sigma)
        if np.isnan(s[0]) or s[0] < threshold:
            continue
        cp = lo + int(p[0])
        found.append(cp)
        stack.extend([(lo, cp), (cp, hi)])
    return sorted(found)


def diffusion_index(g: np.ndarray, membership: sp.spmatrix | None = None, equal_band: float = 0.5,
                    weights: np.ndarray | None = None) -> np.ndarray:
    """Diffusion index ``100·[#up + 0.5·#equal] / N`` per group and period (§2.4).

    Parameters
    ----------
    g : ``(n_units, T)`` growth rates (already sign-flipped for adverse-high indicators); NaN
        units are left out of N.
    membership : sparse ``(n_groups, n_units)`` 0/1 matrix; None means one group of all units.
    equal_band : |g| below this (pp) counts as "equal".
    weights : optional per-unit weights (output-weighted variant).

    Returns
    -------
    ``(n_groups, T)`` array in [0, 100]; NaN where a group has no unit with data.

    Examples
    --------
    >>> diffusion_index(np.array([[5.0], [-3.0], [0.2], [np.nan]])).tolist()
    [[50.0]]
    """
    g = np.asarray(g, dtype=float)
    n = g.shape[0]
    w = np.ones(n) if weights is None else np.asarray(weights, dtype=float)
    valid = (~np.isnan(g)).astype(float) * w[:, None]
    up = (np.nan_to_num(g, nan=0.0) >= equal_band).astype(float) * valid
    eq = (np.abs(np.nan_to_num(g, nan=np.inf)) < equal_band).astype(float) * valid
    M = sp.csr_matrix(np.ones((1, n))) if membership is None else sp.csr_matrix(membership)
    num = M @ (up + 0.5 * eq)
    den = M @ valid
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den > 0, 100.0 * num / den, np.nan)


def composite_index(x: np.ndarray, percent_like: Sequence[bool] | None = None,
                    signs: Sequence[float] | None = None, importance: Sequence[float] | None = None,
                    base: slice | None = None, volatility: str = "mean_abs") -> tuple[np.ndarray, np.ndarray]:
    """Conference Board composite index of several component series (§2.5).

    Steps: symmetric monthly change ``r = 200·(x_t − x_{t−1})/(x_t + x_{t−1})`` (plain difference for
    percent-like or sign-changing components); volatility κ = mean |r| (``"mean_abs"``, older NBER
    practice) or its standard deviation (``"std"``) over the base span; weights
    ``w_i ∝ importance_i / κ_i`` normalised to 1 with the direction sign folded in;
    ``R_t = Σ w_i r_i,t``; ``I_t = I_{t−1}(200 + R_t)/(200 − R_t)`` from 100, rebased so the base
    span averages 100.

    Parameters
    ----------
    x : ``(k, T)`` components (rows), levels or YoY-transformed.
    percent_like : per component, use plain differences.
    signs : +1 if a rise is good (coincident with activity), −1 if a rise is bad.
    base : columns of the base span (default all).

    Returns
    -------
    (index, weights) : the ``(T,)`` index and the ``(k,)`` weights actually used.
    """
    x = np.atleast_2d(np.asarray(x, dtype=float))
    k, T = x.shape
    pl = np.zeros(k, bool) if percent_like is None else np.asarray(percent_like, bool)
    sg = np.ones(k) if signs is None else np.asarray(signs, float)
    imp = np.ones(k) if importance is None else np.asarray(importance, float)
    r = np.zeros((k, T))
    prev, cur = x[:, :-1], x[:, 1:]
    with np.errstate(divide="ignore", invalid="ignore"):
        sym = 200.0 * (cur - prev) / (cur + prev)
    r[:, 1:] = np.where(pl[:, None], cur - prev, sym)
    r = np.nan_to_num(r, nan=0.0)
    span = base if base is not None else slice(1, T)
    rb = r[:, span]
    kappa = np.mean(np.abs(rb), axis=1) if volatility == "mean_abs" else np.std(rb, axis=1)
    kappa = np.where(kappa > 0, kappa, 1.0)
    w = imp / kappa
    w = w / w.sum()
    R = (sg * w) @ r
    R = np.clip(R, -199.0, 199.0)
    idx = np.empty(T)
    idx[0] = 100.0
    for t in range(1, T):
        idx[t] = idx[t - 1] * (200.0 + R[t]) / (200.0 - R[t])
    idx = 100.0 * idx / np.mean(idx[span if base is not None else slice(0, T)])
    return idx, sg * w
