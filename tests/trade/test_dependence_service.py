"""cw.trade.segment_dependence and cw.trade.rca on the fixture database, against pandas."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from chainwatch.errors import InputError, NotFound, UsageError
from chainwatch.service import Chainwatch


@pytest.fixture(scope="module")
def cw(trade_db):
    path, _ = trade_db
    with Chainwatch(path, lang="zh", create=False) as c:
        yield c


def _segment_imports(flows: pd.DataFrame, prefixes: tuple[str, ...], months=range(1, 12)) -> pd.DataFrame:
    cur = flows[(flows["year"] == 2021) & flows["month"].isin(list(months)) & (flows["flow"] == "import")]
    return cur[cur["hs_code"].str.startswith(prefixes)]


def test_segment_hhi_and_cr1_match_pandas(cw, trade_db) -> None:
    _, flows = trade_db
    res = cw.trade.segment_dependence("2021-11")
    seg = res.tables["segments"].set_index("segment_id")
    # nev_chip has two products (8542 and the more specific 854231): HHI is the import-weighted mean
    imp = _segment_imports(flows, ("8542",)).copy()
    imp["product"] = np.where(imp["hs_code"].str.startswith("854231"), "854231", "8542")
    piv = imp.pivot_table(index="product", columns="partner", values="value", aggfunc="sum", fill_value=0)
    m_p = piv.sum(axis=1)
    hhi = float(((piv.div(m_p, axis=0) ** 2).sum(axis=1) * m_p).sum() / m_p.sum())
    pooled = imp.groupby("partner")["value"].sum()
    r = seg.loc["nev_chip"]
    assert r["imports"] == pytest.approx(m_p.sum())
    assert r["hhi"] == pytest.approx(hhi)
    assert r["hhi_pooled"] == pytest.approx(float(((pooled / pooled.sum()) ** 2).sum()))
    assert r["cr1_pct"] == pytest.approx(pooled.max() / pooled.sum() * 100)
    assert r["top_country"] == pooled.idxmax() and r["n_origins"] == len(pooled)
    assert r["n_products"] == 2
    origins = res.tables["origins"]
    chip = origins[origins["segment_id"] == "nev_chip"]
    assert len(chip) == 5 and chip["rank"].tolist() == [1, 2, 3, 4, 5]
    assert chip["share_pct"].iloc[0] == pytest.approx(r["cr1_pct"])


def test_import_dependence_formula(cw, trade_db) -> None:
    _, flows = trade_db
    seg = cw.trade.segment_dependence("2021-11").tables["segments"].set_index("segment_id")
    cur = flows[(flows["year"] == 2021) & (flows["month"] <= 11)]
    sel = cur[cur["hs_code"].str.startswith("8703")]
    m = sel[sel["flow"] == "import"]["value"].sum()
    e = sel[sel["flow"] == "export"]["value"].sum()
    # two member firms, but u[1] is also in nev_battery (no main segment): its output counts there
    q = sum(400000.0 + 1000 * k for k in range(1, 12))
    r = seg.loc["nev_vehicle"]
    assert r["output"] == pytest.approx(q) and r["exports"] == pytest.approx(e)
    assert r["import_dependence_pct"] == pytest.approx(m / (q + m - e) * 100)
    assert r["dependence_method"] == "apparent_consumption"


def test_segment_without_products_is_null_with_reason(cw) -> None:
    res = cw.trade.segment_dependence("2021-11", chain="nev")
    seg = res.tables["segments"].set_index("segment_id")
    assert set(seg["chain_id"]) == {"nev"}
    sw = seg.loc["nev_software"]
    assert sw["status"] == "no_products" and np.isnan(sw["hhi"]) and sw["n_origins"] == 0
    assert "未配置 HS 产品" in sw["explanation"]
    d = res.to_dict()
    row = next(r for r in d["segments"] if r["segment_id"] == "nev_software")
    assert row["hhi"] is None and row["import_dependence_pct"] is None  # JSON null, never 0


def test_explanation_text_zh_en(trade_db) -> None:
    path, _ = trade_db
    for lang, words in (("zh", ("来自", "第一来源国", "HHI")), ("en", ("from", "first origin", "HHI"))):
        with Chainwatch(path, lang=lang, create=False) as c:
            seg = c.trade.segment_dependence("2021-11").tables["segments"].set_index("segment_id")
        text = seg.loc["chem_fuel", "explanation"]
        assert all(w in text for w in words)
        assert f"{seg.loc['chem_fuel', 'cr1_pct']:.1f}%" in text


def test_single_country_dependence_is_critical(cw_rw) -> None:
    """A segment importing only from Japan, with little output: CR1 100 %, HHI 1, critical."""
    con = cw_rw.store.con
    con.execute("INSERT INTO segment (segment_id, chain_id, name_zh, name_en, position) "
                "VALUES ('nev_lidar', 'nev', '激光雷达', 'Lidar', 'upstream')")
    con.execute("INSERT INTO segment_product (segment_id, hs_code) VALUES ('nev_lidar', '901380')")
    uscc = cw_rw.store.scalar("SELECT min(uscc) FROM enterprise")
    con.execute("INSERT INTO segment_enterprise (segment_id, uscc) VALUES ('nev_lidar', ?)", [uscc])
    for m in range(1, 12):
        con.execute("INSERT INTO trade_flow (uscc, partner, hs_code, period, year, month, flow, value) "
                    "VALUES (?, 'JPN', '90138000', ?, 2021, ?, 'import', 5000000)", [uscc, f"2021-{m:02d}", m])
    seg = cw_rw.trade.segment_dependence("2021-11").tables["segments"].set_index("segment_id")
    r = seg.loc["nev_lidar"]
    assert r["cr1_pct"] == pytest.approx(100.0) and r["hhi"] == pytest.approx(1.0)
    assert r["band"] == "high" and bool(r["critical"]) and r["single_source_products"] == 1
    assert "100.0% 来自日本" in r["explanation"] and "关键依赖" in r["explanation"]
    res = cw_rw.trade.segment_dependence(year=2021)
    assert res.meta["window"]["months"] == list(range(1, 12))
    assert any("激光雷达" in line for line in res.text)


def test_enterprise_scope(cw, trade_db, trade_ents) -> None:
    _, flows = trade_db
    seg = cw.trade.segment_dependence("2021-11", scope="enterprises").tables["segments"].set_index("segment_id")
    u = list(trade_ents)
    imp = _segment_imports(flows, ("8542",))
    assert seg.loc["nev_chip", "imports"] == pytest.approx(imp[imp["uscc"] == u[0]]["value"].sum())


def test_supply_links_source(cw_rw, trade_ents) -> None:
    u = list(trade_ents)
    con = cw_rw.store.con
    links = [("l1", None, "Bosch", "DEU", u[2], "8542", "nev_chip", 2021, 600.0),
             ("l2", None, "Renesas", "JPN", u[2], "8542", "nev_chip", 2021, 300.0),
             ("l3", u[0], None, "CHN", u[2], "8542", "nev_chip", 2021, 100.0),
             ("l4", None, "Denso", "JPN", u[2], "870380", None, 2021, 50.0)]
    con.executemany("INSERT INTO supply_link (link_id, supplier_uscc, supplier_name, supplier_country, buyer_uscc, "
                    "hs_code, segment_id, year, annual_value) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", links)
    res = cw_rw.trade.segment_dependence(year=2021, source="supply_links")
    seg = res.tables["segments"].set_index("segment_id")
    chip = seg.loc["nev_chip"]
    assert chip["imports"] == 900.0 and chip["import_dependence_pct"] == pytest.approx(90.0)
    assert chip["cr1_pct"] == pytest.approx(600 / 900 * 100) and chip["top_country"] == "DEU"
    assert chip["dependence_method"] == "supply_links_share"
    veh = seg.loc["nev_vehicle"]  # l4 has no segment: mapped by HS product 8703
    assert veh["imports"] == 50.0 and veh["import_dependence_pct"] == pytest.approx(100.0)


def test_dependence_bad_inputs(cw) -> None:
    with pytest.raises(UsageError):
        cw.trade.segment_dependence("2021-11", year=2021)
    with pytest.raises(UsageError):
        cw.trade.segment_dependence("2021-11", scope="world")
    with pytest.raises(NotFound) as e:
        cw.trade.segment_dependence("2021-11", chain="nochain")
    assert e.value.key == "trade.unknown_chain"
    with pytest.raises(NotFound):
        cw.trade.segment_dependence(year=2015)
    with pytest.raises(NotFound) as e:
        cw.trade.segment_dependence(year=2021, source="supply_links")
    assert e.value.key in {"trade.no_links", "trade.no_links_year"}


def test_rca_against_world_reference(cw_rw, trade_db, tmp_path) -> None:
    _, flows = trade_db
    with pytest.raises(NotFound) as e:
        cw_rw.trade.rca(2021)
    assert e.value.key == "trade.world_missing"
    world = pd.DataFrame({"section": ["V", "VII", "XVI", "XVII", "XI"], "value": [300.0, 100, 400, 150, 50]})
    path = tmp_path / "world.csv"
    world.to_csv(path, index=False)
    with pytest.raises(InputError) as e:
        cw_rw.trade.import_world(path)
    assert e.value.key == "trade.world_year"
    cw_rw.trade.import_world(path, year=2021)
    cw_rw.trade.import_world(path, year=2021)  # re-import replaces, never doubles
    assert cw_rw.store.scalar("SELECT sum(value) FROM trade_world_export") == 1000.0
    res = cw_rw.trade.rca(2021)
    sec = res.tables["sections"].set_index("section")
    ex = flows[(flows["year"] == 2021) & (flows["flow"] == "export")].copy()
    ex["ch"] = ex["hs_code"].str[:2]
    ex = ex[ex["ch"] != "98"]
    by = ex.groupby(ex["ch"].map({"85": "XVI", "87": "XVII", "27": "V", "39": "VII"}))["value"].sum()
    for s in ("V", "VII", "XVI", "XVII"):
        expected = (by[s] / by.sum()) / (world.set_index("section").loc[s, "value"] / 1000.0)
        assert sec.loc[s, "rca"] == pytest.approx(expected)
    assert sec.loc["XI", "rca"] == 0.0 and sec.loc["XI", "advantage"] is not None
    assert res.meta["unclassified_value"] > 0 and res.meta["months"] == 11
    # nearest world year is used and said so
    res22 = cw_rw.trade.rca(2021, world_year=None)
    assert res22.meta["world_year"] == 2021
    with pytest.raises(NotFound):
        cw_rw.trade.rca(2021, world_year=1999)
