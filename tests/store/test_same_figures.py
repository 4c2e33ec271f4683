"""The same figures on DuckDB and PostgreSQL: stats, chains, warnings, assess, policy, trade, shock, bulletin.

Two copies of the demo city, one per backend, answer the same service calls; every table of every
result must agree (numbers to 1e-9 relative, rows in the same order where the service orders them).
"""

from __future__ import annotations

import math
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from chainwatch.service import Chainwatch, Result

PERIOD = "2021-11"
VOLATILE = {"generated_at", "database"}
# "now" when each ran, and the event hashes that include it
NOW_COLUMNS = {"created_at", "updated_at", "event_at", "loaded_at", "computed_at", "hash", "prev_hash"}


def _volatile(key: str) -> bool:
    return key in VOLATILE or key.startswith("seconds") or key.endswith("_seconds")


def _isnull(v: Any) -> bool:
    try:
        return v is None or bool(pd.isna(v))
    except (TypeError, ValueError):
        return False


_NUM = re.compile(r"(\d[\d,]*(?:\.\d+)?)")


def _same_text(x: str, y: str) -> bool:
    """Equal texts, except that a printed number may differ by one unit in its last digit.

    Floating sums run in a different order on each engine; a value on a rounding boundary
    (38,459.5 万元) may then print as 38,459 on one and 38,460 on the other.
    """
    px, py = _NUM.split(x), _NUM.split(y)
    if len(px) != len(py):
        return False
    for i, (a, b) in enumerate(zip(px, py, strict=True)):
        if i % 2 == 0 or a == b:
            if a != b:
                return False
            continue
        places = len(a.split(".")[1]) if "." in a else 0
        if abs(float(a.replace(",", "")) - float(b.replace(",", ""))) > 1.000001 * 10 ** -places:
            return False
    return True


def _same(x: Any, y: Any) -> bool:
    if isinstance(x, str) and isinstance(y, str):
        return _same_text(x, y)
    if _isnull(x) or _isnull(y):
        return _isnull(x) and _isnull(y)
    if isinstance(x, dict) and isinstance(y, dict):
        return x.keys() == y.keys() and all(_same(x[k], y[k]) for k in x if not _volatile(str(k)))
    if isinstance(x, (list, tuple)) and isinstance(y, (list, tuple)):
        return len(x) == len(y) and all(_same(a, b) for a, b in zip(x, y, strict=True))
    if isinstance(x, (float, np.floating)) and isinstance(y, (float, int, np.number)):
        return math.isclose(float(x), float(y), rel_tol=1e-9, abs_tol=1e-9)
    return x == y


@pytest.fixture(scope="module")
def pair(demo_db: str, pg_server: Any, _demo_pg_template: str,
         tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Chainwatch, Chainwatch]]:
    folder = tmp_path_factory.mktemp("same")
    duck_path = folder / "demo.duckdb"
    shutil.copyfile(demo_db, duck_path)
    name = f"cw_same{os.getpid()}"
    url = pg_server.create_database(name, template=_demo_pg_template)
    duck = Chainwatch(duck_path, lang="zh", actor="test")
    pg = Chainwatch(url, lang="zh", actor="test")
    try:
        yield duck, pg
    finally:
        duck.close()
        pg.close()
        pg_server.drop_database(name)


def _norm(v: Any) -> Any:
    if isinstance(v, (np.floating, float)):
        return None if math.isnan(float(v)) else float(v)
    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, pd.Timestamp):
        return v.to_pydatetime()
    if v is pd.NA or v is pd.NaT:
        return None
    return v


def _frame(x: Any) -> pd.DataFrame:
    return x if isinstance(x, pd.DataFrame) else pd.DataFrame(x)


def assert_same_frame(a: Any, b: Any, where: str, *, sort: bool = False) -> None:
    fa, fb = _frame(a).reset_index(drop=True), _frame(b).reset_index(drop=True)
    assert list(fa.columns) == list(fb.columns), where
    assert len(fa) == len(fb), where
    if sort and len(fa):
        keys = [c for c in fa.columns if fa[c].dtype == object or str(fa[c].dtype) in ("str", "string")]
        keys = keys or list(fa.columns)
        fa = fa.sort_values(keys, kind="mergesort").reset_index(drop=True)
        fb = fb.sort_values(keys, kind="mergesort").reset_index(drop=True)
    for col in fa.columns:
        if col in NOW_COLUMNS:
            continue
        for i, (x, y) in enumerate(zip(fa[col].map(_norm), fb[col].map(_norm), strict=True)):
            assert _same(x, y), f"{where}: {col} row {i}: {x!r} != {y!r}"


