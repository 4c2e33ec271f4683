"""The worked examples of statistics.md, through the service (cw.stats) on hand-made data."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from chainwatch.analytics.stats import (
    contribution_pct,
    growth_pct,
    pull_pp,
    real_growth_pct,
    two_year_avg_pct,
)
from chainwatch.errors import NotFound, UsageError
from chainwatch.settings import load_settings
from conftest import load_frames


def ent(uscc, district="330203", division="38", founded="2000-01-01"):
    return {"uscc": uscc, "name": uscc, "district": district, "industry": division + "11", "division": division,
            "section": "C", "founded": pd.Timestamp(founded).date() if founded else None}


def months(uscc, year, total, ind="revenue", ms=(1, 2, 3), **extra):
    """Spread a 1..m total evenly over the months."""
    return [{"uscc": uscc, "period": f"{year}-{m:02d}", "year": year, "month": m, ind: total / len(ms), **extra}
            for m in ms]


def frames(enterprises, scope, monthly, deflator=()):
    return {"enterprise": pd.DataFrame(enterprises), "enterprise_scope": pd.DataFrame(scope),
            "monthly_value": pd.DataFrame(monthly), "deflator": pd.DataFrame(list(deflator))}


def sc(uscc, year, above=True):
    return {"uscc": uscc, "year": year, "above_size": above}


def row(result, group_type="total", group_id="total", indicator="revenue"):
    rows = result.to_dict()["rows"]
    hits = [r for r in rows if r["group_type"] == group_type and r["group_id"] == group_id
            and r["indicator"] == indicator]
    assert len(hits) == 1, rows
    return hits[0]


def example_23(cw, b_new=False):
    ents = [ent("A"), ent("B", founded="2025-01-01" if b_new else "2000-01-01"), ent("C", district="330204")]
    scope = [sc("A", 2024), sc("A", 2025), sc("B", 2024, False), sc("B", 2025), sc("C", 2024), sc("C", 2025, False)]
    mv = months("A", 2024, 900) + months("A", 2025, 1000) + months("B", 2025, 600) + months("C", 2024, 500)
    if not b_new:
        mv += months("B", 2024, 400)
    load_frames(cw.store, frames(ents, scope, mv))


def test_same_caliber_entry_and_exit_23_1(cw):
    """§2.3: A stays, B enters scope (own 2024 value 400), C exits: 1,600 / 1,300 − 1 = 23.1 %."""
    example_23(cw)
    r = row(cw.stats.compute("2025-03", indicators=["revenue"]))
    assert r["ytd_value"] == pytest.approx(1600)
    assert round(r["ytd_yoy_pct"], 1) == 23.1
    assert r["ytd_yoy_pct"] == pytest.approx((1600 / 1300 - 1) * 100)
    assert round(r["ytd_yoy_pct"], 1) != 14.3  # the wrong method from published levels
    assert r["n_enterprises"] == 2 and r["n_new"] == 0 and r["n_incomplete_base"] == 0
    assert r["growth_source"] == "computed"


def test_new_establishment_has_zero_base_77_8(cw):
    """§2.3: B founded in 2025 has base 0: 1,600 / 900 − 1 = 77.8 %."""
    example_23(cw, b_new=True)
    r = row(cw.stats.compute("2025-03", indicators=["revenue"]))
    assert round(r["ytd_yoy_pct"], 1) == 77.8
    assert r["n_new"] == 1


def test_incomplete_base_excluded_and_flagged_or_zero_by_setting(cw, tmp_path):
    """§2.2 step 4: B operated in 2024 (founded 2000) but has no 2024 value → excluded, flagged."""
    example_23(cw, b_new=True)
    cw.store.con.execute("UPDATE enterprise SET founded = DATE '2000-01-01' WHERE uscc = 'B'")
    res = cw.stats.compute("2025-03", indicators=["revenue"])
    r = row(res)
    assert r["ytd_yoy_pct"] == pytest.approx((1000 / 900 - 1) * 100)
    assert r["n_incomplete_base"] == 1
    assert r["ytd_value"] == pytest.approx(1600)  # the level still covers the whole 规上 set
    assert res.meta["n_incomplete_base"] == 1 and any("1" in n for n in res.meta["notes"])
    cw.settings = load_settings(incomplete_base="zero")
    r0 = row(cw.stats.compute("2025-03", indicators=["revenue"]))
    assert round(r0["ytd_yoy_pct"], 1) == 77.8


def test_comparable_price_value_added_5_9(cw):
    """§3.2: VA 1,080 against 1,000, cumulative PPI 102.0 → real growth 5.9 %; division index first."""
    ents = [ent("A", division="38"), ent("B", division="26")]
    scope = [sc(u, y) for u in "AB" for y in (2024, 2025)]
    mv = (months("A", 2024, 600, "value_added") + months("A", 2025, 648, "value_added")
          + months("B", 2024, 400, "value_added") + months("B", 2025, 432, "value_added"))
    defl = [{"industry": "38", "period": "2025-03", "span": s, "index_value": 102.0} for s in ("month", "cumulative")]
    defl += [{"industry": "*", "period": "2025-03", "span": s, "index_value": 102.0} for s in ("month", "cumulative")]
    defl += [{"industry": "26", "period": "2025-03", "span": "month", "index_value": 150.0}]  # only month span
    load_frames(cw.store, frames(ents, scope, mv, defl))
    res = cw.stats.compute("2025-03", indicators=["value_added"])
    r = row(res, indicator="value_added")
    assert r["basis"] == "comparable" and res.meta["basis"]["value_added"] == "comparable"
    assert round(r["ytd_yoy_pct"], 1) == 5.9
    assert r["ytd_yoy_pct"] == pytest.approx((1080 / 1.02 / 1000 - 1) * 100)
    assert r["ytd_value"] == pytest.approx(1080)  # levels stay at current prices
    # the month span uses division 26's own month index (150) for B, 102 for A
    assert r["month_yoy_pct"] == pytest.approx(((216 / 1.02 + 144 / 1.5) / (200 + 400 / 3) - 1) * 100)
    assert real_growth_pct(1080, 1000, 102.0) == pytest.approx(5.882, abs=1e-3)


def test_value_added_without_deflator_is_current_price(cw):
    example_23(cw)
    cw.store.con.execute("UPDATE monthly_value SET value_added = revenue")
    res = cw.stats.compute("2025-03", indicators=["value_added"])
    assert row(res, indicator="value_added")["basis"] == "current"
    assert any("现价" in n for n in res.meta["notes"])


def test_two_year_average_5_9(cw):
    """§5: g1 = 2.0 % (2020 over 2019), g2 = 10.0 % → sqrt(1.02 × 1.10) − 1 = 5.9 %."""
    ents = [ent("A")]
    scope = [sc("A", y) for y in (2019, 2020, 2021)]
    mv = months("A", 2019, 100) + months("A", 2020, 102) + months("A", 2021, 112.2)
    load_frames(cw.store, frames(ents, scope, mv))
    r = row(cw.stats.compute("2021-03", indicators=["revenue"]))
    assert round(r["ytd_yoy_pct"], 1) == 10.0
    assert round(r["two_year_avg_pct"], 1) == 5.9
    assert r["two_year_avg_pct"] == pytest.approx((math.sqrt(1.02 * 1.10) - 1) * 100)
    assert two_year_avg_pct(2.0, 10.0) == pytest.approx(5.9, abs=0.05)
    assert two_year_avg_pct(None, 10.0) is None


def test_contribution_and_pull_table_6_1(cw):
    """§6.1: X/Y/Z with base 500/300/200 and current 560/330/190, as three districts."""
    ents = [ent("X", district="330203"), ent("Y", district="330205"), ent("Z", district="330206")]
    scope = [sc(u, y) for u in "XYZ" for y in (2024, 2025)]
    mv = []
    for u, base, cur in (("X", 500, 560), ("Y", 300, 330), ("Z", 200, 190)):
        mv += months(u, 2024, base) + months(u, 2025, cur)
    load_frames(cw.store, frames(ents, scope, mv))
    res = cw.stats.compute("2025-03", by="district", indicators=["revenue"])
    expect = {"330203": (12.0, 50.0, 75.0, 6.0), "330205": (10.0, 30.0, 37.5, 3.0), "330206": (-5.0, 20.0, -12.5, -1.0)}
    for gid, (g, w, c, p) in expect.items():
        r = row(res, "district", gid)
        assert r["ytd_yoy_pct"] == pytest.approx(g)
        assert r["base_share_pct"] == pytest.approx(w)
        assert r["contribution_pct"] == pytest.approx(c)
        assert r["pull_pp"] == pytest.approx(p)
        assert r["pull_pp"] == pytest.approx(r["contribution_pct"] / 100 * 8.0)  # 贡献率 × g_total
        assert r["pull_pp"] == pytest.approx(w / 100 * g)  # base share × own growth
    tot = row(res)
    assert tot["ytd_yoy_pct"] == pytest.approx(8.0) and tot["contribution_pct"] == pytest.approx(100.0)
    assert tot["pull_pp"] == pytest.approx(8.0) and tot["ytd_value"] == pytest.approx(1080)
    assert contribution_pct(60, 80) == 75.0 and pull_pp(-10, 1000) == -1.0 and growth_pct(190, 200) == -5.0


def test_jan_feb_combined(cw):
    """§4: 1–2月 is one period: 当月 = 累计 = Jan + Feb; a January request gives the same 1–2月 figures."""
    ents = [ent("A"), ent("B")]
    scope = [sc(u, y) for u in "AB" for y in (2024, 2025)]
    mv = (months("A", 2024, 200, ms=(1, 2)) + months("A", 2025, 260, ms=(1, 2))
          + months("B", 2024, 100, ms=(1,)) + months("B", 2025, 90, ms=(2,))
          + months("A", 2025, 999, ms=(3,)))
    load_frames(cw.store, frames(ents, scope, mv))
    feb = cw.stats.compute("2025-02", indicators=["revenue"])
    jan = cw.stats.compute("2025-01", indicators=["revenue"])
    r, rj = row(feb), row(jan)
    assert r["month_value"] == pytest.approx(350) and r["ytd_value"] == pytest.approx(350)
    assert r["month_yoy_pct"] == pytest.approx(r["ytd_yoy_pct"]) == pytest.approx((350 / 300 - 1) * 100)
    assert rj["ytd_yoy_pct"] == pytest.approx(r["ytd_yoy_pct"]) and rj["month_value"] == r["month_value"]
    assert feb.meta["official_months"] == [1, 2] and feb.meta["month_label"] == "1–2月"
    assert any("1–2月" in n for n in jan.meta["notes"])
    assert not any("2月数据尚未导入" in n for n in feb.meta["notes"])
    cw.store.con.execute("DELETE FROM monthly_value WHERE period = '2025-02'")
    jan_only = cw.stats.compute("2025-01", indicators=["revenue"])
    assert any("2025年2月数据尚未导入" in n for n in jan_only.meta["notes"])
    cw.store.con.execute("INSERT INTO monthly_value (uscc, period, year, month, revenue) VALUES "
                         "('A', '2025-02', 2025, 2, 130), ('B', '2025-02', 2025, 2, 90)")
    mar = row(cw.stats.compute("2025-03", indicators=["revenue"]))
    assert mar["month_value"] == pytest.approx(999) and mar["ytd_value"] == pytest.approx(1349)
    assert mar["month_yoy_pct"] is None  # March 2024 has no values: D = 0 → undefined, never inf


def test_zero_base_gives_null_not_inf(cw):
    ents = [ent("A", founded="2025-01-01")]
    load_frames(cw.store, frames(ents, [sc("A", 2025)], months("A", 2025, 300)))
    res = cw.stats.compute("2025-03", indicators=["revenue"])
    r = row(res)
    assert r["ytd_yoy_pct"] is None and r["pull_pp"] is None and r["two_year_avg_pct"] is None
    assert r["contribution_pct"] == 100.0  # ΔY ≠ 0: the total still contributes all of the change
    assert r["n_new"] == 1
    assert "Infinity" not in str(res.to_dict())


def test_losses_and_growing_declining(cw):
    ents = [ent("A"), ent("B"), ent("C")]
    scope = [sc(u, y) for u in "ABC" for y in (2024, 2025)]
    mv = (months("A", 2024, 100, "total_profit") + months("A", 2025, -30, "total_profit")
          + months("B", 2024, 50, "total_profit") + months("B", 2025, 80, "total_profit")
          + months("C", 2024, -10, "total_profit") + months("C", 2025, -20, "total_profit"))
    load_frames(cw.store, frames(ents, scope, mv))
    r = row(cw.stats.compute("2025-03", indicators=["total_profit"]), indicator="total_profit")
    assert r["n_loss"] == 2 and r["loss_total"] == pytest.approx(50)
    assert r["n_growing"] == 1 and r["n_declining"] == 2
    # negative-base convention: (N − D) / |D|
    assert r["ytd_yoy_pct"] == pytest.approx((30 - 140) / 140 * 100)
    h = cw.stats.headline("2025-03")
    assert h["n_loss"] == 2 and h["loss_share_pct"] == pytest.approx(200 / 3)


def test_size_class_uses_prior_year_revenue_in_wanyuan(cw):
    ents = [ent("A"), ent("B"), ent("C")]
    scope = [sc(u, y) for u in "ABC" for y in (2024, 2025)]
    mv = sum((months(u, y, 100) for u in "ABC" for y in (2024, 2025)), [])
    annual = pd.DataFrame([{"uscc": "A", "year": 2024, "employees": 300.0, "revenue": 2000.0},   # 2,000万元 = 2e7 yuan
                           {"uscc": "B", "year": 2024, "employees": 1200.0, "revenue": 30000.0}])  # 3e8 yuan
    f = frames(ents, scope, mv)
    f["enterprise_annual"] = annual
    load_frames(cw.store, f)
    rows = cw.stats.compute("2025-03", by="size", indicators=["revenue"]).to_dict()["rows"]
    sizes = {r["group_id"]: r["n_enterprises"] for r in rows if r["group_type"] == "size"}
    assert sizes == {"medium": 2, "unknown": 1}
    names = {r["group_id"]: r["group_name"] for r in rows if r["group_type"] == "size"}
    assert names["medium"] == "中型" and names["unknown"] == "规模未知"


def test_scope_filters_enterprises(cw):
    example_23(cw)
    cw.scope = ["330204"]  # only C's district: C exited, nothing in 2025
    with pytest.raises(NotFound) as exc:
        cw.stats.compute("2025-03", indicators=["revenue"])
    assert exc.value.key == "stats.no_data"
    cw.scope = ["330203"]
    r = row(cw.stats.compute("2025-03", indicators=["revenue"]))
    assert r["group_name"] == "辖区合计" and round(r["ytd_yoy_pct"], 1) == 23.1
    with pytest.raises(NotFound):
        cw.stats.enterprise_series("C")


def test_bad_inputs(cw):
    example_23(cw)
    with pytest.raises(UsageError) as e1:
        cw.stats.compute("2025-03", by="province")
    assert e1.value.key == "stats.bad_by" and "province" in e1.value.message("en")
    with pytest.raises(UsageError) as e2:
        cw.stats.compute("2025-03", indicators="revenue,profit")
    assert e2.value.key == "stats.bad_indicator" and "profit" in e2.value.message("zh")
    with pytest.raises(Exception) as e3:
        cw.stats.compute("2025-13")
    assert getattr(e3.value, "key", None) == "v.period_arg"
    with pytest.raises(NotFound) as e4:
        cw.stats.compute("2023-03")
    assert e4.value.key == "stats.no_data"
    with pytest.raises(Exception) as e5:
        cw.stats.series("total", "total", "revenue", "2025-03", "2024-01")
    assert getattr(e5.value, "key", None) == "stats.bad_range"


def test_series_and_enterprise_series(cw):
    example_23(cw)
    s = cw.stats.series("district", "330203", "revenue", "2024-01", "2025-12").to_dict()["series"]
    assert [r["period"] for r in s] == ["2024-02", "2024-03", "2025-02", "2025-03"]
    assert s[-1]["ytd_yoy_pct"] == pytest.approx((1600 / 1300 - 1) * 100)
    assert s[-2]["month_label"] == "1–2月"
    e = cw.stats.enterprise_series("A", ["revenue"]).to_dict()
    assert len(e["series"]) == 6 and e["series"][3]["revenue_yoy_pct"] == pytest.approx((1000 / 900 - 1) * 100)
    assert e["series"][0]["revenue_yoy_pct"] is None
    with pytest.raises(NotFound):
        cw.stats.enterprise_series("NOPE")


def test_chain_grouping_note_and_overlap(cw):
    example_23(cw)
    f = {"chain": pd.DataFrame([{"chain_id": "CH1", "name_zh": "链一", "name_en": "Chain one", "cluster_id": "K"},
                                {"chain_id": "CH2", "name_zh": "链二", "name_en": "Chain two", "cluster_id": "K"}]),
         "cluster": pd.DataFrame([{"cluster_id": "K", "name_zh": "集群", "name_en": "Cluster"}]),
         "segment": pd.DataFrame([{"segment_id": "S1", "chain_id": "CH1", "name_zh": "s1", "position": "upstream"},
                                  {"segment_id": "S2", "chain_id": "CH2", "name_zh": "s2", "position": "upstream"}]),
         "segment_enterprise": pd.DataFrame([{"segment_id": "S1", "uscc": "A", "is_main": True},
                                             {"segment_id": "S2", "uscc": "A", "is_main": False},
                                             {"segment_id": "S2", "uscc": "B", "is_main": False}])}
    con = cw.store.con
    for name in ("cluster", "chain", "segment", "segment_enterprise"):
        con.register("_f", f[name])
        con.execute(f"INSERT INTO {name} BY NAME SELECT * FROM _f")
        con.unregister("_f")
    res = cw.stats.compute("2025-03", by="chain,cluster", indicators=["revenue"])
    rows = [r for r in res.to_dict()["rows"] if r["group_type"] == "chain"]
    assert sum(r["contribution_pct"] for r in rows) > 100  # A counts in both chains
    assert {r["group_name"] for r in rows} == {"链一", "链二"}
    assert row(res, "cluster", "K")["contribution_pct"] == pytest.approx(100)  # A counted once in the cluster
    assert any("100%" in n for n in res.meta["notes"])


def test_derived_scope_from_prior_year_revenue(cw):
    """Setting derive_scope: no directory for 2025 → 规上 = 2024 revenue ≥ 2,000万元, labelled derived."""
    example_23(cw)
    cw.store.con.execute("DELETE FROM enterprise_scope WHERE year = 2025")
    annual = pd.DataFrame([{"uscc": "A", "year": 2024, "employees": 50.0, "revenue": 2000.0},
                           {"uscc": "B", "year": 2024, "employees": 50.0, "revenue": 1999.0}])
    cw.store.con.register("_a", annual)
    cw.store.con.execute("INSERT INTO enterprise_annual BY NAME SELECT * FROM _a")
    with pytest.raises(NotFound):  # without the setting there is no 2025 规上 set
        cw.stats.compute("2025-03", indicators=["revenue"])
    cw.settings = load_settings(derive_scope=True)
    res = cw.stats.compute("2025-03", indicators=["revenue"])
    r = row(res)
    assert r["n_enterprises"] == 1 and r["ytd_yoy_pct"] == pytest.approx((1000 / 900 - 1) * 100)
    assert any("derived" in n or "推算" in n for n in res.meta["notes"])
