"""The ``chainwatch`` command: one Typer app; each feature registers its commands."""

from __future__ import annotations

import importlib

import typer

from chainwatch.cli.common import STATE

app = typer.Typer(
    name="chainwatch",
    help="chainwatch: 产业链运行监测预警平台 / industrial-chain monitoring and early warning.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

# feature command modules; each defines register(app)
COMMAND_MODULES = ("core", "demo", "stats", "chains", "warn", "shock", "assess", "policy", "trade", "report",
                   "serve", "parquet", "network", "store", "audit")


@app.callback()
def _root(
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks on errors."),
    lang: str | None = typer.Option(None, "--lang", help="Language for all output: zh (default) or en."),
) -> None:
    STATE["debug"] = debug
    STATE["lang"] = lang


for _name in COMMAND_MODULES:
    try:
        _mod = importlib.import_module(f"chainwatch.cli.cmd_{_name}")
    except ModuleNotFoundError as _exc:  # feature not present in this build
        if _exc.name != f"chainwatch.cli.cmd_{_name}":
            raise
        continue
    _mod.register(app)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