def assert_same_result(a: Result, b: Result, *, sort: bool = False) -> None:
    assert a.command == b.command
    ma = {k: v for k, v in a.meta.items() if not _volatile(k)}
    mb = {k: v for k, v in b.meta.items() if not _volatile(k)}
    assert ma.keys() == mb.keys(), a.command
    for k in ma:
        assert _same(ma[k], mb[k]), f"{a.command} meta {k}: {ma[k]!r} != {mb[k]!r}"
    assert list(a.tables) == list(b.tables), a.command
    for name in a.tables:
        assert_same_frame(a.tables[name], b.tables[name], f"{a.command}.{name}", sort=sort)
    assert _same(list(a.text), list(b.text)), a.command


def both(pair: tuple[Chainwatch, Chainwatch], call: Any, **kw: Any) -> tuple[Any, Any]:
    return call(pair[0]), call(pair[1])


def test_statistics(pair: tuple[Chainwatch, Chainwatch]) -> None:
    a, b = both(pair, lambda cw: cw.stats.compute(PERIOD, by="all"))
    assert_same_result(a, b)
    chain = pair[0].store.scalar("SELECT min(chain_id) FROM chain")
    a, b = both(pair, lambda cw: cw.stats.series("chain", chain, "gross_output", "2020-01", PERIOD))
    assert_same_result(a, b)
    a, b = both(pair, lambda cw: cw.stats.compute("2021-02", by="district,size"))
    assert_same_result(a, b)


def test_chains(pair: tuple[Chainwatch, Chainwatch]) -> None:
    assert_same_result(*both(pair, lambda cw: cw.chains.overview()))
    chain = pair[0].store.scalar("SELECT min(chain_id) FROM chain")
    for call in (lambda cw: cw.chains.segments(chain), lambda cw: cw.chains.critical(chain),
                 lambda cw: cw.chains.leaders(chain)):
        assert_same_result(*both(pair, call))
    ga, gb = both(pair, lambda cw: cw.chains.graph(chain))
    assert _same(ga, gb)


def test_warnings(pair: tuple[Chainwatch, Chainwatch]) -> None:
    a, b = both(pair, lambda cw: cw.risk.run("2021-06"))
    assert_same_result(a, b)
    a, b = both(pair, lambda cw: cw.risk.run(PERIOD))
    assert_same_result(a, b)
    assert_same_result(*both(pair, lambda cw: cw.risk.summary(PERIOD)))
    la, lb = both(pair, lambda cw: cw.risk.list(period=PERIOD))
    assert_same_result(la, lb)
    wid = int(la.tables["warnings"]["id"].iloc[0])
    assert_same_result(*both(pair, lambda cw: cw.risk.transition(wid, "ack", actor="alice")))
    ea, eb = both(pair, lambda cw: cw.risk.events(wid))
    assert [(e["action"], e["to_state"], e["seq"]) for e in ea] == [(e["action"], e["to_state"], e["seq"]) for e in eb]


def test_assess_and_candidates(pair: tuple[Chainwatch, Chainwatch]) -> None:
    assert_same_result(*both(pair, lambda cw: cw.cultivation.pipeline(date="2021-12-31")))
    assert_same_result(*both(pair, lambda cw: cw.cultivation.candidates(date="2021-12-31")))
    uscc = pair[0].cultivation.candidates(date="2021-12-31").tables["candidates"]["uscc"].iloc[0]
    assert_same_result(*both(pair, lambda cw: cw.cultivation.assess(uscc=uscc, date="2021-12-31")))
    assert_same_result(*both(pair, lambda cw: cw.cultivation.gap(uscc, date="2021-12-31")))


def test_policy(pair: tuple[Chainwatch, Chainwatch]) -> None:
    for pid in ("rd-subsidy-zjtx", "export-relief"):
        assert_same_result(*both(pair, lambda cw, pid=pid: cw.policy.match(pid, period=PERIOD)))


def test_trade(pair: tuple[Chainwatch, Chainwatch]) -> None:
    for by in ("group", "country", "chain", "hs"):
        assert_same_result(*both(pair, lambda cw, by=by: cw.trade.summary(PERIOD, by=by)))
    assert_same_result(*both(pair, lambda cw: cw.trade.segment_dependence(PERIOD)))


def test_shock(pair: tuple[Chainwatch, Chainwatch]) -> None:
    country = pair[0].store.scalar("""SELECT supplier_country FROM supply_link WHERE supplier_country <> 'CHN'
                                      GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1""")
    scenario = {"name": "cut", "horizon_months": 6, "inventory_days": 15, "recovery_months": 2,
                "shocks": [{"country": country, "capacity_pct": 0, "months": 3}]}
    assert_same_result(*both(pair, lambda cw: cw.shock.run(scenario, save="cut")))
    assert_same_result(*both(pair, lambda cw: cw.shock.saved()))


def test_bulletin(pair: tuple[Chainwatch, Chainwatch], tmp_path: Path) -> None:
    ha, hb = both(pair, lambda cw: cw.reports.bulletin(PERIOD, "html").decode("utf-8"))
    strip = [pair[0].store.display_name, pair[1].store.display_name]

    def clean(html: str) -> str:
        for s in strip:
            html = html.replace(s, "")
        return re.sub(r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2})?", "", html)

    assert _same_text(clean(ha), clean(hb))
