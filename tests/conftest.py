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
import tempfile
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


# -- PostgreSQL (issue 22) ---------------------------------------------------------------------------
# ``pg_server`` (session): a throw-away PostgreSQL cluster started from the Debian binaries
#     (initdb/pg_ctl) in a temp directory on a free port. Skipped with the reason when the binaries are
#     absent (a user's machine); with CHAINWATCH_REQUIRE_PG=1 (set by scripts/test.sh, so in CI) that
#     is a failure instead.
# ``pg_url`` (function): URL of a new empty database in that cluster (dropped afterwards).
# ``demo_pg`` (function): URL of a private PostgreSQL copy of the demo city (``CREATE DATABASE …
#     TEMPLATE`` of one built once per session by ``chainwatch store copy`` from ``demo_db``).
# ``demo_any`` (function, parametrised ``duckdb`` / ``postgresql``): a writable demo database URL or
#     path on either backend; ``demo_cw_any`` the read-write Chainwatch over it.
_PG_COUNTER = iter(range(1, 1_000_000))


@pytest.fixture(scope="session")
def pg_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    from chainwatch.store.pglocal import LocalPostgres, available

    reason = available()
    if reason:
        if os.environ.get("CHAINWATCH_REQUIRE_PG") == "1":
            pytest.fail(f"PostgreSQL is required here (CHAINWATCH_REQUIRE_PG=1): {reason}")
        pytest.skip(reason)
    # not under pytest's numbered temp folders: a concurrent pytest session on the same machine prunes
    # old ones, which would delete the running cluster's files
    folder = tempfile.mkdtemp(prefix="chainwatch-pg-")
    server = LocalPostgres(folder).start()
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture()
def pg_url(pg_server: object) -> Iterator[str]:
    name = f"cw_t{os.getpid()}_{next(_PG_COUNTER)}"
    url = pg_server.create_database(name)  # type: ignore[attr-defined]
    yield url
    pg_server.drop_database(name)  # type: ignore[attr-defined]


@pytest.fixture(scope="session")
def _demo_pg_template(pg_server: object, demo_db: str) -> str:
    """Name of a template database holding the demo city (copied from the DuckDB demo once)."""
    from chainwatch.store import Store
    from chainwatch.store.copy import copy_database

    name = "cw_demo_template"
    url = pg_server.create_database(name)  # type: ignore[attr-defined]
    with Store.open(demo_db, read_only=True) as src, Store.open(url) as dst:
        copy_database(src, dst)
    return name


@pytest.fixture()
def demo_pg(pg_server: object, _demo_pg_template: str) -> Iterator[str]:
    """URL of a private, writable PostgreSQL copy of the demo city."""
    name = f"cw_demo{os.getpid()}_{next(_PG_COUNTER)}"
    url = pg_server.create_database(name, template=_demo_pg_template)  # type: ignore[attr-defined]
    yield url
    pg_server.drop_database(name)  # type: ignore[attr-defined]


@pytest.fixture(params=["duckdb", "postgresql"])
def demo_any(request: pytest.FixtureRequest) -> str:
    """A private writable demo city on each backend in turn (path or URL)."""
    if request.param == "duckdb":
        return str(request.getfixturevalue("demo_db_copy"))
    return str(request.getfixturevalue("demo_pg"))


@pytest.fixture()
def demo_cw_any(demo_any: str) -> Iterator[object]:
    from chainwatch.service import Chainwatch

    cw = Chainwatch(demo_any, lang="zh", actor="test")
    try:
        yield cw
    finally:
        cw.close()
