"""Login and logout: the HTML form (with a double-submit CSRF cookie) and the JSON API."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from chainwatch.errors import ChainwatchError, InputError, PermissionDenied
from chainwatch.web.deps import (
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    AnyCtx,
    Viewer,
    client_address,
    client_scheme,
)
from chainwatch.web.pages import render
from chainwatch.web.serialize import RESPONSES, LoginIn, LoginOut, UserOut, ok, serialize_user

router = APIRouter()


def _address(request: Request) -> str:
    return client_address(request)


def _set_session(response: Response, request: Request, token: str, minutes: int) -> None:
    response.set_cookie(SESSION_COOKIE, token, httponly=True, samesite="lax", path="/",
                        secure=client_scheme(request) == "https", max_age=minutes * 60)


def _safe_next(target: str | None) -> str:
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


@router.get("/login", response_class=HTMLResponse, include_in_schema=False)
def login_page(ctx: AnyCtx, next: str = "/") -> Response:
    if ctx.principal is not None:
        return RedirectResponse(_safe_next(next), status_code=303)
    return _login_form(ctx, next, None)


def _login_form(ctx: AnyCtx, next: str, error: str | None, status_code: int = 200) -> Response:
    token = secrets.token_urlsafe(24)
    response = render(ctx, "login.html", title_key="web.login.title", login_csrf=token,
                      next=_safe_next(next), error=error, status_code=status_code)
    response.set_cookie(LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict", path="/login")
    return response


@router.post("/login", response_class=HTMLResponse, include_in_schema=False)
def login_submit(ctx: AnyCtx, username: Annotated[str, Form()] = "", password: Annotated[str, Form()] = "",
                 csrf_token: Annotated[str, Form()] = "", next: Annotated[str, Form()] = "/") -> Response:
    request = ctx.request
    cookie = request.cookies.get(LOGIN_CSRF_COOKIE)
    if not cookie or not secrets.compare_digest(cookie, csrf_token or ""):
        ctx.cw.audit.record("access.denied", "POST /login", outcome="denied", actor=(username or "-")[:64],
                            detail={"reason": "web.csrf"})
        return _login_form(ctx, next, PermissionDenied("web.csrf").message(ctx.lang), 403)
    users = ctx.cw.users
    try:
        users.authenticate(username, password, _address(request))
    except ChainwatchError as exc:
        return _login_form(ctx, next, exc.message(ctx.lang), exc.http_status)
    token, _ = users.create_session(username.strip(), address=_address(request),
                                    user_agent=request.headers.get("user-agent", ""))
    response = RedirectResponse(_safe_next(next), status_code=303)
    _set_session(response, request, token, users.session_minutes)
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return response


@router.post("/logout", include_in_schema=False)
def logout_page(ctx: Viewer) -> Response:
    ctx.cw.users.end_session(ctx.request.cookies.get(SESSION_COOKIE))
    ctx.state.forget_sessions()
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.post("/api/auth/login", response_model=LoginOut, responses=RESPONSES, tags=["auth"])
def api_login(ctx: AnyCtx, body: LoginIn) -> Response:
    """Log in; returns a bearer token (also set as the session cookie) and the user with its CSRF token.

    Send the token as ``Authorization: Bearer <token>``; with the cookie instead, writes need the
    ``X-CSRF-Token`` header.
    """
    users = ctx.cw.users
    users.authenticate(body.username, body.password, _address(ctx.request))
    token, principal = users.create_session(body.username.strip(), address=_address(ctx.request),
                                            user_agent=ctx.request.headers.get("user-agent", ""))
    response = JSONResponse({"token": token, "user": serialize_user(principal, with_csrf=True)})
    _set_session(response, ctx.request, token, users.session_minutes)
    return response


@router.post("/api/auth/logout", status_code=204, responses=RESPONSES, tags=["auth"])
def api_logout(ctx: Viewer) -> Response:
    """End the current session."""
    auth = ctx.request.headers.get("authorization", "")
    token = auth[7:].strip() if auth.lower().startswith("bearer ") else ctx.request.cookies.get(SESSION_COOKIE)
    ctx.cw.users.end_session(token)
    ctx.state.forget_sessions()
    response = Response(status_code=204)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


class PasswordIn(BaseModel):
    """A password change by the logged-in user."""

    model_config = ConfigDict(extra="forbid")
    current: str = Field(min_length=1, max_length=256)
    new: str = Field(min_length=1, max_length=256)


@router.post("/api/auth/password", status_code=204, responses=RESPONSES, tags=["auth"])
def api_password(ctx: Viewer, body: PasswordIn) -> Response:
    """Change your own password (the current one is checked like a login; the new one must pass the
    password policy). Every session of the account ends, this one included: log in again."""
    users = ctx.cw.users
    try:
        users.authenticate(ctx.user.username, body.current, _address(ctx.request))
    except ChainwatchError as exc:
        if exc.http_status == 401:
            raise InputError("sec.pw.wrong_current") from None
        raise
    users.set_password(ctx.user.username, body.new)
    ctx.state.forget_sessions()
    response = Response(status_code=204)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/api/auth/me", response_model=UserOut, responses=RESPONSES, tags=["auth"])
def api_me(ctx: Viewer) -> Response:
    """The logged-in user, role, districts and CSRF token."""
    return ok(serialize_user(ctx.user, with_csrf=True))
