"""The one service facade between the surfaces (CLI, API, pages, Python API) and the modules.

``Chainwatch`` opens the store and exposes one sub-service per feature (``cw.stats``,
``cw.chains`` …). Surfaces call only these; sub-services call the pure analytics and the store.
Each sub-service lives in its own module ``chainwatch.service.<name>`` and receives the facade.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

from chainwatch.i18n import check_lang
from chainwatch.service.result import Result
from chainwatch.settings import Settings, load_settings
from chainwatch.store import Store

# attribute -> "module:Class"; a feature registers its sub-service here
SUBSERVICES: dict[str, str] = {
    "data": "chainwatch.service.data:DataService",
    "stats": "chainwatch.service.stats:StatsService",
    "chains": "chainwatch.service.chains:ChainsService",
    "risk": "chainwatch.service.risk:RiskService",
    "shock": "chainwatch.service.shock:ShockService",
    "cultivation": "chainwatch.service.cultivation:CultivationService",
    "policy": "chainwatch.service.policy:PolicyService",
    "trade": "chainwatch.service.trade:TradeService",
    "reports": "chainwatch.service.reports:ReportService",
    "users": "chainwatch.service.users:UserService",
    "io_tables": "chainwatch.service.iotables:IOTableService",
    "audit": "chainwatch.service.audit:AuditService",
    "parquet": "chainwatch.service.parquet:ParquetService",
    "network": "chainwatch.service.network:NetworkService",
}


class Chainwatch:
    """An open chainwatch database and the services over it.

    Parameters
    ----------
    db : path of the DuckDB file (default from settings); ``":memory:"`` for a throw-away one.
    lang : ``zh`` (default) or ``en`` for every text the services produce.
    actor : who acts, recorded in the audit log and import history.
    scope : district codes the caller may see, or None for all (district officials are scoped).
    """

    def __init__(self, db: str | Path | None = None, *, lang: str | None = None, actor: str = "cli",
                 settings: Settings | None = None, create: bool = True, read_only: bool = False,
                 scope: list[str] | None = None) -> None:
        self.settings = settings or load_settings()
        self.db_path = str(db or self.settings.db)
        self.lang = check_lang(lang or self.settings.lang)
        self.actor = actor
        self.scope = scope
        self.store = Store.open(self.db_path, create=create, read_only=read_only,
                                threads=int(self.settings.threads or 0))
        self._subs: dict[str, Any] = {}

    def __getattr__(self, name: str) -> Any:
        target = SUBSERVICES.get(name)
        if target is None:
            raise AttributeError(name)
        if name not in self._subs:
            module, cls = target.split(":")
            self._subs[name] = getattr(importlib.import_module(module), cls)(self)
        return self._subs[name]

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> Chainwatch:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def meta(self, **extra: Any) -> dict[str, Any]:
        """Common ``meta`` fields of every result (the CLI, the API and the bulletin share them)."""
        from datetime import datetime

        import chainwatch

        return {"database": self.store.display_name, "lang": self.lang, "chainwatch_version": chainwatch.__version__,
                "generated_at": datetime.now().isoformat(timespec="seconds"), **extra}


__all__ = ["Chainwatch", "Result"]
