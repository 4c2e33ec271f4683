"""RiskService: runs, continuing warnings, lifecycle, audit replay, scope, summary."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from chainwatch.analytics.risk.lifecycle import replay, verify_chain
from chainwatch.errors import InputError, NotFound, PermissionDenied, UsageError
from chainwatch.service import Chainwatch

TOTAL_RULE = """\
version: "{version}"
rules:
  - id: city_level
    subject: total
    indicator: gross_output
    statistic: level
    direction: above
    thresholds: {{blue: {blue}, red: {red}}}
    persistence: 1
    message: {{zh: "全市产值{{value:.0f}}", en: "city output {{value:.0f}}"}}
"""


def _rules(tmp_path: Path, name: str, blue: float, red: float) -> str:
    p = tmp_path / f"{name}.yaml"
    p.write_text(TOTAL_RULE.format(version=name, blue=blue, red=red), encoding="utf-8")
    return str(p)


def test_run_stores_warnings_and_a_continuing_warning_keeps_its_id(city_db: str) -> None:
    with Chainwatch(city_db, lang="en") as cw:
        r1 = cw.risk.run("2021-10")
        ids1 = {(w["rule_id"], w["subject_id"]): w["id"] for w in r1.to_dict()["warnings"]}
        r2 = cw.risk.run("2021-11")
        ids2 = {(w["rule_id"], w["subject_id"]): w["id"] for w in r2.to_dict()["warnings"]}
        common = set(ids1) & set(ids2)
        assert len(common) >= 10
        assert all(ids1[k] == ids2[k] for k in common)
        assert r2.meta["counts"]["new"] == len(set(ids2) - set(ids1))
        # re-running the same period changes nothing
        n_events = cw.store.scalar("SELECT count(*) FROM warning_event")
        r3 = cw.risk.run("2021-11")
        assert r3.meta["counts"]["new"] == 0
        assert cw.store.scalar("SELECT count(*) FROM warning_event") == n_events
        assert len(r3.tables["warnings"]) == len(r2.tables["warnings"])
        wid = next(iter(common)) and ids2[next(iter(common))]
        hist = cw.risk.show(wid).tables["history"]
        assert list(hist["period"]) == ["2021-10", "2021-11"]
        assert cw.store.scalar("SELECT count(*) FROM warning_run") == 3
        meta = r2.to_dict()["meta"]
        assert meta["ruleset_version"] and meta["period"] == "2021-11" and "counts" in meta


def test_escalation_clearing_and_reopening_follow_the_same_warning(city_db: str, tmp_path: Path) -> None:
    with Chainwatch(city_db, lang="en", actor="analyst") as cw:
        total = float(cw.store.scalar("SELECT sum(gross_output) FROM monthly_value WHERE period = '2021-10'"))
        low = _rules(tmp_path, "low", total * 0.5, total * 10)       # blue
        high = _rules(tmp_path, "high", total * 0.2, total * 0.4)    # red
        off = _rules(tmp_path, "off", total * 10, total * 20)        # nothing
        w = cw.risk.run("2021-09", rules_file=low).to_dict()["warnings"]
        assert len(w) == 1 and w[0]["grade"] == 1
        wid = w[0]["id"]
        w = cw.risk.run("2021-10", rules_file=high).to_dict()["warnings"]
        assert w[0]["id"] == wid and w[0]["grade"] == 4
        # red with lower = 2: one quiet month keeps it, the second clears it
        assert cw.risk.run("2021-11", rules_file=off).to_dict()["warnings"] == []
        row = cw.store.df("SELECT grade, state, period FROM warning WHERE id = ?", [wid]).iloc[0]
        assert row["grade"] == 0 and row["state"] == "new" and row["period"] == "2021-11"
        actions = list(cw.risk.show(wid).tables["events"]["action"])
        assert actions == ["create", "escalate", "clear"]
        # a human closes it, then it fires again within the cool-down: re-opened, same id
        cw.risk.transition(wid, "ack")
        cw.risk.transition(wid, "no_impact", note="seasonal")
        cw.risk.transition(wid, "resolve", note="closed", code="false_alarm")
        w = cw.risk.run("2021-12", rules_file=high).to_dict()["warnings"]
        assert w[0]["id"] == wid and w[0]["state_code"] == "acknowledged"
        assert cw.store.scalar("SELECT count(*) FROM warning") == 1


def test_lifecycle_transitions_and_their_errors(city_db: str) -> None:
    with Chainwatch(city_db, lang="en", actor="alice") as cw:
        cw.risk.run("2021-11")
        wid = int(cw.risk.list().tables["warnings"]["id"].iloc[0])
        with pytest.raises(InputError) as info:
            cw.risk.transition(wid, "confirm", note="x")
        assert info.value.key == "risk.bad_state" and "acknowledged" in info.value.message("en")
        r = cw.risk.transition(wid, "ack", actor="alice")
        assert r.tables["warning"]["state_code"].iloc[0] == "acknowledged"
        cw.risk.transition(wid, "assign", actor="lead", owner="bob", due="2022-01-15", note="please check")
        with pytest.raises(InputError) as info:
            cw.risk.transition(wid, "confirm")
        assert info.value.key == "risk.missing_field"
        with pytest.raises(InputError):
            cw.risk.transition(wid, "assign", owner="bob", due="next week")
        cw.risk.transition(wid, "confirm", actor="bob", note="orders lost to a competitor", due="2022-03-01")
        with pytest.raises(InputError):
            cw.risk.transition(wid, "resolve", note="x", code="vanished")
        cw.risk.transition(wid, "resolve", actor="bob", note="new customer found", code="recovered")
        with pytest.raises(UsageError):
            cw.risk.transition(wid, "explode")
        with pytest.raises(NotFound):
            cw.risk.transition(99999, "ack")
        row = cw.store.df("SELECT * FROM warning WHERE id = ?", [wid]).iloc[0]
        assert row["state"] == "resolved" and row["owner"] == "bob" and str(row["due_at"])[:10] == "2022-03-01"
        assert json.loads(row["resolution"])["code"] == "recovered"
        events = cw.risk.events(wid)
        assert [e["actor"] for e in events] == ["system", "alice", "lead", "bob", "bob"]
        assert [e["action"] for e in events] == ["create", "ack", "assign", "confirm", "resolve"]
        # the warning row is the projection of its events; the hash chain is intact and detects tampering
        proj = replay(events)
        assert proj["state"] == row["state"] and proj["grade"] == row["grade"] and proj["owner"] == row["owner"]
        assert proj["due_at"] == "2022-03-01"
        assert verify_chain(events)
        events[2]["note"] = "edited later"
        assert not verify_chain(events)
        assert cw.store.scalar("SELECT count(*) FROM audit_log WHERE action LIKE 'warning.%'") == 4
        assert wid not in set(cw.risk.list().tables["warnings"]["id"])
        assert wid in set(cw.risk.list(include_closed=True).tables["warnings"]["id"])


def test_every_warning_explains_itself_in_both_languages(city_db: str) -> None:
    with Chainwatch(city_db, lang="zh") as cw:
        cw.risk.run("2021-11")
        zh = cw.risk.list().tables["warnings"]
    with Chainwatch(city_db, lang="en") as cw:
        en = cw.risk.list().tables["warnings"]
        shown = cw.risk.show(int(en["id"].iloc[0]))
    assert len(zh) == len(en) > 0
    assert all(isinstance(x, str) and len(x) > 10 for x in zh["explanation"])
    assert all(any("\u4e00" <= ch <= "\u9fff" for ch in x) for x in zh["explanation"])
    assert not any(any("\u4e00" <= ch <= "\u9fff" for ch in x) for x in en["explanation"])
    ev = shown.tables["warning"]["evidence"].iloc[0]
    assert {"value", "thresholds", "trend", "rule_version", "persistence"} <= set(ev)
    assert any("Rule " in line for line in shown.text)


def test_scope_limits_enterprise_warnings_and_actions(city_db: str) -> None:
    with Chainwatch(city_db, lang="en") as cw:
        cw.risk.run("2021-11")
        everything = cw.risk.list().tables["warnings"]
        ent = cw.store.df("SELECT uscc, district FROM enterprise")
    dmap = dict(zip(ent["uscc"], ent["district"], strict=True))
    with Chainwatch(city_db, lang="en", scope=["330203"]) as cw:
        scoped = cw.risk.list().tables["warnings"]
        ents = scoped[scoped["subject_level"] == "enterprise"]
        assert len(ents) and all(dmap[u] == "330203" for u in ents["subject_id"])
        assert len(scoped[scoped["subject_level"] == "chain"]) == len(everything[everything["subject_level"] == "chain"])
        other = everything[(everything["subject_level"] == "enterprise")
                           & (everything["subject_id"].map(dmap) != "330203")]
        with pytest.raises(PermissionDenied):
            cw.risk.show(int(other["id"].iloc[0]))
        summ = cw.risk.summary("2021-11")
        by = pd.DataFrame(summ.tables["by_level"]).set_index("subject_level")
        assert by.loc["enterprise", "total"] == len(ents)


def test_summary_counts_match_the_list(city_db: str) -> None:
    with Chainwatch(city_db, lang="en") as cw:
        cw.risk.run("2021-11")
        lst = cw.risk.list(period="2021-11").tables["warnings"]
        s = cw.risk.summary("2021-11")
        assert s.meta["new"] == len(lst)
        for lv, g in (("red", 4), ("orange", 3), ("yellow", 2), ("blue", 1)):
            assert s.meta[lv] == int((lst["grade"] == g).sum())
        assert len(cw.risk.list(level="orange").tables["warnings"]) == int((lst["grade"] >= 3).sum())
        with pytest.raises(UsageError):
            cw.risk.list(level="purple")
        with pytest.raises(UsageError):
            cw.risk.list(state="closed")


def test_a_period_without_data_is_a_clear_input_error(city_db: str) -> None:
    with Chainwatch(city_db, lang="en") as cw, pytest.raises(InputError) as info:
        cw.risk.run("2030-01")
    assert info.value.key == "risk.run.no_data"


def test_missing_chain_map_and_trade_degrade_gracefully(city_db: str) -> None:
    with Chainwatch(city_db, lang="en") as cw:
        cw.store.execute("DELETE FROM segment_enterprise")
        cw.store.execute("DELETE FROM trade_flow")
        r = cw.risk.run("2021-11")
        assert "no_trade" in r.meta["inputs"] and r.meta["import_dependence"] is None
        assert any("chain map" in line for line in r.text)
        levels = set(r.tables["warnings"]["subject_level"])
        assert "enterprise" in levels and "segment" not in levels


def test_a_missing_report_does_not_clear_an_enterprise_warning(city_db: str) -> None:
    with Chainwatch(city_db, lang="en") as cw:
        w = cw.risk.run("2021-09").tables["warnings"]
        ent = w[(w["subject_level"] == "enterprise") & (w["rule_id"] == "ent_output_decline")].iloc[0]
        cw.store.execute("DELETE FROM monthly_value WHERE uscc = ? AND period IN ('2021-10', '2021-11')",
                         [ent["subject_id"]])
        r = cw.risk.run("2021-11")
        assert r.meta["counts"]["data_gap"] >= 1
        assert r.meta["reporting_enterprises"] == 399 and r.meta["reporting_vs_year_earlier_pct"] < 100
        row = cw.store.df("SELECT grade, state FROM warning WHERE id = ?", [int(ent["id"])]).iloc[0]
        assert row["grade"] == ent["grade"] and row["state"] == "new"
