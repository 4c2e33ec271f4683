"""Stats service: official-style industrial statistics for the CLI, API, dashboard and bulletins.

``cw.stats.compute(period, by, indicators)`` returns a :class:`Result` with one table ``rows`` (one row
per group × indicator; field names in docs/stats.md). ``headline`` and ``sentence`` give the city
figures and the bulletin sentence; ``series`` and ``enterprise_series`` the monthly trends for charts.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import ibis
import pandas as pd

from chainwatch.analytics.stats import (
    ALL_INDICATORS,
    GROUP_TYPES,
    INDICATORS,
    SENTENCE_INDICATORS,
    Span,
    derived_scope,
    long_rows,
    stats_expr,
)
from chainwatch.analytics.stats.fmt import growth_phrase, join_list
from chainwatch.analytics.stats.series import enterprise_series_expr, series_expr
from chainwatch.errors import InputError, NotFound, UsageError
from chainwatch.i18n import t
from chainwatch.model.periods import Period
from chainwatch.model.sizeclass import SIZE_LABELS
from chainwatch.service.result import Result

if TYPE_CHECKING:
    from chainwatch.service import Chainwatch

_SQL_CACHE: dict[tuple[Any, ...], str] = {}
TABLES = ("monthly_value", "enterprise", "enterprise_scope", "deflator", "segment_enterprise", "segment", "chain",
          "enterprise_annual")


class StatsService:
    """Official-style statistics over the open database, respecting ``cw.scope``."""

    def __init__(self, cw: Chainwatch) -> None:
        self.cw = cw
        self.store = cw.store

    # -- inputs --------------------------------------------------------------------------------
    def _tables(self) -> dict[str, Any]:
        backend = self.store.ibis()
        tabs = {name: backend.table(name) for name in TABLES}
        missing = self._derive_years()
        if missing:
            def norm(t: Any) -> Any:
                return t.select(uscc=t.uscc.cast("string"), year=t.year.cast("int32"),
                                above_size=t.above_size.cast("boolean"), source=t.source.cast("string"))

            tabs["enterprise_scope"] = norm(tabs["enterprise_scope"]).union(
                norm(derived_scope(tabs["enterprise_annual"], missing)), distinct=False)
        return tabs

    def _derive_years(self) -> list[int]:
        """Years without directory membership, when the setting ``derive_scope`` is on."""
        if not getattr(self.cw.settings, "derive_scope", False):
            return []
        have = {int(r[0]) for r in self.store.rows("SELECT DISTINCT year FROM enterprise_scope")}
        years = {int(r[0]) for r in self.store.rows("SELECT DISTINCT year FROM monthly_value")}
        return sorted(years - have)

    @staticmethod
    def parse_by(by: str | Sequence[str]) -> list[str]:
        """'chain' / 'chain,district' / 'all' / a list → grouping names; UsageError when unknown."""
        items = by.split(",") if isinstance(by, str) else list(by)
        items = [b.strip().lower() for b in items if b and b.strip()]
        if items == ["all"]:
            return list(GROUP_TYPES)
        for b in items:
            if b not in GROUP_TYPES:
                raise UsageError("stats.bad_by", by=b, allowed=", ".join((*GROUP_TYPES, "all")))
        return items or ["total"]

    @staticmethod
    def parse_indicators(indicators: str | Sequence[str] | None) -> list[str]:
        if indicators is None:
            return list(ALL_INDICATORS)
        items = indicators.split(",") if isinstance(indicators, str) else list(indicators)
        items = [i.strip() for i in items if i and i.strip()]
        for i in items:
            if i not in INDICATORS:
                raise UsageError("stats.bad_indicator", indicator=i, allowed=", ".join(ALL_INDICATORS))
        return items or list(ALL_INDICATORS)

    def _policy(self) -> str:
        policy = str(getattr(self.cw.settings, "incomplete_base", "exclude") or "exclude").lower()
        if policy not in ("exclude", "zero"):
            raise InputError("error.input", detail=f"setting incomplete_base={policy!r} (exclude or zero)")
        return policy

    # -- names ---------------------------------------------------------------------------------
    def group_names(self, group_type: str, lang: str | None = None) -> dict[str, str]:
        """group_id → display name in ``lang`` for one grouping."""
        lang = lang or self.cw.lang
        zh = lang == "zh"
        if group_type == "total":
            key = "stats.scope_total_name" if self.cw.scope else "stats.total_name"
            return {"total": t(key, lang)}
        if group_type == "size":
            names = {k: (v[0] if zh else v[1]) for k, v in SIZE_LABELS.items()}
            names["unknown"] = t("stats.size.unknown", lang)
            return names
        sql = {
            "chain": "SELECT chain_id, name_zh, name_en FROM chain",
            "segment": "SELECT segment_id, name_zh, name_en FROM segment",
            "cluster": "SELECT cluster_id, name_zh, name_en FROM cluster",
            "district": "SELECT code, name, name_en FROM region",
            "industry": "SELECT code, name_zh, name_en FROM industry WHERE level = 2",
        }[group_type]
        return {str(r[0]): str((r[1] if zh else (r[2] or r[1])) or r[0]) for r in self.store.rows(sql)}

    # -- main computation ----------------------------------------------------------------------
    def _wide(self, p: Period, groups: tuple[str, ...], inds: tuple[str, ...], years: int) -> pd.DataFrame:
        """Run the statistics expression; its compiled SQL is cached (compiling is the slow part)."""
        span = Span.of(p.year, p.month)
        scope = tuple(self.cw.scope) if self.cw.scope is not None else None
        key = (self.store.dialect, span.year, span.month, groups, inds, self._policy(), scope, years,
               tuple(self._derive_years()))
        sql = _SQL_CACHE.get(key)
        if sql is None:
            expr = stats_expr(self._tables(), span.year, span.month, by=groups, indicators=inds,
                              policy=self._policy(), districts=self.cw.scope, years=years)
            sql = str(ibis.to_sql(expr, dialect=self.store.dialect))
            if len(_SQL_CACHE) >= 512:
                _SQL_CACHE.pop(next(iter(_SQL_CACHE)))
            _SQL_CACHE[key] = sql
        return self.store.df(sql, dialect=self.store.dialect)

    def frame(self, period: str | Period, by: str | Sequence[str] = "total",
              indicators: str | Sequence[str] | None = None, *, years: int = 3) -> pd.DataFrame:
        """The statistics as a DataFrame (one row per group × indicator), without metadata."""
        p = period if isinstance(period, Period) else Period.parse(period)
        groups = self.parse_by(by)
        inds = self.parse_indicators(indicators)
        rows = long_rows(self._wide(p, tuple(groups), tuple(inds), years), inds)
        total = rows[rows.group_type == "total"]
        if total.empty or int(total.n_month_enterprises.max()) == 0:
            raise NotFound("stats.no_data", period=p.label(self.cw.lang, cumulative=True) + f" ({p})")
        rows = rows[(rows.group_type == "total") | (rows.n_enterprises > 0)].reset_index(drop=True)
        names: dict[tuple[str, str], str] = {}
        for g in ("total", *groups):
            for gid, name in self.group_names(g).items():
                names[(g, gid)] = name
        rows.insert(2, "group_name", [names.get((g, i), i) for g, i in zip(rows.group_type, rows.group_id, strict=True)])
        return rows

    def compute(self, period: str, by: str | Sequence[str] = "total",
                indicators: str | Sequence[str] | None = None) -> Result:
        """Statistics of ``period`` by ``by`` (a grouping, a comma list, or 'all').

        Returns a Result with table ``rows``; the ``total`` group is always included first.
        """
        p = Period.parse(period)
        groups = self.parse_by(by)
        inds = self.parse_indicators(indicators)
        rows = self.frame(p, groups, inds)
        lang = self.cw.lang
        total = rows[rows.group_type == "total"]
        basis = dict(zip(total.indicator, total.basis, strict=True))
        n_inc = int(total.n_incomplete_base.iloc[0]) if len(total) else 0
        notes = []
        if p.month == 1:
            notes.append(t("stats.note.jan", lang))
        if p.month <= 2 and not self.store.scalar(
                "SELECT count(*) FROM monthly_value WHERE year = ? AND month = 2", [p.year]):
            notes.append(t("stats.note.feb_missing", lang, year=p.year))
        if any(g in ("chain", "segment", "cluster") for g in groups):
            notes.append(t("stats.note.chains", lang))
        if "value_added" in inds:
            notes.append(t("stats.note.comparable" if basis.get("value_added") == "comparable"
                           else "stats.note.current", lang))
        if n_inc:
            notes.append(t("stats.note.incomplete", lang, n=n_inc, policy=self._policy()))
        if self._derived_scope(p.year):
            notes.append(t("stats.note.derived", lang))
        span = Span.of(p.year, p.month)
        meta = self.cw.meta(
            period=str(p), official_period=span.period(0), month_label=p.label(lang),
            ytd_label=p.label(lang, cumulative=True), official_months=list(span.official),
            cumulative_months=list(span.cumulative), by=groups, indicators=inds,
            units={i: INDICATORS[i].unit for i in inds}, money_unit="万元", basis=basis,
            growth_source="computed", caliber="same-caliber (同口径): year-t 规上 set vs. the same enterprises a year earlier",
            incomplete_base_policy=self._policy(), n_incomplete_base=n_inc,
            partitions=[g for g in groups if g in ("district", "industry", "size")],
            scope=self.cw.scope, notes=notes)
        if all(i in inds for i in SENTENCE_INDICATORS):
            sentence = self._sentence(p, rows, lang)
        else:
            sentence = self.sentence(str(p), lang)
        return Result("stats", meta=meta, tables={"rows": rows}, text=[sentence])

    def _derived_scope(self, year: int) -> bool:
        if any(y in (year, year - 1, year - 2) for y in self._derive_years()):
            return True
        n = self.store.scalar("SELECT count(*) FROM enterprise_scope WHERE year = ? AND source = 'derived'", [year])
        return bool(n)

    # -- headline and bulletin sentence --------------------------------------------------------
    def headline(self, period: str) -> dict[str, Any]:
        """City (or scope) totals of every indicator, for dashboards and bulletins."""
        p = Period.parse(period)
        rows = self.frame(p, "total")
        first = rows.iloc[0]
        inds = {}
        for r in rows.itertuples(index=False):
            inds[r.indicator] = {
                "name": t(f"stats.ind.{r.indicator}", self.cw.lang), "unit": INDICATORS[r.indicator].unit,
                "month_value": _num(r.month_value), "ytd_value": _num(r.ytd_value),
                "month_yoy_pct": _num(r.month_yoy_pct), "ytd_yoy_pct": _num(r.ytd_yoy_pct),
                "two_year_avg_pct": _num(r.two_year_avg_pct), "month_two_year_avg_pct": _num(r.month_two_year_avg_pct),
                "n_growing": int(r.n_growing), "n_declining": int(r.n_declining), "basis": r.basis,
            }
        n = int(first.n_enterprises)
        return {
            "period": str(p), "month_label": p.label(self.cw.lang), "ytd_label": p.label(self.cw.lang, cumulative=True),
            "n_enterprises": n, "n_loss": int(first.n_loss), "loss_total": _num(first.loss_total),
            "loss_share_pct": (int(first.n_loss) / n * 100.0) if n else None,
            "n_incomplete_base": int(first.n_incomplete_base), "n_new": int(first.n_new),
            "indicators": inds, "growth_source": "computed", "money_unit": "万元",
            "sentence": self._sentence(p, rows, self.cw.lang),
        }

    def sentence(self, period: str, lang: str | None = None,
                 indicators: Sequence[str] = SENTENCE_INDICATORS) -> str:
        """The bulletin sentence, e.g. '1–11月，全市规上工业产值、增加值、利税、利润分别同比增长 −1.4%、4.3%、9.2% 和 14.9%'."""
        from chainwatch.i18n import check_lang

        lang = check_lang(lang or self.cw.lang)
        p = Period.parse(period)
        return self._sentence(p, self.frame(p, "total", list(indicators)), lang, indicators)

    def _sentence(self, p: Period, rows: pd.DataFrame, lang: str,
                  indicators: Sequence[str] = SENTENCE_INDICATORS) -> str:
        tot = rows[rows.group_type == "total"].set_index("indicator")
        rows = tot.loc[list(indicators)].reset_index()
        values = [_num(v) for v in rows.ytd_yoy_pct]
        shorts = [t(f"stats.short.{i}", lang) for i in rows.indicator]
        names = "、".join(shorts) if lang == "zh" else join_list(shorts, "en")
        if self.cw.scope:
            district_names = self.group_names("district", lang)
            area_names = [district_names.get(d, d) for d in self.cw.scope]
            area = t("stats.area.scope", lang, names="、".join(area_names) if lang == "zh" else join_list(area_names, "en"))
        else:
            area = t("stats.area.city", lang)
        each = t("stats.sentence.each", lang) if len(values) > 1 else ""
        return t("stats.sentence", lang, label=p.label(lang, cumulative=True), area=area, names=names, each=each,
                 phrase=growth_phrase(values, lang))

    # -- trends --------------------------------------------------------------------------------
    def official_periods(self, start: str, end: str) -> list[Period]:
        """The official periods between two months: 1–2月 (as February), March … December."""
        a, b = Period.parse(start), Period.parse(end)
        if a > b:
            raise InputError("stats.bad_range", start=str(a), end=str(b))
        out: list[Period] = []
        cur = a
        while cur <= b:
            if cur.month != 1 or cur == b:
                q = Period(cur.year, max(cur.month, 2))
                if not out or out[-1] != q:
                    out.append(q)
            cur = cur.shift(1)
        return out

    def series(self, by: str, key: str, indicator: str, start: str, end: str) -> Result:
        """Monthly trend of one group and indicator over the official periods from ``start`` to ``end``.

        Periods without data are left out. Table ``series``: period, month_label, ytd_label,
        month_value, ytd_value, month_yoy_pct, ytd_yoy_pct, share_pct, n_enterprises, basis.
        """
        groups = self.parse_by(by)
        if len(groups) != 1:
            raise UsageError("stats.bad_by", by=by, allowed=", ".join(GROUP_TYPES))
        g = groups[0]
        ind = self.parse_indicators([indicator])[0]
        periods = self.official_periods(start, end)
        if g == "size":  # size classes change with the year: one query per period
            out = self._series_loop(periods, g, str(key), ind)
        else:
            expr = series_expr(self._tables(), [(p.year, p.month) for p in periods], g, str(key), ind,
                               policy=self._policy(), districts=self.cw.scope)
            with self.store._lock:
                df = expr.execute()
            out = []
            for r in df.itertuples(index=False):
                if int(r.n_month_enterprises or 0) == 0:
                    continue
                p = Period.parse(r.period)
                out.append({"period": str(p), "month_label": p.label(self.cw.lang),
                            "ytd_label": p.label(self.cw.lang, cumulative=True),
                            "month_value": _num(r.month_value), "ytd_value": _num(r.ytd_value),
                            "month_yoy_pct": _num(r.month_yoy_pct), "ytd_yoy_pct": _num(r.ytd_yoy_pct),
                            "share_pct": _num(r.share_pct), "n_enterprises": int(r.n_enterprises),
                            "basis": r.basis})
        if not out and key not in self.group_names(g):
            raise NotFound("stats.unknown_group", by=g, key=key)
        meta = self.cw.meta(group_type=g, group_id=str(key), group_name=self.group_names(g).get(str(key), str(key)),
                            indicator=ind, unit=INDICATORS[ind].unit, start=start, end=end, growth_source="computed")
        return Result("stats.series", meta=meta, tables={"series": pd.DataFrame(out)})

    def _series_loop(self, periods: list[Period], g: str, key: str, ind: str) -> list[dict[str, Any]]:
        out = []
        for p in periods:
            try:
                rows = self.frame(p, g, [ind], years=2)
            except NotFound:
                continue
            r = rows[(rows.group_type == g) & (rows.group_id == key)]
            if r.empty or int(r.iloc[0].n_month_enterprises) == 0:
                continue
            r0 = r.iloc[0]
            out.append({"period": str(p), "month_label": p.label(self.cw.lang),
                        "ytd_label": p.label(self.cw.lang, cumulative=True),
                        "month_value": _num(r0.month_value), "ytd_value": _num(r0.ytd_value),
                        "month_yoy_pct": _num(r0.month_yoy_pct), "ytd_yoy_pct": _num(r0.ytd_yoy_pct),
                        "share_pct": _num(r0.share_pct), "n_enterprises": int(r0.n_enterprises),
                        "basis": r0.basis})
        return out

    def enterprise_series(self, uscc: str, indicators: str | Sequence[str] | None = None) -> Result:
        """One enterprise's monthly values with its own 当月同比 (vs. its own month a year earlier)."""
        inds = self.parse_indicators(indicators)
        ent = self.store.df("SELECT uscc, name, district FROM enterprise WHERE uscc = ?", [uscc])
        if ent.empty or (self.cw.scope is not None and ent.district.iloc[0] not in self.cw.scope):
            raise NotFound("stats.unknown_enterprise", uscc=uscc)
        tabs = self._tables()
        df = enterprise_series_expr(tabs["monthly_value"], tabs["enterprise_scope"], uscc, inds).execute()
        meta = self.cw.meta(uscc=uscc, name=str(ent.name.iloc[0]), indicators=inds,
                            units={i: INDICATORS[i].unit for i in inds}, growth_source="computed",
                            note="enterprise's own year-on-year change; not a same-caliber aggregate")
        return Result("stats.enterprise", meta=meta, tables={"series": df})

    # -- display -------------------------------------------------------------------------------
    def display_table(self, rows: pd.DataFrame, lang: str | None = None) -> pd.DataFrame:
        """A compact, localised view of ``rows`` for terminal tables (headers in zh or en)."""
        lang = lang or self.cw.lang

        def h(key: str) -> str:
            return t(f"stats.col.{key}", lang)

        multi = len(set(rows.group_type) - {"total"}) > 1
        groups = [f"{t(f'stats.by.{g}', lang)}·{n}" if multi and g != "total" else str(n)
                  for g, n in zip(rows.group_type, rows.group_name, strict=True)]
        out = pd.DataFrame({
            h("group"): groups,
            h("indicator"): [t(f"stats.ind.{i}", lang) for i in rows.indicator],
            h("month_value"): [_fmt(v, 0) for v in rows.month_value],
            h("month_yoy_pct"): [_fmt(v, 1) for v in rows.month_yoy_pct],
            h("ytd_value"): [_fmt(v, 0) for v in rows.ytd_value],
            h("ytd_yoy_pct"): [_fmt(v, 1) for v in rows.ytd_yoy_pct],
            h("share_pct"): [_fmt(v, 1) for v in rows.share_pct],
            h("contribution_pct"): [_fmt(v, 1) for v in rows.contribution_pct],
            h("pull_pp"): [_fmt(v, 2) for v in rows.pull_pp],
            h("two_year_avg_pct"): [_fmt(v, 1) for v in rows.two_year_avg_pct],
            h("n_enterprises"): rows.n_enterprises,
            h("up_down"): [f"{a}/{b}" for a, b in zip(rows.n_growing, rows.n_declining, strict=True)],
            h("n_loss"): rows.n_loss,
        })
        return out


def _fmt(v: Any, digits: int) -> str:
    f = _num(v)
    if f is None:
        return "—"
    text = f"{abs(f):,.{digits}f}"
    return ("\u2212" + text) if round(f, digits) < 0 else text


def _num(v: Any) -> float | None:
    if v is None:
        return None
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return None if pd.isna(f) else f
