"""CLI surface: exit codes, one-line errors, the busy-database message."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
from typer.testing import CliRunner

from chainwatch.cli.main import app

from .conftest import USCCS, monthly_frame

runner = CliRunner()


def test_init_import_info_roundtrip(tmp_path: Path) -> None:
    db = str(tmp_path / "c.duckdb")
    assert runner.invoke(app, ["init", "--db", db]).exit_code == 0
    ent = tmp_path / "e.csv"
    pd.DataFrame({"统一社会信用代码": USCCS, "企业名称": "企业", "所在区县代码": "330212", "国民经济行业代码": "3841"}).to_csv(ent, index=False, encoding="gbk")
    r = runner.invoke(app, ["--lang", "en", "import", str(ent), "--kind", "enterprise", "--db", db])
    assert r.exit_code == 0, r.output
    assert "6 new" in r.output
    r = runner.invoke(app, ["info", "--db", db, "--format", "json"])
    assert r.exit_code == 0
    import json

    data = json.loads(r.output)
    counts = {row["table"]: row["rows"] for row in data["counts"]}
    assert counts["enterprise"] == 6 and data["meta"]["command"] == "info"
    assert data["imports"][0]["file"] == "e.csv" and len(data["imports"][0]["sha256"]) == 64


def test_validation_failure_exits_1_and_writes_error_report(tmp_path: Path) -> None:
    db = str(tmp_path / "c.duckdb")
    runner.invoke(app, ["init", "--db", db])
    bad = tmp_path / "m.csv"
    monthly_frame().to_csv(bad, index=False)
    out = tmp_path / "errors.xlsx"
    r = runner.invoke(app, ["import", str(bad), "--kind", "monthly", "--db", db, "--errors", str(out)])
    assert r.exit_code == 1
    errors = pd.read_excel(out)
    assert len(errors) == 18 and set(errors["key"]) == {"v.unknown_enterprise"}


def test_usage_error_exit_2(tmp_path: Path) -> None:
    r = runner.invoke(app, ["import", "x.csv", "--kind", "nope", "--db", str(tmp_path / "c.duckdb")])
    assert r.exit_code == 2


def test_busy_database_gives_clear_message_and_exit_3(tmp_path: Path) -> None:
    db = tmp_path / "held.duckdb"
    runner.invoke(app, ["init", "--db", str(db)])
    holder = subprocess.Popen([sys.executable, "-c", f"import duckdb, time; c = duckdb.connect({str(db)!r}); print('ok', flush=True); time.sleep(30)"],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ok"
        start = time.time()
        r = subprocess.run([sys.executable, "-m", "chainwatch.cli.main", "--lang", "en", "info", "--db", str(db)],
                           capture_output=True, text=True, timeout=60)
        assert r.returncode == 3, r.stderr
        assert "in use by another process" in r.stderr and "Traceback" not in r.stderr
        text = " ".join(r.stderr.split())  # the two ways out: the web page's import, or PostgreSQL
        assert "import the file on the web page" in text and "PostgreSQL" in text
        assert time.time() - start < 30
    finally:
        holder.kill()
        holder.wait()
    # the file is intact afterwards
    r2 = runner.invoke(app, ["info", "--db", str(db)])
    assert r2.exit_code == 0


def test_a_file_that_is_not_a_database_is_refused(tmp_path: Path) -> None:
    f = tmp_path / "月度.csv"
    f.write_text("a,b\n1,2\n", encoding="utf-8")
    r = runner.invoke(app, ["--lang", "en", "init", "--db", str(f)])
    assert r.exit_code == 1 and "not a chainwatch" in r.output
    assert f.read_text(encoding="utf-8") == "a,b\n1,2\n"


def test_import_json_with_errors_is_one_json_object(tmp_path: Path) -> None:
    import json

    db = str(tmp_path / "c.duckdb")
    runner.invoke(app, ["init", "--db", db])
    bad = tmp_path / "m.csv"
    monthly_frame().to_csv(bad, index=False)
    r = runner.invoke(app, ["import", str(bad), "--kind", "monthly", "--db", db, "--format", "json"])
    assert r.exit_code == 1
    data = json.loads(r.stdout)
    assert data["meta"]["failed"] is True and len(data["errors"]) == 18


def test_csv_cells_hold_json_not_python_reprs() -> None:
    import io
    from contextlib import redirect_stdout

    from chainwatch.cli.common import emit
    from chainwatch.service import Result

    buf = io.StringIO()
    with redirect_stdout(buf):
        emit(Result("x", tables={"rows": [{"a": ["驱动电机", "电池"], "b": {"cr1": 0.5}, "c": 1.5}]}), "csv")
    lines = buf.getvalue().splitlines()
    assert lines[0] == "a,b,c"
    assert '"[""驱动电机"", ""电池""]"' in lines[1] and '"{""cr1"": 0.5}"' in lines[1]


def test_serve_refuses_a_port_in_use(tmp_path: Path) -> None:
    import socket

    db = str(tmp_path / "c.duckdb")
    runner.invoke(app, ["init", "--db", db])
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        r = runner.invoke(app, ["--lang", "en", "serve", "--db", db, "--port", str(port)])
    assert r.exit_code == 1 and "port is in use" in r.output
