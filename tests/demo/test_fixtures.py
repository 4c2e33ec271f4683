"""The shared fixtures: demo_cw writes to a private copy, never to demo_db."""

from __future__ import annotations

import duckdb


def test_demo_cw_is_a_private_copy(demo_cw, demo_db):
    assert demo_cw.db_path != demo_db
    demo_cw.store.execute("INSERT INTO cluster (cluster_id, name_zh) VALUES ('test_only', '测试')")
    assert demo_cw.store.scalar("SELECT count(*) FROM cluster WHERE cluster_id = 'test_only'") == 1
    con = duckdb.connect(demo_db, read_only=True)
    try:
        assert con.execute("SELECT count(*) FROM cluster WHERE cluster_id = 'test_only'").fetchall() == [(0,)]
        assert con.execute("SELECT value FROM demo_info WHERE key = 'status'").fetchall() == [("complete",)]
    finally:
        con.close()
