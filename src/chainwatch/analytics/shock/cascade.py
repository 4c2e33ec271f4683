"""Firm-level disruption cascade on a supply network (risk-methods §4.7), with scipy.sparse.

A network has n nodes (local firms and external suppliers) and m links supplier → buyer with a base
value w (e.g. 万元 a year). Each link belongs to an *input group* of its buyer: (buyer, input class,
essential). Each node's production level h ∈ [0, 1] is limited by

* its own shock: ``h ≤ 1 − ψ``;
* downstream (supply shortage): relative availability of each input group
  ``r_g = Σ w·h_src·cap / Π_g(0)`` (plus inventory); essential groups act as a Leontief minimum,
  non-essential groups reduce output linearly by their share ω of the buyer's inputs:
  ``h^d = min(min_{g ess} r_g, 1 − Σ_{g non-ess} ω_g (1 − r_g))``;
* upstream (lost demand): ``h^u_i = 1 − Σ_j w_ij (1 − h_j) / s_i``.

``h ← min(h, h^d, h^u)`` is iterated to a fixed point. Only nodes next to a node whose h changed are
re-evaluated (the active frontier), which gives exactly the synchronous sweep of the spec at a cost
proportional to the part of the network the shock reaches; once the frontier covers ``full_frac``
of the network, every node is swept with CSR mat-vecs into preallocated buffers (:class:`_FullSweep`).
Each cascade reports whether it converged before ``max_sweeps`` and how much the last sweep still
changed (largest level drop, lost output as a share of total output). External nodes only carry
their own shock. :func:`run_cascade` adds months, inventory buffers and recovery paths and records the path by
which the shock reached each firm.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import scipy.sparse as sp

from chainwatch.analytics.shock import kernel
from chainwatch.analytics.shock.kernel import _ranges

DOWN, UP, BOTH = "downstream", "upstream", "both"
POLICY_SWEEPS = 40          # cheap sweeps of binding terms after each full sweep (large networks)
POLICY_MIN_LINKS = 50_000   # below this, plain synchronous sweeps
CYCLE_WINDOW = 6            # full-sweep cycles fitted by the loss-tail estimate


@dataclass
class Network:
    """A supply network prepared for cascades (build it with :meth:`build`).

    Attributes
    ----------
    n : number of nodes. ``internal[i]`` is False for external suppliers (not counted as output).
    s : (n,) base output (sales) per node, the weight of each node's loss.
    src, dst, w : link arrays in *buyer-group order* (sorted by buyer, then group).
    grp : (m,) group id per link; groups sorted by buyer.
    g_dst, g_base, g_ess, g_omega : per group buyer, Π(0), essential flag, share ω of the buyer's inputs.
    b_gptr : (n+1,) group ranges per buyer; g_eptr : (G+1,) link ranges per group.
    out_ptr, out_link : links by supplier (CSR over positions in the buyer-ordered link arrays).
    """

    n: int
    internal: np.ndarray
    s: np.ndarray
    src: np.ndarray
    dst: np.ndarray
    w: np.ndarray
    grp: np.ndarray
    g_dst: np.ndarray
    g_base: np.ndarray
    g_ess: np.ndarray
    g_omega: np.ndarray
    b_gptr: np.ndarray
    g_eptr: np.ndarray
    out_ptr: np.ndarray
    out_link: np.ndarray
    order: np.ndarray = field(repr=False)  # position of each input link in buyer-group order
    g_count: np.ndarray = field(init=False, repr=False)
    _ess_idx: np.ndarray = field(init=False, repr=False)
    _lin_idx: np.ndarray = field(init=False, repr=False)
    _ess_dst: np.ndarray = field(init=False, repr=False)
    _lin_dst: np.ndarray = field(init=False, repr=False)
    _lin_omega: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.g_count = np.diff(self.g_eptr)
        self._ess_idx = np.flatnonzero(self.g_ess)
        self._lin_idx = np.flatnonzero(~self.g_ess)
        self._ess_dst = self.g_dst[self._ess_idx]
        self._lin_dst = self.g_dst[self._lin_idx]
        self._lin_omega = self.g_omega[self._lin_idx]

    @property
    def m(self) -> int:
        return int(self.src.shape[0])

    @classmethod
    def build(cls, n: int, src: np.ndarray, dst: np.ndarray, w: np.ndarray, *,
              input_class: np.ndarray | None = None, essential: np.ndarray | None = None,
              s: np.ndarray | None = None, internal: np.ndarray | None = None) -> Network:
        """Prepare the arrays.

        Parameters
        ----------
        n : number of nodes; links refer to nodes 0…n−1.
        src, dst, w : supplier, buyer and base value of each link (w > 0).
        input_class : class of the supplied input per link (e.g. segment or product code as int);
            links of one buyer in one class (and essentiality) substitute for each other. Default:
            the supplier itself (no substitution).
        essential : per link, True (Leontief-type limit, default) or False (linear).
        s : base output per node; default: max(in-network sales, in-network purchases), ≥ tiny.
        internal : mask of local firms (default all).
        """
        src = np.asarray(src, dtype=np.int64)
        dst = np.asarray(dst, dtype=np.int64)
        w = np.asarray(w, dtype=float)
        m = src.shape[0]
        cls_ = src if input_class is None else np.asarray(input_class, dtype=np.int64)
        ess = np.ones(m, dtype=bool) if essential is None else np.asarray(essential, dtype=bool)
        ncls = int(cls_.max()) + 1 if m else 1
        if ncls < 0 or n * ncls * 2 > 2**62:
            order = np.lexsort((~ess, cls_, dst))
        else:  # one int64 key sorts faster than a lexsort on three arrays
            order = np.argsort((dst * ncls + cls_) * 2 + (~ess), kind="stable")
        src, dst, w, cls_, ess = src[order], dst[order], w[order], cls_[order], ess[order]
        if m:
            new = np.empty(m, dtype=bool)
            new[0] = True
            new[1:] = (dst[1:] != dst[:-1]) | (cls_[1:] != cls_[:-1]) | (ess[1:] != ess[:-1])
            grp = np.cumsum(new) - 1
            starts = np.flatnonzero(new)
        else:
            grp = np.zeros(0, dtype=np.int64)
            starts = np.zeros(0, dtype=np.int64)
        G = starts.shape[0]
        g_eptr = np.append(starts, m).astype(np.int64)
        g_dst = dst[starts]
        g_base = np.bincount(grp, weights=w, minlength=G)
        g_ess = ess[starts]
        tot_in = np.bincount(dst, weights=w, minlength=n)
        g_omega = g_base / np.where(tot_in[g_dst] > 0, tot_in[g_dst], 1.0)
        b_gptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(np.bincount(g_dst, minlength=n), out=b_gptr[1:])
        sales = np.bincount(src, weights=w, minlength=n)
        if s is None:
            s = np.maximum(np.maximum(sales, tot_in), 1e-12)
        s = np.asarray(s, dtype=float)
        out_order = np.argsort(src, kind="stable")
        out_ptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(np.bincount(src, minlength=n), out=out_ptr[1:])
        inner = np.ones(n, dtype=bool) if internal is None else np.asarray(internal, dtype=bool)
        return cls(n, inner, s, src, dst, w, grp.astype(np.int64), g_dst, g_base, g_ess, g_omega, b_gptr,
                   g_eptr, out_ptr, out_order.astype(np.int64), order)

    @cached_property
    def group_matrix(self) -> sp.csr_matrix:
        """(G, n) CSR: row g holds the base values of group g's links at their suppliers."""
        idx = self.src.astype(np.int32) if self.n < 2**31 else self.src
        return sp.csr_matrix((self.w, idx, self.g_eptr), shape=(self.g_base.size, self.n))

    @cached_property
    def sales_matrix(self) -> sp.csr_matrix:
        """(n, n) CSR: row i holds supplier i's base sales to each buyer."""
        d = self.dst[self.out_link]
        idx = d.astype(np.int32) if self.n < 2**31 else d
        return sp.csr_matrix((self.w[self.out_link], idx, self.out_ptr), shape=(self.n, self.n))

    @cached_property
    def _lin_matrix(self) -> sp.csr_matrix:
        """(n, G) CSR: row j holds ω_g at j's non-essential groups g."""
        idx = self._lin_idx.astype(np.int32) if self.g_base.size < 2**31 else self._lin_idx
        return sp.csr_matrix((self._lin_omega, idx, self.lin_ptr), shape=(self.n, self.g_base.size))

    @cached_property
    def lin_ptr(self) -> np.ndarray:
        """(n+1,) ranges of each node's non-essential groups in ``_lin_idx`` (which is sorted by buyer)."""
        ptr = np.zeros(self.n + 1, dtype=np.int64)
        np.cumsum(np.bincount(self._lin_dst, minlength=self.n), out=ptr[1:])
        return ptr

    def adjacency(self) -> sp.csr_matrix:
        """W as a CSR matrix (supplier rows, buyer columns), summing parallel links."""
        return sp.csr_matrix((self.w, (self.src, self.dst)), shape=(self.n, self.n))

    def buyers_of(self, nodes: np.ndarray) -> np.ndarray:
        return self.dst[self.out_link[_ranges(self.out_ptr[nodes], self.out_ptr[nodes + 1])]]

    def suppliers_of(self, nodes: np.ndarray) -> np.ndarray:
        gr = _ranges(self.b_gptr[nodes], self.b_gptr[nodes + 1])
        return self.src[_ranges(self.g_eptr[gr], self.g_eptr[gr + 1])]


