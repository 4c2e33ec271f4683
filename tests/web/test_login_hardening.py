"""Finding 10: login timing, X-Forwarded-For, password policy.

On 0.1.0 an unknown user name was answered in ~6 ms and a known one in ~390 ms (user enumeration);
``X-Forwarded-For`` was believed from 127.0.0.1, so rotating it slipped past the login throttle; and
``password`` or ``12345678`` were accepted.
"""

from __future__ import annotations

import re
import shutil
import socket
import statistics
import threading
import time

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from chainwatch.errors import AuthenticationRequired, InputError
from chainwatch.service.users import check_password

runner = CliRunner()
STRONG = "harbour-lantern-58"


@pytest.fixture()
def city_copy(web_db, tmp_path):  # noqa: ANN001, ANN201
    db = tmp_path / "city.duckdb"
    shutil.copyfile(web_db, db)
    return str(db)


def _timed(fn) -> float:  # noqa: ANN001
    t = time.perf_counter()
    try:
        fn()
    except AuthenticationRequired:
        pass
    return time.perf_counter() - t


def test_unknown_and_known_users_take_as_long(city_copy) -> None:  # noqa: ANN001
    """Regression: 0.1.0 answered unknown names ~60x faster than known ones."""
    from chainwatch.service import Chainwatch

    with Chainwatch(city_copy, actor="test") as cw:
        known = [_timed(lambda i=i: cw.users.authenticate("analyst", "wrong-password", f"10.1.0.{i}"))
                 for i in range(5)]
        unknown = [_timed(lambda i=i: cw.users.authenticate("no_such_user", "wrong-password", f"10.2.0.{i}"))
                   for i in range(5)]
        inactive_name = "sleeper"
        cw.users.add(inactive_name, STRONG, "viewer")
        cw.users.update(inactive_name, active=False)
        inactive = [_timed(lambda i=i: cw.users.authenticate(inactive_name, STRONG, f"10.3.0.{i}"))
                    for i in range(5)]
    k, u, d = statistics.median(known), statistics.median(unknown), statistics.median(inactive)
    assert u > 0.5 * k and d > 0.5 * k, (k, u, d)


@pytest.mark.parametrize(("password", "username", "key"), [
    ("password", "bob", "sec.pw.short"),
    ("12345678", "bob", "sec.pw.short"),
    ("short-pw", "bob", "sec.pw.short"),
    ("passwordpassword", "bob", "sec.pw.weak"),
    ("123456789012", "bob", "sec.pw.weak"),
    ("qwertyuiop123", "bob", "sec.pw.weak"),
    ("analyst-lantern-58", "analyst", "sec.pw.contains_name"),
    ("my-ZHANGWEI-lantern-9", "zhangwei", "sec.pw.contains_name"),
])
def test_weak_passwords_are_refused_saying_why(password: str, username: str, key: str) -> None:
    with pytest.raises(InputError) as e:
        check_password(password, username)
    assert e.value.key.startswith(key), e.value.key
    zh, en = e.value.message("zh"), e.value.message("en")
    assert zh and en and zh != en and "{" not in zh + en


def test_strong_passwords_pass() -> None:
    for pw in (STRONG, "青山绿水-宁波港-2026", "kj4#Lm9!qz2W", "correct-horse-9"):
        check_password(pw, "bob")


def test_policy_applies_on_every_way_to_set_a_password(city_copy, city) -> None:  # noqa: ANN001
    from chainwatch.cli.main import app as cli
    from chainwatch.settings import load_settings
    from chainwatch.web import create_app

    r = runner.invoke(cli, ["--lang", "en", "users", "add", "bob", "--password-stdin", "--db", city_copy],
                      input="12345678\n")
    assert r.exit_code == 1 and "at least 12 characters" in r.output
    r = runner.invoke(cli, ["users", "passwd", "viewer", "--password-stdin", "--db", city_copy],
                      input="viewer-viewer-1\n")
    assert r.exit_code == 1 and "密码不能包含用户名" in r.output
    app = create_app(load_settings(db=city_copy), warm=False)
    c = TestClient(app, raise_server_exceptions=False)
    tok = c.post("/api/auth/login", json={"username": "admin", "password": city.PASSWORD}).json()["token"]
    h = {"Authorization": f"Bearer {tok}"}
    r = c.post("/api/users", json={"username": "bob", "password": "passwordpassword", "role": "viewer"}, headers=h)
    assert r.status_code == 422 and r.json()["error"]["key"].startswith("sec.pw.weak")
    r = c.patch("/api/users/viewer", json={"password": "password"}, headers=h)
    assert r.status_code == 422 and r.json()["error"]["key"] == "sec.pw.short"
    # the admin page's form
    page = c.get("/admin", headers=h)
    assert page.status_code == 200
    r = c.post("/admin/users", data={"username": "bob", "password": "12345678", "role": "viewer",
                                     "csrf_token": ""}, headers=h)
    assert "12" in r.text and "bob" not in c.get("/api/users", headers=h).text
    # self-service change: the current password is checked, the new one must pass the policy
    tok = c.post("/api/auth/login", json={"username": "viewer", "password": city.PASSWORD}).json()["token"]
    hv = {"Authorization": f"Bearer {tok}"}
    r = c.post("/api/auth/password", json={"current": "nope", "new": STRONG}, headers=hv)
    assert r.status_code == 422 and r.json()["error"]["key"] == "sec.pw.wrong_current"
    r = c.post("/api/auth/password", json={"current": city.PASSWORD, "new": "weakweakweak"}, headers=hv)
    assert r.status_code == 422 and r.json()["error"]["key"].startswith("sec.pw.weak")
    r = c.post("/api/auth/password", json={"current": city.PASSWORD, "new": STRONG}, headers=hv)
    assert r.status_code == 204
    assert c.get("/api/auth/me", headers=hv).status_code == 401          # sessions ended
    assert c.post("/api/auth/login", json={"username": "viewer", "password": STRONG}).status_code == 200


