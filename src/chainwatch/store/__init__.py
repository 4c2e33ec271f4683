"""The embedded DuckDB store: schema, migrations and the validated import pipeline."""

from chainwatch.store.db import Store

__all__ = ["Store"]
