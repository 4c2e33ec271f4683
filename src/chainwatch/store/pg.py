"""The PostgreSQL store: the same :class:`~chainwatch.store.db.Store` interface on psycopg 3.

Selected by a ``postgresql://user@host:port/dbname`` database (``--db``, ``CHAINWATCH_DB`` or the
settings file). One :class:`PgStore` owns a connection pool; :meth:`PgStore.cursor` gives another
handle on the same pool for a concurrent user (a web request). A handle borrows a pooled
connection per statement (autocommit) and keeps one for a block that needs it
(:meth:`transaction`, :meth:`locked`, :meth:`registered`).

SQL arrives in the portable DuckDB subset and is translated once per statement
(:mod:`chainwatch.store.dialect`). Results convert to pandas and numpy exactly as the DuckDB store's
do (the rows pass through an in-process DuckDB as Arrow), so services see the same dtypes on both.
Bulk writes (:meth:`insert_df`, :meth:`registered`) stream CSV written by DuckDB into ``COPY``.

Passwords come from ``PGPASSWORD``, ``~/.pgpass`` (libpq reads both) or, on a terminal, a prompt;
:attr:`display_name` never contains one.
"""

from __future__ import annotations

import getpass
import os
import re
import sys
import tempfile
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from chainwatch.errors import ChainwatchError, DatabaseBusy
from chainwatch.store.db import Store, migrations
from chainwatch.store.dialect import NotPortable, split_statements, to_postgres

URL_PREFIXES = ("postgresql://", "postgres://")
MIGRATE_LOCK = 0x63770001  # advisory lock keys ("cw" + n): schema migration
IMPORT_LOCK = 0x63770002   # one import (or chain-map load) at a time

# PostgreSQL type oid -> Arrow type of the result column (others arrive as text)
_ARROW = {16: pa.bool_(), 20: pa.int64(), 21: pa.int16(), 23: pa.int32(), 26: pa.int64(), 700: pa.float32(),
          701: pa.float64(), 1700: pa.float64(), 25: pa.string(), 1043: pa.string(), 1042: pa.string(),
          19: pa.string(), 1082: pa.date32(), 1114: pa.timestamp("us"), 1184: pa.timestamp("us", tz="UTC"),
          114: pa.string(), 3802: pa.string(), 2950: pa.string(), 17: pa.binary()}


_LOCAL: duckdb.DuckDBPyConnection | None = None
_LOCAL_LOCK = threading.Lock()


def _duck() -> duckdb.DuckDBPyConnection:
    """A cursor of one process-wide in-memory DuckDB (result conversion, CSV for COPY).

    Opening an in-memory database costs ~5–30 ms; a cursor of an open one well under 1 ms. Each caller
    gets its own cursor (a connection of its own: registrations never collide between threads).
    """
    global _LOCAL
    with _LOCAL_LOCK:
        if _LOCAL is None:
            _LOCAL = duckdb.connect()
        return _LOCAL.cursor()


def is_server_url(db: str | Path | None) -> bool:
    """True when ``db`` names a PostgreSQL database rather than a DuckDB file."""
    return isinstance(db, str) and db.lower().startswith(URL_PREFIXES)


def safe_url(url: str) -> str:
    """``postgresql://user@host:port/dbname``: the URL without password or other secrets."""
    from psycopg.conninfo import conninfo_to_dict

    try:
        info = conninfo_to_dict(url)
    except Exception:  # an unparsable URL: show only its scheme and what follows the last @
        return "postgresql://…@" + url.rsplit("@", 1)[-1].split("?", 1)[0] if "@" in url else "postgresql://…"
    user = info.get("user") or os.environ.get("PGUSER") or getpass.getuser()
    host = info.get("host") or os.environ.get("PGHOST") or "localhost"
    port = info.get("port") or os.environ.get("PGPORT") or "5432"
    dbname = info.get("dbname") or os.environ.get("PGDATABASE") or user
    if host.startswith("/"):
        return f"postgresql://{user}@/{dbname}?host={host}&port={port}"
    return f"postgresql://{user}@{host}:{port}/{dbname}"


def _scrub(text: str, secret: str | None) -> str:
    text = str(text).strip().splitlines()[0] if str(text).strip() else ""
    if secret:
        text = text.replace(secret, "***")
    return re.sub(r"(postgres(?:ql)?://[^:/@\s]*):[^@\s]*@", r"\1:***@", text)


