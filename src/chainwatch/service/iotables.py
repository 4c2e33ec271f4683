"""Input–output tables as named records: imported into the database, or read from one configured folder.

A client of the server never names a file. ``chainwatch io tables import FILE --name N`` validates a
table with the same readers the models use (NBS or plain CSV layout) and stores its text in the
table ``io_table``; a deployment may instead put tables in the folder of the setting
``io_tables_dir`` (``NAME.csv``, ``NAME.tsv`` or ``NAME.txt``, regular files only). Scenarios and API
calls then name a table (``"table": "nbs2020"``); :meth:`IOTableService.load` resolves the name in
the database, then in the folder, confined to it: a name is letters, digits, ``_ . -`` (never a path),
symbolic links and anything that is not a regular file are refused, and every failure — a path such
as ``/etc/shadow``, ``/dev/zero``, a missing or refused file — answers the same "no IO table named …"
without telling whether some file exists. Only the command line (a local user on their own machine)
may still give a table file path.
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from chainwatch.analytics.shock.io import IOTable, TableText, decode_table, read_table
from chainwatch.errors import InputError, NotFound
from chainwatch.service.result import Result

if TYPE_CHECKING:
    from chainwatch.service import Chainwatch

NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$")
SUFFIXES = (".csv", ".tsv", ".txt")
LAYOUTS = ("auto", "nbs", "csv")


class UnknownTable(NotFound):
    """No IO table of that name (the same answer for paths, refused files and missing names)."""

    default_key = "sec.io.unknown_table"


def valid_name(name: Any) -> bool:
    return isinstance(name, str) and bool(NAME_RE.match(name)) and ".." not in name


def _shown(name: Any) -> str:
    text = str(name)
    return text if len(text) <= 80 else text[:77] + "…"


class IOTableService:
    """Named IO tables of one database (``cw.io_tables``) and of the folder ``io_tables_dir``."""

    def __init__(self, cw: Chainwatch | Any) -> None:
        self.cw = cw
        self.store = getattr(cw, "store", None)
        settings = getattr(cw, "settings", None)
        self.folder = str(getattr(settings, "io_tables_dir", "") or "") if settings is not None else ""
        self.max_bytes = int(getattr(settings, "io_table_max_mb", 64) or 64) * 1024 * 1024 if settings else \
            64 * 1024 * 1024
        self.max_sectors = int(getattr(settings, "io_max_sectors", 5000) or 5000) if settings else 5000

    # -- import ---------------------------------------------------------------------------------
    def _read_file(self, path: str | Path) -> tuple[str, bool, bytes]:
        p = Path(path)
        if not p.is_file():
            raise InputError("shock.io.file_missing", file=str(p))
        size = p.stat().st_size
        if size > self.max_bytes:
            raise InputError("sec.io.too_large", file=p.name, mb=self.max_bytes // (1024 * 1024))
        data = p.read_bytes()
        return decode_table(data, p.name), p.suffix.lower() in (".tsv", ".txt"), data

    def _check(self, table: IOTable, label: str) -> None:
        if table.n == 0:
            raise InputError("sec.io.empty", name=label)
        if table.n > self.max_sectors:
            raise InputError("sec.io.too_many_sectors", name=label, n=table.n, max=self.max_sectors)
        for what, arr in (("Z", table.Z), ("Y", table.Y), ("x", table.x)):
            if not np.isfinite(arr).all():
                raise InputError("sec.io.not_finite", name=label, what=what)

    def import_file(self, path: str | Path, name: str, *, layout: str = "auto", final: str | Path | None = None,
                    output: str | Path | None = None, note: str | None = None, replace: bool = False) -> Result:
        """Validate a table file (and its csv-layout companions) and store it under ``name``."""
        if not valid_name(name):
            raise InputError("sec.io.bad_name", name=_shown(name))
        if layout not in LAYOUTS:
            raise InputError("shock.io.bad_layout", layout=layout)
        if layout == "nbs" and (final or output):
            raise InputError("sec.io.companions_csv_only")
        text, tab, data = self._read_file(path)
        extra: dict[str, str | None] = {"final": None, "output": None}
        for key, companion in (("final", final), ("output", output)):
            if companion is not None:
                extra[key] = self._read_file(companion)[0]
        table = read_table(TableText(name, text, tab), layout,
                           **{k: TableText(f"{name}:{k}", v) for k, v in extra.items() if v is not None})
        self._check(table, name)
        exists = bool(self.store.scalar("SELECT count(*) FROM io_table WHERE name = ?", [name]))
        if exists and not replace:
            raise InputError("sec.io.exists", name=name)
        digest = hashlib.sha256(data).hexdigest()
        now = datetime.now()
        with self.store.transaction() as con:
            con.execute("DELETE FROM io_table WHERE name = ?", [name])
            con.execute("""INSERT INTO io_table (name, layout, tab, sectors, unit, source_file, sha256, bytes,
                                                 content, final_content, output_content, imported_at,
                                                 imported_by, note)
                           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                        [name, table.layout if table.layout != "nbs-noncompetitive" else "nbs", tab, table.n,
                         table.unit or None, Path(path).name, digest, len(data), text, extra["final"],
                         extra["output"], now, self.cw.actor, note])
        self.store.audit(self.cw.actor, "io.table.import", name,
                         f"file={Path(path).name} sectors={table.n} sha256={digest[:12]} replace={replace}")
        self.cw.audit.record("io.table.import", name, detail={"file": Path(path).name, "sectors": table.n,
                                                               "sha256": digest, "replace": replace})
        return self.show(name, command="io tables import")

    # -- listing --------------------------------------------------------------------------------
    def _folder_files(self) -> dict[str, Path]:
        """Names → files of the configured folder (regular files only, no symbolic links)."""
        if not self.folder:
            return {}
        root = Path(self.folder)
        out: dict[str, Path] = {}
        try:
            entries = sorted(root.iterdir())
        except OSError:
            return {}
        for entry in entries:
            if entry.suffix.lower() not in SUFFIXES or not valid_name(entry.stem) or entry.stem in out:
                continue
            try:
                st = entry.lstat()
            except OSError:
                continue
            if stat.S_ISREG(st.st_mode):
                out[entry.stem] = entry
        return out

    def list(self) -> Result:
        """Every table a scenario may name: stored ones and the configured folder's."""
        rows: list[dict[str, Any]] = []
        if self.store is not None:
            stored = self.store.df("""SELECT name, layout, sectors, unit, source_file, bytes, sha256, imported_at,
                                             imported_by, note FROM io_table ORDER BY name""")
            for r in stored.to_dict(orient="records"):
                r["origin"] = "database"
                r["sha256"] = str(r["sha256"])[:12]
                rows.append(r)
        seen = {r["name"] for r in rows}
        for name, path in self._folder_files().items():
            if name in seen:
                continue
            st = path.stat()
            rows.append({"name": name, "layout": None, "sectors": None, "unit": None, "source_file": path.name,
                         "bytes": st.st_size, "sha256": None,
                         "imported_at": datetime.fromtimestamp(st.st_mtime), "imported_by": None, "note": None,
                         "origin": "folder"})
        cols = ["name", "origin", "layout", "sectors", "unit", "source_file", "bytes", "sha256", "imported_at",
                "imported_by", "note"]
        return Result("io tables list", self._meta(), {"tables": pd.DataFrame(rows, columns=cols)})

    def names(self) -> list[str]:
        tables = self.list().tables["tables"]
        return [str(n) for n in tables["name"]]  # type: ignore[index]

    def _meta(self, **extra: Any) -> dict[str, Any]:
        return self.cw.meta(**extra)

    def show(self, name: str, *, command: str = "io tables show") -> Result:
        """One table: its record and its sectors (code, name, gross output, final use)."""
        table, info = self._load(name)
        names = table.names_zh if getattr(self.cw, "lang", "zh") == "zh" and table.names_zh else table.names
        sectors = pd.DataFrame({"sector": table.sectors})
        if names:
            sectors["name"] = names
        sectors["output"] = table.x
        sectors["final_use"] = table.final_use
        info = {**info, "layout": table.layout, "sectors": table.n, "unit": table.unit or None}
        return Result(command, self._meta(table=name, units=table.unit or "table units"),
                      {"table": pd.DataFrame([info]), "sectors": sectors})

    def remove(self, name: str) -> None:
        if self.store is None or not valid_name(name) or not self.store.scalar(
                "SELECT count(*) FROM io_table WHERE name = ?", [name]):
            raise UnknownTable(name=_shown(name), available=self._available())
        self.store.execute("DELETE FROM io_table WHERE name = ?", [name])
        self.store.audit(self.cw.actor, "io.table.remove", name, None)
        self.cw.audit.record("io.table.remove", name)

    # -- resolving a name -----------------------------------------------------------------------
    def _available(self) -> str:
        try:
            names = self.names()
        except Exception:  # noqa: BLE001 - the list only decorates the message
            names = []
        shown = ", ".join(names[:20]) + (" …" if len(names) > 20 else "")
        return shown or "—"

    def _unknown(self, name: Any) -> UnknownTable:
        return UnknownTable(name=_shown(name), available=self._available())

    def fingerprint(self, name: str) -> tuple[str, str]:
        """(origin, version) of a named table, to key caches: the stored SHA-256 or the file's mtime and size."""
        if not valid_name(name):
            raise self._unknown(name)
        if self.store is not None:
            digest = self.store.scalar("SELECT sha256 FROM io_table WHERE name = ?", [name])
            if digest:
                return "database", str(digest)
        path = self._folder_files().get(name)
        if path is None:
            raise self._unknown(name)
        st = path.stat()
        return "folder", f"{st.st_mtime_ns}:{st.st_size}"

    def _folder_text(self, name: str) -> TableText:
        """A folder table's text, opened without following links and checked to be a regular file."""
        path = self._folder_files().get(name)
        if path is None:
            raise self._unknown(name)
        flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
        try:
            fd = os.open(path, flags)
        except OSError:
            raise self._unknown(name) from None
        try:
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode):
                raise self._unknown(name)
            if st.st_size > self.max_bytes:
                raise InputError("sec.io.too_large", file=name, mb=self.max_bytes // (1024 * 1024))
            with os.fdopen(fd, "rb", closefd=False) as fh:
                data = fh.read(self.max_bytes + 1)
        finally:
            os.close(fd)
        if len(data) > self.max_bytes:
            raise InputError("sec.io.too_large", file=name, mb=self.max_bytes // (1024 * 1024))
        return TableText(name, decode_table(data, name), path.suffix.lower() in (".tsv", ".txt"))

    def _load(self, name: str, layout: str = "auto") -> tuple[IOTable, dict[str, Any]]:
        if not valid_name(name):
            raise self._unknown(name)
        row = None
        if self.store is not None:
            rows = self.store.rows("""SELECT layout, tab, content, final_content, output_content, source_file,
                                             sha256, bytes, imported_at, imported_by, note
                                      FROM io_table WHERE name = ?""", [name])
            row = rows[0] if rows else None
        if row is not None:
            stored_layout, tab, content, final, output, source_file, digest, size, at, by, note = row
            kw = {k: TableText(f"{name}:{k}", v) for k, v in (("final", final), ("output", output)) if v is not None}
            table = read_table(TableText(name, content, bool(tab)), stored_layout or layout, **kw)
            info = {"name": name, "origin": "database", "source_file": source_file, "bytes": size,
                    "sha256": digest, "imported_at": at, "imported_by": by, "note": note}
        else:
            text = self._folder_text(name)
            table = read_table(text, layout)
            info = {"name": name, "origin": "folder", "source_file": f"{name}{'.tsv' if text.tab else '.csv'}",
                    "bytes": len(text.text.encode("utf-8")),
                    "sha256": hashlib.sha256(text.text.encode("utf-8")).hexdigest(),
                    "imported_at": None, "imported_by": None, "note": None}
        self._check(table, name)
        return table, info

    def load(self, name: str, layout: str = "auto") -> IOTable:
        """The table named ``name`` (stored, else from the configured folder); :class:`UnknownTable` else."""
        return self._load(name, layout)[0]
