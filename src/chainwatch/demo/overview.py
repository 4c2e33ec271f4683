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


def _stats_headline(cw: Any, period: str) -> pd.DataFrame:
    """The headline figures of the statistics service (the same numbers every other surface shows)."""
    h = cw.stats.headline(period)
    rows = [{"indicator": i, "name": t(f"demo.ind.{i}", cw.lang), "unit": v["unit"],
             "month_value": _round(v["month_value"]), "month_yoy_pct": _pct(v["month_yoy_pct"]),
             "ytd_value": _round(v["ytd_value"]), "ytd_yoy_pct": _pct(v["ytd_yoy_pct"])}
            for i, v in h["indicators"].items() if i in HEADLINE]
    frame = pd.DataFrame(rows)
    frame.attrs["n_enterprises"] = int(h["n_enterprises"])
    return frame


def _pct(v: Any) -> float | None:
    return None if v is None or pd.isna(v) else round(float(v), 1)


def _round(v: Any) -> float | None:
    return None if v is None or pd.isna(v) else round(float(v), 2)


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
    head = _stats_headline(cw, period)
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
    text.append(t("demo.next", lang, period=period, path=cw.store.display_name))
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
