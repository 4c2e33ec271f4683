"""Shares, 当月/累计同比, contribution and pull: worked example, independent pandas, properties."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chainwatch.analytics.trade.growth import attach_groups, attach_products, trade_growth
from chainwatch.model.periods import Period


def _long(levels: dict[str, tuple[float, float]], period: Period, flow: str = "export") -> pd.DataFrame:
    rows = []
    for key, (base, cur) in levels.items():
        rows.append((key, flow, period.year - 1, period.month, base))
        rows.append((key, flow, period.year, period.month, cur))
    return pd.DataFrame(rows, columns=["key", "flow", "year", "month", "value"])


def test_statistics_worked_example_6_1() -> None:
    """statistics.md §6.1: X 500→560, Y 300→330, Z 200→190."""
    per = Period(2021, 3)
    items = _long({"X": (500, 560), "Y": (300, 330), "Z": (200, 190)}, per)
    rows, total = trade_growth(items, items.drop(columns="key"), per, flows=["export"])
    r = rows.set_index("key")
    assert r.loc["X", "month_yoy_pct"] == pytest.approx(12.0)
    assert r.loc["Z", "month_yoy_pct"] == pytest.approx(-5.0)
    assert r.loc[["X", "Y", "Z"], "month_contribution_pct"].tolist() == pytest.approx([75.0, 37.5, -12.5])
    assert r.loc[["X", "Y", "Z"], "month_pull_pp"].tolist() == pytest.approx([6.0, 3.0, -1.0])
    assert r["month_contribution_pct"].sum() == pytest.approx(100.0)
    assert r["month_pull_pp"].sum() == pytest.approx(total.loc[0, "month_yoy_pct"]) == pytest.approx(8.0)
    assert total.loc[0, "month_share_pct"] == pytest.approx(100.0)
    # cumulative 1..3 equals the month here (no Jan/Feb data)
    assert r.loc["X", "ytd_value"] == 560


def test_zero_base_gives_null_never_inf() -> None:
    per = Period(2021, 5)
    items = _long({"new": (0, 40), "old": (100, 60)}, per)
    rows, total = trade_growth(items, items.drop(columns="key"), per, flows=["export"])
    r = rows.set_index("key")
    assert math.isnan(r.loc["new", "month_yoy_pct"])  # D = 0 -> null
    assert r.loc["old", "month_yoy_pct"] == pytest.approx(-40.0)
    # total unchanged (100 -> 100): ΔT = 0 -> contribution undefined, pull defined
    assert math.isnan(r.loc["new", "month_contribution_pct"])
    assert r.loc["new", "month_pull_pp"] == pytest.approx(40.0)
    assert total.loc[0, "month_yoy_pct"] == pytest.approx(0.0)
    assert math.isnan(total.loc[0, "month_contribution_pct"])


def test_jan_feb_combined_and_cumulative() -> None:
    """Jan and Feb are one official period; February's 当月 = 累计 = Jan + Feb."""
    rows = [("a", "import", y, m, v) for y, m, v in
            [(2020, 1, 10), (2020, 2, 20), (2020, 3, 30), (2021, 1, 15), (2021, 2, 30), (2021, 3, 60)]]
    f = pd.DataFrame(rows, columns=["key", "flow", "year", "month", "value"])
    for p in (Period(2021, 1), Period(2021, 2)):
        r, _ = trade_growth(f, f.drop(columns="key"), p, flows=["import"])
        assert r.loc[0, "month_value"] == r.loc[0, "ytd_value"] == 45
        assert r.loc[0, "month_yoy_pct"] == pytest.approx(50.0)
    r, _ = trade_growth(f, f.drop(columns="key"), Period(2021, 3), flows=["import"])
    assert (r.loc[0, "month_value"], r.loc[0, "month_base_value"]) == (60, 30)
    assert (r.loc[0, "ytd_value"], r.loc[0, "ytd_base_value"]) == (105, 60)
    assert r.loc[0, "ytd_yoy_pct"] == pytest.approx(75.0)  # not the mean of monthly rates


def test_total_flow_is_import_plus_export() -> None:
    per = Period(2021, 4)
    f = pd.concat([_long({"a": (10, 20)}, per, "import"), _long({"a": (30, 20)}, per, "export")])
    rows, total = trade_growth(f, f.drop(columns="key"), per)
    tot = rows[rows["flow"] == "total"].iloc[0]
    assert (tot["month_value"], tot["month_base_value"]) == (40, 40)
    assert list(total["flow"]) == ["import", "export", "total"]


