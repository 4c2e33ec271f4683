"""``chainwatch store``: database backends — copy a whole database between DuckDB and PostgreSQL."""

from __future__ import annotations

from typing import Annotated

import typer

from chainwatch.cli.common import FormatOpt, LangOpt, check_format, emit, handle_errors, open_cw, resolve_lang
from chainwatch.errors import UsageError

store_app = typer.Typer(help="Database backends: copy a database between DuckDB files and PostgreSQL. 数据库迁移。",
                        no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(store_app, name="store")


@store_app.command("copy")
@handle_errors
def copy(
    source: Annotated[str, typer.Option("--from", help="Source: a DuckDB file or postgresql://user@host:port/dbname.")],
    target: Annotated[str, typer.Option("--to", help="Target: a DuckDB file or postgresql://… (created/migrated).")],
    replace: Annotated[bool, typer.Option("--replace", help="Delete the target's data first (else it must be empty).")] = False,
    fmt: FormatOpt = "table",
    lang: LangOpt = None,
) -> None:
    """Copy every table (import history, revisions, warnings and their audit chains, users …).

    复制整个数据库（导入记录、修订、预警及审计链、用户等），在目标库中一次性提交。
    """
    lang = resolve_lang(lang)
    fmt = check_format(fmt)
    if source.strip() == target.strip():
        from chainwatch.store.pg import is_server_url, safe_url

        raise UsageError("store.copy_same", name=safe_url(source) if is_server_url(source) else source)
    with open_cw(source, lang, create=False, read_only=True) as cw:
        result = cw.data.copy_to(target, replace=replace)
    emit(result, fmt)
