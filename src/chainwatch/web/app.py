"""The FastAPI application: JSON API under ``/api``, server-rendered pages, static assets.

``create_app(settings=None, db=None, cw=None)`` opens the database once (or uses ``cw``), applies
security headers to every response (a Content-Security-Policy without external origins, no
framing, no sniffing), translates the exception root into one JSON error envelope under ``/api``
and into an error page elsewhere, and mounts the static assets (ECharts is vendored by the build;
when it is missing, pages say so and keep their tables).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

import chainwatch
from chainwatch.errors import AuthenticationRequired, ChainwatchError, InputError, NotFound
from chainwatch.i18n import t
from chainwatch.service import Chainwatch
from chainwatch.settings import Settings, load_settings
from chainwatch.web.assets import echarts_present
from chainwatch.web.deps import LANG_COOKIE, WebState, request_lang
from chainwatch.web.limits import Guard, json_error
from chainwatch.web.serialize import serialize_error

log = logging.getLogger("chainwatch.web")
STATIC = Path(__file__).parent / "static"

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
       "form-action 'self'; frame-ancestors 'none'")
SECURITY_HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
    (b"cross-origin-opener-policy", b"same-origin"),
]


class SecurityHeaders:
    """Pure ASGI middleware: security headers on every response; ``?lang=`` remembered in a cookie."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        query = scope.get("query_string", b"").decode("latin-1")
        lang = None
        for part in query.split("&"):
            if part.startswith("lang=") and part[5:] in ("zh", "en"):
                lang = part[5:]
        path = scope.get("path", "")

        async def wrapped(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {k.lower() for k, _ in headers}
                headers += [(k, v) for k, v in SECURITY_HEADERS if k not in names]
                if not path.startswith("/static"):
                    headers.append((b"cache-control", b"no-store"))
                if lang:
                    headers.append((b"set-cookie", f"{LANG_COOKIE}={lang}; Path=/; Max-Age=31536000; "
                                                   f"SameSite=Lax".encode()))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, wrapped)


#: the API docs page: the vendored Swagger UI bundle, its stylesheet and the static start-up script,
#: the OpenAPI document from this server — nothing else (no inline script, no CDN, no validator)
DOCS_CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
            "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")


def docs_page(lang: str) -> Response:
    """``/api/docs``: Swagger UI when vendored (``npm ci && npm run build``), else how to install it."""
    from chainwatch.web.assets import swagger_present

    if swagger_present():
        body = ('<!doctype html><html lang="en"><head><meta charset="utf-8"><title>chainwatch API</title>'
                '<link rel="icon" href="data:,"><link rel="stylesheet" href="/static/vendor/swagger-ui/swagger-ui.css">'
                '</head><body><div id="swagger-ui" data-url="/api/openapi.json"></div>'
                '<script src="/static/vendor/swagger-ui/swagger-ui-bundle.js"></script>'
                '<script src="/static/js/docs.js"></script></body></html>')
    else:
        body = (f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8"><title>chainwatch API</title></head>'
                f'<body><p id="docs-missing">{t("sec.docs_missing", lang)}</p>'
                '<p><a href="/api/openapi.json">/api/openapi.json</a></p></body></html>')
    return HTMLResponse(body, headers={"Content-Security-Policy": DOCS_CSP})


def record_denied(state: WebState, request: Request, exc: ChainwatchError) -> None:
    """A refused access (role, district scope, CSRF) in the security audit log; never fails the request."""
    from chainwatch.web.deps import client_address

    principal = getattr(request.state, "principal", None)
    try:
        state.cw.audit.record("access.denied", f"{request.method} {request.url.path}"[:300], outcome="denied",
                              actor=principal.username if principal else "-", address=client_address(request),
                              detail={"reason": exc.key, "role": principal.role if principal else None})
    except Exception:  # noqa: BLE001 - the refusal stands even if it cannot be logged
        log.exception("could not record a refused access")


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api")


def _lang(request: Request) -> str:
    state: WebState | None = getattr(request.app.state, "web", None)
    return request_lang(request, state.settings.lang if state else "zh")


RETRY_AFTER = "2"


def _error_response(request: Request, exc: ChainwatchError) -> Response:
    lang = _lang(request)
    if _is_api(request):
        headers = {"WWW-Authenticate": "Bearer"} if exc.http_status == 401 else None
        if exc.http_status == 503:
            headers = {"Retry-After": RETRY_AFTER}
        return JSONResponse(serialize_error(exc, lang), status_code=exc.http_status, headers=headers)
    if isinstance(exc, AuthenticationRequired) and request.method == "GET":
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={_quote(target)}", status_code=303)
    from chainwatch.web.pages import render_error

    response = render_error(request, exc, lang)
    if exc.http_status == 503:
        response.headers["Retry-After"] = RETRY_AFTER
    return response


