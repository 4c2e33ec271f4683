"""Bulletin wording and number formatting (zh/en), and the sentence through the service."""

from __future__ import annotations

import pandas as pd
import pytest

from chainwatch.analytics.stats.fmt import fmt_amount, fmt_pct, growth_phrase, join_list
from conftest import load_frames


def test_official_example_mixed_signs_keep_growth_wording():
    assert growth_phrase([-1.4, 4.3, 9.2, 14.9], "zh") == "增长 −1.4%、4.3%、9.2% 和 14.9%"
    assert growth_phrase([-1.4, 4.3, 9.2, 14.9], "en") == "grew by −1.4%, 4.3%, 9.2%, and 14.9%"


def test_declines_are_worded_as_declines():
    assert growth_phrase([-1.4], "zh") == "下降 1.4%"
    assert growth_phrase([-1.4], "en") == "fell by 1.4%"
    assert growth_phrase([-1.4, -2.0], "zh") == "下降 1.4% 和 2.0%"
    assert growth_phrase([4.3], "zh") == "增长 4.3%"
    assert growth_phrase([-0.04], "zh") == "增长 0.0%"  # rounds to zero: no "−0.0%", no decline
    assert growth_phrase([None, -3.0], "zh") == "下降 — 和 3.0%"


def test_number_formatting():
    assert fmt_pct(-1.44) == "−1.4%" and fmt_pct(14.95) in ("14.9%", "15.0%") and fmt_pct(None) == "—"
    assert fmt_pct(float("nan")) == "—" and fmt_pct(float("inf")) == "—"
    assert fmt_amount(123456.7) == "12.3亿元" and fmt_amount(950.0) == "950.0万元"
    assert fmt_amount(123456.7, "en") == "CNY 1.23 bn"
    assert join_list(["产值", "增加值"], "zh") == "产值 和 增加值"
    assert join_list(["output", "profits and taxes", "profits"], "en") == "output, profits and taxes, and profits"


def _city(cw, base, cur):
    ents = pd.DataFrame([{"uscc": "A", "name": "A", "district": "330203", "industry": "3811", "division": "38",
                          "section": "C", "founded": None}])
    scope = pd.DataFrame([{"uscc": "A", "year": y, "above_size": True} for y in (2020, 2021)])
    rows = []
    for y, vals in ((2020, base), (2021, cur)):
        for m in range(1, 12):
            rows.append({"uscc": "A", "period": f"{y}-{m:02d}", "year": y, "month": m,
                         "gross_output": vals[0] / 11, "value_added": vals[1] / 11,
                         "total_profit": vals[3] / 11, "taxes": (vals[2] - vals[3]) / 11})
    load_frames(cw.store, {"enterprise": ents, "enterprise_scope": scope, "monthly_value": pd.DataFrame(rows)})


def test_sentence_reproduces_the_bulletin(cw):
    # output −1.4 %, value added 4.3 %, profit+tax 9.2 %, profit 14.9 %
    _city(cw, (1000, 100, 100, 50), (986, 104.3, 109.2, 57.45))
    assert cw.stats.sentence("2021-11", "zh") == "1–11月，全市规上工业产值、增加值、利税、利润分别同比增长 −1.4%、4.3%、9.2% 和 14.9%"
    assert cw.stats.sentence("2021-11", "en") == (
        "In Jan–Nov, output, value added, profits and taxes, and profits of the city's industrial enterprises "
        "above designated size grew by −1.4%, 4.3%, 9.2%, and 14.9% year on year respectively.")


def test_sentence_single_decline_and_scope_area(cw):
    _city(cw, (1000, 100, 100, 50), (986, 104.3, 109.2, 57.45))
    assert cw.stats.sentence("2021-11", "zh", indicators=["gross_output"]) == "1–11月，全市规上工业产值同比下降 1.4%"
    cw.scope = ["330203"]
    s = cw.stats.sentence("2021-11", "zh", indicators=["gross_output"])
    assert s.startswith("1–11月，海曙区规上工业产值同比下降 1.4%")
    h = cw.stats.headline("2021-11")
    assert h["indicators"]["gross_output"]["ytd_yoy_pct"] == pytest.approx(-1.4)
    assert h["ytd_label"] == "1–11月" and h["month_label"] == "11月"
