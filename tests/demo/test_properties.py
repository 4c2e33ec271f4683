"""Property tests of the building blocks (identities that must hold for any input)."""

from __future__ import annotations

import calendar

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from chainwatch.demo.calendar import SF_AFTER, SF_BEFORE, SF_LOSS, SPRING_FESTIVAL, spring_festival_factor
from chainwatch.demo.ids import make_usccs
from chainwatch.demo.scale import network
from chainwatch.model.codes import is_valid_uscc
from chainwatch.store.reference import NINGBO_DISTRICTS


@given(st.lists(st.integers(0, 10**8 - 1), min_size=1, max_size=200, unique=True), st.integers(0, 2**31),
       st.sampled_from(NINGBO_DISTRICTS))
@settings(max_examples=60, deadline=None)
def test_usccs_valid_unique_and_located(index, seed, district):
    codes = make_usccs(np.array(index), np.array([district] * len(index)), seed)
    assert all(is_valid_uscc(c) for c in codes)
    assert len(set(codes)) == len(index)
    assert all(c[:2] == "91" and c[2:8] == district for c in codes)


@given(st.sampled_from(sorted(SPRING_FESTIVAL)))
def test_spring_festival_loses_the_same_days_every_year(year):
    """Whatever the festival date, the window costs SF_LOSS × its length in day-equivalents over Jan–Mar."""
    lost = sum((1 - spring_festival_factor(year, m)) * calendar.monthrange(year, m)[1] for m in (1, 2, 3))
    assert abs(lost - SF_LOSS * (SF_BEFORE + SF_AFTER + 1)) < 1e-9
    assert all(spring_festival_factor(year, m) == 1.0 for m in range(4, 13))


@given(st.integers(50, 3000), st.integers(1, 8), st.integers(0, 1000))
@settings(max_examples=30, deadline=None)
def test_network_simple_graph(n_firms, per_firm, seed):
    net = network(n_firms, n_firms * per_firm, seed)
    assert (net.src != net.dst).all()
    assert (net.src >= 0).all() and (net.dst < n_firms).all() and (net.weight > 0).all()
    key = net.src.astype(np.int64) * n_firms + net.dst
    assert np.unique(key).size == key.size
