"""Validating an import for a server database in an in-process DuckDB.

The import pipeline (:mod:`chainwatch.store.importer`) validates a file in bulk with DuckDB SQL. For
a PostgreSQL store the same pipeline runs unchanged against a throw-away in-memory DuckDB that has
the full schema (the same migrations) and copies of the tables validation looks things up in: the
code lists (region, industry, HS) and the tables the kind's references point at (enterprises,
chains, segments …; the segment graph for the cycle check). Large fact tables are never copied.

Only the valid rows travel to the server: :func:`ship_valid_rows` writes them as CSV from DuckDB and
``COPY``-s them into a temporary table ``_imp_valid`` inside the import's transaction, where the
apply step computes revisions and inserts exactly as on DuckDB.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from chainwatch.store.db import Store

if TYPE_CHECKING:
    from chainwatch.store.kinds import Kind

CODE_TABLES = ("region", "industry", "hs_code")


def lookup_tables(kind: Kind) -> list[str]:
    """The tables validation of ``kind`` reads, besides the staged file."""
    tables = list(CODE_TABLES)
    for ref in kind.refs:
        if ref.table not in tables:
            tables.append(ref.table)
    if kind.name == "segment_edge":
        tables += [t for t in ("segment", "segment_edge") if t not in tables]
    return tables


@contextmanager
def validator_for(server: Store, kind: Kind) -> Iterator[Store]:
    """An in-memory DuckDB store with the schema and the lookup tables of ``server`` for ``kind``."""
    local = Store.open(":memory:")
    try:
        for table in lookup_tables(kind):
            frame = server.df(f"SELECT * FROM {table}")
            local.execute(f"DELETE FROM {table}")
            if len(frame):
                local.insert_df(table, frame)
        yield local
    finally:
        local.close()


def ship_valid_rows(local: Store, server: Store) -> int:
    """Copy ``_imp_valid`` of the validator into a temporary table of the same name on ``server``.

    Runs inside the import transaction on the server (the table is dropped at commit or rollback).
    """
    from chainwatch.store.pg import PgStore

    assert isinstance(server, PgStore)
    types = PgStore._pg_types(local.con, "SELECT * FROM _imp_valid")
    cols = ", ".join(f'"{n}" {t}' for n, t in types)
    server.native("DROP TABLE IF EXISTS pg_temp._imp_valid")
    server.native(f"CREATE TEMP TABLE _imp_valid ({cols}) ON COMMIT DROP")
    fd, tmp = tempfile.mkstemp(prefix="cw-import-", suffix=".csv")
    os.close(fd)
    try:
        local.con.execute(f"COPY (SELECT * FROM _imp_valid) TO '{tmp}' (FORMAT csv, HEADER false)").fetchall()
        server.copy_csv("_imp_valid", [n for n, _ in types], tmp)
        server.native("ANALYZE _imp_valid")  # temporary tables have no statistics otherwise
    finally:
        os.unlink(tmp)
    return int(server.scalar("SELECT count(*) FROM _imp_valid"))
