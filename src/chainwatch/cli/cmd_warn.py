"""``chainwatch warn`` (compute a period's warnings) and ``chainwatch warnings`` (work them)."""

from __future__ import annotations

from typing import Annotated

import pandas as pd
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
from chainwatch.service.result import Result

_TABLE_COLS = ["id", "level", "state", "subject_level", "subject_name", "rule_id", "period", "owner", "due_at",
               "explanation"]
IdArg = Annotated[int, typer.Argument(help="Warning id.")]
ActorOpt = Annotated[str | None, typer.Option("--actor", help="Who acts (recorded in the audit trail).")]
NoteOpt = Annotated[str | None, typer.Option("--note", "-n", help="Note recorded with the change.")]


def _view(result: Result, fmt: str) -> None:
    """Full result for json/csv; a narrower table on screen."""
    if fmt != "table":
        emit(result, fmt)
        return
    tables = {}
    for name, table in result.tables.items():
        if not isinstance(table, pd.DataFrame):
            tables[name] = table
            continue
        if name in ("warnings", "warning"):
            table = table[[c for c in _TABLE_COLS if c in table.columns]]
        if name == "events":
            table = table[[c for c in ("seq", "event_at", "actor", "action_text", "from_state", "to_state",
                                       "from_grade", "to_grade", "period", "note") if c in table.columns]]
        if name == "subjects":
            continue
        tables[name] = table
    emit(Result(result.command, result.meta, tables, result.text), "table")


