"""User administration (admin only): accounts, roles, district assignments, the audit log."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from chainwatch.i18n import t
from chainwatch.web import views
from chainwatch.web.deps import Admin
from chainwatch.web.pages import render
from chainwatch.web.serialize import RESPONSES, ResultOut, UserIn, UserPatch, ok, serialize_result

router = APIRouter()


def _codes(raw: str | None) -> list[str]:
    return [c.strip() for c in (raw or "").replace("，", ",").split(",") if c.strip()]


@router.get("/api/users", response_model=ResultOut, responses=RESPONSES, tags=["admin"])
def list_users(ctx: Admin) -> Response:
    """Accounts with role and districts (never password hashes)."""
    return ok(serialize_result(ctx.cw.users.list(), ctx))


@router.post("/api/users", response_model=ResultOut, status_code=201, responses=RESPONSES, tags=["admin"])
def add_user(ctx: Admin, body: UserIn) -> Response:
    """Create an account; district officials need at least one district code."""
    result = ctx.cw.users.add(body.username, body.password, body.role, districts=body.districts,
                              display_name=body.display_name)
    return ok(serialize_result(result, ctx), 201)


@router.patch("/api/users/{username}", response_model=ResultOut, responses=RESPONSES, tags=["admin"])
def update_user(ctx: Admin, username: str, body: UserPatch) -> Response:
    """Change role, districts, active flag, display name or password (ends the user's sessions)."""
    users = ctx.cw.users
    if body.password is not None:
        users.set_password(username, body.password)
    result = users.update(username, role=body.role, districts=body.districts, active=body.active,
                          display_name=body.display_name)
    ctx.state.forget_scopes()
    ctx.state.forget_sessions()
    return ok(serialize_result(result, ctx))


@router.delete("/api/users/{username}", status_code=204, responses=RESPONSES, tags=["admin"])
def remove_user(ctx: Admin, username: str) -> Response:
    """Delete an account (the last active administrator cannot be removed)."""
    ctx.cw.users.remove(username)
    ctx.state.forget_sessions()
    return Response(status_code=204)


@router.get("/api/audit", response_model=ResultOut, responses=RESPONSES, tags=["admin"])
def audit(ctx: Admin, actor: str | None = None,
          limit: Annotated[int, Query(ge=1, le=5000)] = 200) -> Response:
    """The newest audit-log entries: logins, user changes, imports, warning actions, every web write."""
    return ok(serialize_result(ctx.cw.users.audit_log(limit=limit, actor=actor), ctx))


@router.get("/api/audit/security", response_model=ResultOut, responses=RESPONSES, tags=["admin"])
def security_events(ctx: Admin, since: Annotated[str | None, Query(max_length=32)] = None,
                    actor: Annotated[str | None, Query(max_length=64)] = None,
                    action: Annotated[str | None, Query(max_length=64)] = None,
                    outcome: Annotated[str | None, Query(pattern="^(ok|failed|denied)$")] = None,
                    limit: Annotated[int, Query(ge=1, le=5000)] = 200) -> Response:
    """The security audit log, newest first: logins and failures, lockouts, logouts, account and
    permission changes, refused accesses, exports, import confirmations (``action`` may be a prefix
    ending in a dot, e.g. ``user.``)."""
    return ok(serialize_result(ctx.cw.audit.list(since=since, actor=actor, action=action, outcome=outcome,
                                                 limit=limit), ctx))


@router.get("/api/audit/security/verify", response_model=ResultOut, responses=RESPONSES, tags=["admin"])
def security_verify(ctx: Admin) -> Response:
    """Recompute the security log's hash chain: ``ok``, entries, the newest entry's hash, the first break."""
    return ok(serialize_result(ctx.cw.audit.verify(), ctx))


@router.get("/admin", response_class=HTMLResponse, include_in_schema=False)
def admin_page(ctx: Admin, flash: str | None = None, error: str | None = None) -> Response:
    users = ctx.cw.users
    verify = ctx.cw.audit.verify()
    data = {"users": serialize_result(users.list(), ctx)["users"],
            "districts": serialize_result(users.districts(), ctx)["districts"],
            "audit": serialize_result(users.audit_log(limit=100), ctx)["audit"],
            "security": serialize_result(ctx.cw.audit.list(limit=100), ctx)["events"],
            "verify": serialize_result(verify, ctx)["verify"][0], "verify_text": verify.text[0],
            "settings": views.settings_table(ctx)["settings"]}
    return render(ctx, "admin.html", title_key="web.admin.title", active="admin", data=None,
                  d=data, flash=flash, error=error, roles=("admin", "analyst", "district", "viewer"))


@router.post("/admin/users", include_in_schema=False)
def admin_add(ctx: Admin, username: Annotated[str, Form()], password: Annotated[str, Form()],
              role: Annotated[str, Form()], districts: Annotated[str, Form()] = "",
              display_name: Annotated[str, Form()] = "") -> Response:
    from chainwatch.errors import ChainwatchError

    try:
        ctx.cw.users.add(username, password, role, districts=_codes(districts), display_name=display_name or None)
    except ChainwatchError as exc:
        return admin_page(ctx, error=exc.message(ctx.lang))
    return RedirectResponse(f"/admin?flash={t('web.admin.saved', ctx.lang)}", status_code=303)


@router.post("/admin/users/{username}/remove", include_in_schema=False)
def admin_remove(ctx: Admin, username: str) -> Response:
    from chainwatch.errors import ChainwatchError

    try:
        ctx.cw.users.remove(username)
        ctx.state.forget_sessions()
    except ChainwatchError as exc:
        return admin_page(ctx, error=exc.message(ctx.lang))
    return RedirectResponse(f"/admin?flash={t('web.admin.saved', ctx.lang)}", status_code=303)
