"""The security audit log: every security-relevant event, queryable by admins, tamper-evident."""

from __future__ import annotations

import json
import shutil
import threading
from concurrent.futures import ThreadPoolExecutor

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from chainwatch.cli.main import app as cli
from chainwatch.service import Chainwatch

runner = CliRunner()
STRONG = "harbour-lantern-58"


@pytest.fixture()
def city_copy(web_db, tmp_path):  # noqa: ANN001, ANN201
    db = tmp_path / "city.duckdb"
    shutil.copyfile(web_db, db)
    return str(db)


def _events(app) -> pd.DataFrame:  # noqa: ANN001
    return app.state.web.cw.audit.list(limit=10_000).tables["events"]


def test_every_security_event_is_recorded(city_copy, city, tmp_path) -> None:  # noqa: ANN001
    from chainwatch.settings import load_settings
    from chainwatch.web import create_app

    app = create_app(load_settings(db=city_copy, login_attempts=3), warm=False)
    c = TestClient(app, raise_server_exceptions=False, client=("192.0.2.10", 5000))
    start = int(app.state.web.cw.store.scalar("SELECT coalesce(max(seq), 0) FROM security_event"))

    def login(user: str, pw: str) -> dict:
        return c.post("/api/auth/login", json={"username": user, "password": pw}).json()

    admin = {"Authorization": f"Bearer {login('admin', city.PASSWORD)['token']}"}
    login("analyst", "wrong-password")
    login("ghost", "wrong-password")
    for _ in range(4):
        login("official_a", "wrong-password")            # 3 failures, then throttled
    viewer = {"Authorization": f"Bearer {login('viewer', city.PASSWORD)['token']}"}
    assert c.get("/api/enterprises", headers=viewer).status_code == 403           # role
    assert c.get("/api/audit/security", headers=viewer).status_code == 403        # admin only
    c.post("/api/auth/logout", headers=viewer)
    assert c.post("/api/users", json={"username": "bob", "password": STRONG, "role": "viewer"},
                  headers=admin).status_code == 201
    c.patch("/api/users/bob", json={"role": "analyst"}, headers=admin)
    c.patch("/api/users/bob", json={"password": "another-lantern-77"}, headers=admin)
    c.delete("/api/users/bob", headers=admin)
    analyst = {"Authorization": f"Bearer {login('analyst', city.PASSWORD)['token']}"}
    r = c.get("/api/reports/bulletin?format=html", headers=analyst)
    assert r.status_code == 200
    csv = f"统一社会信用代码,企业名称,所在区县代码,国民经济行业代码\n{city.USCC[0]},测试企业,{city.DISTRICT_A},3841\n"
    up = c.post("/api/imports", data={"kind": "enterprise"}, files={"file": ("e.csv", csv.encode(), "text/csv")},
                headers=analyst).json()
    assert up["valid"], up
    assert c.post(f"/api/imports/{up['meta']['upload_id']}/confirm", headers=analyst).status_code == 200
    ev = _events(app)
    ev = ev[ev["seq"] > start]
    seen = set(zip(ev["action"], ev["outcome"], strict=True))
    for expected in [("login", "ok"), ("login", "failed"), ("login.throttled", "denied"), ("logout", "ok"),
                     ("access.denied", "denied"), ("user.add", "ok"), ("user.update", "ok"), ("user.passwd", "ok"),
                     ("user.remove", "ok"), ("export", "ok")]:
        assert expected in seen, (expected, sorted(seen))
    failed = ev[(ev["action"] == "login") & (ev["outcome"] == "failed")]
    reasons = {json.loads(d)["reason"] for d in failed["detail"]}
    assert {"wrong password", "unknown account"} <= reasons
    assert set(failed["address"]) == {"192.0.2.10"}
    update = json.loads(ev[ev["action"] == "user.update"]["detail"].iat[-1])
    assert update["role"] == ["viewer", "analyst"]
    denied = ev[ev["action"] == "access.denied"]
    assert set(denied["actor"]) == {"viewer"} and any("/api/enterprises" in o for o in denied["object"])
    assert set(ev[ev["action"] == "user.add"]["actor"]) == {"admin"}
    assert ("import.confirm", "ok") in seen
    # the general write log keeps its rows too
    assert app.state.web.cw.store.scalar("SELECT count(*) FROM audit_log WHERE action = 'user.add'") >= 1
    assert bool(app.state.web.cw.audit.verify().tables["verify"]["ok"].iat[0])


