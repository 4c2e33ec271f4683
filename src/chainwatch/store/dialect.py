"""SQL written for DuckDB, run on PostgreSQL: translation through sqlglot, cached per statement.

Services write SQL in the portable subset of ``docs/architecture.md`` (DuckDB syntax, positional
``?`` parameters). :func:`to_postgres` turns one such statement into PostgreSQL text for psycopg:

* sqlglot transpiles DuckDB → PostgreSQL (types, ``/`` as real division, ``NULLS LAST`` ordering,
  ``::`` casts, ``FILTER``, string functions …);
* a few rewrites sqlglot does not do: ``round(x, n)`` on a double (PostgreSQL only rounds
  ``numeric``), ``any_value`` (PostgreSQL ≥ 16 only: ``min`` instead), a subquery in ``FROM``
  without an alias gets one (PostgreSQL < 16 requires it);
* constructs outside the portable subset raise :class:`NotPortable` with the reason (``GROUP BY
  ALL``, ``* EXCLUDE``, ``try_cast``, named parameters) instead of failing later with a syntax error;
* ``?`` becomes psycopg's ``%s`` and every literal ``%`` is doubled when the statement has
  parameters.

The result is cached (an LRU keyed by the statement text), so a statement is parsed once per
process: repeated service queries cost one dictionary look-up.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

import ibis.backends.sql.dialects  # noqa: F401  (Ibis patches sqlglot's generators: load it before first use)
import sqlglot
from sqlglot import exp

from chainwatch.errors import ChainwatchError

_MARK = "__cw_param__"
_CACHE: OrderedDict[tuple[str, bool], str] = OrderedDict()
_CACHE_SIZE = 4096
_LOCK = threading.Lock()


class NotPortable(ChainwatchError):
    """A statement outside the portable subset reached the PostgreSQL store (a bug: exit 70)."""

    exit_code = 70
    http_status = 500
    default_key = "store.not_portable"


def _rewrite(node: exp.Expression) -> exp.Expression:
    if isinstance(node, exp.Placeholder):
        if node.this:
            raise NotPortable(sql=node.sql("duckdb"), reason="named parameter")
        return exp.var(_MARK)
    if isinstance(node, exp.Subquery) and isinstance(node.parent, (exp.From, exp.Join)) and not node.alias:
        node.set("alias", exp.TableAlias(this=exp.to_identifier(f"_cw_sub{id(node) % 100000}")))
        return node
    if isinstance(node, exp.Group) and node.args.get("all"):
        raise NotPortable(sql="GROUP BY ALL", reason="GROUP BY ALL: name the columns")
    if isinstance(node, exp.Star) and any(node.args.get(k) for k in ("except_", "except", "replace", "rename")):
        raise NotPortable(sql=node.sql("duckdb"), reason="SELECT * EXCLUDE/REPLACE: name the columns")
    if isinstance(node, exp.Round) and node.args.get("decimals") is not None:
        inner = node.copy()
        inner.set("this", exp.cast(inner.this, exp.DataType.build("DECIMAL")))
        return exp.cast(inner, exp.DataType.build("DOUBLE"))
    if isinstance(node, exp.AnyValue):
        return exp.Min(this=node.this)
    if isinstance(node, exp.TryCast):
        raise NotPortable(sql=node.sql("duckdb"), reason="TRY_CAST")
    return node


def _translate(sql: str, params: bool) -> str:
    try:
        trees = sqlglot.parse(sql, read="duckdb")
    except sqlglot.errors.ParseError as exc:
        raise NotPortable(sql=sql[:200], reason=str(exc).splitlines()[0]) from exc
    out = []
    for tree in trees:
        if tree is None:
            continue
        tree = tree.transform(_rewrite)
        text = tree.sql(dialect="postgres")
        if params:
            text = text.replace("%", "%%").replace(_MARK, "%s")
        else:
            text = text.replace(_MARK, "%s")
        out.append(text)
    return ";\n".join(out)


def to_postgres(sql: str, *, params: bool) -> str:
    """PostgreSQL text of a DuckDB-dialect statement (``%s`` placeholders when ``params``)."""
    key = (sql, params)
    with _LOCK:
        hit = _CACHE.get(key)
        if hit is not None:
            _CACHE.move_to_end(key)
            return hit
    text = _translate(sql, params)
    with _LOCK:
        _CACHE[key] = text
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    return text


def split_statements(sql: str) -> list[str]:
    """The statements of a script (a migration file), as DuckDB-dialect SQL texts."""
    return [tree.sql(dialect="duckdb") for tree in sqlglot.parse(sql, read="duckdb") if tree is not None]
