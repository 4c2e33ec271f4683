"""Every band of every point table at, just below and just above its boundaries (cultivation.md §4.1, §5.2).

The expected points come from the spec's tables, transcribed here independently of the YAML rule sets:
each table is a list of (lower bound, points) for "higher is better" or (upper bound, points) for "lower
is better", boundaries inclusive in the favourable direction (§1.3).
"""

from __future__ import annotations

import numpy as np
import pytest

# (ruleset, item id, attribute, direction, [(boundary, points) best first], points otherwise)
SPEC_TABLES = [
    ("cx-63-2022", "cx_rd", "rd_share_y1", "higher", [(0.05, 20), (0.03, 15), (0.02, 10), (0.01, 5)], 0),
    ("cx-63-2022", "cx_growth", "mbr_growth_y1", "higher", [(0.15, 20), (0.10, 15), (0.05, 10), (0.0, 5)], 0),
    ("cx-63-2022", "cx_debt", "debt_ratio_y1", "lower", [(0.55, 10), (0.75, 5)], 0),
    ("cx-63-2022", "cx_main", "main_share_y1", "higher", [(0.70, 20), (0.60, 15), (0.55, 10), (0.50, 5)], 0),
    ("zjtx-63-2022", "z_main", "main_share_y1", "higher", [(0.80, 5), (0.70, 3), (0.60, 1)], 0),
    ("zjtx-63-2022", "z_growth", "mbr_growth_2y_avg", "higher",
     [(0.10, 10), (0.08, 8), (0.06, 6), (0.04, 4), (0.0, 2)], 0),
    ("zjtx-63-2022", "z_digital", "digital_level", "higher", [(3, 5), (2, 3)], 0),
    ("zjtx-63-2022", "z_margin", "net_margin_y1", "higher", [(0.10, 10), (0.08, 8), (0.06, 6), (0.04, 4), (0.02, 2)], 0),
    ("zjtx-63-2022", "z_debt", "debt_ratio_y1", "lower", [(0.50, 5), (0.60, 3), (0.70, 1)], 0),
    ("zjtx-63-2022", "z_rd_amount", "rd_expense_y1", "higher",
     [(5_000_000, 10), (4_000_000, 8), (3_000_000, 6), (2_000_000, 4), (1_000_000, 2)], 0),
    ("zjtx-63-2022", "z_rd_share", "rd_share_y1", "higher", [(0.10, 10), (0.08, 8), (0.06, 6), (0.04, 4), (0.03, 2)], 0),
    ("zjtx-63-2022", "z_staff", "rd_staff_share_y1", "higher", [(0.20, 5), (0.10, 3), (0.05, 1)], 0),
]


def spec_points(direction: str, bands: list[tuple[float, int]], other: int, x: float) -> int:
    for bound, pts in bands:
        if (direction == "higher" and x >= bound) or (direction == "lower" and x <= bound):
            return pts
    return other


def probe_values(bands: list[tuple[float, int]]) -> list[float]:
    out = []
    for bound, _ in bands:
        eps = max(abs(bound), 1.0) * 1e-6
        out += [bound, bound - eps, bound + eps]
    return out


@pytest.mark.parametrize("ruleset,item,attribute,direction,bands,other", SPEC_TABLES,
                         ids=[f"{t[0]}:{t[1]}" for t in SPEC_TABLES])
def test_band_boundaries(evaluate_item, ruleset, item, attribute, direction, bands, other):
    values = probe_values(bands)
    ev = evaluate_item(ruleset, attribute, values)
    got = [float(p) for p in ev.points[item]]
    want = [spec_points(direction, bands, other, x) for x in values]
    assert got == want, list(zip(values, got, want, strict=True))


def test_exact_boundary_goes_to_favourable_band(evaluate_item):
    """§1.3: exactly 3 % scores in [3 %, 5 %); exactly 55 % debt in the "≤ 55 %" band."""
    ev = evaluate_item("cx-63-2022", "rd_share_y1", [0.03])
    assert ev.points["cx_rd"][0] == 15
    ev = evaluate_item("cx-63-2022", "debt_ratio_y1", [0.55])
    assert ev.points["cx_debt"][0] == 10


def test_float_noise_never_moves_a_value_across_a_boundary(evaluate_item):
    """A ratio one ulp below 3 % (binary noise of 30/1000-style arithmetic) is still exactly 3 %."""
    noisy = float(np.nextafter(0.03, 0.0))
    ev = evaluate_item("cx-63-2022", "rd_share_y1", [noisy, 0.1 * 3 / 10, 0.0299999])
    assert [float(p) for p in ev.points["cx_rd"]] == [15, 15, 10]


def test_boundary_switch_moves_exact_values_to_the_other_band(evaluate_item):
    ev = evaluate_item("cx-63-2022", "rd_share_y1", [0.03, 0.031], settings={"boundary_mode": "unfavourable_inclusive"})
    assert [float(p) for p in ev.points["cx_rd"]] == [10, 15]
    ev = evaluate_item("cx-63-2022", "debt_ratio_y1", [0.55], settings={"boundary_mode": "unfavourable_inclusive"})
    assert ev.points["cx_debt"][0] == 5


def test_ratio_rounding_setting(evaluate_item):
    """[U] rounding before comparing: 2.996 % rounds to 3.00 % with two decimals, not without."""
    ev = evaluate_item("cx-63-2022", "rd_share_y1", [0.02996])
    assert ev.points["cx_rd"][0] == 10
    ev = evaluate_item("cx-63-2022", "rd_share_y1", [0.02996], settings={"ratio_rounding": 2})
    assert ev.points["cx_rd"][0] == 15


