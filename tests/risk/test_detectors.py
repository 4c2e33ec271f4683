"""Detectors, signal lights and grades against independent computations and properties."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from chainwatch.analytics.risk import detectors as d
from chainwatch.analytics.risk import signals
from chainwatch.analytics.risk.levels import (
    combine_subject,
    grade_from_thresholds,
    grade_path,
    k_of_n_levels,
    rollup_chain,
)


def _ref_robust_z(series: np.ndarray, window: int, min_history: int) -> np.ndarray:
    """Plain pandas reference: median / MAD of the preceding window, current value excluded."""
    s = pd.Series(series)
    out = np.full(len(s), np.nan)
    for t in range(len(s)):
        hist = s.iloc[max(0, t - window):t].dropna()
        if len(hist) < min_history or np.isnan(s.iloc[t]):
            continue
        med = hist.median()
        mad = (hist - med).abs().median()
        scale = 1.4826 * mad if mad > 0 else 1.2533 * (hist - med).abs().mean()
        out[t] = (s.iloc[t] - med) / (scale if scale > 0 else 0.5)
    return out


def test_robust_z_matches_a_pandas_reference() -> None:
    rng = np.random.default_rng(3)
    g = rng.normal(5, 4, (6, 60))
    g[1, 10:20] = np.nan
    g[2, :] = 3.0                       # MAD 0 and mean-AD 0 → floor
    g[3, 30:] = 3.0
    ours = d.rolling_robust_z(g, window=36, min_history=24)
    for i in range(6):
        np.testing.assert_allclose(ours[i], _ref_robust_z(g[i], 36, 24), equal_nan=True)


def test_robust_z_flags_an_outlier_that_cannot_mask_itself() -> None:
    rng = np.random.default_rng(0)
    g = rng.normal(0, 1, (1, 40))
    g[0, -1] = 8.0
    z = d.rolling_robust_z(g, window=36, min_history=24)
    assert z[0, -1] > 5
    assert np.all(np.abs(z[0, 24:-1]) < 4)


@settings(max_examples=40, deadline=None)
@given(arrays(np.int64, 40, elements=st.integers(-5000, 5000)), st.sampled_from([0.25, 0.5, 2.0, 4.0, 8.0]),
       st.integers(-100, 100))
def test_robust_z_is_invariant_to_affine_rescaling(gi: np.ndarray, a: float, b: int) -> None:
    # integers scaled by powers of two and shifted by integers stay exact in binary floating point,
    # so ties (MAD = 0) are the same ties after the transformation and the property is exact
    g = gi.astype(float)
    z1 = d.rolling_robust_z(g[None, :], 24, 12, floor=1e-9)
    z2 = d.rolling_robust_z((a * g + b)[None, :], 24, 12, floor=1e-9 * a)
    ok = np.isfinite(z1) & (np.abs(z1) < 1e6)
    np.testing.assert_allclose(z1[ok], z2[ok], rtol=1e-6, atol=1e-6)


def test_yoy_and_seasonal_diff() -> None:
    x = np.array([[100.0, 80, 0, 120, 40, 50]])
    g = d.yoy_pct(x, lag=3)
    np.testing.assert_allclose(g[0, 3:5], [20.0, -50.0])
    assert np.isnan(g[0, 5])            # base 0 → undefined, never 0
    np.testing.assert_allclose(d.seasonal_diff(x, 3)[0, 3:], [20, -40, 50])


def test_diffusion_index_matches_counting_and_stays_in_range() -> None:
    rng = np.random.default_rng(1)
    g = rng.normal(0, 5, (50, 8))
    g[:5, 0] = 0.1
    g[7, 3] = np.nan
    import scipy.sparse as sp

    M = sp.csr_matrix(np.vstack([np.r_[np.ones(25), np.zeros(25)], np.ones(50)]))
    di = d.diffusion_index(g, M)
    for gi, rows in enumerate([np.arange(25), np.arange(50)]):
        for t in range(8):
            v = g[rows, t]
            v = v[~np.isnan(v)]
            ref = 100 * ((v >= 0.5).sum() + 0.5 * (np.abs(v) < 0.5).sum()) / len(v)
            assert di[gi, t] == pytest.approx(ref)
    assert np.all((di >= 0) & (di <= 100))


def test_best_split_and_binary_segmentation_find_planted_shifts() -> None:
    rng = np.random.default_rng(5)
    x = np.r_[rng.normal(0, 1, 60), rng.normal(-3, 1, 40), rng.normal(1, 1, 50)]
    cps = d.binary_segmentation(x, threshold=4, min_size=5)
    assert len(cps) == 2 and abs(cps[0] - 60) <= 2 and abs(cps[1] - 100) <= 2
    pos, stat, shift = d.best_split(np.vstack([x[:100], rng.normal(0, 1, 100)]))
    assert abs(pos[0] - 60) <= 2 and shift[0] < -2 and stat[0] > 8
    assert stat[1] < 4
    assert d.binary_segmentation(rng.normal(0, 1, 200), threshold=4.5) == []


def test_cusum_alarms_after_a_downshift_only() -> None:
    rng = np.random.default_rng(2)
    x = np.r_[rng.normal(10, 1, 40), rng.normal(8, 1, 20)][None, :]
    s = d.cusum_downshift(x, k=0.5, h=6, baseline=30)
    assert np.nanmax(s[0, :40]) < 6
    assert np.argmax(s[0] > 6) >= 40 and np.nanmax(s[0, 40:]) > 6
    up = d.cusum_downshift(np.r_[x[0, :40], x[0, 40:] + 4][None, :], k=0.5, h=6, baseline=30)
    assert np.nanmax(up[0, 40:]) < 6


def test_composite_index_constant_growth_and_weights() -> None:
    t = np.arange(24)
    x = np.vstack([100 * 1.01 ** t, 50 * 1.02 ** t])
    idx, w = d.composite_index(x)
    assert w.sum() == pytest.approx(1.0)
    assert w[0] > w[1]                  # the less volatile component weighs more (1/κ)
    assert idx.mean() == pytest.approx(100.0)
    assert np.all(np.diff(idx) > 0)
    # hand computation of R_1 with κ = mean |r|
    r = 200 * (x[:, 1:] - x[:, :-1]) / (x[:, 1:] + x[:, :-1])
    k = np.abs(r).mean(axis=1)
    ww = (1 / k) / (1 / k).sum()
    R1 = ww @ r[:, 0]
    assert idx[1] / idx[0] == pytest.approx((200 + R1) / (200 - R1))


def test_nbs_style_composite_bands_and_published_points() -> None:
    idx, light = signals.composite(np.full((10, 1), 3))
    assert idx[0] == pytest.approx(100.0) and light[0] == 3
    # published values that must fall in the right light with the default bands (statistics.md §8.2)
    for value, expected in [(110.7, 3), (113.3, 3), (113.2, 3), (121.3, 4), (78.7, 2)]:
        b = signals.COMPOSITE_BANDS
        got = 1 if value <= b[0] else 2 if value <= b[1] else 3 if value < b[2] else 4 if value < b[3] else 5
        assert got == expected
    cuts = signals.calibrate_cuts(np.arange(101.0)[None, :])
    np.testing.assert_allclose(cuts[0], [10, 25, 75, 90])


def test_grades_thresholds_persistence_and_hysteresis() -> None:
    v = np.array([-5.0, -10, -19.9, -20, -60, np.nan])
    assert grade_from_thresholds(v, {"blue": -10, "yellow": -20, "red": -50}, "below").tolist() == [0, 1, 1, 2, 4, 0]
    # blue needs 3 months; orange fires at once; lowering waits 2 months
    g, m = grade_path(np.array([[1, 1, 0, 1, 1, 1, 3, 0, 0, 0]]))
    assert g[0].tolist() == [0, 0, 0, 0, 0, 1, 3, 3, 0, 0]
    g, _ = grade_path(np.array([[2, 2, 2, 2]]), {"yellow": 3})
    assert g[0].tolist() == [0, 0, 2, 2]        # yellow after 3 months (blue also needs 3)


@settings(max_examples=60, deadline=None)
@given(arrays(np.int8, (3, 12), elements=st.integers(0, 4)))
def test_grade_path_properties(levels: np.ndarray) -> None:
    g, _ = grade_path(levels)
    # a grade never exceeds the worst raw level of the last two months (hysteresis), nor starts without its level
    for t in range(12):
        recent = levels[:, max(0, t - 1):t + 1].max(axis=1)
        window_max = levels[:, :t + 1].max(axis=1)
        assert np.all(g[:, t] <= window_max)
        assert np.all((g[:, t] <= recent) | (g[:, t] <= g[:, t - 1] if t else True))
    # red/orange raw levels (persistence 1) are always graded at least that high
    assert np.all(g[levels >= 3] >= 3)


def test_breadth_escalation_and_chain_rollup() -> None:
    assert combine_subject({"a": 2, "b": 2, "c": 2}) == (3, True)
    assert combine_subject({"a": 4, "b": 2, "c": 3}) == (4, True)
    assert combine_subject({"a": 1, "b": 1, "c": 1}) == (1, False)
    assert rollup_chain(0, [(3, 0.05)]) == 2
    assert rollup_chain(0, [(3, 0.10)]) == 3
    assert rollup_chain(2, []) == 2


def test_light_levels_follow_the_mapping_table() -> None:
    assert signals.light_levels(np.array([[2, 2, 3, 2, 2, 2, 1, 1, 1, 1]])).tolist() == [[0, 0, 0, 0, 0, 1, 2, 2, 3, 3]]


@settings(max_examples=40, deadline=None)
@given(arrays(np.int8, (2, 10), elements=st.integers(0, 4)), st.integers(1, 4), st.integers(0, 3))
def test_k_of_n_matches_a_direct_count(levels: np.ndarray, k: int, extra: int) -> None:
    n = k + extra
    out = k_of_n_levels(levels, k, n)
    for i in range(2):
        for t in range(10):
            win = levels[i, max(0, t - n + 1):t + 1]
            ref = max([g for g in range(1, 5) if (win >= g).sum() >= k], default=0)
            assert out[i, t] == ref


def test_nbs_red_row_needs_all_three_conditions() -> None:
    levels = np.array([[2, 2, 2, 2]], dtype=np.int8)
    lights = np.array([[1, 1, 1, 2]])
    di = np.array([[20.0, 35.0, 20.0, 10.0]])
    share = np.array([[0.6, 0.6, 0.4, 0.9]])
    assert signals.red_override(levels, lights, di, share).tolist() == [[4, 2, 2, 2]]
