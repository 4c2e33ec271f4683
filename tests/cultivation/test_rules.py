"""Worked cases of cultivation.md: rule-set selection, hard and direct conditions, unknown vs fail,
unconfirmed rules flagged for review, event windows, zero denominators, rules as data."""

from __future__ import annotations

import copy
from datetime import date

import numpy as np
import pandas as pd
import pytest

from chainwatch.analytics.cultivation.catalog import _raw, load_ruleset, load_settings, select
from chainwatch.analytics.cultivation.inputs import build_inputs, full_years, window_start
from chainwatch.analytics.rules import PASS, REVIEW, UNKNOWN, Inputs, RulesInvalid, evaluate, parse_rule_file
from chainwatch.analytics.rules.engine import FAIL

S = load_settings()


# -- §2.1 selector ---------------------------------------------------------------------------------
@pytest.mark.parametrize("tier,d,app,batch,want", [
    ("first", date(2026, 3, 31), "new", None, "cx-63-2022"),
    ("first", date(2026, 4, 1), "new", None, "kcx-2-2026"),
    ("zjtx", date(2026, 3, 31), "new", None, "zjtx-63-2022"),
    ("zjtx", date(2026, 4, 1), "new", None, "zjtx-2-2026"),
    ("zjtx", date(2026, 6, 1), "review", None, "zjtx-2-2026"),
    ("xjr", date(2025, 5, 1), "new", None, "xjr-63-2022"),
    ("xjr", date(2026, 4, 1), "new", None, "xjr-2-2026"),
    ("xjr", date(2026, 5, 1), "review", 5, "xjr-63-2022"),   # 117号: batch 5 reviewed under 63号
    ("xjr", date(2026, 5, 1), "review", 2, "xjr-63-2022"),
    ("xjr", date(2026, 5, 1), "review", 4, "xjr-2-2026"),
    ("xjr", date(2027, 5, 1), "review", 5, "xjr-2-2026"),
    ("champion", date(2023, 9, 26), "new", None, "dxgj-105-2016"),
    ("champion", date(2023, 9, 27), "new", None, "dxgj-138-2023"),
])
def test_selector(tier, d, app, batch, want):
    assert select(tier, d, app, S, batch=batch).ruleset == want


def test_selector_dates_are_settings():
    s = load_settings({"start_2026": date(2026, 7, 1)})
    assert select("zjtx", date(2026, 5, 1), "new", s).ruleset == "zjtx-63-2022"
    assert select("zjtx", date(2022, 5, 1), "new", S).ruleset is None  # before 63号 (2022-06-01 [U])


# -- helpers ---------------------------------------------------------------------------------------
def run(ruleset: str, rows: dict[str, list], application: str = "new", settings: dict | None = None):
    s = load_settings(settings)
    n = len(next(iter(rows.values())))
    frame = pd.DataFrame(rows, index=[f"e{i}" for i in range(n)])
    return evaluate(load_ruleset(ruleset, s), Inputs.from_frame(frame), s, application)


ZJTX63_OK = {
    "sme": [1.0], "compliance_ok": [1.0], "niche_years": [2.0], "rd_expense_y1": [1_000_000.0], "rd_share_y1": [0.03],
    "revenue_y1": [10_000_000.0], "equity_2y": [0.0], "award_z1_3y": [0.0], "rd_expense_2y_mean": [10_000_000.0],
    "makers_top500_3y": [0.0],
}


def test_zjtx63_hard_conditions_at_their_boundaries_pass():
    ev = run("zjtx-63-2022", ZJTX63_OK)
    assert ev.verdict[0] == PASS  # H1 = 2 years, H2 = 100万元 and 3 %, H3 = 1000万元, H4 via Z2 = 1000万元


@pytest.mark.parametrize("attr,value,failing", [
    ("niche_years", 1.99, "H1"),
    ("rd_expense_y1", 999_999.0, "H2"),
    ("rd_share_y1", 0.0299, "H2"),
    ("revenue_y1", 9_999_999.0, "H3"),
])
def test_zjtx63_just_below_each_hard_condition_fails(attr, value, failing):
    rows = {**ZJTX63_OK, attr: [value]}
    ev = run("zjtx-63-2022", rows)
    assert ev.status[failing][0] == FAIL
    assert ev.verdict[0] == FAIL


def test_zjtx63_h4_undecided_while_the_score_could_still_reach_60():
    ev = run("zjtx-63-2022", {**ZJTX63_OK, "rd_expense_2y_mean": [9_999_999.0]})
    assert ev.status["Z2"][0] == FAIL and ev.status["S0"][0] == UNKNOWN
    assert ev.status["H4"][0] == UNKNOWN and ev.verdict[0] == UNKNOWN