@pytest.mark.parametrize("ruleset,item,attribute,mapping", [
    ("cx-63-2022", "cx_ip", "ip_best", {"high_value": 20, "class1_self": 15, "class1": 10, "class2": 5, "none": 0}),
    ("zjtx-63-2022", "z_ip", "ip_best", {"high_value": 10, "class1_self": 8, "class1": 6, "class2": 2, "none": 0}),
    ("zjtx-63-2022", "z_inst", "rd_institution_level",
     {"national": 10, "provincial": 8, "ministerial": 8, "municipal": 4, "lower": 2, "none": 0}),
])
def test_category_tables(evaluate_item, ruleset, item, attribute, mapping):
    ev = evaluate_item(ruleset, attribute, list(mapping) + [None])
    got = [float(p) for p in ev.points[item]]
    assert got[:-1] == [float(v) for v in mapping.values()]
    assert np.isnan(got[-1])  # missing input: unknown, not zero


def test_field_of_main_product_cx(evaluate_item):
    ev = evaluate_item("cx-63-2022", "field_strategic_emerging", [1.0, 0.0, np.nan])
    got = ev.points["cx_field"]
    assert got[0] == 10 and got[1] == 5 and np.isnan(got[2])


@pytest.mark.parametrize("years,points", [(0, 0), (1.99, 0), (2, 1), (3.99, 1), (4, 2), (9.99, 4), (10, 5), (11, 5),
                                          (30, 5)])
def test_niche_years_one_point_per_full_two_years(evaluate_item, years, points):
    ev = evaluate_item("zjtx-63-2022", "niche_years", [years])
    assert ev.points["z_niche"][0] == points


@pytest.mark.parametrize("items,points", [(0, 0), (1, 3), (2, 5), (3, 5), (4, 5)])
def test_quality_three_points_per_item_capped_at_five(evaluate_item, items, points):
    ev = evaluate_item("zjtx-63-2022", "quality_items", [items])
    assert ev.points["z_quality"][0] == points


@pytest.mark.parametrize("score,points", [(-1, 0), (0, 0), (7.5, 7.5), (15, 15), (16, 15)])
def test_local_score_clipped_to_0_15(evaluate_item, score, points):
    ev = evaluate_item("zjtx-63-2022", "special_score", [score])
    assert ev.points["z_special"][0] == points


def test_digital_level_one_and_no_assessment(evaluate_item):
    ev = evaluate_item("zjtx-63-2022", "digital_level", [1, 4, np.nan])
    assert [float(p) for p in ev.points["z_digital"]] == [0, 5, 0]  # no assessment → 0 [U] (setting)
    ev = evaluate_item("zjtx-63-2022", "digital_level", [np.nan], settings={"digital_no_assessment_points": 3})
    assert ev.points["z_digital"][0] == 3


def test_rd_input_scores_the_better_of_amount_and_share(evaluate_item):
    ev = evaluate_item("zjtx-63-2022", "rd_expense_y1", [5_000_000, 1_000_000, 999_999],
                       extra={"rd_share_y1": [0.03, 0.08, 0.10]})
    assert [float(p) for p in ev.points["z_rd"]] == [10, 8, 10]


@pytest.mark.parametrize("flags,points", [
    ({"field_key_link_results": 1, "field_six_basics": 1, "field_laozihao": 0}, 5),
    ({"field_key_link_results": 0, "field_six_basics": 1, "field_laozihao": 0}, 3),
    ({"field_key_link_results": 0, "field_six_basics": 0, "field_laozihao": 1}, 3),
    ({"field_key_link_results": 0, "field_six_basics": 0, "field_laozihao": 0}, 0),
])
def test_field_of_main_product_zjtx(evaluate_item, flags, points):
    first = next(iter(flags))
    ev = evaluate_item("zjtx-63-2022", first, [flags[first]], extra={k: [v] for k, v in list(flags.items())[1:]})
    assert ev.points["z_field"][0] == points


OTHER_TESTED_ITEMS = {"cx_ip", "z_ip", "z_inst", "cx_field", "z_niche", "z_quality", "z_special", "z_digital", "z_rd",
                      "z_field"}


def test_every_point_table_item_is_covered_here():
    """A point table added to a rule set must get its boundary test in this module."""
    from chainwatch.analytics.cultivation.catalog import load_ruleset, ruleset_ids

    tested = {t[1] for t in SPEC_TABLES} | OTHER_TESTED_ITEMS
    items: set[str] = set()
    for rid in ruleset_ids():
        for it in load_ruleset(rid).items:
            items.add(it.id)
            items |= {p.id for p in it.parts}
    assert items - tested == set()


def test_field_points_unknown_only_when_an_unknown_flag_could_raise_them(evaluate_item):
    """Six basics true (3) but 补短板 results unknown (5): undecided; results false: 3 for sure."""
    ev = evaluate_item("zjtx-63-2022", "field_key_link_results", [np.nan, 0.0, np.nan],
                       extra={"field_six_basics": [1.0, 1.0, 0.0], "field_laozihao": [0.0, 0.0, np.nan]})
    got = ev.points["z_field"]
    assert np.isnan(got[0]) and got[1] == 3 and np.isnan(got[2])
