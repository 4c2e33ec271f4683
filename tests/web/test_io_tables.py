"""Finding 1: no client names a path; IO tables by name only; bounded requests.

On 0.1.0 a district official's ``POST /api/simulation/run`` with ``"table": "/dev/zero"`` grew the
server to 8 GB, ``"/etc/shadow"`` was opened, and a missing path answered ``shock.io.file_missing``
(so callers learned which files exist).
"""

from __future__ import annotations

import builtins
import io
import os
import re
import shutil

import pytest
from fastapi.testclient import TestClient

PLAIN = "sector,s1,s2,fd,x\ns1,10,20,70,100\ns2,30,10,160,200\n"
PROBES = ["/dev/zero", "/etc/shadow", "/etc/passwd", "/nonexistent/table.csv", "../../etc/passwd",
          "tiny/../../etc/passwd", "file:///etc/passwd", "C:\\Windows\\win.ini", "~/x.csv", "tiny\x00.csv"]


@pytest.fixture()
def io_app(web_db, tmp_path):  # noqa: ANN001, ANN201
    from chainwatch.service import Chainwatch
    from chainwatch.settings import load_settings
    from chainwatch.web import create_app

    db = tmp_path / "city.duckdb"
    shutil.copyfile(web_db, db)
    f = tmp_path / "tiny.csv"
    f.write_text(PLAIN)
    with Chainwatch(db, actor="admin") as cw:
        cw.io_tables.import_file(f, "tiny", note="test table")
    settings = load_settings(db=str(db), web_max_body_kb=16, sim_max_shocks=5)
    return create_app(settings, warm=False)


def _client(app, username, city):  # noqa: ANN001, ANN202
    c = TestClient(app, raise_server_exceptions=False)
    r = c.post("/api/auth/login", json={"username": username, "password": city.PASSWORD})
    c.headers["Authorization"] = f"Bearer {r.json()['token']}"
    return c


def test_paths_get_one_answer_and_are_never_opened(io_app, city, monkeypatch) -> None:  # noqa: ANN001
    opened: list[str] = []
    real_open, real_os_open = builtins.open, os.open

    def spy_open(file, *a, **k):  # noqa: ANN001, ANN002, ANN003, ANN202
        opened.append(str(file))
        return real_open(file, *a, **k)

    def spy_os_open(path, *a, **k):  # noqa: ANN001, ANN002, ANN003, ANN202
        opened.append(str(path))
        return real_os_open(path, *a, **k)

    c = _client(io_app, "official_a", city)
    monkeypatch.setattr(builtins, "open", spy_open)
    monkeypatch.setattr(io, "open", spy_open)
    monkeypatch.setattr(os, "open", spy_os_open)
    answers = set()
    for table in PROBES:
        r = c.post("/api/simulation/run", json={"model": "leontief", "table": table,
                                                "shocks": [{"sector": "s1", "demand_change": -1}]})
        body = r.json()["error"]
        answers.add((r.status_code, body["key"]))
        shown = body["message"].replace(table[:77], "<name>")
        assert "exist" not in shown.lower() or "tiny" in shown
    monkeypatch.undo()
    assert answers == {(404, "sec.io.unknown_table")}
    touched = [p for p in opened if any(p.startswith(x) for x in ("/dev", "/etc", "/nonexistent", "~", "file:"))]
    assert touched == [], touched


def test_a_named_table_runs_for_a_district_official(io_app, city) -> None:  # noqa: ANN001
    c = _client(io_app, "official_a", city)
    opts = c.get("/api/simulation").json()
    assert [t["name"] for t in opts["io_tables"]["tables"]] == ["tiny"]
    assert set(opts["io_tables"]["tables"][0]) == {"name", "layout", "sectors", "unit", "note"}
    r = c.post("/api/simulation/run", json={"model": "leontief", "table": "tiny",
                                            "shocks": [{"sector": "s1", "demand_change_pct": -10}]})
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["meta"]["table"] == "tiny" and out["summary"][0]["output_change"] < 0
    assert not any("/" in str(v) for v in out["meta"].values() if isinstance(v, str) and "tiny" in v)


def test_simulation_page_io_form(io_app, city) -> None:  # noqa: ANN001
    c = TestClient(io_app, raise_server_exceptions=False)
    page = c.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    c.post("/login", data={"username": "analyst", "password": city.PASSWORD, "csrf_token": token, "next": "/"})
    page = c.get("/simulation")
    assert 'id="sim-io-form"' in page.text and '<option value="tiny"' in page.text
    csrf = c.get("/api/auth/me").json()["csrf_token"]
    r = c.post("/simulation", data={"csrf_token": csrf, "mode": "io", "io_model": "leontief", "io_table": "tiny",
                                    "io_sector": "s2", "io_pct": "-10"})
    assert r.status_code == 200 and 'id="sim-io-sectors"' in r.text
    r = c.post("/simulation", data={"csrf_token": csrf, "mode": "io", "io_model": "leontief",
                                    "io_table": "/etc/passwd", "io_sector": "s2", "io_pct": "-10"})
    assert r.status_code == 200 and "unavailable" in r.text and "root:" not in r.text


def test_request_bounds(io_app, city) -> None:  # noqa: ANN001
    c = _client(io_app, "analyst", city)
    big = {"model": "cascade", "name": "x" * 40_000, "shocks": [{"country": "JPN"}]}
    r = c.post("/api/simulation/run", json=big)
    assert r.status_code == 413 and r.json()["error"]["key"] == "sec.body_too_large"
    many = {"model": "leontief", "table": "tiny", "shocks": [{"sector": "s1", "demand_change": -1}] * 6}
    r = c.post("/api/simulation/run", json=many)
    assert r.status_code == 422 and r.json()["error"]["key"] == "sec.sim.too_many_shocks"
    r = c.post("/api/simulation/run", content=b'{"model": "cascade", "shocks": [' + b"1," * 20_000 + b"1]}",
               headers={"content-type": "application/json", "transfer-encoding": "chunked"})
    assert r.status_code == 413


def test_no_tables_page_says_how_to_import(web_db, tmp_path, city) -> None:  # noqa: ANN001
    from chainwatch.settings import load_settings
    from chainwatch.web import create_app

    db = tmp_path / "city.duckdb"
    shutil.copyfile(web_db, db)
    app = create_app(load_settings(db=str(db)), warm=False)
    c = TestClient(app, raise_server_exceptions=False)
    page = c.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    c.post("/login", data={"username": "analyst", "password": city.PASSWORD, "csrf_token": token, "next": "/"})
    assert "chainwatch io tables import" in c.get("/simulation").text


def test_uploads_use_the_upload_limit_not_the_json_one(io_app, city) -> None:  # noqa: ANN001
    c = _client(io_app, "analyst", city)
    body = "统一社会信用代码,企业名称\n" + "x,y\n" * 20_000      # ~100 KB > web_max_body_kb=16
    r = c.post("/api/imports", data={"kind": "enterprise"}, files={"file": ("e.csv", body.encode(), "text/csv")})
    assert r.status_code != 413, r.text
