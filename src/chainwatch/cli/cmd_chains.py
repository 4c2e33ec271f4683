"""``chainwatch chains …`` and ``chainwatch bottleneck …``: chain maps and the bottleneck register."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import pandas as pd
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
from chainwatch.i18n import catalogue, t
from chainwatch.service.result import Result

ChainOpt = Annotated[str, typer.Option("--chain", "-c", help="Chain id (see `chainwatch chains`).")]
YearOpt = Annotated[int | None, typer.Option("--year", "-y", help="Year of output, links and trade (default: latest).")]

OVERVIEW_COLS = ["chain_id", "name", "n_segments", "coverage_pct", "n_missing", "n_weak", "n_enterprises", "output",
                 "local_supply_pct", "import_dependence_pct", "n_critical_segments", "top_leader", "risk_level"]
SEGMENT_COLS = ["segment_id", "name", "position_label", "n_enterprises", "output", "cr1_pct", "hhi",
                "import_dependence_pct", "top_origin_name", "local_supply_pct", "critical", "status_label", "risk_level",
                "reasons"]


def _show_map_errors(exc: ValidationFailed, lang: str, limit: int = 30) -> None:
    errors = exc.errors if isinstance(exc.errors, list) else []
    for e in errors[:limit]:
        detail = t(e["key"], lang, **e["params"])
        err_console.print(t("chains.error_line", lang, file=e["file"], line=e["line"], item=e["item"], detail=detail),
                          highlight=False, markup=False)
    if len(errors) > limit:
        err_console.print(f"… {len(errors) - limit}")


def _headers(frame: pd.DataFrame, lang: str) -> pd.DataFrame:
    """Translate column names for table output (JSON and CSV keep the field names)."""
    if "risk_level" in frame.columns:
        frame = frame.assign(risk_level=frame["risk_level"].map(lambda v: t(f"chains.level.{v}", lang)))
    out = frame.rename(columns={c: t(f"chains.col.{c}", lang) for c in frame.columns
                                if f"chains.col.{c}" in catalogue()})
    for col in out.columns:
        if len(out) and out[col].map(lambda v: isinstance(v, list)).any():
            out[col] = out[col].map(lambda v: "、".join(map(str, v)) if isinstance(v, list) else v)
    return out


def _table(result: Result, fmt: str, name: str, cols: list[str], title: str, lang: str = "zh") -> None:
    if fmt != "table":
        emit(result, fmt)
        return
    for line in result.text:
        console.print(line, highlight=False)
    df = result.tables[name]
    frame = df if isinstance(df, pd.DataFrame) else pd.DataFrame(df)
    if cols and len(frame):
        frame = frame[[c for c in cols if c in frame.columns]]
    render_table(title, _headers(frame, lang))


def register(app: typer.Typer) -> None:
    chains = typer.Typer(help="Chain maps: coverage, weak and missing links, critical nodes, leaders. 产业链图谱。",
                         no_args_is_help=False, invoke_without_command=True)
    app.add_typer(chains, name="chains")
    bottleneck = typer.Typer(help="The key-core-technology register. 关键核心技术攻关清单。", no_args_is_help=True)
    app.add_typer(bottleneck, name="bottleneck")
    directory = typer.Typer(help="External enterprise directory for investment attraction. 招商企业库。",
                            no_args_is_help=True)
    chains.add_typer(directory, name="directory")

    @chains.callback()
    @handle_errors
    def chains_main(ctx: typer.Context, chain: Annotated[str | None, typer.Option("--chain", "-c", help="One chain: per-segment figures.")] = None,
                    year: YearOpt = None, fmt: FormatOpt = "table", db: DbOpt = None, lang: LangOpt = None) -> None:
        """Per chain (or, with --chain, per segment): coverage, missing and weak links, local supply, concentration."""
        if ctx.invoked_subcommand is not None:
            return
        fmt = check_format(fmt)
        lang = resolve_lang(lang)
        with open_cw(db, lang, create=False) as cw:
            if chain is None:
                res = cw.chains.overview(year)
                if not len(res.tables["chains"]):
                    res.text.append(t("chains.no_chains", lang))
                _table(res, fmt, "chains", OVERVIEW_COLS, t("chains.title.overview", lang, year=res.meta.get("year")), lang)
                return
            res = cw.chains.segments(chain, year)
            if fmt == "table":
                s = res.tables["summary"][0]
                na = t("chains.na", lang)
                res.text.append(t("chains.summary", lang, chain=s["name"], n=s["n_segments"],
                                  cov=f"{s['coverage_pct']:.1f}%" if s["coverage_pct"] is not None else na,
                                  missing=s["n_missing"], weak=s["n_weak"], firms=s["n_enterprises"],
                                  lsr=f"{s['local_supply_pct']:.1f}%" if s["local_supply_pct"] is not None else na))
            _table(res, fmt, "segments", SEGMENT_COLS, t("chains.title.segments", lang, chain=chain, year=res.meta["year"]), lang)

    @chains.command("import")
    @handle_errors
    def import_(file: Annotated[Path, typer.Argument(help="Chain-map file, .yaml or .xlsx (docs/chains.md).")],
                db: DbOpt = None, lang: LangOpt = None, fmt: FormatOpt = "table") -> None:
        """Validate a chain-map file and replace that chain atomically. 导入产业链图谱。"""
        lang = resolve_lang(lang)
        with open_cw(db, lang) as cw:
            try:
                res = cw.chains.import_map(file)
            except ValidationFailed as exc:
                _show_map_errors(exc, lang)
                raise
            _table(res, check_format(fmt), "imported", [], "", lang)

    @chains.command("import-willems")
    @handle_errors
    def import_willems(folder: Annotated[Path, typer.Argument(help="Folder with the Willems (2008) NN_SD.csv / NN_LL.csv files.")],
                       numbers: Annotated[str | None, typer.Option("--chains", help="Comma list of chain numbers (default: all).")] = None,
                       db: DbOpt = None, lang: LangOpt = None, fmt: FormatOpt = "table") -> None:
        """Import Willems (2008) supply chains: stage = segment, link = edge."""
        lang = resolve_lang(lang)
        with open_cw(db, lang) as cw:
            res = cw.chains.import_willems(folder, numbers.split(",") if numbers else None)
            _table(res, check_format(fmt), "imported", ["chain", "segments", "edges"], "", lang)

    @chains.command("export")
    @handle_errors
    def export(chain: ChainOpt, output: Annotated[Path | None, typer.Option("-o", "--output", help="File to write (default: stdout).")] = None,
               db: DbOpt = None, lang: LangOpt = None) -> None:
        """Write a chain map back to YAML (or a workbook with -o FILE.xlsx). 导出产业链图谱。"""
        lang = resolve_lang(lang)
        with open_cw(db, lang, create=False) as cw:
            text = cw.chains.export_map(chain, output)
            if output is None:
                typer.echo(text, nl=False)
            else:
                err_console.print(t("chains.exported", lang, chain=chain, file=str(output)))

    @chains.command("critical")
    @handle_errors
    def critical(chain: ChainOpt, year: YearOpt = None, fmt: FormatOpt = "table", db: DbOpt = None,
                 lang: LangOpt = None) -> None:
        """Critical segments and enterprises: whose loss cuts others off from all local supply. 关键环节与企业。"""
        fmt = check_format(fmt)
        lang = resolve_lang(lang)
        with open_cw(db, lang, create=False) as cw:
            res = cw.chains.critical(chain, year)
            if fmt != "table":
                emit(res, fmt)
                return
            render_table(t("chains.title.critical_segments", lang, chain=chain),
                         _headers(res.tables["segments"][["segment_id", "name", "n_cut", "explanation"]], lang))
            render_table(t("chains.title.critical_enterprises", lang, chain=chain),
                         _headers(res.tables["enterprises"][["uscc", "name", "n_segments_cut", "n_firms_cut",
                                                             "explanation"]], lang))

    @chains.command("leaders")
    @handle_errors
    def leaders(chain: ChainOpt, year: YearOpt = None, top: Annotated[int, typer.Option("--top", help="Rows shown.")] = 10,
                fmt: FormatOpt = "table", db: DbOpt = None, lang: LangOpt = None) -> None:
        """Chain-leader candidates with the breakdown of their score. 链主候选。"""
        fmt = check_format(fmt)
        lang = resolve_lang(lang)
        with open_cw(db, lang, create=False) as cw:
            res = cw.chains.leaders(chain, year, top=top)
            _table(res, fmt, "leaders", ["rank", "name", "share_pct", "local_suppliers", "local_customers",
                                         "pct_share", "pct_pull", "pct_network", "score", "eligible"],
                   t("chains.title.leaders", lang, chain=chain), lang)

    @chains.command("targets")
    @handle_errors
    def targets(chain: ChainOpt,
                segment: Annotated[str | None, typer.Option("--segment", help="One segment only.")] = None,
                top: Annotated[int, typer.Option("--top", help="Candidates per segment.")] = 5,
                fmt: FormatOpt = "table", db: DbOpt = None, lang: LangOpt = None) -> None:
        """Investment-attraction candidates for missing and weak segments, with the reason. 补链招商。"""
        fmt = check_format(fmt)
        lang = resolve_lang(lang)
        with open_cw(db, lang, create=False) as cw:
            res = cw.chains.targets(chain, segment_id=segment, top=top)
            _table(res, fmt, "targets", ["segment", "status", "rank", "name", "region", "score", "reason"],
                   t("chains.title.targets", lang, chain=chain), lang)

    @directory.command("import")
    @handle_errors
    def directory_import(file: Annotated[Path, typer.Argument(help="CSV or XLSX: name, region, country, hs_codes, products, revenue, employees, size_class …")],
                         db: DbOpt = None, lang: LangOpt = None) -> None:
        """Import the external enterprise directory (upsert by name + region). 导入招商企业库。"""
        lang = resolve_lang(lang)
        with open_cw(db, lang) as cw:
            try:
                res = cw.chains.directory_import(file)
            except ValidationFailed as exc:
                if isinstance(exc.errors, pd.DataFrame) and len(exc.errors):
                    render_table(None, exc.errors[["row", "column", "value", "message"]].head(30))
                raise
            for line in res.text:
                console.print(line, highlight=False)

    # -- bottleneck register --------------------------------------------------------------------------
    def _show_item(res: Result, fmt: str, lang: str) -> None:
        if fmt != "table":
            emit(res, fmt)
            return
        for line in res.text:
            console.print(line, highlight=False)
        item = res.tables["item"]
        frame = item if isinstance(item, pd.DataFrame) else pd.DataFrame(item)
        render_table(None, _headers(frame.T.reset_index().rename(columns={"index": "field", 0: "value"}), lang))
        for name in ("enterprises", "history"):
            df: Any = res.tables[name]
            if len(df):
                render_table(name, _headers(df, lang))

    @bottleneck.command("list")
    @handle_errors
    def bn_list(status: Annotated[str | None, typer.Option("--status", help="open, in_progress, done or dropped.")] = None,
                chain: Annotated[str | None, typer.Option("--chain", "-c")] = None,
                fmt: FormatOpt = "table", db: DbOpt = None, lang: LangOpt = None) -> None:
        """List register items (overdue ones flagged). 攻关清单。"""
        fmt = check_format(fmt)
        lang = resolve_lang(lang)
        with open_cw(db, lang, create=False) as cw:
            res = cw.chains.bottleneck_list(status=status, chain_id=chain)
            if not len(res.tables["items"]):
                res.text.append(t("chains.bn.empty", lang))
            _table(res, fmt, "items", ["item_id", "title", "kind", "segment_id", "owner", "status_label", "priority",
                                       "target_date", "overdue", "n_enterprises"], "", lang)

    @bottleneck.command("add")
    @handle_errors
    def bn_add(title: Annotated[str | None, typer.Option("--title", help="Item title (中文).")] = None,
               from_segment: Annotated[str | None, typer.Option("--from-segment", help="Create from a missing or weak segment.")] = None,
               title_en: Annotated[str | None, typer.Option("--title-en")] = None,
               kind: Annotated[str, typer.Option("--kind", help="technology, missing_link or weak_link.")] = "technology",
               chain: Annotated[str | None, typer.Option("--chain", "-c")] = None,
               segment: Annotated[str | None, typer.Option("--segment")] = None,
               description: Annotated[str | None, typer.Option("--description")] = None,
               owner: Annotated[str | None, typer.Option("--owner", help="Responsible unit or person.")] = None,
               priority: Annotated[str, typer.Option("--priority", help="high, medium or low.")] = "medium",
               target_date: Annotated[str | None, typer.Option("--target-date", help="YYYY-MM-DD.")] = None,
               enterprise: Annotated[list[str] | None, typer.Option("--enterprise", "-e", help="USCC (repeatable).")] = None,
               fmt: FormatOpt = "table", db: DbOpt = None, lang: LangOpt = None) -> None:
        """Add an item, or turn a weak or missing segment into one (--from-segment). 新增攻关条目。"""
        fmt = check_format(fmt)
        lang = resolve_lang(lang)
        with open_cw(db, lang, create=False) as cw:
            if from_segment:
                res = cw.chains.bottleneck_from_segment(from_segment, owner=owner, target_date=target_date,
                                                        priority=priority)
            else:
                res = cw.chains.bottleneck_add(title, title_en=title_en, kind=kind, chain_id=chain, segment_id=segment,
                                               description=description, owner=owner, priority=priority,
                                               target_date=target_date, enterprises=enterprise)
            _show_item(res, fmt, lang)

    @bottleneck.command("update")
    @handle_errors
    def bn_update(item: Annotated[str, typer.Argument(help="Item id, e.g. BN-0001.")],
                  status: Annotated[str | None, typer.Option("--status")] = None,
                  owner: Annotated[str | None, typer.Option("--owner")] = None,
                  target_date: Annotated[str | None, typer.Option("--target-date")] = None,
                  priority: Annotated[str | None, typer.Option("--priority")] = None,
                  title: Annotated[str | None, typer.Option("--title")] = None,
                  description: Annotated[str | None, typer.Option("--description")] = None,
                  enterprise: Annotated[list[str] | None, typer.Option("--enterprise", "-e", help="Add a USCC (repeatable).")] = None,
                  note: Annotated[str | None, typer.Option("--note", help="Why (kept in the history).")] = None,
                  fmt: FormatOpt = "table", db: DbOpt = None, lang: LangOpt = None) -> None:
        """Change an item; every change is kept in its history. 更新攻关条目。"""
        fmt = check_format(fmt)
        lang = resolve_lang(lang)
        with open_cw(db, lang, create=False) as cw:
            res = cw.chains.bottleneck_update(item, note=note, add_enterprises=enterprise, status=status, owner=owner,
                                              target_date=target_date, priority=priority, title=title,
                                              description=description)
            _show_item(res, fmt, lang)

    @bottleneck.command("show")
    @handle_errors
    def bn_show(item: Annotated[str, typer.Argument(help="Item id, e.g. BN-0001.")],
                fmt: FormatOpt = "table", db: DbOpt = None, lang: LangOpt = None) -> None:
        """One item with its enterprises and history. 查看攻关条目。"""
        fmt = check_format(fmt)
        lang = resolve_lang(lang)
        with open_cw(db, lang, create=False) as cw:
            _show_item(cw.chains.bottleneck_show(item), fmt, lang)
