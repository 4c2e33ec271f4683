"""Login, sessions, CSRF, security headers, the error envelope and the language switch."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient


def _form_login(app, username, password, city):
    c = TestClient(app, raise_server_exceptions=False)
    page = c.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    r = c.post("/login", data={"username": username, "password": password, "csrf_token": token, "next": "/chains"},
               follow_redirects=False)
    return c, r


def test_pages_redirect_to_login_and_api_says_401(app):
    c = TestClient(app, raise_server_exceptions=False)
    r = c.get("/chains", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login?next=/chains"
    r = c.get("/api/overview")
    assert r.status_code == 401
    body = r.json()["error"]
    assert body["key"] == "auth.required" and body["status"] == 401 and body["message"]


def test_form_login_sets_httponly_session_and_redirects(app, city):
    c, r = _form_login(app, "analyst", city.PASSWORD, city)
    assert r.status_code == 303 and r.headers["location"] == "/chains"
    cookie = r.headers["set-cookie"]
    assert "cw_session=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert c.get("/api/auth/me").json()["username"] == "analyst"


def test_form_login_wrong_password_and_missing_csrf(app, city):
    _, r = _form_login(app, "analyst", "not-the-password", city)
    assert r.status_code == 401 and "用户名或密码错误" in r.text
    c = TestClient(app, raise_server_exceptions=False)
    r = c.post("/login", data={"username": "analyst", "password": city.PASSWORD, "csrf_token": "forged"})
    assert r.status_code == 403 and "CSRF" in r.text


def test_open_redirect_is_refused(app, city):
    c = TestClient(app, raise_server_exceptions=False)
    page = c.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    r = c.post("/login", data={"username": "viewer", "password": city.PASSWORD, "csrf_token": token,
                               "next": "//evil.example/"}, follow_redirects=False)
    assert r.headers["location"] == "/"


def test_cookie_writes_need_the_csrf_token_bearer_writes_do_not(app, city):
    c, _ = _form_login(app, "admin", city.PASSWORD, city)
    body = {"username": "csrf_probe", "password": "harbour-lantern-58", "role": "viewer"}
    r = c.post("/api/users", json=body)
    assert r.status_code == 403 and r.json()["error"]["key"] == "web.csrf"
    csrf = c.get("/api/auth/me").json()["csrf_token"]
    r = c.post("/api/users", json=body, headers={"X-CSRF-Token": csrf})
    assert r.status_code == 201, r.text
    bearer = TestClient(app, raise_server_exceptions=False)
    token = bearer.post("/api/auth/login", json={"username": "admin", "password": city.PASSWORD}).json()["token"]
    r = bearer.delete("/api/users/csrf_probe", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 204


def test_logout_ends_the_session(app, city):
    c = TestClient(app, raise_server_exceptions=False)
    token = c.post("/api/auth/login", json={"username": "viewer", "password": city.PASSWORD}).json()["token"]
    h = {"Authorization": f"Bearer {token}"}
    assert c.get("/api/auth/me", headers=h).status_code == 200
    assert c.post("/api/auth/logout", headers=h).status_code == 204
    assert c.get("/api/auth/me", headers=h).status_code == 401


def test_security_headers_and_csp_without_external_origins(clients):
    r = clients["viewer"].get("/chains")
    csp = r.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp and "script-src 'self'" in csp
    assert "http" not in csp and "unsafe-inline" not in csp and "*" not in csp
    assert r.headers["x-frame-options"] == "DENY"
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["referrer-policy"] == "same-origin"
    assert "<script>" not in r.text  # no inline scripts: the CSP would block them
    assert "cdn" not in r.text.lower()


def test_error_envelope_for_404_and_422(clients):
    c = clients["analyst"]
    r = c.get("/api/chains/no-such-chain")
    assert r.status_code == 404 and set(r.json()) == {"error"}
    assert r.json()["error"]["key"] == "chains.not_found"
    r = c.get("/api/overview?period=2025-13-01")
    assert r.status_code == 422 and r.json()["error"]["key"] == "web.bad_request"
    r = c.get("/api/no/such/route")
    assert r.status_code == 404 and r.json()["error"]["key"] == "web.not_found_page"


def test_chinese_by_default_english_by_switch(app, city):
    c, _ = _form_login(app, "analyst", city.PASSWORD, city)
    assert "产业链列表" in c.get("/chains").text
    r = c.get("/chains?lang=en")
    assert "Chains" in r.text and "产业链列表" not in r.text
    assert "cw_lang=en" in r.headers["set-cookie"]
    assert "Chains" in c.get("/chains").text  # the cookie keeps English
    assert c.get("/api/chains/nope").json()["error"]["message"].startswith("Chain") or \
        "nope" in c.get("/api/chains/nope").json()["error"]["message"]


def test_missing_chart_library_is_explained_and_tables_still_work(web_db, monkeypatch, city):
    import chainwatch.web.app as web_app
    from chainwatch.web import create_app

    monkeypatch.setattr(web_app, "echarts_present", lambda: False)
    app2 = create_app(db=web_db, warm=False)
    c = TestClient(app2, raise_server_exceptions=False)
    token = c.post("/api/auth/login", json={"username": "analyst", "password": city.PASSWORD}).json()["token"]
    r = c.get("/chains", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200
    assert 'id="assets-missing"' in r.text and "npm ci" in r.text
    assert "vendor/echarts.min.js" not in r.text.split('id="assets-missing"')[0]  # no broken script tag
    assert 'id="chains-table"' in r.text
    assert c.get("/api/health").json()["charts"] is False
