"""``chainwatch trade``: trade by partner group/country/chain/segment/HS, partner groups,
segment import dependence, world reference and RCA. Thin: parse → cw.trade → emit."""

from __future__ import annotations

from typing import Annotated

import pandas as pd
import typer

from chainwatch.cli.common import DbOpt, FormatOpt, LangOpt, check_format, emit, handle_errors, open_cw
from chainwatch.i18n import t
from chainwatch.service.result import Result

trade_app = typer.Typer(help="Foreign trade: by partner group, country, chain, segment or HS; import dependence; RCA.",
                        invoke_without_command=True, no_args_is_help=False)
groups_app = typer.Typer(help="Partner groups (RCEP, Belt and Road, ASEAN, EU …): list, show, edit.",
                         no_args_is_help=True)
world_app = typer.Typer(help="World export reference by HS section (for the RCA).", no_args_is_help=True)
trade_app.add_typer(groups_app, name="groups")
trade_app.add_typer(world_app, name="world")

PeriodOpt = Annotated[str | None, typer.Option("--period", "-p", help="Period YYYY-MM (default: latest with trade data).")]


def _titles(lang: str, **by: str) -> dict[str, str]:
    names = ("rows", "total", "groups", "members", "overlaps", "segments", "origins", "products", "sections", "world")
    return {n: t(f"trade.table.{n}", lang, **by) for n in names}


def _summary_view(res: Result, lang: str) -> Result:
    """Readable table view: the headline columns with localised headers (JSON/CSV keep all fields)."""
    month, cum = res.meta["month_label"], res.meta["ytd_label"]
    cols = {"name": t("trade.col.name", lang), "flow": t("trade.col.flow", lang),
            "ytd_value": t("trade.col.value", lang, label=cum), "ytd_yoy_pct": t("trade.col.yoy", lang, label=cum),
            "share_pct": t("trade.col.share", lang), "contribution_pct": t("trade.col.contribution", lang),
            "pull_pp": t("trade.col.pull", lang), "month_value": t("trade.col.value", lang, label=month),
            "month_yoy_pct": t("trade.col.yoy", lang, label=month)}
    tables = {}
    for name, frame in res.tables.items():
        f = frame.copy() if isinstance(frame, pd.DataFrame) else pd.DataFrame(frame)
        if "name" not in f.columns:
            f.insert(0, "name", t("trade.table.total", lang))
        f["flow"] = f["flow"].map(lambda x: t(f"trade.flow.{x}", lang))
        tables[name] = f[list(cols)].rename(columns=cols)
    return Result(res.command, res.meta, tables, res.text)


@trade_app.callback()
@handle_errors
def trade_main(
    ctx: typer.Context,
    period: PeriodOpt = None,
    by: Annotated[str, typer.Option("--by", help="group, country, chain, segment or hs.")] = "group",
    flow: Annotated[str, typer.Option("--flow", help="import, export, total or all.")] = "all",
    hs_level: Annotated[str, typer.Option("--hs-level", help="With --by hs: section or chapter.")] = "section",
    group: Annotated[str | None, typer.Option("--group", help="Only partners of this group (with --by group/country).")] = None,
    top: Annotated[int, typer.Option("--top", help="Rows per flow (0 = all).")] = 0,
    source: Annotated[str, typer.Option("--source", help="auto, enterprise or region rows of trade_flow.")] = "auto",
    attribution: Annotated[str, typer.Option("--attribution", help="With --by chain/segment: products or enterprises.")] = "products",
    db: DbOpt = None, lang: LangOpt = None, fmt: FormatOpt = "table",
) -> None:
    """Imports and exports by partner group (default), country, chain, segment or HS: shares, 当月/累计同比,
    contribution and pull."""
    if ctx.invoked_subcommand is not None:
        return
    check_format(fmt)
    with open_cw(db, lang, create=False) as cw:
        res = cw.trade.summary(period, by=by, flow=flow, hs_level=hs_level, group=group, top=top, source=source,
                               attribution=attribution)
        emit(_summary_view(res, cw.lang) if fmt == "table" else res, fmt, _titles(cw.lang, by=by))


@trade_app.command("dependence")
@handle_errors
def dependence_cmd(
    period: PeriodOpt = None,
    year: Annotated[int | None, typer.Option("--year", help="A whole year instead of a cumulative period.")] = None,
    chain: Annotated[str | None, typer.Option("--chain", help="Only this chain's segments.")] = None,
    scope: Annotated[str, typer.Option("--scope", help="products (any importer) or enterprises (the segment's own).")] = "products",
    source: Annotated[str, typer.Option("--source", help="trade (trade_flow) or supply_links.")] = "trade",
    top: Annotated[int, typer.Option("--top", help="Origins per segment (0 = all).")] = 5,
    db: DbOpt = None, lang: LangOpt = None, fmt: FormatOpt = "table",
) -> None:
    """Import dependence of each segment by origin country: HHI, CR1, dependence ratio, explanation."""
    check_format(fmt)
    with open_cw(db, lang, create=False) as cw:
        res = cw.trade.segment_dependence(period, year=year, chain=chain, scope=scope, source=source, top_origins=top)
        if fmt == "table":
            res.tables["segments"] = res.tables["segments"].drop(columns=["explanation"])  # type: ignore[union-attr]
        emit(res, fmt, _titles(cw.lang))


