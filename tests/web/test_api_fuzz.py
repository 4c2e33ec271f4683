"""API fuzzing: schemathesis over the app's OpenAPI document, in-process (ASGI), as every role.

Properties, for every operation and every generated request:

* never a 5xx (503 — overload, a run stopped at its time limit — is allowed);
* an error is the one JSON envelope ``{"error": {"status", "key", "message", "errors"}}``;
* a write that is refused (4xx/503) leaves every data table exactly as it was (row counts and row hashes;
  the log tables — audit, security events, login attempts, sessions — are meant to grow);
* an anonymous caller gets nothing but 401 outside login and health;
* a district official never sees an enterprise of another district.

The default run is bounded (a couple of derandomised examples per operation and role, about a minute);
``pytest -m fuzz`` runs the long version (``CHAINWATCH_FUZZ_EXAMPLES``, default 40 per operation and
role) plus a structured scenario fuzzer for ``POST /api/simulation/run``.
"""

from __future__ import annotations

import os
import re
import shutil
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, assume, given, settings
from hypothesis import strategies as st

USCC_RE = re.compile(r"[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}")
ROLES = ("admin", "analyst", "official_a", "viewer")
PUBLIC = {"/api/auth/login", "/api/health"}
#: operations that would end or change the shared sessions of the fuzzing clients
SKIP = {("POST", "/api/auth/logout"), ("POST", "/api/auth/password")}
#: tables that a refused request may legitimately append to
LOG_TABLES = {"audit_log", "security_event", "web_login_attempt", "web_session"}
WRITES = {"POST", "PUT", "PATCH", "DELETE"}
LONG = int(os.environ.get("CHAINWATCH_FUZZ_EXAMPLES", "40"))


@pytest.fixture(scope="module")
def fuzz_env(web_db, tmp_path_factory, city):  # noqa: ANN001, ANN201
    from chainwatch.settings import load_settings
    from chainwatch.web import create_app

    db = tmp_path_factory.mktemp("fuzz") / "city.duckdb"
    shutil.copyfile(web_db, db)
    # a short run limit keeps a generated long-horizon scenario from dominating the run
    app = create_app(load_settings(db=str(db), web_run_seconds=10, login_attempts=10_000), warm=False)
    client = TestClient(app, raise_server_exceptions=False)
    tokens = {}
    for role in ROLES:
        r = client.post("/api/auth/login", json={"username": role, "password": city.PASSWORD})
        tokens[role] = {"Authorization": f"Bearer {r.json()['token']}"}
    tokens[None] = {}
    schema = schemathesis.openapi.from_asgi("/api/openapi.json", app)
    return app, schema, tokens


def fingerprint(store: Any) -> dict[str, tuple[int, int]]:
    """Row count and the sum of row hashes of every data table (DuckDB)."""
    out = {}
    for table in store.tables():
        if table in LOG_TABLES:
            continue
        n, h = store.rows(f"SELECT count(*), coalesce(sum(hash(x)), 0) FROM {table} AS x")[0]
        out[table] = (int(n), int(h))
    return out


def check_response(role: str | None, method: str, path: str, response: Any, city: Any, sent: str = "") -> None:
    raw = getattr(response, "content", None)
    text = raw.decode("utf-8", "replace") if isinstance(raw, (bytes, bytearray)) else response.text  # PDFs, DOCX
    where = (role, method, path, response.status_code, text[:300])
    assert response.status_code < 500 or response.status_code == 503, where
    if response.status_code >= 400 and path.startswith("/api"):
        body = response.json()
        assert set(body) == {"error"} and {"status", "key", "message"} <= set(body["error"]), where
        assert body["error"]["status"] == response.status_code and body["error"]["message"], where
    if role is None and path not in PUBLIC:
        assert response.status_code in (401, 404, 405, 413, 422), where
    if role == "official_a":   # (a code the caller sent may come back in the error about it)
        assert not (set(USCC_RE.findall(text)) - set(USCC_RE.findall(sent))) & city.IN_B, where


