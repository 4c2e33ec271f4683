"""Service SQL stays in the portable subset of docs/architecture.md (the PostgreSQL store runs it)."""

from __future__ import annotations

import re
from pathlib import Path

import chainwatch

SRC = Path(chainwatch.__file__).parent
FORBIDDEN = {
    r"GROUP\s+BY\s+ALL\b": "GROUP BY ALL: name the columns (or GROUP BY 1, 2)",
    r"\*\s*EXCLUDE\s*\(": "SELECT * EXCLUDE: name the columns",
    r"\bINSERT\s+OR\s+(REPLACE|IGNORE)\b": "INSERT OR …: use INSERT … ON CONFLICT",
    r"\barg_(max|min)\s*\(": "arg_max/arg_min: join on the max",
    r"\bQUALIFY\b": "QUALIFY: filter a window in a subquery",
    r"CREATE\s+OR\s+REPLACE\s+(TEMP\s+|TEMPORARY\s+)?TABLE": "CREATE OR REPLACE TABLE: DROP IF EXISTS, then CREATE",
    r"\blist_contains\s*\(": "list_contains: IN (?, ?, …)",
    r"\bunnest\s*\(": "unnest of a list: IN (?, ?, …) or a registered frame",
    r"\bFROM\s+range\s*\(": "range(): generate_series(1, ?)",
    r"\btry_cast\s*\(": "try_cast: no PostgreSQL equivalent",
    r"\bINSERT\s+INTO\s+\w+\s+BY\s+NAME\b": "INSERT … BY NAME: list the columns (or store.insert_df)",
    r"\$[a-z_]+\b(?![{])": "named $parameters: positional ? only",
}
# files outside chainwatch/store that hold no SQL sent to the store (analytics run on frames)
SKIP_PARTS = {"store", "static", "templates"}


def _sql_strings(text: str) -> list[tuple[int, str]]:
    """String literals that look like SQL (with their line numbers)."""
    out = []
    for m in re.finditer(r'(?s)(?:[rfb]{0,2})("""|\'\'\'|"|\')(.*?)(?<!\\)\1', text):
        body = m.group(2)
        if re.search(r"\b(SELECT|INSERT|UPDATE|DELETE|CREATE|GROUP BY)\b", body):
            out.append((text.count("\n", 0, m.start()) + 1, body))
    return out


def test_service_sql_is_portable() -> None:
    offenders = []
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(SRC)
        if SKIP_PARTS & set(rel.parts):
            continue
        for line, body in _sql_strings(path.read_text(encoding="utf-8")):
            for pattern, why in FORBIDDEN.items():
                if re.search(pattern, body, re.IGNORECASE):
                    offenders.append(f"{rel}:{line}: {why}")
    assert not offenders, "SQL outside the portable subset (docs/architecture.md):\n" + "\n".join(offenders)


def test_the_scanner_finds_what_it_should() -> None:
    text = 'x = 1\nsql = f"""SELECT a, count(*) FROM t\n  GROUP BY ALL"""\ny = "INSERT OR REPLACE INTO t SELECT 1"\n'
    found = [(line, why) for line, body in _sql_strings(text) for p, why in FORBIDDEN.items()
             if re.search(p, body, re.IGNORECASE)]
    assert [line for line, _ in found] == [2, 4]
