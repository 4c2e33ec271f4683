"""``chainwatch audit list|verify``: the security audit log (logins, lockouts, account changes, refused
accesses, exports, import confirmations), hash-chained and verifiable."""

from __future__ import annotations

from typing import Annotated

import typer

from chainwatch.cli.common import DbOpt, FormatOpt, LangOpt, check_format, emit, handle_errors, open_cw


def register(app: typer.Typer) -> None:
    audit = typer.Typer(help="Security audit log: list, verify. 安全审计日志。", no_args_is_help=True)
    app.add_typer(audit, name="audit")

    @audit.command("list")
    @handle_errors
    def audit_list(
        since: Annotated[str | None, typer.Option("--since", help="From this date or time (2026-12-01, 2026-12-01T08:00).")] = None,
        actor: Annotated[str | None, typer.Option("--actor", help="Only this user.")] = None,
        action: Annotated[str | None, typer.Option("--action", help="An action (login) or a prefix ending in a dot (user.).")] = None,
        outcome: Annotated[str | None, typer.Option("--outcome", help="ok, failed or denied.")] = None,
        limit: Annotated[int, typer.Option("--limit", help="Most entries to show, newest first.")] = 200,
        db: DbOpt = None, lang: LangOpt = None, fmt: FormatOpt = "table",
    ) -> None:
        """Security events, newest first. 列出安全事件。"""
        fmt = check_format(fmt)
        with open_cw(db, lang, create=False) as cw:
            emit(cw.audit.list(since=since, actor=actor, action=action, outcome=outcome, limit=limit), fmt)

    @audit.command("verify")
    @handle_errors
    def audit_verify(db: DbOpt = None, lang: LangOpt = None, fmt: FormatOpt = "table") -> None:
        """Recompute the hash chain; exit 1 when an entry was changed, inserted or removed. 校验防篡改哈希链。"""
        fmt = check_format(fmt)
        with open_cw(db, lang, create=False) as cw:
            res = cw.audit.verify()
            emit(res, fmt)
            if not bool(res.tables["verify"]["ok"].iat[0]):  # type: ignore[index]
                raise typer.Exit(1)
