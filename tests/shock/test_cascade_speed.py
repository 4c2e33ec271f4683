"""The large-cascade code path (allocation-free full sweeps) and the convergence report of a cascade.

The full-sweep path (:class:`_FullSweep`, used once the frontier covers ``full_frac`` of the network)
must give the same levels as the gathered frontier path and as the plain-Python reference, with link
shocks, inventory buffers and external nodes; a cascade reports whether it converged and how much
the last sweep still changed.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chainwatch.analytics.shock.cascade import (
    Network,
    _downstream,
    _FullSweep,
    _upstream,
    cascade,
    run_cascade,
)

from .reference import reference_cascade


def random_net(seed: int, n: int = 50, m: int = 260, n_int: int | None = None) -> tuple[Network, list]:
    rng = np.random.default_rng(seed)
    src, dst = rng.integers(0, n, m), rng.integers(0, n, m)
    k = src != dst
    src, dst = src[k], dst[k]
    w = rng.uniform(0.5, 5, src.size)
    cls = rng.integers(0, 3, src.size)
    ess = rng.random(src.size) < 0.5
    internal = None if n_int is None else np.arange(n) < n_int
    net = Network.build(n, src, dst, w, input_class=cls, essential=ess, internal=internal)
    links = [(int(a), int(b), float(x), int(c), bool(e)) for a, b, x, c, e in zip(src, dst, w, cls, ess, strict=True)]
    return net, links


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 10_000), st.sampled_from(["downstream", "upstream", "both"]), st.booleans(), st.booleans())
def test_full_sweep_equals_gathered_evaluation(seed, direction, with_cap, with_stock):
    """One call of the buffered full sweep equals the gathered per-node formulas on every node."""
    net, _ = random_net(seed, n_int=45)
    rng = np.random.default_rng(seed + 1)
    h = rng.uniform(0.0, 1.0, net.n)
    limit = np.minimum(1.0, h + rng.uniform(0, 0.3, net.n))
    cap = rng.uniform(0.3, 1.0, net.m) if with_cap else None
    stock = rng.uniform(0, 0.4, net.g_base.size) if with_stock else None
    down, up = direction != "upstream", direction != "downstream"
    got = _FullSweep(net, limit, cap, stock, down, up)(h).copy()
    nodes = np.arange(net.n)
    want = np.minimum(h, limit)
    if down:
        want = np.minimum(want, _downstream(net, nodes, h, cap, stock)[0])
    if up:
        want = np.minimum(want, _upstream(net, nodes, h))
    want = np.where(net.internal, np.clip(want, 0.0, 1.0), h)
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-12)


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 10_000), st.sampled_from(["downstream", "upstream", "both"]))
def test_full_sweep_cascade_with_link_shock_equals_reference(seed, direction):
    """Always-full sweeps (full_frac=0) with a link shock reach the reference fixed point."""
    net, links = random_net(seed, n=30, m=120)
    rng = np.random.default_rng(seed)
    psi = np.zeros(net.n)
    psi[rng.integers(0, net.n, 2)] = rng.uniform(0.2, 1.0, 2)
    cap_in = np.where(rng.random(net.m) < 0.1, rng.uniform(0, 0.8, net.m), 1.0)   # input link order
    h = cascade(net, psi, direction=direction, cap=cap_in[net.order], tol=0.0, max_sweeps=5000, full_frac=0.0).h
    ref = reference_cascade(net.n, links, psi.tolist(), direction=direction, cap=cap_in.tolist(), tol=0.0,
                            max_sweeps=5000)
    np.testing.assert_allclose(h, ref, atol=1e-9)


@pytest.mark.parametrize("seed", [3, 11])
def test_full_and_frontier_paths_agree_with_inventory(seed, monkeypatch):
    """Months with inventory buffers give the same levels through either code path."""
    import chainwatch.analytics.shock.cascade as mod

    net, _ = random_net(seed, n_int=45)
    psi = np.zeros((4, net.n))
    psi[:2, [1, 7]] = 1.0
    a = run_cascade(net, psi, inventory_periods=0.5, tol=1e-12, max_sweeps=3000)
    orig = mod.cascade
    monkeypatch.setattr(mod, "cascade", lambda *args, **kw: orig(*args, **{**kw, "full_frac": 0.0}))
    b = mod.run_cascade(net, psi, inventory_periods=0.5, tol=1e-12, max_sweeps=3000)
    np.testing.assert_allclose(a.h, b.h, atol=1e-9)
    assert (1 - a.h).sum() > 0


def test_convergence_report():
    net, _ = random_net(5, n=200, m=1400)
    psi = np.zeros(net.n)
    psi[[0, 1, 2]] = 1.0
    done = cascade(net, psi, tol=1e-12, max_sweeps=5000)
    capped = cascade(net, psi, tol=1e-12, max_sweeps=2)
    assert done.converged and done.sweeps < 5000 and done.max_change <= 1e-12
    assert not capped.converged and capped.sweeps == 2 and capped.max_change > 1e-12
    assert capped.loss_change > 0
    assert np.all(capped.h >= done.h - 1e-12)          # iterating from above: a capped run loses less
    nothing = cascade(net, np.zeros(net.n))
    assert nothing.converged and nothing.sweeps == 0 and nothing.loss_change == 0.0
    run = run_cascade(net, np.stack([psi, psi, np.zeros(net.n)]), max_sweeps=2, tol=1e-12)
    assert run.converged == [False, False, True] and len(run.loss_change) == 3


def test_loss_tol_stops_early_from_above():
    """The optional stop on the change of lost output stops earlier and never overstates the loss."""
    net, _ = random_net(9, n=300, m=2400)
    psi = np.zeros(net.n)
    psi[np.argmax(np.diff(net.out_ptr))] = 1.0
    exact = cascade(net, psi, tol=1e-13, max_sweeps=5000)
    loose = cascade(net, psi, tol=1e-13, max_sweeps=5000, loss_tol=1e-4)
    wts = net.s / net.s.sum()
    assert loose.converged and loose.sweeps <= exact.sweeps
    assert loose.loss_change <= 1e-4
    assert np.all(loose.h >= exact.h - 1e-12)
    assert wts @ (1 - loose.h) <= wts @ (1 - exact.h) + 1e-12


def test_service_meta_reports_convergence(city):
    """The shock result says whether every month's cascade converged (here: a short chain, it does)."""
    res = city.shock.run({"name": "A stops", "horizon_months": 2, "direction": "both",
                          "shocks": [{"enterprise": "A", "capacity_pct": 0, "months": 1}]})
    meta = res.to_dict()["meta"]
    assert meta["converged"] is True
    assert 0.0 <= meta["last_sweep_loss_change"] < 1e-6
    assert meta["sweeps"] >= 1
    lost = res.tables["summary"]["output_lost"].iat[0]
    assert meta["remaining_loss"] is not None and 0.0 <= meta["remaining_loss"] <= 1e-4 * lost + 1e-9
    assert 0.0 <= meta["remaining_loss_pct"] <= 0.01
