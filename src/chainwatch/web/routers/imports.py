"""Imports: upload a file → validation report (a dry run) → confirm; and the import history.

An upload is kept in a private temporary folder for an hour under a random id bound to the user
who sent it; confirming runs the real import through ``cw.data.import_file`` (atomic, revisioned).
Imports run one at a time.
"""

from __future__ import annotations

import secrets
import shutil
import tempfile
import threading
import time
from pathlib import Path
from typing import Annotated, Any

import pandas as pd
from fastapi import APIRouter, File, Form, UploadFile
from fastapi.responses import HTMLResponse, Response

from chainwatch.errors import ChainwatchError, InputError, NotFound, ValidationFailed
from chainwatch.service.result import rows_of
from chainwatch.web.deps import Ctx, Importer
from chainwatch.web.pages import render
from chainwatch.web.serialize import RESPONSES, ResultOut, ok, serialize_result

router = APIRouter()
UPLOAD_TTL = 3600.0
MAX_BYTES = 512 * 1024 * 1024
_IMPORT_LOCK = threading.Lock()
MONEY_UNITS = ("", "元", "千元", "万元", "亿元")


def _errors(report_errors: Any, lang: str) -> list[dict[str, Any]]:
    if report_errors is None:
        return []
    frame = report_errors if isinstance(report_errors, pd.DataFrame) else pd.DataFrame(report_errors)
    out = []
    for r in rows_of(frame):
        out.append({"row": r.get("row"), "column": r.get("column"), "value": r.get("value"),
                    "message": r.get("message_zh" if lang == "zh" else "message_en") or r.get("key"),
                    "key": r.get("key")})
    return out


def _report(ctx: Ctx, report: Any, upload_id: str | None) -> dict[str, Any]:
    body = report.as_dict()
    errors = _errors(getattr(report, "errors", None), ctx.lang)
    return {"meta": ctx.cw.meta(command="import", upload_id=upload_id, units={"money": "万元"}),
            "report": [body], "errors": errors, "valid": not errors}


def _purge(ctx: Ctx) -> None:
    now = time.time()
    for key, up in list(ctx.state.uploads.items()):
        if now - up["at"] > UPLOAD_TTL:
            shutil.rmtree(up["dir"], ignore_errors=True)
            ctx.state.uploads.pop(key, None)


def _save(upload: UploadFile) -> tuple[Path, Path]:
    name = Path(upload.filename or "upload.csv").name or "upload.csv"
    folder = Path(tempfile.mkdtemp(prefix="chainwatch-upload-"))
    target = folder / name
    size = 0
    with target.open("wb") as fh:
        while chunk := upload.file.read(1 << 20):
            size += len(chunk)
            if size > MAX_BYTES:
                shutil.rmtree(folder, ignore_errors=True)
                raise InputError("error.input", detail=f"file larger than {MAX_BYTES // (1 << 20)} MB")
            fh.write(chunk)
    return folder, target


def _run(ctx: Ctx, path: Path, kind: str, *, dry_run: bool, skip_invalid: bool, unit: str | None,
         encoding: str | None) -> Any:
    with _IMPORT_LOCK:
        try:
            return ctx.cw.data.import_file(path, kind, dry_run=dry_run, skip_invalid=skip_invalid,
                                           unit=unit or None, encoding=encoding or None)
        except ValidationFailed as exc:
            report = getattr(exc, "report", None)
            if dry_run and report is not None:
                return report
            raise


def validate_upload(ctx: Ctx, upload: UploadFile | None, kind: str, unit: str, encoding: str,
                    skip_invalid: bool) -> dict[str, Any]:
    if upload is None or not upload.filename:
        raise InputError("web.upload_missing")
    _purge(ctx)
    folder, path = _save(upload)
    upload_id = secrets.token_urlsafe(16)
    try:
        report = _run(ctx, path, kind, dry_run=True, skip_invalid=skip_invalid, unit=unit, encoding=encoding)
    except ChainwatchError:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    ctx.state.uploads[upload_id] = {"dir": folder, "path": path, "kind": kind, "unit": unit, "encoding": encoding,
                                    "user": ctx.user.username, "at": time.time()}
    return _report(ctx, report, upload_id)


