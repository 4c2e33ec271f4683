"""Investment-target ranking, leader ranking and several chains in one pass, on small examples."""

from __future__ import annotations

import pandas as pd
import pytest

from chainwatch.analytics.chains import (
    ChainInputs,
    analyse_chain,
    analyse_chains,
    leader_candidates,
    rank_targets,
)
from chainwatch.analytics.chains.targets import hs_match, split_codes


def test_hs_match_levels():
    assert hs_match(["850760"], ["8507"]) == (1.0, "850760", "8507")      # contained
    assert hs_match(["85076010"], ["85076090"])[0] == 0.9                  # same subheading
    assert hs_match(["850710"], ["850760"])[0] == 0.6                      # same heading
    assert hs_match(["850110"], ["850760"])[0] == 0.0                      # chapter only: no match
    assert split_codes("8507.60; 850790、3801 10") == ["850760", "850790", "3801", "10"]


def test_rank_targets_orders_by_match_then_size_and_keyword_only_matches():
    segs = pd.DataFrame({"segment_id": ["s"], "name_zh": ["隔膜"], "name_en": ["Battery separators"]})
    prods = pd.DataFrame({"segment_id": ["s"], "hs_code": ["392099"]})
    directory = pd.DataFrame({
        "ext_id": ["a", "b", "c", "d"], "name": ["大厂", "小厂", "关键词厂", "无关"],
        "region": None, "country": "CHN",
        "hs_codes": ["392099", "392099", "8507", "0101"],
        "products": ["", "", "锂电池隔膜", "milk"],
        "revenue": [1e6, 1e3, None, 1e9], "size_class": [None, None, "medium", None]})
    r = rank_targets(segs, prods, directory)
    assert r["name"].tolist() == ["大厂", "小厂", "关键词厂"]
    assert r["match_kind"].tolist() == ["hs", "hs", "keyword"]
    assert r.loc[2, "match"] == pytest.approx(0.3) and r.loc[2, "keyword"] == "隔膜"
    # score = 0.7 match + 0.3 size percentile among the segment's candidates
    assert r.loc[0, "score"] == pytest.approx(0.7 + 0.3 * 1.0)
    assert r.loc[1, "score"] == pytest.approx(0.7 + 0.3 * 0.5)
    assert r.loc[2, "score"] == pytest.approx(0.7 * 0.3 + 0.3 * 0.67)


def test_leader_gate_and_equal_weights():
    firms = pd.DataFrame({"uscc": ["big", "mid", "tiny"], "output": [90.0, 8.0, 2.0]})
    links = pd.DataFrame({"supplier_uscc": ["tiny", "mid"], "buyer_uscc": ["big", "big"], "annual_value": [5.0, 1.0]})
    r = leader_candidates(firms, links).set_index("uscc")
    assert r.loc["big", "rank"] == 1 and r.loc["big", "local_suppliers"] == 2 and r.loc["big", "pull_value"] == 6.0
    assert bool(r.loc["mid", "eligible"]) and not bool(r.loc["tiny", "eligible"])  # 2 % < 5 % gate
    assert r.loc["tiny", "rank"] == 3
    row = r.loc["big"]
    assert row["score"] == pytest.approx((row["pct_share"] + row["pct_pull"] + row["pct_network"]) / 3)
    only_share = leader_candidates(firms, links, weights={"pull": 0, "network": 0}).set_index("uscc")
    assert only_share["score"].to_dict() == pytest.approx({"big": 1.0, "mid": 2 / 3, "tiny": 1 / 3})


def test_several_chains_in_one_pass_equal_one_at_a_time():
    segs = pd.DataFrame({"segment_id": ["a1", "a2", "b1", "b2"], "chain_id": ["A", "A", "B", "B"],
                         "name_zh": ["甲1", "甲2", "乙1", "乙2"], "name_en": None,
                         "position": ["upstream", "downstream", "upstream", "downstream"]})
    edges = pd.DataFrame({"from_segment": ["a1", "b1"], "to_segment": ["a2", "b2"]})
    # firm x is in both chains (main in each): its output counts fully in each chain
    members = pd.DataFrame({"segment_id": ["a1", "a2", "b1", "b2", "b2"], "uscc": ["x", "y", "x", "z", "w"],
                            "is_main": [True, False, True, False, False]})
    output = pd.DataFrame({"uscc": ["x", "y", "z", "w"], "output": [10.0, 30.0, 5.0, 5.0]})
    both = analyse_chains(ChainInputs(segments=segs, edges=edges, members=members, output=output))
    assert both["A"].summary["output"] == 40.0 and both["B"].summary["output"] == 20.0
    for c in ("A", "B"):
        one = analyse_chain(ChainInputs(segments=segs[segs["chain_id"] == c].drop(columns=["chain_id"]),
                                        edges=edges[edges["from_segment"].str.startswith(c.lower())],
                                        members=members[members["segment_id"].str.startswith(c.lower())],
                                        output=output))
        cols = ["segment_id", "n_enterprises", "output", "cr1", "status", "n_cut"]
        pd.testing.assert_frame_equal(one.segments[cols].reset_index(drop=True),
                                      both[c].segments[cols].reset_index(drop=True))
        assert one.summary == both[c].summary
