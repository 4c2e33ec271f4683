"""``chainwatch users …`` and ``chainwatch serve`` from the command line."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time

import httpx
from typer.testing import CliRunner

from chainwatch.cli.main import app

runner = CliRunner()


def test_users_commands(tmp_path):
    db = str(tmp_path / "c.duckdb")
    r = runner.invoke(app, ["users", "add", "admin", "--role", "admin", "--password-stdin", "--db", db],
                      input="first-harbour-pw-3\n")
    assert r.exit_code == 0, r.output
    assert "admin" in r.output
    r = runner.invoke(app, ["users", "add", "qu", "--role", "district", "--district", "330203",
                            "--password-stdin", "--db", db], input="district-lantern-58\n")
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["users", "list", "--format", "json", "--db", db])
    users = {u["username"]: u for u in json.loads(r.output)["users"]}
    assert users["qu"]["districts"] == "330203" and users["admin"]["role"] == "admin"
    assert all("hash" not in k for k in users["qu"])
    r = runner.invoke(app, ["users", "add", "bad", "--role", "boss", "--password-stdin", "--db", db],
                      input="harbour-lantern-58\n")
    assert r.exit_code == 1 and "boss" in r.output
    r = runner.invoke(app, ["--lang", "en", "users", "remove", "admin", "--db", db])
    assert r.exit_code == 1 and "last administrator" in r.output
    r = runner.invoke(app, ["users", "passwd", "qu", "--password-stdin", "--db", db], input="short\n")
    assert r.exit_code == 1
    r = runner.invoke(app, ["users", "set", "qu", "--role", "viewer", "--format", "json", "--db", db])
    assert r.exit_code == 0 and json.loads(r.output)["users"][0]["role"] == "viewer"
    r = runner.invoke(app, ["users", "remove", "qu", "--db", db])
    assert r.exit_code == 0


def test_serve_starts_on_loopback_and_answers(tmp_path):
    db = str(tmp_path / "s.duckdb")
    runner.invoke(app, ["users", "add", "admin", "--role", "admin", "--password-stdin", "--db", db],
                  input="first-harbour-pw-3\n")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "chainwatch.cli.main", "serve", "--db", db, "--port", str(port)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(240):
            try:
                health = httpx.get(base + "/api/health", timeout=2).json()
                break
            except httpx.HTTPError:
                time.sleep(0.25)
        else:
            raise AssertionError(proc.stderr.read1().decode() if proc.poll() is not None else "no answer")
        assert health["status"] == "ok"
        r = httpx.post(base + "/api/auth/login", json={"username": "admin", "password": "first-harbour-pw-3"})
        assert r.status_code == 200
        # the database is held: a second process gets the clear "busy" message and exit code 3
        other = subprocess.run([sys.executable, "-m", "chainwatch.cli.main", "users", "list", "--db", db],
                               capture_output=True, text=True, timeout=120)
        assert other.returncode == 3, other.stderr
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_serve_refuses_a_missing_database(tmp_path):
    r = runner.invoke(app, ["serve", "--db", str(tmp_path / "none.duckdb")])
    assert r.exit_code == 1 and "none.duckdb" in r.output
