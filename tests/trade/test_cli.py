"""``chainwatch trade``: JSON/CSV/table output, exit codes and one-line errors."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from chainwatch.cli.main import app

runner = CliRunner()


@pytest.fixture()
def db(tmp_path: Path, trade_db) -> str:
    path = tmp_path / "cli.duckdb"
    shutil.copyfile(trade_db[0], path)
    return str(path)


def _json(args: list[str]) -> dict:
    r = runner.invoke(app, args)
    assert r.exit_code == 0, r.output
    return json.loads(r.output)


def test_summary_json_contract(db: str) -> None:
    d = _json(["trade", "--period", "2021-11", "--by", "group", "--format", "json", "--db", db])
    assert d["meta"]["command"] == "trade.summary" and d["meta"]["units"] == "万元"
    assert d["meta"]["additive"] is False and len(d["meta"]["groups"]) == 4
    row = d["rows"][0]
    for field in ("key", "name", "flow", "month_value", "month_base_value", "month_yoy_pct", "month_share_pct",
                  "month_contribution_pct", "month_pull_pp", "ytd_value", "ytd_base_value", "ytd_yoy_pct",
                  "share_pct", "share_change_pp", "contribution_pct", "pull_pp"):
        assert field in row
    assert [t["flow"] for t in d["total"]] == ["import", "export", "total"]


def test_summary_table_and_csv(db: str) -> None:
    r = runner.invoke(app, ["--lang", "en", "trade", "-p", "2021-11", "--by", "hs", "--flow", "export", "--db", db])
    assert r.exit_code == 0, r.output
    assert "2021 Jan–Nov: exports" in r.output and "XVI" in r.output and "exports" in r.output
    r = runner.invoke(app, ["trade", "-p", "2021-11", "--by", "country", "--flow", "import", "--top", "3",
                            "--format", "csv", "--db", db])
    assert r.exit_code == 0
    body = r.output.split("# total\n")[0].replace("# rows\n", "")
    frame = pd.read_csv(io.StringIO(body))
    assert len(frame) == 3 and set(frame["flow"]) == {"import"}


def test_groups_commands(db: str) -> None:
    d = _json(["trade", "groups", "list", "--format", "json", "--db", db])
    assert {g["group_id"] for g in d["groups"]} >= {"rcep", "bri", "asean", "eu"}
    r = runner.invoke(app, ["trade", "groups", "show", "bri", "--db", db])
    assert r.exit_code == 0 and "unconfirmed" in r.output
    r = runner.invoke(app, ["--lang", "en", "trade", "groups", "set", "bri", "--add", "NZL", "--basis", "test basis",
                            "--as-of", "2024-06-30", "--db", db])
    assert r.exit_code == 0, r.output
    assert "Saved partner group bri: 66 members" in r.output
    d = _json(["trade", "--by", "group", "--group", "bri", "--format", "json", "--db", db])
    assert d["meta"]["groups"][0]["basis"] == "test basis" and d["meta"]["groups"][0]["as_of"] == "2024-06-30"
    assert runner.invoke(app, ["trade", "groups", "reset", "bri", "--db", db]).exit_code == 0


def test_bad_inputs_exit_codes(db: str) -> None:
    r = runner.invoke(app, ["--lang", "en", "trade", "groups", "set", "bri", "--add", "XYZ,JPN", "--db", db])
    assert r.exit_code == 1 and "Unknown country codes: XYZ" in r.output
    r = runner.invoke(app, ["--lang", "en", "trade", "groups", "show", "nafta", "--db", db])
    assert r.exit_code == 1 and "Unknown partner group nafta" in r.output
    r = runner.invoke(app, ["--lang", "en", "trade", "--by", "province", "--db", db])
    assert r.exit_code == 2 and "--by" in r.output
    r = runner.invoke(app, ["--lang", "en", "trade", "--period", "2021-13", "--db", db])
    assert r.exit_code == 1 and "2021-13" in r.output
    r = runner.invoke(app, ["trade", "--format", "xml", "--db", db])
    assert r.exit_code == 2
    r = runner.invoke(app, ["trade", "--db", str(Path(db).with_name("missing.duckdb"))])
    assert r.exit_code == 1


def test_dependence_and_rca_commands(db: str, tmp_path: Path) -> None:
    d = _json(["trade", "dependence", "--period", "2021-11", "--format", "json", "--db", db])
    assert {"segments", "origins", "products"} <= set(d)
    assert all("explanation" in s for s in d["segments"])
    r = runner.invoke(app, ["trade", "dependence", "--chain", "nev", "--db", db])
    assert r.exit_code == 0 and "nev_chip" in r.output
    world = tmp_path / "w.csv"
    pd.DataFrame({"Country ID": ["aschn", "eudeu", "aschn"], "Section ID": [16, 16, 5],
                  "Trade Value": [10.0, 30.0, 60.0]}).to_csv(world, index=False)
    r = runner.invoke(app, ["--lang", "en", "trade", "world", "import", str(world), "--year", "2021", "--db", db])
    assert r.exit_code == 0 and "2 exporters" in r.output
    d = _json(["trade", "rca", "--year", "2021", "--format", "json", "--db", db])
    secs = {s["section"]: s for s in d["sections"]}
    assert secs["XVI"]["world_share_pct"] == pytest.approx(40.0) and d["meta"]["world_year"] == 2021
    r = runner.invoke(app, ["--lang", "en", "trade", "world", "import", str(tmp_path / "nope.csv"), "--db", db])
    assert r.exit_code == 1 and "not found" in r.output.lower()


def test_import_trade_flow_file_then_report(tmp_path: Path) -> None:
    """The import pipeline's trade_flow kind feeds the report (region totals, Chinese headers)."""
    db = str(tmp_path / "imp.duckdb")
    assert runner.invoke(app, ["init", "--db", db]).exit_code == 0
    f = tmp_path / "tf.csv"
    pd.DataFrame({"地区代码": ["3302"] * 4, "贸易伙伴国": ["VNM", "VNM", "DEU", "DEU"],
                  "HS编码": ["850760"] * 4, "期间": ["2020-03", "2021-03", "2020-03", "2021-03"],
                  "进出口": ["出口"] * 4, "金额(万元)": [100, 150, 300, 250]}).to_csv(f, index=False)
    r = runner.invoke(app, ["import", str(f), "--kind", "trade_flow", "--db", db])
    assert r.exit_code == 0, r.output
    d = _json(["trade", "--period", "2021-03", "--by", "group", "--flow", "export", "--format", "json", "--db", db])
    rows = {r["key"]: r for r in d["rows"]}
    assert d["meta"]["source"] == "region"
    assert rows["bri"]["ytd_value"] == 150 and rows["bri"]["share_pct"] == pytest.approx(37.5)
    assert rows["bri"]["contribution_pct"] is None  # total unchanged (400 -> 400): ΔT = 0 -> null
    assert rows["eu"]["ytd_yoy_pct"] == pytest.approx(-50 / 3)
