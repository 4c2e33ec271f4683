"""Structural scorecard of segments (risk-methods §1.8): normalise, weight, TOPSIS.

The scorecard combines the segment indicators into one structural risk score in [0, 1], usable as
the likelihood proxy P_s of the break-risk product R_s = P_s × I_s (§1.7). Following §1.8 the
weights, minima and maxima are frozen per scorecard version (:data:`SCORECARD_V1`), so adding data
never silently rewrites earlier scores; :func:`entropy_weights` is provided for studies that want
data-driven weights, and its result can be frozen as a new version.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Scorecard:
    """A frozen scorecard: indicator → (direction, min, max, weight)."""

    version: str
    indicators: dict[str, tuple[int, float, float, float]] = field(default_factory=dict)


#: every indicator lies naturally in [0, 1]; equal weights (fixed expert weights are legitimate, §1.8)
SCORECARD_V1 = Scorecard("structural-1", {
    "cr1": (+1, 0.0, 1.0, 1.0),
    "import_dependence": (+1, 0.0, 1.0, 1.0),
    "origin_hhi": (+1, 0.0, 1.0, 1.0),
    "foreign_share": (+1, 0.0, 1.0, 1.0),
    "local_supply": (-1, 0.0, 1.0, 1.0),
    "substitution_difficulty": (+1, 0.0, 1.0, 1.0),
})


def normalise(x: pd.Series, direction: int, lo: float, hi: float) -> pd.Series:
    """Risk-direction min–max normalisation: ``(x − min)/(max − min)`` when risk rises with x,
    ``(max − x)/(max − min)`` when it falls; clipped to [0, 1]; 0 when max = min."""
    if hi == lo:
        return pd.Series(0.0, index=x.index)
    y = (x - lo) / (hi - lo) if direction > 0 else (hi - x) / (hi - lo)
    return y.clip(0.0, 1.0)


def entropy_weights(y: pd.DataFrame) -> pd.Series:
    """Entropy weights of the columns of a normalised matrix (m units × n indicators).

    ``p_ij = y_ij / Σ_i y_ij``, ``e_j = −(1/ln m) Σ_i p_ij ln p_ij`` (0·ln 0 = 0),
    ``w_j = (1 − e_j) / Σ_k (1 − e_k)``. A column that is all zero carries no information (e = 1).
    """
    m = len(y)
    if m < 2:
        return pd.Series(1.0 / y.shape[1], index=y.columns)
    s = y.sum(axis=0)
    p = y / s.where(s > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        plogp = (p * np.log(p)).where(p > 0, 0.0)
    e = (-plogp.sum(axis=0) / np.log(m)).where(s > 0, 1.0)
    d = 1 - e
    return d / d.sum() if d.sum() > 0 else pd.Series(1.0 / y.shape[1], index=y.columns)


def topsis(y: pd.DataFrame, w: pd.Series) -> pd.Series:
    """TOPSIS closeness to the riskiest profile: ``r = y / √Σy²``, ``v = w·r``; D⁺/D⁻ are the
    distances to the column maxima/minima of v; ``Risk = D⁻ / (D⁺ + D⁻)`` (0 when all equal)."""
    norm = np.sqrt((y ** 2).sum(axis=0))
    v = (y / norm.where(norm > 0, 1.0)) * w
    dp = np.sqrt(((v - v.max(axis=0)) ** 2).sum(axis=1))
    dm = np.sqrt(((v - v.min(axis=0)) ** 2).sum(axis=1))
    tot = dp + dm
    return (dm / tot.where(tot > 0)).fillna(0.0)


def segment_scores(seg: pd.DataFrame, card: Scorecard = SCORECARD_V1) -> pd.DataFrame:
    """Frozen-scorecard structural score of each segment, with its breakdown.

    A missing segment has no local supply: CR1 counts as 1 and local supply as 0. Other undefined
    indicators count as no risk and are listed in ``unscored``. The score is the weighted mean of the
    normalised indicators (weights and bounds frozen in ``card``), so it is comparable across
    chains and over time; the breakdown holds each indicator's weighted contribution.

    Returns ``segment_id, structural_score, breakdown (dict), unscored (list)``.
    """
    cols = list(card.indicators)
    x = pd.DataFrame({c: seg[c].astype(float) if c in seg else np.nan for c in cols}, index=seg.index)
    missing = seg["n_enterprises"] == 0
    x.loc[missing & x["cr1"].isna(), "cr1"] = 1.0
    x.loc[missing & x["local_supply"].isna(), "local_supply"] = 0.0
    unscored = [[c for c in cols if pd.isna(x.at[i, c])] for i in x.index]
    y = pd.DataFrame({c: normalise(x[c], d, lo, hi).fillna(0.0) for c, (d, lo, hi, _) in card.indicators.items()})
    w = pd.Series({c: wt for c, (_, _, _, wt) in card.indicators.items()})
    w = w / w.sum()
    contrib = y * w
    return pd.DataFrame({"segment_id": seg["segment_id"].to_numpy(),
                         "structural_score": contrib.sum(axis=1).to_numpy(),
                         "breakdown": [{c: round(float(v), 4) for c, v in r.items()} for r in contrib.to_dict("records")],
                         "unscored": unscored})
