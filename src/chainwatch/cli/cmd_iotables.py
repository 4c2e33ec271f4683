"""``chainwatch io tables import|list|show|remove``: input–output tables as named records.

Imported tables are validated with the readers the models use and stored in the database; scenarios
and the web API then name them (``"table": "nbs2020"``). Registered under ``chainwatch io`` by
:mod:`chainwatch.cli.cmd_shock`.
"""

from __future__ import annotations

from typing import Annotated

import typer

from chainwatch.cli.common import (
    DbOpt,
    FormatOpt,
    LangOpt,
    check_format,
    console,
    emit,
    handle_errors,
    open_cw,
)
from chainwatch.i18n import t


def register_tables(io_app: typer.Typer) -> None:
    tables = typer.Typer(help="Named IO tables that scenarios and the web API use (never a file path). "
                              "投入产出表管理。", no_args_is_help=True)
    io_app.add_typer(tables, name="tables")

    @tables.command("import")
    @handle_errors
    def tables_import(
        file: Annotated[str, typer.Argument(help="Table file: NBS layout or plain CSV (UTF-8 or GBK).")],
        name: Annotated[str, typer.Option("--name", help="Name scenarios will use (letters, digits, _ . -).")],
        layout: Annotated[str, typer.Option("--layout", help="nbs, csv or auto.")] = "auto",
        final: Annotated[str | None, typer.Option("--final", help="csv layout: separate final-demand file.")] = None,
        output: Annotated[str | None, typer.Option("--output", help="csv layout: separate gross-output file.")] = None,
        note: Annotated[str | None, typer.Option("--note", help="A note (source, year).")] = None,
        replace: Annotated[bool, typer.Option("--replace", help="Replace a table of the same name.")] = False,
        db: DbOpt = None, lang: LangOpt = None, fmt: FormatOpt = "table",
    ) -> None:
        """Validate a table file and store it under a name. 导入投入产出表。"""
        fmt = check_format(fmt)
        with open_cw(db, lang) as cw:
            emit(cw.io_tables.import_file(file, name, layout=layout, final=final, output=output, note=note,
                                          replace=replace), fmt)

    @tables.command("list")
    @handle_errors
    def tables_list(db: DbOpt = None, lang: LangOpt = None, fmt: FormatOpt = "table") -> None:
        """Stored tables and those of io_tables_dir. 列出投入产出表。"""
        fmt = check_format(fmt)
        with open_cw(db, lang) as cw:
            emit(cw.io_tables.list(), fmt)

    @tables.command("show")
    @handle_errors
    def tables_show(name: Annotated[str, typer.Argument(help="Table name.")], db: DbOpt = None,
                    lang: LangOpt = None, fmt: FormatOpt = "table") -> None:
        """One table's record and sectors (code, name, output, final use). 查看投入产出表。"""
        fmt = check_format(fmt)
        with open_cw(db, lang) as cw:
            emit(cw.io_tables.show(name), fmt)

    @tables.command("remove")
    @handle_errors
    def tables_remove(name: Annotated[str, typer.Argument(help="Table name.")], db: DbOpt = None,
                      lang: LangOpt = None) -> None:
        """Delete a stored table. 删除投入产出表。"""
        with open_cw(db, lang) as cw:
            cw.io_tables.remove(name)
            console.print(t("sec.io.removed", cw.lang, name=name))
