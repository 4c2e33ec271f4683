"""Engines: where an Ibis expression runs — the store's DuckDB, an in-process DuckDB over Parquet, or Spark.

``open_engine(store, settings, engine, source)`` returns an :class:`Engine` whose ``table(name)`` gives
the Ibis table of a chainwatch table and whose ``execute(expr)`` runs an expression and returns a
DataFrame. The same expression runs on every engine (the analytics use only backend-neutral Ibis).

Tables come from, in this order:

* ``engine = duckdb`` without a source: the store itself (``store.ibis()``);
* a Parquet directory (``source``, or the setting ``spark_source``): a ``chainwatch export parquet``
  directory (``DIR/<table>``) or, for invoices, a directory of invoice Parquet files (Hive ``year=``
  partitions allowed);
* on Spark, catalog (Hive) tables named in the setting ``spark_tables``
  (``invoice=ods.vat_invoice,monthly_value=dw.monthly_value``).

Spark never downloads anything: the session is built from the settings ``spark_master`` and
``spark_conf`` only, and configuration keys that fetch packages are refused. Every failure (no Java,
no pyspark, a Spark error) becomes a :class:`chainwatch.errors.EngineError` with a message in the
user's language.
"""

from __future__ import annotations

import os
import shutil
import threading
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd

from chainwatch.errors import EngineError, UsageError
from chainwatch.store.db import Store

ENGINES = ("duckdb", "spark")
# configuration that would make Spark download jars at run time
FORBIDDEN_CONF = ("spark.jars.packages", "spark.jars.repositories", "spark.jars.ivySettings", "spark.jars.ivy")
SPARK_DEFAULTS = {"spark.ui.enabled": "false", "spark.ui.showConsoleProgress": "false",
                  "spark.sql.shuffle.partitions": "8", "spark.sql.session.timeZone": "UTC",
                  "spark.driver.memory": "4g"}
_SPARK: dict[str, Any] = {}
_SPARK_LOCK = threading.Lock()


def parse_conf(value: Any) -> dict[str, str]:
    """``spark_conf`` as a dict: a TOML table, or ``key=value`` pairs separated by ``;`` or ``,``."""
    if not value:
        return {}
    if isinstance(value, dict):
        items = {str(k): str(v) for k, v in value.items()}
    else:
        items = {}
        for part in str(value).replace(";", ",").split(","):
            if not part.strip():
                continue
            if "=" not in part:
                raise UsageError("engine.bad_conf", item=part.strip())
            k, v = part.split("=", 1)
            items[k.strip()] = v.strip()
    bad = [k for k in items if k in FORBIDDEN_CONF]
    if bad:
        raise UsageError("engine.download_conf", key=bad[0])
    return items


def parse_tables(value: Any) -> dict[str, str]:
    """``spark_tables`` as ``{chainwatch table: catalog table}``."""
    if not value:
        return {}
    if isinstance(value, dict):
        return {str(k): str(v) for k, v in value.items()}
    out = {}
    for part in str(value).replace(";", ",").split(","):
        if part.strip():
            if "=" not in part:
                raise UsageError("engine.bad_tables", item=part.strip())
            k, v = part.split("=", 1)
            out[k.strip()] = v.strip()
    return out


def check_engine(name: str | None, settings: Any) -> str:
    engine = str(name or getattr(settings, "engine", "duckdb") or "duckdb").lower()
    if engine not in ENGINES:
        raise UsageError("engine.unknown", engine=engine, allowed=", ".join(ENGINES))
    return engine


def parquet_path(source: str | Path, table: str) -> Path | str:
    """Where ``table`` lives in a Parquet directory (an export, or a directory of that table's files).

    A URL (``hdfs://``, ``s3a://`` …, read by Spark) is taken as an export: ``URL/<table>``.
    """
    if "://" in str(source):
        return str(source).rstrip("/") + "/" + table
    root = Path(source)
    if not root.exists():
        raise EngineError("engine.source_missing", path=str(root))
    if (root / "manifest.json").is_file() or (root / table).is_dir():
        path = root / table
        if not path.exists():
            raise EngineError("engine.table_missing", table=table, path=str(root))
        return path
    if table == "invoice":
        return root
    raise EngineError("engine.table_missing", table=table, path=str(root))


class Engine:
    """An Ibis backend and the chainwatch tables on it."""

    def __init__(self, name: str, backend: Any, *, source: str, startup_seconds: float = 0.0,
                 store: Store | None = None, parquet: str | None = None, catalog: dict[str, str] | None = None,
                 cleanup: list[str] | None = None, details: dict[str, Any] | None = None) -> None:
        self.name = name
        self.backend = backend
        self.source = source
        self.startup_seconds = startup_seconds
        self.store = store
        self.parquet = parquet
        self.catalog = catalog or {}
        self._cleanup = cleanup or []
        self.details = details or {}
        self._tables: dict[str, Any] = {}

    def table(self, name: str) -> Any:
        if name in self._tables:
            return self._tables[name]
        with self._errors():
            if name in self.catalog:
                t = self.backend.table(self.catalog[name])
            elif self.parquet is not None:
                path = parquet_path(self.parquet, name)
                if self.name == "spark":
                    t = self.backend.read_parquet(str(path))
                else:
                    local = Path(path)
                    pattern = str(local / "**" / "*.parquet") if local.is_dir() else str(local)
                    t = self.backend.read_parquet(pattern, hive_partitioning=True)
            else:
                t = self.backend.table(name)
        self._tables[name] = t
        return t

    def execute(self, expr: Any) -> pd.DataFrame:
        """Run ``expr`` on this engine and return its rows."""
        with self._errors(), warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)   # pyspark on pandas 3 (see docs/scale.md)
            if self.store is not None:
                with self.store.locked():
                    return expr.execute()
            return self.backend.execute(expr)

    @contextmanager
    def cached(self, expr: Any) -> Iterator[Any]:
        """``expr`` materialised once on the engine (a temp table / a persisted Spark frame) for a block."""
        with self._errors():
            if self.store is not None:
                with self.store.locked():
                    table = expr.cache()
            else:
                table = expr.cache()
        try:
            yield table
        finally:
            try:
                if self.store is not None:
                    with self.store.locked():
                        table.release()
                else:
                    table.release()
            except Exception:  # releasing a cache never hides the real result
                pass

    @contextmanager
    def _errors(self) -> Iterator[None]:
        try:
            yield
        except EngineError:
            raise
        except Exception as exc:
            if self.name != "spark" and not _is_spark_error(exc):
                raise
            raise EngineError("engine.spark_failed", detail=_first_line(exc)) from exc

    def close(self) -> None:
        for path in self._cleanup:
            shutil.rmtree(path, ignore_errors=True)
        if self.name == "duckdb" and self.store is None:
            try:
                self.backend.disconnect()
            except Exception:
                pass

    def meta(self) -> dict[str, Any]:
        out = {"engine": self.name, "engine_source": self.source,
               "engine_startup_seconds": round(self.startup_seconds, 3)}
        out.update(self.details)
        return out


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    for line in text.splitlines():
        if line.strip():
            return line.strip()[:300]
    return type(exc).__name__