def fuzz_operations(fuzz_env: Any, city: Any, examples: int, roles: tuple[str | None, ...]) -> int:
    app, schema, tokens = fuzz_env
    store = app.state.web.cw.store
    ops = [r.ok() for r in schema.get_all_operations()]
    assert len(ops) > 30
    calls = [0]

    def runner(op: Any) -> Any:
        @settings(max_examples=examples, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck), phases=[Phase.explicit, Phase.generate])
        @given(case=op.as_strategy())
        def run(case: Any) -> None:
            # never delete or rewrite the fuzzing accounts themselves
            assume(case.path_parameters is None or case.path_parameters.get("username") not in ROLES)
            for role in roles:
                write = case.method.upper() in WRITES
                before = fingerprint(store) if write else None
                response = case.call(headers=tokens[role], timeout=120)
                calls[0] += 1
                sent = repr((case.path_parameters, case.query, case.body))
                check_response(role, case.method, op.path, response, city, sent)
                if write and response.status_code >= 400:
                    assert fingerprint(store) == before, ("partial write", role, case.method,
                                                          case.formatted_path, response.status_code)

        return run

    for op in ops:
        if (op.method.upper(), op.path) not in SKIP:
            runner(op)()
    return calls[0]


def test_api_fuzz_bounded(fuzz_env, city) -> None:  # noqa: ANN001
    """Every operation, as every role and anonymously, two derandomised examples each."""
    calls = fuzz_operations(fuzz_env, city, 2, (*ROLES, None))
    assert calls > 200


@pytest.mark.fuzz
def test_api_fuzz_long(fuzz_env, city) -> None:  # noqa: ANN001
    fuzz_operations(fuzz_env, city, LONG, (*ROLES, None))


# -- structured scenarios for the simulation ----------------------------------------------------
TARGETS = ("enterprise", "country", "supplier", "segment", "district", "sector")
anything = st.one_of(st.none(), st.booleans(), st.integers(-10**12, 10**12),
                     st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=30),
                     st.lists(st.integers(-10, 10**6), max_size=3))


def _shock(city: Any) -> st.SearchStrategy[dict[str, Any]]:
    target = st.sampled_from(TARGETS)
    ident = st.one_of(st.sampled_from([*city.USCC, "JPN", "DEU", "ev.chips", "ev.battery", city.DISTRICT_A,
                                       "Tokyo Semiconductor KK", "s1", "079", "/etc/passwd", "../x"]), st.text(max_size=20))
    return st.builds(
        lambda t, i, extra: {t: i, **extra}, target, ident,
        st.dictionaries(st.sampled_from(["capacity_pct", "months", "start_month", "hs", "demand_change",
                                         "demand_change_pct", "recovery", "recovery_months", "note", "bogus"]),
                        anything, max_size=4))


def scenarios(city: Any) -> st.SearchStrategy[dict[str, Any]]:
    top = st.dictionaries(st.sampled_from(["name", "model", "horizon_months", "direction", "inventory_days",
                                           "recovery", "recovery_months", "table", "layout", "domestic", "start",
                                           "bogus"]),
                          st.one_of(anything, st.sampled_from(["cascade", "leontief", "ghosh", "iim", "both",
                                                               "upstream", "tiny", "/dev/zero", "linear"])),
                          max_size=6)
    return st.builds(lambda t, s: {**t, "shocks": s}, top, st.lists(_shock(city), min_size=0, max_size=4))


def _scenario_fuzz(fuzz_env: Any, city: Any, examples: int) -> None:
    app, _, tokens = fuzz_env
    store = app.state.web.cw.store
    client = TestClient(app, raise_server_exceptions=False)

    @settings(max_examples=examples, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    @given(scenario=scenarios(city), role=st.sampled_from(("analyst", "official_a")))
    def run(scenario: dict[str, Any], role: str) -> None:
        if isinstance(scenario.get("horizon_months"), int) and scenario["horizon_months"] > 24:
            scenario["horizon_months"] = 24     # keep each run short; bounds are tested elsewhere
        before = fingerprint(store)
        r = client.post("/api/simulation/run", json=scenario, headers=tokens[role])
        check_response(role, "POST", "/api/simulation/run", r, city, repr(scenario))
        if r.status_code >= 400:
            assert fingerprint(store) == before

    run()


def test_scenario_fuzz_bounded(fuzz_env, city) -> None:  # noqa: ANN001
    _scenario_fuzz(fuzz_env, city, 25)


@pytest.mark.fuzz
def test_scenario_fuzz_long(fuzz_env, city) -> None:  # noqa: ANN001
    _scenario_fuzz(fuzz_env, city, LONG * 10)
