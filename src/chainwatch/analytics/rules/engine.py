"""Vectorised evaluation of a rule file over many entities at once.

Every leaf is evaluated as one numpy operation over all entities; groups combine their children's
statuses with four-valued logic (``FAIL < UNKNOWN < REVIEW < PASS``: ``all`` takes the minimum, ``any``
the maximum). A missing input gives ``UNKNOWN``, never ``FAIL``. A leaf or group tagged ``unconfirmed``
turns a ``FAIL`` into ``REVIEW`` (the outcome rests on an unconfirmed rule, so a person decides).
Point tables give points per item (NaN when an input is missing) and, per dimension and in total, the
range ``[min, max]`` the score can still reach; a score condition passes when the minimum reaches the
threshold, fails when the maximum cannot, and is unknown in between.

Comparisons are exact at the boundary: a value within a relative 1e-12 of a threshold counts as equal
to it, so binary floating-point noise (``0.1 + 0.2``) can never move a value across a boundary, while
any real difference (≥ one part in 10^12) does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from chainwatch.analytics.rules.attributes import ATTRIBUTES, CATEGORY_VALUES
from chainwatch.analytics.rules.model import Group, Leaf, Node, RuleFile, ScoreItem
from chainwatch.analytics.rules.values import format_value

FAIL, UNKNOWN, REVIEW, PASS, NA = 0, 1, 2, 3, 4
STATUS_NAMES = {FAIL: "fail", UNKNOWN: "unknown", REVIEW: "manual_review", PASS: "pass", NA: "not_applicable"}
REL_TOL = 1e-12

DEFAULT_SETTINGS: dict[str, Any] = {"boundary_mode": "favourable_inclusive", "ratio_rounding": "none"}


@dataclass
class Inputs:
    """Named inputs of ``n`` entities, column-wise.

    ``columns`` map an attribute to a numpy array (numbers and bools as float with NaN = missing,
    categories as object with None, dates as ``datetime64[D]`` with NaT). ``sets`` map a set-valued
    attribute to ``(entity_index, value)`` pairs (an entity with no pair is a known empty set).
    ``absent_fails`` lists attributes whose missing value means "none" (e.g. a title date when no
    title is held): comparisons on them fail instead of being unknown.
    """

    ids: np.ndarray
    columns: dict[str, np.ndarray] = field(default_factory=dict)
    sets: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    absent_fails: frozenset[str] = frozenset()

    @property
    def n(self) -> int:
        return len(self.ids)

    @classmethod
    def from_frame(cls, frame: pd.DataFrame, *, sets: dict[str, pd.DataFrame] | None = None,
                   absent_fails: set[str] | frozenset[str] = frozenset()) -> Inputs:
        """Build inputs from a frame indexed by entity id (columns named as attributes).

        ``sets[name]`` is a long frame with columns ``id`` and ``value``.
        """
        ids = np.asarray(frame.index)
        cols: dict[str, np.ndarray] = {}
        for name in frame.columns:
            meta = ATTRIBUTES.get(str(name))
            s = frame[name]
            kind = meta.kind if meta else "number"
            if kind in ("category",):
                codes, uniques = pd.factorize(s, use_na_sentinel=True)
                cols[str(name)] = np.asarray(list(uniques) + [None], dtype=object)[codes]
                cols[str(name) + "#codes"] = codes.astype(np.int32)
                cols[str(name) + "#uniques"] = np.asarray(uniques, dtype=object).astype(str)
                continue
            if kind == "date":
                arr = pd.to_datetime(s, errors="coerce").to_numpy(dtype="datetime64[D]")
            elif kind == "set":
                continue
            elif pd.api.types.is_numeric_dtype(s.dtype) or pd.api.types.is_bool_dtype(s.dtype):
                arr = s.to_numpy(dtype=float, na_value=np.nan)
            else:
                arr = pd.to_numeric(s.astype(object).where(s.notna(), np.nan), errors="coerce").to_numpy(dtype=float)
            cols[str(name)] = arr
        set_arrays: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        if sets:
            index = pd.Index(ids)
            for name, long in sets.items():
                where = index.get_indexer(long["id"])
                keep = where >= 0
                set_arrays[name] = (where[keep], long["value"].astype(str).to_numpy()[keep])
        return cls(ids, cols, set_arrays, frozenset(absent_fails))


@dataclass
class Evaluation:
    """Statuses, values and points of every node and item for every entity."""

    rules: RuleFile
    inputs: Inputs
    status: dict[str, np.ndarray]        # node id -> int8 status
    values: dict[str, np.ndarray]        # leaf id -> value used (display)
    gap: dict[str, np.ndarray]           # leaf id -> relative shortfall of a failed leaf (0..1)
    points: dict[str, np.ndarray]        # item id -> points (NaN = unknown)
    band: dict[str, np.ndarray]          # item id -> band index (-1 = otherwise, -2 = unknown)
    item_values: dict[str, np.ndarray]   # item id -> input value
    score_min: dict[str, np.ndarray]     # "total" / dimension id -> reachable minimum
    score_max: dict[str, np.ndarray]
    verdict: np.ndarray
    unmet: np.ndarray                    # failed leaves on the closest route
    unknown: np.ndarray                  # unknown leaves on the closest route
    gap_sum: np.ndarray                  # summed relative shortfall on the closest route
    on_path: dict[str, np.ndarray]       # node id -> on the closest route
    unconfirmed_hit: np.ndarray          # an unconfirmed rule turned a failure into a review
    settings: dict[str, Any]
    application: str | None

    def verdict_names(self) -> np.ndarray:
        return np.vectorize(STATUS_NAMES.get, otypes=[object])(self.verdict)


def _combine(mode: str, stats: list[np.ndarray]) -> np.ndarray:
    arr = np.vstack(stats)
    na = arr == NA
    if mode == "all":
        out = np.where(na, PASS, arr).min(axis=0)
    else:
        out = np.where(na, FAIL, arr).max(axis=0)
    out = np.where(na.all(axis=0), NA, out)
    return out.astype(np.int8)


def _tol(t: float) -> float:
    return REL_TOL * abs(t)


def _cmp(x: np.ndarray, op: str, t: Any) -> np.ndarray:
    if isinstance(t, date):
        tv = np.datetime64(t, "D")
        return {">=": x >= tv, ">": x > tv, "<=": x <= tv, "<": x < tv}[op]
    t = float(t)
    e = _tol(t)
    with np.errstate(invalid="ignore"):
        if op == ">=":
            return x >= t - e
        if op == ">":
            return x > t + e
        if op == "<=":
            return x <= t + e
        if op == "<":
            return x < t - e
        if op == "==":
            return np.abs(x - t) <= e
        if op == "!=":
            return np.abs(x - t) > e
    raise ValueError(op)


def _gap(x: np.ndarray, op: str, t: Any) -> np.ndarray:
    """Relative shortfall of ``x`` against threshold ``t`` (0 = at the threshold, capped at 1)."""
    if isinstance(t, (list, tuple)) or isinstance(t, date) or op not in (">=", ">", "<=", "<"):
        return np.ones(len(x))
    t = float(t)
    scale = abs(t) if t else 1.0
    with np.errstate(invalid="ignore"):
        g = (t - x) / scale if op in (">=", ">") else (x - t) / scale
    g[np.isnan(g)] = 1.0
    return np.clip(g, 0.0, 1.0)


def item_floor(it: ScoreItem) -> float:
    """The fewest points an item can give whatever its (unknown) input is."""
    if it.method == "bands":
        return min([it.otherwise] + [b.points for b in it.bands])
    if it.method == "map":
        kind = ATTRIBUTES[str(it.attribute)].kind if it.attribute in ATTRIBUTES else ""
        domain = {"true", "false"} if kind == "bool" else set(CATEGORY_VALUES.get(str(it.attribute), ()))
        covered = bool(domain) and domain <= set(it.mapping)
        return min(list(it.mapping.values()) + ([] if covered else [it.otherwise]))
    if it.method == "first_true":
        return it.otherwise
    if it.method == "supplied":
        return it.lo
    if it.method == "best_of":
        return max(item_floor(p) for p in it.parts)
    return 0.0


class _Evaluator:
    def __init__(self, rules: RuleFile, inputs: Inputs, settings: dict[str, Any], application: str | None) -> None:
        self.rules = rules
        self.inp = inputs
        self.settings = {**DEFAULT_SETTINGS, **settings}
        self.application = application
        self.n = inputs.n
        self.status: dict[str, np.ndarray] = {}
        self.values: dict[str, np.ndarray] = {}
        self.gap: dict[str, np.ndarray] = {}
        self.points: dict[str, np.ndarray] = {}
        self.band: dict[str, np.ndarray] = {}
        self.item_values: dict[str, np.ndarray] = {}
        self.smin: dict[str, np.ndarray] = {}
        self.smax: dict[str, np.ndarray] = {}
        self.unconf = np.zeros(self.n, dtype=bool)
        self.key: dict[str, np.ndarray] = {}
        self.unk: dict[str, np.ndarray] = {}

    # -- inputs -----------------------------------------------------------------------------
    def column(self, name: str) -> np.ndarray:
        col = self.inp.columns.get(name)
        kind = ATTRIBUTES[name].kind if name in ATTRIBUTES else "number"
        if col is None:
            if kind == "category":
                return np.full(self.n, None, dtype=object)
            if kind == "date":
                return np.full(self.n, np.datetime64("NaT"), dtype="datetime64[D]")
            return np.full(self.n, np.nan)
        if kind == "ratio":
            mode = self.settings.get("ratio_rounding", "none")
            if mode not in (None, "none", ""):
                col = np.round(col, int(mode) + 2)
        return col

    def missing(self, name: str, col: np.ndarray) -> np.ndarray:
        kind = ATTRIBUTES[name].kind
        if kind == "set":
            return np.full(self.n, name not in self.inp.sets)
        if kind == "category":
            codes = self.inp.columns.get(name + "#codes")
            return codes < 0 if codes is not None else pd.isna(pd.Series(col, dtype=object)).to_numpy()
        if kind == "date":
            return np.isnat(col)
        return np.isnan(col)

    # -- scores -----------------------------------------------------------------------------
    def score_items(self) -> None:
        for it in self.rules.items:
            pts, band, val = self.item(it)
            self.points[it.id] = pts
            self.band[it.id] = band
            self.item_values[it.id] = val
        dims = {d.id: d for d in self.rules.dimensions}
        tot_min = np.zeros(self.n)
        tot_max = np.zeros(self.n)
        for did in dims:
            lo = np.zeros(self.n)
            hi = np.zeros(self.n)
            for it in self.rules.items:
                if it.dimension != did:
                    continue
                p = self.points[it.id]
                lo += np.where(np.isnan(p), item_floor(it), p)
                hi += np.where(np.isnan(p), it.max, p)
            self.smin[did], self.smax[did] = lo, hi
            tot_min += lo
            tot_max += hi
        self.smin["total"], self.smax["total"] = tot_min, tot_max

    def item(self, it: ScoreItem) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        n = self.n
        if it.method == "best_of":
            parts = [self.item(p) for p in it.parts]
            for p, (pp, pb, pv) in zip(it.parts, parts, strict=True):
                self.points[p.id], self.band[p.id], self.item_values[p.id] = pp, pb, pv
            stack = np.vstack([p[0] for p in parts])
            known = ~np.isnan(stack)
            best = np.where(known, stack, -np.inf).max(axis=0)
            unknown_part = (~known).any(axis=0)
            part_max = np.array([p.max for p in it.parts])[:, None]
            could_beat = (np.where(~known, part_max, -np.inf) > best[None, :]).any(axis=0)
            pts = np.where(unknown_part & could_beat, np.nan, best)
            pts = np.where(np.isneginf(pts), np.nan, pts)
            which = np.where(known, stack, -np.inf).argmax(axis=0)
            band = np.where(np.isnan(pts), -2, which)
            val = np.vstack([p[2] for p in parts]).astype(float)[which, np.arange(n)] if n else np.zeros(0)
            return pts, band, val
        if it.method == "first_true":
            best = np.full(n, it.otherwise)
            band = np.full(n, -1)
            active = [(k, attr, flag_pts) for k, (attr, flag_pts, enabled) in enumerate(it.flags)
                      if not enabled or self.settings.get(enabled)]
            for k, attr, flag_pts in active:
                take = (self.column(attr) == 1.0) & (flag_pts > best)
                band = np.where(take, k, band)
                best = np.where(take, flag_pts, best)
            could_raise = np.zeros(n, dtype=bool)  # an unknown flag could still give more points
            for _k, attr, flag_pts in active:
                could_raise |= np.isnan(self.column(attr)) & (flag_pts > best)
            pts = np.where(could_raise, np.nan, best)
            return pts, np.where(could_raise, -2, band), best
        assert it.attribute is not None
        kind = ATTRIBUTES[it.attribute].kind
        col = self.column(it.attribute)
        miss = self.missing(it.attribute, col)
        if it.method == "bands":
            fav = self.settings.get("boundary_mode", "favourable_inclusive") == "favourable_inclusive"
            pts = np.full(n, it.otherwise)
            band = np.full(n, -1)
            for k in range(len(it.bands) - 1, -1, -1):
                b = it.bands[k]
                t = float(b.threshold)
                if it.better == "higher":
                    hit = _cmp(col, ">=" if fav else ">", t)
                else:
                    hit = _cmp(col, "<=" if fav else "<", t)
                pts = np.where(hit, b.points, pts)
                band = np.where(hit, k, band)
            val = col
        elif it.method == "map":
            if kind == "bool":
                keys = np.where(col == 1.0, "true", "false").astype(object)
                keys[np.isnan(col)] = None
            else:
                keys = col
            s = pd.Series(keys, dtype=object)
            pts = s.map(it.mapping).astype(float).to_numpy()
            pts = np.where(pd.isna(pts) & ~miss, it.otherwise, pts)
            order = list(it.mapping)
            band = s.map({k: i for i, k in enumerate(order)}).fillna(-1).to_numpy().astype(int)
            val = keys
        elif it.method == "per":
            with np.errstate(invalid="ignore"):
                steps = np.floor(col / it.step + 1e-9)
            pts = np.maximum(steps, 0) * it.per_points
            if it.cap is not None:
                pts = np.minimum(pts, float(it.cap))
            band = np.where(miss, -2, 0)
            val = col
        elif it.method == "supplied":
            pts = np.clip(col, it.lo, it.hi)
            band = np.where(miss, -2, 0)
            val = col
        else:  # pragma: no cover - parser prevents it
            raise ValueError(it.method)
        if it.missing_setting is not None:
            fill = float(self.settings.get(it.missing_setting, 0) or 0)
            pts = np.where(miss, fill, pts)
            band = np.where(miss, -3, band)
        else:
            pts = np.where(miss, np.nan, pts)
            band = np.where(miss, -2, band)
        return pts.astype(float), band.astype(int), val

    # -- conditions -------------------------------------------------------------------------
    def node(self, nd: Node) -> np.ndarray:
        if isinstance(nd, Leaf):
            st = self.leaf(nd)
        else:
            kids = [self.node(c) for c in nd.children]
            st = _combine(nd.mode, kids)
            keys = [self.key[c.id] for c in nd.children]
            unks = [self.unk[c.id] for c in nd.children]
            if nd.mode == "all":
                self.key[nd.id] = np.sum(keys, axis=0)
                self.unk[nd.id] = np.sum(unks, axis=0)
            else:
                kk = np.vstack(keys) + 1e-6 * np.vstack(unks)
                arg = kk.argmin(axis=0)
                self.key[nd.id] = np.vstack(keys)[arg, np.arange(self.n)]
                self.unk[nd.id] = np.vstack(unks)[arg, np.arange(self.n)]
                passing = (st == PASS) | (st == REVIEW)
                self.key[nd.id] = np.where(passing, 0.0, self.key[nd.id])
                self.unk[nd.id] = np.where(passing, 0, self.unk[nd.id])
                self.values[nd.id + "#route"] = arg
        st = self.decorate(nd, st)
        done = (st == PASS) | (st == NA)
        if done.any():
            self.key[nd.id] = np.where(done, 0.0, self.key[nd.id])
            self.unk[nd.id] = np.where(done, 0, self.unk[nd.id])
        self.status[nd.id] = st
        return st

    def decorate(self, nd: Node, st: np.ndarray) -> np.ndarray:
        if nd.applies and self.application and self.application not in nd.applies:
            st = np.full(self.n, NA, dtype=np.int8)
        if nd.enabled_by and not self.settings.get(nd.enabled_by):
            st = np.full(self.n, NA, dtype=np.int8)
        if nd.review == "always":
            st = np.where(st == NA, NA, REVIEW).astype(np.int8)
        elif nd.review == "on_pass":
            st = np.where(st == PASS, REVIEW, st).astype(np.int8)
        if nd.unconfirmed:
            hit = st == FAIL
            self.unconf |= hit
            st = np.where(hit, REVIEW, st).astype(np.int8)
        return st

    def leaf(self, lf: Leaf) -> np.ndarray:
        n = self.n
        if lf.score is not None:
            lo, hi = self.smin[lf.score], self.smax[lf.score]
            t = float(lf.value)
            ok_lo = _cmp(lo, lf.op, t)
            ok_hi = _cmp(hi, lf.op, t)
            st = np.where(ok_lo & ok_hi, PASS, np.where(~ok_lo & ~ok_hi, FAIL, UNKNOWN)).astype(np.int8)
            self.values[lf.id] = lo
            self.gap[lf.id] = np.where(st == FAIL, _gap(lo, lf.op, t), 0.0)
            self.key[lf.id] = np.where(st == FAIL, 1.0 + self.gap[lf.id] * 0.999, 0.0)
            self.unk[lf.id] = (st == UNKNOWN).astype(int)
            return st
        if lf.attribute is None:  # a judgement only a person can make
            self.values[lf.id] = np.full(n, None, dtype=object)
            self.gap[lf.id] = np.zeros(n)
            self.key[lf.id] = np.zeros(n)
            self.unk[lf.id] = np.zeros(n, dtype=int)
            return np.full(n, REVIEW, dtype=np.int8)
        kind = ATTRIBUTES[lf.attribute].kind
        if kind == "set":
            ok = self.set_op(lf)
            miss = np.full(n, lf.attribute not in self.inp.sets)
            val = np.broadcast_to(np.float64(np.nan), (n,))
        else:
            col = self.column(lf.attribute)
            miss = self.missing(lf.attribute, col)
            val = col
            op, t = lf.op, lf.value
            if kind == "bool":
                ok = col == (1.0 if t else 0.0)
            elif op == "between":
                ok = _cmp(col, ">=", t[0]) & _cmp(col, "<=", t[1])
            elif kind == "category":
                ok, miss = self.category_op(lf, col)
            else:
                ok = _cmp(col, op, t)
            if lf.attribute in self.inp.absent_fails:
                miss = np.zeros(n, dtype=bool)
        ok = np.ascontiguousarray(ok, dtype=bool)
        st = ok.view(np.int8) * np.int8(PASS)  # FAIL = 0
        miss = np.asarray(miss, dtype=bool)
        if miss.any():
            st[miss] = UNKNOWN
        flag = self.inp.columns.get(lf.attribute + "#review")
        if flag is not None:  # e.g. the only qualifying event sits at the edge of its window
            st = np.where((st == PASS) & (flag == 1.0), REVIEW, st).astype(np.int8)
        self.values[lf.id] = val
        failed = st == FAIL
        if kind in ("money", "ratio", "number", "count", "years") and lf.op in (">=", ">", "<=", "<"):
            gap = _gap(np.asarray(val, dtype=float), lf.op, lf.value) * failed
        else:
            gap = failed.astype(float)
        key = (1.0 + gap * 0.999) * failed
        self.gap[lf.id] = gap
        self.key[lf.id] = key
        self.unk[lf.id] = (st == UNKNOWN).astype(np.int32)
        return st

    def category_op(self, lf: Leaf, col: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """A category comparison on integer codes (the distinct values are few; the rows many)."""
        name = str(lf.attribute)
        codes = self.inp.columns.get(name + "#codes")
        uniques = self.inp.columns.get(name + "#uniques")
        if codes is None or uniques is None:
            codes, uq = pd.factorize(pd.Series(col, dtype=object), use_na_sentinel=True)
            uniques = np.asarray(uq, dtype=object).astype(str)
        wanted = [str(v) for v in (lf.value if isinstance(lf.value, list) else [lf.value])]
        if lf.op == "starts_with":
            hit_u = np.array([any(u.startswith(p) for p in wanted) for u in uniques], dtype=bool)
        else:
            hit_u = np.isin(uniques, wanted)
        lookup = np.append(hit_u, False)  # code −1 (missing) → last slot
        ok = lookup[np.where(codes < 0, len(hit_u), codes)]
        if lf.op in ("not_in", "!="):
            ok = ~ok
        return ok, codes < 0

    def set_op(self, lf: Leaf) -> np.ndarray:
        n = self.n
        pair = self.inp.sets.get(str(lf.attribute))
        if pair is None:
            return np.zeros(n, dtype=bool)
        idx, vals = pair
        wanted = list(lf.value)
        if lf.op in ("any_of", "none_of"):
            hit = np.zeros(n, dtype=bool)
            m = np.isin(vals, wanted)
            hit[idx[m]] = True
            return hit if lf.op == "any_of" else ~hit
        counts = np.zeros(n, dtype=int)
        for w in set(wanted):
            h = np.zeros(n, dtype=bool)
            h[idx[vals == w]] = True
            counts += h
        return counts == len(set(wanted))

    def paths(self) -> dict[str, np.ndarray]:
        on: dict[str, np.ndarray] = {}

        def walk(nd: Node, mask: np.ndarray) -> None:
            on[nd.id] = mask
            if isinstance(nd, Group):
                route = self.values.get(nd.id + "#route")
                for i, c in enumerate(nd.children):
                    walk(c, mask if nd.mode == "all" or route is None else mask & (route == i))

        for nd in self.rules.conditions:
            walk(nd, np.ones(self.n, dtype=bool))
        return on


def evaluate(rules: RuleFile, inputs: Inputs, settings: dict[str, Any] | None = None,
             application: str | None = None) -> Evaluation:
    """Evaluate ``rules`` for every entity of ``inputs``.

    Parameters
    ----------
    rules : a parsed rule file.
    inputs : the named inputs of the entities.
    settings : rule settings (``boundary_mode``, ``ratio_rounding`` and any setting the file names).
    application : ``new`` or ``review``; leaves with ``applies`` not listing it are not applicable.

    Returns
    -------
    Evaluation
        statuses, values, points and the overall verdict (all top-level conditions) per entity.
    """
    ev = _Evaluator(rules, inputs, settings or {}, application)
    ev.score_items()
    tops = [ev.node(nd) for nd in rules.conditions]
    verdict = _combine("all", tops) if tops else np.full(inputs.n, PASS, dtype=np.int8)
    verdict = np.where(verdict == NA, PASS, verdict).astype(np.int8)
    unmet_key = np.sum([ev.key[nd.id] for nd in rules.conditions], axis=0) if tops else np.zeros(inputs.n)
    unk = np.sum([ev.unk[nd.id] for nd in rules.conditions], axis=0) if tops else np.zeros(inputs.n)
    unmet = np.floor(unmet_key + 1e-9).astype(int)
    return Evaluation(rules, inputs, ev.status, ev.values, ev.gap, ev.points, ev.band, ev.item_values,
                      ev.smin, ev.smax, verdict, unmet, np.asarray(unk, dtype=int), unmet_key - unmet,
                      ev.paths(), ev.unconf, ev.settings, application)


def node_text(nd: Node, lang: str) -> str:
    """Readable text of a condition: its label, or ``<attribute label> <op> <value>``."""
    if nd.label:
        return nd.label[lang]
    if isinstance(nd, Group):
        word = ("全部满足" if nd.mode == "all" else "满足其一") if lang == "zh" else \
            ("all of" if nd.mode == "all" else "any of")
        return word
    return leaf_rule_text(nd, lang)


OP_TEXT = {">=": "≥", ">": ">", "<=": "≤", "<": "<", "==": "=", "!=": "≠"}
OP_WORDS = {
    "between": ("介于", "between"), "in": ("属于", "is one of"), "not_in": ("不属于", "is not one of"),
    "starts_with": ("代码以…开头", "code starts with"), "any_of": ("包含任一", "includes any of"),
    "all_of": ("包含全部", "includes all of"), "none_of": ("不包含", "includes none of"),
}


def threshold_text(lf: Leaf, lang: str) -> str:
    """``≥ 3%``, ``介于 100万元 和 500万元``, ``属于 330203、330205`` …"""
    if lf.op == "manual":
        return "人工判断" if lang == "zh" else "human judgement"
    kind = "number" if lf.score else ATTRIBUTES[str(lf.attribute)].kind
    if kind == "bool":
        return ("= 是" if lf.value else "= 否") if lang == "zh" else ("= yes" if lf.value else "= no")
    if lf.op in OP_TEXT:
        return f"{OP_TEXT[lf.op]} {format_value(lf.value, kind, lang)}"
    words = OP_WORDS[lf.op][0 if lang == "zh" else 1]
    if lf.op == "between":
        a, b = (format_value(v, kind, lang) for v in lf.value)
        return f"{words} {a} {'和' if lang == 'zh' else 'and'} {b}"
    return f"{words} {format_value(list(lf.value), 'category', lang)}"


def leaf_rule_text(lf: Leaf, lang: str) -> str:
    if lf.attribute is None and lf.score is None:
        return threshold_text(lf, lang)
    if lf.score is not None:
        what = ("总分" if lang == "zh" else "total score") if lf.score == "total" else lf.score
        return f"{what} {threshold_text(lf, lang)}"
    return f"{ATTRIBUTES[str(lf.attribute)].label(lang)} {threshold_text(lf, lang)}"


def band_text(it: ScoreItem, k: int, lang: str, boundary_mode: str = "favourable_inclusive") -> str:
    """Interval text of band ``k`` of a banded item, e.g. ``[3%, 5%)``; -1 is the 'otherwise' band."""
    if it.method == "per":
        return ("每满{0}得{1}分，最高{2}分" if lang == "zh" else "{1} per full {0}, max {2}").format(
            format_value(it.step, "number"), format_value(it.per_points, "number"), format_value(it.cap, "number"))
    if it.method == "supplied":
        return f"[{format_value(it.lo, 'number')}, {format_value(it.hi, 'number')}]"
    if it.method == "map":
        keys = list(it.mapping)
        if 0 <= k < len(keys):
            return str(keys[k])
        return "其他" if lang == "zh" else "otherwise"
    if it.method == "first_true":
        if 0 <= k < len(it.flags):
            return ATTRIBUTES[it.flags[k][0]].label(lang)
        return "其他" if lang == "zh" else "otherwise"
    if it.method == "best_of":
        return ""
    kind = ATTRIBUTES[str(it.attribute)].kind
    fav = boundary_mode == "favourable_inclusive"
    ths = [format_value(b.threshold, kind, lang) for b in it.bands]
    if it.better == "higher":
        lb, rb = ("[", ")") if fav else ("(", "]")
        if k == 0:
            return f"{lb}{ths[0]}, ∞)"
        if k == -1:
            return f"(−∞, {ths[-1]}{rb}"
        return f"{lb}{ths[k]}, {ths[k - 1]}{rb}"
    lb, rb = ("(", "]") if fav else ("[", ")")
    if k == 0:
        return f"(−∞, {ths[0]}{rb}"
    if k == -1:
        return f"{lb}{ths[-1]}, ∞)"
    return f"{lb}{ths[k - 1]}, {ths[k]}{rb}"
