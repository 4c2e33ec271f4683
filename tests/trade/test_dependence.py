"""Origin concentration (HHI, CR1) and import dependence: independent pandas, bounds, edge cases."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chainwatch.analytics.trade.dependence import critical, hhi_band, import_dependence, origin_concentration


def _random_imports(seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n = 300
    return pd.DataFrame({"segment_id": rng.choice(["s1", "s2", "s3"], n), "product": rng.choice(["p1", "p2", "p3"], n),
                         "partner": rng.choice(["JPN", "KOR", "DEU", "USA", "VNM"], n),
                         "value": rng.uniform(0, 50, n)})


def test_matches_independent_pandas() -> None:
    imp = _random_imports()
    out = origin_concentration(imp)
    # reference: pivot product x partner, shares, HHI, then import-weighted mean per segment
    piv = imp.pivot_table(index=["segment_id", "product"], columns="partner", values="value", aggfunc="sum",
                          fill_value=0)
    m_p = piv.sum(axis=1)
    hhi_p = (piv.div(m_p, axis=0) ** 2).sum(axis=1)
    seg_hhi = (hhi_p * m_p).groupby(level=0).sum() / m_p.groupby(level=0).sum()
    pooled = imp.pivot_table(index="segment_id", columns="partner", values="value", aggfunc="sum", fill_value=0)
    share = pooled.div(pooled.sum(axis=1), axis=0)
    units = out["units"].set_index("segment_id")
    np.testing.assert_allclose(units.loc[seg_hhi.index, "hhi"], seg_hhi.values)
    np.testing.assert_allclose(units.loc[share.index, "hhi_pooled"], (share ** 2).sum(axis=1).values)
    np.testing.assert_allclose(units.loc[share.index, "cr1"], share.max(axis=1).values)
    assert list(units.loc[share.index, "top_partner"]) == list(share.idxmax(axis=1))
    prods = out["products"].set_index(["segment_id", "product"])
    np.testing.assert_allclose(prods.loc[hhi_p.index, "hhi"], hhi_p.values)
    origins = out["origins"]
    assert origins.groupby("segment_id")["share"].sum().tolist() == pytest.approx([1.0, 1.0, 1.0])
    assert (origins[origins["rank"] == 1].set_index("segment_id")["partner"] == share.idxmax(axis=1)).all()


def test_pooling_hides_single_source_products() -> None:
    """Two single-source products from different countries: product HHI 1, pooled 0.5 (§1.2)."""
    imp = pd.DataFrame({"segment_id": ["s", "s"], "product": ["a", "b"], "partner": ["JPN", "DEU"],
                        "value": [60.0, 40.0]})
    u = origin_concentration(imp)["units"].iloc[0]
    assert u["hhi"] == pytest.approx(1.0)
    assert u["hhi_pooled"] == pytest.approx(0.6 ** 2 + 0.4 ** 2)
    assert u["cr1"] == pytest.approx(0.6) and u["top_partner"] == "JPN"
    assert u["effective_sources"] == pytest.approx(1.0) and u["band"] == "high"


@settings(max_examples=20, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["JPN", "KOR", "DEU", "USA"]), st.floats(0.01, 1e6)),
                min_size=1, max_size=20))
def test_hhi_bounds(pairs: list[tuple[str, float]]) -> None:
    imp = pd.DataFrame([("s", "p", c, v) for c, v in pairs], columns=["segment_id", "product", "partner", "value"])
    u = origin_concentration(imp)["units"].iloc[0]
    k = imp["partner"].nunique()
    assert 1.0 / k - 1e-12 <= u["hhi"] <= 1.0 + 1e-12
    assert u["cr1"] ** 2 <= u["hhi"] + 1e-12 <= u["cr1"] + 1e-12  # CR1² ≤ HHI ≤ CR1
    assert u["n_origins"] == k


def test_bands() -> None:
    assert [hhi_band(x) for x in (0.1, 0.15, 0.2, 0.25, 0.26, 1.0)] == [
        "unconcentrated", "moderate", "moderate", "moderate", "high", "high"]
    assert hhi_band(float("nan")) is None and hhi_band(None) is None


def test_import_dependence_cases() -> None:
    m = pd.Series([30.0, 50.0, 10.0, 0.0, 0.0, 60.0, 40.0])
    e = pd.Series([10.0, 80.0, 0.0, 0.0, 0.0, 30.0, 0.0])
    q = pd.Series([80.0, 20.0, np.nan, 0.0, 100.0, 20.0, 0.0])
    r = import_dependence(m, e, q)
    assert r.loc[0, "dependence"] == pytest.approx(30 / 100)          # M / (Q + M − E)
    assert r.loc[1, "dependence"] == pytest.approx(50 / 70)           # C = −10 ≤ 0 -> M / (Q + M)
    assert r.loc[5, "dependence"] == pytest.approx(60 / 80)           # E > Q (re-exports): fallback, ≤ 100 %
    assert r.loc[6, "dependence"] == pytest.approx(1.0)               # no local output: all imported
    assert r["method"].tolist() == ["apparent_consumption", "fallback", "no_output", "no_consumption",
                                    "apparent_consumption", "fallback", "apparent_consumption"]
    assert (r["dependence"].dropna() <= 1.0).all()
    assert math.isnan(r.loc[2, "dependence"]) and math.isnan(r.loc[3, "dependence"])  # null, never 0
    assert r.loc[4, "dependence"] == 0.0


def test_critical_flag() -> None:
    hhi = pd.Series([0.5, 0.5, 0.3, 0.5, np.nan])
    d = pd.Series([0.6, 0.6, 0.9, 0.4, 0.9])
    m = pd.Series([10.0, 10.0, 10.0, 10.0, 10.0])
    e = pd.Series([0.0, 20.0, 0.0, 0.0, 0.0])
    assert critical(hhi, d, m, e).tolist() == [True, False, False, False, False]


def test_segment_table_statuses_and_nulls() -> None:
    from chainwatch.analytics.trade.dependence import segment_table

    segs = pd.DataFrame({"segment_id": ["a", "b", "c", "d"], "chain_id": "x", "position": "midstream"})
    imp = pd.DataFrame({"segment_id": ["a", "a", "d"], "product": ["p", "p", "q"], "partner": ["JPN", "KOR", "USA"],
                        "value": [70.0, 30.0, 10.0]})
    exp = pd.DataFrame({"segment_id": ["a"], "value": [20.0]})
    out = segment_table(segs, imp, exp, pd.Series({"a": 100.0, "b": 50.0}), with_products={"a", "b", "d"})
    r = out.set_index("segment_id")
    assert r.loc["a", "import_dependence_pct"] == pytest.approx(100 / 180 * 100)
    assert r.loc["a", "cr1_pct"] == pytest.approx(70.0) and r.loc["a", "hhi"] == pytest.approx(0.58)
    assert list(r["status"]) == ["ok", "no_imports", "no_products", "ok"]
    assert r.loc["b", "import_dependence_pct"] == 0.0 and np.isnan(r.loc["b", "hhi"])
    assert np.isnan(r.loc["d", "import_dependence_pct"]) and r.loc["d", "dependence_method"] == "no_output"
    assert list(r["critical"]) == [True, False, False, False]  # HHI .58, ID 56 %, M > E
    assert r.loc["d", "single_source_products"] == 1
