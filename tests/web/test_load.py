"""Finding 2 (server lock-up under load): admission instead of threads blocked on a cursor.

On 0.1.0 every request's dependency took a worker thread and then waited up to 30 s for one of 8
cursors; with more concurrent requests than cursors the server stopped answering and requests
failed with HTTP 500 after 30 s. Now at most ``web_concurrency`` requests run, up to ``web_queue``
wait without a thread, and the rest get 503 with Retry-After at once.
"""

from __future__ import annotations

import asyncio
import shutil
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from fastapi.testclient import TestClient

from chainwatch.web.limits import Admission


# -- the admission primitive -------------------------------------------------------------------
def test_admission_slots_queue_and_refusal() -> None:
    adm = Admission(slots=2, queue=1, wait=0.3)

    async def scenario() -> list[object]:
        assert await adm.enter() and await adm.enter()
        waiter = asyncio.ensure_future(adm.enter())      # third: waits without a thread
        await asyncio.sleep(0.01)
        assert adm.waiting == 1
        t0 = time.perf_counter()
        assert await adm.enter() is False                # fourth: queue full, refused at once
        refused_in = time.perf_counter() - t0
        adm.leave()                                      # hands the slot to the waiter
        got = await waiter
        timed_out = await adm.enter()                    # no slot within 0.3 s
        adm.leave()
        adm.leave()
        return [got, refused_in, timed_out]

    got, refused_in, timed_out = asyncio.run(scenario())
    assert got is True and refused_in < 0.05 and timed_out is False
    assert adm.active == 0 and adm.waiting == 0
    assert adm.stats()["refused"] == 2


def test_admission_slot_handed_to_a_timed_out_waiter_is_passed_on() -> None:
    adm = Admission(slots=1, queue=5, wait=0.05)

    async def scenario() -> bool:
        assert await adm.enter()
        first = asyncio.ensure_future(adm.enter())
        second = asyncio.ensure_future(adm.enter())
        await asyncio.sleep(0.02)
        # hand the slot over at the same moment the first waiter times out
        await asyncio.sleep(0.03)
        adm.leave()
        results = await asyncio.gather(first, second)
        for r in results:
            if r:
                adm.leave()
        return any(results)

    asyncio.run(scenario())
    assert adm.active == 0, "a slot was lost"


def test_admission_across_event_loops_and_threads() -> None:
    adm = Admission(slots=3, queue=100, wait=5.0)
    inside = []
    lock = threading.Lock()

    def one() -> bool:
        async def body() -> bool:
            if not await adm.enter():
                return False
            with lock:
                inside.append(1)
                assert len(inside) <= 3
            await asyncio.sleep(0.005)
            with lock:
                inside.pop()
            adm.leave()
            return True
        return asyncio.run(body())

    with ThreadPoolExecutor(16) as ex:
        results = list(ex.map(lambda _: one(), range(120)))
    assert all(results) and adm.active == 0


# -- the app under concurrent requests ------------------------------------------------------------
@pytest.fixture()
def small_app(web_db, tmp_path, monkeypatch):  # noqa: ANN001, ANN201
    """An app with 2 slots and no queue whose overview blocks until released."""
    from chainwatch.settings import load_settings
    from chainwatch.web import create_app, views

    db = tmp_path / "city.duckdb"
    shutil.copyfile(web_db, db)
    gate = threading.Event()
    entered = threading.Semaphore(0)
    real = views.overview

    def blocking_overview(ctx, period=None, months=24):  # noqa: ANN001, ANN202
        entered.release()
        gate.wait(20)
        return real(ctx, period, months)

    monkeypatch.setattr(views, "overview", blocking_overview)
    settings = load_settings(db=str(db), web_concurrency=2, web_queue=0, web_queue_ms=0)
    app = create_app(settings, warm=False)
    yield app, gate, entered
    gate.set()


def test_overload_answers_503_with_retry_after_at_once(small_app, city) -> None:  # noqa: ANN001
    """Regression (fails on 0.1.0: the third request waits 30 s for a cursor, then HTTP 500)."""
    app, gate, entered = small_app
    token = TestClient(app).post("/api/auth/login", json={"username": "analyst", "password": city.PASSWORD}).json()["token"]
    headers = {"Authorization": f"Bearer {token}"}

    def slow() -> int:
        return TestClient(app, raise_server_exceptions=False).get("/api/overview", headers=headers).status_code

    with ThreadPoolExecutor(2) as ex:
        held = [ex.submit(slow), ex.submit(slow)]
        assert entered.acquire(timeout=20) and entered.acquire(timeout=20)
        c = TestClient(app, raise_server_exceptions=False)
        t0 = time.perf_counter()
        r = c.get("/api/overview", headers=headers)
        elapsed = time.perf_counter() - t0
        page = c.get("/chains", headers=headers)
        health = c.get("/api/health")          # needs no database: never refused
        gate.set()
        assert [f.result(timeout=30) for f in held] == [200, 200]
    assert r.status_code == 503 and elapsed < 2.0, (r.status_code, elapsed)
    assert r.headers["retry-after"].isdigit()
    assert r.json()["error"]["key"] == "sec.busy" and r.json()["error"]["message"]
    assert page.status_code == 503 and "retry-after" in page.headers and "<html" in page.text
    assert health.status_code == 200 and health.json()["load"]["refused"] >= 2
    assert c.get("/api/overview", headers=headers).status_code == 200   # capacity is back


