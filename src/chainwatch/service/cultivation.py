"""Cultivation service: tier assessment, candidates, gap reports and pipeline statistics.

``cw.cultivation.assess(...)``, ``.candidates(...)``, ``.gap(uscc)``, ``.pipeline()``, ``.rulesets()``.
The rules are data (``chainwatch/analytics/cultivation/rulesets/*.yaml``), evaluated by the shared rules
engine (:mod:`chainwatch.analytics.rules`). Money in the database is 万元; the inputs are converted to yuan
once when they are built (the official thresholds are in yuan) and shown again as 万元 / 亿元 text.
Enterprise rows respect ``cw.scope``.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

import pandas as pd

from chainwatch.analytics.cultivation import assess as A
from chainwatch.analytics.cultivation.catalog import TIER_LABELS, TIERS, load_settings, ruleset_ids, select
from chainwatch.analytics.cultivation.inputs import build_inputs, default_assessment_date
from chainwatch.analytics.rules.model import RulesInvalid
from chainwatch.errors import InputError, NotFound, ValidationFailed
from chainwatch.i18n import t
from chainwatch.model.codes import uscc_problem
from chainwatch.service.result import Result

if TYPE_CHECKING:
    from chainwatch.service import Chainwatch

APPLICATIONS = ("new", "review")


def parse_date(value: str | date | None) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise InputError("cultivation.bad_date", value=value) from None


def check_tier(tier: str | None) -> str | None:
    if tier is None:
        return None
    aliases = {"innovative": "first", "cx": "first", "kcx": "first", "little_giant": "xjr", "giant": "xjr",
               "single_champion": "champion", "dxgj": "champion"}
    tier = aliases.get(tier, tier)
    if tier not in TIERS:
        raise InputError("cultivation.bad_tier", value=tier, allowed=", ".join(TIERS))
    return tier


class CultivationService:
    """``cw.cultivation``: see docs/cultivation.md."""

    def __init__(self, cw: Chainwatch, settings: dict[str, Any] | None = None) -> None:
        self.cw = cw
        self.store = cw.store
        self.settings = load_settings(settings, file=cw.settings.cultivation_settings or None)

    # -- helpers -----------------------------------------------------------------------------------
    def _t(self, key: str, **params: Any) -> str:
        return t(key, self.cw.lang, **params)

    def _scope_sql(self, col: str = "district") -> tuple[str, list[Any]]:
        if self.cw.scope is None:
            return "TRUE", []
        if not self.cw.scope:
            return "FALSE", []
        return "(" + " OR ".join(f"starts_with({col}, ?)" for _ in self.cw.scope) + ")", list(self.cw.scope)

    def _settings(self, overrides: dict[str, Any] | None) -> dict[str, Any]:
        return load_settings({**{k: v for k, v in self.settings.items()}, **(overrides or {})}) if overrides \
            else self.settings

    def default_date(self) -> date:
        y = self.store.scalar("SELECT max(year) FROM enterprise_annual")
        return default_assessment_date(None if y is None else int(y))

    def _load(self, d: date, uscc: str | None = None, chain: str | None = None,
              district: str | None = None) -> dict[str, pd.DataFrame]:
        where, params = self._scope_sql("e.district")
        if uscc:
            where += " AND e.uscc = ?"
            params.append(uscc)
        if district:
            where += " AND starts_with(e.district, ?)"
            params.append(district)
        if chain:
            where += (" AND e.uscc IN (SELECT se.uscc FROM segment_enterprise se JOIN segment s "
                      "ON s.segment_id = se.segment_id WHERE s.chain_id = ?)")
            params.append(chain)
        ent = self.store.df(
            f"SELECT e.uscc, e.name, e.district, coalesce(r.name, e.district) AS district_name, e.industry "
            f"FROM enterprise e LEFT JOIN region r ON r.code = e.district WHERE {where} ORDER BY e.uscc", params)
        ids = ent["uscc"].tolist()
        name = "c.name_zh" if self.cw.lang == "zh" else "coalesce(c.name_en, c.name_zh)"
        with self.store.locked():  # one connection: the temporary table is visible to every query
            self.store.execute("DROP TABLE IF EXISTS _cw_cult_ids")
            self.store.execute("CREATE TEMP TABLE _cw_cult_ids (uscc VARCHAR)")
            if ids:
                with self.store.registered("_cw_cult_ids_df", pd.DataFrame({"uscc": ids})):
                    self.store.execute("INSERT INTO _cw_cult_ids SELECT uscc FROM _cw_cult_ids_df")
            annual = self.store.df("SELECT a.* FROM enterprise_annual a JOIN _cw_cult_ids i "
                                   "USING (uscc) WHERE a.year <= ?", [d.year]).drop(columns=["batch_id"])
            titles = self.store.df("SELECT t.uscc, t.title, t.valid_from, t.valid_to, t.category FROM enterprise_title t "
                                   "JOIN _cw_cult_ids i USING (uscc)")
            chains = self.store.df(
                f"SELECT DISTINCT se.uscc, s.chain_id, {name} AS chain_name FROM segment_enterprise se "
                "JOIN segment s ON s.segment_id = se.segment_id JOIN chain c ON c.chain_id = s.chain_id "
                "JOIN _cw_cult_ids i ON i.uscc = se.uscc")
            self.store.execute("DROP TABLE IF EXISTS _cw_cult_ids")
        return {"enterprise": ent, "annual": annual, "title": titles, "chains": chains}

    def _run(self, d: date, application: str, tiers: tuple[str, ...], settings: dict[str, Any],
             **filters: Any) -> tuple[dict[str, pd.DataFrame], pd.DataFrame, pd.DataFrame, list[A.TierRun]]:
        data = self._load(d, **filters)
        frame, notes = build_inputs(data["enterprise"], data["annual"], data["title"], d, settings)
        inp = A.to_inputs(frame)
        runs: list[A.TierRun] = []
        try:
            for tier in tiers:
                runs.extend(A.run_tier(tier, frame, d, application, settings, inp))
        except RulesInvalid as exc:
            detail = "; ".join(f"{p.condition}: {t(f'cultivation.rule.{p.problem}', self.cw.lang, **p.params)}"
                               for p in exc.problems[:5])
            raise ValidationFailed("cultivation.ruleset_invalid", errors=exc.problems, source=exc.source,
                                   n=len(exc.problems), detail=detail) from None
        return data, frame, notes, runs

    def _meta(self, d: date, application: str, runs: list[A.TierRun], settings: dict[str, Any],
              **extra: Any) -> dict[str, Any]:
        used = sorted({r.selection.ruleset for r in runs if r.selection.ruleset})
        unconfirmed = {k: (v.isoformat() if isinstance(v, date) else v) for k, v in settings.items()}
        return self.cw.meta(assessment_date=d.isoformat(), application=application, rulesets=used,
                            units="万元 (money in value texts: 万元/亿元; thresholds converted from yuan)",
                            settings=unconfirmed, scope=self.cw.scope, **extra)

    def _decorate(self, summary: pd.DataFrame, ent: pd.DataFrame) -> pd.DataFrame:
        if not len(summary):
            return summary
        out = summary.merge(ent[["uscc", "name", "district", "district_name"]], on="uscc", how="left")
        out["verdict_label"] = out["verdict"].map(lambda v: self._t(f"cultivation.verdict.{v}"))
        for c in ("flags", "missing_inputs"):
            if c in out:
                out[c] = out[c].map(lambda v: ", ".join(v) if isinstance(v, list) else (v or ""))
        cols = ["uscc", "name", "district", "district_name", "tier", "tier_label", "ruleset", "ruleset_basis",
                "verdict", "verdict_label", "score", "score_max", "unmet", "unknown", "gap_index", "holds_title",
                "flags", "missing_inputs"]
        return out[[c for c in cols if c in out]]

    def _provenance(self, uscc: str, d: date) -> pd.DataFrame:
        """Where the inputs came from: each annual row and title row with its import batch (who, when, file)."""
        return self.store.df(
            """SELECT 'annual' AS source, CAST(a.year AS VARCHAR) AS what, a.batch_id, b.file_name, b.actor,
                      b.imported_at
               FROM enterprise_annual a LEFT JOIN import_batch b ON b.batch_id = a.batch_id
               WHERE a.uscc = ? AND a.year BETWEEN ? AND ?
               UNION ALL
               SELECT 'title', t.title || ' ' || CAST(t.valid_from AS VARCHAR), t.batch_id, b.file_name, b.actor,
                      b.imported_at
               FROM enterprise_title t LEFT JOIN import_batch b ON b.batch_id = t.batch_id
               WHERE t.uscc = ?
               ORDER BY 1, 2""", [uscc, d.year - 3, d.year, uscc])

    # -- public API --------------------------------------------------------------------------------
    def assess(self, uscc: str | None = None, all: bool = False, date: str | date | None = None,  # noqa: A002
               application: str = "new", tier: str | None = None, detail: bool | None = None,
               settings: dict[str, Any] | None = None) -> Result:
        """Assess one enterprise (``uscc``) or every enterprise in scope (``all=True``) for every tier.

        Tables: ``assessment`` (one row per enterprise and tier); with ``detail`` (default for one
        enterprise) also ``conditions`` (every condition: input value, rule, status), ``score_items``
        (every point-table item: value, band, points) and ``scores`` (by dimension); for one enterprise
        ``provenance`` (the annual and title rows used, with the import batch: file, who, when).
        """
        if uscc and all:
            raise InputError("cultivation.both_targets")
        if not uscc and not all:
            raise InputError("cultivation.need_target")
        if application not in APPLICATIONS:
            raise InputError("cultivation.bad_application", value=application)
        if uscc and uscc_problem(uscc):
            raise InputError("cultivation.bad_uscc", uscc=uscc)
        tiers = (check_tier(tier),) if tier else TIERS
        d = parse_date(date) or self.default_date()
        st = self._settings(settings)
        data, frame, notes, runs = self._run(d, application, tiers, st, uscc=uscc)  # type: ignore[arg-type]
        if uscc and not len(frame):
            raise NotFound("cultivation.no_enterprise", uscc=uscc)
        summary = self._decorate(A.summary(runs, frame, notes, self.cw.lang), data["enterprise"])
        tables: dict[str, Any] = {"assessment": summary}
        if detail if detail is not None else bool(uscc):
            ids = [uscc] if uscc else list(frame.index)
            conds, items, dims = [], [], []
            for u in ids:
                c, it = A.details(runs, u, self.cw.lang)
                conds.append(c)
                items.append(it)
                dims.append(A.dimension_scores(runs, u, self.cw.lang))
            tables["conditions"] = pd.concat(conds, ignore_index=True) if conds else pd.DataFrame()
            tables["score_items"] = pd.concat(items, ignore_index=True) if items else pd.DataFrame()
            tables["scores"] = pd.concat(dims, ignore_index=True) if dims else pd.DataFrame()
        if uscc:
            tables["provenance"] = self._provenance(uscc, d)
        app = self._t(f"cultivation.app.{application}")
        meta = self._meta(d, application, runs, st, enterprises=len(frame))
        text = [self._t("cultivation.header", date=d.isoformat(), application=app, rulesets=", ".join(meta["rulesets"]))]
        return Result("assess", meta, tables, text)

    def candidates(self, tier: str | None = None, chain: str | None = None, district: str | None = None,
                   date: str | date | None = None, limit: int = 50, application: str = "new") -> Result:
        """Enterprises not holding a tier, ranked by closeness (per tier; filter by chain and district)."""
        tiers = (check_tier(tier),) if tier else TIERS
        d = parse_date(date) or self.default_date()
        st = self.settings
        data, frame, notes, runs = self._run(d, application, tiers, st, chain=chain, district=district)  # type: ignore[arg-type]
        cand = A.candidates(runs, frame, self.cw.lang, limit=limit,
                            districts=data["enterprise"].set_index("uscc")["district"])
        if len(cand):
            ent = data["enterprise"][["uscc", "name", "district", "district_name"]]
            cand = cand.merge(ent, on="uscc", how="left")
            ch = data["chains"].groupby("uscc")["chain_name"].apply(lambda s: "、".join(sorted(s)))
            cand["chains"] = cand["uscc"].map(ch).fillna("")
            cand["tier_label"] = cand["tier"].map(lambda x: TIER_LABELS[x][0 if self.cw.lang == "zh" else 1])
            cand["verdict_label"] = cand["verdict"].map(lambda v: self._t(f"cultivation.verdict.{v}"))
            cols = ["tier", "tier_label", "rank", "district_rank", "uscc", "name", "district", "district_name", "chains",
                    "ruleset",
                    "verdict", "verdict_label", "unmet", "unknown", "gap_index", "lacking"]
            cand = cand[cols]
        meta = self._meta(d, application, runs, st, chain=chain, district=district, limit=limit)
        return Result("assess candidates", meta, {"candidates": cand},
                      [self._t("cultivation.candidates.header", date=d.isoformat())])

    def gap(self, uscc: str, tier: str | None = None, date: str | date | None = None,
            application: str = "new") -> Result:
        """What the enterprise must change to reach the next tier (or ``tier``), as rows and zh/en lines."""
        if uscc_problem(uscc):
            raise InputError("cultivation.bad_uscc", uscc=uscc)
        d = parse_date(date) or self.default_date()
        st = self.settings
        data, frame, notes, runs_all = self._run(d, application, TIERS, st, uscc=uscc)
        if not len(frame):
            raise NotFound("cultivation.no_enterprise", uscc=uscc)
        name = str(data["enterprise"]["name"].iloc[0])
        lang = self.cw.lang
        summary = self._decorate(A.summary(runs_all, frame, notes, lang), data["enterprise"])
        target = check_tier(tier)
        if target is None:  # the next tier above those held that the enterprise does not already meet
            target = A.next_tier(frame, uscc)
            verdict = summary.set_index("tier")["verdict"]
            while target is not None and verdict.get(target) == "qualifies":
                target = A.NEXT_TIER.get(target)
        meta = self._meta(d, application, runs_all, st, uscc=uscc, target_tier=target)
        if target is None:
            return Result("assess gap", meta, {"gaps": pd.DataFrame(), "assessment": summary},
                          [self._t("cultivation.gap.top", name=name, uscc=uscc)])
        runs = [r for r in runs_all if r.tier == target]
        g = A.gaps(runs, uscc, lang)
        tier_label = TIER_LABELS[target][0 if lang == "zh" else 1]
        rs = runs[0].selection.ruleset if runs else None
        text = [self._t("cultivation.gap.title", name=name, uscc=uscc, tier=tier_label, ruleset=rs or "—")]
        if len(g):
            for row in g.itertuples():
                key = {"fail": "cultivation.gap.fail", "unknown": "cultivation.gap.unknown"}.get(
                    row.status, "cultivation.gap.review")
                cond = "" if str(row.text).startswith(str(row.input)) else str(row.text)
                line = self._t(key, input=row.input, value=row.value, needed=row.needed, condition=cond)
                text.append("  • " + line.replace("（）", "").replace(" ()", ""))
        else:
            verdict = summary.loc[summary["tier"] == target, "verdict_label"]
            text.append("  " + self._t("cultivation.gap.none", tier=tier_label,
                                       verdict=verdict.iloc[0] if len(verdict) else "—"))
        if len(g):
            g = g.drop(columns=["id"]).rename(columns={"shortfall": "shortfall_pct"})
            g["shortfall_pct"] = (g["shortfall_pct"].astype(float) * 100).round(2)
        return Result("assess gap", meta, {"gaps": g, "assessment": summary[summary["tier"] == target]}, text)

    def pipeline(self, date: str | date | None = None, with_assessment: bool = True) -> Result:
        """Counts per tier by district and chain: holders, new this year, expiring, qualifying non-holders."""
        d = parse_date(date) or self.default_date()
        st = self.settings
        data, frame, notes, runs = self._run(d, "new", TIERS, st)
        summ = A.summary(runs, frame, notes, self.cw.lang) if with_assessment and len(frame) else None
        pipe = A.pipeline(data["title"], data["enterprise"], data["chains"], d,
                          st.get("title_validity_years") or {}, summ)
        if len(pipe):
            pipe.insert(4, "tier_label", pipe["tier"].map(lambda x: TIER_LABELS[x][0 if self.cw.lang == "zh" else 1]))
        champions = int(pipe.loc[(pipe["level"] == "city") & (pipe["tier"] == "champion"), "holders"].sum()) \
            if len(pipe) else 0
        meta = self._meta(d, "new", runs, st, single_champions=champions)
        return Result("assess pipeline", meta, {"pipeline": pipe},
                      [self._t("cultivation.pipeline.header", date=d.isoformat(), champions=champions)])

    def rulesets(self, date: str | date | None = None, application: str = "new") -> Result:
        """The shipped rule sets, the one selected per tier on ``date`` and the current settings."""
        d = parse_date(date) or self.default_date()
        rows = []
        from chainwatch.analytics.cultivation.catalog import load_ruleset

        for rid in ruleset_ids():
            rf = load_ruleset(rid, self.settings)
            rows.append({"ruleset": rid, "tier": rf.meta.get("tier"), "document": rf.meta.get("document"),
                         "version": rf.meta.get("version"), "tag": rf.meta.get("tag"),
                         "conditions": len(rf.leaves()), "score_items": len(rf.items)})
        sel = [{"tier": tier, "ruleset": s.ruleset, "basis": s.basis}
               for tier in TIERS for s in [select(tier, d, application, self.settings)]]
        settings = [{"setting": k, "value": str(v)} for k, v in self.settings.items()]
        return Result("assess rules", self.cw.meta(assessment_date=d.isoformat()),
                      {"rulesets": rows, "selected": sel, "settings": settings})
