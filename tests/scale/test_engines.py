"""Engine selection and Spark configuration checks that need no JVM (default suite)."""

from __future__ import annotations

from pathlib import Path

import pytest

from chainwatch.errors import EngineError, UsageError
from chainwatch.settings import load_settings
from chainwatch.store import engines
from chainwatch.store.engines import check_engine, open_engine, parquet_path, parse_conf, parse_tables


def test_conf_parsing_and_download_keys_refused() -> None:
    assert parse_conf("spark.sql.shuffle.partitions=4; spark.executor.memory=8g") == {
        "spark.sql.shuffle.partitions": "4", "spark.executor.memory": "8g"}
    assert parse_conf({"spark.executor.cores": 4}) == {"spark.executor.cores": "4"}
    for key in engines.FORBIDDEN_CONF:
        with pytest.raises(UsageError) as exc:
            parse_conf(f"{key}=org.example:thing:1.0")
        assert key in exc.value.message("en") and "download" in exc.value.message("en")
    with pytest.raises(UsageError):
        parse_conf("no-equals-sign")
    assert parse_tables("invoice=ods.vat_invoice, monthly_value=dw.mv") == {
        "invoice": "ods.vat_invoice", "monthly_value": "dw.mv"}


def test_engine_names() -> None:
    assert check_engine(None, load_settings()) == "duckdb"
    assert check_engine("SPARK", load_settings()) == "spark"
    with pytest.raises(UsageError):
        check_engine("flink", load_settings())


def test_missing_java_and_pyspark_are_clear_messages(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engines, "_SPARK", {})
    monkeypatch.delenv("JAVA_HOME", raising=False)
    monkeypatch.setattr(engines.shutil, "which", lambda name: None)
    with pytest.raises(EngineError) as exc:
        engines.spark_session(load_settings())
    assert exc.value.key in ("engine.no_java", "engine.no_pyspark")
    assert "Java" in exc.value.message("en") or "pyspark" in exc.value.message("en")


def test_parquet_paths(tmp_path: Path) -> None:
    (tmp_path / "exp" / "invoice").mkdir(parents=True)
    (tmp_path / "exp" / "manifest.json").write_text("{}")
    assert parquet_path(tmp_path / "exp", "invoice") == tmp_path / "exp" / "invoice"
    with pytest.raises(EngineError):
        parquet_path(tmp_path / "exp", "monthly_value")
    (tmp_path / "plain").mkdir()
    assert parquet_path(tmp_path / "plain", "invoice") == tmp_path / "plain"
    assert parquet_path("s3a://bucket/cw", "invoice") == "s3a://bucket/cw/invoice"
    with pytest.raises(EngineError) as exc:
        open_engine(None, load_settings(), "duckdb", source=str(tmp_path / "missing"))
    assert exc.value.key == "engine.source_missing"
