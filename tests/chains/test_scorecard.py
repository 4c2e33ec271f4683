"""Structural scorecard (risk-methods §1.8): normalisation, entropy weights, TOPSIS, frozen scores."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chainwatch.analytics.chains.scorecard import (
    SCORECARD_V1,
    entropy_weights,
    normalise,
    segment_scores,
    topsis,
)


def test_normalise_in_risk_direction():
    x = pd.Series([0.0, 0.25, 1.0, 2.0])
    assert normalise(x, +1, 0.0, 1.0).tolist() == [0.0, 0.25, 1.0, 1.0]  # clipped
    assert normalise(x, -1, 0.0, 1.0).tolist() == [1.0, 0.75, 0.0, 0.0]
    assert normalise(x, +1, 1.0, 1.0).tolist() == [0.0] * 4


def test_entropy_weights_worked_example():
    y = pd.DataFrame({"same": [1.0, 1.0, 1.0], "spread": [0.0, 0.0, 1.0], "none": [0.0, 0.0, 0.0]})
    w = entropy_weights(y)
    assert w.to_dict() == pytest.approx({"same": 0.0, "spread": 1.0, "none": 0.0})


def test_topsis_worked_example():
    y = pd.DataFrame({"a": [1.0, 0.0, 0.5], "b": [1.0, 0.0, 0.5]})
    r = topsis(y, pd.Series({"a": 0.5, "b": 0.5}))
    assert r.tolist() == pytest.approx([1.0, 0.0, 0.5])


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(st.floats(0, 1), st.floats(0, 1), st.floats(0, 1)), min_size=2, max_size=20))
def test_entropy_and_topsis_bounds(rows):
    y = pd.DataFrame(rows, columns=["a", "b", "c"])
    w = entropy_weights(y)
    assert w.sum() == pytest.approx(1.0) and (w >= -1e-12).all()
    r = topsis(y, w)
    assert ((r >= -1e-12) & (r <= 1 + 1e-12)).all()


def test_segment_scores_are_frozen_weighted_sums_with_breakdown():
    seg = pd.DataFrame({"segment_id": ["ok", "missing"], "n_enterprises": [3, 0],
                        "cr1": [2 / 3, None], "import_dependence": [0.0, None], "origin_hhi": [None, None],
                        "foreign_share": [0.0, 0.5], "local_supply": [1.0, None],
                        "substitution_difficulty": [0.25, 1.0]})
    s = segment_scores(seg).set_index("segment_id")
    k = len(SCORECARD_V1.indicators)
    assert s.loc["ok", "structural_score"] == pytest.approx((2 / 3 + 0.25) / k)
    # missing segment: no local supply (CR1 = 1, local supply 0), unknown trade counts as no risk
    assert s.loc["missing", "structural_score"] == pytest.approx((1 + 0.5 + 1 + 1) / k)
    assert s.loc["missing", "unscored"] == ["import_dependence", "origin_hhi"]
    assert sum(s.loc["ok", "breakdown"].values()) == pytest.approx(s.loc["ok", "structural_score"], abs=1e-3)
    # frozen: adding another segment does not change earlier scores
    more = pd.concat([seg, seg.assign(segment_id=["x", "y"], cr1=[0.1, 0.9])], ignore_index=True)
    assert segment_scores(more).set_index("segment_id").loc["ok", "structural_score"] == s.loc["ok", "structural_score"]
