"""Property test: the engine's classes equal an independent pandas evaluation of random policies."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from chainwatch.analytics.policy.match import match_policy
from chainwatch.analytics.policy.model import parse_policy
from chainwatch.analytics.rules import Inputs

NUMERIC = {"rd_share_y1": "ratio", "revenue_ytd": "money", "open_warnings": "count"}
OPS = {">=": np.greater_equal, ">": np.greater, "<=": np.less_equal, "<": np.less}

frames = st.integers(5, 40).flatmap(lambda n: st.fixed_dictionaries({
    "rd_share_y1": st.lists(st.one_of(st.none(), st.integers(0, 10).map(lambda k: k / 100)), min_size=n, max_size=n),
    "revenue_ytd": st.lists(st.one_of(st.none(), st.integers(0, 8).map(lambda k: k * 5_000_000.0)),
                            min_size=n, max_size=n),
    "open_warnings": st.lists(st.one_of(st.none(), st.integers(0, 3)), min_size=n, max_size=n),
    "district": st.lists(st.one_of(st.none(), st.sampled_from(["330203", "330206", "330211"])), min_size=n, max_size=n),
}))
conditions = st.lists(st.one_of(
    st.tuples(st.just("rd_share_y1"), st.sampled_from(list(OPS)), st.integers(0, 10)),
    st.tuples(st.just("revenue_ytd"), st.sampled_from(list(OPS)), st.integers(0, 8)),
    st.tuples(st.just("open_warnings"), st.sampled_from(list(OPS)), st.integers(0, 3)),
    st.tuples(st.just("district"), st.just("in"), st.sampled_from([("330203",), ("330206", "330211")])),
), min_size=1, max_size=4)


def written(attr: str, k: object) -> object:
    if attr == "rd_share_y1":
        return f"{k}%"
    if attr == "revenue_ytd":
        return f"{int(k) * 500}万元"
    return k


def threshold(attr: str, k: int) -> float:
    return {"rd_share_y1": k / 100, "revenue_ytd": k * 5_000_000.0, "open_warnings": float(k)}[attr]


@settings(max_examples=60, deadline=None)
@given(frames, conditions)
def test_engine_classes_equal_pandas_reference(data, conds):
    df = pd.DataFrame(data, index=[f"e{i}" for i in range(len(data["district"]))])
    for c in NUMERIC:
        df[c] = pd.to_numeric(df[c], errors="coerce").astype(float)
    spec = [{"id": f"c{i}", "attribute": a, "op": op, "value": list(k) if op == "in" else written(a, k)}
            for i, (a, op, k) in enumerate(conds)]
    policy = parse_policy({"id": "p", "name": "p", "conditions": spec}, "p.yaml")
    m = match_policy(policy, Inputs.from_frame(df))
    # independent reference: each condition True / False / NaN (missing), combined by hand
    truth = []
    for a, op, k in conds:
        col = df[a]
        if op == "in":
            res = col.isin(list(k)).astype(float).where(col.notna())
        else:
            res = pd.Series(OPS[op](col.to_numpy(), threshold(a, k)), index=df.index).astype(float).where(col.notna())
        truth.append(res)
    t = pd.concat(truth, axis=1)
    n_false = (t == 0).sum(axis=1)
    n_nan = t.isna().sum(axis=1)
    want = np.where((n_false == 0) & (n_nan == 0), "eligible",
                    np.where(n_false == 0, "undecidable", np.where(n_false == 1, "near_miss", "not_eligible")))
    assert list(m.klass) == list(want)