def test_concurrent_session_refreshes_do_not_conflict(web_db, tmp_path, city) -> None:  # noqa: ANN001
    """Two requests refreshing the same session's last_seen at once gave DuckDB 'Conflict on update'
    (HTTP 500 under load on 0.1.0)."""
    from chainwatch.service import Chainwatch

    db = tmp_path / "city.duckdb"
    shutil.copyfile(web_db, db)
    with Chainwatch(db, actor="test") as cw:
        token, _ = cw.users.create_session("analyst")
        handles = [cw.store.cursor() for _ in range(8)]
        for _ in range(15):
            cw.store.execute("UPDATE web_session SET last_seen = now() - INTERVAL 1 MINUTE")
            barrier = threading.Barrier(len(handles))

            def refresh(store, barrier=barrier):  # noqa: ANN001, ANN202
                facade = Chainwatch.__new__(Chainwatch)
                facade.__dict__.update(cw.__dict__)
                facade.__dict__.update(store=store, _subs={})
                barrier.wait()
                return facade.users.session(token).username

            with ThreadPoolExecutor(len(handles)) as ex:
                assert list(ex.map(refresh, handles)) == ["analyst"] * len(handles)


@pytest.mark.slow
def test_real_server_under_load_never_answers_other_than_200_or_503(web_db, tmp_path, city) -> None:  # noqa: ANN001
    """A real uvicorn server with 3 slots and a small queue, 60 clients for a few seconds."""
    import socket

    import httpx
    import uvicorn

    from chainwatch.settings import load_settings
    from chainwatch.web import create_app

    db = tmp_path / "city.duckdb"
    shutil.copyfile(web_db, db)
    app = create_app(load_settings(db=str(db), web_concurrency=3, web_queue=20, web_queue_ms=500), warm=False)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))
    th = threading.Thread(target=server.run, daemon=True)
    th.start()
    base = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            httpx.get(base + "/api/health", timeout=1)
            break
        except httpx.HTTPError:
            time.sleep(0.1)
    token = httpx.post(base + "/api/auth/login", json={"username": "analyst", "password": city.PASSWORD}).json()["token"]
    routes = ("/api/overview", "/api/chains", "/api/auth/me", "/api/warnings")
    for route in routes:   # the first computation of a view takes seconds on a busy machine
        httpx.get(base + route, headers={"Authorization": f"Bearer {token}"}, timeout=120)
    codes: dict[int, int] = {}
    lock = threading.Lock()
    stop = time.perf_counter() + 6

    def client() -> None:
        with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=30) as c:
            while time.perf_counter() < stop:
                for route in routes:
                    code = c.get(route).status_code
                    with lock:
                        codes[code] = codes.get(code, 0) + 1

    threads = [threading.Thread(target=client) for _ in range(60)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    server.should_exit = True
    th.join(10)
    assert set(codes) <= {200, 503}, codes
    assert codes.get(200, 0) > 20, codes


def test_a_run_over_its_wall_time_is_stopped_and_answers_503(web_db, tmp_path, city, monkeypatch) -> None:  # noqa: ANN001
    """Regression: on 0.1.0 a long run held its request (and thread) until it finished."""
    from chainwatch.service.shock import ShockService
    from chainwatch.settings import load_settings
    from chainwatch.web import create_app

    db = tmp_path / "city.duckdb"
    shutil.copyfile(web_db, db)
    progress = {"steps": 0, "finished": False}

    def endless(self, scenario, save=None):  # noqa: ANN001, ANN202
        for _ in range(1000):            # 10 s of "work" in small steps, like sweeps and months
            time.sleep(0.01)
            progress["steps"] += 1
        progress["finished"] = True
        return {"meta": {}}

    monkeypatch.setattr(ShockService, "run", endless)
    app = create_app(load_settings(db=str(db), web_run_seconds=1), warm=False)
    c = TestClient(app, raise_server_exceptions=False)
    token = c.post("/api/auth/login", json={"username": "analyst", "password": city.PASSWORD}).json()["token"]
    t0 = time.perf_counter()
    r = c.post("/api/simulation/run", headers={"Authorization": f"Bearer {token}"},
               json={"model": "cascade", "shocks": [{"country": "JPN", "capacity_pct": 0}]})
    elapsed = time.perf_counter() - t0
    assert r.status_code == 503 and elapsed < 5, (r.status_code, elapsed)
    assert r.json()["error"]["key"] == "sec.run_too_long" and "retry-after" in r.headers
    steps = progress["steps"]
    time.sleep(0.3)
    assert progress["steps"] == steps and not progress["finished"], "the run was not stopped"
    # the stopped run's handle was discarded and replaced: the server goes on answering
    assert c.get("/api/chains", headers={"Authorization": f"Bearer {token}"}).status_code == 200


def test_concurrent_misses_of_one_cache_key_compute_once(web_db, tmp_path) -> None:  # noqa: ANN001
    from chainwatch.service import Chainwatch
    from chainwatch.web.deps import WebState

    db = tmp_path / "city.duckdb"
    shutil.copyfile(web_db, db)
    with Chainwatch(db, actor="test") as cw:
        state = WebState(cw)
        calls = []

        def compute() -> int:
            calls.append(1)
            time.sleep(0.2)
            return 42

        with ThreadPoolExecutor(8) as ex:
            results = list(ex.map(lambda _: state.cached(("k",), compute), range(8)))
        assert results == [42] * 8 and len(calls) == 1
