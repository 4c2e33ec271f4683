"""Property tests: on random data and random partitions, contributions sum to 100 % and pulls to the
total growth (statistics.md §6 identities); shares of a partition sum to 100 %."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from chainwatch.analytics.stats import long_rows, stats_expr
from chainwatch.store import Store
from conftest import load_frames

TABLES = ("monthly_value", "enterprise", "enterprise_scope", "deflator", "segment_enterprise", "segment", "chain",
          "enterprise_annual")


@pytest.fixture(scope="module")
def store():
    s = Store.open(":memory:")
    yield s
    s.close()


firm = st.tuples(
    st.integers(0, 4),                                   # district (partition cell)
    st.integers(0, 100_000).map(lambda x: x / 100),      # base value (万元, two decimals)
    st.integers(0, 100_000).map(lambda x: x / 100),      # current value
    st.integers(-20_000, 20_000).map(lambda x: x / 100), # profit (may be negative)
    st.booleans(),                                       # in scope last year
    st.sampled_from(["own", "new", "incomplete"]),       # base status
    st.floats(90, 115),                                  # division PPI
)


@settings(max_examples=20, deadline=None, phases=[Phase.explicit, Phase.reuse, Phase.generate], suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(firms=st.lists(firm, min_size=2, max_size=25), month=st.integers(1, 12), policy=st.sampled_from(["exclude", "zero"]))
def test_identities_on_random_partitions(store, firms, month, policy):
    m = max(month, 2)
    ents, scope, mv, defl = [], [], [], []
    for i, (d, base, cur, profit, prev_scope, status, ppi) in enumerate(firms):
        u = f"F{i:03d}"
        div = f"{30 + d}"
        founded = {"own": "2000-01-01", "new": "2021-01-01", "incomplete": "2000-01-01"}[status]
        ents.append({"uscc": u, "name": u, "district": f"33020{d}", "industry": div + "11", "division": div,
                     "section": "C", "founded": pd.Timestamp(founded).date()})
        scope += [{"uscc": u, "year": 2021, "above_size": True}, {"uscc": u, "year": 2020, "above_size": prev_scope}]
        for mo in range(1, m + 1):
            mv.append({"uscc": u, "period": f"2021-{mo:02d}", "year": 2021, "month": mo, "gross_output": cur,
                       "value_added": cur / 4, "total_profit": profit, "taxes": 1.0})
            if status == "own":
                mv.append({"uscc": u, "period": f"2020-{mo:02d}", "year": 2020, "month": mo, "gross_output": base,
                           "value_added": base / 4, "total_profit": profit / 2, "taxes": 1.0})
        defl += [{"industry": div, "period": f"2021-{m:02d}", "span": s, "index_value": ppi}
                 for s in ("month", "cumulative")]
    defl = pd.DataFrame(defl).drop_duplicates(["industry", "period", "span"])
    load_frames(store, {"enterprise": pd.DataFrame(ents), "enterprise_scope": pd.DataFrame(scope),
                        "monthly_value": pd.DataFrame(mv), "deflator": defl})
    b = store.ibis()
    tabs = {n: b.table(n) for n in TABLES}
    inds = ["gross_output", "value_added", "profit_tax"]
    rows = long_rows(stats_expr(tabs, 2021, month, by=["district", "industry", "size"], indicators=inds,
                                policy=policy, years=2).execute(), inds)
    for ind in inds:
        r = rows[rows.indicator == ind]
        tot = r[r.group_type == "total"].iloc[0]
        for g in ("district", "industry", "size"):
            part = r[r.group_type == g]
            assert part.n_enterprises.sum() == tot.n_enterprises
            if tot.ytd_value > 1e-6:
                assert part.share_pct.sum() == pytest.approx(100.0, abs=1e-6)
            for pre in ("", "month_"):
                total_g = tot[f"{pre}ytd_yoy_pct".replace("month_ytd", "month")]
                if np.isnan(tot[pre + "pull_pp"]):
                    assert part[pre + "pull_pp"].isna().all()
                    continue
                assert part[pre + "pull_pp"].sum() == pytest.approx(total_g, rel=1e-9, abs=1e-6)
                if not np.isnan(tot[pre + "contribution_pct"]) and abs(tot[pre + "pull_pp"]) > 1e-9:
                    assert part[pre + "contribution_pct"].sum() == pytest.approx(100.0, rel=1e-9, abs=1e-6)
        assert not np.isinf(r.select_dtypes("number").to_numpy(dtype=float)).any()
