"""Spreadsheet-safe CSV and XLSX output: every table chainwatch writes for a spreadsheet goes through here.

A cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is read by Excel,
WPS and LibreOffice as a formula (CSV/formula injection, OWASP): an enterprise named
``=cmd|' /C calc'!A0`` would run a command on the analyst's machine when the export is opened.
:func:`neutralise` is the one rule, used by every writer:

* **CSV**: such a text cell is written with a leading apostrophe (``'=cmd…``), as OWASP recommends;
* **XLSX**: the cell is written as a text cell (never a formula) with Excel's "quote prefix" style,
  the workbook form of the same apostrophe: it shows the text unchanged and stays text when edited.

Numbers stay numbers: numeric cells are never touched, nor text that is just a number (``-12.5``,
``+3``, ``1e-3``), which a spreadsheet reads as that number. Column headers are cells too.
"""

from __future__ import annotations

import io
import json
import math
import re
from collections.abc import Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pandas as pd

TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def is_formula_like(value: Any) -> bool:
    """True for text a spreadsheet would treat as a formula (starts with ``= + - @``, tab or CR)."""
    return (isinstance(value, str) and value[:1] in TRIGGERS and not _NUMBER.fullmatch(value))


def neutralise(value: Any) -> Any:
    """The value to write into a CSV cell: formula-like text gets a leading ``'``; anything else unchanged."""
    if is_formula_like(value):
        return "'" + value
    return value


def _cell(value: Any) -> Any:
    """Lists and dicts as JSON text (not Python reprs), then neutralised."""
    if isinstance(value, (list, tuple, dict)):
        value = json.dumps(value, ensure_ascii=False, default=str)
    return neutralise(value)


def safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` with every text cell and header neutralised for a CSV (numbers untouched)."""
    out = frame.copy()
    for col in out.columns:
        s = out[col]
        if s.dtype == object or pd.api.types.is_string_dtype(s.dtype):
            out[col] = s.map(_cell, na_action="ignore")
    out.columns = [neutralise(str(c)) for c in out.columns]
    return out


def to_csv(frame: pd.DataFrame, path: str | Path | None = None, *, bom: bool = True, **kwargs: Any) -> str | None:
    """Write ``frame`` as CSV (UTF-8 with a BOM so Excel reads Chinese; no index), neutralised.

    Returns the text when ``path`` is None (then without a BOM: it goes to a terminal or a pipe).
    """
    kwargs.setdefault("index", False)
    safe = safe_frame(frame)
    if path is None:
        return safe.to_csv(**kwargs)
    safe.to_csv(path, encoding="utf-8-sig" if bom else "utf-8", **kwargs)
    return None


def csv_bytes(frame: pd.DataFrame, *, bom: bool = True) -> bytes:
    """The CSV of ``frame`` as bytes for a download (UTF-8 with BOM), neutralised."""
    text = safe_frame(frame).to_csv(index=False)
    return (b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8")


def _xlsx_value(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, (list, tuple, dict)):
        return json.dumps(value, ensure_ascii=False, default=str)
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    if isinstance(value, datetime) and value.tzinfo is not None:
        value = value.replace(tzinfo=None)
    if hasattr(value, "item") and not isinstance(value, (str, bytes, date)):  # numpy scalars
        value = value.item()
    return value


def _put(ws: Any, row: int, col: int, value: Any) -> Any:
    cell = ws.cell(row=row, column=col)
    value = _xlsx_value(value)
    cell.value = value
    if is_formula_like(value):
        cell.data_type = "s"      # openpyxl would store text starting with '=' as a live formula
        cell.quotePrefix = True   # Excel's apostrophe: shown as text, stays text when edited
    return cell


def write_xlsx(path: str | Path, sheets: Mapping[str, pd.DataFrame], *, widths: bool = True,
               bold_header: bool = True) -> Path:
    """Write each frame to its own sheet (name cut to Excel's 31 characters), neutralised; return the path."""
    p = Path(path)
    p.write_bytes(xlsx_bytes(sheets, widths=widths, bold_header=bold_header))
    return p


def xlsx_bytes(sheets: Mapping[str, pd.DataFrame], *, widths: bool = True, bold_header: bool = True) -> bytes:
    """The workbook of :func:`write_xlsx` as bytes (for a download)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    wb.remove(wb.active)
    used: set[str] = set()
    for name, frame in sheets.items():
        title = _sheet_title(str(name), used)
        ws = wb.create_sheet(title)
        for j, col in enumerate(frame.columns, start=1):
            cell = _put(ws, 1, j, str(col))
            if bold_header:
                cell.font = Font(bold=True)
        for i, row in enumerate(frame.itertuples(index=False, name=None), start=2):
            for j, value in enumerate(row, start=1):
                _put(ws, i, j, value)
        if widths:
            for j, col in enumerate(frame.columns, start=1):
                texts = [str(col)] + [str(v) for v in frame.iloc[:200, j - 1].tolist() if v is not None]
                longest = max((len(s) for s in texts), default=8)
                ws.column_dimensions[ws.cell(row=1, column=j).column_letter].width = max(10, min(48, longest * 1.6))
    if not wb.worksheets:
        wb.create_sheet("Sheet1")
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


_BAD_SHEET = re.compile(r"[\[\]:*?/\\]")


def _sheet_title(name: str, used: set[str]) -> str:
    base = _BAD_SHEET.sub("_", name).strip("'")[:31] or "Sheet"
    title, n = base, 2
    while title.lower() in used:
        suffix = f"_{n}"
        title, n = base[: 31 - len(suffix)] + suffix, n + 1
    used.add(title.lower())
    return title
