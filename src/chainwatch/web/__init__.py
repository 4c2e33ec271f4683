"""chainwatch web: FastAPI JSON API and server-rendered dashboard (see docs/web.md)."""

from chainwatch.web.app import create_app

__all__ = ["create_app"]
