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


_SHARED: dict[str, Network] = {}


def _chunk(args: tuple[np.ndarray, float]) -> list[tuple[int, float, float, float, float]]:
    return _rows(_SHARED["net"], args[0], args[1])


def esri_table(net: Network, nodes: np.ndarray | None = None, tol: float = 1e-6,
               workers: int = 1) -> pd.DataFrame:
    """ESRI (downstream, upstream, combined) for ``nodes`` (default: every internal node).

    ``workers`` > 1 spreads the cascades over forked processes (Linux/macOS).
    Returns columns ``node, weight_pct, esri_down_pct, esri_up_pct, esri_pct`` sorted by
    ``esri_pct`` descending.
    """
    idx = np.flatnonzero(net.internal) if nodes is None else np.asarray(nodes, dtype=np.int64)
    if workers > 1 and idx.size > 200:
        import multiprocessing as mp

        _SHARED["net"] = net
        try:
            with mp.get_context("fork").Pool(workers) as pool:
                parts = pool.map(_chunk, [(c, tol) for c in np.array_split(idx, workers * 4)])
        finally:
            _SHARED.clear()
        rows = [r for part in parts for r in part]
    else:
        rows = _rows(net, idx, tol)
    df = pd.DataFrame(rows, columns=["node", "weight_pct", "esri_down_pct", "esri_up_pct", "esri_pct"])
    return df.sort_values(["esri_pct", "node"], ascending=[False, True]).reset_index(drop=True)


def _rows(net: Network, idx: np.ndarray, tol: float) -> list[tuple[int, float, float, float, float]]:
    wts = np.where(net.internal, net.s, 0.0)
    total = wts.sum()
    has_buyers = np.diff(net.out_ptr) > 0
    has_suppliers = np.diff(net.b_gptr) > 0
    rows = []
    for i in idx:
        own = wts[i] / total
        down = esri_one(net, int(i), DOWN, tol) if has_buyers[i] else own     # nobody to starve
        up = esri_one(net, int(i), UP, tol) if has_suppliers[i] else own      # no supplier loses sales
        both = esri_one(net, int(i), BOTH, tol) if has_buyers[i] or has_suppliers[i] else own
        rows.append((int(i), 100 * own, 100 * down, 100 * up, 100 * both))
    return rows
