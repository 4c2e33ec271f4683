"""A throw-away PostgreSQL cluster for tests and benchmarks, from the Debian binaries.

``LocalPostgres(folder).start()`` runs ``initdb`` and ``pg_ctl`` (found on ``PATH`` or in
``/usr/lib/postgresql/*/bin``) in ``folder`` on a free local port, and answers URLs of databases
it creates. PostgreSQL refuses to run as root: as root the server runs as the ``postgres`` system
user (``runuser``). Durability is switched off (``fsync=off``): the cluster is for tests only.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

PASSWORD_USER = "cw_pw"          # a role that must authenticate with a password (tests of PGPASSWORD)
PASSWORD = "s3cret-Pa55"


def find_bin(name: str) -> str | None:
    """Path of a PostgreSQL server program, or None when PostgreSQL is not installed."""
    found = shutil.which(name)
    if found:
        return found
    for cand in sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True):
        return cand
    return None


def available() -> str | None:
    """None when a local cluster can be started, else the reason it cannot."""
    for prog in ("initdb", "pg_ctl", "postgres"):
        if find_bin(prog) is None:
            return f"PostgreSQL server binaries not found ({prog}); install the Debian package postgresql"
    if os.geteuid() == 0:
        try:
            import pwd

            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root and there is no 'postgres' user to run the server as"
        if shutil.which("runuser") is None:
            return "running as root and runuser is missing"
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class LocalPostgres:
    """One temporary cluster; :meth:`url` names a database in it."""

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        self.data = self.folder / "data"
        self.port = free_port()
        self.user = "postgres"
        self._as_root = os.geteuid() == 0

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        cmd = list(args)
        if self._as_root:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        return subprocess.run(cmd, check=check, capture_output=True, text=True, cwd="/")

    def start(self) -> LocalPostgres:
        self.folder.mkdir(parents=True, exist_ok=True)
        if self._as_root:
            shutil.chown(self.folder, "postgres")
            os.chmod(self.folder, 0o755)
            for parent in list(self.folder.parents)[:-1]:  # the server user must reach its folder
                try:
                    os.chmod(parent, os.stat(parent).st_mode | 0o001)
                except OSError:
                    pass
        initdb, pg_ctl = find_bin("initdb"), find_bin("pg_ctl")
        assert initdb and pg_ctl
        self._run(initdb, "-D", str(self.data), "-U", self.user, "--auth=trust", "-E", "UTF8",
                  "--locale=C.UTF-8", "--no-sync")
        hba = self.data / "pg_hba.conf"
        text = (f"host all {PASSWORD_USER} 127.0.0.1/32 scram-sha-256\n"
                f"host all {PASSWORD_USER} ::1/128 scram-sha-256\n")
        hba_text = hba.read_text()
        self._write(hba, text + hba_text)
        opts = (f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off "
                "-c synchronous_commit=off -c full_page_writes=off -c max_connections=300 "
                "-c shared_buffers=128MB -c work_mem=32MB -c max_locks_per_transaction=256")
        self._run(pg_ctl, "-D", str(self.data), "-o", opts, "-l", str(self.folder / "server.log"), "-w",
                  "-t", "60", "start")
        self.psql(f"CREATE ROLE {PASSWORD_USER} LOGIN PASSWORD '{PASSWORD}' SUPERUSER")
        return self

    def _write(self, path: Path, text: str) -> None:
        path.write_text(text)
        if self._as_root:
            shutil.chown(path, "postgres")

    def stop(self) -> None:
        pg_ctl = find_bin("pg_ctl")
        if pg_ctl and self.data.exists():
            self._run(pg_ctl, "-D", str(self.data), "-m", "immediate", "-w", "stop", check=False)

    def url(self, dbname: str = "postgres", user: str | None = None) -> str:
        return f"postgresql://{user or self.user}@127.0.0.1:{self.port}/{dbname}"

    def psql(self, sql: str, dbname: str = "postgres") -> None:
        """Run administrative SQL (CREATE/DROP DATABASE …) outside any transaction."""
        import psycopg

        with psycopg.connect(self.url(dbname), autocommit=True) as conn:
            conn.execute(sql)

    def create_database(self, name: str, template: str | None = None) -> str:
        """Create database ``name`` (optionally copied from ``template``); return its URL."""
        tpl = f" TEMPLATE {template} STRATEGY FILE_COPY" if template else ""
        for attempt in range(50):  # the template may still have a closing connection
            try:
                self.psql(f"CREATE DATABASE {name}{tpl}")
                break
            except Exception as exc:
                if "being accessed by other users" not in str(exc) or attempt == 49:
                    raise
                time.sleep(0.1)
        return self.url(name)

    def drop_database(self, name: str) -> None:
        self.psql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
