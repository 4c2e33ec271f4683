"""The store interface is the only way to the database outside ``chainwatch.store``.

A second backend (PostgreSQL) implements the same :class:`chainwatch.store.Store` methods, so any
use of the driver connection (``store.con``) outside the store package would break it.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

import chainwatch
from chainwatch.store import Store

SRC = Path(chainwatch.__file__).parent
DRIVER = re.compile(r"\.con\b(?!\w)")


def test_no_driver_connection_outside_the_store() -> None:
    offenders = []
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(SRC)
        if rel.parts[0] == "store":
            continue
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if DRIVER.search(line) and not line.lstrip().startswith("#"):
                offenders.append(f"{rel}:{n}: {line.strip()}")
    assert not offenders, "use the Store methods instead of the driver connection:\n" + "\n".join(offenders)


def test_interface_methods_round_trip(tmp_path: Path) -> None:
    with Store.open(tmp_path / "t.duckdb") as store:
        store.execute("CREATE TABLE t (a INTEGER, b VARCHAR)")
        frame = pd.DataFrame({"b": ["x", "y", "z"], "a": [1, 2, 3]})
        assert store.insert_df("t", frame, ["a", "b"]) == 3
        store.executemany("INSERT INTO t VALUES (?, ?)", [(4, "w"), (5, "v")])
        assert store.scalar("SELECT sum(a) FROM t") == 15
        with store.registered("_extra", pd.DataFrame({"a": [2, 4]})):
            assert store.rows("SELECT b FROM t WHERE a IN (SELECT a FROM _extra) ORDER BY a") == [("y",), ("w",)]
        assert not store.table_exists("_extra")
        arrays = store.numpy("SELECT a, b FROM t ORDER BY a")
        assert list(arrays["a"]) == [1, 2, 3, 4, 5]
        other = store.cursor()
        assert other.scalar("SELECT count(*) FROM t") == 5
        try:
            with store.transaction():
                store.execute("DELETE FROM t")
                raise RuntimeError("roll back")
        except RuntimeError:
            pass
        assert store.scalar("SELECT count(*) FROM t") == 5
        assert store.backend == "duckdb" and store.display_name.endswith("t.duckdb")
