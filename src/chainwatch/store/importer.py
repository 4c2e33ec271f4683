"""The validated, atomic, idempotent import pipeline.

A file (CSV in UTF-8/UTF-8-BOM/GBK/GB18030, or XLSX) or a DataFrame goes through four steps, all in
bulk inside DuckDB (no Python loop per row):

1. **read** into a staging table of text columns, each row numbered as the user sees it
   (header = row 1, so the first data row is row 2);
2. **map headers**: Chinese or English labels or canonical names, each with an optional unit in
   parentheses (``工业总产值(千元)``); extra columns are reported and ignored, missing required ones
   are an error naming them; every money column needs a declared unit (header or ``unit=``);
3. **validate** types, codes (USCC check character, region, industry, HS, ISO3), periods, units,
   negative values, duplicates inside the file and references to existing records; every problem is
   one row of the error report (file, row, column, value, message in zh and en);
4. **apply** in one transaction: new records are inserted, changed values are updated and their old
   values kept in ``value_revision`` with the batch that wrote them, unchanged records are left alone.
   A file with any error loads nothing unless ``skip_invalid``, which loads exactly the valid rows.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd

from chainwatch.errors import InputError, UsageError, ValidationFailed
from chainwatch.i18n import t
from chainwatch.model.codes import SECTION_RANGES, USCC_CHARS, USCC_WEIGHTS, iso3_codes
from chainwatch.model.units import unit_factor
from chainwatch.store.db import Store
from chainwatch.store.kinds import BOOLS, KINDS, Column, Kind

ERROR_COLUMNS = ["file", "row", "column", "value", "message_zh", "message_en", "key"]


@dataclass
class ImportReport:
    """What an import did (or would do, on a dry run)."""

    kind: str
    file: str
    sha256: str
    rows_total: int = 0
    rows_accepted: int = 0
    rows_rejected: int = 0
    rows_inserted: int = 0
    rows_revised: int = 0
    rows_unchanged: int = 0
    batch_id: int | None = None
    dry_run: bool = False
    extra_columns: list[str] = field(default_factory=list)
    errors: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=ERROR_COLUMNS))

    def as_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in ("kind", "file", "sha256", "rows_total", "rows_accepted",
                                              "rows_rejected", "rows_inserted", "rows_revised",
                                              "rows_unchanged", "batch_id", "dry_run", "extra_columns")}


# --------------------------------------------------------------------------------------------
# reading
# --------------------------------------------------------------------------------------------
def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def detect_encoding(path: Path, sample: int = 1 << 20) -> str:
    """'utf-8' (with or without BOM) or 'gb18030' (a superset of GBK); else an InputError."""
    data = path.read_bytes()
    if data.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    try:
        data.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        data.decode("gb18030")
        return "gb18030"
    except UnicodeDecodeError:
        raise InputError("import.bad_encoding", file=path.name) from None


def _load_csv(store: Store, path: Path, encoding: str | None) -> list[str]:
    enc = (encoding or detect_encoding(path)).lower()
    src = path
    tmp: str | None = None
    if enc not in ("utf-8", "utf8", "utf-8-sig"):
        try:
            fd, tmp = tempfile.mkstemp(suffix=".csv")
            with open(path, encoding=enc, newline="") as fin, os.fdopen(fd, "w", encoding="utf-8", newline="") as fout:
                while chunk := fin.read(1 << 22):
                    fout.write(chunk)
        except (UnicodeDecodeError, LookupError) as exc:
            if tmp:
                os.unlink(tmp)
            raise InputError("import.bad_encoding", file=path.name) from exc
        src = Path(tmp)
    opts = ("all_varchar = true, header = true, auto_detect = true, normalize_names = false, null_padding = true, "
            "strict_mode = false")
    try:
        cols = [r[0] for r in store.con.execute(f"DESCRIBE SELECT * FROM read_csv(?, {opts})", [str(src)]).fetchall()]
        select = ", ".join(f'"{c}" AS "{c.lstrip(chr(0xFEFF))}"' for c in (c.replace('"', '""') for c in cols))
        # rows keep the file's order (DuckDB preserves insertion order), so rowid + 2 is the
        # spreadsheet row number (header = row 1) without a single-threaded window function
        store.con.execute(f"CREATE OR REPLACE TEMP TABLE _imp_raw AS SELECT {select} FROM read_csv(?, {opts})",
                          [str(src)]).fetchall()
        store.con.execute("CREATE OR REPLACE TEMP VIEW _imp_src AS SELECT rowid + 2 AS _row, * FROM _imp_raw").fetchall()
    except InputError:
        raise
    except Exception as exc:  # duckdb parse errors
        raise InputError("import.unreadable", file=path.name, detail=str(exc).splitlines()[0]) from exc
    finally:
        if tmp:
            os.unlink(tmp)
    cols = [c.lstrip("\ufeff") for c in cols]
    return cols


def _load_frame(store: Store, df: pd.DataFrame) -> list[str]:
    text = df.copy()
    for col in text.columns:
        if not (pd.api.types.is_numeric_dtype(text[col]) or pd.api.types.is_string_dtype(text[col])
                or pd.api.types.is_bool_dtype(text[col])):
            text[col] = text[col].astype("string")
    text.columns = [str(c) for c in text.columns]
    _drop_temp(store, ("_imp_src", "_imp_raw"))
    store.con.register("_imp_df", text)
    try:
        casts = ", ".join(f'CAST("{c}" AS VARCHAR) AS "{c}"' for c in text.columns)
        store.con.execute(f"CREATE OR REPLACE TEMP TABLE _imp_src AS SELECT row_number() OVER () + 1 AS _row, {casts} FROM _imp_df").fetchall()
    finally:
        store.con.unregister("_imp_df")
    return list(text.columns)


def _load_xlsx(store: Store, path: Path) -> list[str]:
    from openpyxl import load_workbook

    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:
        raise InputError("import.unreadable", file=path.name, detail=str(exc)) from exc
    ws = wb.worksheets[0]
    rows = ws.iter_rows(values_only=True)
    header = next(rows, None)
    if header is None:
        raise InputError("import.empty", file=path.name)
    names = [str(h).strip() if h is not None else f"column{i + 1}" for i, h in enumerate(header)]
    data: list[list[str | None]] = []
    for r in rows:
        if r is None or all(v is None or (isinstance(v, str) and not v.strip()) for v in r):
            data.append([None] * len(names))  # keep row numbering; dropped below
            continue
        vals: list[str | None] = []
        for v in list(r)[: len(names)] + [None] * (len(names) - len(r)):
            if v is None:
                vals.append(None)
            elif isinstance(v, datetime):
                vals.append(v.date().isoformat() if v.time() == datetime.min.time() else v.isoformat())
            elif isinstance(v, float) and v.is_integer() and abs(v) < 1e15:
                vals.append(str(int(v)))
            else:
                vals.append(str(v))
        data.append(vals)
    wb.close()
    frame = pd.DataFrame(data, columns=names, dtype="object")
    frame.index = range(2, len(frame) + 2)
    frame = frame.dropna(how="all")
    _drop_temp(store, ("_imp_src", "_imp_raw"))
    store.con.register("_imp_df", frame.reset_index(names="_row"))
    try:
        casts = ", ".join(f'CAST("{c}" AS VARCHAR) AS "{c}"' for c in names)
        store.con.execute(f"CREATE OR REPLACE TEMP TABLE _imp_src AS SELECT CAST(_row AS BIGINT) AS _row, {casts} FROM _imp_df").fetchall()
    finally:
        store.con.unregister("_imp_df")
    return names


# --------------------------------------------------------------------------------------------
# headers
# --------------------------------------------------------------------------------------------
_UNIT_RE = re.compile(r"^(.*?)\s*[\(（]\s*([^()（）]*)\s*[\)）]\s*$")


def _norm(label: str) -> str:
    return re.sub(r"[\s_\-]+", "", label.strip().lower())


def map_headers(kind: Kind, headers: list[str], file: str, unit: str | None) -> tuple[dict[str, str], dict[str, float], list[str]]:
    """Map raw headers to kind columns; return (column → raw header, money column → factor, extras)."""
    lookup: dict[str, str] = {}
    for col in kind.columns:
        for label in (col.name, col.zh, col.en, *col.aliases):
            lookup[_norm(label)] = col.name
    mapping: dict[str, str] = {}
    units: dict[str, str] = {}
    extras: list[str] = []
    for raw in headers:
        base, hdr_unit = raw, None
        m = _UNIT_RE.match(raw)
        if m and _norm(m.group(1)) in lookup:
            base, hdr_unit = m.group(1), m.group(2)
        name = lookup.get(_norm(base))
        if name is None:
            extras.append(raw)
            continue
        if name in mapping:
            raise InputError("import.duplicate_header", file=file, column=raw)
        mapping[name] = raw
        if hdr_unit:
            units[name] = hdr_unit
    missing = [c for c in kind.columns if c.required and c.name not in mapping]
    if missing:
        raise InputError("import.missing_columns", file=file,
                         columns=", ".join(f"{c.name} ({c.zh})" for c in missing))
    factors: dict[str, float] = {}
    for col in kind.columns:
        if col.type != "money" or col.name not in mapping:
            continue
        declared = units.get(col.name) or unit
        if not declared:
            raise InputError("import.no_unit", column=mapping[col.name])
        factors[col.name] = unit_factor(declared)
    return mapping, factors, extras


# --------------------------------------------------------------------------------------------
# validation
# --------------------------------------------------------------------------------------------
def _install_macros(store: Store) -> None:
    weights = "[" + ", ".join(str(w) for w in USCC_WEIGHTS) + "]"
    store.con.execute(f"""
        CREATE OR REPLACE TEMP MACRO uscc_check_char(s) AS
          substr('{USCC_CHARS}', CAST(((31 - (list_sum(list_transform(range(1, 18),
              lambda i: (instr('{USCC_CHARS}', substr(s, i, 1)) - 1) * {weights}[i])) % 31)) % 31) + 1 AS BIGINT), 1)
    """).fetchall()
    ranges = " ".join(f"WHEN TRY_CAST(x AS INTEGER) BETWEEN {lo} AND {hi} THEN '{sec}'"
                      for sec, lo, hi in SECTION_RANGES)
    store.con.execute(f"CREATE OR REPLACE TEMP MACRO section_of_division(x) AS CASE {ranges} END").fetchall()
    store.con.execute("CREATE OR REPLACE TEMP TABLE _iso3 AS SELECT unnest(?) AS code",
                      [sorted(iso3_codes())]).fetchall()


def _clean_expr(raw: str) -> str:
    return f"NULLIF(trim(\"{raw}\"), '')"


def _period_expr(v: str) -> str:
    # accept YYYY-MM, YYYY/MM, YYYYMM, YYYY年M月, YYYY-M
    return (f"CASE WHEN regexp_full_match({v}, '\\d{{4}}[-/.]\\d{{1,2}}') THEN "
            f"printf('%s-%02d', split_part(replace(replace({v}, '/', '-'), '.', '-'), '-', 1), "
            f"TRY_CAST(split_part(replace(replace({v}, '/', '-'), '.', '-'), '-', 2) AS INTEGER)) "
            f"WHEN regexp_full_match({v}, '\\d{{6}}') THEN substr({v}, 1, 4) || '-' || substr({v}, 5, 2) "
            f"WHEN regexp_full_match({v}, '\\d{{4}}年\\d{{1,2}}月') THEN printf('%s-%02d', substr({v}, 1, 4), "
            f"TRY_CAST(regexp_extract({v}, '年(\\d{{1,2}})月', 1) AS INTEGER)) ELSE NULL END")


def _num_expr(v: str) -> str:
    """Parse a number; thousands separators are accepted (the slower path runs only when needed)."""
    return (f"coalesce(TRY_CAST({v} AS DOUBLE), CASE WHEN contains({v}, ',') "
            f"THEN TRY_CAST(replace(trim({v}), ',', '') AS DOUBLE) END)")


def _typed_expr(col: Column, raw: str, factor: float | None, parsed: tuple[str, str] | None = None) -> tuple[str, str]:
    """(SQL giving the typed value or NULL, SQL giving an error key or NULL) for one column.

    ``parsed`` names already computed (cleaned text, parsed number) columns, so a number is parsed once.
    """
    v, num = parsed if parsed else (_clean_expr(raw), _num_expr(_clean_expr(raw)))
    ty = col.type
    blank = f"({v} IS NULL OR trim({v}) = '')" if parsed else f"{v} IS NULL"
    if ty in ("money", "float", "share", "int", "year"):
        checks = [f"WHEN isnan({num}) OR isinf({num}) THEN 'v.number'"]
        if ty in ("int", "year"):
            checks.append(f"WHEN {num} <> floor({num}) THEN '{'v.year' if ty == 'year' else 'v.integer'}'")
            typed = f"CAST({num} AS BIGINT)"
        else:
            if not factor or factor == 1.0:
                typed = num
            elif factor < 1:  # divide by the exact power of ten: x * 0.1 would add binary noise
                typed = f"round({num} / {round(1 / factor)}, 8)"
            else:
                typed = f"({num} * {factor!r})"
        if ty == "year":
            checks.append(f"WHEN {num} < 1900 OR {num} > 2100 THEN 'v.year'")
        if not col.negative_ok:
            checks.append(f"WHEN {num} < 0 THEN 'v.negative'")
        if ty == "share":
            checks.append(f"WHEN {num} > 1 THEN 'v.share'")
        if col.lo is not None:
            checks.append(f"WHEN {num} < {col.lo} THEN 'v.range'")
        if col.hi is not None:
            checks.append(f"WHEN {num} > {col.hi} THEN 'v.range'")
        bad = "v.year" if ty == "year" else "v.integer" if ty == "int" else "v.number"
        err = (f"CASE WHEN {num} IS NOT NULL THEN CASE {' '.join(checks)} END "
               f"WHEN {blank} THEN NULL ELSE '{bad}' END")
        if ty in ("int", "year"):
            typed = f"CASE WHEN {num} = floor({num}) AND NOT isinf({num}) THEN {typed} END"
        return typed, err
    if ty == "bool":
        low = f"lower({v})"
        typed = f"CASE WHEN {low} IN ('1','true','yes','y','是','t') THEN TRUE WHEN {low} IN ('0','false','no','n','否','f') THEN FALSE END"
        allowed = ", ".join(f"'{b}'" for b in BOOLS)
        return typed, f"CASE WHEN {v} IS NOT NULL AND {low} NOT IN ({allowed}) THEN 'v.bool' END"
    if ty == "date":
        d = f"TRY_CAST(replace(replace({v}, '/', '-'), '.', '-') AS DATE)"
        return d, f"CASE WHEN {v} IS NOT NULL AND {d} IS NULL THEN 'v.date' END"
    if ty == "period":
        p = _period_expr(v)
        ok = f"regexp_full_match({p}, '\\d{{4}}-(0[1-9]|1[0-2])')"
        return (f"CASE WHEN {ok} THEN {p} END",
                f"CASE WHEN {v} IS NOT NULL AND ({p} IS NULL OR NOT {ok}) THEN 'v.period' END")
    if ty == "uscc":
        u = f"upper({v})"
        return u, (f"CASE WHEN {v} IS NULL THEN NULL WHEN NOT regexp_full_match({u}, '[0-9A-HJ-NPQRTUWXY]{{18}}') "
                   f"THEN 'v.uscc_format' WHEN uscc_check_char({u}) <> substr({u}, 18, 1) THEN 'v.uscc_check' END")
    if ty == "region":
        return v, (f"CASE WHEN {v} IS NOT NULL AND NOT EXISTS (SELECT 1 FROM region r WHERE r.code = {v}) "
                   f"THEN 'v.region' END")
    if ty == "industry":
        code = f"regexp_extract(upper({v}), '^[A-T]?(\\d{{2,4}})$', 1)"
        return (f"NULLIF({code}, '')",
                f"CASE WHEN {v} IS NOT NULL AND (NULLIF({code}, '') IS NULL OR NOT EXISTS (SELECT 1 FROM industry i "
                f"WHERE i.level = 2 AND i.code = substr({code}, 1, 2))) THEN 'v.industry' END")
    if ty == "hs":
        code = f"replace(replace({v}, '.', ''), ' ', '')"
        return code, (f"CASE WHEN {v} IS NOT NULL AND (NOT regexp_full_match({code}, '\\d{{2}}|\\d{{4}}|\\d{{6}}|\\d{{8}}|\\d{{10}}') "
                      f"OR NOT EXISTS (SELECT 1 FROM hs_code h WHERE h.level = 2 AND h.code = substr({code}, 1, 2)) "
                      f"OR ((SELECT count(*) FROM hs_code WHERE level = 6) > 0 AND length({code}) >= 6 AND NOT EXISTS "
                      f"(SELECT 1 FROM hs_code h6 WHERE h6.level = 6 AND h6.code = substr({code}, 1, 6)))) THEN 'v.hs' END")
    if ty == "iso3":
        u = f"upper({v})"
        return u, f"CASE WHEN {v} IS NOT NULL AND {u} NOT IN (SELECT code FROM _iso3) THEN 'v.iso3' END"
    if ty == "enum":
        allowed = ", ".join(f"'{e}'" for e in col.enum)
        translated = {"上游": "upstream", "中游": "midstream", "下游": "downstream", "进口": "import", "出口": "export",
                      "正常": "valid", "蓝字": "valid", "红字": "red", "红冲": "red", "负数": "red", "作废": "void"}
        cases = " ".join(f"WHEN {v} = '{k}' THEN '{val}'" for k, val in translated.items() if k in col.enum)
        typed = f"CASE {cases} ELSE {v} END" if cases else v
        return typed, f"CASE WHEN {v} IS NOT NULL AND {v} NOT IN ({allowed}) THEN 'v.enum' END"
    return v, "NULL"


LOOKUP_TYPES = frozenset({"uscc", "period", "region", "industry", "hs", "iso3", "enum", "date", "bool", "year"})


def _validate(store: Store, kind: Kind, mapping: dict[str, str], factors: dict[str, float]) -> None:
    """Build _imp_stage (typed values + _row) and _imp_err (row, column, value, key, params).

    Code-like columns (USCC, period, region …) repeat few distinct values over many rows: they are
    checked once per distinct value in a small lookup table and joined back; numbers are checked per row.
    """
    typed_cols, err_cols, joins, pre, lk_cols = [], [], [], [], []
    for i, col in enumerate(kind.columns):
        if col.name not in mapping:
            continue
        raw = mapping[col.name]
        if col.type in LOOKUP_TYPES:
            typed, err = _typed_expr(col, "raw", factors.get(col.name))
            if col.required:
                err = f"CASE WHEN {_clean_expr('raw')} IS NULL THEN 'v.required' ELSE {err} END"
            store.con.execute(
                f'CREATE OR REPLACE TEMP TABLE _imp_lk{i} AS SELECT raw, {typed} AS t, {err} AS e '
                f'FROM (SELECT DISTINCT "{raw}" AS raw FROM _imp_src)').fetchall()
            joins.append(f'LEFT JOIN _imp_lk{i} ON _imp_lk{i}.raw IS NOT DISTINCT FROM src."{raw}"')
            lk_cols += [f'_imp_lk{i}.t AS "t__{i}"', f'_imp_lk{i}.e AS "x__{i}"']
            typed_cols.append(f'"t__{i}" AS "{col.name}"')
            err_cols.append(f'"x__{i}" AS "e__{col.name}"')
            continue
        if col.type in ("money", "float", "share", "int"):
            pre.append(f'src."{raw}" AS "c__{i}"')
            pre.append(f'{_num_expr(f"src.{chr(34)}{raw}{chr(34)}")} AS "n__{i}"')
            typed, err = _typed_expr(col, raw, factors.get(col.name), parsed=(f'"c__{i}"', f'"n__{i}"'))
            missing = f"\"n__{i}\" IS NULL AND (\"c__{i}\" IS NULL OR trim(\"c__{i}\") = '')"
        else:
            pre.append(f'{_clean_expr(raw)} AS "c__{i}"')
            typed, err = _typed_expr(col, f"c__{i}", factors.get(col.name), parsed=(f'"c__{i}"', "NULL"))
            missing = f'"c__{i}" IS NULL'
        if col.required:
            err = f"CASE WHEN {missing} THEN 'v.required' ELSE {err} END"
        typed_cols.append(f"{typed} AS \"{col.name}\"")
        err_cols.append(f"{err} AS \"e__{col.name}\"")
    inner = ", ".join(["src._row", *pre, *lk_cols])
    store.con.execute(
        f"CREATE OR REPLACE TEMP TABLE _imp_stage AS SELECT _row, {', '.join(typed_cols)}, {', '.join(err_cols)} "
        f"FROM (SELECT {inner} FROM _imp_src src {' '.join(joins)})"
    ).fetchall()
    for i in range(len(kind.columns)):
        store.con.execute(f"DROP TABLE IF EXISTS _imp_lk{i}").fetchall()
    unions = []
    for col in kind.columns:
        if col.name not in mapping:
            continue
        raw = mapping[col.name].replace("'", "''")
        params = "'{}'"
        if col.type == "enum":
            params = "'" + json.dumps({"allowed": ", ".join(col.enum)}, ensure_ascii=False).replace("'", "''") + "'"
        elif col.lo is not None or col.hi is not None:
            params = "'" + json.dumps({"lo": col.lo if col.lo is not None else "", "hi": col.hi if col.hi is not None else ""}) + "'"
        unions.append(
            f"SELECT s._row, '{raw}' AS col, CAST(src.\"{mapping[col.name]}\" AS VARCHAR) AS value, s.\"e__{col.name}\" AS key, "
            f"{params} AS params FROM _imp_stage s JOIN _imp_src src USING (_row) WHERE s.\"e__{col.name}\" IS NOT NULL")
    store.con.execute("CREATE OR REPLACE TEMP TABLE _imp_err (_row BIGINT, col VARCHAR, value VARCHAR, key VARCHAR, params VARCHAR)").fetchall()
    if unions:
        store.con.execute("INSERT INTO _imp_err " + " UNION ALL ".join(unions)).fetchall()
    staged = _stage_columns(store, kind, mapping)
    _check_rows(store, kind, {**mapping, **{c: c for c in staged}})


def _stage_columns(store: Store, kind: Kind, mapping: dict[str, str]) -> list[str]:
    """Add the kind's staged columns (keys not in the file, defaults) to _imp_stage; return their names."""
    if kind.staged is None:
        return []
    exprs = kind.staged(set(mapping))
    for name, expr in exprs.items():
        store.con.execute(f'ALTER TABLE _imp_stage ADD COLUMN "{name}" VARCHAR').fetchall()
        store.con.execute(f'UPDATE _imp_stage SET "{name}" = {expr}').fetchall()
    return list(exprs)