@trade_app.command("rca")
@handle_errors
def rca_cmd(
    year: Annotated[int | None, typer.Option("--year", help="Year of the city's exports (default: latest).")] = None,
    world_year: Annotated[int | None, typer.Option("--world-year", help="Year of the world reference.")] = None,
    db: DbOpt = None, lang: LangOpt = None, fmt: FormatOpt = "table",
) -> None:
    """Revealed comparative advantage of the city's exports by HS section against world exports."""
    check_format(fmt)
    with open_cw(db, lang, create=False) as cw:
        emit(cw.trade.rca(year, world_year=world_year), fmt, _titles(cw.lang))


@groups_app.command("list")
@handle_errors
def groups_list(db: DbOpt = None, lang: LangOpt = None, fmt: FormatOpt = "table") -> None:
    """All partner groups with member count, basis and as-of date."""
    check_format(fmt)
    with open_cw(db, lang, create=False) as cw:
        res = cw.trade.groups()
        if fmt != "json":
            for row in res.tables["groups"]:  # type: ignore[union-attr]
                row["members"] = " ".join(row["members"])  # type: ignore[index]
        emit(res, fmt, _titles(cw.lang))


@groups_app.command("show")
@handle_errors
def groups_show(group: Annotated[str, typer.Argument(help="Group id, e.g. bri.")],
                db: DbOpt = None, lang: LangOpt = None, fmt: FormatOpt = "table") -> None:
    """One group: basis, as-of date, members with names, overlaps with other groups."""
    check_format(fmt)
    with open_cw(db, lang, create=False) as cw:
        emit(cw.trade.group(group), fmt, _titles(cw.lang))


@groups_app.command("set")
@handle_errors
def groups_set(
    group: Annotated[str, typer.Argument(help="Group id (new or existing), e.g. bri.")],
    members: Annotated[str | None, typer.Option("--members", help="Replace members: ISO3 codes, comma-separated.")] = None,
    add: Annotated[str | None, typer.Option("--add", help="Add members (ISO3, comma-separated).")] = None,
    remove: Annotated[str | None, typer.Option("--remove", help="Remove members (ISO3, comma-separated).")] = None,
    basis: Annotated[str | None, typer.Option("--basis", help="Basis text shown with every view using the group.")] = None,
    as_of: Annotated[str | None, typer.Option("--as-of", help="Date the list is valid for (YYYY-MM-DD).")] = None,
    name_zh: Annotated[str | None, typer.Option("--name-zh", help="Chinese name (required for a new group).")] = None,
    name_en: Annotated[str | None, typer.Option("--name-en", help="English name.")] = None,
    db: DbOpt = None, lang: LangOpt = None, fmt: FormatOpt = "table",
) -> None:
    """Create or edit a group: members, basis text, as-of date, names (audited)."""
    check_format(fmt)
    with open_cw(db, lang, create=False) as cw:
        res = cw.trade.set_group(group, members=members, add=add, remove=remove, basis=basis, as_of=as_of,
                                 name_zh=name_zh, name_en=name_en)
        emit(res, fmt, _titles(cw.lang))


@groups_app.command("reset")
@handle_errors
def groups_reset(group: Annotated[str, typer.Argument(help="A shipped default group: rcep, bri, asean or eu.")],
                 db: DbOpt = None, lang: LangOpt = None, fmt: FormatOpt = "table") -> None:
    """Restore a shipped default group to its documented members and basis."""
    check_format(fmt)
    with open_cw(db, lang, create=False) as cw:
        emit(cw.trade.reset_group(group), fmt, _titles(cw.lang))


@groups_app.command("delete")
@handle_errors
def groups_delete(group: Annotated[str, typer.Argument(help="Group id.")],
                  db: DbOpt = None, lang: LangOpt = None, fmt: FormatOpt = "table") -> None:
    """Delete a group (defaults can be restored with reset)."""
    check_format(fmt)
    with open_cw(db, lang, create=False) as cw:
        emit(cw.trade.delete_group(group), fmt, _titles(cw.lang))


@world_app.command("import")
@handle_errors
def world_import(
    file: Annotated[str, typer.Argument(help="CSV/XLSX: OEC layout (Country ID, Section ID, Trade Value) or section,value[,year].")],
    year: Annotated[int | None, typer.Option("--year", help="Year, when the file has no year column.")] = None,
    unit: Annotated[str, typer.Option("--unit", help="Unit of the values (only ratios are used).")] = "USD",
    db: DbOpt = None, lang: LangOpt = None, fmt: FormatOpt = "table",
) -> None:
    """Import world exports by HS section (replaces the years the file contains)."""
    check_format(fmt)
    with open_cw(db, lang, create=False) as cw:
        emit(cw.trade.import_world(file, year=year, unit=unit), fmt, _titles(cw.lang))


@world_app.command("list")
@handle_errors
def world_list(db: DbOpt = None, lang: LangOpt = None, fmt: FormatOpt = "table") -> None:
    """Years of world reference stored."""
    check_format(fmt)
    with open_cw(db, lang, create=False) as cw:
        emit(cw.trade.world(), fmt, _titles(cw.lang))


def register(app: typer.Typer) -> None:
    app.add_typer(trade_app, name="trade")