def _reference(frame: pd.DataFrame, per: Period) -> pd.DataFrame:
    """Independent computation with plain pandas pivots."""
    f = pd.concat([frame, frame.assign(flow="total")])
    cum = f[f["month"] <= per.month].pivot_table(index=["key", "flow"], columns="year", values="value",
                                                 aggfunc="sum", fill_value=0)
    tot = f[f["month"] <= per.month].pivot_table(index="flow", columns="year", values="value", aggfunc="sum")
    out = pd.DataFrame(index=cum.index)
    t_cur = tot[per.year].reindex(cum.index.get_level_values("flow")).values
    t_pri = tot[per.year - 1].reindex(cum.index.get_level_values("flow")).values
    out["ytd_yoy_pct"] = (cum[per.year] / cum[per.year - 1].replace(0, np.nan) - 1) * 100
    out["share_pct"] = cum[per.year] / t_cur * 100
    out["contribution_pct"] = (cum[per.year] - cum[per.year - 1]) / (t_cur - t_pri) * 100
    out["pull_pp"] = (cum[per.year] - cum[per.year - 1]) / t_pri * 100
    return out


def test_matches_independent_pandas() -> None:
    rng = np.random.default_rng(3)
    n = 400
    f = pd.DataFrame({"key": rng.choice(list("abcdef"), n), "flow": rng.choice(["import", "export"], n),
                      "year": rng.choice([2020, 2021], n), "month": rng.integers(1, 13, n),
                      "value": rng.uniform(0, 100, n)})
    per = Period(2021, 9)
    rows, _ = trade_growth(f, f.drop(columns="key"), per)
    ref = _reference(f, per)
    got = rows.set_index(["key", "flow"]).loc[ref.index]
    for col in ref.columns:
        np.testing.assert_allclose(got[col].to_numpy(float), ref[col].to_numpy(float), rtol=1e-9)
    # a partition: contributions sum to 100 and pulls to total growth, per flow
    for _, g in rows.groupby("flow"):
        assert g["contribution_pct"].sum() == pytest.approx(100.0)
        assert g["share_pct"].sum() == pytest.approx(100.0)


@settings(max_examples=20, deadline=None)
@given(st.lists(st.tuples(st.sampled_from("abcd"), st.integers(0, 1), st.integers(1, 6),
                          st.floats(0.5, 1e6)), min_size=2, max_size=40))
def test_partition_identities(data: list[tuple[str, int, int, float]]) -> None:
    f = pd.DataFrame([(k, "export", 2020 + y, m, v) for k, y, m, v in data],
                     columns=["key", "flow", "year", "month", "value"])
    per = Period(2021, 6)
    rows, total = trade_growth(f, f.drop(columns="key"), per, flows=["export"])
    t = total.iloc[0]
    if t["ytd_base_value"] > 0:
        assert rows["pull_pp"].sum() == pytest.approx(t["ytd_yoy_pct"], abs=1e-6)
    if abs(t["ytd_value"] - t["ytd_base_value"]) > 1e-6 * max(t["ytd_value"], 1):
        assert rows["contribution_pct"].sum() == pytest.approx(100.0, rel=1e-6)
    if t["ytd_value"] > 0:
        assert rows["share_pct"].sum() == pytest.approx(100.0)


def test_overlapping_groups_do_not_sum_to_total() -> None:
    members = pd.DataFrame({"group_id": ["rcep", "rcep", "bri", "bri"], "member": ["JPN", "VNM", "VNM", "RUS"]})
    per = Period(2021, 3)
    f = pd.DataFrame({"partner": ["JPN", "VNM", "RUS", "USA"] * 2, "flow": "export",
                      "year": [2020] * 4 + [2021] * 4, "month": 3, "value": [10, 20, 30, 40, 20, 40, 30, 10]})
    items = attach_groups(f, members)
    assert sorted(items["key"].unique()) == ["bri", "rcep"]
    rows, total = trade_growth(items, f.drop(columns="partner"), per, flows=["export"])
    r = rows.set_index("key")
    assert r.loc["rcep", "month_value"] == 60 and r.loc["bri", "month_value"] == 70  # VNM in both
    assert r["month_value"].sum() > total.loc[0, "month_value"] - 10  # 130 vs 100 total: overlap
    assert r["month_contribution_pct"].sum() != pytest.approx(100.0)


def test_attach_products_prefix_and_longest() -> None:
    f = pd.DataFrame({"hs_code": ["85423100", "8542", "85", "87032310", "3901"], "value": [1.0, 2, 3, 4, 5]})
    prods = pd.DataFrame({"segment_id": ["chip", "chip", "car", "poly", "batt"],
                          "hs_code": ["8542", "854231", "8703", "3901", "3901"]})
    out = attach_products(f, prods, key="segment_id")
    got = sorted(zip(out["hs_code"], out["segment_id"], out["product"], strict=True))
    assert got == sorted([("3901", "batt", "3901"), ("3901", "poly", "3901"), ("85423100", "chip", "854231"),
                          ("8542", "chip", "8542"), ("87032310", "car", "8703")])
    # a chapter-level row ("85") is not covered by heading-level products
    assert "85" not in set(out["hs_code"])