def _err_insert(store: Store, select_sql: str) -> None:
    store.con.execute(f"INSERT INTO _imp_err {select_sql}").fetchall()


def _check_rows(store: Store, kind: Kind, mapping: dict[str, str]) -> None:
    """Duplicates within the file, references and cross-column rules (only on otherwise-valid cells)."""
    key_cols = [k for k in kind.key if k in mapping]
    if key_cols:
        keys = ", ".join(f'"{k}"' for k in key_cols)
        key_concat = " || '|' || ".join(f"coalesce(CAST(s.\"{k}\" AS VARCHAR), '')" for k in key_cols)
        match = " AND ".join(f's."{k}" IS NOT DISTINCT FROM d."{k}"' for k in key_cols)
        shown = mapping[key_cols[0]].replace("'", "''")
        if kind.staged is not None and key_cols[0] not in {c.name for c in kind.columns}:
            shown = next(mapping[c.name] for c in kind.columns if c.name in mapping).replace("'", "''")
        _err_insert(store, f"""
            SELECT s._row, '{shown}', {key_concat}, 'v.duplicate', json_object('first', d.first_row, 'key', {key_concat})::VARCHAR
            FROM _imp_stage s JOIN (SELECT {keys}, min(_row) AS first_row FROM _imp_stage GROUP BY {keys} HAVING count(*) > 1) d
              ON {match}
            WHERE s._row <> d.first_row""")
    for ref in kind.refs:
        if ref.column not in mapping:
            continue
        shown = mapping[ref.column].replace("'", "''")
        # a reference may also be satisfied by a row of the same file (e.g. chain file defining its segments)
        same_file = f" OR s.\"{ref.column}\" IN (SELECT \"{ref.target}\" FROM _imp_stage)" if ref.table == kind.table else ""
        _err_insert(store, f"""
            SELECT s._row, '{shown}', s."{ref.column}", '{ref.message}', '{{}}' FROM _imp_stage s
            WHERE s."{ref.column}" IS NOT NULL AND s."e__{ref.column}" IS NULL
              AND NOT EXISTS (SELECT 1 FROM {ref.table} r WHERE r."{ref.target}" = s."{ref.column}"){same_file}""")
    if kind.name == "title" and "valid_to" in mapping:
        _err_insert(store, f"""SELECT _row, '{mapping["valid_to"]}', CAST(valid_to AS VARCHAR), 'v.date_order', '{{}}'
            FROM _imp_stage WHERE valid_to < valid_from""")
    if kind.name == "supply_link":
        sup = mapping.get("supplier_uscc", mapping["buyer_uscc"])
        has_name = '"supplier_name" IS NOT NULL' if "supplier_name" in mapping else "FALSE"
        has_uscc = '"supplier_uscc" IS NOT NULL' if "supplier_uscc" in mapping else "FALSE"
        _err_insert(store, f"""SELECT _row, '{sup}', NULL, 'v.supplier_missing', '{{}}' FROM _imp_stage
            WHERE NOT ({has_uscc}) AND NOT ({has_name})""")
        if "supplier_uscc" in mapping:
            _err_insert(store, f"""SELECT _row, '{sup}', supplier_uscc, 'v.self_link', '{{}}' FROM _imp_stage
                WHERE supplier_uscc = buyer_uscc""")
    if kind.name == "invoice":
        _invoice_checks(store, mapping)
    if kind.name == "trade_flow":
        has_uscc = '"uscc" IS NOT NULL' if "uscc" in mapping else "FALSE"
        has_region = '"region" IS NOT NULL' if "region" in mapping else "FALSE"
        _err_insert(store, f"""SELECT _row, '{mapping["partner"]}', NULL, 'v.required', '{{}}' FROM _imp_stage
            WHERE NOT ({has_uscc}) AND NOT ({has_region})""")
    if kind.name == "segment_edge":
        _err_insert(store, f"""SELECT e._row, '{mapping["from_segment"]}', e.from_segment, 'v.edge_chain', '{{}}'
            FROM _imp_stage e JOIN segment a ON a.segment_id = e.from_segment JOIN segment b ON b.segment_id = e.to_segment
            WHERE a.chain_id <> e.chain_id OR b.chain_id <> e.chain_id""")


