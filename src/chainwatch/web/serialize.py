"""API shapes: turn service results and records into JSON for the caller, never internal objects.

District officials and viewers get results filtered here, in addition to the scope the services
apply themselves: a row about an enterprise they may not see is dropped, a reference to one in
another column (a supplier, a buyer) is blanked together with its name, and any row still
mentioning a hidden enterprise (by USCC or exact name, anywhere in the row) is dropped. Viewers
are treated as having no districts: every enterprise is hidden from them.
"""

from __future__ import annotations

import json
import re
from typing import Any

from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from chainwatch.errors import ChainwatchError, ValidationFailed
from chainwatch.service.result import Result, _clean, rows_of
from chainwatch.service.users import Principal
from chainwatch.web.deps import Ctx, ScopeSets

PRIMARY_KEYS = ("uscc", "enterprise_uscc", "firm")
_USCC_RE = re.compile(r"[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}")


# -- API models (documentation of the JSON shapes in OpenAPI) ---------------------------------
class ErrorBody(BaseModel):
    status: int
    key: str
    message: str
    errors: list[dict[str, Any]] = Field(default_factory=list)


class ErrorEnvelope(BaseModel):
    """The one error shape of every API route."""

    error: ErrorBody


class ResultOut(BaseModel):
    """A service result: ``meta`` and named lists of rows (percentages end in _pct, points in _pp)."""

    model_config = ConfigDict(extra="allow")
    meta: dict[str, Any]


class UserOut(BaseModel):
    model_config = ConfigDict(extra="forbid")
    username: str
    display_name: str | None = None
    role: str
    districts: list[str] = Field(default_factory=list)
    csrf_token: str | None = None


class LoginIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)


class LoginOut(BaseModel):
    token: str
    user: UserOut


class UserIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    username: str = Field(min_length=2, max_length=64)
    password: str = Field(min_length=1, max_length=256)
    role: str = "viewer"
    districts: list[str] = Field(default_factory=list)
    display_name: str | None = None


class UserPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    role: str | None = None
    districts: list[str] | None = None
    active: bool | None = None
    display_name: str | None = None
    password: str | None = None


RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorEnvelope}, 401: {"model": ErrorEnvelope}, 403: {"model": ErrorEnvelope},
    404: {"model": ErrorEnvelope}, 422: {"model": ErrorEnvelope}, 429: {"model": ErrorEnvelope},
    503: {"model": ErrorEnvelope},
}


class JSONOut(JSONResponse):
    """JSON with Chinese kept readable; NaN/inf become null (never invalid JSON)."""

    def render(self, content: Any) -> bytes:
        try:
            text = json.dumps(content, ensure_ascii=False, allow_nan=False, separators=(",", ":"), default=str)
        except ValueError:
            text = json.dumps(_clean(content), ensure_ascii=False, separators=(",", ":"), default=str)
        return text.encode("utf-8")


def ok(data: Any, status_code: int = 200) -> JSONOut:
    """The response of an API route (skips re-validating already serialized data)."""
    return JSONOut(data, status_code=status_code)


# -- serializers ------------------------------------------------------------------------------
def serialize_user(p: Principal, *, with_csrf: bool = False) -> dict[str, Any]:
    return UserOut(username=p.username, display_name=p.display_name, role=p.role,
                   districts=list(p.districts), csrf_token=p.csrf_token if with_csrf else None).model_dump()


def serialize_error(exc: ChainwatchError, lang: str) -> dict[str, Any]:
    errors: list[dict[str, Any]] = []
    if isinstance(exc, ValidationFailed) and exc.errors is not None:
        raw = exc.errors
        if hasattr(raw, "to_dict"):
            raw = raw.to_dict(orient="records")
        errors = [_clean(dict(e)) if isinstance(e, dict) else {"detail": str(e)} for e in list(raw)[:1000]]
    body = ErrorBody(status=exc.http_status, key=exc.key, message=exc.message(lang), errors=errors)
    return ErrorEnvelope(error=body).model_dump()


def serialize_result(result: Result | dict[str, Any], ctx: Ctx) -> dict[str, Any]:
    """The JSON of a service result as ``ctx``'s caller may see it."""
    data = result.to_dict() if isinstance(result, Result) else dict(result)
    if not ctx.restricted:
        return data
    return scope_filter(data, ctx.scope())


def serialize_rows(rows: Any) -> list[dict[str, Any]]:
    return rows_of(rows)


REDACTED = "◼"


def _hidden_exact(value: Any, sets: ScopeSets) -> bool:
    if isinstance(value, str):
        return value in sets.hidden_usccs or value in sets.hidden_names
    if isinstance(value, dict):
        return any(_hidden_exact(v, sets) for v in value.values())
    if isinstance(value, list):
        return any(_hidden_exact(v, sets) for v in value)
    return False


def redact(text: str, sets: ScopeSets) -> str:
    """``text`` with every hidden enterprise's USCC and name replaced by a mark."""
    if len(text) >= 18 and sets.hidden_usccs:
        text = _USCC_RE.sub(lambda m: REDACTED if m.group(0) in sets.hidden_usccs else m.group(0), text)
    if sets.names_re is not None and len(text) >= 2:
        text = sets.names_re.sub(REDACTED, text)
    return text


def _filter_row(row: dict[str, Any], sets: ScopeSets) -> dict[str, Any] | None:
    """None when the row is about a hidden enterprise; else the row with every mention blanked."""
    for key in PRIMARY_KEYS:
        if row.get(key) in sets.hidden_usccs:
            return None
    if row.get("subject_level") == "enterprise" and row.get("subject_id") in sets.hidden_usccs:
        return None
    out = dict(row)
    for key, value in row.items():
        if key.endswith("uscc") and value in sets.hidden_usccs:
            out[key] = None
            prefix = key[: -len("uscc")]
            for name_key in (prefix + "name", prefix + "name_zh", prefix + "enterprise"):
                if name_key in out:
                    out[name_key] = None
    return {k: _filter_value(v, sets) for k, v in out.items()}


def _filter_value(value: Any, sets: ScopeSets) -> Any:
    if isinstance(value, list):
        out: list[Any] = []
        for item in value:
            if isinstance(item, dict):
                kept = _filter_row(item, sets)
                if kept is not None:
                    out.append(kept)
            elif isinstance(item, str):
                if not _hidden_exact(item, sets):
                    out.append(redact(item, sets))
            else:
                out.append(_filter_value(item, sets))
        return out
    if isinstance(value, dict):
        return {k: _filter_value(v, sets) for k, v in value.items()}
    if isinstance(value, str):
        return None if _hidden_exact(value, sets) else redact(value, sets)
    return value


def scope_filter(data: dict[str, Any], sets: ScopeSets) -> dict[str, Any]:
    """Remove every enterprise-level detail of hidden enterprises from a result's JSON."""
    out: dict[str, Any] = {}
    for key, value in data.items():
        out[key] = _filter_value(value, sets)
    return out
