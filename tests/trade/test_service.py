"""cw.trade on a hand-made database: results checked against independent pandas computations."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from chainwatch.errors import InputError, NotFound, UsageError
from chainwatch.service import Chainwatch
from chainwatch.store.reference import ASEAN, BRI65, EU27, RCEP

GROUPS = {"rcep": RCEP, "bri": BRI65, "asean": ASEAN, "eu": EU27}


@pytest.fixture(scope="module")
def cw(trade_db):
    path, _ = trade_db
    with Chainwatch(path, lang="zh", create=False) as c:
        yield c


def _win(flows: pd.DataFrame, year: int, months: range | list[int]) -> pd.DataFrame:
    return flows[(flows["year"] == year) & flows["month"].isin(list(months))]


def _by_flow(df: pd.DataFrame) -> pd.Series:
    s = df.groupby("flow")["value"].sum()
    s["total"] = s.sum()
    return s


def test_summary_by_group_matches_pandas(cw, trade_db) -> None:
    _, flows = trade_db
    res = cw.trade.summary("2021-11", by="group")
    rows = res.tables["rows"].set_index(["key", "flow"])
    cur, pri = _win(flows, 2021, range(1, 12)), _win(flows, 2020, range(1, 12))
    mcur, mpri = _win(flows, 2021, [11]), _win(flows, 2020, [11])
    t_cur, t_pri = _by_flow(cur), _by_flow(pri)
    for gid, members in GROUPS.items():
        g_cur, g_pri = _by_flow(cur[cur["partner"].isin(members)]), _by_flow(pri[pri["partner"].isin(members)])
        gm_cur, gm_pri = _by_flow(mcur[mcur["partner"].isin(members)]), _by_flow(mpri[mpri["partner"].isin(members)])
        for flow in ("import", "export", "total"):
            r = rows.loc[(gid, flow)]
            assert r["ytd_value"] == pytest.approx(g_cur[flow])
            assert r["ytd_yoy_pct"] == pytest.approx((g_cur[flow] / g_pri[flow] - 1) * 100)
            assert r["share_pct"] == pytest.approx(g_cur[flow] / t_cur[flow] * 100)
            assert r["contribution_pct"] == pytest.approx(
                (g_cur[flow] - g_pri[flow]) / (t_cur[flow] - t_pri[flow]) * 100)
            assert r["month_yoy_pct"] == pytest.approx((gm_cur[flow] / gm_pri[flow] - 1) * 100)
    # every view using a group shows its basis
    bri_basis = next(g["basis"] for g in res.meta["groups"] if g["group_id"] == "bri")
    assert "unconfirmed" in bri_basis and any(bri_basis in line for line in res.text)
    assert res.meta["units"] == "万元" and res.meta["ytd_label"] == "1–11月"


def test_groups_overlap_is_flagged(cw) -> None:
    res = cw.trade.summary("2021-11", by="group", flow="total")
    rows = res.tables["rows"].set_index("key")
    # ASEAN ⊂ RCEP ∩ BRI: adding groups would double count
    assert res.meta["additive"] is False
    assert rows["share_pct"].sum() > 100 or rows.loc["asean", "ytd_value"] > 0
    assert any("重叠" in n for n in res.meta["notes"])
    d = res.to_dict()
    assert {"meta", "rows", "total"} <= set(d) and d["total"][0]["share_pct"] == 100.0


def test_country_view_is_a_partition(cw, trade_db) -> None:
    _, flows = trade_db
    res = cw.trade.summary("2021-11", by="country", flow="import")
    rows = res.tables["rows"]
    assert res.meta["additive"] is True
    assert rows["share_pct"].sum() == pytest.approx(100.0)
    assert rows["contribution_pct"].sum() == pytest.approx(100.0)
    assert rows["pull_pp"].sum() == pytest.approx(res.tables["total"].loc[0, "ytd_yoy_pct"])
    assert set(rows["key"]) == set(flows["partner"])
    r = rows.set_index("key")
    assert r.loc["KOR", "name"] == "韩国" and r.loc["VNM", "groups"] == "asean,bri,rcep" and r.loc["USA", "groups"] == ""
    assert list(rows.columns[:4]) == ["key", "name", "groups", "flow"]
    cur = _win(flows, 2021, range(1, 12))
    exp, imp = cur[cur["flow"] == "export"]["value"].sum(), cur[cur["flow"] == "import"]["value"].sum()
    assert res.meta["balance"]["ytd_value"] == pytest.approx(exp - imp)  # 顺差 (+) / 逆差 (−)


def test_hs_sections_and_chapters(cw, trade_db) -> None:
    _, flows = trade_db
    cur = _win(flows, 2021, range(1, 12))
    cur = cur[cur["flow"] == "export"]
    sec = cw.trade.summary("2021-11", by="hs", flow="export").tables["rows"].set_index("key")
    assert sec.loc["XVI", "ytd_value"] == pytest.approx(cur[cur["hs_code"].str[:2] == "85"]["value"].sum())
    assert sec.loc["unclassified", "ytd_value"] == pytest.approx(cur[cur["hs_code"] == "9801"]["value"].sum())
    assert sec["share_pct"].sum() == pytest.approx(100.0)
    ch = cw.trade.summary("2021-11", by="hs", hs_level="chapter", flow="export").tables["rows"].set_index("key")
    assert ch.loc["39", "ytd_value"] == pytest.approx(cur[cur["hs_code"].str[:2] == "39"]["value"].sum())


def test_segments_and_chains_by_products(cw, trade_db, trade_ents) -> None:
    _, flows = trade_db
    u = list(trade_ents)
    cur = _win(flows, 2021, range(1, 12))
    cur = cur[cur["flow"] == "import"]
    res = cw.trade.summary("2021-11", by="segment", flow="import")
    seg = res.tables["rows"].set_index("key")
    v = lambda *prefixes: cur[cur["hs_code"].str.startswith(prefixes)]["value"].sum()  # noqa: E731
    assert seg.loc["nev_chip", "ytd_value"] == pytest.approx(v("8542"))   # 8542 and 854231 counted once
    # 3901 is a product of nev_battery and chem_poly: each import is split, never counted twice.
    # u[1] (a nev_battery member) imports it for its own segment, u[3] (chem_poly) for its own; the imports
    # of u[0] and u[2] (members of neither) are apportioned in the proportion of those two over the data
    # the summary reads (months 1–11 of 2020 and 2021)
    win = flows[flows["month"].isin(range(1, 12)) & (flows["flow"] == "import") & flows["hs_code"].eq("390110")]
    own_b, own_c = win[win["uscc"] == u[1]]["value"].sum(), win[win["uscc"] == u[3]]["value"].sum()
    poly = cur[cur["hs_code"] == "390110"]
    rest = poly[poly["uscc"].isin([u[0], u[2]])]["value"].sum()
    exp_b = poly[poly["uscc"] == u[1]]["value"].sum() + rest * own_b / (own_b + own_c)
    exp_c = poly[poly["uscc"] == u[3]]["value"].sum() + rest * own_c / (own_b + own_c)
    assert seg.loc["nev_battery", "ytd_value"] == pytest.approx(v("850760") + exp_b)
    assert seg.loc["chem_poly", "ytd_value"] == pytest.approx(exp_c)
    assert exp_b + exp_c == pytest.approx(v("3901"))
    assert res.meta["additive"] is True  # split rows: the segments add up to the mapped imports
    assert "nev_software" not in seg.index  # no products: no trade attributed
    chains = cw.trade.summary("2021-11", by="chain", flow="import").tables["rows"].set_index("key")
    assert chains.loc["nev", "ytd_value"] == pytest.approx(v("8542", "850760", "8703") + exp_b)
    assert chains.loc["chem", "ytd_value"] == pytest.approx(v("2710") + exp_c)
    assert chains["ytd_value"].sum() == pytest.approx(v("8542", "850760", "8703", "2710", "3901"))


def test_segments_by_enterprises(cw, trade_db, trade_ents) -> None:
    _, flows = trade_db
    cur = _win(flows, 2021, range(1, 12))
    cur = cur[cur["flow"] == "export"]
    u = list(trade_ents)
    res = cw.trade.summary("2021-11", by="segment", flow="export", attribution="enterprises")
    seg = res.tables["rows"].set_index("key")
    assert seg.loc["nev_chip", "ytd_value"] == pytest.approx(cur[cur["uscc"] == u[0]]["value"].sum())
    # u[1] is in two segments, u[3] in two chem segments: not additive
    assert seg.loc["nev_vehicle", "ytd_value"] == pytest.approx(cur[cur["uscc"].isin([u[1], u[2]])]["value"].sum())
    assert res.meta["additive"] is False and res.meta["attribution"] == "enterprises"


def test_jan_and_feb_are_one_period(cw) -> None:
    a = cw.trade.summary("2021-01", by="country", flow="total").tables["rows"]
    b = cw.trade.summary("2021-02", by="country", flow="total").tables["rows"]
    pd.testing.assert_frame_equal(a, b)
    assert (b["month_value"] == b["ytd_value"]).all()


def test_bad_inputs(cw) -> None:
    with pytest.raises(NotFound) as e:
        cw.trade.summary("2019-05")
    assert e.value.key == "trade.no_data"
    with pytest.raises(InputError) as e:
        cw.trade.summary("2021-13")
    assert e.value.key == "v.period_arg"
    with pytest.raises(UsageError) as e:
        cw.trade.summary("2021-11", by="province")
    assert "group, country, chain, segment, hs" in e.value.message("en")
    with pytest.raises(NotFound) as e:
        cw.trade.summary("2021-11", by="country", group="nafta")
    assert e.value.key == "trade.unknown_group" and "bri" in e.value.params["known"]


def test_group_filter_on_country_view(cw, trade_db) -> None:
    res = cw.trade.summary("2021-11", by="country", group="rcep", flow="total")
    assert set(res.tables["rows"]["key"]) <= set(RCEP)
    assert res.meta["groups"][0]["group_id"] == "rcep" and "RCEP" in res.text[0]


def test_district_scope(trade_db, trade_ents) -> None:
    path, flows = trade_db
    beilun = [u for u, d in trade_ents.items() if d == "330206"]
    with Chainwatch(path, create=False, scope=["330206"]) as c:
        tot = c.trade.summary("2021-11", by="country").tables["total"].set_index("flow")
    cur = _win(flows, 2021, range(1, 12))
    assert tot.loc["total", "ytd_value"] == pytest.approx(cur[cur["uscc"].isin(beilun)]["value"].sum())


def test_region_rows_preferred_and_not_double_counted(cw_rw) -> None:
    con = cw_rw.store.con
    for region, v in (("3302", 1000.0), ("330206", 400.0), ("330212", 600.0)):
        for year, f in ((2020, 1.0), (2021, 1.5)):
            con.execute("INSERT INTO trade_flow (uscc, region, partner, hs_code, period, year, month, flow, value) "
                        "VALUES (NULL, ?, 'JPN', '8542', ?, ?, 3, 'import', ?)",
                        [region, f"{year}-03", year, v * f])
    res = cw_rw.trade.summary("2021-03", by="country", flow="import")
    assert res.meta["source"] == "region"
    tot = res.tables["total"].iloc[0]
    assert (tot["month_value"], tot["month_base_value"]) == (1500.0, 1000.0)
    ent = cw_rw.trade.summary("2021-03", by="country", flow="import", source="enterprise")
    assert ent.meta["source"] == "enterprise" and ent.tables["total"].iloc[0]["month_value"] != 1500.0


def test_headline_text_en(trade_db) -> None:
    path, _ = trade_db
    with Chainwatch(path, lang="en", create=False) as c:
        res = c.trade.summary("2021-11", by="group")
    assert any(line.startswith("2021 Jan–Nov: total trade") for line in res.text)
    assert any("Belt and Road partners" in line and "% of the total" in line for line in res.text)
    assert not np.isnan(res.tables["rows"]["ytd_yoy_pct"]).any()


def test_missing_months_are_reported(cw_rw) -> None:
    cw_rw.store.execute("DELETE FROM trade_flow WHERE period IN ('2021-02', '2020-05')")
    res = cw_rw.trade.summary("2021-11", by="country")
    notes = " ".join(res.meta["notes"])
    assert "2021 年缺少 2 月" in notes and "2020 年缺少 5 月" in notes
    # January alone does not make an official 1–2月 figure silently: it is said
    jan = cw_rw.trade.summary("2021-01", by="country")
    assert any("缺少 2 月" in n for n in jan.meta["notes"])
    with pytest.raises(NotFound):  # December 2021 has no data at all
        cw_rw.trade.summary("2021-12")