def _invoice_checks(store: Store, mapping: dict[str, str]) -> None:
    """Invoice rules: code formats, a product code, signs by status, tax at most 17 % of the amount."""
    def q(col: str) -> str:
        return mapping[col].replace("'", "''")

    ok = "TRUE"  # an invalid cell is NULL after typing, so rules on it never fire twice
    if "tax_code" in mapping:
        _err_insert(store, rf"""SELECT _row, '{q("tax_code")}', tax_code, 'v.invoice_tax_code', '{{}}' FROM _imp_stage
            WHERE tax_code IS NOT NULL AND NOT regexp_full_match(tax_code, '[1-6]\d{{18}}')""")
    if "invoice_code" in mapping:
        _err_insert(store, rf"""SELECT _row, '{q("invoice_code")}', invoice_code, 'v.invoice_code', '{{}}' FROM _imp_stage
            WHERE invoice_code IS NOT NULL AND NOT regexp_full_match(invoice_code, '\d{{10}}|\d{{12}}')""")
    if "invoice_number" in mapping:
        _err_insert(store, rf"""SELECT _row, '{q("invoice_number")}', invoice_number, 'v.invoice_number', '{{}}'
            FROM _imp_stage WHERE invoice_number IS NOT NULL AND NOT regexp_full_match(invoice_number, '\d{{8}}|\d{{20}}')""")
    has_tax = "tax_code" in mapping
    has_hs = "hs_code" in mapping
    if not has_tax and not has_hs:
        _err_insert(store, f"""SELECT _row, '{q("seller_uscc")}', NULL, 'v.invoice_product', '{{}}' FROM _imp_stage""")
    else:
        cond = " AND ".join(f"{c} IS NULL" for c, h in (("tax_code", has_tax), ("hs_code", has_hs)) if h)
        shown = q("tax_code") if has_tax else q("hs_code")
        _err_insert(store, f"""SELECT _row, '{shown}', NULL, 'v.invoice_product', '{{}}' FROM _imp_stage
            WHERE {cond} AND {ok}""")
    def raw(col: str) -> str:
        return f'CAST(src."{q(col)}" AS VARCHAR)'

    joined = "FROM _imp_stage s JOIN _imp_src src USING (_row)"
    _err_insert(store, f"""SELECT _row, '{q("amount")}', {raw("amount")}, 'v.invoice_negative', '{{}}'
        {joined} WHERE s.status = 'valid' AND s.amount < 0 AND {ok}""")
    if "tax_amount" in mapping:
        _err_insert(store, f"""SELECT _row, '{q("tax_amount")}', {raw("tax_amount")}, 'v.invoice_sign', '{{}}'
            {joined} WHERE s.amount * s.tax_amount < 0 AND {ok}""")
        _err_insert(store, f"""SELECT _row, '{q("tax_amount")}', {raw("tax_amount")}, 'v.invoice_tax', '{{}}'
            {joined} WHERE abs(s.tax_amount) > abs(s.amount) * 0.17 + 0.000001 AND s.amount * s.tax_amount >= 0
            AND {ok}""")


