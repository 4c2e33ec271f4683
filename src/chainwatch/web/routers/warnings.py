"""Warnings inbox: filter, acknowledge, assign, confirm, resolve, comment; each warning's audit trail.

The lifecycle and its rules live in ``cw.risk`` (risk-methods.md §3); this router only passes the
acting user's name, so every transition lands in the warning's append-only event log.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Path, Query
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from chainwatch.errors import ChainwatchError, PermissionDenied
from chainwatch.i18n import t
from chainwatch.web import views
from chainwatch.web.deps import Ctx, Viewer, Writer
from chainwatch.web.pages import render
from chainwatch.web.serialize import RESPONSES, ResultOut, ok

router = APIRouter()
ACTIONS = ("ack", "assign", "confirm", "no_impact", "resolve", "comment", "override")
LEVELS = ("blue", "yellow", "orange", "red")
STATES = ("new", "acknowledged", "confirmed", "no_impact", "resolved")
SUBJECTS = ("enterprise", "segment", "chain", "district", "total")

LevelQ = Annotated[str | None, Query(pattern="^(blue|yellow|orange|red)$", description="minimum level")]
StateQ = Annotated[str | None, Query(pattern="^(new|acknowledged|confirmed|no_impact|resolved)$")]
SubjectQ = Annotated[str | None, Query(pattern="^(enterprise|segment|chain|district|total)$")]
WarningId = Annotated[int, Path(ge=1, le=2**31 - 1)]


class ActionIn(BaseModel):
    """Fields of a lifecycle action: ``note`` (confirm, no_impact, resolve, comment, override),
    ``owner`` (assign), ``due`` (YYYY-MM-DD), ``code`` (resolve: recovered, mitigated, accepted,
    no_impact, false_alarm), ``grade`` (override, 0–4)."""

    model_config = ConfigDict(extra="forbid")
    note: str | None = Field(default=None, max_length=2000)
    owner: str | None = Field(default=None, max_length=64)
    due: str | None = Field(default=None, max_length=10)
    code: str | None = Field(default=None, max_length=20)
    grade: int | None = Field(default=None, ge=0, le=4)


def _list(ctx: Ctx, level: str | None, state: str | None, subject_level: str | None, period: str | None,
          include_closed: bool, limit: int) -> dict[str, Any]:
    return views.cached_call(ctx, "risk", "list", level=level, state=state, period=period, subject_level=subject_level,
                      include_closed=include_closed or state == "resolved", limit=limit)


def _show(ctx: Ctx, wid: int) -> dict[str, Any]:
    data = views.call(ctx, "risk", "show", wid)
    if not data.get("warning"):  # filtered away: an enterprise the caller may not see
        raise PermissionDenied("web.forbidden_scope")
    return data


def _act(ctx: Ctx, wid: int, action: str, fields: dict[str, Any]) -> dict[str, Any]:
    _show(ctx, wid)
    clean = {k: v for k, v in fields.items() if v not in (None, "")}
    result = views.call(ctx, "risk", "transition", wid, action, actor=ctx.user.username, **clean)
    ctx.state.forget_version()
    return result


@router.get("/api/warnings", response_model=ResultOut, responses=RESPONSES, tags=["warnings"])
def list_warnings(ctx: Viewer, level: LevelQ = None, state: StateQ = None, subject_level: SubjectQ = None,
                  period: Annotated[str | None, Query(pattern=r"^\d{4}-\d{2}$")] = None,
                  include_closed: bool = False, limit: Annotated[int, Query(ge=1, le=10000)] = 500) -> Response:
    """Warnings, worst first (open ones unless ``include_closed`` or ``state=resolved``)."""
    return ok(_list(ctx, level, state, subject_level, period, include_closed, limit))


@router.get("/api/warnings/summary", response_model=ResultOut, responses=RESPONSES, tags=["warnings"])
def warnings_summary(ctx: Viewer, period: Annotated[str | None, Query(pattern=r"^\d{4}-\d{2}$")] = None) -> Response:
    """Counts by level and subject for a period; new, cleared, resolved, open and overdue."""
    p = views.latest_period(ctx, period)
    return ok(views.warnings_summary(ctx, p) if p else {"meta": ctx.cw.meta(command="warnings.summary")})


@router.get("/api/warnings/{wid}", response_model=ResultOut, responses=RESPONSES, tags=["warnings"])
def show_warning(ctx: Viewer, wid: WarningId) -> Response:
    """One warning: explanation, evidence, grade history and its audit trail (events)."""
    return ok(_show(ctx, wid))


@router.post("/api/warnings/{wid}/{action}", response_model=ResultOut, responses=RESPONSES, tags=["warnings"])
def act_on_warning(ctx: Writer, wid: WarningId,
                   action: Annotated[str, Path(pattern="^(ack|assign|confirm|no_impact|resolve|comment|override)$")],
                   body: ActionIn | None = None) -> Response:
    """Apply a lifecycle action: ack (new → acknowledged), assign (owner), confirm / no_impact (note),
    resolve (note, code), comment (note), override (grade, note)."""
    return ok(_act(ctx, wid, action, (body or ActionIn()).model_dump()))


# -- pages ------------------------------------------------------------------------------------
@router.get("/warnings", response_class=HTMLResponse, include_in_schema=False)
def warnings_page(ctx: Viewer, level: LevelQ = None, state: StateQ = None, subject_level: SubjectQ = None,
                  include_closed: bool = False) -> Response:
    data = _list(ctx, level, state, subject_level, None, include_closed, 1000)
    p = views.latest_period(ctx, None)
    summary = views.warnings_summary(ctx, p) if p else {}
    return render(ctx, "warnings.html", title_key="web.warn.title", active="warnings",
                  data={"summary": summary}, d=data, summary=summary,
                  f={"level": level, "state": state, "subject_level": subject_level, "include_closed": include_closed},
                  levels=LEVELS, states=STATES, subjects=SUBJECTS)


@router.get("/warnings/{wid}", response_class=HTMLResponse, include_in_schema=False)
def warning_page(ctx: Viewer, wid: WarningId, flash: str | None = None, error: str | None = None) -> Response:
    data = _show(ctx, wid)
    return render(ctx, "warning.html", title_key="web.warn.title", active="warnings", data=data, d=data,
                  flash=flash, error=error)


@router.post("/warnings/{wid}/act", include_in_schema=False)
def warning_act(ctx: Writer, wid: WarningId, action: Annotated[str, Form()],
                note: Annotated[str, Form()] = "", owner: Annotated[str, Form()] = "",
                due: Annotated[str, Form()] = "", code: Annotated[str, Form()] = "") -> Response:
    if action not in ACTIONS:
        return warning_page(ctx, wid, error=t("web.bad_request", ctx.lang, detail=action))
    try:
        _act(ctx, wid, action, {"note": note, "owner": owner, "due": due, "code": code})
    except ChainwatchError as exc:
        return warning_page(ctx, wid, error=exc.message(ctx.lang))
    return RedirectResponse(f"/warnings/{wid}?flash={quote(t('web.warn.done', ctx.lang, id=wid))}", status_code=303)
