"""``chainwatch report``: the monthly chain operation bulletin."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from chainwatch.cli.common import DbOpt, LangOpt, console, handle_errors, open_cw, resolve_lang
from chainwatch.i18n import t


def register(app: typer.Typer) -> None:
    @app.command("report")
    @handle_errors
    def report(
        period: Annotated[str | None, typer.Option("--period", "-p", help="Period YYYY-MM (default: the latest month).")] = None,
        fmt: Annotated[str, typer.Option("--format", "-f", help="html, pdf or docx.")] = "html",
        output: Annotated[Path | None, typer.Option("-o", "--output", help="File to write.")] = None,
        template_dir: Annotated[Path | None, typer.Option("--template-dir", help="Folder with your own bulletin.html.j2.")] = None,
        db: DbOpt = None,
        lang: LangOpt = None,
    ) -> None:
        """Write the monthly bulletin (产业链运行监测月报) as HTML, PDF or DOCX."""
        lang = resolve_lang(lang)
        with open_cw(db, lang, create=False) as cw:
            per = period or cw.data.latest_period()
            path = cw.reports.write(per, fmt, output, template_dir=template_dir)
            console.print(t("report.written", lang, path=str(path)))
