"""Evidence that the engine finds planted trouble: the small risk city and the shared demo city."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from chainwatch.service import Chainwatch

TROUBLE = ("decline", "loss", "power_divergence")


def test_small_city_recall_and_false_positive_rate(city_db: str, city: dict) -> None:
    with Chainwatch(city_db, lang="en") as cw:
        w = pd.DataFrame(cw.risk.run("2021-11").to_dict()["warnings"])
    ent = set(w.loc[w["subject_level"] == "enterprise", "subject_id"])
    truth = city["enterprises"]
    recall = truth["uscc"].isin(ent).mean()
    fp_rate = len(ent & set(city["untroubled"])) / len(city["untroubled"])
    print(f"small city: recall {recall:.2f}, false-positive rate {fp_rate:.3f}")
    assert recall >= 0.80
    assert fp_rate <= 0.02
    for kind in TROUBLE:
        assert truth.loc[truth["kind"] == kind, "uscc"].isin(ent).mean() >= 0.6, kind
    seg = w[w["subject_level"] == "segment"]
    assert city["sole_segment"] in set(seg.loc[seg["rule_id"] == "seg_sole_supplier", "subject_id"])
    imp = seg[seg["rule_id"] == "seg_import_dependence"]
    assert list(imp["subject_id"]) == [city["import_segment"]]


@pytest.fixture()
def demo_copy(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    try:
        path = request.getfixturevalue("demo_db")
    except pytest.FixtureLookupError:
        pytest.skip("the shared demo_db fixture (tests/conftest.py) is not available")
    dst = tmp_path / "demo.duckdb"
    shutil.copy(str(path), dst)
    return str(dst)


def test_demo_city_recall_and_false_positive_rate(demo_copy: str) -> None:
    period = "2021-12"
    with Chainwatch(demo_copy, lang="en") as cw:
        w = pd.DataFrame(cw.risk.run(period).to_dict()["warnings"])
        truth = cw.store.df("SELECT * FROM demo_truth_enterprise")
        truth_seg = cw.store.df("SELECT * FROM demo_truth_segment")
        active = set(cw.store.df("SELECT uscc FROM monthly_value WHERE period = ?", [period])["uscc"])
    troubled = truth[truth["kind"].isin(TROUBLE) & (truth["start_period"] <= period)]
    ent = set(w.loc[w["subject_level"] == "enterprise", "subject_id"])
    untroubled = active - set(truth.loc[truth["kind"].isin(TROUBLE), "uscc"])
    recall = troubled.drop_duplicates("uscc")["uscc"].isin(ent).mean()
    fp_rate = len(ent & untroubled) / len(untroubled)
    by_kind = troubled.assign(hit=troubled["uscc"].isin(ent)).groupby("kind")["hit"].mean()
    print(f"demo city: recall {recall:.3f} ({by_kind.round(2).to_dict()}), false-positive rate {fp_rate:.4f}")
    assert recall >= 0.75
    assert (by_kind >= 0.6).all()
    assert fp_rate <= 0.03
    seg = w[w["subject_level"] == "segment"]
    dep = set(truth_seg.loc[truth_seg["kind"] == "import_dependent", "segment_id"])
    found = dep & set(seg.loc[seg["rule_id"] == "seg_import_dependence_high", "subject_id"])
    print(f"import-dependent segments found: {len(found)} of {len(dep)}")
    assert len(found) >= 0.5 * len(dep)


def test_group_growth_agrees_with_the_statistics_module(demo_copy: str) -> None:
    """Same-caliber 当月/累计同比 of every grouping equal cw.stats (independent Ibis implementation)."""
    from chainwatch.analytics.risk.engine import Evaluator

    with Chainwatch(demo_copy, lang="en") as cw:
        if not hasattr(cw.stats, "compute"):
            pytest.skip("statistics service not available")
        inputs = cw.risk.load_inputs("2021-11")
        ev = Evaluator(inputs, cw.risk.ruleset())
        inds = ("gross_output", "total_profit", "electricity")
        rows = pd.DataFrame(cw.stats.compute("2021-11", by="total,chain,district,segment",
                                             indicators=",".join(inds)).tables["rows"])
    checked = 0
    for ind in inds:
        for level in ("total", "chain", "district", "segment"):
            ours = pd.DataFrame({"m": ev.stat(level, "month_yoy_pct", ind)[:, -1],
                                 "y": ev.stat(level, "ytd_yoy_pct", ind)[:, -1]},
                                index=[str(i) for i in inputs.groups[level].ids])
            st = rows[(rows["group_type"] == level) & (rows["indicator"] == ind)].set_index("group_id")
            if level == "total":
                st.index = ["city"]
            j = ours.join(st[["month_yoy_pct", "ytd_yoy_pct"]], how="inner").dropna()
            assert len(j) >= min(len(ours), len(st)) - 10
            assert (j["m"] - j["month_yoy_pct"]).abs().max() < 1e-6, (ind, level)
            assert (j["y"] - j["ytd_yoy_pct"]).abs().max() < 1e-6, (ind, level)
            checked += len(j)
    assert checked > 400
