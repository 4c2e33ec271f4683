"""Chain-leader candidates (链主候选, risk-methods §1.9).

chainwatch only ranks candidates; certification is an administrative decision. Each metric is
turned into a percentile rank within the chain and the score is their weighted mean:
``CL_i = Σ_m ω_m · pctrank_m(i)`` (equal weights by default), with an eligibility gate on the
output share (σ ≥ 5 % by default). The breakdown is returned next to the rank.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from chainwatch.analytics.chains.graph import pagerank

METRICS = ("share", "pull", "network")


def _pct(s: pd.Series) -> pd.Series:
    return s.astype(float).rank(pct=True, method="average") if len(s) else s.astype(float)


def leader_candidates(firms: pd.DataFrame, links: pd.DataFrame, *, min_share: float = 0.05,
                      weights: dict[str, float] | None = None) -> pd.DataFrame:
    """Rank the firms of one chain as chain-leader candidates.

    Parameters
    ----------
    firms : ``uscc, output`` — one row per firm of the chain (output over the period, 万元).
    links : supply links among local firms (``supplier_uscc, buyer_uscc, annual_value``); links
        whose supplier or buyer is not a chain firm are ignored.
    min_share : eligibility gate on the output share of the chain.
    weights : weights of the metrics ``share``, ``pull`` and ``network`` (default equal).

    Returns
    -------
    DataFrame, best first: ``uscc, output, share, local_suppliers, local_customers, pull_value,
    pagerank_in, pagerank_out, pct_share, pct_pull, pct_network, score, eligible, rank``.

    Notes
    -----
    *pull* is the mean percentile of the value bought from local chain firms and of the number of
    such suppliers; *network* is the larger percentile of value-weighted PageRank on the goods
    flow (supplier → buyer, buyer-side pull) and on the reversed graph (supplier-side reach).
    """
    w = {m: 1.0 for m in METRICS} | (weights or {})
    f = firms.groupby("uscc", as_index=False)["output"].sum()
    f["output"] = f["output"].astype(float).fillna(0.0)
    total = float(f["output"].sum())
    f["share"] = f["output"] / total if total > 0 else np.nan
    pos = {u: i for i, u in enumerate(f["uscc"])}
    if len(links):
        ln = links[links["supplier_uscc"].isin(pos) & links["buyer_uscc"].isin(pos)
                   & (links["supplier_uscc"] != links["buyer_uscc"])]
    else:
        ln = pd.DataFrame(columns=["supplier_uscc", "buyer_uscc", "annual_value"])
    val = ln["annual_value"].astype(float).fillna(0.0)
    f["pull_value"] = f["uscc"].map(val.groupby(ln["buyer_uscc"]).sum()).fillna(0.0)
    f["local_suppliers"] = f["uscc"].map(ln.groupby("buyer_uscc")["supplier_uscc"].nunique()).fillna(0).astype(int)
    f["local_customers"] = f["uscc"].map(ln.groupby("supplier_uscc")["buyer_uscc"].nunique()).fillna(0).astype(int)
    n = len(f)
    src = ln["supplier_uscc"].map(pos).to_numpy(dtype=np.int64)
    dst = ln["buyer_uscc"].map(pos).to_numpy(dtype=np.int64)
    wt = np.where(val.to_numpy() > 0, val.to_numpy(), 1.0) if len(ln) else np.zeros(0)
    f["pagerank_in"] = pagerank(n, src, dst, wt)
    f["pagerank_out"] = pagerank(n, dst, src, wt)
    f["pct_share"] = _pct(f["share"].fillna(0.0))
    f["pct_pull"] = (_pct(f["pull_value"]) + _pct(f["local_suppliers"])) / 2
    f["pct_network"] = np.maximum(_pct(f["pagerank_in"]), _pct(f["pagerank_out"]))
    wsum = sum(w[m] for m in METRICS)
    f["score"] = sum(w[m] * f[f"pct_{m}"] for m in METRICS) / wsum
    f["eligible"] = f["share"].fillna(0.0) >= min_share
    f = f.sort_values(["eligible", "score", "output"], ascending=[False, False, False]).reset_index(drop=True)
    f["rank"] = np.arange(1, n + 1)
    return f