def register(app: typer.Typer) -> None:
    @app.command("warn")
    @handle_errors
    def warn(
        period: Annotated[str | None, typer.Option("--period", "-p", help="Month YYYY-MM to evaluate.")] = None,
        rules: Annotated[str | None, typer.Option("--rules", help="Rules file (YAML); default: setting "
                                                                  "rules_file or the shipped rule set.")] = None,
        check: Annotated[bool, typer.Option("--check-rules", help="Only validate the rules file and list it.")]
        = False,
        fmt: FormatOpt = "table",
        db: DbOpt = None,
        lang: LangOpt = None,
    ) -> None:
        """Compute and store the warnings of a period (产业链运行风险预警). A warning that continues is updated."""
        fmt = check_format(fmt)
        lang = resolve_lang(lang)
        with open_cw(db, lang, create=not check, actor="cli") as cw:
            if check:
                emit(cw.risk.check_rules(rules), fmt)
                return
            if period is None:
                from chainwatch.errors import UsageError

                raise UsageError("error.usage", detail="--period YYYY-MM")
            _view(cw.risk.run(period, rules_file=rules), fmt)

    w = typer.Typer(help="List, show and work warnings: ack, assign, confirm, no-impact, resolve. 预警处置。",
                    no_args_is_help=True)
    app.add_typer(w, name="warnings")

    @w.command("list")
    @handle_errors
    def list_(
        level: Annotated[str | None, typer.Option("--level", help="Minimum level: blue|yellow|orange|red.")] = None,
        status: Annotated[str | None, typer.Option("--status", help="new|acknowledged|confirmed|no_impact|"
                                                                     "resolved (default: all open).")] = None,
        period: Annotated[str | None, typer.Option("--period", "-p", help="Last evaluated in this month.")] = None,
        subject: Annotated[str | None, typer.Option("--subject", help="enterprise|segment|chain|district|total.")]
        = None,
        rule: Annotated[str | None, typer.Option("--rule", help="Rule id.")] = None,
        all_: Annotated[bool, typer.Option("--all", help="Include resolved warnings.")] = False,
        limit: Annotated[int | None, typer.Option("--limit", help="At most this many rows.")] = None,
        fmt: FormatOpt = "table",
        db: DbOpt = None,
        lang: LangOpt = None,
    ) -> None:
        """Stored warnings, worst first."""
        fmt = check_format(fmt)
        with open_cw(db, resolve_lang(lang), create=False) as cw:
            _view(cw.risk.list(level=level, state=status, period=period, subject_level=subject, rule_id=rule,
                               include_closed=all_, limit=limit), fmt)

    @w.command("show")
    @handle_errors
    def show(wid: IdArg, fmt: FormatOpt = "table", db: DbOpt = None, lang: LangOpt = None) -> None:
        """One warning: explanation, evidence, grade history and audit trail."""
        fmt = check_format(fmt)
        with open_cw(db, resolve_lang(lang), create=False) as cw:
            _view(cw.risk.show(wid), fmt)

    @w.command("summary")
    @handle_errors
    def summary(period: Annotated[str, typer.Option("--period", "-p", help="Month YYYY-MM.")],
                fmt: FormatOpt = "table", db: DbOpt = None, lang: LangOpt = None) -> None:
        """Counts by level and subject; new, cleared and resolved in the period."""
        fmt = check_format(fmt)
        with open_cw(db, resolve_lang(lang), create=False) as cw:
            emit(cw.risk.summary(period), fmt)

    def _act(wid: int, action: str, actor: str | None, db: str | None, lang: str | None, fmt: str,
             **fields: object) -> None:
        fmt = check_format(fmt)
        with open_cw(db, resolve_lang(lang), create=False, actor=actor or "cli") as cw:
            _view(cw.risk.transition(wid, action, actor=actor or "cli", **fields), fmt)

    @w.command("ack")
    @handle_errors
    def ack(wid: IdArg, note: NoteOpt = None, actor: ActorOpt = None, fmt: FormatOpt = "table", db: DbOpt = None,
            lang: LangOpt = None) -> None:
        """Acknowledge a new warning (签收)."""
        _act(wid, "ack", actor, db, lang, fmt, note=note)

    @w.command("assign")
    @handle_errors
    def assign(wid: IdArg, to: Annotated[str, typer.Option("--to", help="New owner.")],
               due: Annotated[str | None, typer.Option("--due", help="Due date YYYY-MM-DD.")] = None,
               note: NoteOpt = None, actor: ActorOpt = None, fmt: FormatOpt = "table", db: DbOpt = None,
               lang: LangOpt = None) -> None:
        """Assign an owner (and a due date) (指派)."""
        _act(wid, "assign", actor, db, lang, fmt, owner=to, due=due, note=note)

    @w.command("confirm")
    @handle_errors
    def confirm(wid: IdArg, note: Annotated[str, typer.Option("--note", "-n", help="Impact note (required).")],
                due: Annotated[str | None, typer.Option("--due", help="Resolution due date YYYY-MM-DD.")] = None,
                actor: ActorOpt = None, fmt: FormatOpt = "table", db: DbOpt = None, lang: LangOpt = None) -> None:
        """Confirm the impact of an acknowledged warning (确认影响)."""
        _act(wid, "confirm", actor, db, lang, fmt, note=note, due=due, impact={"note": note})

    @w.command("no-impact")
    @handle_errors
    def no_impact(wid: IdArg, note: Annotated[str, typer.Option("--note", "-n", help="Reason (required).")],
                  actor: ActorOpt = None, fmt: FormatOpt = "table", db: DbOpt = None, lang: LangOpt = None) -> None:
        """Judge an acknowledged warning to have no impact (无影响)."""
        _act(wid, "no_impact", actor, db, lang, fmt, note=note)

    @w.command("resolve")
    @handle_errors
    def resolve(wid: IdArg, note: Annotated[str, typer.Option("--note", "-n", help="Resolution note (required).")],
                code: Annotated[str | None, typer.Option("--code", help="recovered|mitigated|accepted|no_impact|"
                                                                          "false_alarm.")] = None,
                actor: ActorOpt = None, fmt: FormatOpt = "table", db: DbOpt = None, lang: LangOpt = None) -> None:
        """Resolve a confirmed or no-impact warning (办结)."""
        _act(wid, "resolve", actor, db, lang, fmt, note=note, code=code)

    @w.command("comment")
    @handle_errors
    def comment(wid: IdArg, note: Annotated[str, typer.Option("--note", "-n", help="Comment.")],
                actor: ActorOpt = None, fmt: FormatOpt = "table", db: DbOpt = None, lang: LangOpt = None) -> None:
        """Add a comment to the audit trail (备注)."""
        _act(wid, "comment", actor, db, lang, fmt, note=note)

    @w.command("override")
    @handle_errors
    def override(wid: IdArg, grade: Annotated[int, typer.Option("--grade", help="0 (none) … 4 (red).")],
                 note: Annotated[str, typer.Option("--note", "-n", help="Reason (required).")],
                 actor: ActorOpt = None, fmt: FormatOpt = "table", db: DbOpt = None, lang: LangOpt = None) -> None:
        """Set the grade by hand, with a reason (人工调整等级)."""
        _act(wid, "override", actor, db, lang, fmt, grade=grade, note=note)