def _downstream(net: Network, nodes: np.ndarray, h: np.ndarray, cap: np.ndarray | None,
                stock: np.ndarray | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """h^d for ``nodes`` and the groups evaluated with their pure-delivery availability."""
    if nodes.size == net.n:  # every node: no gathering, per-group arrays precomputed
        if cap is None:   # one sparse mat-vec (C loop) instead of gather + multiply + bincount
            avail = net.group_matrix @ h
        else:
            avail = np.bincount(net.grp, weights=net.w * h[net.src] * cap, minlength=net.g_base.size)
        r = np.minimum(avail / net.g_base, 1.0)
        reff = r if stock is None else np.minimum(1.0, r + stock)
        ess_min = np.ones(net.n)
        np.minimum.at(ess_min, net._ess_dst, reff[net._ess_idx])
        lin = 1.0 - np.bincount(net._lin_dst, weights=net._lin_omega * (1.0 - reff[net._lin_idx]), minlength=net.n)
        return np.minimum(ess_min, lin), np.arange(net.g_base.size), r
    else:
        gr = _ranges(net.b_gptr[nodes], net.b_gptr[nodes + 1])
        counts = net.g_count[gr]
        links = _ranges(net.g_eptr[gr], net.g_eptr[gr + 1])
        local = np.repeat(np.arange(gr.size), counts)
        flow = net.w[links] * h[net.src[links]]
        if cap is not None:
            flow = flow * cap[links]
    if gr.size == 0:
        return np.ones(nodes.size), gr, np.zeros(0)
    r = np.bincount(local, weights=flow, minlength=gr.size) / net.g_base[gr]
    r = np.minimum(r, 1.0)
    reff = r if stock is None else np.minimum(1.0, r + stock[gr])
    ngr = net.b_gptr[nodes + 1] - net.b_gptr[nodes]
    owner = np.repeat(np.arange(nodes.size), ngr)
    ess_min = np.ones(nodes.size)
    e = net.g_ess[gr]
    np.minimum.at(ess_min, owner[e], reff[e])
    lin = 1.0 - np.bincount(owner[~e], weights=net.g_omega[gr][~e] * (1.0 - reff[~e]), minlength=nodes.size)
    return np.minimum(ess_min, lin), gr, r


def _upstream(net: Network, nodes: np.ndarray, h: np.ndarray) -> np.ndarray:
    if nodes.size == net.n:
        return 1.0 - (net.sales_matrix @ (1.0 - h)) / net.s
    links = net.out_link[_ranges(net.out_ptr[nodes], net.out_ptr[nodes + 1])]
    counts = net.out_ptr[nodes + 1] - net.out_ptr[nodes]
    local = np.repeat(np.arange(nodes.size), counts)
    lost = np.bincount(local, weights=net.w[links] * (1.0 - h[net.dst[links]]), minlength=nodes.size)
    return 1.0 - lost / net.s[nodes]


class _FullSweep:
    """One synchronous sweep over every node with preallocated buffers (the large-cascade path).

    Availability is one CSR mat-vec (base values times the link availability ``cap``), the linear
    rule one mat-vec with ω, the upstream rule one mat-vec of the sales matrix, all through
    :data:`kernel.KERNEL`; elementwise steps write into preallocated buffers (``out=``). The terms of the
    last sweep are kept, so :meth:`policy` can build the cheap sweeps of the binding terms.
    """

    def __init__(self, net: Network, limit: np.ndarray, cap: np.ndarray | None, stock: np.ndarray | None,
                 down: bool, up: bool) -> None:
        self.net, self.limit, self.stock, self.down, self.up = net, limit, stock, down, up
        n, G = net.n, net.g_base.size
        self.offset: np.ndarray | None = None   # per group: loss when every supplier is intact (loss form)
        if down:
            gm = net.group_matrix
            self.gm = gm if cap is None else sp.csr_matrix((gm.data * cap, gm.indices, gm.indptr), shape=gm.shape)
            self.gm_k = kernel.KERNEL.prepare(self.gm)
            self.lin_k = kernel.KERNEL.prepare(net._lin_matrix)
            if cap is not None:   # every group has at least one link
                self.offset = 1.0 - np.asarray(self.gm.sum(axis=1)).ravel() / net.g_base
            if stock is not None:
                self.offset = (np.zeros(G) if self.offset is None else self.offset) - stock
            self.r = np.empty(G)
            self.r_ess = np.empty(net._ess_idx.size)
            self.ess = np.empty(n)
            self.lin = np.ones(n)
        if up:
            self.sales_k = kernel.KERNEL.prepare(net.sales_matrix)
            self.loss = np.empty(n)
            self.u = np.ones(n)
        self.new = np.empty(n)
        self.external = ~net.internal if not net.internal.all() else None

    def __call__(self, h: np.ndarray) -> np.ndarray:
        """``min(h, limit, h^d, h^u)`` clipped to [0, 1] for every node (external nodes keep h)."""
        net, new, K = self.net, self.new, kernel.KERNEL
        np.minimum(h, self.limit, out=new)
        if self.down:
            r = self.r
            r[:] = K.matvec(self.gm_k, h)
            np.divide(r, net.g_base, out=r)
            if self.stock is not None:
                np.add(r, self.stock, out=r)
            np.minimum(r, 1.0, out=r)
            ess = self.ess
            ess.fill(1.0)
            np.take(r, net._ess_idx, out=self.r_ess)
            np.minimum.at(ess, net._ess_dst, self.r_ess)
            np.minimum(new, ess, out=new)
            np.subtract(1.0, r, out=r)               # shortfall per group (kept for the policy)
            self.lin = 1.0 - K.matvec(self.lin_k, r)   # 1 − Σ ω (1 − r) over non-essential groups
            np.minimum(new, self.lin, out=new)
        if self.up:
            loss = self.loss
            np.subtract(1.0, h, out=loss)
            u = K.matvec(self.sales_k, loss)       # Σ_j w_ij (1 − h_j)
            np.divide(u, net.s, out=u)
            np.subtract(1.0, u, out=u)
            np.minimum(new, u, out=new)
            self.u = u
        np.clip(new, 0.0, 1.0, out=new)
        if self.external is not None:
            np.copyto(new, h, where=self.external)
        return new

    def policy(self) -> kernel.PolicySweep:
        """Cheap sweeps of each internal node's binding term in the last sweep (lowest term wins)."""
        net = self.net
        n = net.n
        terms = [self.limit]
        if self.down:
            terms += [self.ess, self.lin]
        else:
            terms += [np.full(n, 2.0), np.full(n, 2.0)]
        terms.append(self.u if self.up else np.full(n, 2.0))
        pol = np.argmin(np.stack(terms), axis=0)
        pol[~net.internal] = 0
        empty = np.zeros(0, dtype=np.int64)
        ess_nodes = lin_nodes = empty
        ess_group = lin_groups = lin_owner = empty
        lin_omega = np.zeros(0)
        if self.down:
            ess_nodes = np.flatnonzero(pol == 1)
            hit = self.r_ess <= self.ess[net._ess_dst]      # the group(s) at the minimum
            pick = np.full(n, -1, dtype=np.int64)
            pick[net._ess_dst[hit]] = net._ess_idx[hit]
            ess_group = pick[ess_nodes]
            lin_nodes = np.flatnonzero(pol == 2)
            if lin_nodes.size:
                pos = _ranges(net.lin_ptr[lin_nodes], net.lin_ptr[lin_nodes + 1])
                owner = np.repeat(lin_nodes, net.lin_ptr[lin_nodes + 1] - net.lin_ptr[lin_nodes])
                g = net._lin_idx[pos]
                keep = self.r[g] > 0.0
                lin_groups, lin_owner, lin_omega = g[keep], owner[keep], net._lin_omega[pos][keep]
        up_nodes = np.flatnonzero(pol == 3) if self.up else empty
        gm = self.gm if self.down else sp.csr_matrix((0, n))
        base = net.g_base if self.down else np.ones(0)
        return kernel.PolicySweep(n, gm, base, self.offset, net.sales_matrix if self.up else None, net.s,
                                  ess_nodes, ess_group, lin_groups, lin_owner, lin_omega, up_nodes)


@dataclass
class CascadeState:
    """Fixed point of one cascade: levels h, the nodes evaluated, and each node's predecessor."""

    h: np.ndarray
    touched: np.ndarray
    pred: np.ndarray
    via: np.ndarray  # 0 origin/unreached, 1 supply shortage, 2 lost demand, 3 shocked link
    sweeps: int
    converged: bool = True     # False: stopped by ``max_sweeps`` with levels still moving
    max_change: float = 0.0    # largest drop of one level in the last sweep
    loss_change: float = 0.0   # lost internal output added by the last sweep, share of total internal output
    policy_sweeps: int = 0     # of ``sweeps``, the cheap sweeps of binding terms (kernel.PolicySweep)
    loss: float = 0.0          # lost internal output, share of total internal output
    remaining: float = 0.0     # estimated lost output still to come, same unit (0: fixed point; inf: unknown)


def cascade(net: Network, psi: np.ndarray, *, direction: str = BOTH, cap: np.ndarray | None = None,
            stock: np.ndarray | None = None, tol: float = 1e-6, max_sweeps: int = 1000,
            track_paths: bool = True, full_frac: float = 0.1, loss_tol: float | None = None,
            loss_rtol: float | None = None, policy_sweeps: int | None = None) -> CascadeState:
    """Propagate one shock to its fixed point.

    Parameters
    ----------
    net : the :class:`Network`.
    psi : (n,) shock per node in [0, 1] (1 = the node stops).
    direction : ``downstream`` (supply shortage), ``upstream`` (lost demand) or ``both``.
    cap : optional (m,) availability factor per link in buyer-group order (link-level shocks such as
        imports of a product from a country); 1 = unaffected.
    stock : optional (G,) inventory per input group, in periods of base use, added to availability.
    tol, max_sweeps : stop when a full sweep changes no level by more than ``tol`` (the fixed point) or
        after ``max_sweeps`` sweeps of either kind.
    full_frac : above this share of nodes in the frontier, sweep every node (same result, less overhead).
    loss_tol : optional stop once a sweep adds less than ``loss_tol`` (a share of total internal output)
        to the lost output. Off by default: on cyclic networks the loss still grows when this fires.
    loss_rtol : optional stop on the loss: once the lost output still to come, estimated from the
        geometric decay of the last sweeps' increments (:func:`kernel.tail_estimate`), is at most
        ``loss_rtol`` times the output lost so far. ``remaining`` reports that estimate. With this rule
        a level counts as changed from 1e-12 on (not ``tol``), so many tiny changes that still add up
        to a loss are followed rather than cut off.
    policy_sweeps : on the full-sweep path, after each full sweep run this many cheap sweeps of each
        node's binding term (:class:`kernel.PolicySweep`; same fixed point, approached from the same
        side); 0 gives plain synchronous sweeps. Default: ``POLICY_SWEEPS`` on networks of at least
        ``POLICY_MIN_LINKS`` links, 0 below (where a full sweep costs little and plain sweeps keep every
        intermediate level identical to the textbook synchronous iteration).

    Returns
    -------
    CascadeState with levels ``h``, per reached node the predecessor whose loss reached it, and how
    far from converged the last sweep was (``converged``, ``max_change``, ``loss_change``,
    ``remaining``).
    """
    if policy_sweeps is None:
        policy_sweeps = POLICY_SWEEPS if net.m >= POLICY_MIN_LINKS else 0
    step = tol if loss_rtol is None else min(tol, 1e-12)   # a level change that counts as a change
    psi = np.clip(np.asarray(psi, dtype=float), 0.0, 1.0)
    h = 1.0 - psi
    limit = h.copy()
    pred = np.full(net.n, -1, dtype=np.int64)
    via = np.zeros(net.n, dtype=np.int8)
    changed = np.flatnonzero(psi > 0)
    if cap is not None:
        hit = np.flatnonzero(cap < 1.0)
        changed = np.union1d(changed, net.dst[hit])
        if track_paths and hit.size:
            o = np.lexsort((-(net.w[hit] * (1.0 - cap[hit])), net.dst[hit]))
            t_, s_ = net.dst[hit][o], net.src[hit][o]
            lead = np.ones(t_.size, dtype=bool)
            lead[1:] = t_[1:] != t_[:-1]
            pred[t_[lead]] = s_[lead]
            via[t_[lead]] = 3  # a shocked link (e.g. imports of a product)
    touched = [changed]
    internal_idx = net.internal
    sweeps = psweeps = 0
    down = direction in (DOWN, BOTH)
    up = direction in (UP, BOTH)
    first = cap is not None
    out_count = np.diff(net.out_ptr)
    in_count = np.diff(net.b_gptr)  # groups; a cheap proxy of in-links for the size test
    sweeper: _FullSweep | None = None
    all_touched = False
    wts = np.where(internal_idx, net.s, 0.0)
    total = float(wts.sum()) or 1.0
    wshare = wts / total
    dmax = dloss = 0.0
    incs: list[float] = []          # lost output added by each sweep (share of total internal output)
    cycles: list[float] = []        # ... by each full sweep with the policy sweeps after it
    lost_before = float(np.multiply(wshare, psi).sum())
    reached = 0
    stop = False
    while changed.size and sweeps < max_sweeps:
        reach = (int(out_count[changed].sum()) if down else 0) + (int(in_count[changed].sum()) if up else 0)
        full = reach > full_frac * max(net.m, 1)
        if full:   # a large frontier: a full sweep is cheaper than gathering
            first = False
        else:
            parts = []
            if down:
                parts.append(net.buyers_of(changed))
            if up:
                parts.append(net.suppliers_of(changed))
            if first:
                parts.append(changed)
                first = False
            mark = np.zeros(net.n, dtype=bool)
            for part in parts:
                mark[part] = True
            mark &= internal_idx
            cand = np.flatnonzero(mark)
            full = cand.size > full_frac * net.n
            if cand.size == 0:   # nobody next to the changed nodes: converged, nothing left to change
                changed = cand
                dmax = dloss = 0.0
                break
        if full:
            if sweeper is None:
                sweeper = _FullSweep(net, limit, cap, stock, down, up)
            new = sweeper(h)
            drop = h - new
            moved = np.flatnonzero(drop > step)
            # multiply + sum, not ``@``: a BLAS dot wakes OpenBLAS threads, which then spin and slow the sweeps
            dmax, dloss = float(drop.max()), float(np.multiply(wshare, drop).sum())
            if track_paths and moved.size:
                _record_paths(net, moved, changed, h, pred, via, psi, down, up)
            np.copyto(h, new)
            all_touched = True
            sweeps += 1
            incs.append(dloss)
            # policy sweeps pay once the loss has reached most of the nodes it will reach: they only
            # follow terms that already bind, so a front that still spreads needs full sweeps
            reached, reached_before = int(np.count_nonzero(h < 1.0)), reached
            k = min(policy_sweeps, max_sweeps - sweeps) if moved.size else 0
            if k > 0 and reached <= 1.05 * reached_before:
                later, dmax = _policy_phase(net, sweeper, h, k, wshare, step, incs, pred, via, psi,
                                            down, up, track_paths)
                moved = np.union1d(moved, later)   # neighbours of both are evaluated next
                sweeps += k
                psweeps += k
                dloss = incs[-1]
            lost = float(np.multiply(wshare, 1.0 - h).sum())
            cycles.append(lost - lost_before)    # lost output added since the previous full sweep
            lost_before = lost
        else:
            new = np.minimum(h[cand], limit[cand])
            if down:
                hd, _, _ = _downstream(net, cand, h, cap, stock)
                new = np.minimum(new, hd)
            if up:
                new = np.minimum(new, _upstream(net, cand, h))
            new = np.clip(new, 0.0, 1.0)
            drop = h[cand] - new
            moved = cand[drop > step]
            dmax = float(drop.max()) if drop.size else 0.0
            dloss = float(np.multiply(wshare[cand], drop).sum())
            if track_paths and moved.size:
                _record_paths(net, moved, changed, h, pred, via, psi, down, up)
            h[cand] = new
            touched.append(cand)
            sweeps += 1
            incs.append(dloss)
        changed = moved
        if loss_tol is not None and dloss <= loss_tol:
            stop = True
            break
        if loss_rtol is not None and changed.size and full:
            rem = _remaining(incs, cycles)
            if 0.0 < rem <= loss_rtol * lost_before:
                stop = True
                break
    conv = stop or changed.size == 0
    loss = float(np.multiply(wshare, 1.0 - h).sum())
    remaining = 0.0 if changed.size == 0 else _remaining(incs, cycles)
    if all_touched:
        nodes = np.arange(net.n)
    else:
        tmark = np.zeros(net.n, dtype=bool)
        for part in touched:
            tmark[part] = True
        nodes = np.flatnonzero(tmark)
    return CascadeState(h, nodes, pred, via, sweeps, conv, dmax, dloss, psweeps, loss, remaining)


def _remaining(incs: list[float], cycles: list[float]) -> float:
    """Lost output still to come: the geometric tail of the last full-sweep cycles once there are
    policy sweeps (their own increments decay faster than the loss while policies still switch),
    else of the last sweeps."""
    if len(cycles) < len(incs):
        return max(kernel.tail_estimate(cycles, window=CYCLE_WINDOW), kernel.tail_estimate(incs))
    return kernel.tail_estimate(incs)


def _policy_phase(net: Network, sweeper: _FullSweep, h: np.ndarray, k: int, wshare: np.ndarray, tol: float,
                  incs: list[float], pred: np.ndarray, via: np.ndarray, psi: np.ndarray, down: bool, up: bool,
                  track_paths: bool) -> tuple[np.ndarray, float]:
    """``k`` policy sweeps from ``h`` (updated in place). Returns the nodes that moved by more than
    ``tol`` over the phase and the largest change of the last sweep; appends each sweep's added loss."""
    op = sweeper.policy()
    x = 1.0 - h
    start = x.copy()
    lost = float(np.multiply(wshare, x).sum())
    unreached = np.flatnonzero((pred < 0) & (psi <= 0) & (x <= tol) & net.internal) if track_paths else None
    dmax = 0.0
    for _ in range(k):
        y = op(x)
        if unreached is not None and unreached.size:
            fresh = y[unreached] > tol
            if fresh.any():
                _record_paths(net, unreached[fresh], np.flatnonzero(x > tol), 1.0 - x, pred, via, psi, down, up)
                unreached = unreached[~fresh]
        now = float(np.multiply(wshare, y).sum())
        incs.append(now - lost)
        dmax = float((y - x).max())
        lost, x = now, y
    np.subtract(1.0, x, out=h)
    return np.flatnonzero(x - start > tol), dmax


def _record_paths(net: Network, moved: np.ndarray, changed: np.ndarray, h: np.ndarray, pred: np.ndarray,
                  via: np.ndarray, psi: np.ndarray, down: bool, up: bool) -> None:
    """For newly reached nodes, remember the changed neighbour with the largest lost flow."""
    new_nodes = moved[(pred[moved] < 0) & (psi[moved] <= 0)]
    if new_nodes.size == 0:
        return
    was = np.zeros(net.n, dtype=bool)
    was[changed] = True
    tgt, nbr, lost, kind = [], [], [], []
    if down:  # input links of the new nodes from suppliers that changed
        gr = _ranges(net.b_gptr[new_nodes], net.b_gptr[new_nodes + 1])
        links = _ranges(net.g_eptr[gr], net.g_eptr[gr + 1])
        sup = net.src[links]
        keep = was[sup]
        tgt.append(net.dst[links][keep])
        nbr.append(sup[keep])
        lost.append(net.w[links][keep] * (1.0 - h[sup[keep]]))
        kind.append(np.ones(int(keep.sum()), dtype=np.int8))
    if up:  # output links of the new nodes to buyers that changed
        links = net.out_link[_ranges(net.out_ptr[new_nodes], net.out_ptr[new_nodes + 1])]
        buy = net.dst[links]
        keep = was[buy]
        tgt.append(net.src[links][keep])
        nbr.append(buy[keep])
        lost.append(net.w[links][keep] * (1.0 - h[buy[keep]]))
        kind.append(np.full(int(keep.sum()), 2, dtype=np.int8))
    t = np.concatenate(tgt)
    if t.size == 0:
        return
    nb = np.concatenate(nbr)
    ls = np.concatenate(lost)
    kd = np.concatenate(kind)
    # per target the first link with the largest lost flow (as a stable sort by target, then by lost
    # flow descending would pick), without sorting every link: a maximum per target, then the first hit
    best = np.full(net.n, -np.inf)
    np.maximum.at(best, t, ls)
    top = np.flatnonzero(ls == best[t])
    _, first_idx = np.unique(t[top], return_index=True)
    pick = top[first_idx]
    pred[t[pick]] = nb[pick]
    via[t[pick]] = kd[pick]


def path_to(state_pred: np.ndarray, node: int, limit: int = 50) -> list[int]:
    """Nodes from the shock origin to ``node`` following recorded predecessors."""
    out = [node]
    while state_pred[out[-1]] >= 0 and len(out) < limit:
        out.append(int(state_pred[out[-1]]))
    return out[::-1]


def shock_path(kind: str, months: int, start: int, horizon: int, recovery: str,
               recovery_months: int, severity: float) -> np.ndarray:
    """ψ(t) for t = 0…horizon−1: ``severity`` from month ``start`` for ``months`` months, then recovery.

    ``recovery``: ``step`` (back to full at once), ``linear`` (straight line over
    ``recovery_months``) or ``exponential`` (halving the remaining loss every ``recovery_months/3``).
    """
    psi = np.zeros(horizon)
    end = min(horizon, start + months)
    psi[start:end] = severity
    if recovery == "step" or recovery_months <= 0:
        return psi
    for t in range(end, horizon):
        k = t - end + 1
        if recovery == "linear":
            val = severity * max(0.0, 1.0 - k / (recovery_months + 1))
        else:
            val = severity * 0.5 ** (3.0 * k / recovery_months)
            val = 0.0 if k > recovery_months else val
        psi[t] = val
    return psi


@dataclass
class CascadeRun:
    """Result of :func:`run_cascade`: levels per month and who was reached how."""

    h: np.ndarray            # (T, n) production level per month
    pred: np.ndarray         # predecessor per node (first month reached)
    via: np.ndarray
    first_month: np.ndarray  # first month with h < 1 (−1 never)
    sweeps: list[int]
    converged: list[bool] = field(default_factory=list)      # per month, see CascadeState
    loss_change: list[float] = field(default_factory=list)   # per month: last sweep's added loss share
    remaining: list[float] = field(default_factory=list)     # per month: estimated loss still to come (share)


def run_cascade(net: Network, psi_t: np.ndarray, *, cap_t: np.ndarray | None = None, direction: str = BOTH,
                inventory_periods: float | np.ndarray = 0.0, tol: float = 1e-6,
                max_sweeps: int = 1000, loss_rtol: float | None = None) -> CascadeRun:
    """A cascade over months with inventory buffers.

    Parameters
    ----------
    psi_t : (T, n) shock per month and node.
    cap_t : (T, m) link availability per month (buyer-group order), optional.
    inventory_periods : stock per input group at the start, in months of base use (days / 30); one
        value or (G,). Each month the stock covers shortfalls of deliveries below the buyer's
        production and is refilled by deliveries above it, up to the initial level.
    tol, max_sweeps, loss_rtol : stopping rules of each month's :func:`cascade`.
    """
    T = psi_t.shape[0]
    G = net.g_base.shape[0]
    stock0 = np.broadcast_to(np.asarray(inventory_periods, dtype=float), (G,)).copy()
    use_stock = bool(stock0.any())
    stock = stock0.copy()
    H = np.ones((T, net.n))
    pred = np.full(net.n, -1, dtype=np.int64)
    via = np.zeros(net.n, dtype=np.int8)
    first = np.full(net.n, -1, dtype=np.int64)
    sweeps: list[int] = []
    converged: list[bool] = []
    loss_change: list[float] = []
    remaining: list[float] = []
    cache: dict[bytes, CascadeState] = {}
    for t in range(T):
        cap = None if cap_t is None else cap_t[t]
        key = psi_t[t].tobytes() + (b"" if cap is None else cap.tobytes())
        if not use_stock and key in cache:
            st = cache[key]
        else:
            st = cascade(net, psi_t[t], direction=direction, cap=cap, stock=stock if use_stock else None,
                         tol=tol, max_sweeps=max_sweeps, loss_rtol=loss_rtol)
            if not use_stock:
                cache[key] = st
        H[t] = st.h
        sweeps.append(st.sweeps)
        converged.append(st.converged)
        loss_change.append(st.loss_change)
        remaining.append(st.remaining)
        hit = (st.h < 1.0 - tol) & (first < 0)
        first[hit] = t
        newp = hit & (st.pred >= 0)
        pred[newp] = st.pred[newp]
        via[newp] = st.via[newp]
        if use_stock and st.touched.size:
            _, gr, r = _downstream(net, st.touched, st.h, cap, None)
            need = st.h[net.g_dst[gr]]
            stock[gr] = np.clip(stock[gr] + (r - need), 0.0, stock0[gr])
    return CascadeRun(H, pred, via, first, sweeps, converged, loss_change, remaining)
