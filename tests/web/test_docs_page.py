"""Finding 12: /api/docs is the vendored Swagger UI under a CSP that allows exactly it (the browser
test ``test_browser.py::test_api_docs_render_operations_under_their_csp`` sees the operations)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from fastapi.testclient import TestClient

from chainwatch.web import assets
from chainwatch.web.app import DOCS_CSP

ROOT = Path(__file__).resolve().parents[2]


def test_docs_page_uses_only_vendored_files_and_no_inline_script(app, monkeypatch) -> None:  # noqa: ANN001
    present = assets.swagger_present()
    monkeypatch.setattr(assets, "swagger_present", lambda: True)   # the page as served once vendored
    c = TestClient(app)
    r = c.get("/api/docs")
    assert r.status_code == 200
    assert r.headers["content-security-policy"] == DOCS_CSP
    assert "unsafe-inline" not in DOCS_CSP and "http" not in DOCS_CSP
    html = r.text
    assert "cdn" not in html.lower() and "http" not in html.replace("/api/openapi.json", "")
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S)
    assert scripts and all(body.strip() == "" and "src=" in attrs for attrs, body in scripts)
    if present:   # (a checkout without `npm run build` has no vendor folder)
        for src in re.findall(r'(?:src|href)="(/static/[^"]+)"', html):
            assert c.get(src).status_code == 200, src
    assert c.get("/api/openapi.json").json()["paths"]


def test_docs_page_says_how_to_install_when_not_vendored(app, monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.setattr(assets, "swagger_present", lambda: False)
    r = TestClient(app).get("/api/docs?lang=en")
    assert r.status_code == 200 and "npm ci && npm run build" in r.text and "/api/openapi.json" in r.text


def test_build_vendors_swagger_ui_from_the_pinned_npm_package() -> None:
    pkg = json.loads((ROOT / "package.json").read_text())
    assert re.fullmatch(r"\d+\.\d+\.\d+", pkg["dependencies"]["swagger-ui-dist"])
    assert "swagger-ui-dist/swagger-ui-bundle.js" in pkg["scripts"]["build"]
    lock = json.loads((ROOT / "package-lock.json").read_text())
    assert "node_modules/swagger-ui-dist" in lock["packages"]
    assert set(assets.PACKAGES) == {"echarts", "swagger-ui-dist"}
