"""Opening the DuckDB database, applying migrations, and the store interface every service uses.

Migrations are the ``NNN_name.sql`` files of ``chainwatch/store/migrations``, applied in order and
recorded in ``schema_migration``. Each feature owns its own migration file.

The store interface
-------------------
Services, the web layer and the demo talk to the database only through the methods of
:class:`Store` below (``df``, ``rows``, ``scalar``, ``numpy``, ``execute``, ``executemany``,
``transaction``, ``locked``, ``registered``, ``insert_df``, ``table_exists``, ``audit``, ``ibis``,
``cursor``, ``checkpoint``); nothing outside ``chainwatch.store`` touches the driver connection
(a test enforces it). A second backend (PostgreSQL) implements the same methods, so SQL written in
services must stay in the portable subset described in ``docs/architecture.md``.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from chainwatch.errors import ChainwatchError, DatabaseBusy

_LOCK_PAT = re.compile(r"lock|being used by another process|Conflicting", re.IGNORECASE)


def migrations() -> list[tuple[int, str, str]]:
    """Return ``(number, name, sql)`` for every shipped migration, in order."""
    out = []
    folder = resources.files("chainwatch.store") / "migrations"
    for entry in folder.iterdir():
        m = re.match(r"^(\d{3})_(\w+)\.sql$", entry.name)
        if m:
            out.append((int(m.group(1)), m.group(2), entry.read_text(encoding="utf-8")))
    return sorted(out)


class Store:
    """One open DuckDB database. Use :meth:`open`; close with :meth:`close` or a ``with`` block."""

    backend = "duckdb"
    dialect = "duckdb"  # SQLGlot / Ibis dialect name of the backend

    created = False  # True when :meth:`open` made a new database (``chainwatch init`` says so)

    def __init__(self, con: duckdb.DuckDBPyConnection, path: str) -> None:
        self.con = con
        self.path = path
        self._lock = threading.RLock()

    @property
    def display_name(self) -> str:
        """The database as it may be shown to users and written to logs (never a password)."""
        return self.path

    # -- opening -------------------------------------------------------------------------------
    @classmethod
    def open(cls, path: str | Path, *, create: bool = True, read_only: bool = False,
             threads: int = 0) -> Store:
        """Open (and migrate) the database at ``path``; ``:memory:`` gives a throw-away database.

        A ``postgresql://user@host:port/dbname`` URL opens a :class:`~chainwatch.store.pg.PgStore`.
        """
        spath = str(path)
        if cls is Store and spath.lower().startswith(("postgresql://", "postgres://")):
            from chainwatch.store.pg import PgStore

            return PgStore.open(spath, create=create, read_only=read_only)
        if spath != ":memory:" and not create and not Path(spath).exists():
            raise ChainwatchError("db.missing", path=spath)
        created = spath == ":memory:" or not Path(spath).is_file() or Path(spath).stat().st_size == 0
        if spath != ":memory:":
            Path(spath).parent.mkdir(parents=True, exist_ok=True)
            if Path(spath).is_file() and Path(spath).stat().st_size > 0:
                with open(spath, "rb") as fh:
                    head = fh.read(16)
                if head[8:12] != b"DUCK":
                    raise ChainwatchError("db.not_duckdb", path=spath)
        config: dict[str, Any] = {}
        if threads:
            config["threads"] = threads
        try:
            con = duckdb.connect(spath, read_only=read_only, config=config)
        except duckdb.IOException as exc:
            if _LOCK_PAT.search(str(exc)):
                raise DatabaseBusy(path=spath) from exc
            raise ChainwatchError("db.corrupt", path=spath, detail=str(exc).splitlines()[0]) from exc
        except duckdb.Error as exc:
            raise ChainwatchError("db.corrupt", path=spath, detail=str(exc).splitlines()[0]) from exc
        try:  # no progress bar on stdout: it would break --format json on long queries
            con.execute("SET enable_progress_bar = false").fetchall()
        except duckdb.Error:
            pass
        store = cls(con, spath)
        store.created = created
        if not read_only:
            store.migrate()
        return store

    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- schema --------------------------------------------------------------------------------
    def migrate(self) -> list[str]:
        """Apply every migration not yet applied; return the names applied."""
        with self._lock:
            self.con.execute(
                "CREATE TABLE IF NOT EXISTS schema_migration (number INTEGER PRIMARY KEY, name VARCHAR, applied_at TIMESTAMP)"
            )
            done = {r[0] for r in self.con.execute("SELECT number FROM schema_migration").fetchall()}
            applied: list[str] = []
            pending = [m for m in migrations() if m[0] not in done]
            if not pending:
                return applied
            self.con.execute("BEGIN TRANSACTION")
            try:
                for number, name, sql in pending:
                    self.con.execute(sql)
                    self.con.execute("INSERT INTO schema_migration VALUES (?, ?, ?)", [number, name, datetime.now()])
                    applied.append(f"{number:03d}_{name}")
                from chainwatch.store.reference import seed_reference

                seed_reference(self)
                self.con.execute("COMMIT")
            except Exception:
                self.con.execute("ROLLBACK")
                raise
            return applied

    def schema_version(self) -> int:
        return int(self.scalar("SELECT max(number) FROM schema_migration") or 0)

    # -- queries -------------------------------------------------------------------------------
    def df(self, sql: str, params: Sequence[Any] | dict[str, Any] | None = None, *,
           dialect: str = "duckdb") -> pd.DataFrame:
        """Run a query and return all its rows as a DataFrame.

        ``sql`` is in the portable DuckDB subset; ``dialect=store.dialect`` marks SQL already written
        for this backend (e.g. compiled by Ibis for it), which is run as it is.
        """
        with self._lock:
            return self.con.execute(sql, params or []).fetchdf()

    def rows(self, sql: str, params: Sequence[Any] | dict[str, Any] | None = None) -> list[tuple[Any, ...]]:
        with self._lock:
            return self.con.execute(sql, params or []).fetchall()

    def scalar(self, sql: str, params: Sequence[Any] | dict[str, Any] | None = None) -> Any:
        with self._lock:
            rows = self.con.execute(sql, params or []).fetchall()
        return rows[0][0] if rows else None

    def numpy(self, sql: str, params: Sequence[Any] | dict[str, Any] | None = None) -> dict[str, np.ndarray]:
        """Run a query and return its columns as numpy arrays (``{column: array}``)."""
        with self._lock:
            return dict(self.con.execute(sql, params or []).fetchnumpy())

    def execute(self, sql: str, params: Sequence[Any] | dict[str, Any] | None = None) -> None:
        with self._lock:
            self.con.execute(sql, params or []).fetchall()

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        """Run one statement for each parameter row."""
        if not rows:
            return
        with self._lock:
            result = self.con.executemany(sql, list(rows))
            try:  # DuckDB 2: an unfinished result blocks the connection
                result.fetchall()
            except duckdb.InvalidInputError:
                pass

    @contextmanager
    def locked(self) -> Iterator[Store]:
        """Hold this handle for a block of statements that must not interleave (no transaction)."""
        with self._lock:
            yield self

    @contextmanager
    def registered(self, name: str, frame: pd.DataFrame) -> Iterator[str]:
        """Make ``frame`` readable by SQL as the relation ``name`` for the duration of the block."""
        with self._lock:
            self.con.register(name, frame)
            try:
                yield name
            finally:
                self.con.unregister(name)

    def insert_df(self, table: str, frame: pd.DataFrame, columns: Sequence[str] | None = None) -> int:
        """Append the rows of ``frame`` to ``table`` (columns matched by name); return the row count."""
        cols = list(columns or frame.columns)
        if not len(frame):
            return 0
        names = ", ".join(cols)
        with self.registered("_cw_insert_df", frame[cols]):
            self.execute(f"INSERT INTO {table} ({names}) SELECT {names} FROM _cw_insert_df")
        return len(frame)

    def cursor(self) -> Store:
        """Another handle on the same database for a concurrent user (e.g. one web request)."""
        con = self.con.cursor()
        try:  # no progress bar on stdout (it would break --format json on long queries)
            con.execute("SET enable_progress_bar = false").fetchall()
        except duckdb.Error:
            pass
        return type(self)(con, self.path)

    def checkpoint(self) -> None:
        """Write everything to the database file (DuckDB ``CHECKPOINT``)."""
        self.execute("CHECKPOINT")

    @contextmanager
    def transaction(self) -> Iterator[Store]:
        """Run a block atomically: everything in it commits, or nothing does.

        Yields this store; use its methods inside the block (they run in the transaction).
        """
        with self._lock:
            self.con.execute("BEGIN TRANSACTION")
            try:
                yield self
            except BaseException:
                self.con.execute("ROLLBACK")
                raise
            else:
                self.con.execute("COMMIT")

    @contextmanager
    def import_lock(self, wait_seconds: float | None = None) -> Iterator[Store]:
        """A transaction that holds the database's import lock (DuckDB: the process owns the file)."""
        del wait_seconds
        with self.transaction():
            yield self

    def table_exists(self, name: str) -> bool:
        return bool(self.scalar(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [name]))

    def audit(self, actor: str, action: str, obj: str | None = None, detail: str | None = None) -> None:
        """Append one row to the audit log (every write goes through here)."""
        self.execute("INSERT INTO audit_log VALUES (?, ?, ?, ?, ?)", [datetime.now(), actor, action, obj, detail])

    # -- bulk transfer between databases (chainwatch store copy) --------------------------------
    def tables(self) -> list[str]:
        """The base tables of the database's schema (no views, no temporary tables)."""
        return [r[0] for r in self.rows(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() "
            "AND table_type = 'BASE TABLE' AND table_catalog = current_database() ORDER BY table_name")]

    def columns(self, table: str) -> list[tuple[str, str]]:
        """``(name, type)`` of the columns of ``table`` in order (types in the backend's words)."""
        return [(str(r[0]), str(r[1])) for r in self.rows(
            "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = ? "
            "AND table_schema = current_schema() ORDER BY ordinal_position", [table])]

    def export_csv(self, table: str, columns: Sequence[str], path: str | Path) -> None:
        """Write the rows of ``table`` as headerless CSV (NULL empty, an empty text quoted)."""
        cols = ", ".join(f'"{c}"' for c in columns)
        with self._lock:
            self.con.execute(f"COPY (SELECT {cols} FROM {table}) TO '{path}' (FORMAT csv, HEADER false)").fetchall()

    def import_csv(self, table: str, columns: Sequence[str], path: str | Path) -> None:
        """Append a CSV written by :meth:`export_csv` (of either backend) to ``table``."""
        types = dict(self.columns(table))
        spec = "{" + ", ".join(f"'{c}': '{types[c]}'" for c in columns) + "}"
        cols = ", ".join(f'"{c}"' for c in columns)
        with self._lock:
            self.con.execute(f"INSERT INTO {table} ({cols}) SELECT * FROM read_csv('{path}', columns = {spec}, "
                             "header = false, allow_quoted_nulls = false, auto_detect = false, "
                             "quote = '\"', escape = '\"')").fetchall()

    def sequences(self) -> dict[str, int]:
        """Sequence name → the next value it will hand out."""
        return {str(n): int(last) + 1 if last is not None else int(start) for n, start, last in self.rows(
            "SELECT sequence_name, start_value, last_value FROM duckdb_sequences() "
            "WHERE schema_name = current_schema() AND NOT temporary")}

    def set_sequence(self, name: str, next_value: int) -> None:
        """Make sequence ``name`` hand out ``next_value`` next (DuckDB: recreated, nothing depends on it)."""
        self.execute(f"DROP SEQUENCE IF EXISTS {name}")
        self.execute(f"CREATE SEQUENCE {name} START {int(next_value)}")

    def ibis(self) -> Any:
        """An Ibis DuckDB backend over this same connection (for portable analytics)."""
        import ibis

        return ibis.duckdb.from_connection(self.con)
