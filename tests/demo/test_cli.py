"""``chainwatch demo`` end to end on small cities, and determinism of whole databases."""

from __future__ import annotations

import json

import duckdb
import pandas as pd
import pytest
from typer.testing import CliRunner

from chainwatch.cli.main import app
from chainwatch.demo.loader import build_demo, existing_kind

runner = CliRunner()
SMALL = "300"
# tables whose every column is data (import bookkeeping columns are left out of the comparison)
COMPARE = {
    "enterprise": "uscc, name, district, industry, division, section, founded",
    "enterprise_scope": "uscc, year, above_size, source",
    "monthly_value": "uscc, period, gross_output, value_added, revenue, total_profit, taxes, export_value, electricity, employees",
    "supply_link": "link_id, supplier_uscc, supplier_name, supplier_country, buyer_uscc, hs_code, segment_id, annual_value, share",
    "trade_flow": "uscc, partner, hs_code, period, flow, value",
    "enterprise_annual": "uscc, year, revenue, rd_expense, attrs",
    "enterprise_title": "uscc, title, valid_from, valid_to, category",
    "demo_truth_enterprise": "uscc, kind, start_period, detail",
    "demo_truth_segment": "segment_id, kind, detail",
}


def _tables(path: str) -> dict[str, pd.DataFrame]:
    con = duckdb.connect(path, read_only=True)
    try:
        return {t: con.execute(f"SELECT {cols} FROM {t} ORDER BY ALL").fetchdf() for t, cols in COMPARE.items()}
    finally:
        con.close()


def test_same_seed_gives_identical_databases(tmp_path):
    """Same seed → identical tables (a different seed differing is checked on the frames in test_generator)."""
    a, b = (str(tmp_path / f"{x}.duckdb") for x in "ab")
    build_demo(a, seed=11, n_enterprises=int(SMALL))
    build_demo(b, seed=11, n_enterprises=int(SMALL))
    ta, tb = _tables(a), _tables(b)
    for name in COMPARE:
        assert len(ta[name]) > 0, name
        pd.testing.assert_frame_equal(ta[name], tb[name], check_exact=True)


def test_cli_builds_reports_and_rebuilds(tmp_path):
    db = str(tmp_path / "city.duckdb")
    res = runner.invoke(app, ["demo", "--db", db, "--enterprises", SMALL, "--seed", "5", "--format", "json",
                              "--lang", "en"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout[res.stdout.index("{"):])
    assert out["meta"]["synthetic"] is True and "Synthetic" in out["meta"]["label"]
    assert out["meta"]["seed"] == 5 and out["meta"]["period"] == "2021-12" and out["meta"]["replaced"] is False
    counts = {r["table"]: r["rows"] for r in out["counts"]}
    assert counts["enterprise"] == int(SMALL) and counts["chain"] >= 10
    head = {r["indicator"]: r for r in out["headline"]}
    assert head["gross_output"]["ytd_value"] > 0 and head["gross_output"]["ytd_yoy_pct"] is not None
    assert existing_kind(db) == "demo"
    # an existing demo database is rebuilt; table output carries the synthetic label (Chinese by default)
    res = runner.invoke(app, ["demo", "--db", db, "--enterprises", SMALL, "--seed", "6"])
    assert res.exit_code == 0, res.output
    flat = "".join(res.output.split())          # Rich wraps long lines at the terminal width
    assert "合成演示数据" in flat and "已删除并重建" in flat and "随机种子6" in flat
    con = duckdb.connect(db, read_only=True)
    assert con.execute("SELECT value FROM demo_info WHERE key = 'seed'").fetchall() == [("6",)]
    assert con.execute("SELECT count(*) FROM import_batch WHERE file_name = 'demo:seed=5'").fetchall() == [(0,)]
    con.close()


def test_refuses_a_real_database_without_force(tmp_path):
    db = tmp_path / "real.duckdb"
    assert runner.invoke(app, ["init", "--db", str(db)]).exit_code == 0
    con = duckdb.connect(str(db))
    con.execute("INSERT INTO cluster (cluster_id, name_zh) VALUES ('x', '真实数据')").fetchall()
    con.close()
    res = runner.invoke(app, ["demo", "--db", str(db), "--enterprises", SMALL, "--lang", "en"])
    assert res.exit_code == 2
    assert "not a demo database" in " ".join(res.output.split()) and "--force" in res.output
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT name_zh FROM cluster WHERE cluster_id = 'x'").fetchall() == [("真实数据",)]
    con.close()
    res = runner.invoke(app, ["demo", "--db", str(db), "--enterprises", SMALL, "--force", "--format", "json"])
    assert res.exit_code == 0, res.output
    assert existing_kind(db) == "demo"


@pytest.mark.parametrize(("args", "needle"), [
    (["--enterprises", "20"], "too few"),
    (["--seed", "-3"], "non-negative"),
    (["--format", "xml"], "xml"),
])
def test_bad_arguments(tmp_path, args, needle):
    res = runner.invoke(app, ["demo", "--db", str(tmp_path / "x.duckdb"), "--lang", "en", *args])
    assert res.exit_code == 2
    assert needle in res.output
    assert not (tmp_path / "x.duckdb").exists()


def test_busy_database_is_left_alone(tmp_path):
    """A demo database held by another process (e.g. a running server) gives exit 3 and is not deleted."""
    import subprocess
    import sys

    db = tmp_path / "held.duckdb"
    build_demo(db, seed=1, n_enterprises=200)
    holder = subprocess.Popen([sys.executable, "-c", f"import duckdb, time; c = duckdb.connect({str(db)!r}); "
                               "print('ready', flush=True); time.sleep(60)"], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
        res = runner.invoke(app, ["demo", "--db", str(db), "--enterprises", "200", "--lang", "en"])
        assert res.exit_code == 3, res.output
        assert "in use by another process" in " ".join(res.output.split())
        assert db.exists()
    finally:
        holder.kill()
        holder.wait()
