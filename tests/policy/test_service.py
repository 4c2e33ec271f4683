"""Policy service and CLI: list, match, per enterprise, load/validate files; evidence on the demo city."""

from __future__ import annotations

import json
import shutil

import duckdb
import pandas as pd
import pytest
from typer.testing import CliRunner

from chainwatch.cli.main import app
from chainwatch.errors import ValidationFailed
from chainwatch.service import Chainwatch

runner = CliRunner()
EXAMPLES = ("rd-subsidy-zjtx", "new-above-size-reward", "export-relief", "smart-upgrade-districts")

# Independent SQL for each example policy's eligible list (data to 2021-12; titles held on 2022-01-01).
REFERENCE_SQL = {
    "rd-subsidy-zjtx": """
        SELECT DISTINCT e.uscc FROM enterprise e
        JOIN enterprise_title t ON t.uscc = e.uscc AND t.title IN ('zjtx', 'little_giant')
             AND t.valid_from <= DATE '2022-01-01' AND t.valid_to >= DATE '2022-01-01'
        JOIN segment_enterprise se ON se.uscc = e.uscc
        JOIN segment s ON s.segment_id = se.segment_id AND s.chain_id IN ('ic', 'nev', 'industrial_software', 'key_components')
        JOIN enterprise_annual a ON a.uscc = e.uscc AND a.year = 2021
        WHERE a.revenue > 0 AND a.rd_expense / a.revenue >= 0.03""",
    "new-above-size-reward": """
        WITH m AS (SELECT uscc, sum(revenue) FILTER (WHERE year = 2021) AS cur,
                          sum(revenue) FILTER (WHERE year = 2020) AS prev
                   FROM monthly_value WHERE year IN (2020, 2021) GROUP BY uscc)
        SELECT s.uscc FROM enterprise_scope s JOIN m ON m.uscc = s.uscc
        LEFT JOIN enterprise_scope p ON p.uscc = s.uscc AND p.year = 2020
        WHERE s.year = 2021 AND s.above_size AND NOT coalesce(p.above_size, FALSE)
          AND m.cur >= 2000 AND m.prev > 0 AND m.cur / m.prev > 1""",
    "export-relief": """
        WITH m AS (SELECT uscc, sum(export_value) FILTER (WHERE year = 2021) AS ex,
                          sum(export_value) FILTER (WHERE year = 2020) AS ex0,
                          sum(gross_output) FILTER (WHERE year = 2021) AS out
                   FROM monthly_value WHERE year IN (2020, 2021) GROUP BY uscc)
        SELECT s.uscc FROM enterprise_scope s JOIN m ON m.uscc = s.uscc
        WHERE s.year = 2021 AND s.above_size AND m.out > 0 AND m.ex / m.out >= 0.30
          AND m.ex0 > 0 AND m.ex / m.ex0 - 1 <= -0.10""",
    "smart-upgrade-districts": """
        WITH a AS (SELECT * FROM enterprise_annual WHERE year = 2021),
             d AS (SELECT uscc, arg_max(digital_level, year) AS digital FROM enterprise_annual
                   WHERE year <= 2021 AND digital_level IS NOT NULL GROUP BY uscc)
        SELECT e.uscc FROM enterprise e JOIN a ON a.uscc = e.uscc JOIN d ON d.uscc = e.uscc
        WHERE e.district IN ('330206', '330211')
          AND (e.industry LIKE '34%' OR e.industry LIKE '35%' OR e.industry LIKE '36%' OR e.industry LIKE '38%')
          AND NOT (a.employees >= 1000 AND a.revenue >= 40000)
          AND ((a.employees >= 300 AND a.revenue >= 2000) OR (a.employees >= 20 AND a.revenue >= 300))
          AND d.digital <= 2""",
}


@pytest.fixture(scope="module")
def demo(demo_db):
    with Chainwatch(demo_db, lang="en", read_only=True) as cw:
        yield cw


