"""Engine statistics against a plain-pandas reference on the small city (official periods, 1–2月)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from chainwatch.analytics.risk.engine import Evaluator
from chainwatch.service import Chainwatch


@pytest.fixture(scope="module")
def engine(city: dict) -> tuple[Evaluator, pd.DataFrame]:
    with Chainwatch(city["path"], lang="en", read_only=True) as cw:
        inputs = cw.risk.load_inputs("2021-11")
        ev = Evaluator(inputs, cw.risk.ruleset())
        mv = cw.store.df("SELECT m.*, e.district FROM monthly_value m JOIN enterprise e USING (uscc)")
    return ev, mv


def _official(mv: pd.DataFrame, ind: str) -> pd.DataFrame:
    """uscc × official period (Jan folded into 1–2月), the reference panel."""
    m = mv.assign(om=mv["month"].clip(lower=2))
    m["op"] = m["year"].astype(str) + "-" + m["om"].map("{:02d}".format)
    return m.pivot_table(index="uscc", columns="op", values=ind, aggfunc="sum")


def test_periods_fold_january_into_february(engine: tuple[Evaluator, pd.DataFrame]) -> None:
    ev, mv = engine
    assert ev.inp.periods[-1] == "2021-11" and "2021-01" not in ev.inp.periods and "2021-02" in ev.inp.periods
    ref = _official(mv, "gross_output")
    i = 5
    code = str(ev.inp.ent_ids[i])
    col = ev.inp.periods.index("2021-02")
    assert ev.inp.values["gross_output"][i, col] == pytest.approx(ref.loc[code, "2021-02"])
    jan_feb = mv[(mv["uscc"] == code) & (mv["period"].isin(["2021-01", "2021-02"]))]["gross_output"].sum()
    assert ev.inp.values["gross_output"][i, col] == pytest.approx(jan_feb)


def test_enterprise_and_group_growth_shares_and_streaks(engine: tuple[Evaluator, pd.DataFrame]) -> None:
    ev, mv = engine
    ref = _official(mv, "gross_output")
    codes = [str(c) for c in ev.inp.ent_ids]
    ref = ref.loc[codes]
    cur, base = ref["2021-11"], ref["2020-11"]
    yoy = 100 * (cur / base - 1)
    np.testing.assert_allclose(ev.stat("enterprise", "month_yoy_pct", "gross_output")[:, -1], yoy.to_numpy())
    ytd_cols = [c for c in ref.columns if c.startswith("2021") and c <= "2021-11"]
    prev_cols = [c for c in ref.columns if c.startswith("2020") and c <= "2020-11"]
    ytd = 100 * (ref[ytd_cols].sum(axis=1) / ref[prev_cols].sum(axis=1) - 1)
    np.testing.assert_allclose(ev.stat("enterprise", "ytd_yoy_pct", "gross_output")[:, -1], ytd.to_numpy())
    # district growth (every enterprise reports every month here) and shares
    dist = mv.drop_duplicates("uscc").set_index("uscc").loc[codes, "district"]
    by = pd.DataFrame({"c": cur, "b": base, "d": dist}).groupby("d").sum()
    ours = pd.Series(ev.stat("district", "month_yoy_pct", "gross_output")[:, -1], index=ev.inp.groups["district"].ids)
    np.testing.assert_allclose(ours.loc[by.index].to_numpy(), (100 * (by["c"] / by["b"] - 1)).to_numpy())
    share = pd.Series(ev.stat("district", "share_pct", "gross_output")[:, -1], index=ev.inp.groups["district"].ids)
    np.testing.assert_allclose(share.loc[by.index].to_numpy(), (100 * by["c"] / by["c"].sum()).to_numpy())
    assert share.sum() == pytest.approx(100.0)
    vs = ev.stat("district", "vs_city_pp", "gross_output")[:, -1]
    city = 100 * (cur.sum() / base.sum() - 1)
    np.testing.assert_allclose(vs, ours.to_numpy() - city)
    # consecutive months of YoY decline, counted backwards on the reference
    cols = [c for c in ref.columns if c <= "2021-11"]
    g = pd.DataFrame({c: 100 * (ref[c] / ref[cols[k - 11]] - 1) for k, c in enumerate(cols) if k >= 11})
    streak = (g.iloc[:, ::-1] < 0).cumprod(axis=1).sum(axis=1)
    np.testing.assert_array_equal(ev.stat("enterprise", "consecutive_decline", "gross_output")[:, -1],
                                  streak.to_numpy())


def test_profit_margin_ratio(engine: tuple[Evaluator, pd.DataFrame]) -> None:
    ev, mv = engine
    y = mv[(mv["year"] == 2021) & (mv["month"] <= 11)].groupby("uscc")[["total_profit", "revenue"]].sum()
    y = y.loc[[str(c) for c in ev.inp.ent_ids]]
    np.testing.assert_allclose(ev.stat("enterprise", "ytd_ratio_pct", "total_profit", "revenue")[:, -1],
                               (100 * y["total_profit"] / y["revenue"]).to_numpy())
