"""``chainwatch policy …``: support policies as rules — list, match (免申即享), per enterprise, load."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from chainwatch.cli.common import (
    DbOpt,
    FormatOpt,
    LangOpt,
    check_format,
    err_console,
    handle_errors,
    open_cw,
    show_sections,
)
from chainwatch.errors import ValidationFailed
from chainwatch.service.result import Result


def _show(result: Result, fmt: str, cols: dict[str, list[str] | None]) -> None:
    """JSON/CSV with the stable field names; tables with translated headers."""
    show_sections(result, fmt, cols, "policy")


def _errors(exc: ValidationFailed) -> None:
    for e in (exc.errors or [])[1:20]:
        err_console.print(f"  {e.get('message')}", highlight=False, markup=False)


def register(app: typer.Typer) -> None:
    policy = typer.Typer(help="Support policies as rules (惠企政策直达、免申即享): list, match, per enterprise.",
                         no_args_is_help=True)

    @policy.command("list")
    @handle_errors
    def list_(db: DbOpt = None, lang: LangOpt = None, fmt: FormatOpt = "table") -> None:
        """Every policy: issuer, document, validity, mode, budget."""
        check_format(fmt)
        with open_cw(db, lang, create=False) as cw:
            _show(cw.policy.list(), fmt, {"policies": ["policy_id", "version", "name", "document", "valid_from",
                                                       "valid_to", "mode_label", "budget", "conditions"]})

    @policy.command("match")
    @handle_errors
    def match(
        policy_id: Annotated[str, typer.Argument(help="Policy id (see `policy list`) or a policy YAML file.")],
        period: Annotated[str | None, typer.Option("--period", help="Reference month YYYY-MM (default: the policy's, or the latest).")] = None,
        limit: Annotated[int | None, typer.Option("--limit", help="Rows per list.")] = None,
        db: DbOpt = None,
        lang: LangOpt = None,
        fmt: FormatOpt = "table",
    ) -> None:
        """Who qualifies (with the value behind every condition), near misses, undecidable, payout vs budget."""
        check_format(fmt)
        with open_cw(db, lang, create=False) as cw:
            try:
                res = cw.policy.match(policy_id, period=period, limit=limit, allow_file=True)
            except ValidationFailed as exc:
                _errors(exc)
                raise
            _show(res, fmt, {"summary": ["eligible", "needs_review", "near_miss", "undecidable", "payout_total",
                                         "budget", "budget_used_pct", "pro_rata_factor_pct"],
                             "eligible": None,
                             "near_misses": ["uscc", "name", "district", "unmet", "lacking"],
                             "undecidable": ["uscc", "name", "district", "missing"]})

    @policy.command("for")
    @handle_errors
    def for_(
        uscc: Annotated[str, typer.Argument(help="USCC of the enterprise.")],
        db: DbOpt = None,
        lang: LangOpt = None,
        fmt: FormatOpt = "table",
    ) -> None:
        """Every policy the enterprise qualifies for, nearly qualifies for, and why."""
        check_format(fmt)
        with open_cw(db, lang, create=False) as cw:
            _show(cw.policy.for_enterprise(uscc), fmt,
                  {"policies": ["policy_id", "name", "status_label", "payout", "why"]})

    @policy.command("add")
    @handle_errors
    def add(
        path: Annotated[Path, typer.Argument(help="Policy YAML file.")],
        db: DbOpt = None,
        lang: LangOpt = None,
    ) -> None:
        """Validate a policy file and store it as a new version."""
        with open_cw(db, lang) as cw:
            try:
                res = cw.policy.add(path)
            except ValidationFailed as exc:
                _errors(exc)
                raise
            _show(res, "table", {})

    @policy.command("validate")
    @handle_errors
    def validate(
        path: Annotated[Path, typer.Argument(help="Policy YAML file.")],
        db: DbOpt = None,
        lang: LangOpt = None,
        fmt: FormatOpt = "table",
    ) -> None:
        """Check a policy file without storing it; show its conditions as readable text."""
        check_format(fmt)
        with open_cw(db, lang) as cw:
            try:
                res = cw.policy.validate(path)
            except ValidationFailed as exc:
                _errors(exc)
                raise
            _show(res, fmt, {"conditions": None})

    app.add_typer(policy, name="policy")