def _register_types(conn: Any) -> None:
    """numeric → float (DuckDB gives floats for sums and averages), numpy scalars as parameters."""
    from psycopg.adapt import Loader
    from psycopg.types.bool import BoolDumper
    from psycopg.types.numeric import FloatDumper, IntDumper

    class NumericAsFloat(Loader):
        def load(self, data: Any) -> float:
            return float(bytes(data))

    class NpInt(IntDumper):
        def dump(self, obj: Any) -> Any:
            return super().dump(int(obj))

    class NpFloat(FloatDumper):
        def dump(self, obj: Any) -> Any:
            return super().dump(float(obj))

    class NpBool(BoolDumper):
        def dump(self, obj: Any) -> Any:
            return super().dump(bool(obj))

    ad = conn.adapters
    ad.register_loader("numeric", NumericAsFloat)
    for t in (np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32, np.uint64):
        ad.register_dumper(t, NpInt)
    for t in (np.float32, np.float64):
        ad.register_dumper(t, NpFloat)
    ad.register_dumper(np.bool_, NpBool)


class _Shared:
    """What every handle of one PostgreSQL database shares: the pool and its parameters."""

    def __init__(self, url: str, *, read_only: bool, pool_size: int, timeout: float,
                 import_wait: float = 120.0) -> None:
        self.url = url
        self.import_wait = import_wait
        self.display = safe_url(url)
        self.read_only = read_only
        self.password: str | None = None
        self.timeout = timeout
        self.pool_size = max(2, pool_size)
        self.pool: Any = None
        self.lock = threading.Lock()
        self.closed = False

    def kwargs(self) -> dict[str, Any]:
        kw: dict[str, Any] = {"autocommit": True, "application_name": "chainwatch"}
        if self.password:
            kw["password"] = self.password
        if self.read_only:
            kw["options"] = "-c default_transaction_read_only=on"
        return kw

    def connect_error(self, exc: BaseException) -> ChainwatchError:
        detail = _scrub(str(exc), self.password)
        return ChainwatchError("store.pg_connect", name=self.display, detail=detail)

    def probe(self) -> None:
        """Connect once (prompting for a password on a terminal when the server asks for one)."""
        import psycopg

        try:
            psycopg.connect(self.url, connect_timeout=int(self.timeout), **self.kwargs()).close()
            return
        except psycopg.OperationalError as exc:
            msg = str(exc)
            if "does not exist" in msg and "database" in msg:
                raise ChainwatchError("store.pg_no_database", name=self.display) from None
            wants_password = "password" in msg.lower() and ("no password" in msg or "authentication failed" in msg)
            if not wants_password or self.password or not sys.stdin.isatty():
                raise self.connect_error(exc) from None
        from chainwatch.i18n import t

        self.password = getpass.getpass(t("store.pg_password", None, name=self.display))
        try:
            psycopg.connect(self.url, connect_timeout=int(self.timeout), **self.kwargs()).close()
        except psycopg.OperationalError as exc:
            raise self.connect_error(exc) from None

    def open_pool(self) -> None:
        from psycopg_pool import ConnectionPool

        self.pool = ConnectionPool(self.url, min_size=1, max_size=self.pool_size, kwargs=self.kwargs(),
                                   configure=_register_types, timeout=self.timeout, open=False,
                                   name="chainwatch")
        try:
            self.pool.open(wait=True, timeout=self.timeout)
        except Exception as exc:
            raise self.connect_error(exc) from None

    def connect(self) -> Any:
        """A connection outside the pool (Ibis, COPY streams that outlive a statement)."""
        import psycopg

        try:
            conn = psycopg.connect(self.url, connect_timeout=int(self.timeout), **self.kwargs())
        except psycopg.OperationalError as exc:
            raise self.connect_error(exc) from None
        _register_types(conn)
        return conn

    def close(self) -> None:
        with self.lock:
            if not self.closed and self.pool is not None:
                self.pool.close()
            self.closed = True


