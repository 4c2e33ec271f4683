"""Request context for every route: the caller, their language and a scoped service facade.

The app opens one :class:`~chainwatch.service.Chainwatch` at start. Each admitted request borrows a
database handle (``Store.cursor()``: a DuckDB cursor, or a pooled connection on PostgreSQL) from a
pool with exactly one handle per admission slot (see :mod:`chainwatch.web.limits`), so taking one
never waits; it receives a per-request facade carrying the caller's actor name, language and
district scope. Routes declare who may call them with :func:`allow`; write routes additionally
check the CSRF token when the caller authenticated with the session cookie.
"""

from __future__ import annotations

import ipaddress
import queue
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import Depends, Request

from chainwatch.errors import AuthenticationRequired, ChainwatchError, PermissionDenied
from chainwatch.i18n import check_lang
from chainwatch.service import Chainwatch
from chainwatch.service.users import Principal
from chainwatch.store import Store
from chainwatch.web.limits import Admission, Overloaded

SESSION_COOKIE = "cw_session"
LANG_COOKIE = "cw_lang"
LOGIN_CSRF_COOKIE = "cw_login_csrf"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
SCOPE_TTL = 60.0
VERSION_TTL = 2.0
SESSION_TTL = 5.0


@dataclass(frozen=True)
class ScopeSets:
    """What a restricted caller may see: the allowed enterprises and the ones to hide."""

    allowed: frozenset[str]
    hidden_usccs: frozenset[str]
    hidden_names: frozenset[str]
    names_re: re.Pattern[str] | None = None

    @classmethod
    def build(cls, allowed: set[str], hidden: set[str], names: set[str]) -> ScopeSets:
        ordered = sorted((n for n in names if n), key=len, reverse=True)
        pattern = re.compile("|".join(re.escape(n) for n in ordered)) if ordered else None
        return cls(frozenset(allowed), frozenset(hidden), frozenset(names), pattern)


class WebState:
    """Everything the app shares between requests: the base facade, admission and the handle pool."""

    def __init__(self, cw: Chainwatch, *, pool_size: int | None = None) -> None:
        self.cw = cw
        self.settings = cw.settings
        slots = int(pool_size or getattr(self.settings, "web_concurrency", 0) or 8)
        self.admission = Admission(slots, int(getattr(self.settings, "web_queue", 256)),
                                   int(getattr(self.settings, "web_queue_ms", 3000)) / 1000.0)
        self._pool: queue.LifoQueue[Store] = queue.LifoQueue()
        self._made = 0
        self._max = slots
        self._lock = threading.Lock()
        self._scope_cache: dict[tuple[str, ...] | None, tuple[float, ScopeSets]] = {}
        self.assets_ok = False
        self.uploads: dict[str, dict[str, Any]] = {}
        self._cache: OrderedDict[tuple[Any, ...], Any] = OrderedDict()
        self._cache_lock = threading.Lock()
        self._flights: dict[tuple[Any, ...], threading.Lock] = {}
        self.warm_done = threading.Event()
        self.stopping = threading.Event()
        self._version: tuple[float, tuple[str, str] | None] = (0.0, None)
        self._sessions: dict[str, tuple[float, Principal]] = {}

    def data_version(self, cw: Chainwatch) -> tuple[str, str]:
        """(data, warnings) versions (see ``UserService.data_version``), re-read at most every 2 s."""
        at, version = self._version
        if version is None or time.monotonic() - at > VERSION_TTL:
            version = cw.users.data_version()
            self._version = (time.monotonic(), version)
        return version

    def session(self, cw: Chainwatch, token: str) -> Principal:
        """The session's principal, re-checked against the database at most every few seconds.

        The server holds the database exclusively, so sessions change only through this process;
        logout, password and role changes call :meth:`forget_sessions`.
        """
        hit = self._sessions.get(token)
        if hit and time.monotonic() - hit[0] < SESSION_TTL:
            return hit[1]
        principal = cw.users.session(token)
        if len(self._sessions) > 10_000:
            self._sessions.clear()
        self._sessions[token] = (time.monotonic(), principal)
        return principal

    def forget_sessions(self) -> None:
        self._sessions.clear()

    def forget_version(self) -> None:
        """Re-read the versions on the next request (after a write made through the web)."""
        self._version = (0.0, None)

    def cached(self, key: tuple[Any, ...], compute: Callable[[], Any], *, size: int = 512) -> Any:
        """Memoise ``compute()`` under ``key`` (which must include the data version), LRU-bounded.

        Concurrent requests for the same missing key compute it once: the others wait for the first
        (a cold overview costs seconds; N slots computing it N times would starve everyone else).
        """
        with self._cache_lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
            flight = self._flights.setdefault(key, threading.Lock())
        with flight:
            with self._cache_lock:
                if key in self._cache:
                    return self._cache[key]
            try:
                value = compute()
                with self._cache_lock:
                    self._cache[key] = value
                    while len(self._cache) > size:
                        self._cache.popitem(last=False)
            finally:
                with self._cache_lock:
                    self._flights.pop(key, None)
        return value

    def acquire(self) -> Store:
        """A database handle for one admitted request; never waits.

        Admission (:class:`~chainwatch.web.limits.Admission`) lets in at most as many requests as
        there are handles, so a free one always exists; if not (a bug), the caller gets 503.
        """
        try:
            return self._pool.get_nowait()
        except queue.Empty:
            pass
        with self._lock:
            if self._made < self._max:
                self._made += 1
                return self.cw.store.cursor()
        raise Overloaded()

    def release(self, store: Store) -> None:
        self._pool.put(store)

    def discard(self, store: Store) -> None:
        """Drop a handle that may be in an unknown state (its run was stopped); a new one replaces it."""
        with self._lock:
            self._made -= 1

    def facade(self, store: Store, *, lang: str, actor: str, scope: list[str] | None,
               address: str | None = None) -> Chainwatch:
        """A per-request facade sharing the app's database through ``store`` (``address``: the client's,
        for the security audit log)."""
        cw = Chainwatch.__new__(Chainwatch)
        cw.__dict__.update(self.cw.__dict__)
        cw.__dict__.update(store=store, lang=lang, actor=actor, scope=scope, _subs={}, address=address)
        return cw

    def scope_sets(self, cw: Chainwatch, districts: tuple[str, ...] | None) -> ScopeSets:
        """Allowed and hidden enterprises for ``districts`` (None = viewer: hide all), cached briefly."""
        hit = self._scope_cache.get(districts)
        if hit and time.monotonic() - hit[0] < SCOPE_TTL:
            return hit[1]
        allowed = cw.users.enterprises_in(districts or ())
        everyone = cw.users.enterprises_in_all()
        hidden = everyone - allowed
        sets = ScopeSets.build(allowed, hidden, cw.users.enterprise_names(hidden))
        self._scope_cache[districts] = (time.monotonic(), sets)
        return sets

    def forget_scopes(self) -> None:
        self._scope_cache.clear()
        self.forget_version()


