"""``chainwatch store copy``: move a whole database between backends (DuckDB ⇄ PostgreSQL).

Every table of the schema travels with its rows unchanged — import history, value revisions,
warnings with their append-only event chains, users and their districts, saved scenarios — and the
sequences continue where the source stopped. Rows move as CSV written by one side's bulk export
(DuckDB ``COPY … TO``, PostgreSQL ``COPY … TO STDOUT``) and read by the other's bulk load, one table
at a time, inside **one transaction on the target**: a failed copy leaves the target as it was.

The target must be empty (a fresh database: only the reference codes that every new database is
seeded with) unless ``replace`` is given, which deletes the target's rows first.
"""

from __future__ import annotations

import os
import tempfile
import time
from dataclasses import dataclass, field
from typing import Any

from chainwatch.errors import ChainwatchError
from chainwatch.store.db import Store

# seeded into every new database: replaced by the source's rows, not counted as "data"
SEEDED = frozenset({"region", "industry", "hs_code", "partner_group", "schema_migration"})


@dataclass
class CopyReport:
    source: str
    target: str
    tables: list[dict[str, Any]] = field(default_factory=list)
    sequences: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


def _has_data(store: Store) -> list[str]:
    return [t for t in store.tables() if t not in SEEDED and store.scalar(f"SELECT count(*) FROM {t}")]


def copy_database(source: Store, target: Store, *, replace: bool = False) -> CopyReport:
    """Copy every table and sequence of ``source`` into ``target`` (see the module docstring)."""
    t0 = time.perf_counter()
    found, supported = source.schema_version(), target.schema_version()
    if found > supported:
        raise ChainwatchError("db.newer", path=source.display_name, found=found, supported=supported)
    busy = _has_data(target)
    if busy and not replace:
        raise ChainwatchError("store.copy_not_empty", target=target.display_name, tables=", ".join(busy[:5]))
    report = CopyReport(source.display_name, target.display_name)
    target_tables = set(target.tables())
    tables = [t for t in source.tables() if t in target_tables and t != "schema_migration"]
    fd, tmp = tempfile.mkstemp(prefix="cw-copy-", suffix=".csv")
    os.close(fd)
    try:
        with target.transaction():
            for table in tables:
                cols = [c for c, _ in target.columns(table)]
                have = {c for c, _ in source.columns(table)}
                shared = [c for c in cols if c in have]
                try:
                    target.execute(f"DELETE FROM {table}")
                    source.export_csv(table, shared, tmp)
                    if os.path.getsize(tmp):
                        target.import_csv(table, shared, tmp)
                except ChainwatchError:
                    raise
                except Exception as exc:  # a constraint of the target, a full disk …: nothing is kept
                    detail = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
                    raise ChainwatchError("store.copy_failed", table=table, detail=detail) from exc
                n_src = int(source.scalar(f"SELECT count(*) FROM {table}"))
                n_dst = int(target.scalar(f"SELECT count(*) FROM {table}"))
                if n_src != n_dst:
                    raise ChainwatchError("store.copy_mismatch", table=table, source=n_src, target=n_dst)
                report.tables.append({"table": table, "rows": n_dst})
            seqs = source.sequences()
            for name, nxt in target.sequences().items():
                if name in seqs:
                    target.set_sequence(name, seqs[name])
                    report.sequences[name] = seqs[name]
                else:
                    report.sequences[name] = nxt
    finally:
        os.unlink(tmp)
    target.checkpoint()
    report.seconds = time.perf_counter() - t0
    return report
