"""``chainwatch export parquet`` and ``chainwatch import-parquet``: the store as Parquet and back."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from chainwatch.cli.common import (
    DbOpt,
    FormatOpt,
    LangOpt,
    check_format,
    handle_errors,
    open_cw,
    resolve_lang,
    show_sections,
)

TABLES_HELP = ("Comma list of tables (default: every table except schema_migration, web_session and "
               "web_setting).")


def register(app: typer.Typer) -> None:
    export = typer.Typer(help="Export the database to other formats. 导出数据库。", no_args_is_help=True)
    app.add_typer(export, name="export")

    @export.command("parquet")
    @handle_errors
    def export_parquet(
        directory: Annotated[Path, typer.Argument(help="Directory to write (must be empty or a previous export with --overwrite).")],
        tables: Annotated[str | None, typer.Option("--tables", help=TABLES_HELP)] = None,
        overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace a previous export in DIR.")] = False,
        fmt: FormatOpt = "table",
        db: DbOpt = None,
        lang: LangOpt = None,
    ) -> None:
        """Every table as Parquet (monthly values partitioned by year) with a manifest. 导出为 Parquet。"""
        fmt = check_format(fmt)
        with open_cw(db, lang, create=False) as cw:
            show_sections(cw.parquet.export(directory, tables, overwrite=overwrite), fmt, {"tables": None}, "parquet")

    @app.command("import-parquet")
    @handle_errors
    def import_parquet(
        directory: Annotated[Path, typer.Argument(help="A directory written by chainwatch export parquet.")],
        verify_only: Annotated[bool, typer.Option("--verify", help="Only check the files against the manifest.")] = False,
        fmt: FormatOpt = "table",
        db: DbOpt = None,
        lang: LangOpt = None,
    ) -> None:
        """Load a Parquet export into an empty or new database (checked first). 从 Parquet 导入。"""
        fmt = check_format(fmt)
        if verify_only:
            from chainwatch.service.parquet import ParquetService

            show_sections(ParquetService.without_database(resolve_lang(lang)).verify(directory), fmt,
                          {"tables": None}, "parquet")
            return
        with open_cw(db, lang) as cw:
            show_sections(cw.parquet.load(directory), fmt, {"tables": None}, "parquet")