@dataclass
class Ctx:
    """One request: the caller (None before login), language, facade and app state."""

    request: Request
    state: WebState
    cw: Chainwatch
    lang: str
    principal: Principal | None
    via_cookie: bool = False
    _scope: ScopeSets | None = field(default=None, repr=False)
    discard_store: bool = field(default=False, repr=False)

    @property
    def user(self) -> Principal:
        if self.principal is None:
            raise AuthenticationRequired()
        return self.principal

    @property
    def restricted(self) -> bool:
        """True when enterprise-level rows must be filtered (district officials and viewers)."""
        return self.principal is not None and self.principal.role in ("district", "viewer")

    def scope(self) -> ScopeSets:
        if self._scope is None:
            p = self.user
            key = p.districts if p.role == "district" else None
            self._scope = self.state.scope_sets(self.cw, key)
        return self._scope

    def cache_key(self, *parts: Any, warnings: bool = False) -> tuple[Any, ...]:
        """A cache key for this caller's view of ``parts`` at the current data (and warnings) version."""
        p = self.principal
        who = (p.role if p and p.role in ("district", "viewer") else "all", p.districts if p else ())
        data_v, warn_v = self.state.data_version(self.cw)
        return (*parts, self.lang, who, data_v, warn_v if warnings else "")

    def check_enterprise(self, uscc: str) -> None:
        """Refuse enterprise-level access to an enterprise the caller may not see."""
        p = self.user
        if not p.enterprise_level:
            raise PermissionDenied("web.forbidden_role", role=p.role)
        if p.role == "district" and uscc not in self.scope().allowed:
            raise PermissionDenied("web.forbidden_scope")


def _networks(raw: str) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    out = []
    for part in str(raw or "").replace(";", ",").split(","):
        part = part.strip()
        if part:
            try:
                out.append(ipaddress.ip_network(part, strict=False))
            except ValueError:
                continue
    return tuple(out)


def _trusted(host: str | None, networks: tuple[Any, ...]) -> bool:
    if not host or not networks:
        return False
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return False
    return any(ip in net for net in networks)