def _cycle_errors(store: Store, kind: Kind, mapping: dict[str, str]) -> None:
    if kind.name != "segment_edge":
        return
    import networkx as nx

    edges = store.rows("SELECT from_segment, to_segment FROM segment_edge")
    new = store.rows("SELECT _row, from_segment, to_segment FROM _imp_stage WHERE _row NOT IN (SELECT _row FROM _imp_err)")
    g = nx.DiGraph(edges)
    for row, a, b in new:
        g.add_edge(a, b)
        try:
            cycle = nx.find_cycle(g, a)
        except nx.NetworkXNoCycle:
            continue
        g.remove_edge(a, b)
        text = " → ".join([cycle[0][0], *[c[1] for c in cycle]])
        store.execute("INSERT INTO _imp_err VALUES (?, ?, ?, 'v.cycle', ?)",
                      [row, mapping["to_segment"], f"{a}→{b}", json.dumps({"cycle": text}, ensure_ascii=False)])


def _error_frame(store: Store, file: str) -> pd.DataFrame:
    df = store.df("SELECT _row, col, value, key, params FROM _imp_err ORDER BY _row, col")
    if df.empty:
        return pd.DataFrame(columns=ERROR_COLUMNS)
    msgs_zh, msgs_en = [], []
    for key, params in zip(df["key"], df["params"], strict=True):
        p = json.loads(params) if params else {}
        msgs_zh.append(t(key, "zh", **p))
        msgs_en.append(t(key, "en", **p))
    return pd.DataFrame({"file": file, "row": df["_row"].astype(int), "column": df["col"], "value": df["value"],
                         "message_zh": msgs_zh, "message_en": msgs_en, "key": df["key"]})


