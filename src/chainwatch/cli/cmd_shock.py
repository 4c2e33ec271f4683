"""``chainwatch shock`` (scenarios, saved runs, systemic importance) and ``chainwatch io`` (sector models)."""

from __future__ import annotations

from typing import Annotated

import typer

from chainwatch.cli.common import (
    DbOpt,
    FormatOpt,
    LangOpt,
    check_format,
    emit,
    handle_errors,
    open_cw,
    resolve_lang,
)
from chainwatch.errors import InputError, UsageError
from chainwatch.i18n import t
from chainwatch.service import Result
from chainwatch.service.shock import ShockService

TableOpt = Annotated[str, typer.Option("--table", help="IO table: a name from `chainwatch io tables list` "
                                                      "(or io_tables_dir), or a table file (NBS layout or plain CSV).")]
LayoutOpt = Annotated[str, typer.Option("--layout", help="nbs, csv or auto.")]
ShockOpt = Annotated[list[str] | None, typer.Option(
    "--shock", help="SECTOR=VALUE (table units) or SECTOR=PCT% (of total final use; Ghosh: of primary inputs); "
                    "repeatable; 79 finds 079.")]
FinalOpt = Annotated[str | None, typer.Option("--final", help="csv layout: separate final-demand file.")]
OutOpt = Annotated[str | None, typer.Option("--output", help="csv layout: separate gross-output file.")]
DomOpt = Annotated[bool, typer.Option("--domestic", help="Use domestic coefficients (competitive tables).")]
TopOpt = Annotated[int, typer.Option("--top", help="Rows to show (0 = all).")]



def _titles(res: Result, lang: str) -> dict[str, str]:
    return {name: t(f"shock.title.{name}", lang) for name in res.tables}


def _pairs(values: list[str] | None) -> dict[str, float]:
    """SECTOR=NUMBER pairs (absolute values; a percentage is refused here: use :func:`_shocks`)."""
    absolute, pct = _shocks(values)
    if pct:
        raise InputError("shock.io.bad_shock", value=next(v for v in values or [] if "%" in v or "％" in v))
    return absolute


def _shocks(values: list[str] | None) -> tuple[dict[str, float], dict[str, float]]:
    """``SECTOR=NUMBER`` (table units) and ``SECTOR=NUMBER%`` (percent) pairs, summed per sector."""
    absolute: dict[str, float] = {}
    pct: dict[str, float] = {}
    for v in values or []:
        key, sep, num = v.partition("=")
        text = num.strip().replace("−", "-").replace("％", "%")
        target = pct if text.endswith("%") else absolute
        try:
            if not sep or not key.strip():
                raise ValueError
            value = float(text[:-1].strip() if text.endswith("%") else text)
            if value != value or value in (float("inf"), float("-inf")):
                raise ValueError
            target[key.strip()] = target.get(key.strip(), 0.0) + value
        except ValueError:
            raise InputError("shock.io.bad_shock", value=v) from None
    return absolute, pct


def _io_scenario_without_db(path: str) -> bool:
    """True when ``path`` is a scenario file of an IO model (it needs no database)."""
    from chainwatch.analytics.shock.scenario import load_scenario

    try:
        raw, _ = load_scenario(path)
    except InputError:
        return False
    return str(raw.get("model", "cascade")) in ("leontief", "ghosh", "iim")


