"""Firm cascade: agreement with the plain-Python reference, properties, Willems chains, ESRI."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chainwatch.analytics.shock.cascade import Network, cascade, path_to, run_cascade, shock_path
from chainwatch.analytics.shock.esri import candidates, esri_one, esri_table

from .conftest import realdata
from .reference import reference_cascade


@st.composite
def networks(draw):
    n = draw(st.integers(2, 10))
    m = draw(st.integers(1, 30))
    links = []
    for _ in range(m):
        a = draw(st.integers(0, n - 1))
        b = draw(st.integers(0, n - 1))
        if a == b:
            continue
        links.append((a, b, draw(st.floats(0.1, 10)), draw(st.integers(0, 2)), draw(st.booleans())))
    psi = [draw(st.sampled_from([0.0, 0.0, 0.0, 0.3, 1.0])) for _ in range(n)]
    return n, links, psi


def build(n, links):
    if not links:
        return Network.build(n, np.zeros(0), np.zeros(0), np.zeros(0))
    a, b, w, c, e = map(np.array, zip(*links, strict=True))
    return Network.build(n, a, b, w, input_class=c, essential=e)


@settings(max_examples=60, deadline=None)
@given(networks(), st.sampled_from(["downstream", "upstream", "both"]))
def test_cascade_equals_reference(data, direction):
    n, links, psi = data
    net = build(n, links)
    h = cascade(net, np.array(psi), direction=direction, tol=0.0, max_sweeps=3000).h
    ref = reference_cascade(n, links, psi, direction=direction, tol=0.0, max_sweeps=3000)
    np.testing.assert_allclose(h, ref, atol=1e-9)


@settings(max_examples=60, deadline=None)
@given(networks(), st.floats(0, 1), st.floats(0, 1))
def test_larger_shock_never_loses_less(data, f1, f2):
    n, links, psi = data
    net = build(n, links)
    small, large = sorted([f1, f2])
    psi = np.array(psi)
    h_small = cascade(net, psi * small, tol=0).h
    h_large = cascade(net, np.maximum(psi * large, psi * small), tol=0).h
    assert np.all(h_large <= h_small + 1e-12)
    assert np.all((h_large >= 0) & (h_large <= 1))


@settings(max_examples=30, deadline=None)
@given(networks())
def test_no_shock_nothing_lost(data):
    n, links, _ = data
    net = build(n, links)
    st_ = cascade(net, np.zeros(n))
    assert np.all(st_.h == 1.0) and st_.sweeps == 0
    run = run_cascade(net, np.zeros((4, n)), inventory_periods=0.5)
    assert np.all(run.h == 1.0) and np.all(run.first_month == -1)


def test_link_shock_equals_reference():
    links = [(0, 2, 5.0, 0, True), (1, 2, 5.0, 0, True), (2, 3, 4.0, 1, False), (0, 3, 4.0, 2, True)]
    net = build(4, links)
    cap = np.array([0.2, 1.0, 1.0, 1.0])
    for d in ("upstream", "both"):
        h = cascade(net, np.zeros(4), cap=cap[net.order], direction=d, tol=1e-14, max_sweeps=5000).h
        ref = reference_cascade(4, links, [0.0] * 4, cap=cap.tolist(), direction=d)
        np.testing.assert_allclose(h, ref, atol=1e-9)
    h = cascade(net, np.zeros(4), cap=cap[net.order], direction="downstream", tol=1e-14).h
    np.testing.assert_allclose(h, reference_cascade(4, links, [0.0] * 4, cap=cap.tolist(), direction="downstream"),
                               atol=1e-12)
    assert h[2] == pytest.approx(0.6)   # one of two substitutes at 20 %: (5·0.2 + 5)/10


def test_essential_leontief_and_linear_rules():
    # buyer 3: essential class from 0 (value 6), non-essential input from 1 (value 4) and 2 (value 10, essential)
    links = [(0, 3, 6.0, 0, True), (1, 3, 4.0, 1, False), (2, 3, 10.0, 2, True)]
    net = build(4, links)
    h = cascade(net, np.array([0.0, 1.0, 0.0, 0.0]), direction="downstream").h
    assert h[3] == pytest.approx(1 - 4 / 20)          # linear: ω = 4/20
    h = cascade(net, np.array([0.5, 0.0, 0.0, 0.0]), direction="downstream").h
    assert h[3] == pytest.approx(0.5)                  # Leontief minimum


def test_inventory_buffers_delay_and_path():
    links = [(0, 1, 10.0, 0, True), (1, 2, 10.0, 0, True)]
    net = build(3, links)
    psi = np.zeros((4, 3))
    psi[:2, 0] = 1.0
    no_buf = run_cascade(net, psi, direction="downstream")
    buf = run_cascade(net, psi, direction="downstream", inventory_periods=1.0)
    assert no_buf.h[0, 2] == 0.0 and no_buf.first_month[2] == 0
    assert buf.h[0, 1] == 1.0 and buf.h[1, 1] == 0.0   # one month of stock covers month 1 only
    assert (1 - buf.h).sum() < (1 - no_buf.h).sum()
    assert path_to(no_buf.pred, 2) == [0, 1, 2]


def test_shock_paths():
    assert shock_path("f", 2, 1, 6, "step", 0, 1.0).tolist() == [0, 1, 1, 0, 0, 0]
    lin = shock_path("f", 1, 0, 5, "linear", 3, 0.8)
    np.testing.assert_allclose(lin, [0.8, 0.6, 0.4, 0.2, 0.0])
    ex = shock_path("f", 1, 0, 6, "exponential", 3, 1.0)
    assert ex[0] == 1 and np.all(np.diff(ex[:4]) < 0) and ex[4] == 0


def test_esri_properties():
    rng = np.random.default_rng(7)
    n = 25
    src = rng.integers(0, n - 1, 60)
    dst = rng.integers(0, n - 1, 60)
    keep = src != dst
    s = rng.uniform(50, 100, n)
    net = Network.build(n, src[keep], dst[keep], rng.uniform(1, 5, keep.sum()), s=s)
    tab = esri_table(net)
    assert ((tab["esri_pct"] >= 0) & (tab["esri_pct"] <= 100 + 1e-9)).all()
    iso = int(n - 1)  # node n-1 has no links
    assert esri_one(net, iso) == pytest.approx(s[iso] / s.sum())
    assert (tab["esri_pct"] >= tab["esri_down_pct"] - 1e-9).all()
    assert (tab["esri_pct"] >= tab["weight_pct"] - 1e-9).all()
    top = candidates(net, 5)
    assert len(top) == 5 and len(set(top)) == 5


def test_redundant_supplier_never_raises_downstream_esri():
    links = [(0, 1, 10.0, 0, True), (1, 2, 10.0, 0, True)]
    net = build(4, links)
    before = esri_one(net, 0, "downstream")
    net2 = build(4, [*links, (3, 1, 10.0, 0, True)])
    assert esri_one(net2, 0, "downstream") <= before + 1e-12


def _willems(path, k):
    sd = pd.read_csv(path / f"{k:02d}_SD.csv")
    ll = pd.read_csv(path / f"{k:02d}_LL.csv")
    names = sd["Stage Name"].astype(str).tolist()
    idx = {s: i for i, s in enumerate(names)}
    ll = ll[ll["sourceStage"].isin(idx) & ll["destinationStage"].isin(idx)]
    src = ll["sourceStage"].map(idx).to_numpy()
    dst = ll["destinationStage"].map(idx).to_numpy()
    w = sd["stageCost"].fillna(1).clip(lower=0.01).to_numpy()[src]
    return names, src, dst, w


@pytest.mark.realdata
@pytest.mark.parametrize("chain", [1, 8, 14, 24])
def test_willems_chains_match_reference_and_bom_reach(chain):
    names, src, dst, w = _willems(realdata("willems2008"), chain)
    n = len(names)
    net = Network.build(n, src, dst, w)   # every input essential, each supplier its own class (a BOM)
    g = nx.DiGraph(list(zip(src.tolist(), dst.tolist(), strict=True)))
    rng = np.random.default_rng(chain)
    links = [(int(a), int(b), float(x), int(a), True) for a, b, x in zip(src, dst, w, strict=True)]
    for i in rng.choice(n, 3, replace=False):
        psi = np.zeros(n)
        psi[i] = 1.0
        h = cascade(net, psi, direction="downstream").h
        dead = set(np.flatnonzero(h == 0.0))
        expect = {int(i)} | (nx.descendants(g, int(i)) if int(i) in g else set())
        assert dead == expect   # a lost part stops every stage that needs it, nothing else
        if n <= 400:
            for d in ("downstream", "both"):
                hh = cascade(net, psi * 0.6, direction=d, tol=1e-13, max_sweeps=5000).h
                ref = reference_cascade(n, links, (psi * 0.6).tolist(), direction=d)
                np.testing.assert_allclose(hh, ref, atol=1e-9)


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 10_000))
def test_frontier_equals_full_sweeps(seed):
    rng = np.random.default_rng(seed)
    n, m = 60, 300
    src, dst = rng.integers(0, n, m), rng.integers(0, n, m)
    k = src != dst
    net = Network.build(n, src[k], dst[k], rng.uniform(1, 5, k.sum()), input_class=rng.integers(0, 4, k.sum()),
                        essential=rng.random(k.sum()) < 0.5, internal=np.arange(n) < 55)
    psi = np.zeros(n)
    psi[rng.integers(0, n, 2)] = rng.uniform(0.2, 1, 2)
    frontier = cascade(net, psi, tol=1e-12, full_frac=2.0)
    full = cascade(net, psi, tol=1e-12, full_frac=0.0)
    np.testing.assert_allclose(frontier.h, full.h, atol=1e-9)
    assert np.all(frontier.h[55:] == 1.0 - psi[55:])   # external nodes carry only their own shock