# --------------------------------------------------------------------------------------------
# applying
# --------------------------------------------------------------------------------------------
def _apply(store: Store, kind: Kind, mapping: dict[str, str], report: ImportReport, actor: str,
           source_unit: str | None, target: Store | None = None) -> None:
    """Write the valid rows in one transaction holding the import lock.

    ``store`` holds the staged rows (``_imp_stage``, ``_imp_err``); ``target`` is the database written
    to — the same DuckDB store, or a PostgreSQL store that receives the valid rows by ``COPY`` into a
    temporary table first (see :mod:`chainwatch.store.validator`).
    """
    target = target or store
    names = {c.name for c in kind.columns}
    present = [c.name for c in kind.columns if c.name in mapping] + [c for c in mapping if c not in names]
    derived = {k: v for k, v in kind.derived.items()}
    keys = list(kind.key)
    missing_keys = [k for k in keys if k not in present]  # optional key absent from the file (trade_flow)
    select = ", ".join([f'"{c}"' for c in present] + [f"{expr} AS \"{name}\"" for name, expr in derived.items()]
                       + [f'CAST(NULL AS VARCHAR) AS "{k}"' for k in missing_keys])
    where = "WHERE _row NOT IN (SELECT _row FROM _imp_err)" if report.rows_rejected else ""
    store.con.execute("DROP VIEW IF EXISTS _imp_valid").fetchall()
    store.con.execute(f"CREATE TEMP VIEW _imp_valid AS SELECT {select} FROM _imp_stage {where}").fetchall()
    value_cols = [c for c in present + list(derived) if c not in keys]
    join = " AND ".join(_key_match(k, kind) for k in keys)
    key_text = " || '|' || ".join(f"coalesce(CAST(s.\"{k}\" AS VARCHAR), '')" for k in keys)
    now = datetime.now()
    tbl = kind.table
    with target.import_lock() as db:
        if db is not store:
            from chainwatch.store.validator import ship_valid_rows

            ship_valid_rows(store, db)
        batch_id = int(db.scalar("SELECT coalesce(max(batch_id), 0) + 1 FROM import_batch"))
        db.execute("DROP TABLE IF EXISTS _imp_changed")
        if value_cols:
            changed_any = " OR ".join(f"(s.\"{c}\" IS NOT NULL AND {_differs(c, kind)})" for c in value_cols)
            db.execute(f"""CREATE TEMP TABLE _imp_changed AS SELECT s.* FROM _imp_valid s JOIN {tbl} t ON {join}
                           WHERE {changed_any}""")
        else:
            db.execute("CREATE TEMP TABLE _imp_changed AS SELECT * FROM _imp_valid WHERE FALSE")
        n_existing = int(db.scalar(f"SELECT count(*) FROM _imp_valid s WHERE EXISTS (SELECT 1 FROM {tbl} t WHERE {join})"))
        n_changed = int(db.scalar("SELECT count(*) FROM _imp_changed"))
        n_valid = int(db.scalar("SELECT count(*) FROM _imp_valid"))
        for c in value_cols:
            db.execute(f"""INSERT INTO value_revision SELECT CAST(? AS VARCHAR), {key_text}, CAST(? AS VARCHAR),
                           CAST(t."{c}" AS VARCHAR), CAST(s."{c}" AS VARCHAR), t.batch_id, ?, ?
                           FROM _imp_changed s JOIN {tbl} t ON {join}
                           WHERE s."{c}" IS NOT NULL AND {_differs(c, kind)} """,
                       [kind.name, c, batch_id, now])
        if n_changed:
            sets = ", ".join(f'"{c}" = coalesce(s."{c}", t."{c}")' for c in value_cols)
            db.execute(f"UPDATE {tbl} AS t SET {sets}, batch_id = ? FROM _imp_changed s WHERE {join}", [batch_id])
        cols = present + list(derived) + missing_keys
        col_list = ", ".join(f'"{c}"' for c in cols)
        db.execute(f"""INSERT INTO {tbl} ({col_list}, batch_id) SELECT {', '.join(f's."{c}"' for c in cols)}, ?
                       FROM _imp_valid s WHERE NOT EXISTS (SELECT 1 FROM {tbl} t WHERE {join})""", [batch_id])
        report.rows_inserted = n_valid - n_existing
        report.rows_revised = n_changed
        report.rows_unchanged = n_existing - n_changed
        report.batch_id = batch_id
        db.execute("INSERT INTO import_batch VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                   [batch_id, kind.name, report.file, report.sha256, now, actor, source_unit, report.rows_total,
                    report.rows_accepted, report.rows_rejected, report.rows_inserted, report.rows_revised,
                    report.rows_unchanged])
        db.execute("INSERT INTO audit_log VALUES (?, ?, 'import', ?, ?)",
                   [now, actor, f"{kind.name}:{report.file}", json.dumps(report.as_dict(), ensure_ascii=False)])
        db.execute("DROP TABLE IF EXISTS _imp_changed")