@pytest.mark.parametrize("pid", EXAMPLES)
def test_example_policy_eligible_list_equals_independent_sql(demo, demo_db, pid):
    res = demo.policy.match(pid)
    got = set(res.tables["eligible"]["uscc"])
    con = duckdb.connect(demo_db, read_only=True)
    try:
        want = {r[0] for r in con.execute(REFERENCE_SQL[pid]).fetchall()}
    finally:
        con.close()
    assert got == want
    assert len(want) > 0, f"{pid}: the demo city should have eligible enterprises"
    s = res.tables["summary"][0]
    assert s["eligible"] == len(got) and s["reference_period"] == "2021-12"


def test_match_explains_each_row(demo):
    res = demo.policy.match("rd-subsidy-zjtx")
    el = res.tables["eligible"]
    assert {"cond_title", "cond_chain", "cond_rd", "payout"} <= set(el.columns)
    assert (el["payout"] <= 50).all() and (el["payout"] > 0).all()  # 10 % of R&D, capped at 50万元
    assert el["cond_rd"].str.endswith("%").all()
    nm = res.tables["near_misses"]
    assert len(nm) and (nm["unmet"] == 1).all() and (nm["lacking"] != "").all()
    s = res.tables["summary"][0]
    assert s["payout_total"] == pytest.approx(el["payout"].sum())
    assert s["budget"] == 2000


def test_for_enterprise_agrees_with_match(demo):
    res = demo.policy.match("export-relief")
    u = res.tables["eligible"]["uscc"].iloc[0]
    one = demo.policy.for_enterprise(u).tables["policies"].set_index("policy_id")
    assert one.loc["export-relief", "status"] == "eligible"
    near = res.tables["near_misses"]["uscc"].iloc[0]
    one = demo.policy.for_enterprise(near).tables["policies"].set_index("policy_id")
    assert one.loc["export-relief", "status"] == "near_miss" and one.loc["export-relief", "why"]


def test_list(demo):
    df = demo.policy.list().tables["policies"]
    assert set(EXAMPLES) <= set(df["policy_id"])


def test_scope_limits_enterprises(demo_db):
    with Chainwatch(demo_db, lang="en", read_only=True, scope=["330206"]) as cw:
        res = cw.policy.match("smart-upgrade-districts")
    assert res.tables["eligible"]["district"].eq("北仑区").all()


BAD = """id: bad-policy
name: 坏政策
conditions:
  - {id: ok, attribute: above_size, value: true}
  - {id: share, attribute: export_dependency, op: ">=", value: "30%"}
"""


def test_bad_policy_file_message_names_policy_condition_problem(tmp_path, demo_db):
    f = tmp_path / "bad.yaml"
    f.write_text(BAD, encoding="utf-8")
    with Chainwatch(demo_db, lang="en", read_only=True) as cw:
        with pytest.raises(ValidationFailed) as exc:
            cw.policy.validate(f)
    msg = exc.value.message("en")
    assert "bad.yaml" in msg and "condition share" in msg and "unknown attribute 'export_dependency'" in msg
    assert "export_growth_ytd" in msg or "export_share_ytd" in msg  # close names suggested


def test_unknown_chain_code_rejected(tmp_path, demo_db):
    f = tmp_path / "p.yaml"
    f.write_text("id: p\nname: x\nconditions:\n  - {id: c, attribute: chains, op: any_of, value: [nev, moon]}\n",
                 encoding="utf-8")
    with Chainwatch(demo_db, lang="zh", read_only=True) as cw:
        with pytest.raises(ValidationFailed) as exc:
            cw.policy.validate(f)
    assert "moon" in exc.value.message("zh") and "条件 c" in exc.value.message("zh")


def test_add_stores_versions_and_overrides_the_example(tmp_path, demo_db):
    db = tmp_path / "copy.duckdb"
    shutil.copy(demo_db, db)
    text = (tmp_path / "x.yaml")
    body = "\n".join([
        "id: export-relief", "version: 2", "name: {zh: 外贸帮扶（修订）, en: Export relief (revised)}",
        "reference_period: 2021-12", "benefit: {kind: fixed, amount: 5万元}",
        "conditions:", "  - {id: above, attribute: above_size, value: true}",
        "  - {id: share, attribute: export_share_ytd, op: '>=', value: '50%'}"])
    text.write_text(body, encoding="utf-8")
    r = runner.invoke(app, ["policy", "add", str(text), "--db", str(db), "--lang", "en"])
    assert r.exit_code == 0, r.output
    with Chainwatch(db, lang="en") as cw:
        lst = cw.policy.list().tables["policies"].set_index("policy_id")
        assert lst.loc["export-relief", "version"] == "2"
        res = cw.policy.match("export-relief")
        assert (res.tables["eligible"]["payout"] == 5).all()
        assert cw.store.scalar("SELECT count(*) FROM audit_log WHERE action = 'policy.add'") == 1


