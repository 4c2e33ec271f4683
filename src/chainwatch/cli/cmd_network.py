"""``chainwatch network build|builds|invoices``: the supply network from VAT invoices."""

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
    show_sections,
)
from chainwatch.i18n import t

ENGINE_HELP = "duckdb (the database, default: setting engine) or spark (settings spark_master, spark_conf)."


def register(app: typer.Typer) -> None:
    net = typer.Typer(help="Supply network from VAT invoices. 由增值税发票建立供应网络。", no_args_is_help=True)
    app.add_typer(net, name="network")

    @net.command("build")
    @handle_errors
    def build(
        year: Annotated[int, typer.Option("--year", "-y", help="Invoice year to aggregate.")],
        engine: Annotated[str | None, typer.Option("--engine", help=ENGINE_HELP)] = None,
        min_value: Annotated[float, typer.Option("--min-value", help="Keep links worth at least this much (万元).")] = 0.0,
        min_share: Annotated[float, typer.Option("--min-share", help="Keep links at least this share (0-1) of the buyer's purchases or the seller's sales.")] = 0.0,
        source: Annotated[str | None, typer.Option("--source", help="Parquet directory of invoices (an export or invoice files) instead of the database's invoice table.")] = None,
        top: Annotated[int, typer.Option("--top", help="Links to show (largest first).")] = 20,
        fmt: FormatOpt = "table",
        db: DbOpt = None,
        lang: LangOpt = None,
    ) -> None:
        """Aggregate valid invoices net of red reversals to supply links; a new revision of the year's
        network. 由发票汇总供应关系。"""
        fmt = check_format(fmt)
        with open_cw(db, lang, create=False) as cw:
            res = cw.network.build(year, engine=engine, min_value=min_value, min_share=min_share, source=source,
                                   top=top)
            lang_ = cw.lang
            if fmt == "table":
                res.tables["counts"] = res.tables["counts"].assign(
                    item=lambda d: [t(f"network.item.{k}", lang_) for k in d["item"]])
                res.tables["links"] = res.tables["links"].assign(
                    supplier=lambda d: d["supplier_name"].fillna(d["supplier_uscc"]),
                    main_product=lambda d: [m[0]["code"] if m else None for m in d["main_products"]])
            show_sections(res, fmt, {"counts": None, "links": ["supplier", "buyer_name", "main_product", "segment_id",
                                                                "annual_value", "share_pct", "buyer_share_pct",
                                                                "seller_share_pct", "months_active"]}, "network")

    @net.command("builds")
    @handle_errors
    def builds(
        year: Annotated[int | None, typer.Option("--year", "-y", help="Only this year.")] = None,
        fmt: FormatOpt = "table",
        db: DbOpt = None,
        lang: LangOpt = None,
    ) -> None:
        """Network builds with their lineage (invoice batches, digest, counts). 供应网络构建记录。"""
        fmt = check_format(fmt)
        with open_cw(db, lang, create=False) as cw:
            show_sections(cw.network.builds(year), fmt, {"builds": [
                "build_id", "year", "engine", "source", "invoice_batches", "n_lines", "n_red", "n_void", "n_links",
                "n_replaced", "seconds", "built_at", "actor"]}, "network")

    @net.command("invoices")
    @handle_errors
    def invoices(
        out: Annotated[Path, typer.Argument(help="Output: a directory (parquet) or a .csv file.")],
        year: Annotated[int | None, typer.Option("--year", "-y", help="Year of the links (default: the latest).")] = None,
        rows: Annotated[int, typer.Option("--rows", "-n", help="About this many invoice lines.")] = 100_000,
        copies: Annotated[int, typer.Option("--copies", help="Repeat the network with other taxpayer IDs (more links).")] = 1,
        out_format: Annotated[str, typer.Option("--as", help="parquet (Hive year= partition, 万元) or csv (Chinese headers, 元).")] = "parquet",
        seed: Annotated[int, typer.Option("--seed", help="Random seed.")] = 2021,
        chunk_rows: Annotated[int, typer.Option("--chunk-rows", help="Lines generated per chunk (bounds memory).")] = 1_000_000,
        fmt: FormatOpt = "table",
        db: DbOpt = None,
        lang: LangOpt = None,
    ) -> None:
        """Synthetic invoice lines consistent with the database's supply links (for tests and
        benchmarks; clearly synthetic). 生成合成发票。"""
        fmt = check_format(fmt)
        with open_cw(db, lang, create=False) as cw:
            show_sections(cw.network.invoices(out, year, rows=rows, copies=copies, fmt=out_format, seed=seed,
                                              chunk_rows=chunk_rows), fmt, {}, "network")
