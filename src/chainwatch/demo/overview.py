"""``chainwatch demo``: build the demo city and summarise what is in it.

:func:`run_demo` is what the CLI calls: it builds the database (see :mod:`chainwatch.demo.loader`)
and returns a :class:`~chainwatch.service.result.Result` with the record counts and the latest
period's headline figures of above-size industry (same-caliber year-on-year growth computed
directly from the enterprise data; the bulletin sentence comes from ``cw.stats`` when available).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from chainwatch.demo.generator import DEFAULT_ENTERPRISES, DEFAULT_SEED
from chainwatch.demo.loader import BuildReport, build_demo
from chainwatch.errors import UsageError
from chainwatch.i18n import t
from chainwatch.service.result import Result

COUNT_TABLES = ("enterprise", "chain", "segment", "cluster", "monthly_value", "supply_link", "trade_flow",
                "enterprise_title", "enterprise_annual")
HEADLINE = ("gross_output", "value_added", "revenue", "total_profit", "profit_tax", "export_value")


def headline_frame(store: Any, period: str) -> pd.DataFrame:
    """Month and year-to-date totals of above-size industry for ``period`` with same-caliber growth.

    The enterprise set is the year's 规上 directory restricted to industry (sections B–D); the base
    is each enterprise's own value a year earlier (0 when it did not operate), exits excluded.
    """
    y, m = int(period[:4]), int(period[5:7])
    months = list(range(1, max(m, 2) + 1))
    month_set = [1, 2] if m <= 2 else [m]
    exprs = {i: i for i in HEADLINE if i != "profit_tax"}
    exprs["profit_tax"] = "total_profit + coalesce(taxes, 0)"
    sums = ", ".join(
        f"sum({e}) FILTER (WHERE v.year = ? AND v.month IN ({','.join(map(str, months))})) AS ytd_{i}, "
        f"sum({e}) FILTER (WHERE v.year = ? AND v.month IN ({','.join(map(str, months))})) AS ytd0_{i}, "
        f"sum({e}) FILTER (WHERE v.year = ? AND v.month IN ({','.join(map(str, month_set))})) AS m_{i}, "
        f"sum({e}) FILTER (WHERE v.year = ? AND v.month IN ({','.join(map(str, month_set))})) AS m0_{i}"
        for i, e in exprs.items())
    params: list[Any] = []
    for _ in exprs:
        params += [y, y - 1, y, y - 1]
    sql = f"""
        WITH s AS (SELECT sc.uscc FROM enterprise_scope sc JOIN enterprise e USING (uscc)
                   WHERE sc.year = ? AND sc.above_size AND e.section IN ('B', 'C', 'D')
                     AND EXISTS (SELECT 1 FROM monthly_value x WHERE x.uscc = sc.uscc AND x.year = ?
                                 AND x.month IN ({','.join(map(str, month_set))})))
        SELECT count(DISTINCT v.uscc) FILTER (WHERE v.year = ?) AS n, {sums}
        FROM monthly_value v JOIN s USING (uscc) WHERE v.year IN (?, ?)"""
    row = store.df(sql, [y, y, y, *params, y, y - 1]).iloc[0]
    rows = []
    for i in HEADLINE:
        ytd, ytd0, mv, mv0 = (row[f"ytd_{i}"], row[f"ytd0_{i}"], row[f"m_{i}"], row[f"m0_{i}"])
        rows.append({"indicator": i, "unit": "万元", "month_value": _round(mv), "month_yoy_pct": _growth(mv, mv0),
                     "ytd_value": _round(ytd), "ytd_yoy_pct": _growth(ytd, ytd0)})
    frame = pd.DataFrame(rows)
    frame.attrs["n_enterprises"] = int(row["n"] or 0)
    return frame


def _round(v: Any) -> float | None:
    return None if v is None or pd.isna(v) else round(float(v), 2)


def _growth(now: Any, base: Any) -> float | None:
    if now is None or base is None or pd.isna(now) or pd.isna(base) or base <= 0:
        return None
    return round((float(now) / float(base) - 1.0) * 100.0, 1)


def summary(cw: Any, report: BuildReport | None = None) -> Result:
    """Counts and headline figures of a demo database opened as ``cw``."""
    lang = cw.lang
    store = cw.store
    info = dict(store.rows("SELECT key, value FROM demo_info"))
    period = info.get("last_period") or store.scalar("SELECT max(period) FROM monthly_value")
    latest_year = int(period[:4])
    counts = []
    for tbl in COUNT_TABLES:
        counts.append({"table": tbl, "name": t(f"demo.t.{tbl}", lang),
                       "rows": int(store.scalar(f"SELECT count(*) FROM {tbl}"))})
    above = int(store.scalar("SELECT count(*) FROM enterprise_scope WHERE year = ? AND above_size", [latest_year]))
    counts.insert(1, {"table": "enterprise_scope", "name": t("demo.t.above_size", lang), "rows": above})
    head = headline_frame(store, period)
    head.insert(1, "name", [t(f"demo.ind.{i}", lang) for i in head["indicator"]])
    truth = dict(store.rows("SELECT kind, count(DISTINCT coalesce(uscc, '')) FROM demo_truth_enterprise GROUP BY kind"))
    seg_truth = dict(store.rows("SELECT kind, count(*) FROM demo_truth_segment GROUP BY kind"))
    troubled = int(store.scalar("SELECT count(DISTINCT uscc) FROM demo_truth_enterprise "
                                "WHERE kind IN ('decline', 'loss', 'power_divergence')"))
    from chainwatch.model.periods import Period

    label = Period.parse(period).label(lang, cumulative=True)
    text = [t("demo.label", lang)]
    if report is not None:
        text.append(t("demo.built", lang, path=report.path, seed=report.seed, n=report.n_enterprises,
                      seconds=report.seconds_total))
        if report.replaced:
            text.append(t("demo.replaced", lang))
    try:  # the bulletin sentence of the statistics service, when that feature is installed
        text.append(str(cw.stats.sentence(period, lang)))
    except Exception:  # noqa: BLE001 - optional feature; the table below has the figures anyway
        pass
    text.append(t("demo.truth", lang, troubled=troubled, fragile=seg_truth.get("single_local_supplier", 0),
                  missing=seg_truth.get("missing_link", 0), leaders=truth.get("chain_leader", 0)))
    text.append(t("demo.next", lang, period=period, path=cw.db_path))
    meta = cw.meta(command="demo", synthetic=True, label=t("demo.label", lang), seed=int(info.get("seed", 0)),
                   enterprises=int(info.get("enterprises", 0)), period=period, ytd_label=label,
                   n_above_size_reporting=head.attrs.get("n_enterprises"), units={"money": "万元"},
                   growth_source="computed", caliber="same-caliber (同口径)",
                   generator_version=info.get("generator_version"))
    if report is not None:
        meta.update(seconds=round(report.seconds_total, 2), replaced=report.replaced)
    return Result("demo", meta=meta, tables={"counts": pd.DataFrame(counts), "headline": head}, text=text)


def run_demo(db: str | Path | None = None, *, seed: int = DEFAULT_SEED, n_enterprises: int = DEFAULT_ENTERPRISES,
             force: bool = False, lang: str | None = None,
             progress: Callable[[str, int, int], None] | None = None) -> Result:
    """Build the demo database at ``db`` (default from settings) and return its summary."""
    from chainwatch.service import Chainwatch
    from chainwatch.settings import load_settings

    if seed < 0:
        raise UsageError("demo.bad_seed", seed=seed)
    path = str(db or load_settings().db)
    report = build_demo(path, seed=seed, n_enterprises=n_enterprises, force=force, progress=progress)
    with Chainwatch(path, lang=lang, actor="demo") as cw:
        return summary(cw, report)
