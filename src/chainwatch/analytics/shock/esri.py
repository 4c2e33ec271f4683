"""Economic systemic risk index (ESRI-style, risk-methods §4.7, after Diem et al. 2022).

``ESRI_i = Σ_j (s_j / Σ_l s_l)(1 − h_j(∞))`` when firm i fails completely (ψ = e_i); reported for the
downstream (supply shortage), upstream (lost demand) and combined cascades. For large networks the
index is computed for a shortlist of candidates ranked by a cheap proxy (one-step reach).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from chainwatch.analytics.shock.cascade import BOTH, DOWN, UP, Network, cascade


def esri_one(net: Network, i: int, direction: str = BOTH, tol: float = 1e-6) -> float:
    """ESRI of node ``i``: share of total (internal) output lost when i fails."""
    psi = np.zeros(net.n)
    psi[i] = 1.0
    st = cascade(net, psi, direction=direction, tol=tol, track_paths=False)
    wts = np.where(net.internal, net.s, 0.0)
    return float(wts[st.touched] @ (1.0 - st.h[st.touched]) / wts.sum())


def candidates(net: Network, top: int) -> np.ndarray:
    """Shortlist by a one-step proxy: own weight + downstream dependence + upstream dependence.

    The proxy is the output share directly at stake: the firm itself, the essential-input share
    it supplies to each buyer times the buyer's output, and its sales share of each supplier.
    """
    wts = np.where(net.internal, net.s, 0.0)
    share = net.w / net.g_base[net.grp]
    share = np.where(net.g_ess[net.grp], share, share * net.g_omega[net.grp])
    down = np.bincount(net.src, weights=share * wts[net.dst], minlength=net.n)
    up = np.bincount(net.dst, weights=np.minimum(1.0, net.w / net.s[net.src]) * wts[net.src], minlength=net.n)
    score = np.where(net.internal, wts + down + up, -np.inf)
    k = min(top, int(net.internal.sum()))
    idx = np.argpartition(-score, k - 1)[:k] if k < net.n else np.arange(net.n)
    return idx[np.argsort(-score[idx])][:k]


def esri_table(net: Network, nodes: np.ndarray | None = None, tol: float = 1e-6) -> pd.DataFrame:
    """ESRI (downstream, upstream, combined) for ``nodes`` (default: every internal node).

    Returns columns ``node, weight_pct, esri_down_pct, esri_up_pct, esri_pct`` sorted by
    ``esri_pct`` descending.
    """
    idx = np.flatnonzero(net.internal) if nodes is None else np.asarray(nodes, dtype=np.int64)
    wts = np.where(net.internal, net.s, 0.0)
    total = wts.sum()
    rows = []
    for i in idx:
        rows.append((int(i), 100 * wts[i] / total, 100 * esri_one(net, int(i), DOWN, tol),
                     100 * esri_one(net, int(i), UP, tol), 100 * esri_one(net, int(i), BOTH, tol)))
    df = pd.DataFrame(rows, columns=["node", "weight_pct", "esri_down_pct", "esri_up_pct", "esri_pct"])
    return df.sort_values(["esri_pct", "node"], ascending=[False, True]).reset_index(drop=True)
