"""``chainwatch serve`` (the web dashboard and JSON API) and ``chainwatch users …`` (accounts)."""

from __future__ import annotations

import os
import sys
from typing import Annotated

import typer

from chainwatch.cli.common import (
    DbOpt,
    FormatOpt,
    LangOpt,
    console,
    emit,
    err_console,
    handle_errors,
    open_cw,
    resolve_lang,
)
from chainwatch.errors import InputError
from chainwatch.i18n import t

ROLE_HELP = "Role: admin (users, settings), analyst (all data), district (assigned districts only), viewer (aggregates)."
PasswordOpt = Annotated[bool, typer.Option(
    "--password-stdin", help="Read the password from standard input (else $CHAINWATCH_PASSWORD, else a prompt).")]


def _password(lang: str, from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    env = os.environ.get("CHAINWATCH_PASSWORD")
    if env:
        return env
    first = typer.prompt(t("web.cli.password_prompt", lang), hide_input=True)
    second = typer.prompt(t("web.cli.password_prompt", lang) + " (2)", hide_input=True)
    if first != second:
        raise InputError("web.cli.password_mismatch")
    return str(first)


def _check_port(host: str, port: int) -> None:
    """Refuse early, with a clear message, when the port cannot be bound."""
    import socket

    from chainwatch.errors import InputError

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            raise InputError("serve.port_busy", host=host, port=port) from None


def uvicorn_options(settings: object) -> dict[str, object]:
    """How ``serve`` runs uvicorn. Proxy headers are left to the app, which believes them only from
    ``trusted_proxies`` (uvicorn's own handling trusted X-Forwarded-For from 127.0.0.1, so any local
    client could pick its address and slip past the login throttle)."""
    return {"host": settings.host, "port": int(settings.port), "log_level": "warning",
            "proxy_headers": False, "server_header": False}


def register(app: typer.Typer) -> None:
    @app.command("serve")
    @handle_errors
    def serve(
        db: DbOpt = None,
        host: Annotated[str | None, typer.Option("--host", help="Address to listen on (default: setting host, 127.0.0.1).")] = None,
        port: Annotated[int | None, typer.Option("--port", help="Port (default: setting port, 8000).")] = None,
        lang: LangOpt = None,
    ) -> None:
        """Start the web dashboard and JSON API (uvicorn). 启动网页看板与 API。"""
        import uvicorn

        from chainwatch.settings import load_settings
        from chainwatch.web import create_app

        lang = resolve_lang(lang)
        settings = load_settings(db=db, host=host, port=port)
        _check_port(settings.host, int(settings.port))
        cw = open_cw(settings.db, lang, create=False, actor="web")
        if cw.users.count() == 0:
            err_console.print(f"[yellow]{t('web.cli.no_users', lang)}[/]")
        if settings.host not in ("127.0.0.1", "localhost", "::1"):
            err_console.print(f"[yellow]{t('web.cli.public_host', lang, host=settings.host)}[/]")
        app_ = create_app(settings, cw=cw)
        console.print(t("web.cli.serving", lang, host=settings.host, port=settings.port, db=cw.store.display_name))
        uvicorn.run(app_, **uvicorn_options(settings))

    users = typer.Typer(help="Web accounts: add, list, passwd, set, remove. 网页用户管理。", no_args_is_help=True)
    app.add_typer(users, name="users")

    @users.command("add")
    @handle_errors
    def users_add(
        username: Annotated[str, typer.Argument(help="Login name.")],
        role: Annotated[str, typer.Option("--role", help=ROLE_HELP)] = "viewer",
        district: Annotated[list[str] | None, typer.Option("--district", help="District code (repeat; district role).")] = None,
        name: Annotated[str | None, typer.Option("--name", help="Display name.")] = None,
        password_stdin: PasswordOpt = False,
        db: DbOpt = None, lang: LangOpt = None,
    ) -> None:
        """Create an account (the first one: chainwatch users add admin --role admin). 新增用户。"""
        lang = resolve_lang(lang)
        with open_cw(db, lang, actor="cli") as cw:
            cw.users.add(username, _password(lang, password_stdin), role, districts=district or [], display_name=name)
            console.print(t("web.cli.user_added", lang, username=username, role=role))

    @users.command("list")
    @handle_errors
    def users_list(db: DbOpt = None, lang: LangOpt = None, fmt: FormatOpt = "table") -> None:
        """List accounts with role and districts. 列出用户。"""
        with open_cw(db, lang) as cw:
            emit(cw.users.list(), fmt)

    @users.command("passwd")
    @handle_errors
    def users_passwd(username: Annotated[str, typer.Argument()], password_stdin: PasswordOpt = False,
                     db: DbOpt = None, lang: LangOpt = None) -> None:
        """Set a new password (ends the user's sessions). 修改密码。"""
        lang = resolve_lang(lang)
        with open_cw(db, lang) as cw:
            cw.users.set_password(username, _password(lang, password_stdin))
            console.print(t("web.cli.passwd_done", lang, username=username))

    @users.command("set")
    @handle_errors
    def users_set(
        username: Annotated[str, typer.Argument()],
        role: Annotated[str | None, typer.Option("--role", help=ROLE_HELP)] = None,
        district: Annotated[list[str] | None, typer.Option("--district", help="District code (repeat).")] = None,
        active: Annotated[bool | None, typer.Option("--active/--inactive", help="Enable or disable the account.")] = None,
        db: DbOpt = None, lang: LangOpt = None, fmt: FormatOpt = "table",
    ) -> None:
        """Change role, districts or active flag. 修改角色、区县或启用状态。"""
        with open_cw(db, lang) as cw:
            emit(cw.users.update(username, role=role, districts=district, active=active), fmt)

    @users.command("remove")
    @handle_errors
    def users_remove(username: Annotated[str, typer.Argument()], db: DbOpt = None, lang: LangOpt = None) -> None:
        """Delete an account. 删除用户。"""
        lang = resolve_lang(lang)
        with open_cw(db, lang) as cw:
            cw.users.remove(username)
            console.print(t("web.cli.user_removed", lang, username=username))