def test_zjtx63_h3_low_revenue_rescued_by_equity():
    ev = run("zjtx-63-2022", {**ZJTX63_OK, "revenue_y1": [5_000_000.0], "equity_2y": [20_000_000.0]})
    assert ev.status["H3"][0] == PASS


def test_missing_input_gives_unknown_never_fail():
    rows = {**ZJTX63_OK, "rd_share_y1": [np.nan]}
    ev = run("zjtx-63-2022", rows)
    assert ev.status["H2b"][0] == UNKNOWN and ev.verdict[0] == UNKNOWN
    # … but a definite failure elsewhere still decides the verdict
    ev = run("zjtx-63-2022", {**rows, "niche_years": [1.0]})
    assert ev.verdict[0] == FAIL


def test_score_range_decides_only_when_certain():
    """Score 56–61 with unknown items: neither pass nor fail; min ≥ 60 passes; max < 60 fails."""
    ev = run("cx-63-2022", {"sme": [1.0, 1.0], "compliance_ok": [1.0, 1.0], "ip_best": ["class1", "class1"],
                            "rd_share_y1": [0.05, 0.01], "mbr_growth_y1": [0.15, 0.0], "debt_ratio_y1": [0.5, 0.8],
                            "field_strategic_emerging": [np.nan, np.nan], "main_share_y1": [0.7, 0.5],
                            "award_natprov_3y": [0.0, 0.0], "title_high_tech": [0.0, 0.0],
                            "title_tech_innovation_demo": [0.0, 0.0], "title_ip_advantage": [0.0, 0.0],
                            "title_ip_demo": [0.0, 0.0], "rd_institution_level": ["none", "none"], "equity_3y": [0.0, 0.0]})
    # e0: 10+20+20+10+20 = 80 + field 5..10 → pass; e1: 10+5+5+0+5 = 25 + 5..10 → fail
    assert list(ev.score_min["total"]) == [85, 30] and list(ev.score_max["total"]) == [90, 35]
    assert list(ev.verdict) == [PASS, FAIL]


def test_cx_dimension_minimums():
    """Total ≥ 60 is not enough: 成长性 must reach 15 (§4.1)."""
    ev = run("cx-63-2022", {"sme": [1.0], "compliance_ok": [1.0], "ip_best": ["high_value"], "rd_share_y1": [0.05],
                            "mbr_growth_y1": [-0.01], "debt_ratio_y1": [0.8], "field_strategic_emerging": [1.0],
                            "main_share_y1": [0.7], "award_natprov_3y": [0.0], "title_high_tech": [0.0],
                            "title_tech_innovation_demo": [0.0], "title_ip_advantage": [0.0], "title_ip_demo": [0.0],
                            "rd_institution_level": ["none"], "equity_3y": [0.0]})
    assert ev.score_min["total"][0] == 70 and ev.score_min["growth"][0] == 0
    assert ev.status["S2"][0] == FAIL and ev.verdict[0] == FAIL


def test_cx_direct_route_d4_equity_500wan():
    base = {"sme": [1.0, 1.0], "compliance_ok": [1.0, 1.0], "equity_3y": [5_000_000.0, 4_999_999.0]}
    ev = run("cx-63-2022", base)
    assert ev.status["D4"][0] == PASS and ev.status["D4"][1] == FAIL


def test_unconfirmed_failure_becomes_manual_review():
    """63号 小巨人 without a valid 专精特新 title: [U] prerequisite → manual_review, flagged, not fail."""
    ev = run("xjr-63-2022", {"title_zjtx": [0.0]})
    assert ev.status["P0"][0] == REVIEW and ev.unconfirmed_hit[0]
    ev = run("xjr-63-2022", {"title_zjtx": [0.0]}, settings={"xjr63_requires_zjtx": False})
    assert ev.status["P0"][0] == 4  # not applicable
    assert not ev.unconfirmed_hit[0]


def test_zjtx2_review_uses_best_of_two_years_and_new_uses_this_year():
    rows = {"zjtx_score_y": [45.0], "zjtx_score_best_2y": [52.0]}
    new = run("zjtx-2-2026", rows, "new")
    rev = run("zjtx-2-2026", rows, "review")
    assert new.status["N9"][0] == FAIL and new.status["N9r"][0] == 4
    assert rev.status["N9"][0] == 4 and rev.status["N9r"][0] == PASS


def test_zjtx2_market_share_always_manual_review():
    ev = run("zjtx-2-2026", {"market_share_best": [0.5]})
    assert ev.status["N8"][0] == REVIEW


def test_xjr2_cagr_not_tested_for_reviews():
    rows = {"or_cagr_2y": [0.01]}
    assert run("xjr-2-2026", rows, "new").status["C2c"][0] in (FAIL, REVIEW)
    assert run("xjr-2-2026", rows, "review").status["C2c"][0] == 4