def register(app: typer.Typer) -> None:
    @app.command("shock")
    @handle_errors
    def shock(
        args: Annotated[list[str], typer.Argument(help="SCENARIO file (YAML/JSON) | list | compare A B | esri")],
        save: Annotated[str | None, typer.Option("--save", help="Save the results under this name.")] = None,
        top: Annotated[int, typer.Option("--top", help="esri: number of enterprises to list (0 = all).")] = 50,
        refresh: Annotated[bool, typer.Option("--refresh", help="esri: recompute instead of using the cache.")] = False,
        workers: Annotated[int, typer.Option("--workers", help="esri: processes to use.")] = 1,
        db: DbOpt = None,
        lang: LangOpt = None,
        fmt: FormatOpt = "table",
    ) -> None:
        """Run a disruption scenario; list, compare saved runs; rank enterprises by systemic importance (ESRI)."""
        fmt = check_format(fmt)
        head = args[0]
        if db is None and save is None and len(args) == 1 and head not in ("list", "esri") \
                and _io_scenario_without_db(head):
            # an IO scenario reads a table, not the database: never create chainwatch.duckdb for it
            res = ShockService.without_database(resolve_lang(lang)).run(head)
            emit(res, fmt, _titles(res, resolve_lang(lang)))
            return
        with open_cw(db, lang) as cw:
            if head == "list" and len(args) == 1:
                res = cw.shock.saved()
            elif head == "compare":
                if len(args) != 3:
                    raise UsageError("shock.usage")
                res = cw.shock.compare(args[1], args[2])
            elif head == "esri" and len(args) == 1:
                res = cw.shock.esri(top=top, refresh=refresh, workers=workers)
            elif len(args) == 1:
                res = cw.shock.run(head, save=save)
            else:
                raise UsageError("shock.usage")
            emit(res, fmt, _titles(res, cw.lang))

    io_app = typer.Typer(help="Input–output models on a named table or a table file: leontief, ghosh, iim, "
                              "extract; named tables: io tables import|list|show|remove.",
                         no_args_is_help=True)
    app.add_typer(io_app, name="io")
    from chainwatch.cli.cmd_iotables import register_tables

    register_tables(io_app)

    def _io(model: str, table: str, layout: str, shocks: list[str] | None, final: str | None, output: str | None,
            domestic: bool, top: int, db: str | None, lang: str | None, fmt: str,
            capacity: list[str] | None = None) -> None:
        fmt = check_format(fmt)
        absolute, pct = _shocks(shocks)
        args = dict(layout=layout, domestic=domestic, final=final, output=output, capacity=_pairs(capacity),
                    top=top or None, pct_shocks=pct, local_files=True)
        if db:
            with open_cw(db, lang) as cw:
                res = cw.shock.io(model, table, absolute, **args)
        else:  # IO models on a table file (or one of io_tables_dir) need no database
            res = ShockService.without_database(resolve_lang(lang)).io(model, table, absolute, **args)
        emit(res, fmt, _titles(res, resolve_lang(lang)))

    @io_app.command("leontief")
    @handle_errors
    def leontief(table: TableOpt, layout: LayoutOpt = "auto", shock: ShockOpt = None, final: FinalOpt = None,
                 output: OutOpt = None, domestic: DomOpt = False, top: TopOpt = 30, db: DbOpt = None,
                 lang: LangOpt = None, fmt: FormatOpt = "table") -> None:
        """Demand model: --shock SECTOR=ΔF (table units); without shocks, multipliers and backward linkages."""
        _io("leontief", table, layout, shock, final, output, domestic, top, db, lang, fmt)

    @io_app.command("ghosh")
    @handle_errors
    def ghosh(table: TableOpt, layout: LayoutOpt = "auto", shock: ShockOpt = None, final: FinalOpt = None,
              output: OutOpt = None, domestic: DomOpt = False, top: TopOpt = 30, db: DbOpt = None,
              lang: LangOpt = None, fmt: FormatOpt = "table") -> None:
        """Supply model: --shock SECTOR=ΔV (primary inputs); without shocks, forward linkages."""
        _io("ghosh", table, layout, shock, final, output, domestic, top, db, lang, fmt)

    @io_app.command("iim")
    @handle_errors
    def iim(table: TableOpt, layout: LayoutOpt = "auto", shock: ShockOpt = None,
            capacity: Annotated[list[str] | None, typer.Option(
                "--capacity", help="SECTOR=PCT remaining capacity of a disabled sector (repeatable).")] = None,
            final: FinalOpt = None, output: OutOpt = None, domestic: DomOpt = False, top: TopOpt = 30,
            db: DbOpt = None, lang: LangOpt = None, fmt: FormatOpt = "table") -> None:
        """Inoperability model: --shock SECTOR=ΔF (demand change) and/or --capacity SECTOR=PCT."""
        _io("iim", table, layout, shock, final, output, domestic, top, db, lang, fmt, capacity)

    @io_app.command("extract")
    @handle_errors
    def extract(table: TableOpt, layout: LayoutOpt = "auto",
                sector: Annotated[list[str] | None, typer.Option("--sector", help="Sector code (repeatable).")] = None,
                final: FinalOpt = None, output: OutOpt = None, domestic: DomOpt = False, top: TopOpt = 30,
                db: DbOpt = None, lang: LangOpt = None, fmt: FormatOpt = "table") -> None:
        """Hypothetical extraction (backward and forward) of every sector or of --sector codes."""
        _io("extract", table, layout, [f"{s}=0" for s in sector or []], final, output, domestic, top, db, lang, fmt)
