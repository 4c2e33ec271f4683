"""Finding 11: upload names are sanitised and temporary folders are removed on every path.

On 0.1.0 an upload named ``..`` or with a 300-character name answered HTTP 500 and left its
``chainwatch-upload-*`` folder behind.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from chainwatch.web.routers import imports
from chainwatch.web.routers.imports import MAX_NAME, purge_uploads, safe_upload_name

CSV = "统一社会信用代码,企业名称,所在区县代码,国民经济行业代码\n91330200MA2XXXXXXX,测试企业,330203,3841\n"
NAMES = ["..", ".", "../../etc/passwd", "/etc/passwd", "C:\\x\\..\\y.csv", "a" * 300 + ".csv",
         "bad\x00name.csv", "tab\tname\r\n.csv", "\u202etxt.exe.csv", "..\\..\\boot.ini", "企业名录（2026）.csv",
         "con.csv", "   .csv", "名" * 200 + ".xlsx"]


@pytest.mark.parametrize("raw", NAMES)
def test_safe_upload_name(raw: str) -> None:
    name = safe_upload_name(raw)
    assert name and len(name) <= MAX_NAME and len(name.encode("utf-8")) <= 200
    assert "/" not in name and "\\" not in name and not name.startswith(".")
    assert all(ch.isprintable() and ch not in "\r\n\t\x00\u202e" for ch in name)
    assert Path(name).name == name
    if raw.endswith(".csv"):
        assert name.endswith(".csv")


def test_safe_upload_name_keeps_readable_names() -> None:
    assert safe_upload_name("企业名录（2026）.csv") == "企业名录（2026）.csv"
    assert safe_upload_name("monthly 2021-11.XLSX") == "monthly 2021-11.xlsx"


@pytest.fixture()
def upload_app(web_db, tmp_path, monkeypatch):  # noqa: ANN001, ANN201
    from chainwatch.settings import load_settings
    from chainwatch.web import create_app

    db = tmp_path / "city.duckdb"
    shutil.copyfile(web_db, db)
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp))
    app = create_app(load_settings(db=str(db)), warm=False)
    return app, tmp


def _client(app, city):  # noqa: ANN001, ANN202
    c = TestClient(app, raise_server_exceptions=False)
    tok = c.post("/api/auth/login", json={"username": "analyst", "password": city.PASSWORD}).json()["token"]
    c.headers["Authorization"] = f"Bearer {tok}"
    return c


def _folders(tmp: Path) -> list[Path]:
    return sorted(tmp.glob("chainwatch-upload-*"))


@pytest.mark.parametrize("raw", NAMES)
def test_hostile_names_never_give_500_nor_leave_folders(upload_app, city, raw) -> None:  # noqa: ANN001
    """Regression (fails on 0.1.0: '..' and 300-character names answered 500 and left a folder)."""
    app, tmp = upload_app
    c = _client(app, city)
    r = c.post("/api/imports", data={"kind": "enterprise"}, files={"file": (raw, CSV.encode(), "text/csv")})
    assert r.status_code < 500, r.text
    pending = {str(up["dir"]) for up in app.state.web.uploads.values()}
    assert {str(f) for f in _folders(tmp)} == pending
    if r.status_code == 200:
        upload_id = r.json()["meta"]["upload_id"]
        up = app.state.web.uploads[upload_id]
        assert Path(up["path"]).parent == Path(up["dir"])          # inside its own folder
        r = c.post(f"/api/imports/{upload_id}/confirm")
        assert r.status_code < 500, r.text
        if r.status_code == 200:
            assert not Path(up["dir"]).exists()


def test_validation_failure_and_errors_remove_the_folder(upload_app, city, monkeypatch) -> None:  # noqa: ANN001
    app, tmp = upload_app
    c = _client(app, city)
    r = c.post("/api/imports", data={"kind": "no_such_kind"}, files={"file": ("x.csv", CSV.encode(), "text/csv")})
    assert 400 <= r.status_code < 500 and _folders(tmp) == []

    def boom(*a, **k):  # noqa: ANN002, ANN003, ANN202
        raise RuntimeError("a bug in validation")

    monkeypatch.setattr(imports, "_run", boom)
    r = c.post("/api/imports", data={"kind": "enterprise"}, files={"file": ("x.csv", CSV.encode(), "text/csv")})
    assert r.status_code == 500 and _folders(tmp) == []


def test_abandoned_uploads_are_removed_after_the_ttl(upload_app, city) -> None:  # noqa: ANN001
    app, tmp = upload_app
    c = _client(app, city)
    r = c.post("/api/imports", data={"kind": "enterprise"}, files={"file": ("x.csv", CSV.encode(), "text/csv")})
    assert r.status_code == 200 and len(_folders(tmp)) == 1
    stale = tmp / "chainwatch-upload-leftover"   # left by an earlier server
    stale.mkdir()
    (stale / "f.csv").write_text("x")
    old = time.time() - 7200
    os.utime(stale, (old, old))
    state = app.state.web
    for up in state.uploads.values():
        up["at"] = old
    assert purge_uploads(state, 3600) == 2
    assert _folders(tmp) == [] and state.uploads == {}
    upload_id = r.json()["meta"]["upload_id"]
    r = c.post(f"/api/imports/{upload_id}/confirm")
    assert r.status_code == 404 and r.json()["error"]["key"] == "web.upload_expired"


def test_pending_uploads_per_user_are_bounded(upload_app, city) -> None:  # noqa: ANN001
    app, tmp = upload_app
    c = _client(app, city)
    for i in range(imports.MAX_PENDING + 5):
        r = c.post("/api/imports", data={"kind": "enterprise"},
                   files={"file": (f"x{i}.csv", CSV.encode(), "text/csv")})
        assert r.status_code == 200
    assert len(app.state.web.uploads) <= imports.MAX_PENDING
    assert len(_folders(tmp)) == len(app.state.web.uploads)
