"""Shared fixtures for every chainwatch test package.

``demo_db`` (session scope)
    Path (``str``) of a default-size demo city database (seed 2021, 5,000 enterprises, months
    2018-01..2021-12), built once per test session through the real import path. Treat it as
    **read-only**: open it with ``Chainwatch(demo_db, read_only=True)`` or
    ``duckdb.connect(demo_db, read_only=True)`` and close the connection at the end of the test.
    The planted ground truth is in ``demo_truth_enterprise`` / ``demo_truth_segment`` and the
    parameters in ``demo_info`` (see docs/demo.md).

    Building takes about 8 s on an idle 2-core machine (20–40 s when it is heavily shared). The built file is cached between sessions in
    ``.pytest_cache/chainwatch/demo-<hash>.duckdb``, keyed by a hash of the demo generator, the
    store's import code and every migration, so a change to any of them rebuilds it. Set
    ``CHAINWATCH_TEST_CACHE=0`` to disable the cache, or to a directory to move it.

``demo_cw`` (function scope)
    A read-write :class:`chainwatch.service.Chainwatch` (lang ``zh``, actor ``test``) on a private
    **copy** of ``demo_db`` in the test's ``tmp_path``, so tests that write (warnings, imports,
    users …) do not interfere with each other. Closed after the test. Its path is ``demo_cw.db_path``.

``demo_db_copy`` (function scope)
    Path of a private copy of ``demo_db`` (for tests that open the file themselves, e.g. CLI runs).
"""

from __future__ import annotations

import hashlib
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

DEMO_SEED = 2021
DEMO_ENTERPRISES = 5000


def _source_hash() -> str:
    import chainwatch.demo
    import chainwatch.store

    h = hashlib.sha256(f"{DEMO_SEED}:{DEMO_ENTERPRISES}".encode())
    demo_dir = Path(chainwatch.demo.__file__).parent
    store_dir = Path(chainwatch.store.__file__).parent
    files = sorted(demo_dir.glob("*.py")) + sorted((store_dir / "migrations").glob("*.sql")) \
        + [store_dir / n for n in ("importer.py", "kinds.py", "reference.py", "db.py")]
    for f in files:
        if f.exists():
            h.update(f.name.encode())
            h.update(f.read_bytes())
    return h.hexdigest()[:16]


def _cache_dir(config: pytest.Config) -> Path | None:
    env = os.environ.get("CHAINWATCH_TEST_CACHE")
    if env == "0":
        return None
    if env:
        return Path(env)
    return Path(config.rootpath) / ".pytest_cache" / "chainwatch"


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory: pytest.TempPathFactory, pytestconfig: pytest.Config) -> str:
    """Path of the default demo city database (built once per session, cached between sessions)."""
    from chainwatch.demo.loader import build_demo

    target = tmp_path_factory.mktemp("demo_city") / "demo.duckdb"
    cache = _cache_dir(pytestconfig)
    cached = cache / f"demo-{_source_hash()}.duckdb" if cache else None
    if cached is not None and cached.exists():
        shutil.copyfile(cached, target)
        return str(target)
    build_demo(target, seed=DEMO_SEED, n_enterprises=DEMO_ENTERPRISES)
    if cached is not None:
        try:
            cached.parent.mkdir(parents=True, exist_ok=True)
            for old in cached.parent.glob("demo-*.duckdb"):
                old.unlink(missing_ok=True)
            tmp = cached.with_suffix(f".{os.getpid()}.tmp")
            shutil.copyfile(target, tmp)
            os.replace(tmp, cached)   # atomic: parallel sessions never see a half-written file
        except OSError:
            pass
    return str(target)


@pytest.fixture()
def demo_db_copy(demo_db: str, tmp_path: Path) -> str:
    """Path of a private, writable copy of the demo database."""
    dst = tmp_path / "demo_copy.duckdb"
    shutil.copyfile(demo_db, dst)
    return str(dst)


@pytest.fixture()
def demo_cw(demo_db_copy: str) -> Iterator[object]:
    """A read-write Chainwatch on a private copy of the demo database (closed afterwards)."""
    from chainwatch.service import Chainwatch

    cw = Chainwatch(demo_db_copy, lang="zh", actor="test")
    try:
        yield cw
    finally:
        cw.close()
