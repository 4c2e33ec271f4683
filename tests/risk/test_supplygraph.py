"""Detectors on the real SupplyGraph daily series (Wasi et al. 2024) with anomalies injected at known points.

Series: "Delivery To distributor" (units) of the 21 products with ≥ 90 % non-zero days, 221 days.
Two experiments, each over 5 seeded repetitions:

* point anomalies: 3 upward spikes of 6 robust σ per series, ≥ 12 days apart; detector: robust z
  (window 28, min history 14) of the robust seasonal difference ``x_t − median(x_{t−7}, x_{t−14}, x_{t−21})``,
  alarm at |z| ≥ 4; a hit must be on the injected day;
* level shifts: from a random day in [50, 170) the series falls to 40 %; detector: binary segmentation
  of ``log(1 + x)`` (threshold 4, min segment 7 days); a hit is within ± 7 days.

The real series contain anomalies of their own. Precision is therefore reported twice: *adjusted*
precision counts as false alarms only those that the same detector does not also raise on the
original (uninjected) series, and *raw* precision counts every other alarm as false.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from chainwatch.analytics.risk import detectors as d

DATA = Path(__file__).resolve().parents[3] / "shared" / "data" / "supplygraph" / "Homogenoeus" / "Temporal Data"
FILE = DATA / "Unit" / "Delivery To distributor.csv"

pytestmark = pytest.mark.realdata


@pytest.fixture(scope="module")
def series() -> np.ndarray:
    if not FILE.is_file():
        pytest.skip(f"SupplyGraph data not found at {FILE} (../shared/data/supplygraph)")
    df = pd.read_csv(FILE, index_col=0)
    return df.loc[:, (df > 0).mean() > 0.9].to_numpy(float).T


def _seasonal_diff(x: np.ndarray) -> np.ndarray:
    out = np.full(x.shape, np.nan)
    for t in range(21, x.shape[1]):
        out[:, t] = x[:, t] - np.median(x[:, [t - 7, t - 14, t - 21]], axis=1)
    return out


def _point_alarms(x: np.ndarray) -> np.ndarray:
    z = d.rolling_robust_z(_seasonal_diff(x), window=28, min_history=14)
    return np.abs(z) >= 4.0


def test_robust_z_finds_injected_spikes(series: np.ndarray) -> None:
    assert series.shape == (21, 221)
    rng = np.random.default_rng(1)
    sigma = 1.4826 * np.median(np.abs(series - np.median(series, axis=1, keepdims=True)), axis=1)
    base_alarms = _point_alarms(series)
    tp = fp = fp_natural = fn = 0
    for _ in range(5):
        x = series.copy()
        injected = set()
        for i in range(x.shape[0]):
            for p in rng.choice(np.arange(40, 215, 12), 3, replace=False):
                x[i, p] += 6 * sigma[i]
                injected.add((i, int(p)))
        alarms = _point_alarms(x)
        for i, t in zip(*np.nonzero(alarms), strict=True):
            if (i, t) in injected:
                tp += 1
            elif base_alarms[i, t]:
                fp_natural += 1
            else:
                fp += 1
        fn += sum(1 for i, p in injected if not alarms[i, p])
    precision, raw, recall = tp / (tp + fp), tp / (tp + fp + fp_natural), tp / (tp + fn)
    print(f"spikes: precision {precision:.2f} (raw {raw:.2f}), recall {recall:.2f}")
    assert precision >= 0.90
    assert recall >= 0.70
    assert raw >= 0.45


def test_binary_segmentation_finds_injected_level_shifts(series: np.ndarray) -> None:
    rng = np.random.default_rng(2)
    base = [d.binary_segmentation(np.log1p(s), threshold=4, min_size=7) for s in series]
    tp = fp = fp_natural = fn = 0
    for _ in range(5):
        for i, s in enumerate(series):
            t0 = int(rng.integers(50, 170))
            x = s.copy()
            x[t0:] *= 0.4
            cps = d.binary_segmentation(np.log1p(x), threshold=4, min_size=7)
            hit = any(abs(c - t0) <= 7 for c in cps)
            tp += hit
            fn += not hit
            for c in cps:
                if abs(c - t0) > 7:
                    if any(abs(c - b) <= 7 for b in base[i]):
                        fp_natural += 1
                    else:
                        fp += 1
    precision, raw, recall = tp / (tp + fp), tp / (tp + fp + fp_natural), tp / (tp + fn)
    print(f"level shifts: precision {precision:.2f} (raw {raw:.2f}), recall {recall:.2f}")
    assert recall >= 0.65
    assert precision >= 0.60
    assert raw >= 0.08
