"""The sparse kernel of large cascades: mat-vecs behind one small interface, policy sweeps, the loss tail.

A large cascade spends its time in sparse matrix–vector products over the links. They all go through
:data:`KERNEL`, an object with two methods:

* ``prepare(matrix)`` takes a ``scipy.sparse.csr_matrix`` once per cascade (or per policy) and returns
  whatever the kernel multiplies with (the default keeps the CSR matrix; a GPU kernel would copy it to
  the device here);
* ``matvec(prepared, x)`` returns ``prepared @ x`` as a NumPy float64 array (a GPU kernel copies ``x``
  in and the product out: 8 MB each way at a million firms).

:func:`use_kernel` swaps it (e.g. ``use_kernel(CupyKernel())``); everything else stays NumPy.

**Policy sweeps** (modified policy iteration). In loss form x = 1 − h, a sweep is
``x ← max(x, ψ, max_g e_g(x), Σ ω_g e_g(x), U x)`` clipped to 1: a maximum of monotone affine terms
(one per essential input group, the linear rule, the upstream rule). Once the loss has spread, the
term that binds at each firm (its *policy*) changes rarely, while the levels keep creeping up by a
factor of about 0.97 per sweep on networks with large strongly connected parts. A policy sweep
evaluates only each firm's binding term: one product with a matrix that holds, per firm, the links of
that term only (about a sixth of a full sweep's work at 10 M links). Any fixed term is at most the
maximum, and every term is monotone, so policy sweeps never overtake the full sweeps' fixed point: the
levels remain an iterate from above (a loss from below) of the same fixed point, and a full sweep
after each batch re-selects the policies and checks convergence exactly.

**Tail estimate.** The lost output added by successive sweeps decays geometrically once the policies
have settled; :func:`tail_estimate` fits the ratio over the last sweeps and returns the lost output
still to come (``d·q/(1 − q)``), which declares convergence on the loss and is reported in the results.
It is an estimate (the bench checks it against tightly converged references); the levels themselves
are never extrapolated.
"""

from __future__ import annotations

from typing import Any, Protocol

import numpy as np
import scipy.sparse as sp


class SparseKernel(Protocol):
    """What a cascade needs from a sparse back end."""

    def prepare(self, matrix: sp.csr_matrix) -> Any: ...

    def matvec(self, prepared: Any, x: np.ndarray) -> np.ndarray: ...


class ScipyKernel:
    """The default kernel: scipy's CSR mat-vec (one core, C loop)."""

    def prepare(self, matrix: sp.csr_matrix) -> sp.csr_matrix:
        return matrix

    def matvec(self, prepared: sp.csr_matrix, x: np.ndarray) -> np.ndarray:
        return prepared @ x


KERNEL: SparseKernel = ScipyKernel()


def use_kernel(kernel: SparseKernel) -> SparseKernel:
    """Make ``kernel`` the one every later cascade uses; returns the previous kernel."""
    global KERNEL
    old, KERNEL = KERNEL, kernel
    return old


def _ranges(starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Concatenate ``arange(s, e)`` for every pair (vectorised)."""
    lens = (ends - starts).astype(np.int64)
    total = int(lens.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    offs = np.repeat(starts.astype(np.int64) - np.cumsum(lens) + lens, lens)
    return offs + np.arange(total, dtype=np.int64)


class PolicySweep:
    """Cheap sweeps with each firm's binding term fixed, in loss form (see the module docstring).

    Parameters
    ----------
    gm : (G, n) CSR, row g = base values (times link availability) of group g's links at their suppliers.
    g_base, g_dst : per group Π(0) and buyer; ``offset`` per group: ``1 − Σ w·cap/Π − stock`` (the loss
        of the group when every supplier is intact, negative when inventory covers a shortfall).
    sales : (n, n) CSR of base sales (supplier rows), ``s`` per node.
    ess_nodes, ess_group : firms bound by an essential group, and that group.
    lin_nodes, lin_groups, lin_owner, lin_omega : firms bound by the linear rule, and their non-essential
        groups that are short (groups still fully supplied are left out: their term is 0 until a supplier
        is hit, so leaving them out only delays, never overstates, a loss).
    up_nodes : firms bound by lost demand.
    """

    def __init__(self, n: int, gm: sp.csr_matrix, g_base: np.ndarray, offset: np.ndarray | None,
                 sales: sp.csr_matrix | None, s: np.ndarray, ess_nodes: np.ndarray, ess_group: np.ndarray,
                 lin_groups: np.ndarray, lin_owner: np.ndarray, lin_omega: np.ndarray,
                 up_nodes: np.ndarray) -> None:
        groups = np.concatenate([ess_group, lin_groups])
        owner = np.concatenate([ess_nodes, lin_owner, up_nodes])
        weight = np.concatenate([np.ones(ess_group.size), lin_omega, np.ones(up_nodes.size)])
        a = gm[groups]
        a.data /= np.repeat(g_base[groups], np.diff(a.indptr))
        parts = [a]
        if up_nodes.size:
            u = sales[up_nodes]
            u.data /= np.repeat(s[up_nodes], np.diff(u.indptr))
            parts.append(u)
        stacked = parts[0] if len(parts) == 1 else sp.vstack(parts, format="csr")
        self.rows = KERNEL.prepare(stacked)
        self.nnz = int(stacked.nnz)
        off = np.zeros(stacked.shape[0])
        if offset is not None:
            off[:groups.size] = offset[groups]
        self.offset = off if offset is not None and off.any() else None
        order = np.argsort(owner, kind="stable")
        ptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(np.bincount(owner, minlength=n), out=ptr[1:])
        self.combine = KERNEL.prepare(sp.csr_matrix((weight[order], order, ptr), shape=(n, stacked.shape[0])))

    def __call__(self, x: np.ndarray) -> np.ndarray:
        """One policy sweep: ``min(1, max(x, binding term))`` for every firm with a policy."""
        z = KERNEL.matvec(self.rows, x)
        if self.offset is not None:
            z += self.offset
        y = KERNEL.matvec(self.combine, z)
        np.maximum(y, x, out=y)
        np.minimum(y, 1.0, out=y)
        return y


def tail_estimate(increments: list[float] | np.ndarray, window: int = 8) -> float:
    """Lost output still to come if the last ``window`` increments keep decaying geometrically.

    The ratio q is the larger of the geometric-mean ratios over the two halves of the window (the
    slower decay, so the estimate errs on the high side); ``d_last·q/(1 − q)``. Returns ``inf`` when
    there are too few increments or they do not decay (q ≥ 0.9995), 0.0 when the last one is 0.
    """
    d = np.asarray(increments[-window:], dtype=float)
    if d.size and d[-1] <= 0.0:
        return 0.0
    if d.size < window or np.any(d <= 0.0):
        return float("inf")
    half = window // 2
    q1 = (d[half - 1] / d[0]) ** (1.0 / (half - 1))
    q2 = (d[-1] / d[half]) ** (1.0 / (window - half - 1))
    q = max(q1, q2)
    if not q < 0.9995:
        return float("inf")
    return float(d[-1] * q / (1.0 - q))
