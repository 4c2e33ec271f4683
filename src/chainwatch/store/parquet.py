"""The store as Parquet: export every table with a manifest, and load an export into an empty database.

Layout of an export directory::

    manifest.json                        format, schema version, migrations, tables, files, checksums
    enterprise/part-0.parquet            one file per table ...
    monthly_value/year=2021/part-11.parquet   ... or, for monthly tables, Hive partitions by year
                                         with one file per month (the ``year`` column lives in the path)

Spark (``spark.read.parquet(dir/table)``), DuckDB (``read_parquet(..., hive_partitioning=true)``) and
pyarrow read it as it is. Tables are read and written only through the :class:`Store` methods
(``df``, ``insert_df``, ``transaction`` …), so an export can be taken from, and loaded into, any
store backend; pyarrow writes and reads the files.

Loading (:func:`import_parquet`) checks the whole export before it writes anything: the manifest's
format, the schema version and migrations against this chainwatch, every file's presence, SHA-256 and
row count, the columns of every table, no stray files; then it loads every table in one transaction.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Iterable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from chainwatch.errors import InputError, UsageError
from chainwatch.store.db import Store, migrations

FORMAT = "chainwatch-parquet"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
# tables written as Hive partitions year=YYYY (one file per month when the table has a month column)
PARTITIONED = {"monthly_value": "year", "trade_flow": "year", "invoice": "year"}
# never exported unless named: the migration record (it is the manifest), live web sessions and the
# web secret (copying them would let a copy accept the original's logins)
NOT_DEFAULT = ("schema_migration", "web_session", "web_setting")

_ARROW = {"INTEGER": pa.int32(), "BIGINT": pa.int64(), "DOUBLE": pa.float64(), "VARCHAR": pa.string(),
          "BOOLEAN": pa.bool_(), "DATE": pa.date32(), "TIMESTAMP": pa.timestamp("us"), "SMALLINT": pa.int16(),
          "FLOAT": pa.float32(), "REAL": pa.float32(), "HUGEINT": pa.float64()}
_PG_TYPES = {"integer": "INTEGER", "bigint": "BIGINT", "double precision": "DOUBLE", "character varying": "VARCHAR",
             "text": "VARCHAR", "boolean": "BOOLEAN", "date": "DATE", "timestamp without time zone": "TIMESTAMP",
             "smallint": "SMALLINT", "real": "FLOAT"}
_PANDAS = {pa.int32(): pd.Int32Dtype(), pa.int64(): pd.Int64Dtype(), pa.int16(): pd.Int16Dtype(),
           pa.bool_(): pd.BooleanDtype()}


# --------------------------------------------------------------------------------------------
# catalogue of the store
# --------------------------------------------------------------------------------------------
def list_tables(store: Store) -> list[str]:
    """Every base table of the store's schema, sorted."""
    rows = store.rows("SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() "
                      "AND table_catalog = current_database() AND table_type = 'BASE TABLE' ORDER BY table_name")
    return [str(r[0]) for r in rows]


def table_columns(store: Store, table: str) -> list[tuple[str, str]]:
    """``(column, type)`` of a table in declaration order; types in the portable spelling (VARCHAR …)."""
    rows = store.rows("SELECT column_name, data_type FROM information_schema.columns WHERE table_name = ? "
                      "AND table_schema = current_schema() AND table_catalog = current_database() "
                      "ORDER BY ordinal_position", [table])
    out = []
    for name, ty in rows:
        ty = str(ty)
        out.append((str(name), _PG_TYPES.get(ty.lower(), ty.upper())))
    return out


def _arrow_type(ty: str) -> pa.DataType | None:
    return _ARROW.get(ty.split("(")[0].strip().upper())


def _sequences(store: Store) -> dict[str, int]:
    """Last value handed out by each sequence (0 for an unused one)."""
    if store.backend == "postgresql":
        rows = store.rows("SELECT sequencename, coalesce(last_value, 0) FROM pg_sequences "
                          "WHERE schemaname = current_schema()")
    else:
        rows = store.rows("SELECT sequence_name, coalesce(last_value, 0) FROM duckdb_sequences() "
                          "WHERE NOT temporary AND schema_name = current_schema()")
    return {str(n): int(v or 0) for n, v in rows}