def _key_match(key: str, kind: Kind) -> str:
    """SQL matching a stored row's key column to the file's: ``=`` (hash-joinable on every engine)
    for required keys, a NULL-safe match on text for optional ones (trade_flow's uscc / region)."""
    col = next((c for c in kind.columns if c.name == key), None)
    if col is not None and col.required:
        return f't."{key}" = s."{key}"'
    return f"coalesce(CAST(t.\"{key}\" AS VARCHAR), '\x01') = coalesce(CAST(s.\"{key}\" AS VARCHAR), '\x01')"


def _differs(column: str, kind: Kind) -> str:
    """SQL: the file's value differs from the stored one (numbers within 1e-9 relative count as equal)."""
    t, s = f't."{column}"', f's."{column}"'
    col = next((c for c in kind.columns if c.name == column), None)
    if col is not None and col.type in ("money", "float", "share"):
        return (f"({t} IS NULL OR abs({t} - {s}) > 1e-9 * greatest(abs({t}), abs({s}), 1e-6))")
    return f"{t} IS DISTINCT FROM {s}"


def _run(store: Store, kind_name: str, loader: Any, *, file: str, sha256: str, unit: str | None, actor: str,
         skip_invalid: bool, dry_run: bool, target: Store | None = None) -> ImportReport:
    """Stage, validate and apply one file; ``loader(store)`` reads it into ``_imp_src``.

    On a server database (PostgreSQL) the same bulk validation runs in an in-process DuckDB holding
    copies of the reference tables, and only the valid rows travel to the server (``target``).
    """
    kind = get_kind(kind_name)
    if store.backend != "duckdb":
        from chainwatch.store.validator import validator_for

        with validator_for(store, kind) as local:
            return _run(local, kind_name, loader, file=file, sha256=sha256, unit=unit, actor=actor,
                        skip_invalid=skip_invalid, dry_run=dry_run, target=store)
    report = ImportReport(kind=kind.name, file=file, sha256=sha256, dry_run=dry_run)
    with store._lock:
        try:
            headers = loader(store)
            report.rows_total = int(store.scalar("SELECT count(*) FROM _imp_src"))
            if report.rows_total == 0:
                raise InputError("import.empty", file=file)
            mapping, factors, extras = map_headers(kind, headers, file, unit)
            report.extra_columns = extras
            _install_macros(store)
            _validate(store, kind, mapping, factors)
            _cycle_errors(store, kind, mapping)
            if kind.staged is not None:
                mapping = {**mapping, **{c: c for c in kind.staged(set(mapping))}}
            report.errors = _error_frame(store, file)
            bad = int(store.scalar("SELECT count(DISTINCT _row) FROM _imp_err"))
            report.rows_rejected = bad
            report.rows_accepted = report.rows_total - bad
            if bad and not skip_invalid:
                exc = ValidationFailed("import.failed", errors=report.errors, file=file, n=len(report.errors))
                exc.report = report  # type: ignore[attr-defined]
                raise exc
            if not dry_run and report.rows_accepted:
                _apply(store, kind, mapping, report, actor, unit, target)
            return report
        finally:
            _drop_temp(store, ("_imp_valid", "_imp_src", "_imp_raw", "_imp_stage", "_imp_err", "_imp_changed"))


