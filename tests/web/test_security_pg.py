"""The hardening features on the PostgreSQL store: named IO tables, the security audit chain, login
policy, and the web app's admission with pooled connections (``Store.cursor()`` of that backend)."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from chainwatch.errors import AuthenticationRequired, NotFound
from chainwatch.service import Chainwatch

PLAIN = "sector,s1,s2,fd,x\ns1,10,20,70,100\ns2,30,10,160,200\n"
STRONG = "harbour-lantern-58"


def test_io_tables_audit_and_login_on_postgresql(pg_url: str, tmp_path: Path) -> None:
    f = tmp_path / "tiny.csv"
    f.write_text(PLAIN)
    with Chainwatch(pg_url, actor="test") as cw:
        cw.users.add("analyst_pg", STRONG, "analyst")
        with pytest.raises(AuthenticationRequired):
            cw.users.authenticate("analyst_pg", "wrong-password", "10.0.0.1")
        cw.users.create_session("analyst_pg", address="10.0.0.2")
        cw.io_tables.import_file(f, "tiny")
        res = cw.shock.run({"model": "leontief", "table": "tiny",
                            "shocks": [{"sector": "s1", "demand_change_pct": -10}]})
        assert res.tables["summary"]["output_change"].iat[0] < 0
        with pytest.raises(NotFound):
            cw.shock.run({"model": "leontief", "table": "/etc/passwd",
                          "shocks": [{"sector": "s1", "demand_change": -1}]})
        events = cw.audit.list(limit=50).tables["events"]
        assert {"user.add", "login", "io.table.import"} <= set(events["action"])
        out = cw.audit.verify().tables["verify"].iloc[0]
        assert bool(out["ok"]) and out["entries"] == len(events)
        assert len(cw.audit.list(since="2000-01-01", action="login").tables["events"]) == 2


def test_web_app_on_postgresql(pg_url: str, tmp_path: Path) -> None:
    from chainwatch.settings import load_settings
    from chainwatch.web import create_app

    f = tmp_path / "tiny.csv"
    f.write_text(PLAIN)
    with Chainwatch(pg_url, actor="test") as cw:
        cw.users.add("analyst_pg", STRONG, "analyst")
        cw.io_tables.import_file(f, "tiny")
    app = create_app(load_settings(db=pg_url, web_concurrency=3), warm=False)
    c = TestClient(app, raise_server_exceptions=False)
    tok = c.post("/api/auth/login", json={"username": "analyst_pg", "password": STRONG}).json()["token"]
    h = {"Authorization": f"Bearer {tok}"}
    for _ in range(5):   # more requests than slots, one after another: handles return to the pool
        r = c.post("/api/simulation/run", headers=h,
                   json={"model": "leontief", "table": "tiny", "shocks": [{"sector": "s2", "demand_change_pct": 5}]})
        assert r.status_code == 200, r.text
    r = c.post("/api/simulation/run", headers=h,
               json={"model": "leontief", "table": "/dev/zero", "shocks": [{"sector": "s2", "demand_change": 1}]})
    assert r.status_code == 404 and r.json()["error"]["key"] == "sec.io.unknown_table"
    assert app.state.web.cw.audit.verify().tables["verify"]["ok"].iat[0]
