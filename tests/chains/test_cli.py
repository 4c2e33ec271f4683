"""The chains and bottleneck commands: output formats, exit codes, error messages with lines."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from chainwatch.cli.main import app

runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, ["--lang", "en", *args])


def test_overview_and_segments_json_csv_table(city_path):
    db = str(city_path)
    r = run("chains", "--db", db, "--format", "json")
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    assert data["meta"]["command"] == "chains" and data["meta"]["year"] == 2023
    assert data["chains"][0]["chain_id"] == "nev"
    r = run("chains", "--chain", "nev", "--db", db, "--format", "json")
    d = json.loads(r.stdout)
    assert {"summary", "segments", "products"} <= set(d) and len(d["segments"]) == 7
    r = run("chains", "--chain", "nev", "--db", db, "--format", "csv")
    assert r.exit_code == 0 and "# segments" in r.stdout and "nev.anode" in r.stdout
    r = run("chains", "-c", "nev", "--db", db)
    assert r.exit_code == 0 and "coverage 85.7%" in r.stdout


def test_critical_leaders_targets_commands(city_path, tmp_path):
    db = str(city_path)
    r = run("chains", "critical", "--chain", "nev", "--db", db, "--format", "json")
    assert r.exit_code == 0, r.output
    assert {s["segment_id"] for s in json.loads(r.stdout)["segments"]} == {"nev.li", "nev.cath", "nev.pack"}
    r = run("chains", "leaders", "-c", "nev", "--db", db, "--top", "2", "--format", "json")
    assert len(json.loads(r.stdout)["leaders"]) == 2
    r = run("chains", "targets", "-c", "nev", "--db", db)
    assert r.exit_code == 1 and "No investment directory" in r.output
    p = tmp_path / "d.csv"
    p.write_text("name,region,hs_codes,revenue\n负极龙头,上海,380110,9000\n", encoding="utf-8")
    assert run("chains", "directory", "import", str(p), "--db", db).exit_code == 0
    r = run("chains", "targets", "-c", "nev", "--db", db, "--format", "json")
    assert [t["name"] for t in json.loads(r.stdout)["targets"]] == ["负极龙头"]


def test_import_export_round_trip_and_bad_file_lines(city_path, tmp_path, chain_yaml):
    db = str(city_path)
    out = tmp_path / "nev.yaml"
    r = run("chains", "export", "--chain", "nev", "-o", str(out), "--db", db)
    assert r.exit_code == 0, r.output
    r = run("chains", "import", str(out), "--db", db)
    assert r.exit_code == 0 and "Imported chain nev: 7 segments, 6 edges" in r.output
    bad = tmp_path / "bad.yaml"
    text = chain_yaml.replace("position: midstream\n    hs: [850760]", "position: middle\n    hs: [850760]")
    text = text.replace("  - [nev.cath, nev.cell]\n", "  - [nev.cath, nev.cel]\n")
    bad.write_text(text, encoding="utf-8")
    r = run("chains", "import", str(bad), "--db", db)
    assert r.exit_code == 1
    line_pos = text.splitlines().index("    position: middle") + 1
    line_edge = text.splitlines().index("  - [nev.cath, nev.cel]") + 1
    assert f"bad.yaml line {line_pos}" in r.output and "position must be upstream" in r.output
    assert f"bad.yaml line {line_edge}" in r.output and "unknown segment nev.cel" in r.output
    assert "2 errors" in r.output and "nothing was imported" in r.output
    r = run("chains", "import", str(tmp_path / "nope.yaml"), "--db", db)
    assert r.exit_code == 1 and "File not found" in r.output


def test_unknown_chain_and_bad_format(city_path):
    r = run("chains", "--chain", "nope", "--db", str(city_path))
    assert r.exit_code == 1 and "Chain nope does not exist" in r.output
    r = run("chains", "--db", str(city_path), "--format", "xml")
    assert r.exit_code == 2


def test_bottleneck_commands(city_path):
    db = str(city_path)
    r = run("bottleneck", "add", "--from-segment", "nev.anode", "--owner", "市经信局", "--target-date", "2027-06-30",
            "--db", db)
    assert r.exit_code == 0, r.output
    assert "Added bottleneck item BN-0001" in r.output
    r = run("bottleneck", "update", "BN-0001", "--status", "done", "--note", "量产", "--db", db)
    assert r.exit_code == 0 and "Updated bottleneck item BN-0001 (status)" in r.output
    r = run("bottleneck", "show", "BN-0001", "--db", db, "--format", "json")
    hist = json.loads(r.stdout)["history"]
    assert [h["field"] for h in hist] == ["created", "status"] and hist[1]["note"] == "量产"
    r = run("bottleneck", "list", "--db", db, "--format", "json")
    assert json.loads(r.stdout)["items"][0]["status"] == "done"
    r = run("bottleneck", "update", "BN-0001", "--status", "closed", "--db", db)
    assert r.exit_code == 1 and "status closed is invalid" in r.output
    r = run("bottleneck", "add", "--db", db)
    assert r.exit_code == 1 and "title" in r.output


def test_xlsx_export_import_round_trip(city_path, tmp_path):
    db = str(city_path)
    before = run("chains", "export", "-c", "nev", "--db", db).stdout
    x = tmp_path / "nev.xlsx"
    assert run("chains", "export", "-c", "nev", "-o", str(x), "--db", db).exit_code == 0
    r = run("chains", "import", str(x), "--db", db)
    assert r.exit_code == 0, r.output
    assert run("chains", "export", "-c", "nev", "--db", db).stdout == before
    junk = tmp_path / "junk.xlsx"
    junk.write_text("not a workbook", encoding="utf-8")
    r = run("chains", "import", str(junk), "--db", db)
    assert r.exit_code == 1 and "Cannot read junk.xlsx" in r.output
