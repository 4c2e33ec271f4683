"""Latency of the main API routes on the demo city with concurrent clients (loopback only).

Builds (or reuses) the demo city, adds benchmark accounts, starts ``chainwatch serve`` on 127.0.0.1
in its own process, waits for its start-up warm-up, then lets N clients (threads in this process,
each with its own HTTP connection and bearer token: analysts and district officials) request the
main routes round-robin until each client has made its share or the time limit is reached.

Prints per route: count, p50, p95 and max in milliseconds, and the ratio of p95 to the baseline
route ``/api/auth/me`` (authentication and one session lookup, measured in the same run). Also
prints how long the cold computations took (warm-up) and a cold first call per route kind.

    python bench/web_bench.py [--db PATH] [--clients 20] [--requests 600] [--seconds 90] [--quick]
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
    proc = subprocess.Popen([sys.executable, "-m", "chainwatch.cli.main", "serve", "--db", str(db),
                             "--host", "127.0.0.1", "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    while time.perf_counter() - t0 < 600:
        if proc.poll() is not None:
            raise SystemExit(f"server exited: {proc.stderr.read().decode()[-2000:]}")  # type: ignore[union-attr]
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
    k = max(0, min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1))))
    return ordered[k]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", type=Path, default=OUT / "web-demo.duckdb")
    ap.add_argument("--enterprises", type=int, default=5000)
    ap.add_argument("--clients", type=int, default=20)
    ap.add_argument("--requests", type=int, default=600, help="total requests (bounded)")
    ap.add_argument("--seconds", type=float, default=90.0, help="time limit of the measured phase")
    ap.add_argument("--quick", action="store_true", help="fewer requests (200) and 30 s")
    args = ap.parse_args(argv)
    if args.quick:
        args.requests, args.seconds = min(args.requests, 200), min(args.seconds, 30.0)
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

    lat: dict[str, list[float]] = defaultdict(list)
    errors: list[str] = []
    per_client = max(1, args.requests // args.clients)
    stop_at = time.perf_counter() + args.seconds
    lock = threading.Lock()

    def client(i: int) -> None:
        who = "district" if i % 4 == 3 else "analyst"
        with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {tokens[who]}"}, timeout=60) as c:
            for k in range(per_client):
                if time.perf_counter() > stop_at:
                    return
                route = routes[(i + k) % len(routes)]
                t = time.perf_counter()
                try:
                    r = c.get(route)
                    ok = r.status_code == 200
                except httpx.HTTPError as exc:
                    ok, r = False, exc
                dt = (time.perf_counter() - t) * 1000
                with lock:
                    lat[route].append(dt)
                    if not ok:
                        errors.append(f"{route}: {getattr(r, 'status_code', r)}")

    t0 = time.perf_counter()
    threads = [threading.Thread(target=client, args=(i,)) for i in range(args.clients)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    wall = time.perf_counter() - t0
    server.terminate()
    server.wait(timeout=30)

    n = sum(len(v) for v in lat.values())
    every = [x for v in lat.values() for x in v]
    base_p95 = percentile(lat["/api/auth/me"], 95) if lat["/api/auth/me"] else float("nan")
    print(f"\n{args.clients} concurrent clients, {n} requests in {wall:.1f} s ({n / wall:.0f} req/s), "
          f"errors: {len(errors)}")
    print(f"{'route':42s} {'n':>5s} {'p50 ms':>8s} {'p95 ms':>8s} {'max ms':>8s} {'p95/base':>9s} {'cold ms':>9s}")
    for r in routes:
        v = lat.get(r, [])
        if not v:
            continue
        print(f"{r:42s} {len(v):5d} {statistics.median(v):8.1f} {percentile(v, 95):8.1f} {max(v):8.1f} "
              f"{percentile(v, 95) / base_p95:9.1f} {cold[r]:9.1f}")
    print(f"{'ALL':42s} {n:5d} {statistics.median(every):8.1f} {percentile(every, 95):8.1f} {max(every):8.1f}")
    if errors:
        print("errors:", ", ".join(errors[:10]), file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    raise SystemExit(main())
