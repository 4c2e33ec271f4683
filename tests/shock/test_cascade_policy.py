"""Policy sweeps (cheap sweeps of each firm's binding term), the loss-tail estimate and the kernel interface.

Policy sweeps must reach the same fixed point as plain synchronous sweeps (with link shocks, inventory
and external nodes), never overstate a loss on the way, and the stop on the loss must leave less than
the requested share of the loss uncomputed on a network where the iteration converges slowly.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chainwatch.analytics.shock import kernel
from chainwatch.analytics.shock.cascade import Network, cascade, run_cascade
from chainwatch.analytics.shock.kernel import tail_estimate

from .test_cascade_speed import random_net


def test_tail_estimate_of_a_geometric_sequence():
    d = [0.3 * 0.9**k for k in range(20)]
    exact = sum(0.3 * 0.9**k for k in range(20, 5000))
    assert tail_estimate(d) == pytest.approx(exact, rel=1e-9)
    assert tail_estimate(d[:5]) == float("inf")                 # too few increments
    assert tail_estimate([1.0] * 10) == float("inf")            # no decay
    assert tail_estimate([1e-3, 2e-3] * 5) == float("inf")      # growing half: not geometric
    assert tail_estimate([*d, 0.0]) == 0.0                       # the last sweep added nothing


def test_tail_estimate_takes_the_slower_half():
    d = [0.5**k for k in range(4)] + [0.5**3 * 0.95**k for k in range(1, 5)]
    est = tail_estimate(d)
    assert est == pytest.approx(d[-1] * 0.95 / 0.05, rel=1e-9)


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 10_000), st.sampled_from(["downstream", "upstream", "both"]), st.booleans(), st.booleans())
def test_policy_sweeps_reach_the_plain_fixed_point(seed, direction, with_cap, with_stock):
    net, _ = random_net(seed, n=60, m=400, n_int=55)
    rng = np.random.default_rng(seed)
    psi = np.zeros(net.n)
    psi[rng.integers(0, net.n, 3)] = rng.uniform(0.3, 1.0, 3)
    cap = np.where(rng.random(net.m) < 0.1, rng.uniform(0, 0.8, net.m), 1.0) if with_cap else None
    stock = rng.uniform(0, 0.3, net.g_base.size) if with_stock else None
    kw = dict(direction=direction, cap=cap, stock=stock, tol=1e-14, max_sweeps=50_000, full_frac=0.0)
    plain = cascade(net, psi, policy_sweeps=0, **kw)
    fast = cascade(net, psi, policy_sweeps=5, **kw)
    assert plain.converged and fast.converged
    np.testing.assert_allclose(fast.h, plain.h, atol=1e-9)
    assert np.all(fast.h[55:] == 1.0 - psi[55:])      # external nodes carry only their own shock
    assert fast.remaining == 0.0


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 10_000), st.integers(1, 40))
def test_policy_sweeps_never_overstate_a_loss(seed, budget):
    """Stopped after any number of sweeps, every level is at or above the fixed point."""
    net, _ = random_net(seed, n=80, m=600)
    psi = np.zeros(net.n)
    psi[np.argmax(np.diff(net.out_ptr))] = 1.0
    done = cascade(net, psi, tol=1e-14, max_sweeps=50_000, full_frac=0.0, policy_sweeps=0)
    part = cascade(net, psi, tol=1e-14, max_sweeps=budget, full_frac=0.0, policy_sweeps=6)
    assert part.sweeps <= budget
    assert np.all(part.h >= done.h - 1e-12)


def test_policy_path_with_months_and_inventory_equals_plain():
    net, _ = random_net(3, n=60, m=400, n_int=55)
    psi = np.zeros((4, net.n))
    psi[:2, [1, 7]] = 1.0
    import chainwatch.analytics.shock.cascade as mod

    a = run_cascade(net, psi, inventory_periods=0.5, tol=1e-13, max_sweeps=20_000)
    orig = mod.cascade
    try:
        mod.cascade = lambda *args, **kw: orig(*args, **{**kw, "full_frac": 0.0, "policy_sweeps": 4})
        b = mod.run_cascade(net, psi, inventory_periods=0.5, tol=1e-13, max_sweeps=20_000)
    finally:
        mod.cascade = orig
    np.testing.assert_allclose(a.h, b.h, atol=1e-9)
    assert (1 - a.h).sum() > 0


def slow_network(seed: int, n: int = 4000) -> Network:
    """A network like the benchmark's (tiers, 2 % backward links, hubs, ~4 input classes per buyer),
    on which the lost output creeps up by a few per cent per sweep for hundreds of sweeps."""
    rng = np.random.default_rng(seed)
    m = 10 * n
    pop = rng.pareto(1.2, n) + 1.0
    src = rng.choice(n, size=m, p=pop / pop.sum())
    dst = rng.integers(0, n, m)
    tier = rng.integers(0, 6, n)
    swap = (tier[src] > tier[dst]) ^ (rng.random(m) < 0.02)
    src, dst = np.where(swap, dst, src), np.where(swap, src, dst)
    keep = (src != dst) & ((tier[src] != tier[dst]) | (rng.random(m) < 0.1))
    src, dst = src[keep], dst[keep]
    w = rng.lognormal(3.0, 1.0, src.size)
    cls = (dst * 7 + rng.integers(0, 4, src.size)) % 60
    sales = np.bincount(src, weights=w, minlength=n)
    buys = np.bincount(dst, weights=w, minlength=n)
    return Network.build(n, src, dst, w, input_class=cls, essential=rng.random(src.size) < 0.4,
                         s=np.maximum(sales / 0.4, buys) + 1.0)


@pytest.mark.parametrize("seed", [0, 1])
def test_stop_on_the_loss_leaves_less_than_asked(seed):
    net = slow_network(seed)
    outdeg = np.diff(net.out_ptr)
    psi = np.zeros(net.n)
    psi[int(np.argsort(outdeg)[int(0.9 * net.n)])] = 1.0
    ref = cascade(net, psi, tol=0.0, max_sweeps=20_000, policy_sweeps=0, full_frac=0.0)
    assert ref.converged
    wts = net.s / net.s.sum()
    loss_ref = float(wts @ (1 - ref.h))
    for ps in (0, 12):
        got = cascade(net, psi, loss_rtol=1e-3, policy_sweeps=ps, full_frac=0.0)
        short = loss_ref - got.loss
        assert got.converged and 0.0 <= short <= 2e-3 * loss_ref
        assert 0.0 < got.remaining < float("inf")
        assert short <= 3 * got.remaining + 1e-6 * loss_ref         # the estimate is not optimistic
        assert got.remaining <= 1e-3 * got.loss                      # ... and what the rule stopped on
        assert np.all(got.h >= ref.h - 1e-12)


def test_a_swapped_kernel_is_used_and_changes_nothing():
    class Counting(kernel.ScipyKernel):
        calls = 0

        def matvec(self, prepared, x):
            Counting.calls += 1
            return super().matvec(prepared, x)

    net = slow_network(2, n=800)
    psi = np.zeros(net.n)
    psi[np.argmax(np.diff(net.out_ptr))] = 1.0
    before = cascade(net, psi, loss_rtol=1e-4, policy_sweeps=8, full_frac=0.0)
    old = kernel.use_kernel(Counting())
    try:
        after = cascade(net, psi, loss_rtol=1e-4, policy_sweeps=8, full_frac=0.0)
    finally:
        kernel.use_kernel(old)
    assert Counting.calls >= after.sweeps
    np.testing.assert_array_equal(after.h, before.h)