class PgStore(Store):
    """One handle on a PostgreSQL database (see the module docstring)."""

    backend = "postgresql"
    dialect = "postgres"

    def __init__(self, shared: _Shared, *, root: bool) -> None:  # noqa: D107 - use PgStore.open
        self._shared = shared
        self._root = root
        self.path = shared.display
        self._lock = threading.RLock()
        self._pinned: Any = None
        self._pins = 0
        self._ibis: Any = None
        self._ibis_con: Any = None

    # -- opening -------------------------------------------------------------------------------
    @classmethod
    def open(cls, path: str | Path, *, create: bool = True, read_only: bool = False,  # type: ignore[override]
             threads: int = 0, pool_size: int | None = None, timeout: float | None = None) -> PgStore:
        from chainwatch.settings import load_settings

        settings = load_settings()
        shared = _Shared(str(path), read_only=read_only,
                         pool_size=int(pool_size or getattr(settings, "pg_pool_size", 10) or 10),
                         timeout=float(timeout or getattr(settings, "pg_connect_timeout", 10) or 10),
                         import_wait=float(getattr(settings, "import_wait_seconds", 120)))
        shared.probe()
        shared.open_pool()
        store = cls(shared, root=True)
        try:
            store.created = not store.table_exists("schema_migration")
            if store.created and (read_only or not create):
                raise ChainwatchError("db.missing", path=shared.display)
            if read_only:
                if not store.table_exists("schema_migration"):
                    raise ChainwatchError("db.missing", path=shared.display)
            else:
                store.migrate()
        except BaseException:
            store.close()
            raise
        return store

    @property
    def con(self) -> Any:  # the DuckDB attribute; a PostgreSQL store has no single connection
        raise AttributeError("PgStore has no single driver connection; use the Store methods")

    @property
    def display_name(self) -> str:
        return self._shared.display

    def close(self) -> None:
        if self._ibis_con is not None:
            try:
                self._ibis_con.close()
            except Exception:
                pass
            self._ibis_con = self._ibis = None
        if self._root:
            self._shared.close()

    # -- connections ---------------------------------------------------------------------------
    @contextmanager
    def _conn(self) -> Iterator[Any]:
        """This handle's pinned connection, or a pooled one for one statement (autocommit)."""
        with self._lock:
            if self._pinned is not None:
                yield self._pinned
                return
            from psycopg_pool import PoolTimeout

            try:
                conn = self._shared.pool.getconn(timeout=self._shared.timeout)
            except PoolTimeout as exc:
                raise DatabaseBusy("store.pg_pool_busy", path=self.display_name) from exc
            try:
                yield conn
            finally:
                self._shared.pool.putconn(conn)

    @contextmanager
    def _pin(self) -> Iterator[Any]:
        """Keep one connection for this handle for the whole block (temp tables, transactions)."""
        with self._lock:
            if self._pinned is not None:
                self._pins += 1
                try:
                    yield self._pinned
                finally:
                    self._pins -= 1
                return
            with self._conn() as conn:
                self._pinned, self._pins = conn, 1
                try:
                    yield conn
                finally:
                    self._pinned, self._pins = None, 0

    def _sql(self, sql: str, params: Sequence[Any] | dict[str, Any] | None,
             native: bool = False) -> tuple[str, Any]:
        if isinstance(params, dict):
            raise NotPortable(sql=sql[:200], reason="named parameters")
        args = list(params) if params else None
        if native:
            return sql, args
        return to_postgres(sql, params=args is not None), args

    def _exec(self, cur: Any, sql: str, params: Sequence[Any] | dict[str, Any] | None,
              native: bool = False) -> None:
        text, args = self._sql(sql, params, native)
        if native:
            cur.execute(text, args)
            return
        statements = text.split(";\n") if ";\n" in text else [text]
        for stmt in statements:
            cur.execute(stmt, args if stmt is statements[-1] else None)

    # -- queries -------------------------------------------------------------------------------
    def _arrow(self, sql: str, params: Any, native: bool = False) -> pa.Table:
        with self._conn() as conn, conn.cursor() as cur:
            self._exec(cur, sql, params, native)
            if cur.description is None:
                return pa.table({})
            rows = cur.fetchall()
            names = [d.name for d in cur.description]
            oids = [d.type_code for d in cur.description]
        cols = list(zip(*rows, strict=True)) if rows else [() for _ in names]
        arrays = []
        for values, oid in zip(cols, oids, strict=True):
            typ = _ARROW.get(oid)
            if typ is None:
                arrays.append(pa.array([None if v is None else str(v) for v in values], type=pa.string()))
            else:
                arrays.append(pa.array(list(values), type=typ))
        seen: dict[str, int] = {}
        unique = []
        for n in names:  # DuckDB de-duplicates repeated column names the same way
            if n in seen:
                seen[n] += 1
                unique.append(f"{n}_{seen[n]}")
            else:
                seen[n] = 0
                unique.append(n)
        return pa.Table.from_arrays(arrays, names=unique)

    def df(self, sql: str, params: Sequence[Any] | dict[str, Any] | None = None, *,
           dialect: str = "duckdb") -> pd.DataFrame:
        table = self._arrow(sql, params, native=dialect == self.dialect)
        if table.num_columns == 0:
            return pd.DataFrame()
        with _duck() as duck:
            return duck.from_arrow(table).fetchdf()

    def rows(self, sql: str, params: Sequence[Any] | dict[str, Any] | None = None) -> list[tuple[Any, ...]]:
        with self._conn() as conn, conn.cursor() as cur:
            self._exec(cur, sql, params)
            return cur.fetchall() if cur.description is not None else []

    def scalar(self, sql: str, params: Sequence[Any] | dict[str, Any] | None = None) -> Any:
        rows = self.rows(sql, params)
        return rows[0][0] if rows else None

    def numpy(self, sql: str, params: Sequence[Any] | dict[str, Any] | None = None) -> dict[str, np.ndarray]:
        table = self._arrow(sql, params)
        with _duck() as duck:
            return dict(duck.from_arrow(table).fetchnumpy())

    def execute(self, sql: str, params: Sequence[Any] | dict[str, Any] | None = None) -> None:
        with self._conn() as conn, conn.cursor() as cur:
            self._exec(cur, sql, params)

    def native(self, sql: str, params: Sequence[Any] | None = None) -> None:
        """Run PostgreSQL SQL as it is (store internals: DDL with PostgreSQL-only clauses, locks)."""
        with self._conn() as conn, conn.cursor() as cur:
            cur.execute(sql, list(params) if params else None)

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        if not rows:
            return
        text, _ = self._sql(sql, [None])
        with self._conn() as conn, conn.cursor() as cur:
            cur.executemany(text, [list(r) for r in rows])

    @contextmanager
    def locked(self) -> Iterator[Store]:
        with self._pin():
            yield self

    @contextmanager
    def transaction(self) -> Iterator[Store]:  # type: ignore[override]
        """Run a block atomically on one connection; yields this store (use its methods inside)."""
        with self._pin() as conn, conn.transaction():
            yield self

    # -- bulk data -----------------------------------------------------------------------------
    @staticmethod
    def _pg_types(duck: duckdb.DuckDBPyConnection, select: str) -> list[tuple[str, str]]:
        import sqlglot
        from sqlglot import exp

        out = []
        for name, dtype, *_ in duck.execute(f"DESCRIBE {select}").fetchall():
            try:
                pg = exp.DataType.build(str(dtype), dialect="duckdb").sql("postgres")
            except Exception:
                pg = "TEXT"
            if pg.upper().startswith(("STRUCT", "MAP", "UNION")) or "[]" in pg:
                pg = "TEXT"
            out.append((str(name), pg))
        del sqlglot
        return out

    def _copy_frame(self, conn: Any, table: str, frame: pd.DataFrame, columns: Sequence[str]) -> int:
        """COPY ``frame[columns]`` into ``table`` through CSV written by an in-process DuckDB."""
        quoted = ", ".join(f'"{c}"' for c in columns)
        fd, tmp = tempfile.mkstemp(prefix="cw-copy-", suffix=".csv")
        os.close(fd)
        try:
            with _duck() as duck:
                duck.register("_frame", frame)
                duck.execute(f"COPY (SELECT {quoted} FROM _frame) TO '{tmp}' (FORMAT csv, HEADER false)")
            with conn.cursor() as cur, cur.copy(f"COPY {table} ({quoted}) FROM STDIN (FORMAT csv)") as cp, \
                    open(tmp, "rb") as fh:
                while chunk := fh.read(1 << 20):
                    cp.write(chunk)
        finally:
            os.unlink(tmp)
        return len(frame)

    def copy_csv(self, table: str, columns: Sequence[str], path: str | Path) -> None:
        """COPY a headerless CSV file (DuckDB's writer: NULL empty, empty string quoted) into ``table``."""
        quoted = ", ".join(f'"{c}"' for c in columns)
        with self._conn() as conn, conn.cursor() as cur, \
                cur.copy(f"COPY {table} ({quoted}) FROM STDIN (FORMAT csv)") as cp, open(path, "rb") as fh:
            while chunk := fh.read(1 << 20):
                cp.write(chunk)

    @contextmanager
    def registered(self, name: str, frame: pd.DataFrame) -> Iterator[str]:
        """``frame`` as a temporary table ``name`` on this handle's connection for the block."""
        with self._pin() as conn:
            with _duck() as duck:
                duck.register("_frame", frame)
                types = self._pg_types(duck, "SELECT * FROM _frame")
            cols = ", ".join(f'"{n}" {t}' for n, t in types)
            with conn.cursor() as cur:
                cur.execute(f'DROP TABLE IF EXISTS pg_temp."{name}"')
                cur.execute(f'CREATE TEMP TABLE "{name}" ({cols})')
            try:
                if len(frame):
                    self._copy_frame(conn, f'pg_temp."{name}"', frame, [n for n, _ in types])
                yield name
            finally:
                from psycopg.pq import TransactionStatus

                # in a failed transaction the table goes with the rollback (it was created inside it)
                if conn.info.transaction_status != TransactionStatus.INERROR:
                    with conn.cursor() as cur:
                        cur.execute(f'DROP TABLE IF EXISTS pg_temp."{name}"')

    def insert_df(self, table: str, frame: pd.DataFrame, columns: Sequence[str] | None = None) -> int:
        cols = list(columns or frame.columns)
        if not len(frame):
            return 0
        with self._conn() as conn:
            return self._copy_frame(conn, table, frame[cols], cols)

    # -- bulk transfer (chainwatch store copy) ---------------------------------------------------
    def export_csv(self, table: str, columns: Sequence[str], path: str | Path) -> None:
        cols = ", ".join(f'"{c}"' for c in columns)
        with self._conn() as conn, conn.cursor() as cur, open(path, "wb") as fh, \
                cur.copy(f"COPY (SELECT {cols} FROM {table}) TO STDOUT (FORMAT csv)") as cp:
            for chunk in cp:
                fh.write(chunk)

    def import_csv(self, table: str, columns: Sequence[str], path: str | Path) -> None:
        self.copy_csv(table, columns, path)

    def sequences(self) -> dict[str, int]:
        return {str(n): int(last) + 1 if last is not None else int(start) for n, start, last in self.rows(
            "SELECT sequencename, start_value, last_value FROM pg_sequences WHERE schemaname = current_schema()")}

    def set_sequence(self, name: str, next_value: int) -> None:
        if next_value > 1:
            self.native("SELECT setval(%s, %s, true)", [name, int(next_value) - 1])
        else:
            self.native("SELECT setval(%s, 1, false)", [name])

    def drop_everything(self) -> None:
        """Drop every table and sequence of the schema (a demo database being rebuilt)."""
        with self.transaction():
            for name in self.tables():
                self.native(f'DROP TABLE IF EXISTS "{name}" CASCADE')
            for name in self.sequences():
                self.native(f'DROP SEQUENCE IF EXISTS "{name}" CASCADE')

    # -- other handles and engines -------------------------------------------------------------
    def cursor(self) -> PgStore:
        return PgStore(self._shared, root=False)

    def checkpoint(self) -> None:
        """Nothing to do: PostgreSQL makes every committed transaction durable."""

    def table_exists(self, name: str) -> bool:
        return bool(self.scalar("SELECT to_regclass(?) IS NOT NULL", [name]))

    def ibis(self) -> Any:
        """An Ibis PostgreSQL backend on a connection of its own (Ibis is not shared between threads)."""
        if self._ibis is None:
            import ibis

            self._ibis_con = self._shared.connect()
            self._ibis = ibis.postgres.from_connection(self._ibis_con)
        return self._ibis

    # -- schema --------------------------------------------------------------------------------
    def migrate(self) -> list[str]:
        """Apply pending migrations in one transaction, holding an advisory lock (concurrent starts)."""
        from datetime import datetime

        from chainwatch.store.reference import seed_reference

        applied: list[str] = []
        self.execute("CREATE TABLE IF NOT EXISTS schema_migration (number INTEGER PRIMARY KEY, name VARCHAR, "
                     "applied_at TIMESTAMP)")
        with self.transaction():
            self.native(f"SELECT pg_advisory_xact_lock({MIGRATE_LOCK})")
            done = {r[0] for r in self.rows("SELECT number FROM schema_migration")}
            pending = [m for m in migrations() if m[0] not in done]
            if not pending:
                return applied
            for number, name, sql in pending:
                for stmt in split_statements(sql):
                    self.execute(stmt)
                self.execute("INSERT INTO schema_migration VALUES (?, ?, ?)", [number, name, datetime.now()])
                applied.append(f"{number:03d}_{name}")
            seed_reference(self)
        return applied

    @contextmanager
    def import_lock(self, wait_seconds: float | None = None) -> Iterator[Store]:
        """A transaction holding the import lock; DatabaseBusy after ``wait_seconds`` of waiting."""
        import psycopg

        wait = self._shared.import_wait if wait_seconds is None else wait_seconds
        with self.transaction():
            self.native(f"SET LOCAL lock_timeout = '{int(max(wait, 0.001) * 1000)}ms'")
            try:
                self.native(f"SELECT pg_advisory_xact_lock({IMPORT_LOCK})")
            except psycopg.errors.LockNotAvailable as exc:
                raise DatabaseBusy("store.import_busy", path=self.display_name, seconds=round(wait)) from exc
            self.native("SET LOCAL lock_timeout = 0")
            yield self