def client_address(request: Request) -> str:
    """The caller's address for throttling and the audit log.

    ``X-Forwarded-For`` is believed only when the direct peer is one of the ``trusted_proxies``
    (setting, default none); then the right-most address that is not itself a trusted proxy is the
    client. A client cannot choose its address by sending the header itself.
    """
    peer = request.client.host if request.client else None
    state = getattr(request.app.state, "web", None)
    networks = _networks(getattr(state.settings, "trusted_proxies", "") if state else "")
    if not _trusted(peer, networks):
        return peer or "-"
    hops = [h.strip() for h in ",".join(request.headers.getlist("x-forwarded-for")).split(",") if h.strip()]
    for hop in reversed(hops):
        if not _trusted(hop, networks):
            try:
                return str(ipaddress.ip_address(hop))
            except ValueError:
                return peer or "-"
    return hops[0] if hops else (peer or "-")


def client_scheme(request: Request) -> str:
    """``https`` when the request came over TLS (directly, or via a trusted proxy's X-Forwarded-Proto)."""
    peer = request.client.host if request.client else None
    state = getattr(request.app.state, "web", None)
    if _trusted(peer, _networks(getattr(state.settings, "trusted_proxies", "") if state else "")):
        proto = request.headers.get("x-forwarded-proto", "").split(",")[0].strip().lower()
        if proto in ("http", "https"):
            return proto
    return request.url.scheme


def request_lang(request: Request, default: str) -> str:
    raw = request.query_params.get("lang") or request.cookies.get(LANG_COOKIE) or default
    try:
        return check_lang(raw)
    except ChainwatchError:
        return check_lang(default)


def _token(request: Request) -> tuple[str | None, bool]:
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        return auth[7:].strip(), False
    return request.cookies.get(SESSION_COOKIE), True


def context(request: Request) -> Iterator[Ctx]:
    """Borrow a cursor, identify the caller (if any) and build the scoped facade."""
    state: WebState = request.app.state.web
    lang = request_lang(request, state.settings.lang)
    store = state.acquire()
    ctx: Ctx | None = None
    address = client_address(request)
    try:
        base = state.facade(store, lang=lang, actor="web", scope=None, address=address)
        token, via_cookie = _token(request)
        principal: Principal | None = None
        if token:
            try:
                principal = state.session(base, token)
            except AuthenticationRequired:
                principal = None
        request.state.principal = principal
        if principal is None:
            ctx = Ctx(request, state, base, lang, None, via_cookie)
        else:
            cw = state.facade(store, lang=lang, actor=principal.username, scope=principal.scope, address=address)
            ctx = Ctx(request, state, cw, lang, principal, via_cookie)
        yield ctx
    finally:
        if ctx is not None and ctx.discard_store:
            state.discard(store)
        else:
            state.release(store)


AnyCtx = Annotated[Ctx, Depends(context)]


async def _check_csrf(ctx: Ctx) -> None:
    request = ctx.request
    if request.method in SAFE_METHODS or not ctx.via_cookie:
        return
    sent = request.headers.get("x-csrf-token")
    if not sent and request.headers.get("content-type", "").startswith(
            ("application/x-www-form-urlencoded", "multipart/form-data")):
        form = await request.form()
        value = form.get("csrf_token")
        sent = value if isinstance(value, str) else None
    if not sent or ctx.principal is None or sent != ctx.principal.csrf_token:
        raise PermissionDenied("web.csrf")


def allow(*roles: str) -> Callable[..., Any]:
    """Dependency: a logged-in caller with one of ``roles`` (all roles when none given); CSRF on writes."""

    async def dependency(ctx: AnyCtx) -> Ctx:
        p = ctx.user
        if roles and p.role not in roles:
            raise PermissionDenied("web.forbidden_role", role=p.role)
        await _check_csrf(ctx)
        return ctx

    return dependency


ALL_ROLES = ("admin", "analyst", "district", "viewer")
ENTERPRISE_ROLES = ("admin", "analyst", "district")
WRITE_ROLES = ("admin", "analyst", "district")
IMPORT_ROLES = ("admin", "analyst")

Viewer = Annotated[Ctx, Depends(allow(*ALL_ROLES))]
EntCtx = Annotated[Ctx, Depends(allow(*ENTERPRISE_ROLES))]
Writer = Annotated[Ctx, Depends(allow(*WRITE_ROLES))]
Importer = Annotated[Ctx, Depends(allow(*IMPORT_ROLES))]
Admin = Annotated[Ctx, Depends(allow("admin"))]
Analyst = Importer
