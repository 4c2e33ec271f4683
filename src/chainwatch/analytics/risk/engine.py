"""The warning engine: evaluate a rule set on monthly panels of enterprises and their groups.

Pure: inputs are numpy arrays and sparse membership matrices (built by the service from the store);
outputs are DataFrames of fired rules with their evidence, and combined grades per subject.

The time axis is the sequence of *official* periods, oldest first: February stands for the combined
1–2月 (January and February values summed), so a year has 11 columns and the YoY lag is 11
(statistics.md §4). Group values are same-caliber (可比口径): growth compares only enterprises
that reported in both periods (risk-methods.md §2.1).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from chainwatch.analytics.risk import detectors, signals
from chainwatch.analytics.risk.levels import (
    GRADE,
    LEVELS,
    combine_subject,
    grade_from_thresholds,
    grade_path,
    k_of_n_levels,
)
from chainwatch.analytics.risk.rules import ADVERSE_SCORE_STATS, Condition, Rule, RuleSet

#: sub-indices of the composite chain risk index and their default weights (docs/warnings.md)
COMPOSITE_SUBINDICES: tuple[str, ...] = ("output_yoy", "profit_ytd_yoy", "electricity_yoy", "export_yoy",
                                         "diffusion", "loss_share")
COMPOSITE_WEIGHTS: dict[str, float] = {"output_yoy": 0.30, "profit_ytd_yoy": 0.10, "electricity_yoy": 0.15,
                                       "export_yoy": 0.10, "diffusion": 0.20, "loss_share": 0.15}
#: +1: risk rises with the sub-index; −1: risk falls with it
_COMPOSITE_SIGN = {"output_yoy": -1, "profit_ytd_yoy": -1, "electricity_yoy": -1, "export_yoy": -1,
                   "diffusion": -1, "loss_share": +1}


@dataclass
class GroupSet:
    """Subjects made of enterprises: ``membership`` is a sparse 0/1 ``(n_groups, n_enterprises)``."""

    ids: np.ndarray
    names: list[str]
    membership: sp.csr_matrix
    district: list[str | None] | None = None


@dataclass
class RiskInputs:
    """Everything the engine reads, as arrays on the official-period axis."""

    periods: list[str]
    ent_ids: np.ndarray
    ent_names: list[str]
    ent_district: list[str]
    values: dict[str, np.ndarray]
    groups: dict[str, GroupSet]
    lag: int = 11
    segment_chain: np.ndarray | None = None          # chain index of each segment (−1 none)
    sole_supplier: np.ndarray | None = None          # enterprise index of a segment's only local supplier, −1
    import_dependence: dict[str, np.ndarray] = field(default_factory=dict)  # level -> (g, T) in %
    scope_mask: np.ndarray | None = None             # (n, T): enterprise in the year's 规上 set
    founded_col: np.ndarray | None = None            # (n,): column of the founding month (−10⁹ unknown/old)
    notes: list[str] = field(default_factory=list)

    @property
    def T(self) -> int:
        return len(self.periods)

    def years(self) -> np.ndarray:
        return np.array([int(p[:4]) for p in self.periods])


def _ytd(x: np.ndarray, years: np.ndarray) -> np.ndarray:
    """Year-to-date sums along columns; NaN where an enterprise has no value yet this year."""
    out = np.full(x.shape, np.nan)
    for y in np.unique(years):
        cols = np.where(years == y)[0]
        block = x[:, cols]
        have = np.cumsum(~np.isnan(block), axis=1) > 0
        out[:, cols] = np.where(have, np.nancumsum(block, axis=1), np.nan)
    return out


def _shift(x: np.ndarray, lag: int) -> np.ndarray:
    out = np.full(x.shape, np.nan)
    if x.shape[1] > lag:
        out[:, lag:] = x[:, :-lag]
    return out


def _run_length(cond: np.ndarray) -> np.ndarray:
    out = np.zeros(cond.shape, dtype=float)
    run = np.zeros(cond.shape[0])
    for t in range(cond.shape[1]):
        run = np.where(cond[:, t], run + 1, 0)
        out[:, t] = run
    return out


class Evaluator:
    """Computes statistics (cached) and grades rules for one run.

    Parameters
    ----------
    inputs : the panels.
    ruleset : the validated rules.
    horizon : columns over which persistence and hysteresis are replayed (ending at the last column).
    """

    def __init__(self, inputs: RiskInputs, ruleset: RuleSet, horizon: int = 12) -> None:
        self.inp = inputs
        self.rs = ruleset
        self.H = min(horizon, inputs.T)
        self.years = inputs.years()
        self._cache: dict[tuple[Any, ...], np.ndarray] = {}
        self.ent_grade: np.ndarray | None = None
        self.seg_grade: np.ndarray | None = None

    # -- panels -----------------------------------------------------------------------------------
    def _x(self, ind: str) -> np.ndarray:
        key = ("x", ind)
        if key not in self._cache:
            v = self.inp.values.get(ind)
            self._cache[key] = v if v is not None else np.full((len(self.inp.ent_ids), self.inp.T), np.nan)
        return self._cache[key]

    def _m(self, level: str) -> sp.csr_matrix | None:
        return None if level == "enterprise" else self.inp.groups[level].membership

    def n_subjects(self, level: str) -> int:
        return len(self.inp.ent_ids) if level == "enterprise" else len(self.inp.groups[level].ids)

    def _agg(self, level: str, x: np.ndarray, key: Any = None) -> np.ndarray:
        """Group sums of an enterprise array (NaN where no member has a value); ``key`` caches the
        prepared (zero-filled, has-value) arrays across subject levels."""
        M = self._m(level)
        if M is None:
            return x
        ck = ("prep", key)
        if key is None or ck not in self._cache:
            if self.inp.scope_mask is not None:
                x = np.where(self.inp.scope_mask, x, np.nan)
            have = ~np.isnan(x)
            prep = np.stack([np.where(have, x, 0.0), have.astype(float)])
            if key is None:
                return self._sum(M, prep)
            self._cache[ck] = prep
        return self._sum(M, self._cache[ck])

    @staticmethod
    def _sum(M: sp.csr_matrix, prep: np.ndarray) -> np.ndarray:
        s, have = M @ prep[0], M @ prep[1]
        return np.where(have > 0, s, np.nan)

    def _pair(self, level: str, ind: str, ytd: bool) -> tuple[np.ndarray, np.ndarray]:
        """Same-caliber (current, base) sums for a growth rate."""
        key = ("pair", level, ind, ytd)
        if key in self._cache:
            c, p = self._cache[key]
            return c, p
        group = level != "enterprise"
        ek = ("entpair", ind, ytd, group, group and self.inp.scope_mask is not None)
        if ek not in self._cache:
            x = self._ytd_ent(ind) if ytd else self._x(ind)
            base = _shift(x, self.inp.lag)
            both = ~np.isnan(x) & ~np.isnan(base)
            if ek[4]:
                both &= self.inp.scope_mask
            if group:
                # a new establishment (founded after the base period, no base record) enters with base 0
                use = both
                if self.inp.founded_col is not None:
                    cols = np.arange(x.shape[1]) - self.inp.lag
                    new = (self.inp.founded_col[:, None] > cols[None, :]) & ~np.isnan(x) & np.isnan(base)
                    if self.inp.scope_mask is not None:
                        new &= self.inp.scope_mask
                    use = both | new
                self._cache[ek] = np.stack([np.where(use, x, 0.0), np.where(both, base, 0.0),
                                            use.astype(float)])
            else:
                self._cache[ek] = np.stack([np.where(both, x, np.nan), np.where(both, base, np.nan)])
        arr = self._cache[ek]
        if group:
            M = self._m(level)
            have = M @ arr[2]
            out = np.stack([np.where(have > 0, M @ arr[0], np.nan), np.where(have > 0, M @ arr[1], np.nan)])
        else:
            out = arr
        self._cache[key] = out
        return out[0], out[1]

    def _ytd_ent(self, ind: str) -> np.ndarray:
        key = ("ytd", ind)
        if key not in self._cache:
            self._cache[key] = _ytd(self._x(ind), self.years)
        return self._cache[key]

    # -- statistics -------------------------------------------------------------------------------
    def stat(self, level: str, statistic: str, ind: str | None, den: str | None = None,
             direction: str = "below", params: dict[str, Any] | None = None) -> np.ndarray:
        """The ``(n_subjects, T)`` array of a statistic."""
        key = ("stat", level, statistic, ind, den, direction)
        if key in self._cache:
            return self._cache[key]
        p = params or {}
        lag = self.inp.lag
        ind = str(ind)  # rules validation guarantees an indicator wherever one is read
        if statistic == "level":
            out = self._agg(level, self._x(ind), ("x", ind))
        elif statistic == "ytd_level":
            out = self._agg(level, self._ytd_ent(ind), ("ytd", ind))
        elif statistic == "prior_level":
            out = _shift(self.stat(level, "level", ind), lag)
        elif statistic == "prior_ytd_level":
            out = _shift(self.stat(level, "ytd_level", ind), lag)
        elif statistic in ("month_yoy_pct", "ytd_yoy_pct"):
            c, b = self._pair(level, ind, statistic == "ytd_yoy_pct")
            with np.errstate(divide="ignore", invalid="ignore"):
                out = np.where(b > 0, 100.0 * (c / b - 1.0), np.nan)
        elif statistic == "ytd_ratio_pct":
            num = self.stat(level, "ytd_level", ind)
            dn = self.stat(level, "ytd_level", den)
            with np.errstate(divide="ignore", invalid="ignore"):
                out = np.where(dn > 0, 100.0 * num / dn, np.nan)
        elif statistic == "share_pct":
            lv = self.stat(level, "level", ind)
            tot = self.stat("total", "level", ind)
            with np.errstate(divide="ignore", invalid="ignore"):
                out = np.where(tot > 0, 100.0 * lv / tot, np.nan)
        elif statistic == "share_change_pp":
            out = self.stat(level, "share_pct", ind)
            out = out - _shift(out, lag)
        elif statistic == "vs_city_pp":
            out = self.stat(level, "month_yoy_pct", ind) - self.stat("total", "month_yoy_pct", ind)
        elif statistic == "consecutive_decline":
            g = self.stat(level, "month_yoy_pct", ind)
            with np.errstate(invalid="ignore"):
                out = _run_length(g < 0)
            out[np.isnan(g)] = np.nan
        elif statistic == "robust_z":
            g = self.stat(level, "month_yoy_pct", ind)
            T = g.shape[1]
            z = detectors.rolling_robust_z(g, int(p.get("window", 36)), int(p.get("min_history", 24)),
                                           float(p.get("floor", 0.5)), columns=range(T - self.H, T))
            out = -z if direction == "below" else z
        elif statistic == "changepoint_z":
            out = self._changepoint(level, ind, direction, p)
        elif statistic == "diffusion":
            g = self.stat("enterprise", "month_yoy_pct", ind)
            if self.inp.scope_mask is not None:
                g = np.where(self.inp.scope_mask, g, np.nan)
            M = self._m(level)
            out = detectors.diffusion_index(g, M, float(p.get("equal_band", 0.5)))
        elif statistic in ("import_dependence_pct", "import_dependence_change_pp"):
            dep = self.inp.import_dependence.get(level)
            if dep is None:
                dep = np.full((self.n_subjects(level), self.inp.T), np.nan)
            out = dep if statistic == "import_dependence_pct" else dep - _shift(dep, lag)
        elif statistic == "single_supplier_grade":
            out = self._single_supplier()
        elif statistic == "composite_risk":
            out = self.composite(level, p)[0]
        else:  # pragma: no cover - rules validation keeps other names out
            raise ValueError(statistic)
        self._cache[key] = out
        return out

    def _changepoint(self, level: str, ind: str, direction: str, p: dict[str, Any]) -> np.ndarray:
        """Adverse mean-shift statistic of YoY growth within the last ``window`` months (0 otherwise)."""
        g = self.stat(level, "month_yoy_pct", ind)
        n, T = g.shape
        win, recent, min_size = int(p.get("window", 24)), int(p.get("recent", 6)), int(p.get("min_size", 3))
        out = np.full((n, T), np.nan)
        for t in range(max(win - 1, T - self.H), T):
            block = g[:, t - win + 1:t + 1]
            pos, st, shift = detectors.best_split(block, min_size)
            adverse = shift < 0 if direction == "below" else shift > 0
            recent_ok = pos >= win - recent
            out[:, t] = np.where(np.isnan(st), np.nan, np.where(adverse & recent_ok, st, 0.0))
        return out

    def _single_supplier(self) -> np.ndarray:
        sole = self.inp.sole_supplier
        n_seg = self.n_subjects("segment")
        out = np.zeros((n_seg, self.inp.T))
        if sole is None or self.ent_grade is None:
            return np.full((n_seg, self.inp.T), np.nan)
        has = sole >= 0
        out[has, self.inp.T - self.ent_grade.shape[1]:] = self.ent_grade[sole[has]]
        return out

    def composite(self, level: str, p: dict[str, Any] | None = None) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """Composite chain risk index: weighted mean of the sub-indices' adverse robust z (clipped ±5)."""
        key = ("composite", level)
        if key in self._cache:
            return self._cache[key], self._cache[("composite_parts", level)]  # type: ignore[return-value]
        p = p or {}
        weights = self.rs.composite_weights or COMPOSITE_WEIGHTS
        subs = {
            "output_yoy": self.stat(level, "month_yoy_pct", "gross_output"),
            "profit_ytd_yoy": self.stat(level, "ytd_yoy_pct", "total_profit"),
            "electricity_yoy": self.stat(level, "month_yoy_pct", "electricity"),
            "export_yoy": self.stat(level, "month_yoy_pct", "export_value"),
            "diffusion": self.stat(level, "diffusion", "gross_output"),
            "loss_share": self._loss_share(level),
        }
        num = np.zeros_like(subs["output_yoy"])
        den = np.zeros_like(num)
        parts: dict[str, np.ndarray] = {}
        T = num.shape[1]
        for name, series in subs.items():
            wt = float(weights.get(name, 0.0))
            if wt <= 0:
                continue
            z = detectors.rolling_robust_z(series, int(p.get("window", 36)), int(p.get("min_history", 12)),
                                           float(p.get("floor", 0.5)), columns=range(T - self.H, T))
            a = np.clip(_COMPOSITE_SIGN[name] * z, -5, 5)
            parts[name] = a
            ok = ~np.isnan(a)
            num += np.where(ok, wt * a, 0.0)
            den += np.where(ok, wt, 0.0)
        with np.errstate(invalid="ignore", divide="ignore"):
            out = np.where(den > 0, num / den, np.nan)
        self._cache[key] = out
        self._cache[("composite_parts", level)] = parts  # type: ignore[assignment]
        return out, parts

    def _loss_share(self, level: str) -> np.ndarray:
        ytd = self._ytd_ent("total_profit")
        loss = np.where(np.isnan(ytd), np.nan, (ytd < 0).astype(float))
        M = self._m(level)
        if M is None:
            return 100.0 * loss
        have = M @ (~np.isnan(loss)).astype(float)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(have > 0, 100.0 * (M @ np.nan_to_num(loss)) / have, np.nan)

    def _nbs(self, level: str, rule: Rule) -> tuple[np.ndarray, np.ndarray]:
        inds = rule.params.get("indicators", ["gross_output", "value_added", "total_profit", "electricity",
                                              "export_value"])
        hot_high = [True] * len(inds)
        n, T = self.n_subjects(level), self.inp.T
        idx = np.full((n, T), np.nan)
        light_cols = np.zeros((n, T), dtype=np.int8)
        q = rule.params.get("quantiles", [10, 25, 75, 90])
        method = rule.params.get("method", "quantile")
        gs = [self.stat(level, "month_yoy_pct", i) for i in inds]
        for s in range(n):
            G = np.stack([g[s] for g in gs])
            cuts = signals.calibrate_cuts(G, method, q, slice(0, T - 1)) if np.isfinite(G).sum() else None
            if cuts is None or np.isnan(cuts).all():
                continue
            lm = signals.lights(G, cuts, hot_high)
            ci, li = signals.composite(lm)
            idx[s], light_cols[s] = ci, li
        levels = signals.light_levels(light_cols)
        if level == "chain" and self.seg_grade is not None and self.inp.segment_chain is not None:
            H = self.seg_grade.shape[1]
            sc = self.inp.segment_chain
            ok = sc >= 0
            A = sp.csr_matrix((np.ones(int(ok.sum())), (sc[ok], np.where(ok)[0])), shape=(n, len(sc)))
            n_seg = np.asarray(A.sum(axis=1)).ravel()
            with np.errstate(invalid="ignore", divide="ignore"):
                share = (A @ (self.seg_grade >= 2).astype(float)) / n_seg[:, None]
            di = self.stat("chain", "diffusion", "gross_output")[:, T - H:]
            levels[:, T - H:] = signals.red_override(levels[:, T - H:], light_cols[:, T - H:], di, share)
        return idx, levels

    # -- grading ----------------------------------------------------------------------------------
    def _cond(self, level: str, c: Condition) -> np.ndarray:
        v = self.stat(level, c.statistic, c.indicator, c.denominator)
        with np.errstate(invalid="ignore"):
            ok = {"<": v < c.value, "<=": v <= c.value, ">": v > c.value, ">=": v >= c.value,
                  "==": v == c.value, "!=": v != c.value}[c.op]
        return ok & ~np.isnan(v)

    def rule_levels(self, rule: Rule) -> tuple[np.ndarray, np.ndarray]:
        """(statistic values, raw monthly levels) of a rule, ``(n_subjects, T)`` each."""
        level = rule.subject
        if rule.statistic == "nbs_signal":
            return self._nbs(level, rule)
        value = self.stat(level, rule.statistic, rule.indicator, rule.denominator, rule.direction, rule.params)
        direction = "above" if rule.statistic in ADVERSE_SCORE_STATS else rule.direction
        levels = grade_from_thresholds(value, rule.thresholds, direction)
        for c in rule.require:
            levels = np.where(self._cond(level, c), levels, 0).astype(np.int8)
        if rule.min_base is not None and rule.indicator:
            prior = self.stat(level, "prior_ytd_level" if "ytd" in rule.statistic else "prior_level",
                              rule.indicator)
            with np.errstate(invalid="ignore"):
                levels = np.where(prior >= rule.min_base, levels, 0).astype(np.int8)
        return value, levels

    def evaluate(self, rule: Rule) -> pd.DataFrame:
        """Rows for every subject whose grade is > 0 at the last period, with evidence fields."""
        value, levels = self.rule_levels(rule)
        if rule.k_of_n is not None:
            levels = k_of_n_levels(levels, *rule.k_of_n)
        T, H = self.inp.T, self.H
        grades, _ = grade_path(levels[:, T - H:], rule.raise_months, rule.lower_months)
        if rule.subject == "enterprise":
            self.ent_grade = grades if self.ent_grade is None else np.maximum(self.ent_grade, grades)
        if rule.subject == "segment" and rule.kind == "operating":
            self.seg_grade = grades if self.seg_grade is None else np.maximum(self.seg_grade, grades)
        fired = np.nonzero(grades[:, -1] > 0)[0]
        if not len(fired):
            return pd.DataFrame()
        ids, names, districts = self._subject_meta(rule.subject, fired)
        trend = value[fired, T - min(6, T):]
        prior = None
        if rule.indicator and rule.statistic not in ("diffusion",):
            prior = self.stat(rule.subject, "prior_level", rule.indicator)[fired, -1]
        g = grades[fired, -1]
        def run_from_end(held: np.ndarray) -> np.ndarray:
            return np.argmin(np.concatenate([held[:, ::-1], np.zeros((len(fired), 1), bool)], axis=1), axis=1)

        # months in a row the condition of the current grade has held; while hysteresis holds a grade
        # whose condition has lapsed, the months at that grade
        raw_run = run_from_end(levels[fired, T - H:] >= g[:, None])
        months_at = np.where(raw_run > 0, raw_run, run_from_end(grades[fired] >= g[:, None]))
        thr = [rule.thresholds.get(LEVELS[int(x)]) for x in g]
        return pd.DataFrame({
            "rule_id": rule.id, "kind": rule.kind, "subject_level": rule.subject,
            "subject_id": ids, "subject_name": names, "district": districts,
            "indicator": rule.indicator, "statistic": rule.statistic,
            "grade": g.astype(int), "raw_level": levels[fired, -1].astype(int),
            "value": value[fired, -1], "threshold": thr,
            "months": months_at.astype(int),
            "trend": [list(map(_num, r)) for r in trend],
            "grade_path": [list(map(int, r)) for r in grades[fired]],
            "prior": prior if prior is not None else np.nan,
            "require": [[{"statistic": c.statistic, "indicator": c.indicator, "op": c.op, "value": c.value,
                          "actual": _num(self.stat(rule.subject, c.statistic, c.indicator, c.denominator)[i, -1])}
                         for c in rule.require] for i in fired],
        })

    def _subject_meta(self, level: str, rows: np.ndarray) -> tuple[list[str], list[str], list[str | None]]:
        if level == "enterprise":
            return ([str(self.inp.ent_ids[i]) for i in rows], [self.inp.ent_names[i] for i in rows],
                    [self.inp.ent_district[i] for i in rows])
        gs = self.inp.groups[level]
        dist: list[str | None] = [str(gs.ids[i]) for i in rows] if level == "district" else [None] * len(rows)
        return [str(gs.ids[i]) for i in rows], [gs.names[i] for i in rows], dist


