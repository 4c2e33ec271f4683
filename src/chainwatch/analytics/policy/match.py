"""Matching support policies against every enterprise at once (免申即享 / 快申快享).

:func:`policy_inputs` assembles the enterprise attributes a policy may name (identity, chain membership,
year-to-date statistics and growth of the reference month, 规上 status, titles, annual financials, open
warnings) into engine inputs; :func:`match_policy` evaluates one policy over all of them with the shared
rules engine and classifies each enterprise:

``eligible``       every condition met (``needs_review`` when a condition asks a person to confirm);
``near_miss``      at most ``max_unmet`` conditions not met (and what they lack);
``undecidable``    nothing fails but some input is missing (and which);
``not_eligible``   the rest.

The estimated payout is the fixed amount or ``rate × base`` capped, for eligible enterprises, against the
budget.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from chainwatch.analytics.policy.model import Policy
from chainwatch.analytics.rules.engine import FAIL, PASS, REVIEW, UNKNOWN, Evaluation, Inputs, evaluate

WAN = 10_000.0
CLASSES = ("eligible", "near_miss", "undecidable", "not_eligible")


def policy_inputs(enterprises: pd.DataFrame, monthly: pd.DataFrame | None = None,
                  scope: pd.DataFrame | None = None, annual: pd.DataFrame | None = None,
                  memberships: pd.DataFrame | None = None, warnings: pd.DataFrame | None = None,
                  ref_year: int | None = None) -> Inputs:
    """Engine inputs of every enterprise for policy matching.

    Parameters
    ----------
    enterprises : ``uscc, district, industry, division, section``.
    monthly : per enterprise year-to-date sums in 万元 for the reference year (``*_cur``) and the same months
        of the prior year (``*_prev``) for ``revenue, output, profit, export``, plus ``employees``.
    scope : ``uscc, year, above_size`` (规上 directory).
    annual : the tier-input frame (indexed by uscc) of
        :func:`chainwatch.analytics.cultivation.inputs.build_inputs`: annual financials and titles.
    memberships : ``uscc, chain_id, segment_id`` (long).
    warnings : ``uscc, open_warnings``; None when the database has no warnings table (attribute unknown).
    ref_year : year of the reference month (规上 status of that year; "new" = not above size the year before).
    """
    ids = pd.Index(enterprises["uscc"].astype(str), name="uscc")
    f = pd.DataFrame(index=ids)
    e = enterprises.set_index("uscc")
    for c in ("district", "industry", "division", "section"):
        if c in e:
            f[c] = e[c].reindex(ids).astype(object)
    if annual is not None and len(annual):
        keep = [c for c in annual.columns if "#" not in c and c not in f.columns]
        f = f.join(annual[keep], how="left")
    if monthly is not None and len(monthly):
        m = monthly.set_index("uscc").reindex(ids)
        for name, col in (("revenue", "revenue"), ("output", "output"), ("profit", "profit"), ("export", "export")):
            cur = pd.to_numeric(m.get(f"{col}_cur"), errors="coerce")
            prev = pd.to_numeric(m.get(f"{col}_prev"), errors="coerce")
            f[f"{name}_ytd"] = cur * WAN
            with np.errstate(divide="ignore", invalid="ignore"):
                f[f"{name}_growth_ytd"] = (cur / prev.where(prev > 0)) - 1
        out = pd.to_numeric(m.get("output_cur"), errors="coerce")
        f["export_share_ytd"] = pd.to_numeric(m.get("export_cur"), errors="coerce") / out.where(out > 0)
        f["employees"] = pd.to_numeric(m.get("employees"), errors="coerce")
        from chainwatch.model.sizeclass import size_class

        rev12 = pd.to_numeric(m.get("revenue_12m"), errors="coerce") * WAN
        monthly_size = pd.Series([size_class(None if pd.isna(a) else float(a), None if pd.isna(b) else float(b))
                                  for a, b in zip(f["employees"], rev12, strict=True)], index=ids, dtype=object)
        # the annual size class (prior year) first; the last 12 months where no annual data exists
        f["size_class"] = f["size_class"].where(f["size_class"].notna(), monthly_size) if "size_class" in f \
            else monthly_size
    if scope is not None and ref_year is not None:
        sc = scope.assign(above_size=scope["above_size"].astype(bool))
        cur = sc[sc["year"] == ref_year].set_index("uscc")["above_size"].reindex(ids)
        prev = sc[sc["year"] == ref_year - 1].set_index("uscc")["above_size"].reindex(ids)
        f["above_size"] = cur.map(lambda v: np.nan if pd.isna(v) else float(bool(v)))
        f["above_size_new"] = np.where(cur.isna(), np.nan, (cur.fillna(False).astype(bool)
                                                            & ~prev.fillna(False).astype(bool)).astype(float))
    if warnings is not None:
        f["open_warnings"] = warnings.set_index("uscc")["open_warnings"].reindex(ids).fillna(0).astype(float)
    sets: dict[str, pd.DataFrame] = {}
    if memberships is not None:
        mm = memberships.rename(columns={"uscc": "id"})
        sets["chains"] = mm[["id", "chain_id"]].drop_duplicates().rename(columns={"chain_id": "value"})
        sets["segments"] = mm[["id", "segment_id"]].drop_duplicates().rename(columns={"segment_id": "value"})
    absent = {c for c in f.columns if c.startswith("title_") and (c.endswith("_since") or c.endswith("_until"))}
    return Inputs.from_frame(f, sets=sets, absent_fails=absent)


@dataclass
class PolicyMatch:
    """The evaluation of one policy: class per enterprise, estimated payout (yuan, NaN if not eligible)."""

    policy: Policy
    evaluation: Evaluation
    codes: np.ndarray      # int8 index into CLASSES per enterprise
    payout: np.ndarray

    @property
    def klass(self) -> np.ndarray:
        """Class names per enterprise (object array; prefer :attr:`codes` for large sets)."""
        return np.asarray(CLASSES, dtype=object)[self.codes]

    def positions(self, klass: str) -> np.ndarray:
        return np.nonzero(self.codes == CLASSES.index(klass))[0]

    def counts(self) -> dict[str, int]:
        c = np.bincount(self.codes, minlength=len(CLASSES))
        return {k: int(c[i]) for i, k in enumerate(CLASSES)}

    @property
    def total_payout(self) -> float:
        return float(np.nansum(self.payout))


def payouts(policy: Policy, inputs: Inputs, eligible: np.ndarray) -> np.ndarray:
    """Estimated payout in yuan for each eligible enterprise (NaN otherwise, or when the base is missing)."""
    out = np.full(inputs.n, np.nan)
    b = policy.benefit
    if b is None:
        return out
    if b.kind == "fixed":
        out[eligible] = float(b.amount or 0.0)
        return out
    base = inputs.columns.get(str(b.base))
    if base is None:
        return out
    val = np.maximum(base, 0.0) * float(b.rate or 0.0)
    if b.cap is not None:
        val = np.minimum(val, b.cap)
    out[eligible] = val[eligible]
    return out


def match_policy(policy: Policy, inputs: Inputs, settings: dict | None = None) -> PolicyMatch:
    """Evaluate ``policy`` for every enterprise of ``inputs`` (vectorised) and classify them."""
    ev = evaluate(policy.rules, inputs, settings or {}, application=None)
    v = ev.verdict
    eligible = (v == PASS) | (v == REVIEW)
    near = (v == FAIL) & (ev.unmet <= policy.max_unmet) & (ev.unmet > 0)
    codes = np.select([eligible, near, v == UNKNOWN], [0, 1, 2], 3).astype(np.int8)
    return PolicyMatch(policy, ev, codes, payouts(policy, inputs, eligible))
