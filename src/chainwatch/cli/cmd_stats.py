"""``chainwatch stats``: official-style industrial statistics by chain, cluster, district, industry, size."""

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
from chainwatch.i18n import t
from chainwatch.service.result import Result

BY_HELP = "Grouping: total, chain, segment, cluster, district, industry, size, a comma list, or all."
IND_HELP = ("Comma list of indicators: gross_output, value_added, revenue, total_profit, profit_tax, "
            "export_value, electricity, employees (default: all).")


def register(app: typer.Typer) -> None:
    @app.command("stats")
    @handle_errors
    def stats(
        period: Annotated[str, typer.Option("--period", "-p", help="Reporting month YYYY-MM (Jan/Feb → 1–2月).")],
        by: Annotated[str, typer.Option("--by", help=BY_HELP)] = "total",
        indicators: Annotated[str | None, typer.Option("--indicators", "-i", help=IND_HELP)] = None,
        fmt: FormatOpt = "table",
        db: DbOpt = None,
        lang: LangOpt = None,
    ) -> None:
        """Same-caliber 当月/累计同比, shares, 贡献率, 拉动, two-year growth, 增减面, losses. 规上工业统计。"""
        fmt = check_format(fmt)
        lang = resolve_lang(lang)
        with open_cw(db, lang, create=False) as cw:
            result = cw.stats.compute(period, by=by, indicators=indicators)
            if fmt != "table":
                emit(result, fmt)
                return
            view = Result(result.command, meta=result.meta,
                          tables={"rows": cw.stats.display_table(result.tables["rows"], lang)},
                          text=[*result.text, *result.meta.get("notes", [])])
            by_label = "、".join(t(f"stats.by.{g}", lang) for g in result.meta["by"]) if lang == "zh" else \
                ", ".join(t(f"stats.by.{g}", lang) for g in result.meta["by"])
            title = t("stats.title", lang, label=result.meta["ytd_label"], by=by_label)
            emit(view, "table", titles={"rows": title})
