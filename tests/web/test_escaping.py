"""Finding 9: data is embedded in pages as safe JSON, and chart code never turns a name into markup.

The browser half (a segment named like markup creates no element, a ``<!--<script>`` name breaks no
chart) is ``test_browser.py::test_markup_in_names_creates_no_element_and_breaks_no_chart``.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

from fastapi.testclient import TestClient

from chainwatch.web.pages import _env, json_for_html

STATIC_JS = Path(__file__).resolve().parents[2] / "src" / "chainwatch" / "web" / "static" / "js"
TEMPLATES = Path(__file__).resolve().parents[2] / "src" / "chainwatch" / "web" / "templates"
NASTY = ["x<!--<script>y", "</script><script>alert(1)</script>", "<img src=x onerror=alert(1)>", "a&amp;b",
         "it's", "line\u2028sep\u2029para", '"quoted"', "{b}|{a}"]


def test_json_for_html_escapes_and_round_trips() -> None:
    text = str(json_for_html({"names": NASTY, "nan": float("nan")}))
    for bad in ("<", ">", "&", "'", "\u2028", "\u2029"):
        assert bad not in text, bad
    assert json.loads(text) == {"names": NASTY, "nan": None}


def test_templates_embed_json_only_through_the_one_helper() -> None:
    assert _env.filters["tojson"] is json_for_html
    for tpl in TEMPLATES.glob("*.html"):
        for m in re.finditer(r"\{\{\s*([^}]*?)\|\s*safe\s*\}\}", tpl.read_text(encoding="utf-8")):
            assert m.group(1).strip() in ("page_data", "extra"), (tpl.name, m.group(0))


def test_chart_code_never_builds_markup_from_data() -> None:
    for js in STATIC_JS.glob("*.js"):
        code = js.read_text(encoding="utf-8")
        for m in re.finditer(r"formatter\s*:\s*(\"[^\"]*\"|'[^']*'|[^,}\s]+)", code):
            value = m.group(1)
            if value[0] in "\"'":   # string templates: only numeric axis values, never {a}/{b}/{c} names
                assert re.fullmatch(r"[\"']\{value\}%?[\"']", value), (js.name, value)
        assert "innerHTML" not in code, js.name
        assert "insertAdjacentHTML" not in code and "document.write" not in code, js.name


def test_a_page_with_markup_in_names_keeps_it_as_data(web_db, tmp_path, city) -> None:  # noqa: ANN001
    from chainwatch.service import Chainwatch
    from chainwatch.web import create_app

    db = tmp_path / "city.duckdb"
    shutil.copyfile(web_db, db)
    with Chainwatch(db, actor="test") as cw:
        cw.store.execute("UPDATE chain SET name_zh = ?, name_en = ? WHERE chain_id = 'ev'", [NASTY[1], NASTY[1]])
        cw.store.execute("UPDATE segment SET name_zh = ? WHERE segment_id = 'ev.chips'", [NASTY[0]])
    app = create_app(db=str(db), warm=False)
    c = TestClient(app, raise_server_exceptions=False)
    token = c.post("/api/auth/login", json={"username": "analyst", "password": city.PASSWORD}).json()["token"]
    c.headers["Authorization"] = f"Bearer {token}"
    for path in ("/chains", "/chains/ev", "/"):
        html = c.get(path).text
        assert "<script>alert(1)" not in html and "<!--<script>" not in html, path
        blob = re.search(r'<script type="application/json" id="page-data">(.*?)</script>', html, re.S).group(1)
        data = json.loads(blob)
        assert isinstance(data, dict)
        assert html.count("<script") == html.count("</script>")
    graph = json.loads(re.search(r'id="page-data">(.*?)</script>', c.get("/chains/ev").text, re.S).group(1))
    assert NASTY[0] in json.dumps(graph, ensure_ascii=False)
