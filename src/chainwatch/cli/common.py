"""Shared CLI options, output rendering and the one error handler.

Every command takes ``--db``, ``--lang`` and (when it reports) ``--format table|json|csv``; errors
from the one exception root become one red line and the exit code of the error class
(1 bad input, 2 usage, 3 database busy); tracebacks only with ``--debug``.
"""

from __future__ import annotations

import functools
import json
import os
import sys
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

import click
import pandas as pd
import typer
from rich.console import Console
from rich.table import Table

from chainwatch import sheets
from chainwatch.errors import ChainwatchError, UsageError
from chainwatch.i18n import t
from chainwatch.service import Chainwatch, Result


class _Console(Console):
    """Rich's console, exiting like every command when the reader of a pipe goes away (exit 0, quiet)."""

    def on_broken_pipe(self) -> None:
        self.quiet = True
        raise BrokenPipeError


console = _Console()
if not console.is_terminal:  # piped or redirected: wide tables rather than 80 columns
    console = _Console(width=160)
err_console = Console(stderr=True)

DbOpt = Annotated[str | None, typer.Option(
    "--db", help="DuckDB file or postgresql://user@host:port/dbname (default: setting db / CHAINWATCH_DB).")]
LangOpt = Annotated[str | None, typer.Option("--lang", help="Language: zh (default) or en.")]
FormatOpt = Annotated[str, typer.Option("--format", "-f", help="Output: table, json or csv.")]
DebugOpt = Annotated[bool, typer.Option("--debug", help="Show tracebacks.")]

F = TypeVar("F", bound=Callable[..., Any])
STATE: dict[str, Any] = {"debug": False, "lang": None}


def resolve_lang(lang: str | None) -> str:
    from chainwatch.i18n import check_lang
    from chainwatch.settings import load_settings

    return check_lang(lang or STATE.get("lang") or os.environ.get("CHAINWATCH_LANG") or load_settings().lang)


def handle_errors(func: F) -> F:
    """Translate the exception root once: a red line and the class's exit code."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        lang = kwargs.get("lang")
        debug = kwargs.pop("debug", False) or STATE.get("debug")
        try:
            return func(*args, **kwargs)
        except ChainwatchError as exc:
            if debug:
                err_console.print_exception()
            try:
                msg = exc.message(resolve_lang(lang))
            except ChainwatchError:
                msg = exc.message("zh")
            err_console.print(f"[bold red]✗[/] [red]{msg}[/]", highlight=False, soft_wrap=True)
            raise typer.Exit(exc.exit_code) from None
        except typer.Exit:
            raise
        except (click.exceptions.Abort, typer.Abort):
            err_console.print(f"[bold red]✗[/] [red]{t('cli.aborted', resolve_lang(lang))}[/]", highlight=False, soft_wrap=True)
            raise typer.Exit(1) from None
        except KeyboardInterrupt:
            raise typer.Exit(130) from None
        except BrokenPipeError:  # the reader went away (`chainwatch … | head`): not an error of ours
            quiet_stdout()
            raise typer.Exit(0) from None
        except Exception as exc:  # a bug: say so plainly
            if debug:
                raise
            err_console.print(f"[bold red]✗[/] [red]{t('error.bug', resolve_lang(lang), detail=repr(exc))}[/]",
                              highlight=False)
            raise typer.Exit(70) from None

    return wrapper  # type: ignore[return-value]


def quiet_stdout() -> None:
    """After a broken pipe: point stdout at /dev/null so the exit flush prints no second traceback."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):  # stdout already closed or not a real file (tests)
        pass


def open_cw(db: str | None, lang: str | None, *, create: bool = True, actor: str = "cli",
            read_only: bool = False) -> Chainwatch:
    return Chainwatch(db, lang=resolve_lang(lang), create=create, actor=actor, read_only=read_only)


def check_format(fmt: str, allowed: tuple[str, ...] = ("table", "json", "csv")) -> str:
    fmt = fmt.lower()
    if fmt not in allowed:
        raise UsageError("error.format", fmt=fmt, allowed=", ".join(allowed))
    return fmt


def render_table(title: str | None, df: pd.DataFrame | list[dict[str, Any]], max_rows: int = 60) -> None:
    frame = df if isinstance(df, pd.DataFrame) else pd.DataFrame(df)
    table = Table(title=title, show_lines=False, header_style="bold cyan")
    for col in frame.columns:
        table.add_column(str(col), overflow="fold")
    for _, row in frame.head(max_rows).iterrows():
        table.add_row(*[_fmt_cell(v) for v in row.tolist()])
    console.print(table)
    if len(frame) > max_rows:
        console.print(f"… {len(frame) - max_rows} more rows (use --format csv or json)")


def _fmt_cell(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        if pd.isna(value):
            return "—"
        return f"{value:,.2f}" if abs(value) < 1e15 else f"{value:.3e}"
    try:
        if pd.isna(value):
            return "—"
    except (TypeError, ValueError):
        pass
    return str(value)


def _header(column: str, lang: str, prefix: str | None = None) -> str:
    """A table header in the user's language: ``<prefix>.col.<column>`` first, then the shared column
    labels (web.col.*), else the column's JSON name."""
    from chainwatch.i18n import catalogue
    from chainwatch.web.labels import column_label

    if prefix and f"{prefix}.col.{column}" in catalogue():
        return t(f"{prefix}.col.{column}", lang)
    return column_label(column, lang)


def show_sections(result: Result, fmt: str, spec: dict[str, list[str] | None], prefix: str, *,
                  max_rows: int = 60, values: dict[str, Callable[[Any], Any]] | None = None) -> None:
    """Print a result's chosen tables (``spec``: table → columns, None for all) with titles and headers
    from the feature's catalogue keys ``<prefix>.table.*`` / ``<prefix>.col.*``; JSON/CSV unchanged."""
    if fmt != "table":
        emit(result, fmt)
        return
    lang = str(result.meta.get("lang") or "zh")
    for line in result.text:
        console.print(line, highlight=False, markup=False)
    for name, cols in spec.items():
        table = result.tables.get(name)
        if table is None:
            continue
        frame = table if isinstance(table, pd.DataFrame) else pd.DataFrame(table)
        if not len(frame):
            continue
        view = frame[[c for c in (cols or frame.columns) if c in frame.columns]].copy()
        for col, fn in (values or {}).items():
            if col in view:
                view[col] = view[col].map(fn)
        view.columns = [_header(str(c), lang, prefix) for c in view.columns]
        render_table(t(f"{prefix}.table.{name}", lang), view, max_rows=max_rows)


def emit(result: Result, fmt: str, titles: dict[str, str] | None = None) -> None:
    """Print a result as a Rich table, one JSON object, or CSV (tables one after another)."""
    fmt = check_format(fmt)
    if fmt == "json":
        sys.stdout.write(json.dumps(result.to_dict(), ensure_ascii=False, indent=2) + "\n")
        return
    if fmt == "csv":
        several = len(result.tables) > 1
        for name, table in result.tables.items():
            frame = table if isinstance(table, pd.DataFrame) else pd.DataFrame(table)
            if several:
                sys.stdout.write(f"# {name}\n")
            sys.stdout.write(sheets.to_csv(frame) or "")
        return
    for line in result.text:
        console.print(line, highlight=False)
    lang = resolve_lang(result.meta.get("lang"))
    for name, table in result.tables.items():
        frame = table if isinstance(table, pd.DataFrame) else pd.DataFrame(table)
        render_table((titles or {}).get(name, name), frame.rename(columns=lambda c: _header(str(c), lang)))
