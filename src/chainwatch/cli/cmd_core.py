"""Core commands: init, template, import, info."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from chainwatch.cli.common import (
    DbOpt,
    FormatOpt,
    LangOpt,
    check_format,
    console,
    emit,
    err_console,
    handle_errors,
    open_cw,
    render_table,
    resolve_lang,
)
from chainwatch.errors import ValidationFailed
from chainwatch.i18n import t
from chainwatch.store.importer import write_errors
from chainwatch.store.kinds import KINDS

KIND_HELP = "Import kind: " + ", ".join(KINDS)


def register(app: typer.Typer) -> None:
    @app.command("init")
    @handle_errors
    def init(db: DbOpt = None, lang: LangOpt = None) -> None:
        """Create an empty database (or upgrade an existing one's schema). 创建数据库。"""
        lang = resolve_lang(lang)
        from chainwatch.settings import load_settings

        path = db or load_settings().db
        with open_cw(path, lang) as cw:
            key = "db.created" if cw.store.created else "db.exists"
            console.print(t(key, lang, path=cw.store.display_name))

    @app.command("template")
    @handle_errors
    def template(
        kind: Annotated[str, typer.Argument(help=KIND_HELP)],
        output: Annotated[Path | None, typer.Option("-o", "--output", help="File to write (.xlsx or .csv).")] = None,
        example: Annotated[bool, typer.Option("--example", help="Add one example row.")] = False,
        lang: LangOpt = None,
    ) -> None:
        """Write an import template with a sheet explaining every column. 生成导入模板。"""
        from chainwatch.store.importer import get_kind
        from chainwatch.store.templates import write_template

        lang = resolve_lang(lang)
        k = get_kind(kind)
        path = write_template(k, output or Path(f"{kind}.xlsx"), lang, with_example=example)
        console.print(t("template.written", lang, path=str(path), kind=kind))

    @app.command("import")
    @handle_errors
    def import_(
        file: Annotated[Path, typer.Argument(help="CSV (UTF-8 or GBK) or XLSX file.")],
        kind: Annotated[str, typer.Option("--kind", "-k", help=KIND_HELP)],
        db: DbOpt = None,
        dry_run: Annotated[bool, typer.Option("--dry-run", help="Validate only; write nothing.")] = False,
        skip_invalid: Annotated[bool, typer.Option("--skip-invalid", help="Load the valid rows, report the rest.")] = False,
        errors: Annotated[Path | None, typer.Option("--errors", help="Write all errors to this CSV or XLSX.")] = None,
        encoding: Annotated[str | None, typer.Option("--encoding", help="Force an encoding (utf-8, gbk, gb18030).")] = None,
        unit: Annotated[str | None, typer.Option("--unit", help="Money unit of columns without one in the header: 元, 千元, 万元, 亿元.")] = None,
        fmt: FormatOpt = "table",
        lang: LangOpt = None,
    ) -> None:
        """Validate and import a file atomically. 校验并导入数据文件。"""
        lang = resolve_lang(lang)
        check_format(fmt)
        with open_cw(db, lang) as cw:
            try:
                with err_console.status(t("import.working", lang, file=file.name)):
                    report = cw.data.import_file(file, kind, encoding=encoding, unit=unit, skip_invalid=skip_invalid,
                                                 dry_run=dry_run)
            except ValidationFailed as exc:
                if fmt == "json":
                    from chainwatch.service import Result

                    rep = getattr(exc, "report", None)
                    emit(Result("import", meta=cw.meta(units={"money": "万元"}, failed=True, message=exc.message(lang)),
                                tables={"report": [rep.as_dict()] if rep else [],
                                        "errors": exc.errors if exc.errors is not None else []}), fmt)
                    if errors is not None and exc.errors is not None:
                        write_errors(exc.errors, errors)
                elif exc.errors is not None and len(exc.errors):
                    _show_errors(exc.errors, errors, lang)
                raise
            if report.extra_columns:
                err_console.print(f"[yellow]{t('import.extra_columns', lang, columns=', '.join(report.extra_columns))}[/]")
            if len(report.errors) and fmt != "json":
                _show_errors(report.errors, errors, lang)
            elif len(report.errors) and errors is not None:
                write_errors(report.errors, errors)
            if fmt == "json":
                from chainwatch.service import Result

                emit(Result("import", meta=cw.meta(units={"money": "万元"}), tables={"report": [report.as_dict()],
                                                                                   "errors": report.errors}), fmt)
                return
            d = report.as_dict()
            key = "import.dry_run" if dry_run else "import.done"
            console.print(t(key, lang, file=file.name, kind=kind, total=d["rows_total"], accepted=d["rows_accepted"],
                            inserted=d["rows_inserted"], revised=d["rows_revised"], unchanged=d["rows_unchanged"],
                            rejected=d["rows_rejected"]))

    @app.command("info")
    @handle_errors
    def info(db: DbOpt = None, fmt: FormatOpt = "table", lang: LangOpt = None) -> None:
        """Counts, periods covered and the import history. 数据库概况与导入记录。"""
        lang = resolve_lang(lang)
        with open_cw(db, lang, create=False) as cw:
            result = cw.data.info()
            if check_format(fmt) != "table":
                emit(result, fmt)
                return
            console.print(f"[bold]{t('info.title', lang, path=cw.store.display_name)}[/]")
            p = result.meta["periods"]
            console.print(t("info.periods", lang, first=p["first"], last=p["last"], n=p["n_months"]) if p["first"]
                          else t("info.no_periods", lang))
            counts = result.tables["counts"]
            render_table(t("info.counts", lang), counts.rename(columns={"table": t("col.table", lang), "rows": t("col.rows", lang)}))
            hist = result.tables["imports"]
            if len(hist):
                render_table(t("info.history", lang), hist[["batch_id", "imported_at", "kind", "file", "sha256", "rows_total",
                                                            "rows_accepted", "rows_rejected", "rows_revised"]]
                             .assign(sha256=lambda d: d["sha256"].str[:12]))
            else:
                console.print(t("import.history_empty", lang))


def _show_errors(errors, out: Path | None, lang: str, first: int = 10) -> None:
    msg_col = "message_zh" if lang == "zh" else "message_en"
    shown = errors.head(first)[["row", "column", "value", msg_col]].rename(columns={
        "row": t("col.row", lang), "column": t("col.column", lang), "value": t("col.value", lang),
        msg_col: t("col.message", lang)})
    render_table(None, shown)
    if len(errors) > first and out is None:
        err_console.print(t("import.more_errors", lang, n=len(errors) - first))
    if out is not None:
        write_errors(errors, out)
        err_console.print(t("import.errors_written", lang, n=len(errors), path=str(out)))