def _drop_temp(store: Store, names: tuple[str, ...]) -> None:
    """Drop the pipeline's temporary tables and views (views first: they depend on tables)."""
    found = dict(store.con.execute(
        "SELECT table_name, table_type FROM information_schema.tables WHERE table_name IN "
        f"({', '.join('?' for _ in names)})", list(names)).fetchall())
    for name in sorted(found, key=lambda n: found[n] != "VIEW"):
        kind = "VIEW" if found[name] == "VIEW" else "TABLE"
        store.con.execute(f"DROP {kind} IF EXISTS {name}").fetchall()


def get_kind(name: str) -> Kind:
    if name not in KINDS:
        raise UsageError("import.unknown_kind", kind=name, allowed=", ".join(KINDS))
    return KINDS[name]


def import_file(store: Store, path: str | Path, kind: str, *, encoding: str | None = None, unit: str | None = None,
                actor: str = "cli", skip_invalid: bool = False, dry_run: bool = False) -> ImportReport:
    """Validate and import one CSV or XLSX file (see the module docstring)."""
    get_kind(kind)
    p = Path(path)
    if not p.is_file():
        raise InputError("import.file_missing", file=str(path))
    suffix = p.suffix.lower()
    if suffix in (".csv", ".txt", ".tsv"):
        loader = lambda s: _load_csv(s, p, encoding)  # noqa: E731
    elif suffix in (".xlsx", ".xlsm"):
        loader = lambda s: _load_xlsx(s, p)  # noqa: E731
    else:
        raise InputError("import.bad_format", file=p.name)
    return _run(store, kind, loader, file=p.name, sha256=file_sha256(p), unit=unit, actor=actor,
                skip_invalid=skip_invalid, dry_run=dry_run)


def import_frame(store: Store, kind: str, df: pd.DataFrame, *, source_name: str, unit: str | None = "万元",
                 actor: str = "api", skip_invalid: bool = False, dry_run: bool = False) -> ImportReport:
    """Validate and import a DataFrame whose columns are the kind's names or labels."""
    sha = hashlib.sha256(pd.util.hash_pandas_object(df, index=False).values.tobytes()).hexdigest()
    return _run(store, kind, lambda s: _load_frame(s, df), file=source_name, sha256=sha, unit=unit, actor=actor,
                skip_invalid=skip_invalid, dry_run=dry_run)


def write_errors(errors: pd.DataFrame, path: str | Path) -> Path:
    """Write an error report as CSV (UTF-8 with BOM, opens in Excel) or XLSX; cells formula-safe."""
    from chainwatch import sheets

    p = Path(path)
    if p.suffix.lower() == ".xlsx":
        sheets.write_xlsx(p, {"errors": errors})
    else:
        sheets.to_csv(errors, p)
    return p
