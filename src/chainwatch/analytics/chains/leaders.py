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


def _pct(x: np.ndarray) -> np.ndarray:
    """Percentile rank in (0, 1] with ties averaged (pandas ``rank(pct=True)``)."""
    return pd.Series(x, dtype=float).rank(method="average", pct=True).to_numpy() if len(x) else np.zeros(0)


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
    f = firms.groupby("uscc", as_index=False, sort=True)["output"].sum()
    uscc = f["uscc"].tolist()
    out = f["output"].astype(float).fillna(0.0).to_numpy()
    n = len(uscc)
    total = float(out.sum())
    share = out / total if total > 0 else np.full(n, np.nan)
    pos = {u: i for i, u in enumerate(uscc)}
    src_l, dst_l, val_l = [], [], []
    if len(links):
        for a, b, v in zip(links["supplier_uscc"].tolist(), links["buyer_uscc"].tolist(),
                           links["annual_value"].tolist(), strict=True):
            i, j = pos.get(a), pos.get(b)
            if i is None or j is None or i == j:
                continue
            src_l.append(i)
            dst_l.append(j)
            val_l.append(0.0 if v is None or v != v else float(v))
    src = np.asarray(src_l, dtype=np.int64)
    dst = np.asarray(dst_l, dtype=np.int64)
    val = np.asarray(val_l, dtype=float)
    pull_value = np.bincount(dst, weights=val, minlength=n) if n else np.zeros(0)
    pairs = np.unique(np.stack([src, dst], axis=1), axis=0) if len(src) else np.zeros((0, 2), dtype=np.int64)
    n_sup = np.bincount(pairs[:, 1], minlength=n) if n else np.zeros(0, dtype=np.int64)
    n_cus = np.bincount(pairs[:, 0], minlength=n) if n else np.zeros(0, dtype=np.int64)
    wt = np.where(val > 0, val, 1.0)
    pr_in = pagerank(n, src, dst, wt)
    pr_out = pagerank(n, dst, src, wt)
    pct_share = _pct(np.nan_to_num(share))
    pct_pull = (_pct(pull_value) + _pct(n_sup.astype(float))) / 2
    pct_network = np.maximum(_pct(pr_in), _pct(pr_out))
    wsum = sum(w[m] for m in METRICS)
    score = (w["share"] * pct_share + w["pull"] * pct_pull + w["network"] * pct_network) / wsum
    res = pd.DataFrame({"uscc": uscc, "output": out, "share": share, "local_suppliers": n_sup.astype(int),
                        "local_customers": n_cus.astype(int), "pull_value": pull_value, "pagerank_in": pr_in,
                        "pagerank_out": pr_out, "pct_share": pct_share, "pct_pull": pct_pull,
                        "pct_network": pct_network, "score": score,
                        "eligible": np.nan_to_num(share) >= min_share})
    res = res.sort_values(["eligible", "score", "output"], ascending=[False, False, False]).reset_index(drop=True)
    res["rank"] = np.arange(1, n + 1)
    return res
