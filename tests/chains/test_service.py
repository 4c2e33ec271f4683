"""cw.chains on the hand-made fixture city (conftest.py): every figure worked out by hand."""

from __future__ import annotations

import pytest

from chainwatch.errors import InputError, NotFound
from chainwatch.service import Chainwatch


def test_overview_figures(city):
    row = city.chains.overview().to_dict()["chains"][0]
    assert row["chain_id"] == "nev" and row["name"] == "New-energy vehicles"
    assert row["n_segments"] == 7 and row["n_present"] == 6 and row["n_missing"] == 1
    assert row["coverage_pct"] == pytest.approx(100 * 6 / 7, abs=0.01)
    assert row["coverage_upstream_pct"] == pytest.approx(100 * 2 / 3, abs=0.01)
    assert row["coverage_weighted_pct"] is None  # only one segment has a weight: undefined, not 0
    assert row["n_enterprises"] == 9 and row["output"] == 3190.0
    # local supply: 940 of 1,120 bought locally; the tyre link (HS 4011) is not a chain input
    assert row["local_supply_pct"] == pytest.approx(100 * 940 / 1120, abs=0.01)
    assert row["local_supply_count_pct"] == pytest.approx(100 * 8 / 11, abs=0.01)
    # import dependence of the chain: 1,050 / (3,190 + 1,050 − 200)
    assert row["import_dependence_pct"] == pytest.approx(100 * 1050 / 4040, abs=0.01)
    assert row["missing"] == ["Anode materials"] and row["risk_level"] == "red"
    assert row["top_leader"] == "H公司"


def test_segment_figures_and_reasons(city):
    res = city.chains.segments("nev")
    seg = {r["segment_id"]: r for r in res.to_dict()["segments"]}
    li, cath, cell, pack, anode = (seg[f"nev.{k}"] for k in ("li", "cath", "cell", "pack", "anode"))
    assert li["import_dependence_pct"] == pytest.approx(100 * 1000 / 1100, abs=0.01)
    assert li["origin_hhi"] == pytest.approx(0.6 ** 2 + 0.3 ** 2 + 0.1 ** 2)
    assert li["top_origin"] == "CHL" and li["top_origin_pct"] == 60.0
    assert li["critical_dependence"] and li["risk_level"] == "red"
    assert set(li["reason_codes"]) == {"thin", "import_dependent", "origin_concentrated", "critical_dependence"}
    assert cell["import_dependence_pct"] == pytest.approx(100 * 50 / 350, abs=0.01)
    assert cath["cr1_pct"] == 80.0 and cath["local_supply_pct"] == 40.0 and cath["reason_codes"] == ["thin"]
    assert cath["substitution_difficulty"] == pytest.approx(1 / (1 + 2 + 0.5 * 2))
    assert pack["status"] == "ok" and pack["critical"] and pack["risk_level"] == "blue"
    assert pack["hhi"] == pytest.approx((300 / 450) ** 2 + (100 / 450) ** 2 + (50 / 450) ** 2)
    assert anode["status"] == "missing" and anode["cr1_pct"] is None and "missing link" in anode["reasons"]
    assert "only 1 local enterprise" in li["reasons"]
    s = res.to_dict()["summary"][0]
    split = (s["supply_city_pct"], s["supply_province_pct"], s["supply_china_pct"], s["supply_abroad_pct"])
    assert split == pytest.approx((100 * 940 / 1120, 100 * 50 / 1120, 100 * 100 / 1120, 100 * 30 / 1120), abs=0.01)
    assert sum(split) == pytest.approx(100.0, abs=0.02)
    prods = {r["hs_code"]: r for r in res.to_dict()["products"]}
    assert prods["283691"]["imports"] == 1000.0 and prods["850760"]["exports"] == 200.0


def test_segments_in_chinese(city_path):
    with Chainwatch(city_path, lang="zh") as cw:
        seg = {r["segment_id"]: r for r in cw.chains.segments("nev").to_dict()["segments"]}
    assert seg["nev.cath"]["reasons"] == "薄弱：本地仅 2 家企业"
    assert seg["nev.anode"]["status_label"] == "缺链" and seg["nev.li"]["position_label"] == "上游"


