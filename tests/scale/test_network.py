"""``chainwatch network build`` on DuckDB: a worked example, the demo city's network back from generated
invoices, revisions and lineage, thresholds, a Parquet source, the CLI."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from chainwatch.cli.main import app
from chainwatch.errors import NotFound, UsageError
from chainwatch.model.codes import make_uscc
from chainwatch.service import Chainwatch

A, B, C = (make_uscc(f"91330200MA2D0000{i}") for i in range(1, 4))
X = make_uscc("91310100MA1X00001")    # Shanghai supplier, not in the directory
Z = make_uscc("91320500MA1Y00001")    # buyer outside the city
T1, T2 = "1090513010000000000", "1070101010000000000"

ROWS = [  # seller, buyer, date, amount (万元), status, hs, tax code
    (A, B, "2021-01-10", 100.0, "正常", "850760", T1),
    (A, B, "2021-03-10", 50.0, "正常", "850760", T1),
    (A, B, "2021-04-10", -30.0, "红字", "850760", T1),
    (A, B, "2021-05-10", 20.0, "正常", "280530", T2),
    (A, B, "2021-05-11", 999.0, "作废", "850760", T1),
    (X, B, "2021-02-10", 60.0, "正常", "850760", T1),
    (A, A, "2021-02-11", 500.0, "正常", "850760", T1),
    (A, Z, "2021-02-12", 40.0, "正常", "850760", T1),
    (A, None, "2021-02-13", 60.0, "正常", "850760", T1),
    (X, Z, "2021-02-14", 10.0, "正常", "850760", T1),
    (C, B, "2021-06-10", 5.0, "红字", "850760", T1),     # a reversal without its invoice this year
    (A, B, "2020-12-30", 70.0, "正常", "850760", T1),    # other year
]


def _invoices() -> pd.DataFrame:
    return pd.DataFrame([{"销方识别号": s, "购方识别号": b, "开票日期": d, "金额": a, "税额": round(abs(a) * 0.13, 2)
                          * (1 if a >= 0 else -1), "发票状态": st, "商品HS编码": hs, "税收分类编码": tc}
                         for s, b, d, a, st, hs, tc in ROWS])


@pytest.fixture
def small(tmp_path: Path) -> Chainwatch:
    cw = Chainwatch(tmp_path / "net.duckdb", lang="en", actor="test")
    ent = pd.DataFrame({"uscc": [A, B, C], "name": ["甲", "乙", "丙"], "district": "330212", "industry": "3841"})
    cw.data.import_frame("enterprise", ent, source_name="ent")
    cw.data.import_frame("invoice", _invoices(), source_name="发票.csv", unit="万元")
    yield cw
    cw.close()


def _links(cw: Chainwatch, year: int = 2021) -> pd.DataFrame:
    return cw.store.df("SELECT * FROM supply_link WHERE year = ? ORDER BY supplier_uscc, buyer_uscc", [year])


def test_worked_example(small: Chainwatch) -> None:
    res = small.network.build(2021)
    m = res.meta
    assert (m["n_lines"], m["n_valid"], m["n_red"], m["n_void"], m["n_self"], m["n_no_buyer"]) == (11, 8, 2, 1, 1, 1)
    assert (m["n_pairs"], m["n_outside"], m["n_links"], m["n_below"]) == (4, 1, 3, 0)
    links = _links(small).set_index(["supplier_uscc", "buyer_uscc"])
    assert set(links.index) == {(A, B), (X, B), (A, Z)}
    ab, xb, ao = links.loc[(A, B)], links.loc[(X, B)], links.loc[(A, Z)]
    # A→B: 100 + 50 − 30 (red) + 20; the void 999 and the self-invoice do not count
    assert ab.annual_value == pytest.approx(140.0)
    # B bought 140 + 60 − 5 (C's reversal) = 195; A sold 140 + 40 + 60 (to an individual) = 240
    assert ab.buyer_share == pytest.approx(140 / 195) and ab.seller_share == pytest.approx(140 / 240)
    # input class 8507: B bought 120 from A, 60 from X, −5 from C (the reversal)
    assert ab.share == pytest.approx(120 / 175) and xb.share == pytest.approx(60 / 175)
    assert (ab.months_active, ab.n_invoices) == (3, 3)
    assert json.loads(ab.main_products) == [{"code": "850760", "share": pytest.approx(120 / 140, abs=1e-6)},
                                            {"code": "280530", "share": pytest.approx(20 / 140, abs=1e-6)}]
    assert ab.hs_code == "850760" and pd.isna(ab.supplier_name) and pd.isna(ab.supplier_region)
    assert xb.supplier_region == "310100" and xb.supplier_country == "CHN"   # external: region from the ID
    assert xb.seller_share == pytest.approx(60 / 70)
    assert ao.buyer_share == pytest.approx(40 / 50)   # Z also bought 10 from X
    assert bool(ab.essential) and ab.link_id.startswith("IV2021-")


def test_thresholds(small: Chainwatch) -> None:
    res = small.network.build(2021, min_value=50)
    assert {(r.supplier_uscc, r.buyer_uscc) for r in _links(small).itertuples()} == {(A, B), (X, B)}
    assert res.meta["n_below"] == 2
    small.network.build(2021, min_share=0.5)
    assert {(r.supplier_uscc, r.buyer_uscc) for r in _links(small).itertuples()} == {(A, B), (X, B), (A, Z)}
    with pytest.raises(UsageError):
        small.network.build(2021, min_share=1.5)
    with pytest.raises(UsageError):
        small.network.build(2021, min_value=-1)
    with pytest.raises(NotFound):
        small.network.build(2019)


def test_revision_archive_and_lineage(small: Chainwatch) -> None:
    first = small.network.build(2021)
    small.store.execute("UPDATE supply_link SET essential = FALSE WHERE supplier_uscc = ?", [X])
    second = small.network.build(2021, min_value=50)
    assert second.meta["n_replaced"] == 3
    arch = small.store.df("SELECT * FROM supply_link_archive")
    assert len(arch) == 3 and set(arch["replaced_by"]) == {second.meta["build_id"]}
    assert set(arch["build_id"]) == {first.meta["build_id"]}
    assert not bool(_links(small).set_index("supplier_uscc").loc[X, "essential"])   # the analyst's flag survives
    builds = small.network.builds().tables["builds"]
    assert list(builds["build_id"]) == [second.meta["build_id"], first.meta["build_id"]]
    inv_batch = int(small.store.scalar("SELECT max(batch_id) FROM invoice"))
    assert builds["invoice_batches"].iloc[0] == [inv_batch]
    batch = small.store.df("SELECT * FROM import_batch WHERE batch_id = ?", [second.meta["build_id"]])
    assert batch["kind"].iloc[0] == "network" and int(batch["rows_inserted"].iloc[0]) == 2
    assert set(_links(small)["batch_id"]) == {second.meta["build_id"]}


def test_demo_network_comes_back(demo_cw: Chainwatch, tmp_path: Path) -> None:
    cw = demo_cw
    before = cw.store.df("SELECT * FROM supply_link WHERE year = 2021")
    res = cw.network.invoices(tmp_path / "inv", 2021, rows=60_000, chunk_rows=20_000)
    assert res.meta["rows"] >= 60_000 * 0.9 and res.meta["files"] >= 3
    built = cw.network.build(2021, source=str(tmp_path / "inv"))
    after = cw.store.df("SELECT * FROM supply_link WHERE year = 2021")
    foreign = before[before["supplier_country"] != "CHN"]
    kept = after[after["supplier_country"] != "CHN"]
    assert len(kept) == len(foreign) and kept["annual_value"].sum() == pytest.approx(foreign["annual_value"].sum())
    dom = before[before["supplier_country"] == "CHN"]
    local = dom[dom["supplier_uscc"].notna()].groupby(["supplier_uscc", "buyer_uscc"])["annual_value"].sum()
    got = after[after["link_id"].str.startswith("IV")].groupby(["supplier_uscc", "buyer_uscc"])["annual_value"].sum()
    both = local.to_frame("true").join(got.rename("built"), how="left")
    assert both["built"].notna().all(), "a local link of the demo city is missing"
    assert ((both["built"] - both["true"]).abs() <= 1e-6 * both["true"].abs() + 1e-4).all()
    assert built.meta["n_red"] > 0 and built.meta["n_void"] > 0 and built.meta["n_self"] > 0
    # sales of other-city sellers to buyers outside the city concern neither party here: left out
    assert built.meta["n_no_buyer"] > 0 and built.meta["n_outside"] > 0
    assert built.meta["source"] == str(tmp_path / "inv") and len(built.meta["source_digest"]) == 64
    iv = after[after["link_id"].str.startswith("IV")]
    assert iv["segment_id"].notna().mean() > 0.95
    assert ((iv["share"] > 0) & (iv["share"] <= 1)).all() and (iv["months_active"].between(1, 12)).all()


def test_store_and_parquet_sources_agree(small: Chainwatch, tmp_path: Path) -> None:
    a = small.network.compute(2021)["links"]
    small.parquet.export(tmp_path / "exp", ["invoice"])
    b = small.network.compute(2021, source=str(tmp_path / "exp"))["links"]
    pd.testing.assert_frame_equal(a.reset_index(drop=True), b.reset_index(drop=True), check_dtype=False)


def test_cli(small: Chainwatch, tmp_path: Path) -> None:
    path = small.db_path
    small.close()
    runner = CliRunner()
    r = runner.invoke(app, ["network", "build", "--year", "2021", "--db", path, "--format", "json"])
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    assert data["meta"]["command"] == "network.build" and data["meta"]["engine"] == "duckdb"
    assert data["meta"]["units"]["annual_value"] == "万元"
    assert {row["item"] for row in data["counts"]} >= {"n_lines", "n_red", "n_void", "n_links"}
    assert data["links"][0]["annual_value"] == pytest.approx(140.0) and "buyer_share_pct" in data["links"][0]
    r = runner.invoke(app, ["network", "build", "--year", "2021", "--db", path])
    assert r.exit_code == 0 and "供应关系" in r.stdout
    r = runner.invoke(app, ["network", "builds", "--db", path, "--format", "json"])
    assert r.exit_code == 0 and len(json.loads(r.stdout)["builds"]) == 2
    r = runner.invoke(app, ["network", "build", "--year", "2021", "--db", path, "--engine", "flink"])
    assert r.exit_code == 2 and "flink" in r.stderr
    r = runner.invoke(app, ["network", "build", "--year", "2030", "--db", path, "--lang", "en"])
    assert r.exit_code == 1 and "No invoices for 2030" in r.stderr
    r = runner.invoke(app, ["network", "build", "--year", "2021", "--db", path, "--source", str(tmp_path / "none")])
    assert r.exit_code == 1
    shutil.rmtree(tmp_path / "none", ignore_errors=True)
