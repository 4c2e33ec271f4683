"""The roll-up plan of the statistics (one pass over the caliber frame, partitions summed from cells)
gives the same rows as the join plan (one membership join per grouping) on the demo city."""

from __future__ import annotations

import numpy as np
import pytest

from chainwatch.analytics.stats import GROUP_TYPES, IND_FIELDS, long_rows, stats_expr

TABLES = ("monthly_value", "enterprise", "enterprise_scope", "deflator", "segment_enterprise", "segment", "chain",
          "enterprise_annual")


@pytest.fixture(scope="module")
def demo_tables(demo_db):
    from chainwatch.store import Store

    store = Store.open(demo_db, read_only=True)
    b = store.ibis()
    yield {n: b.table(n) for n in TABLES}
    store.close()


@pytest.mark.parametrize(("period", "districts"), [((2021, 11), None), ((2021, 2), None),
                                                   ((2021, 11), ["330206", "330212"])])
def test_rollup_plan_equals_join_plan_on_the_demo_city(demo_tables, period, districts):
    year, month = period
    by = list(GROUP_TYPES)
    rows = {plan: long_rows(stats_expr(demo_tables, year, month, by=by, districts=districts, plan=plan).execute())
            for plan in ("rollup", "join")}
    a, b = (rows[p].sort_values(["group_type", "group_id", "indicator"]).reset_index(drop=True)
            for p in ("rollup", "join"))
    assert len(a) == len(b) > 0
    assert set(a.group_type) == set(by)           # every grouping is there
    assert (a[["group_type", "group_id", "indicator", "basis"]] == b[["group_type", "group_id", "indicator",
                                                                      "basis"]]).all().all()
    for col in [f for f in IND_FIELDS if f != "basis"] + ["n_enterprises", "n_month_enterprises", "n_new",
                                                          "n_incomplete_base", "n_loss", "loss_total"]:
        x, y = a[col].astype(float).to_numpy(), b[col].astype(float).to_numpy()
        assert np.array_equal(np.isnan(x), np.isnan(y)), col
        ok = ~np.isnan(x)
        rel = np.abs(x[ok] - y[ok]) / np.maximum(1.0, np.abs(y[ok]))
        assert rel.max(initial=0.0) <= 1.1e-12, (col, rel.max())


def test_unknown_plan_is_refused(demo_tables):
    with pytest.raises(ValueError, match="plan"):
        stats_expr(demo_tables, 2021, 11, plan="grouping-sets")