def test_critical_segments_and_enterprises_with_explanations(city, firms):
    res = city.chains.critical("nev").to_dict()
    segs = {r["segment_id"]: r for r in res["segments"]}
    assert set(segs) == {"nev.li", "nev.cath", "nev.pack"}
    assert segs["nev.li"]["cut"] == ["Cathode materials", "Battery cells"]
    assert "every local supply route" in segs["nev.li"]["explanation"] and "Lithium salts" in segs["nev.li"]["explanation"]
    ents = {r["uscc"]: r for r in res["enterprises"]}
    assert set(ents) == {firms["A"], firms["D"]}
    a = ents[firms["A"]]
    assert a["sole_producer_of"] == ["Lithium salts"] and a["n_segments_cut"] == 3 and a["n_firms_cut"] == 1
    assert "only local firm" in a["explanation"] and "B公司" in a["explanation"]
    assert ents[firms["D"]]["n_firms_cut"] == 1 and "F公司" in ents[firms["D"]]["explanation"]


def test_leaders_ranked_with_breakdown(city, firms):
    lead = city.chains.leaders("nev").to_dict()["leaders"]
    assert [r["uscc"] for r in lead[:1]] == [firms["H"]]
    assert [r["eligible"] for r in lead] == [True, True, True] + [False] * 6  # σ >= 5 %: H, D, E
    h = lead[0]
    assert h["share_pct"] == pytest.approx(100 * 2000 / 3190, abs=0.01)
    assert h["local_suppliers"] == 3 and h["pull_value"] == 450.0 and h["score"] == 1.0
    assert h["explanation"].startswith("62.7% of the chain's output; buys 450 万元 from 3 local chain firms")
    assert "below the 5% output-share gate" in lead[-1]["explanation"]


def test_scope_limits_enterprise_rows(city_path, firms):
    with Chainwatch(city_path, lang="en", scope=["330212"]) as cw:
        ents = cw.chains.critical("nev").to_dict()["enterprises"]
        assert [e["uscc"] for e in ents] == [firms["D"]]
        assert "F公司" not in ents[0]["explanation"] and "1 local firm(s)" in ents[0]["explanation"]  # F is elsewhere
        assert [r["uscc"] for r in cw.chains.leaders("nev").to_dict()["leaders"]] == [firms["D"]]
        seg = {r["segment_id"]: r for r in cw.chains.segments("nev").to_dict()["segments"]}
        assert seg["nev.cell"]["top_enterprise"] == "D公司" and seg["nev.veh"]["top_enterprise"] is None
        # aggregates stay city-wide
        assert cw.chains.overview().to_dict()["chains"][0]["n_enterprises"] == 9


def test_graph_for_echarts(city):
    g = city.chains.graph("nev")
    nodes = {n["id"]: n for n in g["nodes"]}
    assert len(nodes) == 7 and len(g["edges"]) == 6
    assert {"source": "nev.pack", "target": "nev.veh"} in g["edges"]
    assert nodes["nev.veh"]["x"] == 4 * 200 and nodes["nev.li"]["x"] == 0
    assert nodes["nev.anode"]["risk_level"] == "red" and nodes["nev.pack"]["risk_level"] == "blue"
    assert [c["name"] for c in g["categories"]] == ["upstream", "midstream", "downstream"]


def test_unknown_chain(city):
    with pytest.raises(NotFound):
        city.chains.segments("nope")


def test_bottleneck_register_lifecycle(city, firms):
    res = city.chains.bottleneck_from_segment("nev.anode", owner="市经信局", target_date="2027-06-30")
    item = res.to_dict()["item"][0]
    assert item["item_id"] == "BN-0001" and item["kind"] == "missing_link"
    assert item["title"] == "Fill missing link: Anode materials" and "missing link" in item["description"]
    with pytest.raises(InputError) as exc:
        city.chains.bottleneck_from_segment("nev.pack")
    assert exc.value.key == "chains.bn.segment_ok"
    city.chains.bottleneck_add("高镍正极材料攻关", segment_id="nev.cath", enterprises=[firms["B"]],
                               target_date="2020-01-01", priority="high")
    res = city.chains.bottleneck_update("BN-0001", status="in_progress", owner="宁波材料所", note="立项")
    hist = res.to_dict()["history"]
    assert [h["field"] for h in hist] == ["created", "owner", "status"]
    assert {h["new_value"] for h in hist} >= {"in_progress", "宁波材料所"}
    assert all(h["actor"] == "test" for h in hist)
    items = city.chains.bottleneck_list().to_dict()["items"]
    assert [i["item_id"] for i in items] == ["BN-0001", "BN-0002"]
    assert items[1]["overdue"] is True and items[1]["chain_id"] == "nev" and items[1]["n_enterprises"] == 1
    assert [i["item_id"] for i in city.chains.bottleneck_list(status="in_progress").to_dict()["items"]] == ["BN-0001"]
    with pytest.raises(InputError) as exc:
        city.chains.bottleneck_update("BN-0001", status="finished")
    assert exc.value.key == "chains.bn.bad_status"
    with pytest.raises(InputError):
        city.chains.bottleneck_update("BN-0001", target_date="30/06/2027")
    with pytest.raises(InputError):
        city.chains.bottleneck_update("BN-0001", status="in_progress")  # nothing changes
    with pytest.raises(NotFound):
        city.chains.bottleneck_show("BN-0099")
    with pytest.raises(InputError):
        city.chains.bottleneck_add("x", enterprises=["91330203MA2C99999X"])
    assert city.store.scalar("SELECT count(*) FROM audit_log WHERE action LIKE 'bottleneck.%'") == 3


