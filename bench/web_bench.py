"""Latency of the main API routes on the demo city with concurrent clients (loopback only).

Builds (or reuses) the demo city, adds benchmark accounts, starts ``chainwatch serve`` on 127.0.0.1
in its own process, waits for its start-up warm-up, then for each level of ``--clients`` lets N
closed-loop clients (threads in this process, each with its own HTTP connection and bearer token:
analysts and district officials) request the main routes round-robin for ``--seconds``.

Prints per level: requests per second (all answers and 200s), status counts (503 = refused by
admission under overload, which is allowed; anything else non-200 is an error), server RSS at the
start, maximum and end of the level, and per route count, p50, p95 and max of the 200 answers in
milliseconds with the ratio of p95 to the baseline route ``/api/auth/me`` (authentication and one
session lookup, measured in the same run). Ends with one summary table and whether the server
stopped on SIGTERM. Exit status 1 when any answer was an error other than 503.

    python bench/web_bench.py [--db PATH] [--clients 20,50,200] [--seconds 60] [--honour-retry] [--quick]
"""

from __future__ import annotations

import argparse
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections import defaultdict
from pathlib import Path

import httpx

OUT = Path(__file__).parent / "out"
SERVER_LOG = OUT / "web-bench-server.log"
PASSWORD = "bench-password-1"


def prepare(db: Path, enterprises: int) -> tuple[str, list[str], str]:
    """Demo database with warnings and benchmark accounts; returns (chain, districts, sample uscc)."""
    from chainwatch.service import Chainwatch

    if not db.exists():
        from chainwatch.demo.loader import build_demo

        print(f"building demo city ({enterprises} enterprises) at {db} …", flush=True)
        build_demo(db, seed=2021, n_enterprises=enterprises)
    with Chainwatch(db, actor="bench") as cw:
        if not cw.store.scalar("SELECT count(*) FROM warning"):
            last = cw.data.latest_period()
            y, m = int(last[:4]), int(last[5:])
            for k in (2, 1, 0):
                cw.risk.run(f"{y}-{m - k:02d}" if m > k else f"{y - 1}-{12 + m - k:02d}")
        districts = [r[0] for r in cw.store.rows(
            "SELECT district FROM enterprise GROUP BY 1 ORDER BY count(*) DESC LIMIT 2")]
        existing = set(cw.users.list().tables["users"]["username"])
        if "bench_analyst" not in existing:
            cw.users.add("bench_analyst", PASSWORD, "analyst")
        if "bench_district" not in existing:
            cw.users.add("bench_district", PASSWORD, "district", districts=districts[:1])
        chain = cw.store.scalar("SELECT chain_id FROM chain ORDER BY chain_id LIMIT 1")
        uscc = cw.store.scalar("SELECT uscc FROM enterprise WHERE district = ? ORDER BY uscc LIMIT 1",
                               [districts[0]])
    return chain, districts, uscc