def _advance_sequence(store: Store, name: str, value: int) -> None:
    """Make the sequence hand out values above ``value`` (it is new, so at its start)."""
    if value <= 0:
        return
    if store.backend == "postgresql":
        store.scalar("SELECT setval(?, ?)", [name, value])
    else:  # DuckDB has no setval: draw the values once
        current = _sequences(store).get(name, 0)
        if value > current:
            store.scalar(f"SELECT max(nextval('{name}')) FROM range(?)", [value - current])


# --------------------------------------------------------------------------------------------
# export
# --------------------------------------------------------------------------------------------
def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _choose_tables(store: Store, tables: Sequence[str] | None) -> list[str]:
    have = list_tables(store)
    if not tables:
        return [t for t in have if t not in NOT_DEFAULT]
    unknown = [t for t in tables if t not in have]
    if unknown:
        raise UsageError("parquet.unknown_table", table=", ".join(unknown), allowed=", ".join(have))
    return list(dict.fromkeys(tables))


def _write(frame: pd.DataFrame, schema: pa.Schema, path: Path) -> dict[str, Any]:
    path.parent.mkdir(parents=True, exist_ok=True)
    table = pa.Table.from_pandas(frame, schema=schema, preserve_index=False)
    pq.write_table(table, path, compression="zstd")
    return {"rows": table.num_rows, "bytes": path.stat().st_size, "sha256": file_sha256(path)}


def export_parquet(store: Store, directory: str | Path, tables: Sequence[str] | None = None, *,
                   overwrite: bool = False) -> dict[str, Any]:
    """Write ``tables`` (default: every table but :data:`NOT_DEFAULT`) as Parquet; return the manifest."""
    out = Path(directory)
    chosen = _choose_tables(store, tables)
    if out.exists() and any(out.iterdir()):
        if not overwrite or not (out / MANIFEST).is_file():
            raise InputError("parquet.dir_not_empty", path=str(out))
        _remove_export(out)
    out.mkdir(parents=True, exist_ok=True)
    manifest: dict[str, Any] = {
        "format": FORMAT, "format_version": FORMAT_VERSION, "chainwatch_version": _version(),
        "schema_version": store.schema_version(),
        "migrations": [f"{n:03d}_{name}" for n, name in store.rows("SELECT number, name FROM schema_migration "
                                                                    "ORDER BY number")],
        "created_at": datetime.now().isoformat(timespec="seconds"), "source": store.display_name,
        "backend": store.backend, "tables": {}, "sequences": _sequences(store),
    }
    for table in chosen:
        manifest["tables"][table] = _export_table(store, out, table)
    tmp = out / (MANIFEST + ".tmp")
    tmp.write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
    os.replace(tmp, out / MANIFEST)   # the manifest appears last: a half-written export has none
    return manifest


def _export_table(store: Store, out: Path, table: str) -> dict[str, Any]:
    cols = table_columns(store, table)
    names = [c for c, _ in cols]
    part = PARTITIONED.get(table) if PARTITIONED.get(table) in names else None
    file_cols = [c for c in names if c != part]
    schema = pa.schema([(c, _arrow_type(ty) or pa.string()) for c, ty in cols if c != part])
    select = ", ".join(f'"{c}"' for c in file_cols)
    files: list[dict[str, Any]] = []
    if part is None:
        frame = store.df(f"SELECT {select} FROM {table}")
        rel = f"{table}/part-0.parquet"
        files.append({"path": rel, **_write(frame, schema, out / rel)})
    else:
        by_month = "month" in names
        keys = store.rows(f"SELECT DISTINCT {part}{', month' if by_month else ''} FROM {table} ORDER BY 1"
                          + (", 2" if by_month else ""))
        for key in keys:
            year = key[0]
            if year is None:
                raise InputError("parquet.null_partition", table=table, column=part)
            where, params = f"{part} = ?", [year]
            if by_month:
                where += " AND month IS NOT DISTINCT FROM ?"
                params.append(key[1])
            frame = store.df(f"SELECT {select} FROM {table} WHERE {where}", params)
            name = f"part-{int(key[1]):02d}" if by_month and key[1] is not None else "part-0"
            rel = f"{table}/{part}={int(year)}/{name}.parquet"
            files.append({"path": rel, "partition": {part: int(year)}, **_write(frame, schema, out / rel)})
    n = sum(f["rows"] for f in files)
    expected = int(store.scalar(f"SELECT count(*) FROM {table}"))
    if n != expected:  # rows changed under the export (another writer): say so instead of a silent gap
        raise InputError("parquet.changed", table=table, expected=expected, written=n)
    return {"rows": n, "partition_by": part, "columns": [{"name": c, "type": ty} for c, ty in cols], "files": files}