def _num(v: Any) -> float | None:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return None if np.isnan(f) else round(f, 4)


SUBJECT_ORDER = ("enterprise", "segment", "district", "chain", "total")


def run_rules(inputs: RiskInputs, ruleset: RuleSet, horizon: int = 12) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Evaluate every rule of ``ruleset`` at the last period of ``inputs``.

    Enterprise rules run first (segment rules such as ``single_supplier_grade`` read their grades).

    Returns
    -------
    (firings, subjects) : one row per fired rule × subject with evidence; one row per subject with
    the combined grade (worst rule, breadth escalation, chain roll-up; risk-methods.md §2.7).
    """
    ev = Evaluator(inputs, ruleset, horizon)
    frames = []
    for level in SUBJECT_ORDER:
        for rule in ruleset.by_subject(level):
            needs_segments = rule.statistic in ("single_supplier_grade", "import_dependence_pct",
                                                "import_dependence_change_pp")
            if (level != "enterprise" and level not in inputs.groups) or (
                    needs_segments and "segment" not in inputs.groups):
                inputs.notes.append(f"skipped_rule:{rule.id}")
                continue
            df = ev.evaluate(rule)
            if len(df):
                frames.append(df)
    firings = pd.concat(frames, ignore_index=True) if frames else _empty_firings()
    subjects = combine_subjects(firings, inputs, ev, ruleset)
    return firings, subjects


def _empty_firings() -> pd.DataFrame:
    cols = ["rule_id", "kind", "subject_level", "subject_id", "subject_name", "district", "indicator",
            "statistic", "grade", "raw_level", "value", "threshold", "months", "trend", "grade_path", "prior",
            "require"]
    return pd.DataFrame({c: [] for c in cols})


def combine_subjects(firings: pd.DataFrame, inputs: RiskInputs, ev: Evaluator, ruleset: RuleSet) -> pd.DataFrame:
    """Combined operating grade per subject, with breadth escalation and the chain roll-up."""
    rows: list[dict[str, Any]] = []
    op = firings[firings["kind"] == "operating"] if len(firings) else firings
    for (level, sid), grp in op.groupby(["subject_level", "subject_id"], sort=False):
        by_ind: dict[str, int] = {}
        for ind, g in zip(grp["indicator"].fillna(grp["rule_id"]), grp["grade"], strict=False):
            by_ind[ind] = max(by_ind.get(ind, 0), int(g))
        grade, broad = combine_subject(by_ind, ruleset.breadth_escalate_at)
        rows.append({"subject_level": level, "subject_id": sid, "subject_name": grp["subject_name"].iloc[0],
                     "grade": grade, "rule_grade": int(grp["grade"].max()), "breadth_escalated": broad,
                     "rules": ",".join(sorted(grp["rule_id"])), "via": None})
    subjects = pd.DataFrame(rows, columns=["subject_level", "subject_id", "subject_name", "grade", "rule_grade",
                                           "breadth_escalated", "rules", "via"])
    if "segment" in inputs.groups and "chain" in inputs.groups and inputs.segment_chain is not None:
        subjects = _rollup(subjects, inputs, ev, ruleset)
    return subjects


def _rollup(subjects: pd.DataFrame, inputs: RiskInputs, ev: Evaluator, ruleset: RuleSet) -> pd.DataFrame:
    assert inputs.segment_chain is not None
    seg_ids = inputs.groups["segment"].ids
    chain_gs = inputs.groups["chain"]
    seg_out = np.nan_to_num(ev.stat("segment", "ytd_level", "gross_output")[:, -1])
    chain_out = np.nan_to_num(ev.stat("chain", "ytd_level", "gross_output")[:, -1])
    seg_grade = dict(zip(subjects.loc[subjects.subject_level == "segment", "subject_id"],
                         subjects.loc[subjects.subject_level == "segment", "grade"], strict=False))
    pos = {str(s): i for i, s in enumerate(seg_ids)}
    extra = []
    for ci, cid in enumerate(chain_gs.ids):
        segs = [(seg_grade[str(s)], seg_out[pos[str(s)]] / chain_out[ci] if chain_out[ci] > 0 else 0.0, str(s))
                for s, c in zip(seg_ids, inputs.segment_chain, strict=False) if c == ci and str(s) in seg_grade]
        if not segs:
            continue
        mask = (subjects.subject_level == "chain") & (subjects.subject_id == str(cid))
        own = int(subjects.loc[mask, "grade"].max()) if mask.any() else 0
        best, via = own, None
        for g, wt, s in segs:
            eff = g if wt >= ruleset.rollup_segment_weight_min else max(0, g - 1)
            if eff > best:
                best, via = eff, s
        if mask.any():
            subjects.loc[mask, "grade"] = best
            subjects.loc[mask, "via"] = via
        elif best > 0:
            extra.append({"subject_level": "chain", "subject_id": str(cid), "subject_name": chain_gs.names[ci],
                          "grade": best, "rule_grade": 0, "breadth_escalated": False, "rules": "", "via": via})
    if extra:
        subjects = pd.concat([subjects, pd.DataFrame(extra)], ignore_index=True)
    return subjects


def grade_name(g: int) -> str:
    return LEVELS[int(g)]


__all__ = ["COMPOSITE_SUBINDICES", "COMPOSITE_WEIGHTS", "Evaluator", "GRADE", "GroupSet", "RiskInputs",
           "run_rules", "grade_name"]
