"""Scenario validation, the service (cascade on a small city, IO scenarios, save/compare) and the CLI."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from chainwatch.analytics.shock.scenario import validate_scenario
from chainwatch.errors import InputError, NotFound, ValidationFailed

from .conftest import OUTPUT, realdata


def errors_of(raw):
    with pytest.raises(ValidationFailed) as e:
        validate_scenario(raw, "s.yaml")
    return e.value


def test_scenario_errors_name_file_item_and_problem():
    err = errors_of({"model": "magic", "horizon_months": 0, "shocks": [
        {"enterprise": "A", "capacity_pct": 150},
        {"country": "JAPAN", "hs": ["85x"]},
        {"enterprise": "A", "district": "330203"},
        "oops",
        {"segment": "S1", "colour": "red"},
    ]})
    rows = {(r["item"], r["field"]) for r in err.errors}
    assert ("top", "model") in rows and ("top", "horizon_months") in rows
    assert ("shocks[1]", "capacity_pct") in rows
    assert ("shocks[2]", "country") in rows and ("shocks[2]", "hs") in rows
    assert ("shocks[3]", "target") in rows and ("shocks[4]", "") in rows and ("shocks[5]", "colour") in rows
    assert err.key == "shock.scenario.invalid" and err.params["file"] == "s.yaml"
    assert "s.yaml: top.model: 'magic' is not valid" in err.message("en")
    assert "情景 s.yaml 有" in err.message("zh")


def test_scenario_needs_shocks_and_io_table():
    assert ("top", "shocks") in {(r["item"], r["field"]) for r in errors_of({"name": "x"}).errors}
    err = errors_of({"model": "leontief", "shocks": [{"sector": "001"}, {"enterprise": "A"}]})
    rows = {(r["item"], r["field"]) for r in err.errors}
    assert ("top", "table") in rows and ("shocks[1]", "demand_change") in rows and ("shocks[2]", "enterprise") in rows


def test_scenario_defaults():
    sc = validate_scenario({"shocks": [{"enterprise": "A"}]}, "x/port.yaml")
    assert sc["name"] == "port" and sc["model"] == "cascade" and sc["horizon_months"] == 12
    sh = sc["shocks"][0]
    assert sh["capacity_pct"] == 0 and sh["months"] == 12 and sh["start_month"] == 1


def test_cascade_city_worked_example(city):
    res = city.shock.run({"name": "A stops", "horizon_months": 3, "direction": "downstream",
                          "shocks": [{"enterprise": "A", "capacity_pct": 0, "months": 2}]})
    firm = res.tables["by_firm"].set_index("uscc")
    # A stops: C (A essential, B non-essential 40 %) and D (A only) stop; E (C and D substitutes) stops
    assert set(firm.index) == {"A", "C", "D", "E"}
    for u in "ACDE":
        assert firm.loc[u, "output_lost"] == pytest.approx(OUTPUT[u] / 12 * 2)
    assert firm.loc["E", "path_uscc"] in ("A → C → E", "A → D → E")
    assert firm.loc["C", "path"] == "Parts A → Assembler C"
    assert firm.loc["C", "depth"] == 1 and firm.loc["E", "depth"] == 2
    summ = res.tables["summary"].iloc[0]
    base = sum(OUTPUT.values()) / 12 * 3
    assert summ["base_output"] == pytest.approx(base)
    assert summ["output_lost"] == pytest.approx(sum(OUTPUT[u] for u in "ACDE") / 12 * 2)
    chain = res.tables["by_chain"].iloc[0]
    assert chain["chain_id"] == "AUTO" and chain["output_lost"] == pytest.approx(summ["output_lost"])
    dist = res.tables["by_district"].set_index("district")
    assert dist.loc["330206", "output_lost"] == pytest.approx(OUTPUT["E"] / 12 * 2)
    assert res.tables["by_month"]["output_lost"].tolist()[2] == 0.0
    assert res.to_dict()["meta"]["units"] == "万元"


def test_import_cut_reaches_through_nonessential_input(city):
    res = city.shock.run({"horizon_months": 1, "direction": "downstream",
                          "shocks": [{"country": "JPN", "hs": ["8542"], "capacity_pct": 0}]})
    firm = res.tables["by_firm"].set_index("uscc")
    assert firm.loc["B", "min_capacity_pct"] == pytest.approx(0.0)
    assert firm.loc["C", "min_capacity_pct"] == pytest.approx(60.0)        # loses its 40 % non-essential input
    assert firm.loc["E", "min_capacity_pct"] == pytest.approx(80.0)        # C at 60 %, D full: (60 + 100)/200
    assert firm.loc["E", "path_uscc"] == "Tokyo Chips (JPN) → B → C → E"
    assert firm.loc["E", "path"] == "Tokyo Chips (JPN) → Parts B → Assembler C → OEM E"
    assert "D" not in firm.index and "A" not in firm.index


def test_larger_shock_loses_more_and_inventory_helps(city):
    def lost(cap, days=0):
        return city.shock.run({"horizon_months": 4, "inventory_days": days, "shocks": [
            {"segment": "S1", "capacity_pct": cap, "months": 2}]}).tables["summary"]["output_lost"].iat[0]
    assert lost(80) <= lost(50) <= lost(0)
    assert lost(0, days=30) < lost(0)
    assert city.shock.run({"shocks": [{"district": "330206", "capacity_pct": 100}]}).tables[
        "summary"]["output_lost"].iat[0] == 0.0


def test_unknown_targets(city):
    with pytest.raises(NotFound) as e:
        city.shock.run({"shocks": [{"enterprise": "ZZZ"}]})
    assert e.value.key == "shock.scenario.unknown_target"
    with pytest.raises(NotFound) as e:
        city.shock.run({"shocks": [{"country": "DEU"}]})
    assert e.value.key == "shock.scenario.no_links_hit"


def test_esri_every_firm(city):
    res = city.shock.esri(top=0)
    tab = res.tables["esri"].set_index("uscc")
    assert len(tab) == 6 and res.meta["exhaustive"]
    assert tab.loc["F", "esri_pct"] == pytest.approx(100 * OUTPUT["F"] / sum(OUTPUT.values()))
    assert tab["esri_pct"].iloc[0] == tab["esri_pct"].max()
    assert tab.loc["A", "esri_down_pct"] > tab.loc["A", "weight_pct"]


def test_scope_limits_rows(city):
    city.scope = ["330205"]
    res = city.shock.run({"horizon_months": 1, "shocks": [{"enterprise": "A"}]})
    assert set(res.tables["by_firm"]["district"]) == {"330205"}
    assert set(res.tables["by_district"]["district"]) == {"330205"}


def test_save_list_compare(city):
    city.shock.run({"horizon_months": 2, "shocks": [{"enterprise": "A"}]}, save="a")
    city.shock.run({"horizon_months": 2, "shocks": [{"enterprise": "A", "capacity_pct": 50}]}, save="b")
    runs = city.shock.saved().tables["runs"]
    assert set(runs["name"]) == {"a", "b"}
    cmp_ = city.shock.compare("a", "b")
    diff = cmp_.tables["difference"]
    firm_a = diff[(diff["level"] == "firm") & (diff["key"] == "A")].iloc[0]
    assert firm_a["lost_b"] == pytest.approx(firm_a["lost_a"] / 2)
    assert firm_a["difference"] == pytest.approx(firm_a["lost_b"] - firm_a["lost_a"])
    with pytest.raises(NotFound):
        city.shock.compare("a", "zz")
    city.shock.run({"horizon_months": 2, "shocks": [{"enterprise": "B"}]}, save="a")   # overwrite
    assert city.shock.saved().tables["runs"]["name"].tolist().count("a") == 1


def test_io_scenario_file_and_leontief_parity(city, tmp_path):
    table = tmp_path / "mb.csv"
    table.write_text("sector,sec1,sec2,fd,x\nsec1,150,500,350,1000\nsec2,200,100,1700,2000\n")
    scen = tmp_path / "s.yaml"
    scen.write_text("name: mb\nmodel: iim\ntable: mb.csv\nlayout: csv\nshocks:\n  - sector: sec1\n    demand_change: -35\n")
    res = city.shock.run(scen, save="mb")
    sec = res.tables["sectors"].set_index("sector")
    np.testing.assert_allclose(sec.loc[["sec1", "sec2"], "inoperability_pct"], [4.3894, 0.4620], atol=5e-4)
    lres = city.shock.io("leontief", str(table), {"sec1": -35}, local_files=True)
    ls = lres.tables["sectors"].set_index("sector")
    np.testing.assert_allclose(-ls.loc[["sec1", "sec2"], "output_change"] / [1000, 2000],
                               sec.loc[["sec1", "sec2"], "inoperability_pct"] / 100, rtol=1e-12)
    with pytest.raises(InputError):
        city.shock.io("leontief", str(table), {"nope": 1}, local_files=True)


CLI_SCEN = "name: cli\nhorizon_months: 2\nshocks:\n  - enterprise: A\n    capacity_pct: 0\n"


def test_cli_shock_json_save_list_compare(city, tmp_path):
    from chainwatch.cli.main import app

    db = city.db_path
    city.close()
    scen = tmp_path / "s.yaml"
    scen.write_text(CLI_SCEN)
    r = CliRunner().invoke(app, ["shock", str(scen), "--db", db, "--format", "json", "--save", "one"])
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert out["meta"]["command"] == "shock" and out["summary"][0]["firms_affected"] >= 4
    assert {"by_firm", "by_segment", "by_chain", "by_district", "by_month"} <= set(out)
    r = CliRunner().invoke(app, ["shock", str(scen), "--db", db, "--format", "csv", "--save", "two"])
    assert r.exit_code == 0 and "# by_firm" in r.stdout
    r = CliRunner().invoke(app, ["shock", "list", "--db", db, "--format", "json"])
    assert {x["name"] for x in json.loads(r.stdout)["runs"]} == {"one", "two"}
    r = CliRunner().invoke(app, ["shock", "compare", "one", "two", "--db", db, "--format", "json"])
    assert r.exit_code == 0 and all(row["difference"] == 0 for row in json.loads(r.stdout)["difference"])
    r = CliRunner().invoke(app, ["shock", "esri", "--db", db, "--format", "json", "--top", "3"])
    assert r.exit_code == 0 and len(json.loads(r.stdout)["esri"]) == 3


def test_cli_bad_inputs(city, tmp_path):
    from chainwatch.cli.main import app

    db = city.db_path
    city.close()
    bad = tmp_path / "bad.yaml"
    bad.write_text("shocks:\n  - enterprise: A\n    capacity_pct: 120\n")
    r = CliRunner().invoke(app, ["--lang", "en", "shock", str(bad), "--db", db])
    assert r.exit_code == 1 and "shocks[1].capacity_pct" in r.output and "bad.yaml" in r.output
    r = CliRunner().invoke(app, ["shock", str(tmp_path / "none.yaml"), "--db", db])
    assert r.exit_code == 1
    r = CliRunner().invoke(app, ["shock", "compare", "one", "--db", db])
    assert r.exit_code == 2
    r = CliRunner().invoke(app, ["io", "leontief", "--table", str(bad), "--layout", "weird"])
    assert r.exit_code == 1


@pytest.mark.realdata
def test_cli_io_on_nbs_table():
    from chainwatch.cli.main import app

    path = realdata("china_io") / "china_2018_153.csv"
    r = CliRunner().invoke(app, ["io", "leontief", "--table", str(path), "--format", "json", "--top", "0"])
    assert r.exit_code == 0, r.output
    rows = json.loads(r.stdout)["sectors"]
    assert len(rows) == 153 and max(x["multiplier"] for x in rows) == pytest.approx(4.11, abs=0.005)
    r = CliRunner().invoke(app, ["io", "iim", "--table", str(path), "--capacity", "001=50", "--format", "json"])
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    top = out["sectors"][0]
    assert top["sector"] == "001" and top["inoperability_pct"] == pytest.approx(50.0)
    r = CliRunner().invoke(app, ["io", "extract", "--table", str(path), "--sector", "001", "--format", "json"])
    assert r.exit_code == 0 and json.loads(r.stdout)["sectors"][0]["backward"] > 0
    r = CliRunner().invoke(app, ["io", "ghosh", "--table", str(path), "--shock", "001=-100", "--format", "csv"])
    assert r.exit_code == 0 and "output_change" in r.stdout
    r = CliRunner().invoke(app, ["io", "leontief", "--table", str(path), "--shock", "999=1"])
    assert r.exit_code == 1
    r = CliRunner().invoke(app, ["io", "leontief", "--table", str(path), "--shock", "001"])
    assert r.exit_code == 1


def test_scenario_problem_rows_in_chinese():
    with pytest.raises(ValidationFailed) as e:
        validate_scenario({"shocks": [{"enterprise": "A", "capacity_pct": 120}]}, "s.yaml", lang="zh")
    row = e.value.errors[0]
    assert row["key"] == "shock.p.range" and row["problem"] == "应在 0–100 之间，实际为 120"


def test_esri_cached_per_network_and_refreshed_on_change(city):
    first = city.shock.esri(top=0)
    again = city.shock.esri(top=0)
    assert not first.meta["from_cache"] and again.meta["from_cache"]
    assert first.tables["esri"]["esri_pct"].tolist() == again.tables["esri"]["esri_pct"].tolist()
    city.store.execute("UPDATE supply_link SET annual_value = 1 WHERE link_id = 'L1'")
    changed = city.shock.esri(top=0)
    assert not changed.meta["from_cache"] and changed.meta["fingerprint"] != first.meta["fingerprint"]


def test_esri_workers_give_same_result():
    from chainwatch.analytics.shock.cascade import Network
    from chainwatch.analytics.shock.esri import esri_table

    rng = np.random.default_rng(11)
    n = 300
    src, dst = rng.integers(0, n, 900), rng.integers(0, n, 900)
    k = src != dst
    net = Network.build(n, src[k], dst[k], rng.uniform(1, 3, k.sum()))
    one = esri_table(net, np.arange(210))
    two = esri_table(net, np.arange(210), workers=2)
    np.testing.assert_allclose(one.sort_values("node")["esri_pct"], two.sort_values("node")["esri_pct"])
