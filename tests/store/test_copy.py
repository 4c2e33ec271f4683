"""``chainwatch store copy``: DuckDB → PostgreSQL → DuckDB keeps every row; audit chains still verify."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from chainwatch.analytics.risk.lifecycle import verify_chain
from chainwatch.errors import ChainwatchError
from chainwatch.service import Chainwatch
from chainwatch.store import Store

PERIOD = "2021-06"


def _history(db: str) -> None:
    """Give the database some history: a warning run worked on, a user, a revised value."""
    with Chainwatch(db, lang="zh", actor="analyst") as cw:
        cw.risk.run(PERIOD)
        wid = int(cw.risk.list().tables["warnings"]["id"].iloc[0])
        cw.risk.transition(wid, "ack", actor="alice")
        cw.risk.transition(wid, "comment", actor="bob", note="走访企业，订单下滑属实")
        cw.users.add("district1", "pass-word-123", "district", districts=["330212"])
        row = cw.store.df("SELECT uscc, period, gross_output FROM monthly_value ORDER BY uscc, period LIMIT 1")
        frame = pd.DataFrame({"uscc": row["uscc"], "period": row["period"],
                              "gross_output": row["gross_output"] * 1.1 + 1})
        cw.data.import_frame("monthly", frame, source_name="revision.csv", unit="万元")


def _frame(store: Store, table: str) -> pd.DataFrame:
    cols = [c for c, _ in store.columns(table)]
    df = store.df(f"SELECT {', '.join(chr(34) + c + chr(34) for c in cols)} FROM {table}")
    if len(df):
        df = df.sort_values(cols, na_position="first", kind="mergesort").reset_index(drop=True)
    return df


def _assert_same(a: Store, b: Store, skip_audit_rows: int = 0) -> None:
    tables = sorted(set(a.tables()) - {"schema_migration"})
    assert tables == sorted(set(b.tables()) - {"schema_migration"})
    for table in tables:
        x, y = _frame(a, table), _frame(b, table)
        if table == "audit_log" and skip_audit_rows:  # each copy adds its own audit row on the target
            y = y[y["action"] != "store.copy"].reset_index(drop=True)
            x = x[x["action"] != "store.copy"].reset_index(drop=True)
        assert len(x) == len(y), table
        pd.testing.assert_frame_equal(x, y, check_dtype=False, obj=table)


@pytest.mark.slow
def test_round_trip_keeps_every_table_and_the_audit_chains(demo_db_copy: str, pg_url: str, tmp_path: Path) -> None:
    _history(demo_db_copy)
    env = {**os.environ, "CHAINWATCH_LANG": "en"}
    out = subprocess.run([sys.executable, "-m", "chainwatch.cli.main", "store", "copy", "--from", demo_db_copy,
                          "--to", pg_url, "--format", "json"], capture_output=True, text=True, env=env, timeout=600)
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    copied = {r["table"]: r["rows"] for r in result["tables"]}
    assert copied["monthly_value"] > 100_000 and copied["warning_event"] > 0 and copied["web_user"] == 1
    back = tmp_path / "back.duckdb"
    with Chainwatch(pg_url, read_only=True, create=False) as cw:
        cw.data.copy_to(str(back))
    with Store.open(demo_db_copy, read_only=True) as a, Store.open(pg_url, read_only=True) as b, \
            Store.open(back, read_only=True) as c:
        _assert_same(a, b, skip_audit_rows=1)
        _assert_same(a, c, skip_audit_rows=1)
        assert b.sequences()["warning_seq"] == a.sequences()["warning_seq"]
    with Chainwatch(pg_url, lang="zh", actor="lead") as cw:
        ids = [int(i) for i in cw.store.df("SELECT DISTINCT warning_id FROM warning_event")["warning_id"]]
        assert ids and all(verify_chain(cw.risk.events(i)) for i in ids)
        # the copy goes on where the source stopped: new warnings get new ids, chains extend
        before = int(cw.store.scalar("SELECT max(id) FROM warning"))
        cw.risk.run("2021-07")
        assert int(cw.store.scalar("SELECT min(id) FROM warning WHERE first_period = '2021-07'")) > before
        wid = ids[0]
        cw.risk.transition(wid, "comment", note="copied database keeps its chain")
        assert verify_chain(cw.risk.events(wid))
        assert cw.users.session is not None and cw.store.scalar(
            "SELECT role FROM web_user WHERE username = 'district1'") == "district"


def test_copy_refuses_a_target_with_data_and_leaves_it_unchanged(demo_db_copy: str, pg_url: str) -> None:
    with Chainwatch(demo_db_copy, read_only=True, create=False) as cw:
        cw.data.copy_to(pg_url)
        with pytest.raises(ChainwatchError) as exc:
            cw.data.copy_to(pg_url)
        assert exc.value.key == "store.copy_not_empty"
    with Store.open(pg_url) as store:
        n = store.scalar("SELECT count(*) FROM monthly_value")
        store.native("ALTER TABLE monthly_value ADD CONSTRAINT only_small CHECK (gross_output < 0) NOT VALID")
    with Chainwatch(demo_db_copy, read_only=True, create=False) as cw, pytest.raises(ChainwatchError) as exc:
        cw.data.copy_to(pg_url, replace=True)  # fails half-way: nothing of it may stay
    assert exc.value.key == "store.copy_failed" and "monthly_value" in exc.value.message("en")
    with Store.open(pg_url) as store:
        assert store.scalar("SELECT count(*) FROM monthly_value") == n
        assert store.scalar("SELECT count(*) FROM audit_log WHERE action = 'store.copy'") == 1


def test_same_source_and_target_is_a_usage_error(demo_db_copy: str) -> None:
    out = subprocess.run([sys.executable, "-m", "chainwatch.cli.main", "store", "copy", "--from", demo_db_copy,
                          "--to", demo_db_copy], capture_output=True, text=True, timeout=120)
    assert out.returncode == 2
