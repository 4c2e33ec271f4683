"""Every route, every role: district officials never receive another district's enterprise data,
viewers never receive enterprise-level data, and role limits hold.

Routes are enumerated from ``app.routes``, so a new route is covered automatically; a route with a
path parameter this module does not know fails the coverage test until a value is added here.
"""

from __future__ import annotations

import re

import pytest
from fastapi.routing import APIRoute

USCC_RE = re.compile(r"[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}")
SKIP = {"/login", "/logout", "/api/auth/logout"}  # exercised in test_auth (they end sessions)


def path_values(city) -> dict[str, list[str]]:
    """Values tried for each path parameter: visible and hidden enterprises, every chain, warnings."""
    return {
        "uscc": [sorted(city.IN_A)[0], sorted(city.IN_B)[0]],
        "chain_id": ["ev"],
        "wid": [str(i) for i in range(1, 12)],
        "username": ["viewer"],
        "upload_id": ["nonexistent"],
        "action": ["ack"],
        "policy_id": ["export-relief"],
    }


class Route:
    def __init__(self, path: str, methods: set[str]) -> None:
        self.path, self.methods = path, methods


def all_routes(app) -> list[Route]:
    """Every FastAPI route of the app (API and pages), whatever the FastAPI version's router nesting."""
    try:
        from fastapi.routing import iter_route_contexts
    except ImportError:  # FastAPI before routers were included lazily
        return [Route(r.path, set(r.methods)) for r in app.routes if isinstance(r, APIRoute)]
    return [Route(c.path, set(c.methods or ())) for c in iter_route_contexts(app.routes)
            if isinstance(c.original_route, APIRoute)]


def get_routes(app) -> list[Route]:
    return [r for r in all_routes(app) if "GET" in r.methods and r.path not in SKIP]


def expand(route: Route, values: dict[str, list[str]]) -> list[str]:
    paths = [route.path]
    for name in re.findall(r"{(\w+)}", route.path):
        paths = [p.replace("{" + name + "}", v) for p in paths for v in values[name]]
    return paths


def test_every_route_has_values_for_its_path_parameters(app, city):
    values = path_values(city)
    routes = all_routes(app)
    assert len(routes) > 30 and {"/", "/api/overview", "/api/chains/{chain_id}"} <= {r.path for r in routes}
    for route in routes:
        for name in re.findall(r"{(\w+)}", route.path):
            assert name in values, f"add test values for path parameter {name!r} of {route.path}"


def test_district_official_never_sees_another_districts_enterprises(app, clients, city):
    hidden_usccs = city.IN_B
    hidden_names = {city.NAMES[u] for u in city.IN_B}
    c = clients["official_a"]
    seen_ok = 0
    for route in get_routes(app):
        for path in expand(route, path_values(city)):
            r = c.get(path)
            assert r.status_code < 500, (path, r.status_code, r.text[:300])
            body = r.text
            leaked = set(USCC_RE.findall(body)) & hidden_usccs
            assert not leaked, f"{path} leaks {leaked}"
            names = [n for n in hidden_names if n in body]
            assert not names, f"{path} leaks {names}"
            seen_ok += r.status_code == 200
    assert seen_ok > 10


def test_viewer_never_sees_enterprise_level_data(app, clients, city):
    all_names = set(city.NAMES.values())
    c = clients["viewer"]
    for route in get_routes(app):
        for path in expand(route, path_values(city)):
            r = c.get(path)
            assert r.status_code < 500, (path, r.status_code, r.text[:300])
            found = set(USCC_RE.findall(r.text)) & set(city.USCC)
            assert not found, f"{path} shows enterprises to a viewer: {found}"
            names = [n for n in all_names if n in r.text]
            assert not names, f"{path} shows enterprise names to a viewer: {names}"


def test_enterprise_routes_by_role(clients, city):
    own, other = sorted(city.IN_A)[0], sorted(city.IN_B)[0]
    assert clients["official_a"].get(f"/api/enterprises/{own}").status_code == 200
    r = clients["official_a"].get(f"/api/enterprises/{other}")
    assert r.status_code == 403 and r.json()["error"]["key"] == "web.forbidden_scope"
    assert clients["viewer"].get(f"/api/enterprises/{own}").status_code == 403
    assert clients["viewer"].get("/api/enterprises").status_code == 403
    for role in ("admin", "analyst"):
        assert clients[role].get(f"/api/enterprises/{other}").status_code == 200
    listed = {e["uscc"] for e in clients["official_a"].get("/api/enterprises").json()["enterprises"]}
    assert listed == city.IN_A
    listed = {e["uscc"] for e in clients["analyst"].get("/api/enterprises").json()["enterprises"]}
    assert listed == set(city.USCC)


def test_analyst_sees_what_the_official_may_not(clients, city):
    """The filter is not vacuous: the same routes do return other districts' enterprises to analysts."""
    body = clients["analyst"].get("/api/chains/ev").text
    assert set(USCC_RE.findall(body)) & city.IN_B
    body = clients["official_a"].get("/api/chains/ev").text
    assert set(USCC_RE.findall(body)) & city.IN_A or any(city.NAMES[u] in body for u in city.IN_A)


@pytest.mark.parametrize(("role", "path", "method", "allowed"), [
    ("viewer", "/api/users", "get", False), ("analyst", "/api/users", "get", False),
    ("official_a", "/api/audit", "get", False), ("admin", "/api/users", "get", True),
    ("viewer", "/api/imports", "get", False), ("official_a", "/api/imports", "get", False),
    ("analyst", "/api/imports", "get", True),
    ("viewer", "/api/warnings/1/ack", "post", False),
    ("viewer", "/api/simulation/run", "post", False),
])
def test_role_limits(clients, role, path, method, allowed):
    r = getattr(clients[role], method)(path, json={} if method == "post" else None) if method == "post" \
        else clients[role].get(path)
    if allowed:
        assert r.status_code == 200, r.text
    else:
        assert r.status_code == 403 and r.json()["error"]["key"] == "web.forbidden_role"


def test_every_write_route_refuses_viewers(app, clients):
    c = clients["viewer"]
    for route in all_routes(app):
        if not route.methods & {"POST", "PATCH", "DELETE"}:
            continue
        if route.path.startswith("/api/auth") or route.path in SKIP:
            continue
        path = re.sub(r"{\w+}", "1", route.path)
        method = sorted(route.methods & {"POST", "PATCH", "DELETE"})[0].lower()
        r = c.request(method.upper(), path, json={})
        assert r.status_code in (403, 422), (path, r.status_code, r.text[:200])
        if r.status_code == 422:  # form validation ran first: the role check must hold with valid input too
            assert route.path in {"/imports", "/api/imports", "/simulation", "/admin/users",
                                  "/warnings/{wid}/act"}, path
