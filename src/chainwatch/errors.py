"""The one exception root of chainwatch.

Every error a user can cause is a :class:`ChainwatchError`. It carries a message key from the
catalogue (:mod:`chainwatch.i18n`) and its parameters, so each surface translates it once: the CLI
prints one red line and exits with ``exit_code``; the web API returns a JSON error envelope with
``http_status``.
"""

from __future__ import annotations

from typing import Any


class ChainwatchError(Exception):
    """Root of all expected chainwatch errors."""

    exit_code = 1
    http_status = 400
    default_key = "error.generic"

    def __init__(self, key: str | None = None, /, **params: Any) -> None:
        self.key = key or self.default_key
        self.params = params
        super().__init__(self.key)

    def message(self, lang: str = "zh") -> str:
        from chainwatch.i18n import t

        return t(self.key, lang, **self.params)

    def __str__(self) -> str:  # English for logs and tracebacks
        return self.message("en")


class InputError(ChainwatchError, ValueError):
    """Bad input: a file, a value, a code, a rules file (exit 1, HTTP 400/422)."""

    http_status = 422
    default_key = "error.input"


class ValidationFailed(InputError):
    """An import or rules file failed validation; ``errors`` holds row-level detail."""

    default_key = "import.failed"

    def __init__(self, key: str | None = None, /, errors: Any = None, **params: Any) -> None:
        super().__init__(key, **params)
        self.errors = errors


class NotFound(ChainwatchError, LookupError):
    """A named object (enterprise, chain, warning, policy …) does not exist."""

    http_status = 404
    default_key = "error.not_found"


class UsageError(ChainwatchError):
    """Wrong usage of a command or option (exit 2)."""

    exit_code = 2
    default_key = "error.usage"


class DatabaseBusy(ChainwatchError):
    """The database is held by another process (exit 3, HTTP 503)."""

    exit_code = 3
    http_status = 503
    default_key = "db.busy"


class EngineError(ChainwatchError):
    """A compute engine (Spark, an in-process DuckDB over Parquet) failed or is unavailable (HTTP 502)."""

    http_status = 502
    default_key = "engine.failed"


class PermissionDenied(ChainwatchError, PermissionError):
    """The user's role or district scope does not allow this (HTTP 403)."""

    http_status = 403
    default_key = "auth.forbidden"


class AuthenticationRequired(ChainwatchError):
    """No valid session (HTTP 401)."""

    http_status = 401
    default_key = "auth.required"
