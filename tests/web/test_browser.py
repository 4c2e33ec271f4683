"""Real headless Chromium (Debian's package) against a server on 127.0.0.1: login, every page with its
charts drawn from data, the warning workflow, an upload with errors, the language switch.

Run with ``pytest tests/web -m browser``. Never runs ``playwright install``: it uses /usr/bin/chromium.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator

import pytest

from chainwatch.i18n import t

pytestmark = pytest.mark.browser

CHROMIUM = os.environ.get("CHAINWATCH_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]


def _serve(app) -> Iterator[str]:
    import uvicorn

    from chainwatch.web.assets import echarts_present

    if not echarts_present():
        pytest.fail("ECharts is not vendored: run `npm ci && npm run build` first")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.time() + 30
    while not srv.started and time.time() < deadline:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def server(app) -> Iterator[str]:
    yield from _serve(app)


@pytest.fixture(scope="module")
def demo_server(demo_db, tmp_path_factory, city) -> Iterator[str]:
    """The demo city (tests/conftest.py) with three months of warnings and an analyst account."""
    from chainwatch.service import Chainwatch
    from chainwatch.web import create_app

    path = tmp_path_factory.mktemp("demo_web") / "demo.duckdb"
    shutil.copyfile(demo_db, path)
    with Chainwatch(path, actor="test") as cw:
        last = cw.data.latest_period()
        y, m = int(last[:4]), int(last[5:])
        for k in (2, 1, 0):
            cw.risk.run(f"{y}-{m - k:02d}")
        cw.users.add("analyst", city.PASSWORD, "analyst")
        chain = cw.store.scalar("SELECT chain_id FROM chain ORDER BY chain_id LIMIT 1")
        uscc = cw.store.scalar("SELECT uscc FROM segment_enterprise ORDER BY uscc LIMIT 1")
    app = create_app(db=path, warm=False)
    for base in _serve(app):
        yield base, chain, uscc


@pytest.fixture(scope="module")
def browser():
    if not shutil.which(CHROMIUM) and not os.path.exists(CHROMIUM):
        pytest.skip(f"Chromium not found at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield b
        b.close()


class Session:
    """A logged-in page that records console errors (CSP violations show up there)."""

    def __init__(self, browser, base: str, username: str, password: str) -> None:
        self.base = base
        self.context = browser.new_context(locale="zh-CN")
        self.page = self.context.new_page()
        self.page.set_default_timeout(90_000)
        self.errors: list[str] = []
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.goto(base + "/login")
        self.page.fill("#username", username)
        self.page.fill("#password", password)
        self.page.click("#login-submit")
        self.page.wait_for_url(base + "/")

    def go(self, path: str) -> None:
        self.page.goto(self.base + path)

    def chart(self, selector: str) -> int:
        """Wait for a chart to be drawn; return its number of data points."""
        el = self.page.wait_for_selector(f"{selector}[data-rendered='true']")
        assert el.query_selector("canvas") is not None
        return int(el.get_attribute("data-points"))

    def labels(self, selector: str) -> tuple[list, list]:
        """(category axis labels, series names) of a drawn chart, read back from ECharts."""
        return tuple(self.page.evaluate(
            """sel => { const o = echarts.getInstanceByDom(document.querySelector(sel)).getOption();
                        const x = (o.xAxis && o.xAxis[0] && o.xAxis[0].data) || [];
                        return [x.map(v => (v && typeof v === 'object') ? v.value : v), (o.series || []).map(s => s.name)]; }""",
            selector))

    def assert_readable(self, selector: str, raw_fields: tuple[str, ...] = ()) -> None:
        """Axis labels exist and series carry display names, not raw field names (a past bug)."""
        x, names = self.labels(selector)
        assert x and all(v not in (None, "", "undefined") for v in x), x
        assert all(n and '"' not in n and n not in raw_fields for n in names), names

    def close(self) -> None:
        self.context.close()


@pytest.fixture()
def analyst(browser, server, city):
    s = Session(browser, server, "analyst", city.PASSWORD)
    yield s
    s.close()


def test_login_rejects_wrong_password(browser, server):
    page = browser.new_page()
    page.goto(server + "/enterprises")
    assert "/login" in page.url
    page.fill("#username", "analyst")
    page.fill("#password", "wrong-password")
    page.click("#login-submit")
    assert "用户名或密码错误" in page.inner_text("#login-error")
    page.close()


def test_every_page_renders_its_charts_with_data(analyst, city):
    s = analyst
    s.go("/")
    assert s.chart("#chart-trend") >= 12
    assert s.chart("#chart-warnings") == 4
    assert s.chart("#chart-chains") >= 1
    assert "同比" in s.page.inner_text("#sentence")
    s.go("/chains")
    assert s.chart("#chart-coverage") == 1
    s.page.click("#chains-table a")
    assert s.chart("#chart-graph") == 5
    assert s.page.locator("#segments-table tbody tr").count() == 5
    assert s.page.locator("#leaders-table tbody tr").count() >= 3
    s.go(f"/enterprises/{city.USCC[0]}")
    assert s.chart("#chart-enterprise") >= 24
    assert s.page.locator("#links-table tbody tr").count() >= 3
    s.go("/warnings")
    assert s.chart("#chart-levels") == 4
    s.go("/trade")
    assert s.chart("#chart-trade") >= 1
    s.go("/cultivation")
    assert s.page.locator("h1").inner_text() == "梯度培育"
    if s.page.locator("#chart-pipeline").count():
        assert s.chart("#chart-pipeline") >= 1
    s.go("/simulation")
    s.page.select_option("#target", "country")
    s.page.fill("#ident", "JPN")
    s.page.fill("#capacity", "0")
    s.page.click("#run")
    assert s.chart("#chart-sim") >= 1
    assert s.page.locator("#sim-by_firm tbody tr").count() >= 2
    s.go("/imports")
    assert s.page.locator("#history-table tbody tr").count() >= 5
    csp = [e for e in s.errors if "Content Security Policy" in e or "Refused" in e]
    assert not csp, csp
    assert not s.errors, s.errors


def test_warning_workflow(analyst):
    s = analyst
    s.go("/warnings?state=new")
    s.page.click("#warnings-table tbody tr:first-child a")
    s.page.select_option("#action", "ack")
    s.page.click("#act")
    assert s.page.wait_for_selector("#flash")
    assert s.page.inner_text("#warning-state") == t("risk.state.acknowledged", "zh")
    s.page.select_option("#action", "assign")
    s.page.fill("#owner", "official_a")
    s.page.click("#act")
    s.page.wait_for_selector("#flash")
    s.page.select_option("#action", "resolve")
    s.page.fill("#note", "done")
    s.page.click("#act")
    assert s.page.inner_text("#action-error")  # resolve needs confirmed or no_impact first
    trail = s.page.inner_text("#events-table")
    assert "analyst" in trail and "official_a" in s.page.inner_text("#warning-table")


def test_upload_with_errors(analyst, city, tmp_path):
    bad = tmp_path / "企业名录.csv"
    bad.write_text("uscc,name,district,industry\n"
                   f"{city.USCC[0]},改名企业,330203,3670\n"
                   "91330203MA2AAAAAA1,坏代码企业,330203,3670\n"
                   "91330203MA2BBBBBB2,未知区县企业,999999,3670\n", encoding="utf-8")
    s = analyst
    s.go("/imports")
    s.page.select_option("#kind", "enterprise")
    s.page.set_input_files("#file", str(bad))
    s.page.click("#validate")
    s.page.wait_for_selector("#import-has-errors")
    rows = s.page.locator("#errors-table tbody tr")
    assert rows.count() >= 2
    text = s.page.inner_text("#errors-table")
    assert "3" in text and "4" in text and "行政区划代码不存在" in text
    assert s.page.locator("#confirm").count() == 0


def test_language_switch_and_district_scope(browser, server, city):
    s = Session(browser, server, "official_a", city.PASSWORD)
    try:
        assert "330203" in s.page.inner_text(".note.scope")
        s.page.click("#lang-switch")
        s.page.wait_for_selector("text=Overview")
        s.go("/enterprises")
        names = s.page.inner_text("#enterprises-table")
        assert all(city.NAMES[u] not in names for u in city.IN_B)
        assert all(city.NAMES[u] in names for u in city.IN_A)
        assert "Enterprises" in s.page.inner_text("h1")
    finally:
        s.close()


def test_demo_city_pages_render_charts(browser, demo_server, city):
    base, chain, uscc = demo_server
    s = Session(browser, base, "analyst", city.PASSWORD)
    try:
        assert s.chart("#chart-trend") >= 12
        s.assert_readable("#chart-trend", ("month_value", "month_yoy_pct", "ytd_yoy_pct"))
        assert s.chart("#chart-warnings") == 4
        assert s.chart("#chart-chains") >= 5
        s.go("/chains")
        assert s.chart("#chart-coverage") >= 5
        s.assert_readable("#chart-coverage", ("coverage_pct", "local_supply_pct", "import_dependence_pct"))
        s.go(f"/chains/{chain}")
        assert s.chart("#chart-graph") >= 5
        s.go(f"/enterprises/{uscc}")
        assert s.chart("#chart-enterprise") >= 24
        s.assert_readable("#chart-enterprise", ("gross_output", "revenue", "gross_output_yoy_pct"))
        s.go("/warnings")
        assert s.chart("#chart-levels") == 4
        assert s.page.locator("#warnings-table tbody tr").count() > 0
        s.go("/trade")
        assert s.chart("#chart-trade") >= 1
        s.go("/cultivation")
        assert s.chart("#chart-pipeline") >= 1
        assert not s.errors, s.errors
    finally:
        s.close()


RAW_HEADER = r"^[a-z][a-z0-9]*(_[a-z0-9]+)+$|^(label|count|key|id|total|group_type|month|kind)$"


def test_demo_city_pages_read_like_a_dashboard(browser, demo_server, city):
    """Every main page in zh and en: table headers are labels (not JSON field names), the visible text
    has no 'undefined'/'NaN'/'None', chart legends carry display names, English pages have English
    headers."""
    import re

    base, chain, uscc = demo_server
    s = Session(browser, base, "analyst", city.PASSWORD)
    pages = ["/", "/chains", f"/chains/{chain}", "/enterprises", f"/enterprises/{uscc}", "/warnings",
             "/cultivation", f"/cultivation/gap/{uscc}", "/policy", "/trade", "/simulation", "/imports"]
    try:
        for lang in ("zh", "en"):
            for path in pages:
                s.go(f"{path}?lang={lang}")
                headers = s.page.eval_on_selector_all("th", "els => els.map(e => e.innerText.trim())")
                raw = [h for h in headers if re.match(RAW_HEADER, h)]
                assert not raw, (lang, path, raw)
                body = s.page.inner_text("body")
                bad = re.search(r"\b(undefined|NaN|None|nan)\b", body)
                assert not bad, (lang, path, body[max(0, bad.start() - 80):bad.end() + 20])
                if lang == "en":
                    cjk = [h for h in headers if re.search(r"[\u4e00-\u9fff]", h)]
                    assert not cjk, (path, cjk)
            s.go(f"/?lang={lang}")
            s.chart("#chart-chains")
            s.assert_readable("#chart-chains", ("ytd_yoy_pct",))
            s.go(f"/trade?lang={lang}")
            s.chart("#chart-trade")
            s.assert_readable("#chart-trade", ("ytd_value", "ytd_yoy_pct"))
        assert not s.errors, s.errors
    finally:
        s.close()


# -- finding 9: names are text, never markup --------------------------------------------------------
EVIL_SEGMENT = "<img src=x onerror=window.__pwned=1><b>X</b>"
EVIL_CHAIN = "x<!--<script>y"


@pytest.fixture(scope="module")
def evil_server(web_db, tmp_path_factory):
    """The small city with a segment and the chain named like markup."""
    from chainwatch.service import Chainwatch
    from chainwatch.web import create_app

    path = tmp_path_factory.mktemp("evil_web") / "city.duckdb"
    shutil.copyfile(web_db, path)
    with Chainwatch(path, actor="test") as cw:
        cw.store.execute("UPDATE segment SET name_zh = ?, name_en = ? WHERE segment_id = 'ev.chips'",
                         [EVIL_SEGMENT, EVIL_SEGMENT])
        cw.store.execute("UPDATE chain SET name_zh = ?, name_en = ? WHERE chain_id = 'ev'", [EVIL_CHAIN, EVIL_CHAIN])
    yield from _serve(create_app(db=path, warm=False))


def test_markup_in_names_creates_no_element_and_breaks_no_chart(browser, evil_server, city):
    """Regression (0.1.0): the chain graph's tooltip turned a segment name into elements (only the CSP
    stopped the script), and a name containing ``<!--<script>`` stopped every chart of the page."""
    s = Session(browser, evil_server, "analyst", city.PASSWORD)
    try:
        s.go("/chains")
        assert s.chart("#chart-coverage") == 1
        s.go("/chains/ev")
        assert s.chart("#chart-graph") == 5
        page_json = s.page.evaluate("JSON.parse(document.getElementById('page-data').textContent)")
        assert EVIL_CHAIN in str(page_json) and EVIL_SEGMENT in str(page_json)
        images = s.page.evaluate("document.images.length")
        tips = []
        for i in range(5):   # show every node's tooltip
            s.page.evaluate("""i => { const c = echarts.getInstanceByDom(document.querySelector('#chart-graph'));
                                      c.dispatchAction({type: 'showTip', seriesIndex: 0, dataIndex: i}); }""", i)
            s.page.wait_for_timeout(200)
            tips.append(s.page.evaluate("""() => [...document.querySelectorAll('#chart-graph .tt')]
                                                 .map(e => e.textContent).join(' | ')"""))
            assert s.page.evaluate("document.querySelectorAll('#chart-graph b, #chart-graph img').length") == 0
        assert any(EVIL_SEGMENT in tip for tip in tips), tips     # shown as text …
        assert s.page.evaluate("document.images.length") == images   # … and no element made from it
        assert s.page.evaluate("window.__pwned === undefined")
        # the chain name as text in the page, and every chart of the overview still drawn
        assert EVIL_CHAIN in s.page.inner_text("h1") or EVIL_CHAIN in s.page.inner_text("body")
        s.go("/")
        for sel in ("#chart-trend", "#chart-chains"):
            s.chart(sel)
        assert not [e for e in s.errors if "pwned" in e or "SyntaxError" in e], s.errors
    finally:
        s.close()


def test_api_docs_render_operations_under_their_csp(browser, server):
    """Regression (0.1.0: /api/docs was blank — Swagger UI from a CDN with an inline script that the
    app's own CSP blocked)."""
    page = browser.new_page()
    errors: list[str] = []
    requests: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("request", lambda r: requests.append(r.url))
    try:
        page.goto(server + "/api/docs")
        page.wait_for_selector("#swagger-ui[data-rendered='true']", timeout=60_000)
        page.wait_for_selector(".opblock", timeout=60_000)
        ops = page.eval_on_selector_all(".opblock-summary-path", "els => els.map(e => e.textContent)")
        assert any("/api/simulation/run" in o for o in ops) and len(ops) > 20, ops[:5]
        assert all(u.startswith(server) or u.startswith("data:") for u in requests), \
            [u for u in requests if not u.startswith(server)]
        assert not [e for e in errors if "Content Security Policy" in e or "Refused" in e], errors
    finally:
        page.close()
