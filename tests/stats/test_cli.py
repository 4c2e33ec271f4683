"""The chainwatch stats command: formats, headers, exit codes."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from chainwatch.cli.main import app
from chainwatch.service import Chainwatch
from conftest import load_frames, make_city

runner = CliRunner()


def _db(tmp_path):
    path = tmp_path / "c.duckdb"
    with Chainwatch(str(path)) as cw:
        load_frames(cw.store, make_city(n=40))
    return str(path)


def test_cli_json_csv_table(tmp_path, monkeypatch):
    from chainwatch.cli import common

    monkeypatch.setattr(common.console, "_width", 220)
    db = _db(tmp_path)
    res = runner.invoke(app, ["stats", "--db", db, "--period", "2021-11", "--by", "district",
                              "--indicators", "gross_output,value_added", "--format", "json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert data["meta"]["command"] == "stats" and data["meta"]["period"] == "2021-11"
    assert {r["indicator"] for r in data["rows"]} == {"gross_output", "value_added"}
    assert data["rows"][0]["group_type"] == "total"
    assert {"ytd_yoy_pct", "contribution_pct", "pull_pp", "two_year_avg_pct", "basis"} <= set(data["rows"][0])
    csv = runner.invoke(app, ["stats", "--db", db, "-p", "2021-11", "-f", "csv", "-i", "revenue"])
    assert csv.exit_code == 0 and csv.stdout.splitlines()[0].startswith("group_type,group_id,group_name,indicator")
    tab = runner.invoke(app, ["stats", "--db", db, "-p", "2021-11", "-i", "revenue", "--by", "size"])
    assert tab.exit_code == 0 and "累计同比%" in tab.stdout and "营业收入" in tab.stdout and "1–11月" in tab.stdout
    en = runner.invoke(app, ["stats", "--db", db, "-p", "2021-11", "-i", "revenue", "--lang", "en"])
    assert en.exit_code == 0 and "YTD YoY %" in en.stdout and "In Jan–Nov" in en.stdout


def test_cli_errors(tmp_path):
    db = _db(tmp_path)
    bad_period = runner.invoke(app, ["stats", "--db", db, "--period", "2021-13"])
    assert bad_period.exit_code == 1 and "2021-13" in bad_period.output
    bad_by = runner.invoke(app, ["stats", "--db", db, "--period", "2021-11", "--by", "province"])
    assert bad_by.exit_code == 2 and "province" in bad_by.output
    no_data = runner.invoke(app, ["stats", "--db", db, "--period", "2030-05"])
    assert no_data.exit_code == 1 and "2030-05" in no_data.output
    missing = runner.invoke(app, ["stats", "--db", str(tmp_path / "none.duckdb"), "--period", "2021-11"])
    assert missing.exit_code == 1