def _failed_logins(c: TestClient, n: int, forwarded: bool) -> list[int]:
    codes = []
    for i in range(n):
        headers = {"X-Forwarded-For": f"198.51.100.{i}"} if forwarded else {}
        codes.append(c.post("/api/auth/login", json={"username": "analyst", "password": "wrong-password"},
                            headers=headers).status_code)
    return codes


def test_x_forwarded_for_is_ignored_unless_from_a_trusted_proxy(city_copy) -> None:  # noqa: ANN001
    from chainwatch.settings import load_settings
    from chainwatch.web import create_app

    app = create_app(load_settings(db=city_copy), warm=False)
    c = TestClient(app, raise_server_exceptions=False, client=("127.0.0.1", 40000))
    codes = _failed_logins(c, 7, forwarded=True)
    assert codes[:5] == [401] * 5 and codes[5:] == [429, 429], codes

    app = create_app(load_settings(db=city_copy, trusted_proxies="127.0.0.1, 10.0.0.0/8"), warm=False)
    c = TestClient(app, raise_server_exceptions=False, client=("127.0.0.1", 40000))
    assert _failed_logins(c, 7, forwarded=True) == [401] * 7   # behind the proxy: seven different clients
    addresses = {r[0] for r in app.state.web.cw.store.rows(
        "SELECT address FROM web_login_attempt WHERE username = 'analyst' AND NOT ok")}
    assert "198.51.100.6" in addresses
    # a spoofed header from an untrusted peer is still ignored
    c = TestClient(app, raise_server_exceptions=False, client=("192.0.2.7", 40000))
    codes = _failed_logins(c, 6, forwarded=True)
    assert codes[-1] == 429, codes


def test_serve_does_not_let_local_clients_choose_their_address(city_copy) -> None:  # noqa: ANN001
    """Regression: 0.1.0 ran uvicorn with proxy_headers from 127.0.0.1, so rotating X-Forwarded-For
    from the same machine bypassed the lockout."""
    import httpx
    import uvicorn

    from chainwatch.cli.cmd_serve import uvicorn_options
    from chainwatch.settings import load_settings
    from chainwatch.web import create_app

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    settings = load_settings(db=city_copy, host="127.0.0.1", port=port)
    opts = uvicorn_options(settings)
    assert opts["proxy_headers"] is False
    server = uvicorn.Server(uvicorn.Config(create_app(settings, warm=False), **{**opts, "log_level": "error"}))
    th = threading.Thread(target=server.run, daemon=True)
    th.start()
    base = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            httpx.get(base + "/api/health", timeout=1)
            break
        except httpx.HTTPError:
            time.sleep(0.1)
    codes = [httpx.post(base + "/api/auth/login", json={"username": "analyst", "password": "wrong-password"},
                        headers={"X-Forwarded-For": f"203.0.113.{i}"}, timeout=30).status_code for i in range(7)]
    server.should_exit = True
    th.join(10)
    assert codes[5:] == [429, 429], codes


def test_session_cookie_secure_behind_a_trusted_tls_proxy(city_copy, city) -> None:  # noqa: ANN001
    from chainwatch.settings import load_settings
    from chainwatch.web import create_app

    app = create_app(load_settings(db=city_copy, trusted_proxies="127.0.0.1"), warm=False)
    c = TestClient(app, raise_server_exceptions=False, client=("127.0.0.1", 40000))
    r = c.post("/api/auth/login", json={"username": "viewer", "password": city.PASSWORD},
               headers={"X-Forwarded-Proto": "https", "X-Forwarded-For": "198.51.100.1"})
    assert r.status_code == 200 and re.search(r"(?i);\s*secure", r.headers["set-cookie"])
    c = TestClient(app, raise_server_exceptions=False, client=("192.0.2.7", 40000))
    r = c.post("/api/auth/login", json={"username": "viewer", "password": city.PASSWORD},
               headers={"X-Forwarded-Proto": "https"})
    assert r.status_code == 200 and not re.search(r"(?i);\s*secure", r.headers["set-cookie"])