def _remove_export(out: Path) -> None:
    """Remove a previous export (only what its manifest lists, then empty folders)."""
    try:
        old = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise InputError("parquet.dir_not_empty", path=str(out)) from None
    for table in old.get("tables", {}):
        target = (out / table).resolve()
        if target.parent == out.resolve() and target.is_dir():
            shutil.rmtree(target)
    (out / MANIFEST).unlink()


def _version() -> str:
    import chainwatch

    return chainwatch.__version__


# --------------------------------------------------------------------------------------------
# checks
# --------------------------------------------------------------------------------------------
def read_manifest(directory: str | Path) -> dict[str, Any]:
    """The manifest of an export; InputError when it is missing or not a chainwatch export."""
    path = Path(directory) / MANIFEST
    if not Path(directory).is_dir():
        raise InputError("parquet.dir_missing", path=str(directory))
    if not path.is_file():
        raise InputError("parquet.no_manifest", path=str(directory))
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError("parquet.bad_manifest", path=str(path), detail=str(exc)) from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT or not isinstance(manifest.get("tables"), dict):
        raise InputError("parquet.bad_manifest", path=str(path), detail=f"format is not {FORMAT}")
    if int(manifest.get("format_version", 0)) > FORMAT_VERSION:
        raise InputError("parquet.bad_manifest", path=str(path),
                         detail=f"format_version {manifest.get('format_version')} > {FORMAT_VERSION}")
    return manifest


def verify_export(directory: str | Path, manifest: dict[str, Any] | None = None, *,
                  tables: Iterable[str] | None = None) -> dict[str, Any]:
    """Check every file of an export against its manifest (presence, SHA-256, rows); no stray files."""
    root = Path(directory)
    manifest = manifest or read_manifest(root)
    names = list(tables) if tables is not None else list(manifest["tables"])
    for table in names:
        entry = manifest["tables"].get(table)
        if entry is None:
            raise InputError("parquet.table_not_in_export", table=table)
        listed = set()
        total = 0
        for f in entry.get("files", []):
            path = root / f["path"]
            listed.add(path.resolve())
            if not path.is_file():
                raise InputError("parquet.file_missing", file=f["path"])
            if file_sha256(path) != f.get("sha256"):
                raise InputError("parquet.checksum", file=f["path"])
            try:
                rows = pq.ParquetFile(path).metadata.num_rows
            except Exception as exc:  # pyarrow raises several types for a damaged file
                raise InputError("parquet.unreadable", file=f["path"], detail=str(exc).splitlines()[0]) from exc
            if rows != f.get("rows"):
                raise InputError("parquet.rows_mismatch", file=f["path"], expected=f.get("rows"), found=rows)
            total += rows
        if total != entry.get("rows"):
            raise InputError("parquet.rows_mismatch", file=table, expected=entry.get("rows"), found=total)
        folder = root / table
        if folder.is_dir():
            stray = sorted(str(p.relative_to(root)) for p in folder.rglob("*.parquet") if p.resolve() not in listed)
            if stray:
                raise InputError("parquet.extra_file", file=stray[0])
    return manifest