def test_xjr63_g1_revenue_bands():
    """G1: ≥ 1亿元 needs 3 %; [5000万, 1亿) needs 6 %; exactly 1亿元 is in the upper band."""
    rows = {"revenue_y1": [100_000_000.0, 99_999_999.0, 50_000_000.0], "rd_share_min_2y": [0.03, 0.05, 0.06]}
    ev = run("xjr-63-2022", rows)
    assert [int(v) for v in ev.status["G1"]] == [PASS, FAIL, PASS]


def test_champion_138_is_manual_review_at_best():
    ev = run("dxgj-138-2023", {"compliance_ok": [1.0], "years_in_field": [10.0], "mbr_3y_mean": [400_000_000.0],
                               "market_rank_global": [3.0], "energy_advanced": [1.0]})
    assert ev.verdict[0] == REVIEW
    ev = run("dxgj-138-2023", {"compliance_ok": [1.0], "years_in_field": [10.0], "mbr_3y_mean": [399_999_999.0],
                               "market_rank_global": [3.0], "energy_advanced": [1.0]})
    assert ev.verdict[0] == FAIL


def test_champion_lower_bar_setting():
    rows = {"compliance_ok": [1.0], "years_in_field": [12.0], "mbr_3y_mean": [250_000_000.0],
            "market_rank_global": [2.0], "energy_advanced": [1.0], "title_little_giant": [1.0], "title_zjtx": [0.0]}
    assert run("dxgj-138-2023", rows).status["P2"][0] == FAIL
    assert run("dxgj-138-2023", rows, settings={"champion_lower_bar": True}).status["P2"][0] == PASS


# -- §1.1 windows and §3.2 derived quantities --------------------------------------------------------
def test_event_window_calendar_and_rolling():
    d = date(2024, 5, 1)
    assert window_start(d, 3, "calendar") == date(2021, 1, 1)
    assert window_start(d, 3, "rolling") == date(2021, 5, 1)


def test_niche_years_counted_to_end_of_prior_year():
    assert full_years(date(2019, 1, 1), date(2021, 12, 31)) == 2
    assert full_years(date(2019, 1, 2), date(2021, 12, 31)) == 2
    assert full_years(date(2020, 1, 1), date(2021, 12, 31)) == 1


def _inputs(rows: list[dict], titles: list | None = None, d: date = date(2022, 7, 1), **settings):
    ent = pd.DataFrame({"uscc": sorted({r["uscc"] for r in rows})})
    tt = pd.DataFrame(titles or [], columns=["uscc", "title", "valid_from", "valid_to", "category"])
    return build_inputs(ent, pd.DataFrame(rows), tt, d, load_settings(settings))


def test_build_inputs_converts_wanyuan_to_yuan_and_ratios_exactly():
    rows = [{"uscc": "A", "year": 2021, "revenue": 1000.0, "main_revenue": 800.0, "rd_expense": 30.0,
             "total_assets": 100.0, "total_liabilities": 55.0, "employees": 100, "rd_personnel": 20},
            {"uscc": "A", "year": 2020, "revenue": 800.0, "main_revenue": 640.0, "rd_expense": 24.0},
            {"uscc": "A", "year": 2019, "revenue": 640.0, "main_revenue": 500.0, "rd_expense": 10.0}]
    f, notes = _inputs(rows)
    r = f.loc["A"]
    assert r["revenue_y1"] == 10_000_000 and r["rd_expense_y1"] == 300_000
    assert r["rd_share_y1"] == 0.03 and r["rd_share_min_2y"] == 0.03 and r["debt_ratio_y1"] == 0.55
    assert r["mbr_growth_y1"] == pytest.approx(0.25)
    assert r["mbr_growth_2y_avg"] == pytest.approx((0.25 + 0.28) / 2)
    assert r["or_cagr_2y"] == pytest.approx((1000 / 640) ** 0.5 - 1)
    assert r["rd_staff_share_y1"] == 0.2 and r["sme"] == 1.0
    g, _ = _inputs(rows, growth_mean="geometric")
    assert g.loc["A", "mbr_growth_2y_avg"] == pytest.approx((800 / 500) ** 0.5 - 1)


def test_zero_denominator_is_unknown_and_noted():
    rows = [{"uscc": "A", "year": 2021, "revenue": 0.0, "rd_expense": 5.0}]
    f, notes = _inputs(rows)
    assert np.isnan(f.loc["A", "rd_share_y1"])
    assert ("A", "rd_share_y1", "zero_denominator") in set(map(tuple, notes.to_numpy()))


