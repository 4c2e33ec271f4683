"""The PostgreSQL store implements the store interface with the same results as DuckDB."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from chainwatch.errors import ChainwatchError
from chainwatch.store import Store
from chainwatch.store.dialect import NotPortable, to_postgres
from chainwatch.store.pg import PgStore, safe_url


def test_interface_methods_round_trip(pg_url: str) -> None:
    with Store.open(pg_url) as store:
        assert isinstance(store, PgStore) and store.backend == "postgresql"
        store.execute("CREATE TABLE t (a INTEGER, b VARCHAR)")
        frame = pd.DataFrame({"b": ["x", "y", "z"], "a": [1, 2, 3]})
        assert store.insert_df("t", frame, ["a", "b"]) == 3
        store.executemany("INSERT INTO t VALUES (?, ?)", [(4, "w"), (5, "v")])
        assert store.scalar("SELECT sum(a) FROM t") == 15
        with store.registered("_extra", pd.DataFrame({"a": [2, 4]})):
            assert store.rows("SELECT b FROM t WHERE a IN (SELECT a FROM _extra) ORDER BY a") == [("y",), ("w",)]
        assert not store.table_exists("_extra")
        arrays = store.numpy("SELECT a, b FROM t ORDER BY a")
        assert list(arrays["a"]) == [1, 2, 3, 4, 5]
        other = store.cursor()
        assert other.scalar("SELECT count(*) FROM t") == 5
        try:
            with store.transaction():
                store.execute("DELETE FROM t")
                raise RuntimeError("roll back")
        except RuntimeError:
            pass
        assert store.scalar("SELECT count(*) FROM t") == 5
        with store.transaction() as tx:
            tx.execute("DELETE FROM t WHERE a = ?", [5])
            assert other.scalar("SELECT count(*) FROM t") == 5  # not visible before commit
        assert other.scalar("SELECT count(*) FROM t") == 4
        other.close()
        assert store.display_name == safe_url(pg_url)
        assert store.ibis().table("t").count().execute() == 4


QUERIES = [
    "SELECT 1::INTEGER AS a, NULL::INTEGER AS an, 2::BIGINT AS b, 1.5::DOUBLE AS d, NULL::DOUBLE AS dn, "
    "TRUE AS bo, DATE '2024-01-02' AS dt, TIMESTAMP '2024-01-02 03:04:05.123456' AS ts, 'x' AS s, "
    "NULL::VARCHAR AS sn",
    "SELECT count(*) AS n, sum(x) AS s, avg(x) AS m FROM (SELECT 1 AS x UNION ALL SELECT 2) q",
    "SELECT a / b AS q, round(a / b, 2) AS r FROM (SELECT 1 AS a, 3 AS b) q",
    "SELECT k, sum(v) AS v FROM (SELECT 'a' AS k, 1.0 AS v UNION ALL SELECT 'b', 2.0) q GROUP BY k ORDER BY k DESC",
    "SELECT code FROM region WHERE code LIKE '3302%' AND level = 3 ORDER BY code LIMIT 2",
]


@pytest.mark.parametrize("sql", QUERIES)
def test_frames_match_duckdb(pg_url: str, tmp_path: Path, sql: str) -> None:
    with Store.open(tmp_path / "d.duckdb") as duck, Store.open(pg_url) as pg:
        a, b = duck.df(sql), pg.df(sql)
        assert list(a.columns) == list(b.columns)
        for col in a.columns:
            assert str(a[col].dtype) == str(b[col].dtype) or (a[col].dtype.kind in "fi" and b[col].dtype.kind in "fi"), col
        pd.testing.assert_frame_equal(a, b, check_dtype=False)


def test_parameters_and_percent_signs(pg_url: str) -> None:
    with Store.open(pg_url) as store:
        assert store.scalar("SELECT ? || '%'", ["50"]) == "50%"
        assert store.scalar("SELECT '100%'") == "100%"
        assert store.rows("SELECT code FROM region WHERE code LIKE '3302%' AND code = ?", ["330212"]) == [("330212",)]
        assert store.scalar("SELECT ? + 1", [np.int64(41)]) == 42
        assert store.scalar("SELECT CAST(? AS DOUBLE) * 2", [np.float64(1.25)]) == 2.5
        assert store.scalar("SELECT CAST(? AS DATE)", [date(2024, 2, 29)]) == date(2024, 2, 29)
        assert store.scalar("SELECT CAST(? AS TIMESTAMP)", [datetime(2024, 1, 1, 8)]) == datetime(2024, 1, 1, 8)


def test_translation_rules() -> None:
    assert "%s" in to_postgres("SELECT * FROM t WHERE a = ?", params=True)
    assert "'5%%'" in to_postgres("SELECT '5%' FROM t WHERE a = ?", params=True)
    assert "'5%'" in to_postgres("SELECT '5%' FROM t", params=False)
    assert "DOUBLE PRECISION" in to_postgres("SELECT a / b FROM t", params=False)  # DuckDB '/' is real division
    assert "AS DECIMAL" in to_postgres("SELECT round(x, 2) FROM t", params=False)
    assert "NULLS LAST" in to_postgres("SELECT a FROM t ORDER BY a DESC", params=False)
    assert "MIN(" in to_postgres("SELECT any_value(a) FROM t", params=False)
    assert " AS _cw_sub" in to_postgres("SELECT count(*) FROM (SELECT 1 FROM t)", params=False)
    for bad in ("SELECT a, count(*) FROM t GROUP BY ALL", "SELECT * EXCLUDE (a) FROM t",
                "SELECT TRY_CAST(a AS INTEGER) FROM t", "SELECT * FROM t WHERE a = $x"):
        with pytest.raises(NotPortable):
            to_postgres(bad, params=False)


def test_read_only_refuses_writes(pg_url: str) -> None:
    Store.open(pg_url).close()
    with Store.open(pg_url, read_only=True) as store:
        assert store.scalar("SELECT count(*) FROM region") > 0
        with pytest.raises(Exception, match="read-only"):
            store.execute("DELETE FROM region")


def test_missing_schema_in_read_only_mode_is_a_clear_error(pg_url: str) -> None:
    with pytest.raises(ChainwatchError) as exc:
        Store.open(pg_url, read_only=True)
    assert exc.value.key == "db.missing"


def test_unknown_database_and_refused_connection(pg_server: object) -> None:
    url = pg_server.url("no_such_db")  # type: ignore[attr-defined]
    with pytest.raises(ChainwatchError) as exc:
        Store.open(url)
    assert exc.value.key == "store.pg_no_database" and "createdb" in exc.value.message("en")
    from chainwatch.store.pglocal import free_port

    with pytest.raises(ChainwatchError) as exc:
        PgStore.open(f"postgresql://nobody@127.0.0.1:{free_port()}/x", timeout=2)
    assert exc.value.key == "store.pg_connect"


def _as_password_user(url: str) -> str:
    from chainwatch.store.pglocal import PASSWORD_USER

    return url.replace("postgresql://postgres@", f"postgresql://{PASSWORD_USER}@")


def test_password_from_environment_never_shown(pg_url: str, pg_server: object,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    from chainwatch.service import Chainwatch
    from chainwatch.store.pglocal import PASSWORD, PASSWORD_USER

    url = _as_password_user(pg_url)
    dbname = pg_url.rsplit("/", 1)[1]
    monkeypatch.delenv("PGPASSWORD", raising=False)
    monkeypatch.setenv("PGPASSFILE", "/nonexistent")
    with pytest.raises(ChainwatchError) as exc:  # no password, no terminal: a clear error, no prompt
        PgStore.open(url, timeout=5)
    assert exc.value.key == "store.pg_connect"
    monkeypatch.setenv("PGPASSWORD", PASSWORD)
    with Chainwatch(url, lang="en") as cw:
        meta = cw.meta()
        assert PASSWORD not in repr(meta) and meta["database"] == f"postgresql://{PASSWORD_USER}@127.0.0.1:" \
            f"{pg_server.port}/{dbname}"  # type: ignore[attr-defined]
        assert PASSWORD not in cw.store.display_name
    # a password written into the URL works but is never printed either
    monkeypatch.delenv("PGPASSWORD")
    with_pw = url.replace(f"{PASSWORD_USER}@", f"{PASSWORD_USER}:{PASSWORD}@")
    with Store.open(with_pw) as store:
        assert PASSWORD not in store.display_name
    with pytest.raises(ChainwatchError) as exc:
        PgStore.open(url.replace(f"{PASSWORD_USER}@", f"{PASSWORD_USER}:wrong-{PASSWORD}@"), timeout=5)
    assert PASSWORD not in exc.value.message("en") and PASSWORD not in exc.value.message("zh")


def test_password_from_pgpass_file(pg_url: str, pg_server: object, tmp_path: Path,
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    from chainwatch.store.pglocal import PASSWORD, PASSWORD_USER

    passfile = tmp_path / "pgpass"
    passfile.write_text(f"127.0.0.1:{pg_server.port}:*:{PASSWORD_USER}:{PASSWORD}\n")  # type: ignore[attr-defined]
    passfile.chmod(0o600)
    monkeypatch.delenv("PGPASSWORD", raising=False)
    monkeypatch.setenv("PGPASSFILE", str(passfile))
    with Store.open(_as_password_user(pg_url)) as store:
        assert store.scalar("SELECT current_user") == PASSWORD_USER


def test_cli_json_meta_never_holds_the_password(pg_url: str) -> None:
    from chainwatch.store.pglocal import PASSWORD, PASSWORD_USER

    Store.open(pg_url).close()
    url = _as_password_user(pg_url)
    env = {**os.environ, "PGPASSWORD": PASSWORD, "CHAINWATCH_DB": url}
    out = subprocess.run([sys.executable, "-m", "chainwatch.cli.main", "info", "--format", "json"],
                         capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == 0, out.stderr
    assert PASSWORD not in out.stdout + out.stderr
    assert f"postgresql://{PASSWORD_USER}@" in out.stdout
    bad = subprocess.run([sys.executable, "-m", "chainwatch.cli.main", "info", "--db",
                          url.replace("@", f":{PASSWORD}x@")], capture_output=True, text=True,
                         env={k: v for k, v in env.items() if k != "PGPASSWORD"}, timeout=120)
    assert bad.returncode == 1 and PASSWORD not in bad.stdout + bad.stderr
