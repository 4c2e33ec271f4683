"""PostgreSQL: the web server, two CLI importers, a web import, a warning run and a report at once.

Nothing is lost (every row of every file is there once, one import batch each), the figures are
consistent afterwards, and every warning's audit chain verifies.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pandas as pd
import pytest

from chainwatch.analytics.risk.lifecycle import verify_chain
from chainwatch.service import Chainwatch
from chainwatch.store.pglocal import free_port

PASSWORD = "pass-word-123"


def _file(usccs: list[str], periods: list[str], path: Path) -> Path:
    rows = [(u, p, 100.0 + i % 89, 25.0 + i % 7) for i, (u, p) in enumerate((u, p) for p in periods for u in usccs)]
    pd.DataFrame(rows, columns=["uscc", "period", "gross_output", "value_added"]).to_csv(path, index=False)
    return path


def _cli(*args: str, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "chainwatch.cli.main", *args], env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


@pytest.mark.slow
def test_web_cli_imports_and_report_at_once(demo_pg: str, tmp_path: Path) -> None:
    with Chainwatch(demo_pg, actor="admin") as cw:
        cw.users.add("admin", PASSWORD, "admin")
        cw.risk.run("2021-11")
        usccs = cw.store.df("SELECT uscc FROM enterprise ORDER BY uscc")["uscc"].tolist()
        before = {t: int(cw.store.scalar(f"SELECT count(*) FROM {t}")) for t in ("monthly_value", "import_batch")}
    files = {"a": _file(usccs, [f"2022-{m:02d}" for m in range(1, 7)], tmp_path / "a.csv"),
             "b": _file(usccs, [f"2022-{m:02d}" for m in range(7, 13)], tmp_path / "b.csv"),
             "web": _file(usccs[:500], ["2023-01"], tmp_path / "web.csv")}
    port = free_port()
    env = {**os.environ, "CHAINWATCH_DB": demo_pg, "CHAINWATCH_PORT": str(port), "CHAINWATCH_LANG": "en"}
    server = _cli("serve", env=env)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/api/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.3)
        else:
            pytest.fail("the server did not start: " + (server.stderr.read() if server.poll() is not None else ""))
        token = httpx.post(f"{base}/api/auth/login", json={"username": "admin", "password": PASSWORD},
                           timeout=30).json()["token"]
        auth = {"Authorization": f"Bearer {token}"}
        statuses: list[int] = []
        stop = threading.Event()

        def reader() -> None:
            with httpx.Client(base_url=base, headers=auth, timeout=60) as client:
                while not stop.is_set():
                    for path in ("/api/warnings/summary?period=2021-11", "/api/imports", "/api/warnings?period=2021-11"):
                        statuses.append(client.get(path).status_code)

        readers = [threading.Thread(target=reader) for _ in range(2)]
        for r in readers:
            r.start()
        procs = {"import a": _cli("import", str(files["a"]), "--kind", "monthly", "--unit", "万元", env=env),
                 "import b": _cli("import", str(files["b"]), "--kind", "monthly", "--unit", "万元", env=env),
                 "warn": _cli("warn", "--period", "2021-12", env=env),
                 "report": _cli("report", "--period", "2021-11", "--format", "html", "-o", str(tmp_path / "r.html"),
                                env=env)}
        with httpx.Client(base_url=base, headers=auth, timeout=300) as client, files["web"].open("rb") as fh:
            up = client.post("/api/imports", data={"kind": "monthly", "unit": "万元"},
                             files={"file": ("web.csv", fh, "text/csv")})
            assert up.status_code == 200, up.text
            upload_id = up.json()["meta"]["upload_id"]
            done = client.post(f"/api/imports/{upload_id}/confirm")
            assert done.status_code == 200, done.text
        outs = {name: p.communicate(timeout=600) for name, p in procs.items()}
        stop.set()
        for r in readers:
            r.join()
        for name, p in procs.items():
            assert p.returncode == 0, f"{name}: {outs[name][1]}"
        assert statuses and set(statuses) <= {200, 503}, sorted(set(statuses))
        assert (tmp_path / "r.html").stat().st_size > 10_000
    finally:
        server.terminate()
        server.wait(60)
    with Chainwatch(demo_pg) as cw:
        s = cw.store
        n_new = len(usccs) * 12 + 500
        assert s.scalar("SELECT count(*) FROM monthly_value") == before["monthly_value"] + n_new
        assert s.scalar("SELECT count(*) FROM (SELECT uscc, period FROM monthly_value GROUP BY uscc, period "
                        "HAVING count(*) > 1) d") == 0
        batches = s.df("SELECT batch_id, file_name, rows_inserted FROM import_batch WHERE batch_id > ? ORDER BY batch_id",
                       [before["import_batch"]])
        assert sorted(batches["file_name"]) == ["a.csv", "b.csv", "web.csv"]
        assert batches["batch_id"].tolist() == list(range(before["import_batch"] + 1, before["import_batch"] + 4))
        for _, b in batches.iterrows():
            assert s.scalar("SELECT count(*) FROM monthly_value WHERE batch_id = ?", [int(b["batch_id"])]) \
                == b["rows_inserted"]
        assert s.scalar("SELECT count(*) FROM audit_log WHERE action = 'import'") >= 3
        assert cw.risk.has_run("2021-12")
        ids = [int(i) for i in s.df("SELECT DISTINCT warning_id FROM warning_event")["warning_id"]]
        assert ids and all(verify_chain(cw.risk.events(i)) for i in ids)
        # and the figures read as before the rush
        assert cw.stats.compute("2021-11").tables["rows"]["n_enterprises"].iloc[0] > 0
