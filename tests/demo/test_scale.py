"""Benchmark-scale generators: block independence, networks, parquet and benchmark databases."""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import scipy.sparse as sp

from chainwatch.demo import scale
from chainwatch.model.codes import is_valid_uscc


def test_monthly_frame_shape_and_columns():
    df = scale.monthly_frame(300, 24, seed=1, start="2020-01")
    assert list(df.columns) == scale.MONTHLY_COLUMNS
    assert len(df) == 300 * 24
    assert df["uscc"].nunique() == 300 and all(is_valid_uscc(u) for u in df["uscc"].unique())
    assert sorted(df["period"].unique())[0] == "2020-01" and sorted(df["period"].unique())[-1] == "2021-12"
    assert (df["value_added"] <= df["gross_output"]).all()


def test_enterprise_values_do_not_depend_on_total_size():
    small = scale.monthly_frame(scale.BLOCK + 10, 3, seed=5)
    large = scale.monthly_frame(scale.BLOCK + 500, 3, seed=5)
    pd.testing.assert_frame_equal(small, large.iloc[: len(small)].reset_index(drop=True))
    assert not scale.monthly_frame(50, 3, seed=6)["revenue"].equals(scale.monthly_frame(50, 3, seed=5)["revenue"])


def test_enterprises_match_monthly_usccs():
    ent = scale.enterprise_frame(700, seed=2)
    m = scale.monthly_frame(700, 2, seed=2)
    assert set(ent["uscc"]) == set(m["uscc"])
    assert ent["industry"].str.len().eq(4).all()


def test_write_monthly_parquet(tmp_path):
    path = tmp_path / "m.parquet"
    rows = scale.write_monthly_parquet(path, 1200, 12, seed=3)
    assert rows == 1200 * 12 == pq.read_metadata(path).num_rows
    back = pd.read_parquet(path)
    pd.testing.assert_frame_equal(back, scale.monthly_frame(1200, 12, seed=3))


def test_network_properties():
    net = scale.network(20_000, 200_000, seed=4)
    n = net.src.size
    assert abs(n - 200_000) / 200_000 < 0.02
    assert net.src.dtype == np.int32 and net.dst.dtype == np.int32 and net.weight.dtype == np.float64
    assert (net.src != net.dst).all() and (net.weight > 0).all()
    key = net.src.astype(np.int64) * 20_000 + net.dst
    assert np.unique(key).size == n
    a = sp.csr_matrix((net.weight, (net.src, net.dst)), shape=(20_000, 20_000))
    assert a.nnz == n
    indeg = np.bincount(net.dst, minlength=20_000)
    assert indeg.max() > 10 * indeg.mean()           # hubs: heavy-tailed in-degree
    again = scale.network(20_000, 200_000, seed=4)
    assert np.array_equal(again.src, net.src) and np.array_equal(again.weight, net.weight)


def test_network_parquet_equals_in_memory(tmp_path):
    path = tmp_path / "net.parquet"
    rows = scale.write_network_parquet(path, 150_000, 600_000, seed=9)
    net = scale.network(150_000, 600_000, seed=9)
    back = pq.read_table(path)
    assert rows == net.src.size == back.num_rows
    assert np.array_equal(back["dst"].to_numpy(), net.dst)


def test_build_benchmark_db(tmp_path):
    path = tmp_path / "bench.duckdb"
    counts = scale.build_benchmark_db(path, n_enterprises=1500, n_months=14, seed=2, start="2020-11")
    assert counts["enterprise"] == 1500 and counts["monthly_value"] == 1500 * 14
    con = duckdb.connect(str(path), read_only=True)
    try:
        q = lambda s: con.execute(s).fetchall()[0][0]  # noqa: E731
        assert q("SELECT count(*) FROM monthly_value m LEFT JOIN enterprise e USING (uscc) WHERE e.uscc IS NULL") == 0
        assert q("SELECT count(*) FROM segment_enterprise s LEFT JOIN segment g USING (segment_id) "
                 "WHERE g.segment_id IS NULL") == 0
        assert q("SELECT count(DISTINCT year) FROM enterprise_scope") == 2
        above = q("SELECT avg(above_size::INT) FROM enterprise_scope")
        assert 0.4 < above < 0.8
        assert q("SELECT value FROM demo_info WHERE key = 'kind'") == "benchmark"
        assert q("SELECT count(*) FROM monthly_value WHERE year <> CAST(substr(period, 1, 4) AS INT)") == 0
    finally:
        con.close()
    # rebuilding replaces the file
    again = scale.build_benchmark_db(path, n_enterprises=200, n_months=2, seed=2)
    assert again["enterprise"] == 200