def _check_schema(store: Store, manifest: dict[str, Any], tables: Sequence[str]) -> None:
    here = store.schema_version()
    mine = [f"{n:03d}_{name}" for n, name, _ in migrations()]
    theirs = list(manifest.get("migrations") or [])
    if int(manifest.get("schema_version") or -1) != here or theirs != mine:
        missing = [m for m in mine if m not in theirs]
        extra = [m for m in theirs if m not in mine]
        detail = "; ".join(x for x in (
            f"export lacks {', '.join(missing)}" if missing else "",
            f"export has {', '.join(extra)}" if extra else "") if x)
        raise InputError("parquet.schema_mismatch", found=manifest.get("schema_version"), expected=here,
                         detail=detail or "-")
    have = set(list_tables(store))
    for table in tables:
        if table not in have:
            raise InputError("parquet.unknown_table_here", table=table)
        cols = [(c["name"], c["type"]) for c in manifest["tables"][table]["columns"]]
        if [c for c, _ in cols] != [c for c, _ in table_columns(store, table)]:
            raise InputError("parquet.columns_mismatch", table=table)


def _user_data(store: Store) -> list[str]:
    """Tables of ``store`` holding rows that a new database does not have (reference data is allowed)."""
    fresh = Store.open(":memory:")
    try:
        base = {t: int(fresh.scalar(f"SELECT count(*) FROM {t}")) for t in list_tables(fresh)}
    finally:
        fresh.close()
    busy = []
    for table in list_tables(store):
        if table == "schema_migration":
            continue
        n = int(store.scalar(f"SELECT count(*) FROM {table}"))
        if n != base.get(table, 0):
            busy.append((n, table))
    return [f"{table} {n:,}" for n, table in sorted(busy, reverse=True)]


# --------------------------------------------------------------------------------------------
# import
# --------------------------------------------------------------------------------------------
def _read_file(path: Path, columns: list[str], types: dict[str, str], partition: dict[str, Any] | None) -> pd.DataFrame:
    table = pq.read_table(path)
    frame = table.to_pandas(types_mapper=_PANDAS.get)
    for col, value in (partition or {}).items():
        frame[col] = pd.array([value] * len(frame), dtype=pd.Int64Dtype())
    for col in columns:
        if col not in frame:
            frame[col] = None
        elif types.get(col) == "VARCHAR":
            frame[col] = frame[col].astype(object).where(frame[col].notna(), None)
    return frame[columns]


def import_parquet(store: Store, directory: str | Path, *, actor: str = "cli") -> dict[str, Any]:
    """Load an export into ``store``, which must hold no user data; everything or nothing is written.

    Returns ``{"manifest": ..., "tables": [{"table", "rows", "files"}]}``.
    """
    root = Path(directory)
    manifest = read_manifest(root)
    tables = list(manifest["tables"])
    _check_schema(store, manifest, tables)
    verify_export(root, manifest)
    busy = _user_data(store)
    if busy:
        raise InputError("parquet.not_empty", path=store.display_name, tables=", ".join(busy[:4]) + (" …" if len(busy) > 4 else ""))
    loaded = []
    with store.transaction():
        for table in tables:
            entry = manifest["tables"][table]
            columns = [c["name"] for c in entry["columns"]]
            types = {c["name"]: c["type"] for c in entry["columns"]}
            store.execute(f"DELETE FROM {table}")
            for f in entry["files"]:
                frame = _read_file(root / f["path"], columns, types, f.get("partition"))
                store.insert_df(table, frame, columns)
            loaded.append({"table": table, "rows": int(entry["rows"]), "files": len(entry["files"])})
        for name, value in (manifest.get("sequences") or {}).items():
            if name in _sequences(store):
                _advance_sequence(store, name, int(value))
        store.audit(actor, "import-parquet", str(root),
                    json.dumps({"tables": len(loaded), "rows": sum(x["rows"] for x in loaded),
                                "schema_version": manifest.get("schema_version")}, ensure_ascii=False))
    return {"manifest": manifest, "tables": loaded}


__all__ = ["export_parquet", "import_parquet", "read_manifest", "verify_export", "list_tables", "table_columns",
           "FORMAT", "FORMAT_VERSION", "MANIFEST", "PARTITIONED", "NOT_DEFAULT"]
