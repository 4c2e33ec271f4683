"""Each policy condition type at its boundaries, and malformed policies rejected with clear messages."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from chainwatch.analytics.policy.match import match_policy, payouts
from chainwatch.analytics.policy.model import parse_policy
from chainwatch.analytics.rules import Inputs, RulesInvalid
from chainwatch.analytics.rules.engine import FAIL, PASS, UNKNOWN


def policy(*conditions: dict, **meta) -> object:
    return parse_policy({"id": "p", "name": "测试政策", "conditions": list(conditions), **meta}, "p.yaml")


def statuses(cond: dict, column: str, values: list, sets: dict | None = None) -> list[int]:
    frame = pd.DataFrame({column: values}, index=[f"e{i}" for i in range(len(values))])
    inp = Inputs.from_frame(frame, sets=sets)
    m = match_policy(policy(cond), inp)
    return [int(s) for s in m.evaluation.status[cond["id"]]]


@pytest.mark.parametrize("op,threshold,values,want", [
    (">=", "3%", [0.03, 0.0299999, 0.0300001, np.nan], [PASS, FAIL, PASS, UNKNOWN]),
    (">", "3%", [0.03, 0.0299999, 0.0300001], [FAIL, FAIL, PASS]),
    ("<=", "-10%", [-0.10, -0.0999999, -0.1000001], [PASS, FAIL, PASS]),
    ("<", "-10%", [-0.10, -0.0999999, -0.1000001], [FAIL, FAIL, PASS]),
    ("==", "0%", [0.0, 1e-9, -1e-9], [PASS, FAIL, FAIL]),
    ("!=", "0%", [0.0, 1e-9], [FAIL, PASS]),
])
def test_ratio_comparisons(op, threshold, values, want):
    cond = {"id": "c", "attribute": "export_growth_ytd", "op": op, "value": threshold}
    assert statuses(cond, "export_growth_ytd", values) == want


def test_money_between_inclusive_and_units():
    cond = {"id": "c", "attribute": "revenue_ytd", "op": "between", "value": ["2000万元", "1亿元"]}
    vals = [20_000_000.0, 19_999_999.0, 100_000_000.0, 100_000_001.0]
    assert statuses(cond, "revenue_ytd", vals) == [PASS, FAIL, PASS, FAIL]


def test_count_and_years():
    assert statuses({"id": "c", "attribute": "open_warnings", "op": "==", "value": 0}, "open_warnings",
                    [0, 1, np.nan]) == [PASS, FAIL, UNKNOWN]
    assert statuses({"id": "c", "attribute": "niche_years", "op": ">=", "value": "3年"}, "niche_years",
                    [3, 2.99]) == [PASS, FAIL]


def test_bool():
    assert statuses({"id": "c", "attribute": "above_size_new", "value": True}, "above_size_new",
                    [1.0, 0.0, np.nan]) == [PASS, FAIL, UNKNOWN]
    assert statuses({"id": "c", "attribute": "title_single_champion", "value": "否"}, "title_single_champion",
                    [1.0, 0.0]) == [FAIL, PASS]


def test_category_ops():
    d = ["330206", "330211", "330203", None]
    assert statuses({"id": "c", "attribute": "district", "op": "in", "value": ["330206", "330211"]}, "district", d) \
        == [PASS, PASS, FAIL, UNKNOWN]
    assert statuses({"id": "c", "attribute": "district", "op": "not_in", "value": ["330206"]}, "district", d) \
        == [FAIL, PASS, PASS, UNKNOWN]
    ind = ["3421", "3511", "2611", "34"]
    assert statuses({"id": "c", "attribute": "industry", "op": "starts_with", "value": ["34", "35"]}, "industry",
                    ind) == [PASS, PASS, FAIL, PASS]
    assert statuses({"id": "c", "attribute": "size_class", "op": "==", "value": "small"}, "size_class",
                    ["small", "micro"]) == [PASS, FAIL]


def test_set_ops():
    sets = {"chains": pd.DataFrame({"id": ["e0", "e0", "e1"], "value": ["ic", "nev", "auto_parts"]})}
    frame = {"id": "c", "attribute": "chains"}
    assert statuses({**frame, "op": "any_of", "value": ["ic"]}, "district", ["x", "y", "z"], sets) == [PASS, FAIL, FAIL]
    assert statuses({**frame, "op": "all_of", "value": ["ic", "nev"]}, "district", ["x", "y", "z"], sets) == \
        [PASS, FAIL, FAIL]
    assert statuses({**frame, "op": "none_of", "value": ["ic"]}, "district", ["x", "y", "z"], sets) == [FAIL, PASS, PASS]


def test_dates():
    cond = {"id": "c", "attribute": "title_zjtx_since", "op": ">=", "value": "2021-01-01"}
    frame = pd.DataFrame({"title_zjtx_since": pd.to_datetime(["2021-01-01", "2020-12-31", None])}, index=list("abc"))
    inp = Inputs.from_frame(frame, absent_fails={"title_zjtx_since"})
    m = match_policy(policy(cond), inp)
    assert [int(s) for s in m.evaluation.status["c"]] == [PASS, FAIL, FAIL]  # no title: fails, not unknown


def test_near_miss_undecidable_and_payout():
    p = policy({"id": "a", "attribute": "rd_share_y1", "op": ">=", "value": "3%"},
               {"id": "b", "attribute": "revenue_y1", "op": ">=", "value": "1000万元"},
               benefit={"kind": "rate", "rate": "10%", "base": "rd_expense_y1", "cap": "50万元"}, budget="60万元")
    frame = pd.DataFrame({"rd_share_y1": [0.05, 0.05, 0.01, 0.05, np.nan],
                          "revenue_y1": [2e7, 2e8, 2e7, 5e6, 2e7],
                          "rd_expense_y1": [1e6, 1e7, 2e5, 2.5e5, 1e6]}, index=list("abcde"))
    m = match_policy(p, Inputs.from_frame(frame))
    assert list(m.klass) == ["eligible", "eligible", "near_miss", "near_miss", "undecidable"]
    assert list(m.payout[:2]) == [100_000.0, 500_000.0]  # 10 % of R&D, capped at 50万元
    assert np.isnan(m.payout[2:]).all() and m.total_payout == 600_000.0
    fixed = policy({"id": "a", "attribute": "rd_share_y1", "op": ">=", "value": "3%"},
                   benefit={"kind": "fixed", "amount": "10万元"})
    assert payouts(fixed, Inputs.from_frame(frame), np.array([True, False, False, False, False]))[0] == 100_000.0


@pytest.mark.parametrize("cond,meta,where,problem", [
    ({"id": "c1", "attribute": "export_dependence", "op": ">=", "value": "30%"}, {}, "c1", "unknown_attribute"),
    ({"id": "c1", "attribute": "export_share_ytd", "op": ">=", "value": "30"}, {}, "c1", "bad_value"),
    ({"id": "c1", "attribute": "export_share_ytd", "op": "~", "value": "30%"}, {}, "c1", "bad_op"),
    ({"id": "c1", "attribute": "revenue_ytd", "op": ">=", "value": "两千万"}, {}, "c1", "bad_value"),
    ({"id": "c1", "attribute": "size_class", "op": "in", "value": ["tiny"]}, {}, "c1", "bad_category"),
    ({"id": "c1", "attribute": "district", "op": "in", "value": ["330206"]}, {"valid_from": "2022-13-01"},
     "valid_from", "bad_value"),
    ({"id": "c1", "attribute": "district", "op": "in", "value": ["330206"]},
     {"valid_from": "2022-06-01", "valid_to": "2022-01-01"}, "valid_to", "policy_dates_order"),
    ({"id": "c1", "attribute": "district", "op": "in", "value": ["330206"]}, {"budget": "100 dollars"},
     "budget", "bad_value"),
    ({"id": "c1", "attribute": "district", "op": "in", "value": ["330206"]},
     {"benefit": {"kind": "rate", "rate": "5%", "base": "district"}}, "benefit", "policy_bad_base"),
    ({"id": "c1", "attribute": "district", "op": "in", "value": ["330206"]}, {"mode": "automatic"}, "mode",
     "policy_bad_mode"),
])
def test_malformed_policy_rejected(cond, meta, where, problem):
    with pytest.raises(RulesInvalid) as exc:
        policy(cond, **meta)
    got = {(p.source, p.condition, p.problem) for p in exc.value.problems}
    assert ("p.yaml", where, problem) in got


def test_in_force():
    p = policy({"id": "c", "attribute": "above_size", "value": True}, valid_from="2022-01-01", valid_to="2022-12-31")
    assert p.in_force(date(2022, 12, 31)) and not p.in_force(date(2023, 1, 1))


def test_every_rule_problem_has_a_message_in_both_languages():
    import inspect
    import re

    from chainwatch.analytics.policy import model as pmodel
    from chainwatch.analytics.rules import model as rmodel
    from chainwatch.i18n import catalogue

    src = inspect.getsource(rmodel) + inspect.getsource(pmodel)
    problems = set(re.findall(r'bad\(\s*[^,]+,\s*"(\w+)"', src)) | set(re.findall(r'RuleProblem\([^)]*?"(\w+)"', src))
    assert len(problems) > 15
    cat = catalogue()
    missing = [p for p in problems if f"cultivation.rule.{p}" not in cat and f"policy.problem.{p}" not in cat]
    assert missing == []
