"""The store as Parquet: export → import-parquet round trip, and every refusal of a bad export."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from chainwatch.cli.main import app
from chainwatch.errors import InputError, UsageError
from chainwatch.store import Store
from chainwatch.store.parquet import (
    MANIFEST,
    export_parquet,
    import_parquet,
    list_tables,
    read_manifest,
    table_columns,
)


@pytest.fixture(scope="module")
def demo_export(demo_db: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("export") / "city"
    with Store.open(demo_db, read_only=True) as store:
        export_parquet(store, out)
    return out


@pytest.fixture
def export_copy(demo_export: Path, tmp_path: Path) -> Path:
    dst = tmp_path / "copy"
    shutil.copytree(demo_export, dst)
    return dst


def _sorted(store: Store, table: str) -> pd.DataFrame:
    cols = [c for c, _ in table_columns(store, table)]
    order = ", ".join(f'"{c}"' for c in cols)
    where = " WHERE action <> 'import-parquet'" if table == "audit_log" else ""
    return store.df(f"SELECT * FROM {table}{where} ORDER BY {order}")


def test_round_trip_is_equal(demo_db: str, demo_export: Path, tmp_path: Path) -> None:
    target = tmp_path / "loaded.duckdb"
    with Store.open(target) as dst:
        out = import_parquet(dst, demo_export, actor="test")
        assert {x["table"] for x in out["tables"]} == set(read_manifest(demo_export)["tables"])
        with Store.open(demo_db, read_only=True) as src:
            for table in read_manifest(demo_export)["tables"]:
                a, b = _sorted(src, table), _sorted(dst, table)
                pd.testing.assert_frame_equal(a, b, check_dtype=False, obj=table)
            assert src.schema_version() == dst.schema_version()
        assert dst.scalar("SELECT count(*) FROM audit_log WHERE action = 'import-parquet'") == 1


def test_layout_partitions_monthly_values_by_year(demo_export: Path) -> None:
    manifest = read_manifest(demo_export)
    entry = manifest["tables"]["monthly_value"]
    assert entry["partition_by"] == "year"
    years = {f["partition"]["year"] for f in entry["files"]}
    assert years == {2018, 2019, 2020, 2021}
    assert all(f["path"].startswith(f"monthly_value/year={f['partition']['year']}/") for f in entry["files"])
    # the year lives in the path (Hive layout): not a column of the files
    one = pq.read_table(demo_export / entry["files"][0]["path"])
    assert "year" not in one.column_names and "month" in one.column_names
    assert "schema_migration" not in manifest["tables"] and "web_session" not in manifest["tables"]
    assert manifest["schema_version"] > 0 and manifest["migrations"][0] == "001_core"
    assert all(len(f["sha256"]) == 64 for e in manifest["tables"].values() for f in e["files"])


def test_tables_option_and_unknown_table(demo_db: str, tmp_path: Path) -> None:
    with Store.open(demo_db, read_only=True) as store:
        m = export_parquet(store, tmp_path / "two", ["enterprise", "chain"])
        assert list(m["tables"]) == ["enterprise", "chain"]
        with pytest.raises(UsageError) as exc:
            export_parquet(store, tmp_path / "bad", ["enterprise", "no_such_table"])
        assert "no_such_table" in exc.value.message("en")


def test_export_refuses_a_non_empty_directory(demo_db: str, tmp_path: Path) -> None:
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "notes.txt").write_text("mine")
    with Store.open(demo_db, read_only=True) as store:
        with pytest.raises(InputError) as exc:
            export_parquet(store, tmp_path / "x", ["chain"])
        assert exc.value.key == "parquet.dir_not_empty"
        with pytest.raises(InputError):  # --overwrite never deletes a folder that is not an export
            export_parquet(store, tmp_path / "x", ["chain"], overwrite=True)
        assert (tmp_path / "x" / "notes.txt").exists()
        export_parquet(store, tmp_path / "y", ["chain"])
        m = export_parquet(store, tmp_path / "y", ["cluster"], overwrite=True)
        assert list(m["tables"]) == ["cluster"] and not (tmp_path / "y" / "chain").exists()


def _refused(directory: Path, tmp_path: Path, key: str) -> str:
    target = tmp_path / "target.duckdb"
    with Store.open(target) as dst:
        before = {t: dst.scalar(f"SELECT count(*) FROM {t}") for t in list_tables(dst)}
        with pytest.raises(InputError) as exc:
            import_parquet(dst, directory)
        after = {t: dst.scalar(f"SELECT count(*) FROM {t}") for t in list_tables(dst)}
    assert exc.value.key == key, exc.value.message("en")
    assert before == after, "a refused import wrote something"
    return exc.value.message("zh")


def _edit_manifest(directory: Path, fn) -> None:
    path = directory / MANIFEST
    m = json.loads(path.read_text(encoding="utf-8"))
    fn(m)
    path.write_text(json.dumps(m), encoding="utf-8")


def test_wrong_schema_version_is_refused(export_copy: Path, tmp_path: Path) -> None:
    _edit_manifest(export_copy, lambda m: m.update(schema_version=m["schema_version"] - 1))
    msg = _refused(export_copy, tmp_path, "parquet.schema_mismatch")
    assert "结构版本" in msg


def test_other_migrations_are_refused(export_copy: Path, tmp_path: Path) -> None:
    _edit_manifest(export_copy, lambda m: m["migrations"].append("999_future"))
    msg = _refused(export_copy, tmp_path, "parquet.schema_mismatch")
    assert "999_future" in msg


def test_altered_file_is_refused(export_copy: Path, tmp_path: Path) -> None:
    m = read_manifest(export_copy)
    f = export_copy / m["tables"]["enterprise"]["files"][0]["path"]
    frame = pq.read_table(f).to_pandas()
    frame.loc[0, "name"] = "篡改的企业名称"
    frame.to_parquet(f, index=False)
    msg = _refused(export_copy, tmp_path, "parquet.checksum")
    assert "enterprise/part-0.parquet" in msg and "SHA-256" in msg


def test_row_count_mismatch_is_refused(export_copy: Path, tmp_path: Path) -> None:
    _edit_manifest(export_copy, lambda m: m["tables"]["chain"]["files"][0].update(rows=1))
    _refused(export_copy, tmp_path, "parquet.rows_mismatch")


def test_missing_and_stray_files_are_refused(export_copy: Path, tmp_path: Path) -> None:
    m = read_manifest(export_copy)
    victim = export_copy / m["tables"]["monthly_value"]["files"][3]["path"]
    stray = victim.with_name("part-99.parquet")
    shutil.copyfile(victim, stray)
    _refused(export_copy, tmp_path, "parquet.extra_file")
    stray.unlink()
    victim.unlink()
    _refused(export_copy, tmp_path, "parquet.file_missing")


def test_not_an_export_is_refused(tmp_path: Path) -> None:
    (tmp_path / "plain").mkdir()
    _refused(tmp_path / "plain", tmp_path, "parquet.no_manifest")
    (tmp_path / "plain" / MANIFEST).write_text("{not json")
    _refused(tmp_path / "plain", tmp_path, "parquet.bad_manifest")
    (tmp_path / "plain" / MANIFEST).write_text(json.dumps({"format": "something-else", "tables": {}}))
    _refused(tmp_path / "plain", tmp_path, "parquet.bad_manifest")
    _refused(tmp_path / "nowhere", tmp_path, "parquet.dir_missing")


def test_columns_mismatch_is_refused(export_copy: Path, tmp_path: Path) -> None:
    _edit_manifest(export_copy, lambda m: m["tables"]["chain"]["columns"].append({"name": "extra", "type": "VARCHAR"}))
    _refused(export_copy, tmp_path, "parquet.columns_mismatch")


def test_a_database_with_data_is_refused(demo_export: Path, demo_db_copy: str) -> None:
    with Store.open(demo_db_copy) as dst, pytest.raises(InputError) as exc:
        import_parquet(dst, demo_export)
    assert exc.value.key == "parquet.not_empty"
    assert "monthly_value" in exc.value.message("en")


def test_sequences_continue_after_loading(tmp_path: Path) -> None:
    with Store.open(tmp_path / "a.duckdb") as src:
        src.scalar("SELECT max(nextval('warning_seq')) FROM range(7)")
        export_parquet(src, tmp_path / "exp", ["chain"])
    with Store.open(tmp_path / "b.duckdb") as dst:
        import_parquet(dst, tmp_path / "exp")
        assert dst.scalar("SELECT nextval('warning_seq')") == 8


def test_cli_export_import_and_refusal(demo_db_copy: str, tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "cli"
    r = runner.invoke(app, ["export", "parquet", str(out), "--db", demo_db_copy, "--tables", "chain,segment",
                            "--format", "json"])
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    assert data["meta"]["command"] == "export.parquet" and data["meta"]["n_rows"] > 0
    assert {x["table"] for x in data["tables"]} == {"chain", "segment"}
    r = runner.invoke(app, ["import-parquet", str(out), "--verify", "--lang", "en"])
    assert r.exit_code == 0 and "checked" in r.stdout
    new = tmp_path / "new.duckdb"
    r = runner.invoke(app, ["import-parquet", str(out), "--db", str(new)])
    assert r.exit_code == 0, r.output
    assert "已从" in r.stdout
    r = runner.invoke(app, ["import-parquet", str(out), "--db", str(new), "--lang", "en"])
    assert r.exit_code == 1 and "already holds data" in r.stderr
    r = runner.invoke(app, ["export", "parquet", str(tmp_path / "u"), "--db", demo_db_copy, "--tables", "nope"])
    assert r.exit_code == 2
