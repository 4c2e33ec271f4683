"""Tier assessment, candidate discovery, gap analysis and pipeline statistics (pure functions).

All functions work on the frame of named inputs built by
:func:`chainwatch.analytics.cultivation.inputs.build_inputs` and on the stored titles; the rules come from
the rule-set files through :mod:`chainwatch.analytics.cultivation.catalog`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import numpy as np
import pandas as pd

from chainwatch.analytics.cultivation.catalog import (
    NEXT_TIER,
    TIER_LABELS,
    TIER_TITLES,
    TIERS,
    Selection,
    batch_of,
    load_ruleset,
    round_settings,
    select,
)
from chainwatch.analytics.cultivation.inputs import implied_valid_to
from chainwatch.analytics.rules.engine import (
    PASS,
    REVIEW,
    STATUS_NAMES,
    UNKNOWN,
    Evaluation,
    Inputs,
    evaluate,
)
from chainwatch.analytics.rules.report import condition_rows, gap_rows, item_rows, missing_inputs

VERDICTS = {"pass": "qualifies", "fail": "does_not_qualify", "manual_review": "manual_review",
            "unknown": "not_enough_data", "not_applicable": "not_applicable"}


@dataclass
class TierRun:
    """One rule set evaluated for a group of enterprises (positions into the input frame)."""

    tier: str
    selection: Selection
    positions: np.ndarray
    evaluation: Evaluation | None


def to_inputs(frame: pd.DataFrame) -> Inputs:
    """Engine inputs from the attribute frame (title dates count as absent, not unknown, when no title)."""
    dates = {c for c in frame.columns if c.startswith("title_") and (c.endswith("_since") or c.endswith("_until"))}
    inp = Inputs.from_frame(frame[[c for c in frame.columns if "#" not in c]], absent_fails=dates)
    for c in frame.columns:
        if c.endswith("#review"):
            inp.columns[c] = pd.to_numeric(frame[c], errors="coerce").to_numpy(dtype=float)
    return inp


def _take(inp: Inputs, pos: np.ndarray) -> Inputs:
    cols = {k: (v if k.endswith("#uniques") else v[pos]) for k, v in inp.columns.items()}
    return Inputs(inp.ids[pos], cols, {}, inp.absent_fails)


def run_tier(tier: str, frame: pd.DataFrame, d: date, application: str, settings: dict[str, Any],
             inputs: Inputs | None = None) -> list[TierRun]:
    """Evaluate ``tier`` for every enterprise of ``frame``; one :class:`TierRun` per rule set used."""
    inp = inputs or to_inputs(frame)
    n = inp.n
    eff = {**settings, **round_settings(d.year)}
    if application == "review" and tier == "xjr" and "title_little_giant_since" in frame:
        since = pd.to_datetime(frame["title_little_giant_since"])
        batches = [batch_of("xjr", None if pd.isna(s) else s.date()) for s in since]
    else:
        batches = [None] * n
    groups: dict[tuple[str | None, str, str, str], list[int]] = {}
    sels: dict[tuple[str | None, str, str, str], Selection] = {}
    by_batch: dict[int | None, Selection] = {}
    for i, b in enumerate(batches):
        sel = by_batch.get(b)
        if sel is None:
            sel = by_batch[b] = select(tier, d, application, eff, batch=b)
        key = (sel.ruleset, sel.basis, sel.tag, sel.note)
        groups.setdefault(key, []).append(i)
        sels[key] = sel
    runs = []
    for key, idx in groups.items():
        pos = np.asarray(idx, dtype=int)
        sel = sels[key]
        if sel.ruleset is None:
            runs.append(TierRun(tier, sel, pos, None))
            continue
        rules = load_ruleset(sel.ruleset, settings)
        sub = inp if len(pos) == n else _take(inp, pos)
        runs.append(TierRun(tier, sel, pos, evaluate(rules, sub, eff, application)))
    return runs


def summary(runs: list[TierRun], frame: pd.DataFrame, notes: pd.DataFrame, lang: str = "zh") -> pd.DataFrame:
    """One row per enterprise and tier: verdict, rule set, score, unmet/unknown counts, flags, missing inputs."""
    out = []
    note_map = notes.groupby("uscc")["attribute"].apply(list).to_dict() if len(notes) else {}
    for run in runs:
        ids = frame.index[run.positions]
        tier_label = TIER_LABELS[run.tier][0 if lang == "zh" else 1]
        held = _holds(frame, run.tier).iloc[run.positions].to_numpy()
        if run.evaluation is None:
            out.append(pd.DataFrame({"uscc": ids, "tier": run.tier, "tier_label": tier_label, "ruleset": None,
                                     "verdict": "not_applicable", "status": "not_applicable", "holds_title": held}))
            continue
        ev = run.evaluation
        local = np.arange(len(run.positions))
        has_scores = bool(ev.rules.items)
        miss = missing_inputs(ev, local)
        edge = np.zeros(len(local), dtype=bool)
        for c, v in ev.inputs.columns.items():
            if c.endswith("#review"):
                edge |= np.nan_to_num(v) == 1.0
        flags = []
        for k in range(len(local)):
            fl = []
            if ev.unconfirmed_hit[k]:
                fl.append("unconfirmed_rule")
            if ev.verdict[k] == REVIEW:
                fl.append("manual_review")
            if miss[k]:
                fl.append("missing_input")
            if edge[k]:
                fl.append("event_at_window_edge")
            if ids[k] in note_map:
                fl.append("zero_denominator")
                if "manual_review" not in fl:
                    fl.append("manual_review")
            flags.append(fl)
        names = [STATUS_NAMES[int(v)] for v in ev.verdict]
        out.append(pd.DataFrame({
            "uscc": ids, "tier": run.tier, "tier_label": tier_label, "ruleset": run.selection.ruleset,
            "ruleset_basis": run.selection.basis, "verdict": [VERDICTS[s] for s in names], "status": names,
            "score": ev.score_min["total"] if has_scores else np.nan,
            "score_max": ev.score_max["total"] if has_scores else np.nan,
            "unmet": ev.unmet, "unknown": ev.unknown, "gap_index": np.round(ev.gap_sum, 4),
            "holds_title": held, "flags": flags, "missing_inputs": miss,
        }))
    return pd.concat(out, ignore_index=True) if out else pd.DataFrame()


def _holds(frame: pd.DataFrame, tier: str) -> pd.Series:
    cols = [f"title_{t}" for t in TIER_TITLES[tier] if f"title_{t}" in frame]
    if not cols:
        return pd.Series(False, index=frame.index)
    return (frame[cols].fillna(0) == 1).any(axis=1)


def dimension_scores(runs: list[TierRun], uscc: str, lang: str = "zh") -> pd.DataFrame:
    """Score by dimension and in total (reachable minimum and maximum) of one enterprise per tier."""
    rows = []
    for run in runs:
        ev = run.evaluation
        if ev is None or not ev.rules.items:
            continue
        pos = np.nonzero(ev.inputs.ids == uscc)[0]
        if not len(pos):
            continue
        k = int(pos[0])
        for dim in ev.rules.dimensions:
            rows.append({"uscc": uscc, "tier": run.tier, "ruleset": run.selection.ruleset, "dimension": dim.id,
                         "label": dim.label[lang], "points": float(ev.score_min[dim.id][k]),
                         "points_max": float(ev.score_max[dim.id][k]), "max_points": dim.max})
        rows.append({"uscc": uscc, "tier": run.tier, "ruleset": run.selection.ruleset, "dimension": "total",
                     "label": "总分" if lang == "zh" else "total", "points": float(ev.score_min["total"][k]),
                     "points_max": float(ev.score_max["total"][k]), "max_points": sum(d.max for d in ev.rules.dimensions)})
    return pd.DataFrame(rows)


def _per_tier(runs: list[TierRun], uscc: str, rows: Any, keep_empty: bool = True) -> pd.DataFrame:
    """``rows(evaluation, positions)`` for one enterprise in every evaluated tier run, tagged with tier and rule set."""
    out = []
    for run in runs:
        if run.evaluation is None:
            continue
        pos = np.nonzero(run.evaluation.inputs.ids == uscc)[0]
        if not len(pos):
            continue
        part = rows(run.evaluation, pos)
        if keep_empty or len(part):
            part.insert(1, "tier", run.tier)
            part.insert(2, "ruleset", run.selection.ruleset)
            out.append(part)
    return pd.concat(out, ignore_index=True) if out else pd.DataFrame()


def details(runs: list[TierRun], uscc: str, lang: str = "zh") -> tuple[pd.DataFrame, pd.DataFrame]:
    """Conditions and score items of one enterprise for every tier run (in tier order)."""
    return (_per_tier(runs, uscc, lambda ev, pos: condition_rows(ev, pos, lang)),
            _per_tier(runs, uscc, lambda ev, pos: item_rows(ev, pos, lang), keep_empty=False))


def candidates(runs: list[TierRun], frame: pd.DataFrame, lang: str = "zh", limit: int | None = 50,
               districts: pd.Series | None = None) -> pd.DataFrame:
    """Enterprises not holding the tier, ranked by closeness.

    Order: qualifies now, then needs manual review, then by fewest unmet conditions on the closest route,
    the smallest summed relative shortfall, and the fewest undecided conditions. ``rank`` is the city
    rank; with ``districts`` (uscc → district code) also ``district_rank``, the rank within the district
    (computed before ``limit`` cuts the list).
    """
    rows = []
    for run in runs:
        ev = run.evaluation
        if ev is None:
            continue
        held = _holds(frame, run.tier).iloc[run.positions].to_numpy()
        keep = np.nonzero(~held)[0]
        if not len(keep):
            continue
        st = ev.verdict[keep]
        order_class = np.select([st == PASS, st == REVIEW, st == UNKNOWN], [0, 1, 3], 2)
        df = pd.DataFrame({
            "uscc": ev.inputs.ids[keep], "tier": run.tier, "ruleset": run.selection.ruleset,
            "status": [STATUS_NAMES[int(v)] for v in st], "unmet": ev.unmet[keep], "unknown": ev.unknown[keep],
            "gap_index": np.round(ev.gap_sum[keep], 4), "_cls": order_class, "_pos": keep,
        })
        df["verdict"] = df["status"].map(VERDICTS)
        df = df.sort_values(["_cls", "unmet", "gap_index", "unknown", "uscc"]).reset_index(drop=True)
        if districts is not None:
            df["district_rank"] = df.groupby(df["uscc"].map(districts).fillna("")).cumcount() + 1
        if limit:
            df = df.head(limit)
        gaps = gap_rows(ev, df["_pos"].to_numpy(), lang)
        lack = gaps.groupby("id").apply(lambda g: "; ".join(f"{t} ({v})" for t, v in zip(g["text"], g["value"], strict=True)),
                                        include_groups=False) if len(gaps) else pd.Series(dtype=object)
        df["lacking"] = df["uscc"].map(lack).fillna("")
        df["rank"] = np.arange(1, len(df) + 1)
        rows.append(df.drop(columns=["_cls", "_pos"]))
    if not rows:
        return pd.DataFrame(columns=["rank", "uscc", "tier", "verdict", "unmet", "unknown", "gap_index", "lacking"])
    return pd.concat(rows, ignore_index=True)


def next_tier(frame: pd.DataFrame, uscc: str) -> str | None:
    """The tier above the highest tier the enterprise holds (None when it is already a champion)."""
    top = None
    for tier in TIERS:
        if bool(_holds(frame.loc[[uscc]], tier).iloc[0]):
            top = tier
    return NEXT_TIER.get(top)


def gaps(runs: list[TierRun], uscc: str, lang: str = "zh") -> pd.DataFrame:
    """What the enterprise lacks for each evaluated tier: failed or undecided conditions on its closest route."""
    return _per_tier(runs, uscc, lambda ev, pos: gap_rows(ev, pos, lang))


def pipeline(titles: pd.DataFrame, enterprises: pd.DataFrame, memberships: pd.DataFrame, d: date,
             validity: dict[str, int], qualifying: pd.DataFrame | None = None,
             expiring_days: int = 365) -> pd.DataFrame:
    """Counts per tier for the city, each district and each chain.

    Parameters
    ----------
    titles : enterprise_title rows.
    enterprises : ``uscc, district`` (and optionally ``district_name``).
    memberships : ``uscc, chain_id, chain_name`` (an enterprise may belong to several chains).
    d : reference date: titles valid on ``d`` are held; "new" = granted in ``d.year``; "expiring" = valid_to
        within ``expiring_days`` after ``d``.
    qualifying : optional summary rows (``uscc, tier, verdict, holds_title``) to count qualifying non-holders.

    Returns
    -------
    DataFrame with ``level, key, name, tier, holders, new_this_year, expiring, qualifies_not_held,
    review_not_held``.
    """
    t = titles.copy()
    t["valid_from"] = pd.to_datetime(t["valid_from"])
    vt = pd.to_datetime(t["valid_to"])
    t["valid_to"] = vt.fillna(implied_valid_to(t["valid_from"], t["title"], validity))
    ts = pd.Timestamp(d)
    valid = t[(t["valid_from"] <= ts) & (t["valid_to"] >= ts)]
    tier_of = {code: tier for tier, codes in TIER_TITLES.items() for code in codes}
    valid = valid.assign(tier=valid["title"].map(tier_of)).dropna(subset=["tier"])
    facts = valid.groupby(["uscc", "tier"]).agg(
        new=("valid_from", lambda s: bool((s.dt.year == d.year).any())),
        expiring=("valid_to", lambda s: bool(s.max() <= ts + timedelta(days=expiring_days))),
    ).reset_index()
    facts["holders"] = True
    if qualifying is not None and len(qualifying):
        q = qualifying[~qualifying["holds_title"].astype(bool)]
        q = q.assign(qualifies=q["verdict"] == "qualifies", review=q["verdict"] == "manual_review")
        q = q[q["qualifies"] | q["review"]][["uscc", "tier", "qualifies", "review"]]
        facts = facts.merge(q, on=["uscc", "tier"], how="outer")
    for c in ("holders", "new", "expiring", "qualifies", "review"):
        if c not in facts:
            facts[c] = False
        # object columns (e.g. from an empty groupby, or NaN after the outer merge) → plain bools
        facts[c] = facts[c].map(lambda v: bool(v) if isinstance(v, (bool, np.bool_)) else False).astype(bool)
    ent = enterprises[["uscc", "district"] + (["district_name"] if "district_name" in enterprises else [])]
    facts = facts.merge(ent, on="uscc", how="inner")
    levels = [("city", facts.assign(key="*", name="*"))]
    levels.append(("district", facts.assign(key=facts["district"],
                                            name=facts.get("district_name", facts["district"]))))
    if len(memberships):
        mm = facts.merge(memberships.drop_duplicates(["uscc", "chain_id"]), on="uscc")
        levels.append(("chain", mm.assign(key=mm["chain_id"], name=mm["chain_name"])))
    out = []
    for level, df in levels:
        if not len(df):
            continue
        g = df.groupby(["key", "name", "tier"]).agg(
            holders=("holders", "sum"), new_this_year=("new", "sum"), expiring=("expiring", "sum"),
            qualifies_not_held=("qualifies", "sum"), review_not_held=("review", "sum")).reset_index()
        g.insert(0, "level", level)
        out.append(g)
    if not out:
        return pd.DataFrame(columns=["level", "key", "name", "tier", "holders", "new_this_year", "expiring",
                                     "qualifies_not_held", "review_not_held"])
    res = pd.concat(out, ignore_index=True)
    res["tier_order"] = res["tier"].map({t: i for i, t in enumerate(TIERS)})
    res = res.sort_values(["level", "key", "tier_order"]).drop(columns="tier_order").reset_index(drop=True)
    for c in ("holders", "new_this_year", "expiring", "qualifies_not_held", "review_not_held"):
        res[c] = res[c].astype(int)
    return res
