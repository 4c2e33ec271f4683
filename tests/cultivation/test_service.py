"""The cultivation service and CLI on a small hand-made city with known outcomes."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from typer.testing import CliRunner

from chainwatch.cli.main import app
from chainwatch.errors import InputError, NotFound
from chainwatch.service import Chainwatch

runner = CliRunner()


@pytest.fixture
def cw(small_city):
    with Chainwatch(small_city["db"], lang="en", create=False) as c:
        yield c


def _verdicts(res) -> dict[tuple[str, str], str]:
    df = res.tables["assessment"]
    return {(r.uscc, r.tier): r.verdict for r in df.itertuples()}


def test_assess_all_known_outcomes(cw, small_city):
    ids = small_city["ids"]
    res = cw.cultivation.assess(all=True, date="2022-07-01")
    v = _verdicts(res)
    assert v[(ids["strong"], "zjtx")] == "qualifies"
    assert v[(ids["near"], "zjtx")] == "does_not_qualify"
    assert v[(ids["large"], "zjtx")] == "does_not_qualify"      # not an SME
    assert v[(ids["nodata"], "zjtx")] == "not_enough_data"
    assert v[(ids["champ"], "champion")] == "manual_review"     # 105号 scheme (before 138号): qualitative part
    assert res.meta["rulesets"] == ["cx-63-2022", "dxgj-105-2016", "xjr-63-2022", "zjtx-63-2022"]
    assert "conditions" not in res.tables
    nod = res.tables["assessment"]
    row = nod[(nod["uscc"] == ids["nodata"]) & (nod["tier"] == "zjtx")].iloc[0]
    assert "rd_expense_y1" in row["missing_inputs"] and "missing_input" in row["flags"]


def test_assess_one_enterprise_has_every_condition_and_item(cw, small_city):
    u = small_city["ids"]["strong"]
    res = cw.cultivation.assess(uscc=u, date="2022-07-01")
    conds, items = res.tables["conditions"], res.tables["score_items"]
    z = conds[conds["tier"] == "zjtx"].set_index("condition")
    assert set(["H1", "H2a", "H2b", "H3a", "H4", "S0", "Z1"]) <= set(z.index)
    assert z.loc["H2b", "value"] == "5%" and z.loc["H2b", "status"] == "pass"
    assert z.loc["H2b", "value_num"] == pytest.approx(5.0) and z.loc["H2b", "unit"] == "%"
    assert z.loc["H2a", "value_num"] == pytest.approx(400.0) and z.loc["H2a", "unit"] == "万元"  # 8000万 × 5 %
    zi = items[items["tier"] == "zjtx"].set_index("item")
    assert len(zi) == 13 and zi.loc["z_rd", "points"] == 8 and zi.loc["z_debt", "band"] == "(−∞, 50%]"
    total = res.tables["assessment"].set_index("tier").loc["zjtx", "score"]
    assert total == zi["points"].sum()
    prov = res.tables["provenance"]
    assert set(prov["source"]) == {"annual", "title"} and len(prov) == 4 + 2  # annual 2019–2022 (y−3 … y) and 2 titles
    dims = res.tables["scores"]
    zd = dims[dims["tier"] == "zjtx"].set_index("dimension")
    assert zd.loc["total", "points"] == total and zd.loc["total", "max_points"] == 100
    for dim in ("specialisation", "refinement", "characteristic", "innovation"):  # en labels = ids
        assert zd.loc[dim, "points"] == zi.loc[zi["dimension"] == dim, "points"].sum()


def test_review_and_2026_rules(cw, small_city):
    u = small_city["ids"]["strong"]
    res = cw.cultivation.assess(uscc=u, date="2026-05-01", application="review")
    assert res.meta["rulesets"] == ["dxgj-138-2023", "kcx-2-2026", "xjr-2-2026", "zjtx-2-2026"]
    conds = res.tables["conditions"]
    n9 = conds[(conds["tier"] == "zjtx") & (conds["condition"] == "N9")].iloc[0]
    assert n9["status"] == "not_applicable"


def test_gap_report_example_text(small_city):
    """cultivation.md / issue: 'R&D intensity 2.4 % → needs ≥ 3 % …' for the near miss."""
    u = small_city["ids"]["near"]
    with Chainwatch(small_city["db"], lang="en", create=False) as cw:
        res = cw.cultivation.gap(u, date="2022-07-01")
    assert res.meta["target_tier"] == "zjtx"
    assert any("R&D intensity, prior year 2.4% → needs ≥ 3%" in line for line in res.text), res.text
    assert list(res.tables["gaps"]["condition"]) == ["H2b"]
    with Chainwatch(small_city["db"], lang="zh", create=False) as cw:
        res = cw.cultivation.gap(u, date="2022-07-01")
    assert any("上年研发费用占营业收入比重 2.4% → 需 ≥ 3%" in line for line in res.text), res.text


def test_gap_for_2026_each_of_two_years(small_city):
    u = small_city["ids"]["near"]
    with Chainwatch(small_city["db"], lang="en", create=False) as cw:
        res = cw.cultivation.gap(u, tier="zjtx", date="2022-07-01", application="new")
        assert res.tables["gaps"]["condition"].tolist() == ["H2b"]


def test_candidates_ranked_and_filtered(cw, small_city):
    ids = small_city["ids"]
    res = cw.cultivation.candidates(tier="zjtx", date="2022-07-01")
    cand = res.tables["candidates"]
    assert ids["strong"] not in set(cand["uscc"])  # holds the title
    assert cand.iloc[0]["uscc"] == ids["other"]      # qualifies without the title
    near = cand[cand["uscc"] == ids["near"]].iloc[0]
    assert near["unmet"] == 1 and "R&D" in near["lacking"]
    assert list(cand["rank"]) == list(range(1, len(cand) + 1))
    res = cw.cultivation.candidates(tier="zjtx", chain="nev", date="2022-07-01")
    assert set(res.tables["candidates"]["uscc"]) == {ids["near"]}
    res = cw.cultivation.candidates(tier="zjtx", district="330205", date="2022-07-01")
    assert set(res.tables["candidates"]["uscc"]) == {ids["other"]}


def test_pipeline_counts(cw, small_city):
    res = cw.cultivation.pipeline(date="2022-07-01")
    p = res.tables["pipeline"]
    city = p[p["level"] == "city"].set_index("tier")
    assert city.loc["zjtx", "holders"] == 2 and city.loc["xjr", "holders"] == 1
    assert city.loc["champion", "holders"] == 1 and res.meta["single_champions"] == 1
    assert city.loc["zjtx", "expiring"] == 1        # champ's 专精特新 ends 2022-12-19
    assert city.loc["first", "new_this_year"] == 0
    chain = p[(p["level"] == "chain") & (p["key"] == "nev")].set_index("tier")
    assert chain.loc["zjtx", "holders"] == 1
    # independent count of valid titles from the table itself
    con = cw.store
    n = con.scalar("SELECT count(DISTINCT uscc) FROM enterprise_title WHERE title = 'zjtx' "
                   "AND valid_from <= DATE '2022-07-01' AND coalesce(valid_to, DATE '2099-01-01') >= DATE '2022-07-01'")
    assert city.loc["zjtx", "holders"] == n


def test_scope_limits_enterprises(small_city):
    ids = small_city["ids"]
    with Chainwatch(small_city["db"], lang="en", create=False, scope=["330205"]) as cw:
        res = cw.cultivation.assess(all=True, date="2022-07-01")
        assert set(res.tables["assessment"]["uscc"]) == {ids["other"]}
        with pytest.raises(NotFound):
            cw.cultivation.assess(uscc=ids["strong"], date="2022-07-01")


@pytest.mark.parametrize("kwargs,key", [
    ({"all": True, "date": "2022-13-01"}, "cultivation.bad_date"),
    ({"all": True, "application": "renew"}, "cultivation.bad_application"),
    ({}, "cultivation.need_target"),
    ({"all": True, "tier": "gold"}, "cultivation.bad_tier"),
    ({"uscc": "91330200000000001X"}, "cultivation.bad_uscc"),
])
def test_bad_inputs(cw, kwargs, key):
    with pytest.raises(InputError) as exc:
        cw.cultivation.assess(**kwargs)
    assert exc.value.key == key


def test_cli_json_and_errors(small_city):
    db = small_city["db"]
    u = small_city["ids"]["near"]
    r = runner.invoke(app, ["assess", "--enterprise", u, "--date", "2022-07-01", "--db", db, "--format", "json"])
    assert r.exit_code == 0, r.output
    data = json.loads(r.output)
    assert {"meta", "assessment", "conditions", "score_items"} <= set(data)
    assert data["meta"]["assessment_date"] == "2022-07-01"
    r = runner.invoke(app, ["assess", "gap", u, "--date", "2022-07-01", "--db", db, "--lang", "en"])
    assert r.exit_code == 0 and "needs ≥ 3%" in r.output
    r = runner.invoke(app, ["assess", "candidates", "--tier", "zjtx", "--date", "2022-07-01", "--db", db,
                            "--format", "csv"])
    assert r.exit_code == 0 and r.output.startswith("tier,")
    assert len(pd.read_csv(__import__("io").StringIO(r.output))) >= 1
    r = runner.invoke(app, ["assess", "pipeline", "--date", "2022-07-01", "--db", db])
    assert r.exit_code == 0
    r = runner.invoke(app, ["assess", "--all", "--date", "2022-02-30", "--db", db, "--lang", "en"])
    assert r.exit_code == 1 and "Bad assessment date: 2022-02-30" in r.output
    r = runner.invoke(app, ["assess", "--enterprise", "91330200000000001X", "--db", db, "--lang", "en"])
    assert r.exit_code == 1 and "Invalid USCC" in r.output


def test_demo_city_assessment_and_pipeline(demo_db):
    """On the demo city: every enterprise assessed for every tier; pipeline holders equal a SQL count."""
    import duckdb

    with Chainwatch(demo_db, lang="zh", read_only=True) as cw:
        res = cw.cultivation.assess(all=True)
        pipe = cw.cultivation.pipeline()
        cand = cw.cultivation.candidates(tier="zjtx", limit=20)
    a = res.tables["assessment"]
    n = a["uscc"].nunique()
    assert len(a) == 4 * n and res.meta["assessment_date"] == "2022-07-01"
    qualifies = a[(a["tier"] == "zjtx") & (a["verdict"] == "qualifies")]
    assert 20 <= len(qualifies) <= n // 2  # a realistic share, not everyone
    con = duckdb.connect(demo_db, read_only=True)
    try:
        held = con.execute("SELECT title, count(DISTINCT uscc) FROM enterprise_title WHERE valid_from <= DATE '2022-07-01'"
                           " AND valid_to >= DATE '2022-07-01' GROUP BY title").fetchall()
        zjtx_holders = {r[0] for r in con.execute(
            "SELECT uscc FROM enterprise_title WHERE title = 'zjtx' AND valid_from <= DATE '2022-07-01'"
            " AND valid_to >= DATE '2022-07-01'").fetchall()}
    finally:
        con.close()
    p = pipe.tables["pipeline"]
    city = p[p["level"] == "city"].set_index("tier")["holders"]
    held = dict(held)
    assert city.get("zjtx", 0) == held.get("zjtx", 0)
    assert city.get("champion", 0) == held.get("single_champion", 0) == pipe.meta["single_champions"]
    c = cand.tables["candidates"]
    assert len(c) == 20 and not c["uscc"].isin(zjtx_holders).any()
    order = c["verdict"].map({"qualifies": 0, "manual_review": 1, "does_not_qualify": 2, "not_enough_data": 3})
    assert order.is_monotonic_increasing
    fails = c[c["verdict"] == "does_not_qualify"]
    assert fails["unmet"].is_monotonic_increasing


def test_candidates_rank_within_district(cw, small_city):
    cand = cw.cultivation.candidates(tier="zjtx", date="2022-07-01").tables["candidates"]
    for _d, g in cand.groupby("district"):
        assert list(g.sort_values("rank")["district_rank"]) == list(range(1, len(g) + 1))