def _guard_error(scope: Scope, exc: ChainwatchError) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    """The response of a request refused before it reached the app (overload, body too large)."""
    request = Request(scope)
    lang = _lang(request)
    if _is_api(request):
        return json_error(exc.http_status, serialize_error(exc, lang))
    from chainwatch.web.pages import render_error

    page = render_error(request, exc, lang)
    return exc.http_status, [(b"content-type", b"text/html; charset=utf-8"),
                             (b"content-length", str(len(page.body)).encode())], bytes(page.body)


def _quote(value: str) -> str:
    from urllib.parse import quote

    return quote(value, safe="/")


def create_app(settings: Settings | None = None, db: str | Path | None = None, *,
               cw: Chainwatch | None = None, pool_size: int | None = None, warm: bool = True) -> FastAPI:
    """Build the app over ``cw`` or over the database ``db`` (default: setting ``db``).

    ``pool_size`` (default: setting ``web_concurrency``) is how many requests run at once, each
    with its own database handle; see :mod:`chainwatch.web.limits` for admission and limits.

    With ``warm`` the overview and chain pages are computed in a background thread at start-up, so
    the first visitors do not wait for the statistics (see :func:`chainwatch.web.views.warm_up`).
    """
    settings = settings or (cw.settings if cw else load_settings())
    cw = cw or Chainwatch(db or settings.db, settings=settings, actor="web")
    state = WebState(cw, pool_size=pool_size)
    state.assets_ok = echarts_present()
    if not state.assets_ok:
        log.warning(t("web.assets_missing", "en"))

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        state.stopping.set()  # a running warm-up stops after its current step (no thread left behind)
        await run_in_threadpool(state.warm_done.wait, 60)

    app = FastAPI(
        title="chainwatch API",
        version=chainwatch.__version__,
        description="Industrial-chain monitoring and early warning. Log in with POST /api/auth/login "
                    "(returns a bearer token and sets the session cookie). Money in 万元 unless "
                    "meta.units says otherwise; percentages end in _pct, percentage points in _pp.",
        docs_url=None, redoc_url=None, openapi_url="/api/openapi.json", lifespan=lifespan,
    )
    app.state.web = state

    @app.exception_handler(ChainwatchError)
    async def _chainwatch_error(request: Request, exc: ChainwatchError) -> Response:
        if exc.http_status == 403:
            await run_in_threadpool(record_denied, state, request, exc)
        return _error_response(request, exc)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError) -> Response:
        detail = "; ".join(f"{'.'.join(str(x) for x in e.get('loc', ()))}: {e.get('msg')}"
                           for e in exc.errors()[:5])
        return _error_response(request, InputError("web.bad_request", detail=detail))

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 404:
            err: ChainwatchError = NotFound("web.not_found_page")
        else:
            err = ChainwatchError("web.bad_request", detail=str(exc.detail))
            err.http_status = exc.status_code
        return _error_response(request, err)

    @app.exception_handler(Exception)
    async def _bug(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error on %s", request.url.path)
        err = ChainwatchError("error.bug", detail=type(exc).__name__)
        err.http_status = 500
        return _error_response(request, err)

    from chainwatch.web.routers import admin, api, auth, imports, pages, warnings

    for module in (auth, api, warnings, imports, admin, pages):
        app.include_router(module.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.add_middleware(Guard, admission=state.admission, error_page=_guard_error,
                       max_body=int(settings.web_max_body_kb) * 1024,
                       max_upload=int(settings.upload_max_mb) * 1024 * 1024)
    app.add_middleware(SecurityHeaders)  # outermost: refusals get the headers too

    from chainwatch.web.routers.imports import janitor

    ttl = float(getattr(settings, "upload_ttl_minutes", 60) or 60) * 60.0
    threading.Thread(target=janitor, args=(state, ttl), name="chainwatch-upload-janitor", daemon=True).start()

    if warm:
        from chainwatch.web.views import warm_up

        threading.Thread(target=warm_up, args=(state,), name="chainwatch-warm-up", daemon=True).start()
    else:
        state.warm_done.set()

    @app.get("/api/health", tags=["auth"])
    def _health() -> dict[str, object]:
        """Liveness for monitors and scripts (no login needed, no data): version and warm-up state."""
        return {"status": "ok", "version": chainwatch.__version__, "warm": state.warm_done.is_set(),
                "charts": state.assets_ok, "load": state.admission.stats()}

    @app.get("/api/docs", include_in_schema=False)
    def _docs() -> Response:
        """Swagger UI from the vendored npm package, started by a static script (see :data:`DOCS_CSP`)."""
        return docs_page(state.settings.lang)

    @app.get("/favicon.ico", include_in_schema=False)
    def _favicon() -> Response:
        return HTMLResponse(status_code=204)

    return app

