"""Chain analytics on the real Willems (2008) supply chains (stage = segment, link = edge)."""

from __future__ import annotations

from pathlib import Path

import networkx as nx
import pandas as pd
import pytest

from chainwatch.analytics.chains import ChainInputs, analyse_chain, willems_chain
from chainwatch.service import Chainwatch

DATA = Path(__file__).resolve().parents[3] / "shared" / "data" / "willems2008"
if not DATA.is_dir():
    DATA = Path("/work/shared/data/willems2008")
NUMBERS = sorted(p.name[:2] for p in DATA.glob("*_LL.csv")) if DATA.is_dir() else []

pytestmark = [pytest.mark.realdata,
              pytest.mark.skipif(not NUMBERS, reason=f"Willems (2008) data not found at {DATA} (shared/data absent)")]


def load(nn: str):
    return willems_chain(pd.read_csv(DATA / f"{nn}_SD.csv"), pd.read_csv(DATA / f"{nn}_LL.csv"), nn)


def networkx_cut_sets(segments: list[str], edges: pd.DataFrame) -> dict[str, set[str]]:
    """Independent reference: networkx immediate dominators from a super-source over the source stages,
    turned into 'which stages lose every supply route when this one is lost'."""
    g = nx.DiGraph()
    g.add_nodes_from(segments)
    g.add_edges_from(zip(edges["from_segment"], edges["to_segment"], strict=True))
    roots = [v for v in segments if g.in_degree(v) == 0]
    g.add_edges_from(("__S__", r) for r in roots)
    idom = nx.immediate_dominators(g, "__S__")
    tree = nx.DiGraph((d, v) for v, d in idom.items() if v != d)
    return {v: (nx.descendants(tree, v) if v in tree else set()) for v in segments}


@pytest.mark.parametrize("nn", NUMBERS)
def test_every_chain_runs_and_critical_nodes_agree_with_networkx(nn):
    cm = load(nn)
    segs = cm.segments
    assert len(segs) == len(pd.read_csv(DATA / f"{nn}_SD.csv"))
    assert len(cm.edges) == len(pd.read_csv(DATA / f"{nn}_LL.csv"))
    # each stage run by one local unit with its stage cost as output
    members = pd.DataFrame({"segment_id": segs["segment_id"], "uscc": segs["segment_id"], "is_main": True})
    output = pd.DataFrame({"uscc": segs["segment_id"], "output": segs["stage_cost"].fillna(0.0)})
    a = analyse_chain(ChainInputs(segments=segs, edges=cm.edges, members=members, output=output))
    assert a.summary["coverage"] == 1.0 and a.summary["n_missing"] == 0
    ref = networkx_cut_sets(segs["segment_id"].tolist(), cm.edges)
    got = {r["segment_id"]: set(r["cut"]) for r in a.segments.to_dict("records")}
    assert got == ref
    assert a.summary["n_critical_segments"] == sum(1 for v in ref.values() if v)
    # every single-unit stage that cuts others off is a critical 'enterprise' too
    assert set(a.critical_enterprises["uscc"]) == {k for k, v in ref.items() if v}
    if nn not in {"00", "24"}:
        return
    # without any local enterprise the chain is all missing links, nothing critical
    b = analyse_chain(ChainInputs(segments=segs, edges=cm.edges))
    assert b.summary["n_missing"] == len(segs) and b.summary["n_critical_segments"] == 0


@pytest.mark.parametrize("nn", [n for n in NUMBERS if n in {"01", "05", "08", "12"}])
def test_small_chains_agree_with_node_removal(nn):
    """A second independent check: remove each stage and see who loses all routes from the sources."""
    cm = load(nn)
    a = analyse_chain(ChainInputs(segments=cm.segments, edges=cm.edges, members=pd.DataFrame({
        "segment_id": cm.segments["segment_id"], "uscc": cm.segments["segment_id"], "is_main": True})))
    g = nx.DiGraph(list(zip(cm.edges["from_segment"], cm.edges["to_segment"], strict=True)))
    g.add_nodes_from(cm.segments["segment_id"])
    sources = [v for v in g if g.in_degree(v) == 0]
    reach = set(sources).union(*(nx.descendants(g, s) for s in sources))
    for r in a.segments.to_dict("records"):
        h = g.copy()
        h.remove_node(r["segment_id"])
        alive = set(s for s in sources if s != r["segment_id"])
        alive = alive.union(*(nx.descendants(h, s) for s in alive)) if alive else set()
        assert set(r["cut"]) == reach - alive - {r["segment_id"]}


def test_service_import_export_round_trip(tmp_path):
    with Chainwatch(tmp_path / "w.duckdb", lang="en") as cw:
        res = cw.chains.import_willems(DATA, ["00", "24"])
        assert [r["chain"] for r in res.tables["imported"]] == ["willems-00", "willems-24"]
        seg = cw.chains.segments("willems-24").tables["segments"]
        assert len(seg) == 334 and set(seg["status"]) == {"missing"}
        text = cw.chains.export_map("willems-24", tmp_path / "w24.yaml")
        cw.chains.import_map(tmp_path / "w24.yaml")
        assert cw.chains.export_map("willems-24") == text
        assert cw.store.scalar("SELECT count(*) FROM segment_edge WHERE chain_id = 'willems-24'") == 1245
        g = cw.chains.graph("willems-00")
        assert len(g["nodes"]) == 5 and len(g["edges"]) == 4
        assert {n["position"] for n in g["nodes"]} == {"upstream", "midstream", "downstream"}