def test_admin_api_and_page(city_copy, city) -> None:  # noqa: ANN001
    from chainwatch.settings import load_settings
    from chainwatch.web import create_app

    app = create_app(load_settings(db=city_copy), warm=False)
    c = TestClient(app, raise_server_exceptions=False)
    tok = c.post("/api/auth/login", json={"username": "admin", "password": city.PASSWORD}).json()["token"]
    h = {"Authorization": f"Bearer {tok}"}
    r = c.get("/api/audit/security?action=login&limit=5", headers=h)
    assert r.status_code == 200 and r.json()["events"] and all(e["action"] == "login" for e in r.json()["events"])
    assert c.get("/api/audit/security?since=yesterday", headers=h).status_code == 422
    v = c.get("/api/audit/security/verify", headers=h).json()
    assert v["verify"][0]["ok"] is True and v["verify"][0]["entries"] >= 1
    page = c.get("/admin", headers=h).text
    assert 'id="security-table"' in page and 'id="security-verify"' in page and "哈希链校验通过" in page


def test_tampering_is_detected(city_copy, tmp_path) -> None:  # noqa: ANN001
    with Chainwatch(city_copy, actor="admin") as cw:
        for i in range(6):
            cw.audit.record("user.add", f"u{i}", detail={"i": i})
        assert bool(cw.audit.verify().tables["verify"]["ok"].iat[0])
        head = int(cw.store.scalar("SELECT max(seq) FROM security_event"))
        cw.store.execute("UPDATE security_event SET detail = '{\"i\": 99}' WHERE seq = ?", [head - 2])
        out = cw.audit.verify().tables["verify"].iloc[0]
        assert not out["ok"] and out["broken_seq"] == head - 2 and out["problem"] == "hash"
    r = runner.invoke(cli, ["--lang", "en", "audit", "verify", "--db", city_copy])
    assert r.exit_code == 1 and "breaks at entry" in r.output
    with Chainwatch(city_copy, actor="admin") as cw:
        cw.store.execute("DELETE FROM security_event WHERE seq >= ?", [head - 2])
        assert bool(cw.audit.verify().tables["verify"]["ok"].iat[0])     # truncation: compare the head
        cw.store.execute("DELETE FROM security_event WHERE seq = ?", [head - 4])
        out = cw.audit.verify().tables["verify"].iloc[0]
        assert not out["ok"] and out["problem"] in ("missing", "prev_hash")


def test_cli_list_filters_and_actor(city_copy) -> None:  # noqa: ANN001
    r = runner.invoke(cli, ["users", "add", "carol", "--password-stdin", "--db", city_copy], input=STRONG + "\n")
    assert r.exit_code == 0, r.output
    r = runner.invoke(cli, ["audit", "list", "--action", "user.", "--format", "json", "--db", city_copy])
    assert r.exit_code == 0, r.output
    events = json.loads(r.output)["events"]
    assert events and events[0]["action"] == "user.add" and events[0]["object"] == "carol"
    assert events[0]["actor"].startswith("cli")
    r = runner.invoke(cli, ["audit", "list", "--since", "2999-01-01", "--format", "json", "--db", city_copy])
    assert json.loads(r.output)["events"] == []
    r = runner.invoke(cli, ["--lang", "en", "audit", "list", "--since", "soon", "--db", city_copy])
    assert r.exit_code == 1 and "--since" in r.output
    r = runner.invoke(cli, ["audit", "verify", "--format", "json", "--db", city_copy])
    assert r.exit_code == 0 and json.loads(r.output)["verify"][0]["ok"] is True


def test_concurrent_appends_keep_one_chain(city_copy) -> None:  # noqa: ANN001
    with Chainwatch(city_copy, actor="test") as cw:
        handles = [cw.store.cursor() for _ in range(6)]
        barrier = threading.Barrier(len(handles))

        def writer(store):  # noqa: ANN001, ANN202
            facade = Chainwatch.__new__(Chainwatch)
            facade.__dict__.update(cw.__dict__)
            facade.__dict__.update(store=store, _subs={})
            barrier.wait()
            return [facade.audit.record("export", f"x{i}") for i in range(15)]

        with ThreadPoolExecutor(len(handles)) as ex:
            seqs = sorted(s for chunk in ex.map(writer, handles) for s in chunk)
        assert seqs == list(range(seqs[0], seqs[0] + 90))
        assert bool(cw.audit.verify().tables["verify"]["ok"].iat[0])
