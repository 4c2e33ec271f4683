"""Property tests: more R&D never lowers a score or a verdict; more debt never raises a score."""

from __future__ import annotations

from datetime import date

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from chainwatch.analytics.cultivation.assess import run_tier
from chainwatch.analytics.cultivation.catalog import load_settings
from chainwatch.analytics.cultivation.inputs import build_inputs

S = load_settings()
D = date(2022, 7, 1)

profile = st.fixed_dictionaries({
    "revenue": st.floats(500, 200_000),
    "rd_share": st.floats(0.0, 0.15),
    "main_share": st.floats(0.3, 1.0),
    "debt": st.floats(0.05, 0.95),
    "margin": st.floats(-0.1, 0.2),
    "growth": st.floats(-0.2, 0.4),
    "employees": st.floats(10, 1500),
    "niche": st.floats(0, 15),
    "patents": st.integers(0, 6),
    "equity": st.floats(0, 5000),
})


def frame_for(p: dict, extra_rd: float = 0.0, extra_debt: float = 0.0) -> pd.DataFrame:
    rows = []
    for k, y in enumerate((2019, 2020, 2021)):
        rev = p["revenue"] / (1 + p["growth"]) ** (2 - k)
        rows.append({"uscc": "A", "year": y, "employees": p["employees"], "rd_personnel": p["employees"] * 0.1,
                     "revenue": rev, "main_revenue": rev * p["main_share"],
                     "rd_expense": rev * p["rd_share"] + (extra_rd if y >= 2020 else 0.0),
                     "net_profit": rev * p["margin"], "total_assets": 1000.0,
                     "total_liabilities": 1000.0 * min(p["debt"] + extra_debt, 1.5), "invention_patents": p["patents"],
                     "other_ip": 1, "equity_financing": p["equity"], "niche_years": p["niche"], "digital_level": 2,
                     "rd_institution": "municipal", "compliance_ok": True, "zjtx_score": 55.0})
    f, _ = build_inputs(pd.DataFrame({"uscc": ["A"]}), pd.DataFrame(rows),
                        pd.DataFrame(columns=["uscc", "title", "valid_from", "valid_to", "category"]), D, S)
    return f


def outcome(f: pd.DataFrame, tier: str) -> tuple[float, float, int]:
    ev = run_tier(tier, f, D, "new", S)[0].evaluation
    assert ev is not None
    smin = float(ev.score_min["total"][0]) if ev.rules.items else 0.0
    smax = float(ev.score_max["total"][0]) if ev.rules.items else 0.0
    return smin, smax, int(ev.verdict[0])


@settings(max_examples=15, deadline=None)
@given(profile, st.floats(1, 5000))
def test_more_rd_never_lowers_a_score_or_verdict(p, extra):
    base, more = frame_for(p), frame_for(p, extra_rd=extra)
    for tier in ("first", "zjtx", "xjr", "champion"):
        b, m = outcome(base, tier), outcome(more, tier)
        assert m[0] >= b[0] and m[1] >= b[1], (tier, b, m)
        assert m[2] >= b[2], (tier, b, m)  # FAIL < UNKNOWN < REVIEW < PASS


@settings(max_examples=10, deadline=None)
@given(profile, st.floats(0.01, 0.5))
def test_more_debt_never_raises_a_score(p, extra):
    base, more = frame_for(p), frame_for(p, extra_debt=extra)
    for tier in ("first", "zjtx"):
        b, m = outcome(base, tier), outcome(more, tier)
        assert m[0] <= b[0] and m[1] <= b[1], (tier, b, m)