def confirm_upload(ctx: Ctx, upload_id: str, skip_invalid: bool) -> dict[str, Any]:
    _purge(ctx)
    up = ctx.state.uploads.get(upload_id)
    if up is None or up["user"] != ctx.user.username:
        raise NotFound("web.upload_expired")
    report = _run(ctx, up["path"], up["kind"], dry_run=False, skip_invalid=skip_invalid, unit=up["unit"],
                  encoding=up["encoding"])
    ctx.state.uploads.pop(upload_id, None)
    shutil.rmtree(up["dir"], ignore_errors=True)
    ctx.state.forget_scopes()
    return _report(ctx, report, None)


@router.get("/api/imports", response_model=ResultOut, responses=RESPONSES, tags=["imports"])
def import_history(ctx: Importer) -> Response:
    """Import kinds with their columns, and the history of imports."""
    data = ctx.cw.data
    return ok(serialize_result({"meta": ctx.cw.meta(command="imports"), "kinds": data.kinds(),
                                "history": rows_of(data.history())}, ctx))


@router.post("/api/imports", response_model=ResultOut, responses=RESPONSES, tags=["imports"])
def api_validate(ctx: Importer, kind: Annotated[str, Form()], file: Annotated[UploadFile, File()],
                 unit: Annotated[str, Form()] = "", encoding: Annotated[str, Form()] = "",
                 skip_invalid: Annotated[bool, Form()] = False) -> Response:
    """Upload a CSV/XLSX file and validate it (nothing is written): the report, row-level errors and an
    ``upload_id`` to confirm with."""
    return ok(validate_upload(ctx, file, kind, unit, encoding, skip_invalid))


@router.post("/api/imports/{upload_id}/confirm", response_model=ResultOut, responses=RESPONSES, tags=["imports"])
def api_confirm(ctx: Importer, upload_id: str, skip_invalid: bool = False) -> Response:
    """Import a validated upload (atomic; with errors only when ``skip_invalid``)."""
    return ok(confirm_upload(ctx, upload_id, skip_invalid))


def _page(ctx: Ctx, result: dict[str, Any] | None = None, error: str | None = None,
          errors: list[dict[str, Any]] | None = None, done: bool = False, status_code: int = 200) -> Response:
    data = ctx.cw.data
    return render(ctx, "imports.html", title_key="web.imp.title", active="imports", kinds=data.kinds(),
                  history=rows_of(data.history()), result=result, error=error, errors=errors or [],
                  done=done, units=MONEY_UNITS, status_code=status_code)


@router.get("/imports", response_class=HTMLResponse, include_in_schema=False)
def imports_page(ctx: Importer) -> Response:
    return _page(ctx)


@router.post("/imports", response_class=HTMLResponse, include_in_schema=False)
def imports_upload(ctx: Importer, kind: Annotated[str, Form()], file: Annotated[UploadFile | None, File()] = None,
                   unit: Annotated[str, Form()] = "", encoding: Annotated[str, Form()] = "",
                   skip_invalid: Annotated[bool, Form()] = False) -> Response:
    try:
        result = validate_upload(ctx, file, kind, unit, encoding, skip_invalid)
    except ChainwatchError as exc:
        return _page(ctx, error=exc.message(ctx.lang), status_code=exc.http_status)
    result["skip_invalid"] = skip_invalid
    return _page(ctx, result=result, errors=result["errors"])


@router.post("/imports/{upload_id}/confirm", response_class=HTMLResponse, include_in_schema=False)
def imports_confirm(ctx: Importer, upload_id: str, skip_invalid: Annotated[bool, Form()] = False) -> Response:
    try:
        result = confirm_upload(ctx, upload_id, skip_invalid)
    except ValidationFailed as exc:
        return _page(ctx, error=exc.message(ctx.lang), errors=_errors(exc.errors, ctx.lang), status_code=422)
    except ChainwatchError as exc:
        return _page(ctx, error=exc.message(ctx.lang), status_code=exc.http_status)
    return _page(ctx, result=result, done=True)
