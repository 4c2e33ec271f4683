"""Server-rendered pages: Jinja2 templates, the page chrome, and the data handed to the charts.

Pages embed the same JSON the API returns in a ``<script type="application/json">`` block; the
static ``app.js`` draws the ECharts charts from it (no inline scripts, so the CSP stays strict).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from chainwatch.errors import ChainwatchError
from chainwatch.i18n import t
from chainwatch.service.result import _clean
from chainwatch.web.deps import Ctx
from chainwatch.web.labels import column_label, table_columns, value_label

TEMPLATES = Path(__file__).parent / "templates"
ROW_LIMIT = 200
#: float columns always shown with decimals (scores, indices)
MONEY_2DP = frozenset({"score", "gap_index", "hhi", "hhi_pooled", "points", "max_points", "points_max"})
ISO_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}")

NAV: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("overview", "/", ()),
    ("chains", "/chains", ()),
    ("enterprises", "/enterprises", ("admin", "analyst", "district")),
    ("warnings", "/warnings", ()),
    ("cultivation", "/cultivation", ()),
    ("policy", "/policy", ()),
    ("trade", "/trade", ()),
    ("simulation", "/simulation", ()),
    ("imports", "/imports", ("admin", "analyst")),
    ("admin", "/admin", ("admin",)),
)

_env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=select_autoescape(["html"]),
                   trim_blocks=True, lstrip_blocks=True)

#: characters that must never appear literally in JSON embedded in HTML: ``<`` (a ``</script>`` or
#: ``<!--`` in a name would end or swallow the script element), ``>``, ``&`` (entities in
#: attributes), ``'`` (single-quoted attributes) and U+2028/U+2029 (line terminators for old JS parsers)
_HTML_UNSAFE = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "'": "\\u0027",
                "\u2028": "\\u2028", "\u2029": "\\u2029"}
_HTML_UNSAFE_RE = re.compile("[<>&'\u2028\u2029]")


def json_for_html(value: Any) -> Markup:
    """``value`` as JSON that is safe inside ``<script type="application/json">`` and in attributes.

    The one way pages embed data (also the ``tojson`` filter of the templates): every ``< > & '`` and
    U+2028/U+2029 is written as a ``\\uXXXX`` escape, which ``JSON.parse`` reads back unchanged; NaN
    and infinities become ``null``.
    """
    try:
        text = json.dumps(value, ensure_ascii=False, default=str, allow_nan=False)
    except ValueError:
        text = json.dumps(_clean(value), ensure_ascii=False, default=str)
    return Markup(_HTML_UNSAFE_RE.sub(lambda m: _HTML_UNSAFE[m.group(0)], text))


_env.filters["tojson"] = json_for_html


def _fmt(value: Any, column: str = "") -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "✓" if value else "✗"
    if isinstance(value, float):
        if value != value:
            return "—"
        if column.endswith(("_pct", "_pp", "_yi")):
            return f"{value + 0.0:,.1f}" if round(value, 1) != 0 else "0.0"
        if value.is_integer() and abs(value) < 1e15 and column not in MONEY_2DP:
            return f"{int(value):,}" if abs(value) >= 10000 else str(int(value))
        if abs(value) >= 100:
            return f"{value:,.0f}"
        return f"{value:,.2f}"
    if isinstance(value, int):
        return f"{value:,}" if abs(value) >= 10000 else str(value)
    if isinstance(value, str) and ISO_TIME.match(value):
        return value[:16].replace("T", " ")
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)[:200]
    return str(value)


_env.filters["fmt"] = _fmt


def to_yi(rows: list[dict[str, Any]] | None, *columns: str) -> list[dict[str, Any]]:
    """Copies of ``rows`` with the 万元 ``columns`` in 亿元 under ``<column>_yi`` (labelled with the unit)."""
    out = []
    for r in rows or []:
        r = dict(r)
        for c in columns:
            v = r.pop(c, None)
            r[f"{c}_yi"] = round(v / 10000, 1) if isinstance(v, (int, float)) and v == v else None
        out.append(r)
    return out


def sort_rows(rows: list[dict[str, Any]] | None, column: str, reverse: bool = False) -> list[dict[str, Any]]:
    """``rows`` sorted by ``column``; missing values (None, NaN) always last."""
    rows = list(rows or [])

    def missing(r: dict[str, Any]) -> bool:
        v = r.get(column)
        return v is None or (isinstance(v, float) and v != v)

    have = [r for r in rows if not missing(r)]
    return sorted(have, key=lambda r: r[column], reverse=reverse) + [r for r in rows if missing(r)]


def _fmt_yi(value: Any) -> str:
    return "—" if not isinstance(value, (int, float)) or value != value else f"{value:,.1f}"


_env.filters["yi"] = _fmt_yi


def render(ctx: Ctx, template: str, *, title_key: str, active: str = "", data: Any = None,
           status_code: int = 200, **values: Any) -> HTMLResponse:
    """Render ``template`` with the page chrome; ``data`` goes to the charts as JSON."""
    lang = ctx.lang
    p = ctx.principal

    def tr(key: str, **params: Any) -> str:
        return t(key, lang, **params)

    names: dict[str, str] = {}

    def chain_name(chain_ids: Any) -> str:
        """Chain id(s) (comma-separated) → chain name(s) in the page language."""
        if not names:
            from chainwatch.web import views

            try:
                names.update({c["chain_id"]: c["name"] for c in views.chains_list(ctx).get("chains", [])})
            except ChainwatchError:
                names["\0"] = ""
        return "、".join(names.get(c.strip(), c.strip()) for c in str(chain_ids).split(",") if c.strip()) \
            if lang == "zh" else "; ".join(names.get(c.strip(), c.strip()) for c in str(chain_ids).split(",")
                                           if c.strip())

    dnames: dict[str, str] = {}

    def district_name(codes: Any, with_code: bool = False) -> str:
        """District code(s) (comma-separated or a list) → names; unknown codes stay as they are."""
        if not dnames:
            try:
                df = ctx.cw.users.districts().tables["districts"]
                dnames.update({str(r["code"]): str(r["name"]) for r in
                               (df.to_dict("records") if hasattr(df, "to_dict") else df)})
            except Exception:  # noqa: BLE001 - a label lookup must never break a page
                dnames["\0"] = ""
        items = codes if isinstance(codes, (list, tuple)) else str(codes).split(",")
        codes_ = [str(c).strip() for c in items if str(c).strip()]
        if with_code:
            return "、".join(f"{dnames[c]}（{c}）" if c in dnames else c for c in codes_)
        return "、".join(dnames.get(c, c) for c in codes_)

    def sec(name: str) -> str:
        """The heading of a result section (``web.sec.<name>``), else its JSON name."""
        from chainwatch.i18n import catalogue

        return tr(f"web.sec.{name}") if f"web.sec.{name}" in catalogue() else name

    nav = [(key, href, tr(f"web.nav.{key}")) for key, href, roles in NAV
           if p is not None and (not roles or p.role in roles)]
    switch = "en" if lang == "zh" else "zh"
    query = dict(ctx.request.query_params)
    query["lang"] = switch
    from urllib.parse import urlencode

    html = _env.get_template(template).render(
        t=tr, lang=lang, user=p, nav=nav, active=active, title=tr(title_key),
        lang_href=f"{ctx.request.url.path}?{urlencode(query)}", lang_label=tr("web.lang_switch"),
        csrf=p.csrf_token if p else "", assets_ok=ctx.state.assets_ok,
        page_data=json_for_html(data if data is not None else {}),
        col=lambda c: column_label(c, lang), val=lambda c, v: value_label(c, v, lang),
        table_columns=table_columns, to_yi=to_yi, sort_rows=sort_rows, chain_name=chain_name, district_name=district_name, sec=sec, row_limit=ROW_LIMIT, **values)
    return HTMLResponse(html, status_code=status_code)


def render_error(request: Request, exc: ChainwatchError, lang: str) -> HTMLResponse:
    """A plain error page (the chrome without navigation, so it never needs the database)."""
    html = _env.get_template("error.html").render(
        t=lambda key, **kw: t(key, lang, **kw), lang=lang, title=t("web.error_title", lang),
        message=exc.message(lang), status=exc.http_status, user=None, nav=[], active="",
        lang_href=f"?lang={'en' if lang == 'zh' else 'zh'}",
        lang_label=t("web.lang_switch", lang), csrf="", assets_ok=True, page_data="{}")
    return HTMLResponse(html, status_code=exc.http_status)