def test_cli(demo_db_copy, tmp_path):
    demo_db = demo_db_copy
    r = runner.invoke(app, ["policy", "list", "--db", demo_db, "--format", "json"])
    assert r.exit_code == 0, r.output
    assert {p["policy_id"] for p in json.loads(r.output)["policies"]} >= set(EXAMPLES)
    r = runner.invoke(app, ["policy", "match", "new-above-size-reward", "--db", demo_db, "--format", "json"])
    data = json.loads(r.output)
    assert {"meta", "summary", "conditions", "eligible", "near_misses", "undecidable"} <= set(data)
    assert data["meta"]["units"] == "万元"
    r = runner.invoke(app, ["policy", "match", "no-such-policy", "--db", demo_db, "--lang", "en"])
    assert r.exit_code == 1 and "No policy no-such-policy" in r.output
    bad = tmp_path / "bad.yaml"
    bad.write_text(BAD, encoding="utf-8")
    r = runner.invoke(app, ["policy", "match", str(bad), "--db", demo_db, "--lang", "en"])
    assert r.exit_code == 1 and "unknown attribute" in r.output
    r = runner.invoke(app, ["policy", "for", "91330200000000001X", "--db", demo_db, "--lang", "en"])
    assert r.exit_code == 1 and "Invalid USCC" in r.output
    df = pd.DataFrame(json.loads(runner.invoke(app, ["policy", "match", "export-relief", "--db", demo_db,
                                                     "--format", "json"]).output)["eligible"])
    assert len(df) >= 1


def test_define_policy_through_the_api(tmp_path, demo_db):
    db = tmp_path / "api.duckdb"
    shutil.copy(demo_db, db)
    spec = {"id": "api-policy", "version": 1, "name": {"zh": "接口定义的政策", "en": "API policy"},
            "reference_period": "2021-12", "benefit": {"kind": "fixed", "amount": "1万元"},
            "conditions": [{"id": "d", "attribute": "district", "op": "in", "value": ["330206"]},
                           {"id": "a", "attribute": "above_size", "value": True}]}
    with Chainwatch(db, lang="en") as cw:
        cw.policy.add_policy(spec)
        res = cw.policy.match("api-policy")
        got = set(res.tables["eligible"]["uscc"])
        want = {r[0] for r in cw.store.rows(
            "SELECT e.uscc FROM enterprise e JOIN enterprise_scope s ON s.uscc = e.uscc AND s.year = 2021 "
            "WHERE e.district = '330206' AND s.above_size")}
        assert got == want and len(got) > 0
        bad = {**spec, "conditions": [{"id": "d", "attribute": "district", "op": ">=", "value": "330206"}]}
        with pytest.raises(ValidationFailed) as exc:
            cw.policy.add_policy(bad)
        assert "condition d" in exc.value.message("en") and "operator '>='" in exc.value.message("en")


def test_service_does_not_read_files_unless_asked(demo, tmp_path):
    from chainwatch.errors import InputError, NotFound

    f = tmp_path / "p.yaml"
    f.write_text("id: p\nname: x\nreference_period: 2021-12\nconditions:\n  - {id: a, attribute: above_size, value: true}\n",
                 encoding="utf-8")
    with pytest.raises(NotFound):
        demo.policy.match(str(f))
    assert demo.policy.match(str(f), allow_file=True).tables["summary"][0]["policy_id"] == "p"
    with pytest.raises(InputError) as exc:
        demo.policy.match("export-relief", period="2021-13")
    assert exc.value.key == "policy.bad_period"
