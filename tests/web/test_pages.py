"""Pages read like a finished dashboard: no raw field names as table headers, no 'nan'/'None'/'undefined'
in the text, money in 亿元 where a column is labelled so, every navigation link resolves, and the label
and number helpers compose what the pages show."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from chainwatch.web.labels import column_label, table_columns, value_label
from chainwatch.web.pages import _fmt, sort_rows, to_yi

RAW = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)+$|^(label|count|key|id|total|group_type|month|kind)$")
BAD_WORDS = re.compile(r"\b(undefined|NaN|nan|None|null)\b")


class _Text(HTMLParser):
    """Table headers and visible body text (scripts, JSON blocks and attributes left out)."""

    def __init__(self) -> None:
        super().__init__()
        self.headers: list[str] = []
        self.text: list[str] = []
        self._in_th = False
        self._skip = 0
        self._th: list[str] = []

    def handle_starttag(self, tag, attrs):  # noqa: ANN001
        if tag in ("script", "style", "datalist", "select"):
            self._skip += 1
        if tag == "th":
            self._in_th, self._th = True, []

    def handle_endtag(self, tag):  # noqa: ANN001
        if tag in ("script", "style", "datalist", "select"):
            self._skip -= 1
        if tag == "th":
            self._in_th = False
            self.headers.append("".join(self._th).strip())

    def handle_data(self, data):  # noqa: ANN001
        if self._skip:
            return
        self.text.append(data)
        if self._in_th:
            self._th.append(data)


def _parse(html: str) -> _Text:
    p = _Text()
    p.feed(html)
    return p


def _pages(city) -> list[str]:  # noqa: ANN001
    return ["/", "/chains", "/chains/ev", "/enterprises", f"/enterprises/{city.USCC[0]}", "/warnings",
            "/cultivation", f"/cultivation/gap/{city.USCC[0]}", "/policy", "/trade", "/simulation", "/imports",
            "/admin"]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_main_pages_have_labelled_headers_and_no_raw_values(clients, city, lang):
    client = clients["admin"]
    for path in _pages(city):
        r = client.get(f"{path}?lang={lang}")
        assert r.status_code == 200, (path, r.status_code)
        page = _parse(r.text)
        raw = [h for h in page.headers if RAW.match(h)]
        assert not raw, (path, lang, raw)
        body = " ".join(page.text)
        assert not BAD_WORDS.search(body), (path, lang, BAD_WORDS.search(body).group(0))
        if lang == "en":
            cjk_headers = [h for h in page.headers if re.search(r"[\u4e00-\u9fff]", h)]
            assert not cjk_headers, (path, cjk_headers)


def test_every_navigation_link_resolves(clients):
    """The policy page once disappeared from the router while the menu still linked to it."""
    r = clients["admin"].get("/")
    hrefs = set(re.findall(r'<nav[^>]*>.*?</nav>', r.text, re.S)[0].split('href="')[1:])
    links = {h.split('"')[0] for h in hrefs}
    assert "/policy" in links
    for href in links:
        if href.startswith("/") and not href.startswith("/api"):
            assert clients["admin"].get(href).status_code == 200, href


def test_district_scope_banner_names_the_district(clients, city):
    r = clients["official_a"].get("/")
    banner = re.search(r'<div class="note scope">(.*?)</div>', r.text).group(1)
    assert city.DISTRICT_A in banner and "海曙区" in banner


def test_viewer_sees_why_the_simulation_form_is_missing(clients):
    r = clients["viewer"].get("/simulation")
    assert 'id="sim-readonly"' in r.text and 'id="sim-form"' not in r.text


@pytest.mark.parametrize(("column", "zh", "en"), [
    ("month_share_pct", "当月占比 %", "Month share %"),
    ("ytd_base_value", "累计上年同期", "YTD prior year"),
    ("gross_output_yoy_pct", "工业总产值同比 %", "Gross output y/y %"),
    ("share_change_pp", "占比变动（百分点）", "Share change (pp)"),
    ("output_yi", "产出（亿元）", "Output (CNY 100m)"),
    ("tier_label", "梯度", "Tier"),
])
def test_composed_column_labels(column, zh, en):
    assert column_label(column, "zh") == zh
    assert column_label(column, "en") == en


def test_unknown_column_keeps_its_json_name():
    assert column_label("brand_new_field", "zh") == "brand_new_field"


def test_value_labels_translate_codes_indicators_and_tables():
    assert value_label("indicator", "gross_output", "zh") == "工业总产值"
    assert value_label("table", "monthly_value", "en") == "Monthly values"
    assert value_label("level", "red", "en") == "Red"
    assert value_label("subject_level", "district", "en") == "District"
    assert value_label("name", "red", "en") is None


def test_table_columns_prefer_labels_and_names_over_codes():
    rows = [{"tier": "first", "tier_label": "创新型", "district": "330203", "district_name": "海曙区",
             "ruleset_basis": "date", "score": 1.0}]
    assert table_columns(rows) == ["tier_label", "district_name", "score"]
    assert table_columns(rows, ["tier"]) == ["tier"]


def test_money_in_yi_and_sorting_with_missing_values():
    rows = [{"v": 123_456_789.0, "x": None}, {"v": float("nan"), "x": 2.0}, {"v": None, "x": 1.0}]
    out = to_yi(rows, "v")
    assert out[0]["v_yi"] == pytest.approx(12_345.7) and out[1]["v_yi"] is None and "v" not in out[0]
    assert _fmt(out[0]["v_yi"], "v_yi") == "12,345.7"
    assert [r["x"] for r in sort_rows(rows, "x")] == [1.0, 2.0, None]
    assert [r["x"] for r in sort_rows(rows, "x", True)] == [2.0, 1.0, None]


@pytest.mark.parametrize(("value", "column", "shown"), [
    (-0.04, "share_change_pp", "0.0"),
    (12.0, "employees", "12"),
    (50.0, "score", "50.00"),
    (float("nan"), "x", "—"),
    (None, "x", "—"),
    ("2026-11-27T15:33:24.240117", "event_at", "2026-11-27 15:33"),
    (97.4321, "import_dependence_pct", "97.4"),
])
def test_number_formatting(value, column, shown):
    assert _fmt(value, column) == shown
