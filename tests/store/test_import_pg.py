"""Imports into PostgreSQL: same validation and results as DuckDB, one transaction, an import lock."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pandas as pd
import pytest

from chainwatch.errors import DatabaseBusy, ValidationFailed
from chainwatch.service import Chainwatch
from chainwatch.store import Store
from chainwatch.store.pg import IMPORT_LOCK


def _monthly_file(cw: Chainwatch, path: Path, periods: list[str], n: int | None = None) -> Path:
    usccs = cw.store.df("SELECT uscc FROM enterprise ORDER BY uscc")["uscc"].tolist()[:n]
    rows = [(u, p, 100.0 + i % 97, 30.0 + i % 13, 5.5) for i, (u, p) in
            enumerate((u, p) for p in periods for u in usccs)]
    pd.DataFrame(rows, columns=["统一社会信用代码", "期间", "工业总产值(千元)", "工业增加值(千元)", "利润总额(千元)"]) \
        .to_csv(path, index=False, encoding="utf-8")
    return path


def _bad_file(path: Path, uscc: str) -> Path:
    path.write_text("uscc,period,gross_output\n"
                    f"{uscc},2022-01,12\n"
                    "91330200MA2AAAAAAX,2022-01,10\n"     # bad check character
                    f"{uscc},2022-13,5\n"                  # bad period
                    f"{uscc},2022-02,-4\n"                 # negative output
                    f"{uscc},2022-01,13\n", encoding="utf-8")  # duplicate of row 2
    return path


def _table(store: Store, sql: str) -> pd.DataFrame:
    return store.df(sql).reset_index(drop=True)


def test_import_gives_the_same_rows_report_and_errors(demo_db_copy: str, demo_pg: str, tmp_path: Path) -> None:
    with Chainwatch(demo_db_copy, actor="analyst") as duck, Chainwatch(demo_pg, actor="analyst") as pg:
        f = _monthly_file(duck, tmp_path / "m.csv", ["2022-01", "2022-02"], n=300)
        reports = [cw.data.import_file(f, "monthly") for cw in (duck, pg)]
        a, b = (r.as_dict() for r in reports)
        assert {k: v for k, v in a.items() if k != "batch_id"} == {k: v for k, v in b.items() if k != "batch_id"}
        assert a["rows_inserted"] == 600 and a["batch_id"] == b["batch_id"]
        sql = ("SELECT uscc, period, year, month, gross_output, value_added, total_profit, batch_id FROM monthly_value "
               "WHERE period >= '2022-01' ORDER BY uscc, period")
        pd.testing.assert_frame_equal(_table(duck.store, sql), _table(pg.store, sql), check_dtype=False)
        # a correction is a revision on both, with the same old and new values
        usccs = duck.store.df("SELECT uscc FROM enterprise ORDER BY uscc LIMIT 2")["uscc"].tolist()
        fix = tmp_path / "fix.csv"
        fix.write_text(f"uscc,period,gross_output\n{usccs[0]},2022-01,999\n{usccs[1]},2022-01,101\n", encoding="utf-8")
        for cw in (duck, pg):
            r = cw.data.import_file(fix, "monthly", unit="千元")
            assert (r.rows_revised, r.rows_unchanged) == (1, 1)
        rev = "SELECT kind, key, field, old_value, new_value, old_batch, new_batch FROM value_revision ORDER BY key"
        ra, rb = _table(duck.store, rev), _table(pg.store, rev)
        assert len(ra) == len(rb) == 1 and ra["key"][0] == rb["key"][0] and ra["new_batch"][0] == rb["new_batch"][0]
        assert float(ra["old_value"][0]) == float(rb["old_value"][0]) and float(ra["new_value"][0]) == float(rb["new_value"][0])
        # re-importing the same file changes nothing
        assert all(cw.data.import_file(fix, "monthly", unit="千元").rows_unchanged == 2 for cw in (duck, pg))
        # the same row-level errors, and nothing written
        bad = _bad_file(tmp_path / "bad.csv", usccs[0])
        errors = []
        for cw in (duck, pg):
            before = cw.store.scalar("SELECT count(*) FROM import_batch")
            with pytest.raises(ValidationFailed) as exc:
                cw.data.import_file(bad, "monthly", unit="万元")
            errors.append(exc.value.errors.reset_index(drop=True))
            assert cw.store.scalar("SELECT count(*) FROM import_batch") == before
        pd.testing.assert_frame_equal(errors[0], errors[1])
        assert set(errors[0]["key"]) >= {"v.uscc_check", "v.period", "v.negative", "v.duplicate"}
        # a dry run validates on the server's data and writes nothing
        r = pg.data.import_file(fix, "monthly", unit="千元", dry_run=True)
        assert r.dry_run and r.batch_id is None


def test_references_are_checked_against_the_server(demo_pg: str, tmp_path: Path) -> None:
    with Chainwatch(demo_pg) as cw:
        seg = cw.store.scalar("SELECT min(segment_id) FROM segment")
        chain = cw.store.scalar("SELECT chain_id FROM segment WHERE segment_id = ?", [seg])
        f = tmp_path / "edges.csv"
        f.write_text(f"chain_id,from_segment,to_segment\n{chain},{seg},no.such.segment\n", encoding="utf-8")
        with pytest.raises(ValidationFailed) as exc:
            cw.data.import_file(f, "segment_edge")
        assert list(exc.value.errors["key"]) == ["v.unknown_segment"]
        # an edge closing a cycle with the stored graph is refused, as on DuckDB
        a, b = cw.store.rows("SELECT from_segment, to_segment FROM segment_edge ORDER BY 1, 2 LIMIT 1")[0]
        f.write_text(f"chain_id,from_segment,to_segment\n{chain},{b},{a}\n", encoding="utf-8")
        with pytest.raises(ValidationFailed) as exc:
            cw.data.import_file(f, "segment_edge")
        assert "v.cycle" in set(exc.value.errors["key"]) or "v.edge_chain" in set(exc.value.errors["key"])


def _hold_import_lock(url: str, seconds: float, started: threading.Event) -> None:
    import psycopg

    with psycopg.connect(url) as conn, conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", [IMPORT_LOCK])
        started.set()
        time.sleep(seconds)


def test_a_second_importer_waits_then_gets_the_busy_message(demo_pg: str, tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    with Chainwatch(demo_pg) as cw:
        f = _monthly_file(cw, tmp_path / "m.csv", ["2022-03"], n=50)
    started = threading.Event()
    holder = threading.Thread(target=_hold_import_lock, args=(demo_pg, 20.0, started))
    holder.start()
    assert started.wait(30)
    # a short wait: busy, exit 3, nothing written
    monkeypatch.setenv("CHAINWATCH_IMPORT_WAIT_SECONDS", "1")
    out = subprocess.run([sys.executable, "-m", "chainwatch.cli.main", "import", str(f), "--kind", "monthly",
                          "--unit", "万元", "--db", demo_pg, "--lang", "en"], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 3, out.stderr
    assert "Another import" in out.stderr and "import_wait_seconds" in out.stderr
    # a long enough wait: the import goes through once the other one commits
    monkeypatch.setenv("CHAINWATCH_IMPORT_WAIT_SECONDS", "60")
    with Chainwatch(demo_pg) as cw:
        t0 = time.monotonic()
        r = cw.data.import_file(f, "monthly", unit="万元")
        assert r.rows_inserted == 50
    holder.join()
    assert time.monotonic() - t0 < 60
    with Chainwatch(demo_pg) as cw, pytest.raises(DatabaseBusy):
        started.clear()
        holder = threading.Thread(target=_hold_import_lock, args=(demo_pg, 2.0, started))
        holder.start()
        assert started.wait(30)
        with cw.store.import_lock(wait_seconds=0.2):
            pass
    holder.join()


def _counts(url: str) -> dict[str, int]:
    with Store.open(url, read_only=True) as s:
        return {t: int(s.scalar(f"SELECT count(*) FROM {t}")) for t in
                ("monthly_value", "import_batch", "value_revision", "audit_log")}


@pytest.mark.slow
def test_kill_9_during_an_import_leaves_postgresql_unchanged(demo_pg: str, tmp_path: Path) -> None:
    import psycopg

    with Chainwatch(demo_pg) as cw:
        periods = [f"{y}-{m:02d}" for y in (2022, 2023, 2024) for m in range(1, 13)]
        f = _monthly_file(cw, tmp_path / "big.csv", periods)
    before = _counts(demo_pg)
    proc = subprocess.Popen([sys.executable, "-m", "chainwatch.cli.main", "import", str(f), "--kind", "monthly",
                             "--db", demo_pg], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    killed_in_transaction = False
    deadline = time.monotonic() + 300
    with psycopg.connect(demo_pg, autocommit=True) as watch:
        while proc.poll() is None and time.monotonic() < deadline:
            held = watch.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = %s "
                                 "AND granted", [IMPORT_LOCK & 0xFFFFFFFF]).fetchone()[0]
            if held:
                time.sleep(0.05)  # well inside the transaction: COPY or the inserts
                os.kill(proc.pid, signal.SIGKILL)
                killed_in_transaction = True
                break
            time.sleep(0.01)
    proc.wait(60)
    assert killed_in_transaction, "the import finished before it could be killed"
    for _ in range(100):  # the server notices the lost client and rolls back
        with psycopg.connect(demo_pg, autocommit=True) as watch:
            if not watch.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = %s",
                                 [IMPORT_LOCK & 0xFFFFFFFF]).fetchone()[0]:
                break
        time.sleep(0.1)
    assert _counts(demo_pg) == before
    with Chainwatch(demo_pg) as cw:  # and the next import runs normally
        n = int(cw.store.scalar("SELECT count(*) FROM enterprise"))
        assert cw.data.import_file(f, "monthly").rows_inserted == n * 36
