"""``chainwatch assess …``: tier assessment, candidates, gap reports and pipeline statistics."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
import yaml

from chainwatch.cli.common import (
    DbOpt,
    FormatOpt,
    LangOpt,
    check_format,
    handle_errors,
    open_cw,
    show_sections,
)
from chainwatch.errors import InputError
from chainwatch.i18n import t
from chainwatch.service.result import Result

DateOpt = Annotated[str | None, typer.Option("--date", help="Assessment date YYYY-MM-DD (default: 1 July after the latest annual data).")]
AppOpt = Annotated[str, typer.Option("--application", help="new (新申报) or review (复核).")]
TierOpt = Annotated[str | None, typer.Option("--tier", help="first | zjtx | xjr | champion (default: all).")]
SettingsOpt = Annotated[Path | None, typer.Option("--settings", help="YAML file overriding rule settings ([U] rules).")]

SUMMARY_COLS = ["uscc", "name", "tier", "ruleset", "verdict_label", "score", "unmet", "unknown", "flags"]
COND_COLS = ["tier", "condition", "text", "value", "rule", "status"]
ITEM_COLS = ["tier", "item", "dimension", "text", "value", "band", "points", "max_points"]
CAND_COLS = ["tier", "rank", "district_rank", "uscc", "name", "district_name", "verdict_label", "unmet", "unknown", "gap_index",
             "lacking"]
PIPE_COLS = ["level", "key", "name", "tier_label", "holders", "new_this_year", "expiring", "qualifies_not_held",
             "review_not_held"]


def _show(result: Result, fmt: str, spec: dict[str, list[str]]) -> None:
    """JSON/CSV with the stable field names; tables with translated headers and statuses."""
    lang = str(result.meta.get("lang") or "zh")
    show_sections(result, fmt, dict(spec), "cultivation", max_rows=200,
                  values={"status": lambda s: t(f"cultivation.status.{s}", lang)})


def _settings(path: Path | None) -> dict | None:
    if path is None:
        return None
    if not path.is_file():
        raise InputError("cultivation.settings_missing", path=str(path))
    return yaml.safe_load(path.read_text(encoding="utf-8")) or {}


def register(app: typer.Typer) -> None:
    assess = typer.Typer(help="Tier assessment (优质中小企业梯度培育): verdicts, candidates, gaps, pipeline.",
                         invoke_without_command=True, no_args_is_help=False)

    @assess.callback(invoke_without_command=True)
    @handle_errors
    def assess_main(
        ctx: typer.Context,
        enterprise: Annotated[str | None, typer.Option("--enterprise", "-e", help="USCC of one enterprise.")] = None,
        all_: Annotated[bool, typer.Option("--all", help="Assess every enterprise (in your scope).")] = False,
        date: DateOpt = None,
        application: AppOpt = "new",
        tier: TierOpt = None,
        detail: Annotated[bool, typer.Option("--detail", help="With --all: include every condition and item.")] = False,
        settings: SettingsOpt = None,
        db: DbOpt = None,
        lang: LangOpt = None,
        fmt: FormatOpt = "table",
    ) -> None:
        """Assess tiers: verdict, rule set, every condition and score item, missing inputs."""
        if ctx.invoked_subcommand is not None:
            return
        check_format(fmt)
        with open_cw(db, lang, create=False) as cw:
            res = cw.cultivation.assess(uscc=enterprise, all=all_, date=date, application=application, tier=tier,
                                        detail=True if detail else None, settings=_settings(settings))
            _show(res, fmt, {"assessment": SUMMARY_COLS, "conditions": COND_COLS, "score_items": ITEM_COLS,
                             "scores": ["tier", "label", "points", "points_max", "max_points"]})

    @assess.command("candidates")
    @handle_errors
    def candidates(
        tier: TierOpt = None,
        chain: Annotated[str | None, typer.Option("--chain", help="Only enterprises of this chain.")] = None,
        district: Annotated[str | None, typer.Option("--district", help="Only enterprises of this district code.")] = None,
        date: DateOpt = None,
        limit: Annotated[int, typer.Option("--limit", help="Rows per tier.")] = 50,
        db: DbOpt = None,
        lang: LangOpt = None,
        fmt: FormatOpt = "table",
    ) -> None:
        """Discovery: enterprises not holding a tier, closest first (fewest unmet conditions, smallest gaps)."""
        check_format(fmt)
        with open_cw(db, lang, create=False) as cw:
            _show(cw.cultivation.candidates(tier=tier, chain=chain, district=district, date=date, limit=limit),
                  fmt, {"candidates": CAND_COLS})

    @assess.command("gap")
    @handle_errors
    def gap(
        uscc: Annotated[str, typer.Argument(help="USCC of the enterprise.")],
        tier: TierOpt = None,
        date: DateOpt = None,
        application: AppOpt = "new",
        db: DbOpt = None,
        lang: LangOpt = None,
        fmt: FormatOpt = "table",
    ) -> None:
        """Gap report: what must change to reach the next tier (zh/en)."""
        check_format(fmt)
        with open_cw(db, lang, create=False) as cw:
            res = cw.cultivation.gap(uscc, tier=tier, date=date, application=application)
            _show(res, fmt, {})

    @assess.command("pipeline")
    @handle_errors
    def pipeline(
        date: DateOpt = None,
        db: DbOpt = None,
        lang: LangOpt = None,
        fmt: FormatOpt = "table",
    ) -> None:
        """Pipeline: holders per tier by district and chain, new this year, expiring, single champions."""
        check_format(fmt)
        with open_cw(db, lang, create=False) as cw:
            _show(cw.cultivation.pipeline(date=date), fmt, {"pipeline": PIPE_COLS})

    @assess.command("rules")
    @handle_errors
    def rules(
        date: DateOpt = None,
        application: AppOpt = "new",
        db: DbOpt = None,
        lang: LangOpt = None,
        fmt: FormatOpt = "table",
    ) -> None:
        """The rule sets shipped, the one in force per tier on a date, and the settings."""
        check_format(fmt)
        with open_cw(db, lang, create=False) as cw:
            _show(cw.cultivation.rulesets(date=date, application=application), fmt,
                  {"rulesets": ["ruleset", "tier", "document", "version", "tag", "conditions", "score_items"],
                   "selected": ["tier", "ruleset", "basis"], "settings": ["setting", "value"]})

    app.add_typer(assess, name="assess")
