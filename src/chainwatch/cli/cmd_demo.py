"""``chainwatch demo``: build the synthetic demo city and print an overview."""

from __future__ import annotations

from typing import Annotated

import typer

from chainwatch.cli.common import (
    DbOpt,
    FormatOpt,
    LangOpt,
    check_format,
    emit,
    err_console,
    handle_errors,
    resolve_lang,
)
from chainwatch.i18n import t


def register(app: typer.Typer) -> None:
    @app.command("demo")
    @handle_errors
    def demo(
        db: DbOpt = None,
        seed: Annotated[int, typer.Option("--seed", help="Random seed; the same seed gives identical data.")] = 2021,
        enterprises: Annotated[int, typer.Option("--enterprises", "-n",
                                                 help="Number of enterprises (about 60 % above size).")] = 5000,
        force: Annotated[bool, typer.Option("--force", help="Replace an existing non-demo database file.")] = False,
        lang: LangOpt = None,
        fmt: FormatOpt = "table",
    ) -> None:
        """Build a synthetic demo city (clearly labelled) into --db and print an overview.

        An existing demo database at --db is deleted and rebuilt; any other existing file is
        refused unless --force is given.
        """
        from chainwatch.demo.overview import run_demo

        fmt = check_format(fmt)
        lang = resolve_lang(lang)
        if fmt != "table":
            result = run_demo(db, seed=seed, n_enterprises=enterprises, force=force, lang=lang)
        else:
            from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

            with Progress(TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(),
                          console=err_console, transient=True) as bar:
                task = bar.add_task(t("demo.generating", lang), total=None)

                def progress(kind: str, k: int, n: int) -> None:
                    text = t("demo.generating", lang) if k < 0 else t("demo.progress", lang, kind=kind)
                    bar.update(task, description=text, total=n + 1, completed=k + 1)

                result = run_demo(db, seed=seed, n_enterprises=enterprises, force=force, lang=lang,
                                  progress=progress)
        emit(result, fmt, titles={"counts": t("demo.counts", lang),
                                  "headline": t("demo.headline", lang, label=result.meta.get("ytd_label", ""))})
