"""Segment indicators on small hand-made examples with known answers (risk-methods §1)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chainwatch.analytics.chains.indicators import (
    Thresholds,
    assign_output,
    concentration,
    coverage,
    import_dependence,
    local_supply_rate,
    match_hs,
    substitution_difficulty,
)


def _members(rows):
    return pd.DataFrame(rows, columns=["segment_id", "uscc", "is_main"])


def test_concentration_worked_example():
    # shares 300/450, 100/450, 50/450
    m = _members([("s", "e", False), ("s", "f", False), ("s", "g", False)])
    out = pd.DataFrame({"uscc": ["e", "f", "g"], "output": [300.0, 100.0, 50.0]})
    c = concentration(assign_output(m, out), ["s", "empty"]).set_index("segment_id")
    s = np.array([300, 100, 50]) / 450
    assert c.loc["s", "n_enterprises"] == 3
    assert c.loc["s", "cr1"] == pytest.approx(s[0])
    assert c.loc["s", "cr3"] == pytest.approx(1.0)
    assert c.loc["s", "hhi"] == pytest.approx((s ** 2).sum())
    assert c.loc["s", "hhi_norm"] == pytest.approx(((s ** 2).sum() - 1 / 3) / (1 - 1 / 3))
    assert c.loc["s", "top_uscc"] == "e"
    # empty segment: counts 0, concentration undefined (NaN), not 0
    assert c.loc["empty", "n_enterprises"] == 0
    assert math.isnan(c.loc["empty", "cr1"]) and math.isnan(c.loc["empty", "hhi"])


def test_single_firm_is_single_source_and_no_output_is_null():
    m = _members([("a", "x", False), ("b", "y", False)])
    c = concentration(assign_output(m, pd.DataFrame({"uscc": ["x"], "output": [5.0]})), ["a", "b"]).set_index("segment_id")
    assert c.loc["a", "cr1"] == 1.0 and bool(c.loc["a", "single_source"])
    assert c.loc["a", "hhi_norm"] == 1.0
    assert c.loc["b", "n_enterprises"] == 1 and math.isnan(c.loc["b", "cr1"])  # firm without output


def test_multi_segment_firm_output_goes_to_main_segment_or_is_flagged():
    m = _members([("a", "x", False), ("b", "x", True), ("a", "y", False), ("c", "y", False)])
    out = pd.DataFrame({"uscc": ["x", "y"], "output": [100.0, 40.0]})
    a = assign_output(m, out).set_index(["segment_id", "uscc"])
    assert a.loc[("b", "x"), "assigned"] == 100.0 and a.loc[("a", "x"), "assigned"] == 0.0
    # y has no main segment: assigned to its first segment (a) and flagged
    assert a.loc[("a", "y"), "assigned"] == 40.0 and a.loc[("a", "y"), "assign_flag"] == "no_main"
    assert a["assigned"].sum() == pytest.approx(140.0)  # output is never double counted


def test_import_dependence_formula_fallback_and_origin_hhi():
    products = pd.DataFrame({"segment_id": ["s", "s", "t", "u"], "hs_code": ["2836", "2825", "8507", "9999"]})
    trade = pd.DataFrame([
        ("283691", "CHL", "import", 60.0), ("283691", "ARG", "import", 40.0),   # product 2836: HHI .36+.16=.52
        ("282520", "AUS", "import", 100.0),                                      # product 2825: HHI 1
        ("283691", "DEU", "export", 10.0),
        ("850760", "KOR", "import", 10.0), ("850760", "USA", "export", 500.0),   # t: C = 100+10-500 < 0
    ], columns=["hs_code", "partner", "flow", "value"])
    q = pd.Series({"s": 50.0, "t": 100.0, "u": 0.0})
    seg, prod = import_dependence(products, trade, q)
    seg = seg.set_index("segment_id")
    # ID_s = ΣM / (Q + ΣM − ΣE) = 200 / (50 + 200 − 10)
    assert seg.loc["s", "import_dependence"] == pytest.approx(200 / 240)
    # origin HHI: import-weighted mean of product HHIs, NOT pooled origins
    assert seg.loc["s", "origin_hhi"] == pytest.approx((100 * 0.52 + 100 * 1.0) / 200)
    pooled = (60 / 200) ** 2 + (40 / 200) ** 2 + (100 / 200) ** 2
    assert seg.loc["s", "origin_hhi"] != pytest.approx(pooled)
    assert seg.loc["s", "top_origin"] == "AUS" and seg.loc["s", "n_origins"] == 3
    # processing trade: C <= 0 → flagged fallback M/(Q+M)
    assert bool(seg.loc["t", "id_fallback"])
    assert seg.loc["t", "import_dependence"] == pytest.approx(10 / 110)
    # no output, no trade: undefined, not zero
    assert math.isnan(seg.loc["u", "import_dependence"])
    assert set(prod["product"]) == {"2836", "2825", "8507"}


def test_critical_dependence_flag_needs_all_three_conditions():
    products = pd.DataFrame({"segment_id": ["a", "b", "c"], "hs_code": ["01", "02", "03"]})
    trade = pd.DataFrame([
        ("0101", "X", "import", 90.0), ("0101", "Y", "import", 10.0),            # a: HHI .82, ID 90/100, no exports
        ("0201", "X", "import", 50.0), ("0201", "Y", "import", 50.0),            # b: HHI .5 ID 100/110 M/E=10
        ("0201", "Z", "export", 10.0),
        ("0301", "X", "import", 100.0), ("0301", "X", "export", 150.0),          # c: M/E < 1
    ], columns=["hs_code", "partner", "flow", "value"])
    seg, _ = import_dependence(products, trade, pd.Series({"a": 10.0, "b": 20.0, "c": 100.0}))
    flags = seg.set_index("segment_id")["critical_dependence"]
    assert bool(flags["a"]) and bool(flags["b"]) and not bool(flags["c"])
    seg2, _ = import_dependence(products, trade, pd.Series({"a": 10.0, "b": 20.0, "c": 100.0}),
                                Thresholds(critical_hhi=0.6))
    assert not bool(seg2.set_index("segment_id").loc["b", "critical_dependence"])


def test_match_hs_prefers_longest_code_and_counts_a_row_once_per_segment():
    products = pd.DataFrame({"segment_id": ["s", "s", "t"], "hs_code": ["8507", "850760", "85"]})
    m = match_hs(pd.Series(["85076010", "85079000", "03019100"]), products)
    got = {(r.hs, r.segment_id): r.product for r in m.itertuples()}
    assert got == {("85076010", "s"): "850760", ("85076010", "t"): "85", ("85079000", "s"): "8507",
                   ("85079000", "t"): "85"}


def _links(rows):
    return pd.DataFrame(rows, columns=["supplier_key", "supplier_local", "supplier_country", "supplier_region",
                                       "annual_value"])


def test_local_supply_rate_value_count_and_four_way_split():
    links = _links([
        ("L1", True, "CHN", None, 50.0), ("L2", True, "CHN", None, 30.0),
        ("P1", False, "CHN", "330100", 10.0), ("D1", False, "CHN", "320500", 6.0),
        ("F1", False, "DEU", None, 4.0), ("L1", True, "CHN", None, 0.0),
    ])
    r = local_supply_rate(links, province="33")
    assert r["lsr"] == pytest.approx(80 / 100)
    assert r["lsr_count"] == pytest.approx(2 / 5)
    assert (r["city"], r["province"], r["china"], r["abroad"]) == pytest.approx((0.8, 0.1, 0.06, 0.04))
    empty = local_supply_rate(_links([]))
    assert math.isnan(empty["lsr"])


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.booleans(), st.sampled_from(["CHN", "JPN"]), st.sampled_from(["", "33", "32"]),
                          st.floats(0.01, 1e6)), min_size=1, max_size=30))
def test_four_way_split_sums_to_one(rows):
    links = _links([(f"k{i}", loc, c, r + "0101" if r else None, v) for i, (loc, c, r, v) in enumerate(rows)])
    r = local_supply_rate(links, province="33")
    assert r["city"] + r["province"] + r["china"] + r["abroad"] == pytest.approx(1.0)
    assert 0 <= r["lsr_count"] <= 1


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(0.01, 1e7), min_size=1, max_size=25))
def test_concentration_bounds(outputs):
    n = len(outputs)
    m = _members([("s", f"f{i}", False) for i in range(n)])
    out = pd.DataFrame({"uscc": [f"f{i}" for i in range(n)], "output": outputs})
    c = concentration(assign_output(m, out), ["s"]).iloc[0]
    assert 1 / n - 1e-12 <= c["hhi"] <= 1 + 1e-12
    assert c["cr1"] <= c["cr3"] + 1e-12 <= 1 + 2e-12
    assert -1e-9 <= c["hhi_norm"] <= 1 + 1e-9


def test_coverage_by_stage_and_weighted():
    seg = pd.DataFrame({"position": ["upstream", "upstream", "midstream", "downstream"],
                        "n_enterprises": [0, 2, 1, 0], "weight": [1.0, 3.0, 1.0, 5.0]})
    c = coverage(seg)
    assert c["coverage"] == 0.5
    assert (c["coverage_upstream"], c["coverage_midstream"], c["coverage_downstream"]) == (0.5, 1.0, 0.0)
    assert c["coverage_weighted"] == pytest.approx(4 / 10)
    assert math.isnan(coverage(seg.drop(columns=["weight"]))["coverage_weighted"])


def test_substitution_difficulty():
    sd = substitution_difficulty(pd.Series([0, 1, 0]), pd.Series([0, 2, 0]), pd.Series([0, 4, 2]))
    assert sd.tolist() == pytest.approx([1.0, 1 / (1 + 1 + 1 + 1), 1 / 1.5])
