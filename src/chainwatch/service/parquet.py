"""Parquet service: the store as a Parquet export (for Spark, object storage, backups) and back.

``cw.parquet.export(directory, tables)`` writes every table (monthly tables partitioned by year) with a
manifest; ``cw.parquet.load(directory)`` loads an export into an empty database after checking the
manifest, schema version and every file's checksum. The work is in :mod:`chainwatch.store.parquet`.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from chainwatch.i18n import t
from chainwatch.service.result import Result
from chainwatch.store import parquet as pq_store

if TYPE_CHECKING:
    from chainwatch.service import Chainwatch


class ParquetService:
    """Export and load of the open store as Parquet."""

    def __init__(self, cw: Chainwatch) -> None:
        self.cw = cw
        self.store = cw.store

    @classmethod
    def without_database(cls, lang: str = "zh") -> ParquetService:
        """A service for :meth:`verify` only (no database is opened)."""
        from chainwatch.service.shock import _NoDatabase

        return cls(_NoDatabase(lang))  # type: ignore[arg-type]

    @staticmethod
    def parse_tables(tables: str | Sequence[str] | None) -> list[str] | None:
        if tables is None:
            return None
        items = tables.split(",") if isinstance(tables, str) else list(tables)
        return [x.strip() for x in items if x and x.strip()] or None

    def export(self, directory: str | Path, tables: str | Sequence[str] | None = None, *,
               overwrite: bool = False) -> Result:
        """Write the store (or ``tables``) to ``directory`` as Parquet with ``manifest.json``."""
        manifest = pq_store.export_parquet(self.store, directory, self.parse_tables(tables), overwrite=overwrite)
        self.store.audit(self.cw.actor, "export-parquet", str(directory),
                         f"{len(manifest['tables'])} tables, schema {manifest['schema_version']}")
        return self._result("export.parquet", directory, manifest, [
            {"table": name, "rows": e["rows"], "files": len(e["files"]), "bytes": sum(f["bytes"] for f in e["files"]),
             "partition_by": e["partition_by"]} for name, e in manifest["tables"].items()])

    def load(self, directory: str | Path) -> Result:
        """Load an export into this (empty) database; refused with a clear message on any mismatch."""
        out = pq_store.import_parquet(self.store, directory, actor=self.cw.actor)
        return self._result("import-parquet", directory, out["manifest"], out["tables"])

    def verify(self, directory: str | Path) -> Result:
        """Check an export's files against its manifest without loading it."""
        manifest = pq_store.verify_export(directory)
        return self._result("export.verify", directory, manifest, [
            {"table": name, "rows": e["rows"], "files": len(e["files"])} for name, e in manifest["tables"].items()])

    def _result(self, command: str, directory: str | Path, manifest: dict, rows: list[dict]) -> Result:
        lang = self.cw.lang
        total = sum(int(r["rows"]) for r in rows)
        key = {"export.parquet": "parquet.exported", "import-parquet": "parquet.imported",
               "export.verify": "parquet.verified"}[command]
        meta = self.cw.meta(directory=str(directory), format=manifest["format"],
                            format_version=manifest["format_version"], schema_version=manifest["schema_version"],
                            source=manifest.get("source"), created_at=manifest.get("created_at"),
                            n_tables=len(rows), n_rows=total)
        return Result(command, meta=meta, tables={"tables": pd.DataFrame(rows)},
                      text=[t(key, lang, n=len(rows), rows=f"{total:,}", path=str(directory),
                              version=manifest["schema_version"])])
