"""Dominators, critical nodes and PageRank against independent computations."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chainwatch.analytics.chains.graph import critical_nodes, dominators, find_cycle, pagerank


def brute_force_cut(nodes, edges, present=None):
    """For every node d: the nodes that become unreachable from the local origins when d is removed."""
    keep = list(nodes) if present is None else [v for v in nodes if v in set(present)]
    g = nx.DiGraph()
    g.add_nodes_from(keep)
    g.add_edges_from((a, b) for a, b in edges if a in g and b in g and a != b)
    cond = nx.condensation(g)
    roots = [v for c in cond if cond.in_degree(c) == 0 for v in cond.nodes[c]["members"]]
    g.add_edges_from(("__S__", r) for r in roots)
    base = nx.descendants(g, "__S__")
    out = {}
    for d in keep:
        h = g.copy()
        h.remove_node(d)
        out[d] = sorted((base - {d}) - nx.descendants(h, "__S__"), key=keep.index)
    return out


def test_worked_example_from_the_fixture_city():
    nodes = ["li", "anode", "cath", "cell", "bms", "pack", "veh"]
    edges = pd.DataFrame([("li", "cath"), ("cath", "cell"), ("anode", "cell"), ("cell", "pack"), ("bms", "pack"),
                          ("pack", "veh")], columns=["from", "to"])
    r = critical_nodes(nodes, edges, present=[v for v in nodes if v != "anode"]).set_index("node")
    assert r.loc["li", "cut"] == ["cath", "cell"]
    assert r.loc["cath", "cut"] == ["cell"]
    assert r.loc["cell", "n_cut"] == 0  # pack also gets local supply through bms
    assert r.loc["pack", "cut"] == ["veh"]
    assert "anode" not in r.index
    # with all segments present, anode is a second route into cell
    r2 = critical_nodes(nodes, edges).set_index("node")
    assert r2.loc["cath", "n_cut"] == 0 and r2.loc["li", "cut"] == ["cath"]


@st.composite
def digraphs(draw, acyclic: bool):
    n = draw(st.integers(1, 14))
    pairs = draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=3 * n))
    edges = [(a, b) if (not acyclic or a < b) else (b, a) for a, b in pairs if a != b]
    present = draw(st.sets(st.integers(0, n - 1), min_size=1)) if draw(st.booleans()) else None
    return list(range(n)), edges, present


@settings(max_examples=150, deadline=None)
@given(digraphs(acyclic=True))
def test_critical_nodes_equal_brute_force_removal_on_dags(g):
    nodes, edges, present = g
    df = pd.DataFrame(edges, columns=["from", "to"]) if edges else pd.DataFrame(columns=["from", "to"])
    got = critical_nodes(nodes, df, present).set_index("node")["cut"].to_dict()
    assert got == brute_force_cut(nodes, edges, present)


@settings(max_examples=100, deadline=None)
@given(digraphs(acyclic=False))
def test_critical_nodes_equal_brute_force_removal_with_cycles(g):
    nodes, edges, present = g
    df = pd.DataFrame(edges, columns=["from", "to"]) if edges else pd.DataFrame(columns=["from", "to"])
    got = critical_nodes(nodes, df, present).set_index("node")["cut"].to_dict()
    assert got == brute_force_cut(nodes, edges, present)


def test_closed_loop_counts_as_origin():
    # b and c supply each other and nothing feeds them: both are origins, d depends on c only
    edges = pd.DataFrame([("b", "c"), ("c", "b"), ("c", "d"), ("a", "e")], columns=["from", "to"])
    r = critical_nodes(["a", "b", "c", "d", "e"], edges).set_index("node")
    assert r.loc["c", "cut"] == ["d"] and r.loc["b", "n_cut"] == 0 and r.loc["a", "cut"] == ["e"]


@settings(max_examples=100, deadline=None)
@given(digraphs(acyclic=False))
def test_dominators_match_networkx_on_graphs_with_cycles(g):
    nodes, edges, _ = g
    n = len(nodes)
    src = np.array([a for a, _ in edges], dtype=np.int64)
    dst = np.array([b for _, b in edges], dtype=np.int64)
    roots = [0]
    idom = dominators(n, src, dst, roots)
    h = nx.DiGraph()
    h.add_nodes_from(range(n + 1))
    h.add_edges_from(edges)
    h.add_edge(n, 0)
    ref = nx.immediate_dominators(h, n)
    for v in range(n):
        assert idom[v] == (ref[v] if v in ref else -1)


def test_pagerank_matches_networkx():
    rng = np.random.default_rng(3)
    n = 40
    src = rng.integers(0, n, 150)
    dst = rng.integers(0, n, 150)
    keep = src != dst
    src, dst = src[keep], dst[keep]
    w = rng.uniform(1, 100, len(src))
    g = nx.DiGraph()
    g.add_nodes_from(range(n))
    for a, b, x in zip(src, dst, w, strict=True):
        if g.has_edge(a, b):
            g[a][b]["weight"] += x
        else:
            g.add_edge(a, b, weight=x)
    ref = nx.pagerank(g, weight="weight", tol=1e-12)
    got = pagerank(n, src, dst, w)
    assert got == pytest.approx(np.array([ref[i] for i in range(n)]), abs=1e-8)


def test_find_cycle():
    assert find_cycle(["a", "b", "c"], [("a", "b"), ("b", "c")]) is None
    cyc = find_cycle(["a", "b", "c"], [("a", "b"), ("b", "c"), ("c", "b")])
    assert cyc[0] == cyc[-1] and set(cyc) == {"b", "c"}
