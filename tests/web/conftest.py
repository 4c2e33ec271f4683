"""Fixtures of the web tests: a small known city (see citydata.py), the app, and clients per role."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

_spec = importlib.util.spec_from_file_location("web_citydata", Path(__file__).with_name("citydata.py"))
citydata = importlib.util.module_from_spec(_spec)  # type: ignore[arg-type]
sys.modules["web_citydata"] = citydata
_spec.loader.exec_module(citydata)  # type: ignore[union-attr]

ROLES = ("admin", "analyst", "official_a", "viewer")


@pytest.fixture(scope="session")
def city() -> object:
    return citydata


@pytest.fixture(scope="session")
def web_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    """Path of the small city database (built once per session)."""
    return citydata.build(str(tmp_path_factory.mktemp("web") / "city.duckdb"))


@pytest.fixture(scope="session")
def app(web_db: str):  # noqa: ANN201
    from chainwatch.web import create_app

    return create_app(db=web_db, warm=False)


def login(app, username: str, password: str = citydata.PASSWORD) -> TestClient:  # noqa: ANN001
    """A TestClient logged in with a bearer token (no CSRF needed for bearer calls)."""
    client = TestClient(app, raise_server_exceptions=False)
    r = client.post("/api/auth/login", json={"username": username, "password": password})
    assert r.status_code == 200, r.text
    client.headers["Authorization"] = f"Bearer {r.json()['token']}"
    return client


@pytest.fixture(scope="session")
def clients(app) -> Iterator[dict[str, TestClient]]:  # noqa: ANN001
    yield {role: login(app, role) for role in ROLES}
