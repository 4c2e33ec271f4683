"""Imports: upload a file → validation report (a dry run) → confirm; and the import history.

An upload is kept in a private temporary folder (``chainwatch-upload-*``) for ``upload_ttl_minutes``
under a random id bound to the user who sent it; confirming runs the real import through
``cw.data.import_file`` (atomic, revisioned). Imports run one at a time. The file keeps a sanitised
form of the name it was sent with (:func:`safe_upload_name`: no folders, no ``..``, no control
characters, at most 120 characters), which the import history shows. Its folder is removed on every
path: after the import, when validation fails, on any error while saving or validating, when the
upload is abandoned (a janitor thread removes folders older than the TTL, also ones left by an
earlier server), and beyond ``MAX_PENDING`` waiting uploads per user (the oldest goes).
"""

from __future__ import annotations

import re
import secrets
import shutil
import tempfile
import threading
import time
import unicodedata
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
UPLOAD_PREFIX = "chainwatch-upload-"
MAX_PENDING = 10
MAX_NAME = 120
MAX_NAME_BYTES = 180
_IMPORT_LOCK = threading.Lock()
MONEY_UNITS = ("", "元", "千元", "万元", "亿元")
_UNSAFE = re.compile(r"[^\w.\-()（）［］\[\] ]+")


def safe_upload_name(raw: str | None) -> str:
    """A file name that is safe to create inside the upload's own folder, close to what was sent.

    Drops any folder part (``/`` or ``\\``), control and format characters and leading dots (so
    ``..``, ``/etc/passwd`` or ``C:\\x\\..\\y.csv`` become plain names), replaces other unusual
    characters with ``_``, keeps the suffix and shortens to :data:`MAX_NAME` characters.
    """
    name = unicodedata.normalize("NFC", str(raw or ""))
    name = re.split(r"[\\/]", name)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    name = _UNSAFE.sub("_", name).strip()
    stem, dot, suffix = name.rpartition(".")
    if not dot:
        stem, suffix = name, ""
    suffix = suffix.strip(" ._")[:10].lower()
    stem = stem.strip(" ._")[: MAX_NAME - len(suffix) - 1].strip(" ._") or "upload"
    while len(stem.encode("utf-8")) + len(suffix) > MAX_NAME_BYTES:  # file systems count bytes (255)
        stem = stem[:-1]
    return f"{stem}.{suffix}" if suffix else stem


def _ttl(ctx: Ctx) -> float:
    return float(getattr(ctx.state.settings, "upload_ttl_minutes", 60) or 60) * 60.0


def purge_uploads(state: Any, ttl: float = UPLOAD_TTL) -> int:
    """Remove expired uploads of this server and stale upload folders of earlier ones; return how many."""
    now = time.time()
    removed = 0
    for key, up in list(state.uploads.items()):
        if now - up["at"] > ttl:
            shutil.rmtree(up["dir"], ignore_errors=True)
            state.uploads.pop(key, None)
            removed += 1
    live = {str(up["dir"]) for up in state.uploads.values()}
    for folder in Path(tempfile.gettempdir()).glob(UPLOAD_PREFIX + "*"):
        try:
            if str(folder) not in live and folder.is_dir() and not folder.is_symlink() \
                    and now - folder.stat().st_mtime > ttl:
                shutil.rmtree(folder, ignore_errors=True)
                removed += 1
        except OSError:
            continue
    return removed


def janitor(state: Any, ttl: float, every: float = 300.0) -> None:
    """Background thread body: purge abandoned uploads at start and every ``every`` seconds until the
    app stops."""
    try:
        purge_uploads(state, ttl)
    except Exception:  # noqa: BLE001
        pass
    while not state.stopping.wait(every):
        try:
            purge_uploads(state, ttl)
        except Exception:  # noqa: BLE001 - the janitor must never die
            continue


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


def _counts(report: Any) -> dict[str, Any]:
    body = report.as_dict() if hasattr(report, "as_dict") else {}
    return {k: v for k, v in body.items() if k.startswith("rows") or k in ("batch_id", "sha256")}


def _report(ctx: Ctx, report: Any, upload_id: str | None) -> dict[str, Any]:
    body = report.as_dict()
    errors = _errors(getattr(report, "errors", None), ctx.lang)
    return {"meta": ctx.cw.meta(command="import", upload_id=upload_id, units={"money": "万元"}),
            "report": [body], "errors": errors, "valid": not errors}


def _purge(ctx: Ctx) -> None:
    purge_uploads(ctx.state, _ttl(ctx))
    mine = sorted((up["at"], key) for key, up in ctx.state.uploads.items() if up["user"] == ctx.user.username)
    for _, key in mine[: max(0, len(mine) - MAX_PENDING + 1)]:
        up = ctx.state.uploads.pop(key, None)
        if up:
            shutil.rmtree(up["dir"], ignore_errors=True)


def _save(ctx: Ctx, upload: UploadFile) -> tuple[Path, Path]:
    """Write the upload into a new private folder; the folder is removed if anything goes wrong."""
    limit = int(getattr(ctx.state.settings, "upload_max_mb", 100) or 100) * 1024 * 1024
    folder = Path(tempfile.mkdtemp(prefix=UPLOAD_PREFIX))
    try:
        target = folder / safe_upload_name(upload.filename)
        size = 0
        with target.open("xb") as fh:
            while chunk := upload.file.read(1 << 20):
                size += len(chunk)
                if size > limit:
                    raise InputError("sec.body_too_large", limit_kb=limit // 1024)
                fh.write(chunk)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
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
    folder, path = _save(ctx, upload)
    upload_id = secrets.token_urlsafe(16)
    try:
        report = _run(ctx, path, kind, dry_run=True, skip_invalid=skip_invalid, unit=unit, encoding=encoding)
    except BaseException:  # a validation failure, a bug, a stopped thread: never leave the folder
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
    try:
        report = _run(ctx, up["path"], up["kind"], dry_run=False, skip_invalid=skip_invalid, unit=up["unit"],
                      encoding=up["encoding"])
    except ValidationFailed:
        ctx.cw.audit.record("import.confirm", Path(up["path"]).name, outcome="failed",
                            detail={"kind": up["kind"], "skip_invalid": skip_invalid})
        raise  # kept: the user may confirm again with skip_invalid
    except BaseException:
        ctx.state.uploads.pop(upload_id, None)
        shutil.rmtree(up["dir"], ignore_errors=True)
        raise
    ctx.state.uploads.pop(upload_id, None)
    shutil.rmtree(up["dir"], ignore_errors=True)
    ctx.state.forget_scopes()
    ctx.cw.audit.record("import.confirm", Path(up["path"]).name,
                        detail={"kind": up["kind"], "skip_invalid": skip_invalid, **_counts(report)})
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