def test_award_at_window_edge_needs_review():
    attrs = '{"awards": [{"level": "provincial", "year": 2019, "rank": 1}]}'
    rows = [{"uscc": "A", "year": 2021, "attrs": attrs}]
    f, _ = _inputs(rows)
    assert f.loc["A", "award_natprov_3y"] == 1 and f.loc["A", "award_natprov_3y#review"] == 1  # 2019 = first year
    attrs2 = '{"awards": [{"level": "provincial", "year": 2020, "rank": 1}]}'
    f, _ = _inputs([{"uscc": "A", "year": 2021, "attrs": attrs2}])
    assert f.loc["A", "award_natprov_3y#review"] == 0
    f, _ = _inputs([{"uscc": "A", "year": 2021, "attrs": '{"awards": [{"level": "national", "year": 2018}]}'}])
    assert f.loc["A", "award_natprov_3y"] == 0  # outside the window


def test_title_validity_on_the_assessment_date():
    titles = [("A", "zjtx", date(2019, 7, 1), date(2022, 6, 30), None),
              ("A", "innovative_sme", date(2019, 7, 2), None, None)]  # no valid_to: 3 years
    f, _ = _inputs([{"uscc": "A", "year": 2021}], titles, d=date(2022, 7, 1))
    assert f.loc["A", "title_zjtx"] == 0 and f.loc["A", "title_innovative_sme"] == 1
    f, _ = _inputs([{"uscc": "A", "year": 2021}], titles, d=date(2022, 6, 30))
    assert f.loc["A", "title_zjtx"] == 1


# -- rules as data ------------------------------------------------------------------------------------
def test_a_new_threshold_is_a_data_change():
    data = copy.deepcopy(_raw("zjtx-63-2022"))
    h1 = next(c for c in data["conditions"] if c["id"] == "H1")
    h1["value"] = 3
    changed = parse_rule_file(data, "zjtx-test.yaml", S)
    frame = pd.DataFrame({k: v for k, v in ZJTX63_OK.items()}, index=["e0"])
    assert evaluate(changed, Inputs.from_frame(frame), S).verdict[0] == FAIL
    assert evaluate(load_ruleset("zjtx-63-2022", S), Inputs.from_frame(frame), S).verdict[0] == PASS


@pytest.mark.parametrize("cond,problem", [
    ({"id": "x", "attribute": "rd_intensity", "op": ">=", "value": "3%"}, "unknown_attribute"),
    ({"id": "x", "attribute": "rd_share_y1", "op": ">=", "value": "3"}, "bad_value"),
    ({"id": "x", "attribute": "rd_share_y1", "op": ">=", "value": 0.03}, "bad_value"),
    ({"id": "x", "attribute": "revenue_y1", "op": ">=", "value": "100万美元"}, "bad_value"),
    ({"id": "x", "attribute": "sme", "op": ">=", "value": 1}, "bad_op"),
    ({"id": "x", "attribute": "rd_institution_level", "op": "in", "value": ["county"]}, "bad_category"),
    ({"id": "x", "attribute": "revenue_y1", "op": "between", "value": ["2亿元", "1亿元"]}, "between_order"),
    ({"id": "x", "attribute": "revenue_y1", "op": ">=", "value": "1亿元", "enabled_by": "nope"}, "unknown_setting"),
])
def test_malformed_rules_are_rejected_with_the_condition_named(cond, problem):
    with pytest.raises(RulesInvalid) as exc:
        parse_rule_file({"id": "t", "conditions": [cond]}, "t.yaml", S)
    p = exc.value.problems[0]
    assert (p.source, p.condition, p.problem) == ("t.yaml", "x", problem)


def test_review_rounds_editable_through_settings():
    """§2.1: a province applying 63号 to the 2026 专精特新 review round is a settings change."""
    s = load_settings({"review_rounds": [{"tier": "zjtx", "round_year": 2026, "rules": "zjtx-63-2022",
                                          "note": "province applies 63号"}]})
    assert select("zjtx", date(2026, 6, 1), "review", s).ruleset == "zjtx-63-2022"
    assert select("zjtx", date(2026, 6, 1), "new", s).ruleset == "zjtx-2-2026"
    assert select("zjtx", date(2026, 6, 1), "review", S).ruleset == "zjtx-2-2026"


def test_ratios_are_computed_in_decimal_arithmetic():
    """0.0321万元 / 1.07万元 is exactly 3 %; binary division of the yuan values gives 2.9999999999999995 %."""
    assert 0.0321 * 1e4 / (1.07 * 1e4) < 0.03  # the float pitfall this guards against
    rows = [{"uscc": "A", "year": 2021, "revenue": 1.07, "rd_expense": 0.0321, "main_revenue": 0.856}]
    f, _ = _inputs(rows)
    assert f.loc["A", "rd_share_y1"] == 0.03 and f.loc["A", "main_share_y1"] == 0.8
