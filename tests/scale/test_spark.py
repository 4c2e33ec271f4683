"""Spark engine (local[2], marked slow: it starts a JVM): the same results as DuckDB."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from chainwatch.service import Chainwatch
from chainwatch.settings import load_settings
from chainwatch.store.engines import stop_spark

pytestmark = pytest.mark.slow
SPARK = {"engine": "duckdb", "spark_master": "local[2]",
         "spark_conf": "spark.sql.shuffle.partitions=2;spark.driver.memory=1g"}


@pytest.fixture(scope="module", autouse=True)
def _spark_session() -> Iterator[None]:
    pytest.importorskip("pyspark")
    yield
    stop_spark()


def _cw(path: str) -> Chainwatch:
    return Chainwatch(path, lang="en", actor="test", settings=load_settings(**SPARK))


def assert_links_equal(a: pd.DataFrame, b: pd.DataFrame) -> None:
    keys = ["supplier_uscc", "buyer_uscc"]
    a = a.sort_values(keys).reset_index(drop=True)
    b = b.sort_values(keys).reset_index(drop=True)
    assert len(a) == len(b) and len(a) > 0
    exact = [c for c in a.columns if c not in ("annual_value", "share", "buyer_share", "seller_share",
                                               "main_products")]
    pd.testing.assert_frame_equal(a[exact], b[exact], check_dtype=False)
    for c in ("annual_value", "share", "buyer_share", "seller_share"):
        x, y = a[c].astype(float), b[c].astype(float)
        assert (x.isna() == y.isna()).all(), c
        assert ((x - y).abs().fillna(0) <= 1e-9 * x.abs().fillna(1)).all(), c
    import json
    for p, q in zip(a["main_products"], b["main_products"], strict=True):
        pa, qa = json.loads(p), json.loads(q)
        assert [x["code"] for x in pa] == [x["code"] for x in qa]
        assert all(abs(x["share"] - y["share"]) <= 1e-6 for x, y in zip(pa, qa, strict=True))


def test_network_build_equal_on_both_engines(demo_db_copy: str, tmp_path: Path) -> None:
    with _cw(demo_db_copy) as cw:
        cw.network.invoices(tmp_path / "inv", 2021, rows=40_000, chunk_rows=20_000)
        duck = cw.network.compute(2021, engine="duckdb", source=str(tmp_path / "inv"))
        spark = cw.network.compute(2021, engine="spark", source=str(tmp_path / "inv"))
        assert duck["counts"] == spark["counts"]
        c = spark["counts"]
        assert c["n_red"] > 0 and c["n_void"] > 0 and c["n_self"] > 0 and c["n_no_buyer"] > 0
        assert duck["links"].attrs["n_outside"] == spark["links"].attrs["n_outside"] > 0
        assert_links_equal(duck["links"], spark["links"])
        assert spark["meta"]["engine"] == "spark" and spark["meta"]["spark_master"] == "local[2]"
        assert "engine_startup_seconds" in spark["meta"]
        # thresholds give the same cut on both engines
        a = cw.network.compute(2021, engine="duckdb", source=str(tmp_path / "inv"), min_value=50, min_share=0.1)
        b = cw.network.compute(2021, engine="spark", source=str(tmp_path / "inv"), min_value=50, min_share=0.1)
        assert a["counts"]["n_below"] == b["counts"]["n_below"] > 0
        assert_links_equal(a["links"], b["links"])


def test_network_build_on_spark_from_the_store(tmp_path: Path) -> None:
    import importlib.util

    from chainwatch.model.codes import make_uscc

    spec = importlib.util.spec_from_file_location("_net_example", Path(__file__).with_name("test_network.py"))
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    _invoices = example._invoices
    path = str(tmp_path / "s.duckdb")
    with _cw(path) as cw:
        ent = pd.DataFrame({"uscc": [make_uscc(f"91330200MA2D0000{i}") for i in range(1, 4)],
                            "name": ["甲", "乙", "丙"], "district": "330212", "industry": "3841"})
        cw.data.import_frame("enterprise", ent, source_name="ent")
        cw.data.import_frame("invoice", _invoices(), source_name="发票.csv", unit="万元")
        res = cw.network.build(2021, engine="spark")
        assert res.meta["engine"] == "spark" and res.meta["engine_source"] == "store (exported to Parquet)"
        assert res.meta["n_links"] == 3 and res.meta["invoice_batches"] == [2]
        spark_links = cw.store.df("SELECT * FROM supply_link ORDER BY supplier_uscc, buyer_uscc")
        cw.network.build(2021, engine="duckdb")
        duck_links = cw.store.df("SELECT * FROM supply_link ORDER BY supplier_uscc, buyer_uscc")
        cols = ["supplier_uscc", "buyer_uscc", "annual_value", "share", "buyer_share", "seller_share",
                "months_active", "n_invoices", "main_products", "hs_code"]
        pd.testing.assert_frame_equal(spark_links[cols], duck_links[cols], check_dtype=False)