DIRECTORY = """名称,地区,国家,HS编码,主营产品,营业收入(万元),规模
负极龙头股份,上海市,CHN,380110;380190,人造石墨负极材料,500000,large
小负极科技,江苏省,CHN,3801.10,负极材料,1200,small
某电芯公司,广东省,CHN,850760,动力电池电芯,300000,
牧场,内蒙古,CHN,0101,活马,100,
同章化工,山东省,CHN,3802,活性炭,90000,
"""


def test_directory_import_and_targets(city, tmp_path):
    p = tmp_path / "dir.csv"
    p.write_text(DIRECTORY, encoding="utf-8")
    r = city.chains.directory_import(p).to_dict()["imported"][0]
    assert (r["n"], r["new"], r["updated"]) == (5, 5, 0)
    assert city.chains.directory_import(p).to_dict()["imported"][0]["updated"] == 5  # idempotent upsert
    assert city.store.scalar("SELECT count(*) FROM invest_directory") == 5
    t = city.chains.targets("nev").to_dict()["targets"]
    anode = [x for x in t if x["segment_id"] == "nev.anode"]
    # 同章化工 (3802) shares only the chapter with 3801: too broad to count
    assert [x["name"] for x in anode] == ["负极龙头股份", "小负极科技"]
    assert anode[0]["match"] == 1.0 and anode[0]["score"] > anode[1]["score"]
    assert "380110" in anode[0]["reason"] and "3801" in anode[0]["reason"]
    assert all(x["segment_id"] != "nev.pack" for x in t)  # ok segments are not targets
    cell = [x for x in t if x["segment_id"] == "nev.cell"]
    assert [x["name"] for x in cell] == ["某电芯公司"]
    only = city.chains.targets("nev", segment_id="nev.cell").to_dict()["targets"]
    assert [x["segment_id"] for x in only] == ["nev.cell"]


def test_bad_directory_is_rejected_whole(city, tmp_path):
    p = tmp_path / "bad.csv"
    p.write_text("name,hs_codes,revenue\n好公司,850760,10\n坏编码,ABC,5\n负收入,850760,-3\n", encoding="utf-8")
    from chainwatch.errors import ValidationFailed

    with pytest.raises(ValidationFailed) as exc:
        city.chains.directory_import(p)
    errs = exc.value.errors
    assert list(zip(errs["row"], errs["column"], strict=True)) == [(3, "hs_codes"), (4, "revenue")]
    assert city.store.scalar("SELECT count(*) FROM invest_directory") == 0
    q = tmp_path / "nohs.csv"
    q.write_text("name,region\nx,y\n", encoding="utf-8")
    with pytest.raises(InputError) as exc2:
        city.chains.directory_import(q)
    assert exc2.value.key == "chains.dir.missing_columns"
    with pytest.raises(InputError) as exc3:
        city.chains.targets("nev")
    assert exc3.value.key == "chains.dir.empty"


def test_reimport_changes_nothing_and_a_bad_file_changes_nothing(city, tmp_path, chain_yaml):
    before = city.chains.export_map("nev")
    p = tmp_path / "again.yaml"
    p.write_text(before, encoding="utf-8")
    city.chains.import_map(p)
    assert city.chains.export_map("nev") == before
    hist = city.store.df("SELECT kind, file_name, rows_inserted, rows_unchanged FROM import_batch ORDER BY batch_id")
    assert hist.iloc[0].tolist()[:3] == ["chain_map", "nev.yaml", 30]          # the fixture's first import
    assert hist.iloc[-1].tolist() == ["chain_map", "again.yaml", 0, 30]       # same map again: unchanged
    assert city.store.scalar("SELECT count(DISTINCT batch_id) FROM segment") == 1
    bad = tmp_path / "bad.yaml"
    bad.write_text(chain_yaml.replace("  - {from: nev.pack, to: nev.veh}\n",
                                      "  - {from: nev.pack, to: nev.veh}\n  - {from: nev.veh, to: nev.li}\n"),
                   encoding="utf-8")
    from chainwatch.errors import ValidationFailed

    with pytest.raises(ValidationFailed):
        city.chains.import_map(bad)
    assert city.chains.export_map("nev") == before