def serve(db: Path) -> tuple[subprocess.Popen[bytes], str, float]:
    """Start ``chainwatch serve`` in its own process (as deployed) and wait for its warm-up."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    t0 = time.perf_counter()
    # the server's log goes to a file: a pipe nobody reads fills up and blocks the server's logging
    log = SERVER_LOG.open("wb")
    proc = subprocess.Popen([sys.executable, "-m", "chainwatch.cli.main", "serve", "--db", str(db),
                             "--host", "127.0.0.1", "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=log)
    log.close()
    base = f"http://127.0.0.1:{port}"
    while time.perf_counter() - t0 < 600:
        if proc.poll() is not None:
            raise SystemExit(f"server exited: {SERVER_LOG.read_text(errors='replace')[-2000:]}")
        try:
            if httpx.get(base + "/api/health", timeout=5).json().get("warm"):
                break
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    return proc, base, time.perf_counter() - t0


def token(base: str, username: str) -> str:
    r = httpx.post(base + "/api/auth/login", json={"username": username, "password": PASSWORD}, timeout=60)
    r.raise_for_status()
    return r.json()["token"]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = max(0, min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1))))
    return ordered[k]


def rss_mb(pid: int) -> float:
    """Resident memory of a process in MiB (Linux /proc)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def level(base: str, tokens: dict[str, str], routes: list[str], clients: int, seconds: float,
          max_requests: int, honour_retry: bool, pid: int) -> dict[str, object]:
    """``clients`` closed-loop clients for ``seconds``; latency per route, status counts, RSS samples."""
    lat: dict[str, list[float]] = defaultdict(list)     # successful (200) requests
    busy_lat: list[float] = []                           # 503 answers
    statuses: dict[str, int] = defaultdict(int)
    errors: list[str] = []
    lock = threading.Lock()
    stop_at = time.perf_counter() + seconds
    per_client = max(1, max_requests // clients) if max_requests else 10 ** 9
    rss: list[float] = [rss_mb(pid)]
    done = threading.Event()

    def sampler() -> None:
        while not done.wait(1.0):
            rss.append(rss_mb(pid))

    def client(i: int) -> None:
        who = "district" if i % 4 == 3 else "analyst"
        with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {tokens[who]}"}, timeout=60) as c:
            for k in range(per_client):
                if time.perf_counter() > stop_at:
                    return
                route = routes[(i + k) % len(routes)]
                t = time.perf_counter()
                retry = 0.0
                try:
                    r = c.get(route)
                    code = str(r.status_code)
                    if r.status_code == 503:
                        retry = float(r.headers.get("retry-after") or 0)
                except httpx.HTTPError as exc:
                    code = type(exc).__name__
                dt = (time.perf_counter() - t) * 1000
                with lock:
                    statuses[code] += 1
                    if code == "200":
                        lat[route].append(dt)
                    elif code == "503":
                        busy_lat.append(dt)
                    else:
                        errors.append(f"{route}: {code}")
                if retry and honour_retry:
                    time.sleep(min(retry, max(0.0, stop_at - time.perf_counter())))

    sampling = threading.Thread(target=sampler, daemon=True)
    sampling.start()
    t0 = time.perf_counter()
    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    wall = time.perf_counter() - t0
    done.set()
    sampling.join()
    rss.append(rss_mb(pid))
    return {"clients": clients, "wall": wall, "lat": lat, "busy": busy_lat, "statuses": dict(statuses),
            "errors": errors, "rss": rss}


def report(res: dict[str, object], routes: list[str], cold: dict[str, float]) -> None:
    lat: dict[str, list[float]] = res["lat"]  # type: ignore[assignment]
    busy: list[float] = res["busy"]  # type: ignore[assignment]
    statuses: dict[str, int] = res["statuses"]  # type: ignore[assignment]
    rss: list[float] = res["rss"]  # type: ignore[assignment]
    wall: float = res["wall"]  # type: ignore[assignment]
    ok_n = sum(len(v) for v in lat.values())
    total = sum(statuses.values())
    every = [x for v in lat.values() for x in v]
    base_p95 = percentile(lat.get("/api/auth/me", []), 95)
    print(f"\n== {res['clients']} concurrent clients for {wall:.0f} s: {total} requests ({total / wall:.0f} req/s), "
          f"{ok_n} answered 200 ({ok_n / wall:.0f} req/s), 503: {statuses.get('503', 0)}, "
          f"other errors: {len(res['errors'])}")  # type: ignore[arg-type]
    print(f"   status counts: {dict(sorted(statuses.items()))}")
    print(f"   server RSS MiB: start {rss[0]:.0f}, max {max(rss):.0f}, end {rss[-1]:.0f}")
    print(f"   {'route':42s} {'n':>6s} {'p50 ms':>8s} {'p95 ms':>8s} {'max ms':>8s} {'p95/base':>9s} {'cold ms':>9s}")
    for r in routes:
        v = lat.get(r, [])
        if not v:
            continue
        print(f"   {r:42s} {len(v):6d} {statistics.median(v):8.1f} {percentile(v, 95):8.1f} {max(v):8.1f} "
              f"{percentile(v, 95) / base_p95:9.1f} {cold.get(r, float('nan')):9.1f}")
    if every:
        print(f"   {'ALL 200':42s} {ok_n:6d} {statistics.median(every):8.1f} {percentile(every, 95):8.1f} "
              f"{max(every):8.1f}")
    if busy:
        print(f"   {'503 answers':42s} {len(busy):6d} {statistics.median(busy):8.1f} {percentile(busy, 95):8.1f} "
              f"{max(busy):8.1f}")
    if res["errors"]:
        print("   errors:", ", ".join(res["errors"][:10]), file=sys.stderr)  # type: ignore[index]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", type=Path, default=OUT / "web-demo.duckdb")
    ap.add_argument("--enterprises", type=int, default=5000)
    ap.add_argument("--clients", default="20", help="comma list of client counts, run one after another")
    ap.add_argument("--requests", type=int, default=0, help="total requests per level (0 = until --seconds)")
    ap.add_argument("--seconds", type=float, default=60.0, help="duration of each level")
    ap.add_argument("--honour-retry", action="store_true",
                    help="clients sleep for Retry-After after a 503 (default: retry at once, the harder case)")
    ap.add_argument("--quick", action="store_true", help="10 s per level")
    args = ap.parse_args(argv)
    if args.quick:
        args.seconds = min(args.seconds, 10.0)
    levels = [int(x) for x in str(args.clients).split(",") if x.strip()]
    OUT.mkdir(parents=True, exist_ok=True)

    chain, districts, uscc = prepare(args.db, args.enterprises)
    server, base, warm_s = serve(args.db)
    print(f"server {base}  (start-up incl. warm-up of overview and chain pages: {warm_s:.1f} s)")
    tokens = {"analyst": token(base, "bench_analyst"), "district": token(base, "bench_district")}

    routes = ["/api/auth/me", "/api/overview", "/api/chains", f"/api/chains/{chain}", "/api/warnings",
              "/api/warnings/summary", "/api/enterprises?q=有限", f"/api/enterprises/{uscc}/series",
              "/api/policies"]
    # one cold call per route (first computation for this view; the cache is keyed per data version)
    cold = {}
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {tokens['analyst']}"}, timeout=300) as c:
        for r in routes:
            t = time.perf_counter()
            c.get(r).raise_for_status()
            cold[r] = (time.perf_counter() - t) * 1000

    failed = False
    summary = []
    try:
        for n in levels:
            res = level(base, tokens, routes, n, args.seconds, args.requests, args.honour_retry, server.pid)
            report(res, routes, cold)
            failed |= bool(res["errors"])
            every = [x for v in res["lat"].values() for x in v]  # type: ignore[union-attr]
            st: dict[str, int] = res["statuses"]  # type: ignore[assignment]
            total = sum(st.values())
            summary.append((n, total / res["wall"], len(every) / res["wall"], st.get("503", 0), len(res["errors"]),
                            statistics.median(every) if every else float("nan"), percentile(every, 95),
                            res["rss"][0], max(res["rss"]), res["rss"][-1]))  # type: ignore[index]
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
            stopped = "stopped on SIGTERM"
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
            stopped = "did NOT stop within 30 s of SIGTERM (killed)"
            failed = True
    print(f"\nserver log: {SERVER_LOG} ({SERVER_LOG.stat().st_size} bytes)")
    print(f"server {stopped}; Retry-After {'honoured' if args.honour_retry else 'ignored (clients retry at once)'}")
    print(f"{'clients':>7s} {'req/s':>7s} {'200/s':>7s} {'503':>7s} {'errors':>7s} {'p50 ms':>7s} {'p95 ms':>7s} "
          f"{'RSS MiB start/max/end':>22s}")
    for n, rps, okps, busy, errs, p50, p95, r0, rmax, r1 in summary:
        print(f"{n:7d} {rps:7.0f} {okps:7.0f} {busy:7d} {errs:7d} {p50:7.1f} {p95:7.1f} "
              f"{f'{r0:.0f}/{rmax:.0f}/{r1:.0f}':>22s}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
