"""Finding 13: spreadsheet formula injection. Every CSV/XLSX chainwatch writes neutralises text that a
spreadsheet would run as a formula (``= + - @``, tab, CR); numbers stay numbers.

On 0.1.0 the CLI's ``--format csv``, the import error report and the chain-map workbook wrote
``=cmd|' /C calc'!A0`` unchanged (and pandas' XLSX writer even stored ``=1+1`` as a live formula).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from typer.testing import CliRunner

import chainwatch
from chainwatch import sheets
from chainwatch.cli.main import app
from chainwatch.service import Chainwatch

from .conftest import EVIL, USCCS

runner = CliRunner()


@pytest.mark.parametrize(("value", "expected"), [
    ("=1+1", "'=1+1"), ("+SUM(1,2)", "'+SUM(1,2)"), ("-2+3", "'-2+3"), ("@A1", "'@A1"),
    ("\t=1", "'\t=1"), ("\r=1", "'\r=1"), ("-", "'-"), (EVIL, "'" + EVIL),
    ("-12.5", "-12.5"), ("+3", "+3"), ("1e-3", "1e-3"), ("-.5E+2", "-.5E+2"),
    ("宁波甲公司", "宁波甲公司"), ("a=b", "a=b"), ("", ""), (" =1", " =1"),
    (-12.5, -12.5), (3, 3), (None, None), (True, True),
])
def test_neutralise(value: object, expected: object) -> None:
    assert sheets.neutralise(value) == expected


def test_safe_frame_keeps_numbers_and_neutralises_headers() -> None:
    df = pd.DataFrame({"=h": ["=1", "x"], "n": [-1.5, 2.0], "i": pd.array([-3, None], dtype="Int64")})
    out = sheets.safe_frame(df)
    assert list(out.columns) == ["'=h", "n", "i"]
    assert out["'=h"].tolist() == ["'=1", "x"]
    assert out["n"].dtype == float and out["n"].tolist() == [-1.5, 2.0]
    assert str(out["i"].dtype) == "Int64"


def test_xlsx_text_cells_are_never_formulas(tmp_path: Path) -> None:
    df = pd.DataFrame({"name": ["=1+1", "-12.5", "ok"], "v": [-1, 2.5, None]})
    p = sheets.write_xlsx(tmp_path / "x.xlsx", {"s": df})
    ws = openpyxl.load_workbook(p).active
    cells = {c.coordinate: c for row in ws.iter_rows() for c in row}
    assert cells["A2"].value == "=1+1" and cells["A2"].data_type == "s" and cells["A2"].quotePrefix
    assert cells["A3"].value == "-12.5" and not cells["A3"].quotePrefix
    assert cells["B2"].value == -1 and cells["B2"].data_type == "n"
    assert cells["B4"].value is None


def test_cli_csv_output_is_neutralised(small_db: str) -> None:
    r = runner.invoke(app, ["assess", "--enterprise", USCCS[0], "--db", small_db, "--format", "csv"])
    assert r.exit_code == 0, r.output
    lines = [ln for ln in r.output.splitlines() if "calc" in ln]
    assert lines and all(f",'{EVIL}," in ln for ln in lines)
    assert f",{EVIL}," not in r.output


def test_import_error_reports_are_neutralised(small_db: str, tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    pd.DataFrame({"uscc": [USCCS[0]], "name": ["x"], "district": ["=1+1"], "industry": ["3841"]}).to_csv(bad, index=False)
    for suffix in ("csv", "xlsx"):
        out = tmp_path / f"errors.{suffix}"
        r = runner.invoke(app, ["import", str(bad), "--kind", "enterprise", "--db", small_db, "--errors", str(out)])
        assert r.exit_code == 1
        if suffix == "csv":
            assert "'=1+1" in out.read_text(encoding="utf-8-sig")
        else:
            ws = openpyxl.load_workbook(out).active
            values = [c for row in ws.iter_rows() for c in row if c.value == "=1+1"]
            assert values and all(c.data_type == "s" and c.quotePrefix for c in values)


def test_chain_map_workbook_is_neutralised(small_cw: Chainwatch, tmp_path: Path) -> None:
    small_cw.data.import_frame("chain", pd.DataFrame({"chain_id": ["x"], "name_zh": ["=HYPERLINK(\"http://e.vil\")"]}),
                               source_name="t")
    small_cw.data.import_frame("segment", pd.DataFrame({"segment_id": ["x-a"], "chain_id": ["x"], "name_zh": ["@A1"],
                                                        "position": ["upstream"]}), source_name="t")
    out = tmp_path / "map.xlsx"
    small_cw.chains.export_map("x", out)
    wb = openpyxl.load_workbook(out)
    texts = [c for ws in wb.worksheets for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    risky = [c for c in texts if sheets.is_formula_like(c.value)]
    assert {c.value for c in risky} >= {"=HYPERLINK(\"http://e.vil\")", "@A1"}
    assert all(c.data_type == "s" and c.quotePrefix for c in risky)


def test_no_spreadsheet_writer_outside_sheets_module() -> None:
    """Every CSV/XLSX writer goes through chainwatch.sheets (the only module allowed to call pandas' writers)."""
    root = Path(chainwatch.__file__).parent
    pattern = re.compile(r"(?<!sheets)\.to_csv\(|\.to_excel\(|ExcelWriter|csv\.writer|csv\.DictWriter|Workbook\(|xlsxwriter")
    offenders = []
    for f in root.rglob("*.py"):
        if f.name == "sheets.py" and f.parent == root:
            continue
        for n, line in enumerate(f.read_text(encoding="utf-8").splitlines(), 1):
            if pattern.search(line) and not line.lstrip().startswith("#"):
                offenders.append(f"{f.relative_to(root)}:{n}: {line.strip()}")
    assert not offenders, "write spreadsheets through chainwatch.sheets:\n" + "\n".join(offenders)


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (libreoffice-calc-nogui) is not installed")
def test_libreoffice_reads_exports_as_text(tmp_path: Path) -> None:
    """LibreOffice opens both exports and shows the text; the unprotected pandas files evaluate it."""
    df = pd.DataFrame({"name": ["=1+1", "-12.5"], "v": [1, 2]})
    sheets.write_xlsx(tmp_path / "safe.xlsx", {"s": df})
    sheets.to_csv(df, tmp_path / "safe.csv")
    df.to_excel(tmp_path / "unsafe.xlsx", index=False)
    env = {"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"}
    out = tmp_path / "out"
    subprocess.run(["soffice", "--headless", "--convert-to", "csv", "--outdir", str(out),
                    str(tmp_path / "safe.xlsx"), str(tmp_path / "unsafe.xlsx")],
                   check=True, env=env, capture_output=True, timeout=180)
    subprocess.run(["soffice", "--headless", "--infilter=CSV:44,34,76,1", "--convert-to", "xlsx", "--outdir",
                    str(out / "x"), str(tmp_path / "safe.csv")], check=True, env=env, capture_output=True, timeout=180)
    safe = (out / "safe.csv").read_text(encoding="utf-8").splitlines()
    unsafe = (out / "unsafe.csv").read_text(encoding="utf-8").splitlines()
    assert safe[1].startswith("=1+1,") and unsafe[1].startswith("2,")   # the control: pandas' file runs it
    assert safe[2].startswith("-12.5,")
    ws = openpyxl.load_workbook(out / "x" / "safe.xlsx").active
    assert ws["A2"].data_type == "s" and ws["A2"].value == "'=1+1"
    assert ws["A3"].data_type == "n" and ws["A3"].value == -12.5
