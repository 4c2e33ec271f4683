"""schemathesis against the OpenAPI schema: generated requests as an administrator and as a district
official never produce a server error (and a district official never gets another district's firms)."""

from __future__ import annotations

import re

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

USCC_RE = re.compile(r"[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}")
SKIP_PATHS = {"/api/auth/logout"}  # would end the shared session


@pytest.fixture(scope="module")
def api_schema(app):
    return schemathesis.openapi.from_asgi("/api/openapi.json", app)


def test_openapi_describes_the_api(app, clients):
    doc = clients["viewer"].get("/api/openapi.json").json()
    paths = doc["paths"]
    for p in ("/api/overview", "/api/chains/{chain_id}", "/api/enterprises/{uscc}", "/api/warnings",
              "/api/warnings/{wid}/{action}", "/api/imports", "/api/simulation/run", "/api/cultivation",
              "/api/trade", "/api/users", "/api/auth/login"):
        assert p in paths, p
    assert "ErrorEnvelope" in doc["components"]["schemas"]
    assert not any(p.startswith(("/chains", "/login", "/warnings")) for p in paths)  # pages are not API


@pytest.mark.slow
def test_no_server_error(api_schema, clients, city):
    """Every operation, a few generated requests each, as an administrator and a district official."""
    ops = [r.ok() for r in api_schema.get_all_operations()]
    assert len(ops) > 20
    for op in ops:
        if op.path in SKIP_PATHS:
            continue

        @settings(max_examples=6, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        @given(case=op.as_strategy())
        def run(case):
            for role in ("admin", "official_a"):
                response = case.call(headers={"Authorization": clients[role].headers["Authorization"]}, timeout=600)
                assert response.status_code < 500, (role, case.method, case.formatted_path, response.text[:300])
                if role == "official_a":
                    assert not set(USCC_RE.findall(response.text)) & city.IN_B, (case.method, case.formatted_path)

        run()