def _is_spark_error(exc: BaseException) -> bool:
    mod = type(exc).__module__ or ""
    return mod.startswith(("pyspark", "py4j"))


def spark_session(settings: Any) -> tuple[Any, float, bool]:
    """The process's Spark session (created on first use): ``(session, startup seconds, created now)``."""
    with _SPARK_LOCK:
        if "session" in _SPARK:
            return _SPARK["session"], 0.0, False
        try:
            from pyspark.sql import SparkSession
        except ImportError as exc:
            raise EngineError("engine.no_pyspark") from exc
        if not (os.environ.get("JAVA_HOME") or shutil.which("java")):
            raise EngineError("engine.no_java")
        conf = {**SPARK_DEFAULTS, **parse_conf(getattr(settings, "spark_conf", ""))}
        master = str(getattr(settings, "spark_master", "") or "local[2]")
        t0 = time.perf_counter()
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", FutureWarning)
                builder = SparkSession.builder.master(master).appName("chainwatch")
                for k, v in conf.items():
                    builder = builder.config(k, v)
                session = builder.getOrCreate()
            session.sparkContext.setLogLevel("ERROR")
        except Exception as exc:
            raise EngineError("engine.spark_start", master=master, detail=_first_line(exc)) from exc
        seconds = time.perf_counter() - t0
        _SPARK.update(session=session, master=master, seconds=seconds)
        return session, seconds, True


def stop_spark() -> None:
    """Stop the process's Spark session (tests, long-running servers)."""
    with _SPARK_LOCK:
        session = _SPARK.pop("session", None)
        _SPARK.clear()
    if session is not None:
        session.stop()


def open_engine(store: Store | None, settings: Any, engine: str | None = None, *,
                source: str | Path | None = None, export_tables: tuple[str, ...] = ()) -> Engine:
    """The engine named by ``engine`` (default: the setting ``engine``) over ``source`` or the store.

    On Spark without a Parquet source or catalog tables, ``export_tables`` of the store are exported
    to a temporary Parquet directory first (removed on :meth:`Engine.close`).
    """
    name = check_engine(engine, settings)
    src = str(source) if source else (str(getattr(settings, "spark_source", "") or "") or None
                                      if name == "spark" else None)
    if name == "duckdb":
        if src is None:
            if store is None:
                raise UsageError("engine.no_source")
            return Engine("duckdb", store.ibis(), source="store", store=store)
        import ibis

        if "://" in src or not Path(src).exists():
            raise EngineError("engine.source_missing", path=src)
        threads = int(getattr(settings, "threads", 0) or 0)
        backend = ibis.duckdb.connect(**({"threads": threads} if threads else {}))
        backend.raw_sql("SET enable_progress_bar = false")
        return Engine("duckdb", backend, source=src, parquet=src)
    catalog = parse_tables(getattr(settings, "spark_tables", ""))
    cleanup: list[str] = []
    if src is None and not all(t in catalog for t in export_tables):
        if store is None:
            raise UsageError("engine.no_source")
        import tempfile

        from chainwatch.store.parquet import export_parquet

        tmp = tempfile.mkdtemp(prefix="chainwatch-spark-")
        cleanup.append(tmp)
        t0 = time.perf_counter()
        export_parquet(store, Path(tmp) / "export", [t for t in export_tables if t not in catalog])
        src = str(Path(tmp) / "export")
        export_seconds = time.perf_counter() - t0
    else:
        export_seconds = 0.0
    session, seconds, created = spark_session(settings)
    import ibis

    try:
        backend = ibis.pyspark.connect(session)
    except Exception as exc:
        raise EngineError("engine.spark_failed", detail=_first_line(exc)) from exc
    details = {"spark_master": _SPARK.get("master"), "spark_version": session.version,
               "spark_session_reused": not created}
    if cleanup:
        details["export_seconds"] = round(export_seconds, 3)
    label = src if src and not cleanup else ("store (exported to Parquet)" if cleanup else "catalog")
    return Engine("spark", backend, source=label, startup_seconds=seconds, parquet=src, catalog=catalog,
                  cleanup=cleanup, details=details)


__all__ = ["Engine", "open_engine", "spark_session", "stop_spark", "parse_conf", "parse_tables", "check_engine",
           "ENGINES", "FORBIDDEN_CONF", "parquet_path"]
