"""``chainwatch warn`` and ``chainwatch warnings``: output formats, lifecycle commands, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from chainwatch.cli.main import app

runner = CliRunner()


def test_warn_json_then_work_a_warning(city_db: str) -> None:
    res = runner.invoke(app, ["warn", "--period", "2021-11", "--db", city_db, "--format", "json", "--lang", "en"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert doc["meta"]["command"] == "warn" and doc["meta"]["period"] == "2021-11"
    assert doc["warnings"] and {"id", "level", "explanation", "rule_id"} <= set(doc["warnings"][0])
    wid = str(doc["warnings"][0]["id"])
    res = runner.invoke(app, ["warnings", "list", "--db", city_db, "--level", "orange", "--format", "csv"])
    assert res.exit_code == 0 and res.stdout.startswith("id,")
    for args in (["ack", wid, "--actor", "alice"], ["assign", wid, "--to", "bob", "--due", "2022-01-31"],
                 ["confirm", wid, "--note", "orders down"], ["resolve", wid, "--note", "recovered"]):
        res = runner.invoke(app, ["warnings", *args, "--db", city_db, "--format", "json"])
        assert res.exit_code == 0, (args, res.output)
    doc = json.loads(runner.invoke(app, ["warnings", "show", wid, "--db", city_db, "--format", "json"]).stdout)
    assert doc["warning"][0]["state_code"] == "resolved" and doc["warning"][0]["owner"] == "bob"
    assert [e["action"] for e in doc["events"]] == ["create", "ack", "assign", "confirm", "resolve"]
    res = runner.invoke(app, ["warnings", "summary", "--period", "2021-11", "--db", city_db, "--format", "json"])
    assert res.exit_code == 0 and json.loads(res.stdout)["by_level"]
    res = runner.invoke(app, ["warnings", "list", "--db", city_db, "--lang", "zh"])
    assert res.exit_code == 0


def test_cli_errors_have_exit_codes_and_say_where(city_db: str, tmp_path: Path) -> None:
    bad = tmp_path / "rules.yaml"
    bad.write_text('version: "1"\nrules:\n  - id: x1\n    subject: planet\n', encoding="utf-8")
    res = runner.invoke(app, ["warn", "--period", "2021-11", "--db", city_db, "--rules", str(bad), "--lang", "en"])
    assert res.exit_code == 1
    assert "rules.yaml line 4 (rules[0].subject)" in res.output and "planet" in res.output
    res = runner.invoke(app, ["warn", "--check-rules", "--db", city_db, "--format", "json"])
    assert res.exit_code == 0 and len(json.loads(res.stdout)["rules"]) >= 10
    res = runner.invoke(app, ["warn", "--period", "2021-13", "--db", city_db])
    assert res.exit_code == 1
    res = runner.invoke(app, ["warnings", "show", "424242", "--db", city_db, "--lang", "en"])
    assert res.exit_code == 1 and "424242" in res.output
    res = runner.invoke(app, ["warnings", "list", "--status", "closed", "--db", city_db])
    assert res.exit_code == 2
    runner.invoke(app, ["warn", "--period", "2021-11", "--db", city_db])
    res = runner.invoke(app, ["warnings", "resolve", "1", "--note", "x", "--db", city_db, "--lang", "en"])
    assert res.exit_code == 1 and "only allowed from" in res.output
