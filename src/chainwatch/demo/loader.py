"""Write the demo city into a database through the same validated import path as real files.

Every frame goes through :func:`chainwatch.store.importer.import_frame` (kind by kind, references
first), so the demo exercises the real validation and import history (``import_batch`` rows named
``demo:seed=N``). Only the ground-truth tables and ``demo_info``, which are not import kinds, are
written directly.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from chainwatch.demo.generator import DEFAULT_ENTERPRISES, DEFAULT_SEED, KIND_ORDER, DemoData, generate
from chainwatch.errors import DatabaseBusy, UsageError
from chainwatch.store import Store
from chainwatch.store.db import _LOCK_PAT


@dataclass
class BuildReport:
    path: str
    seed: int
    n_enterprises: int
    replaced: bool = False
    seconds_generate: float = 0.0
    seconds_import: dict[str, float] = field(default_factory=dict)
    rows: dict[str, int] = field(default_factory=dict)

    @property
    def seconds_total(self) -> float:
        return self.seconds_generate + sum(self.seconds_import.values())


def existing_kind(path: str | Path) -> str | None:
    """'demo' / 'benchmark' for a synthetic database, 'other' for any other file, None if absent."""
    p = Path(path)
    if not p.exists():
        return None
    try:
        con = duckdb.connect(str(p), read_only=True)
    except duckdb.IOException as exc:
        if _LOCK_PAT.search(str(exc)):  # held by another process (e.g. chainwatch serve): never delete it
            raise DatabaseBusy(path=str(p)) from exc
        return "other"
    except duckdb.Error:
        return "other"
    try:
        exists = con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = 'demo_info'").fetchall()
        if not exists[0][0]:
            return "other"
        rows = dict(con.execute("SELECT key, value FROM demo_info").fetchall())
    except duckdb.Error:
        return "other"
    finally:
        con.close()
    if rows.get("synthetic") == "true":
        return rows.get("kind", "demo")
    return "other"


def _remove(p: Path) -> None:
    for f in (p, Path(str(p) + ".wal")):
        if f.exists():
            f.unlink()


def prepare_path(path: str | Path, force: bool = False) -> bool:
    """Delete an existing synthetic database (or any database with ``force``); return whether one was replaced.

    Raises
    ------
    UsageError
        ``demo.not_demo`` when the file holds other data and ``force`` is not given.
    """
    p = Path(path)
    kind = existing_kind(p)
    if kind is None:
        return False
    if kind == "other" and not force:
        raise UsageError("demo.not_demo", path=str(p))
    _remove(p)
    return True


def load(store: Store, data: DemoData, progress: Callable[[str, int, int], None] | None = None,
         timings: dict[str, float] | None = None) -> dict[str, int]:
    """Import every frame of ``data`` into ``store`` and write the ground truth; return rows per table."""
    from chainwatch.store.importer import import_frame

    source = f"demo:seed={data.seed}"
    rows: dict[str, int] = {}
    # mark the file as synthetic first, so that an interrupted build is still recognised as a demo
    store.execute("DELETE FROM demo_info")
    store.executemany("INSERT INTO demo_info (key, value) VALUES (?, ?)",
                          [("synthetic", "true"), ("kind", "demo"), ("status", "building")])
    for k, kind in enumerate(KIND_ORDER):
        frame = data.frames[kind]
        if progress:
            progress(kind, k, len(KIND_ORDER))
        t0 = time.perf_counter()
        report = import_frame(store, kind, frame, source_name=source, unit="万元", actor="demo")
        if timings is not None:
            timings[kind] = time.perf_counter() - t0
        rows[kind] = report.rows_accepted
    t0 = time.perf_counter()
    with store.transaction() as con:
        con.execute("DELETE FROM demo_truth_enterprise")
        con.execute("DELETE FROM demo_truth_segment")
        con.execute("DELETE FROM demo_info")
        con.insert_df("demo_truth_enterprise", data.truth_enterprise, ["uscc", "kind", "start_period", "detail"])
        con.insert_df("demo_truth_segment", data.truth_segment, ["segment_id", "kind", "detail"])
        con.executemany("INSERT INTO demo_info (key, value) VALUES (?, ?)",
                        [*data.info.items(), ("status", "complete")])
    store.audit("demo", "demo.build", source, json.dumps({"rows": rows}, ensure_ascii=False))
    if timings is not None:
        timings["truth"] = time.perf_counter() - t0
    rows["demo_truth_enterprise"] = len(data.truth_enterprise)
    rows["demo_truth_segment"] = len(data.truth_segment)
    return rows


def build_demo(path: str | Path, seed: int = DEFAULT_SEED, n_enterprises: int = DEFAULT_ENTERPRISES,
               force: bool = False, progress: Callable[[str, int, int], None] | None = None) -> BuildReport:
    """Generate the demo city and write it to a new database file at ``path``.

    An existing synthetic database at ``path`` (demo or benchmark) is deleted and rebuilt; any other
    existing file is refused unless ``force`` is given (then it is deleted too).
    """
    from chainwatch.store.pg import is_server_url, safe_url

    if is_server_url(str(path)):
        return _build_on_server(str(path), seed, n_enterprises, force, progress, BuildReport(
            safe_url(str(path)), seed, n_enterprises))
    p = Path(path)
    report = BuildReport(str(p), seed, n_enterprises)
    report.replaced = prepare_path(p, force)
    if progress:
        progress("generate", -1, len(KIND_ORDER))
    t0 = time.perf_counter()
    data = generate(seed, n_enterprises)
    report.seconds_generate = time.perf_counter() - t0
    with Store.open(p) as store:
        report.rows = load(store, data, progress, report.seconds_import)
        store.checkpoint()
    return report


def _build_on_server(url: str, seed: int, n_enterprises: int, force: bool,
                     progress: Callable[[str, int, int], None] | None, report: BuildReport) -> BuildReport:
    """The demo city in a PostgreSQL database: a previous demo (or, with ``force``, anything) is dropped."""
    with Store.open(url) as store:
        has_data = bool(store.scalar("SELECT count(*) FROM enterprise"))
        synthetic = dict(store.rows("SELECT key, value FROM demo_info")).get("synthetic") == "true"
        if has_data and not synthetic and not force:
            raise UsageError("demo.not_demo", path=store.display_name)
        if has_data or synthetic:
            store.drop_everything()  # type: ignore[attr-defined]
            report.replaced = True
    if progress:
        progress("generate", -1, len(KIND_ORDER))
    t0 = time.perf_counter()
    data = generate(seed, n_enterprises)
    report.seconds_generate = time.perf_counter() - t0
    with Store.open(url) as store:
        report.rows = load(store, data, progress, report.seconds_import)
    return report
