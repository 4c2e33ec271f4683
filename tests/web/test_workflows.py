"""Imports (upload → validation report → confirm), the warning lifecycle, simulation and users admin
through the API, as the pages use them."""

from __future__ import annotations

import io
import re

import pandas as pd


def _csv(rows: list[dict]) -> bytes:
    return pd.DataFrame(rows).to_csv(index=False).encode("utf-8")


def test_upload_with_errors_reports_rows_and_imports_nothing(clients, city):
    c = clients["analyst"]
    good = sorted(city.IN_A)[0]
    data = _csv([
        {"uscc": good, "period": "2025-11", "gross_output(万元)": 1200.5},
        {"uscc": "91330203MA2AAAAAA1", "period": "2025-11", "gross_output(万元)": 10},   # bad check char
        {"uscc": good, "period": "2025-13", "gross_output(万元)": 5},                   # bad period
        {"uscc": good, "period": "2025-12", "gross_output(万元)": -3},                   # negative
    ])
    before = c.get("/api/imports").json()["history"]
    r = c.post("/api/imports", data={"kind": "monthly"}, files={"file": ("monthly_nov.csv", io.BytesIO(data), "text/csv")})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["valid"] is False and body["report"][0]["rows_total"] == 4
    rows = {e["row"] for e in body["errors"]}
    assert rows == {3, 4, 5}  # header is row 1
    assert any("校验位" in e["message"] for e in body["errors"])
    upload_id = body["meta"]["upload_id"]
    r = c.post(f"/api/imports/{upload_id}/confirm")
    assert r.status_code == 422 and r.json()["error"]["errors"]
    assert c.get("/api/imports").json()["history"] == before
    # skip_invalid imports exactly the valid row
    r = c.post(f"/api/imports/{upload_id}/confirm?skip_invalid=true")
    assert r.status_code == 200, r.text
    assert r.json()["report"][0]["rows_inserted"] == 1
    history = c.get("/api/imports").json()["history"]
    assert history[0]["file"] == "monthly_nov.csv" and history[0]["actor"] == "analyst"
    # the upload is gone once used
    assert c.post(f"/api/imports/{upload_id}/confirm").status_code == 404


def test_upload_page_flow(clients, city):
    c = clients["admin"]
    page = c.get("/imports")
    assert page.status_code == 200 and 'name="kind"' in page.text
    data = _csv([{"uscc": "X", "name": "坏企业", "district": "999999", "industry": "3670"}])
    r = c.post("/imports", data={"kind": "enterprise"}, files={"file": ("ents.csv", io.BytesIO(data), "text/csv")})
    assert r.status_code == 200
    assert 'id="import-has-errors"' in r.text and 'id="errors-table"' in r.text and "confirm-form" not in r.text
    r = c.post("/imports", data={"kind": "enterprise"})
    assert r.status_code in (200, 422) and 'id="import-error"' in r.text


def test_upload_from_another_user_cannot_be_confirmed(clients, city):
    data = _csv([{"uscc": sorted(city.IN_A)[0], "period": "2025-11", "gross_output(万元)": 1.0}])
    r = clients["analyst"].post("/api/imports", data={"kind": "monthly"},
                                files={"file": ("m.csv", io.BytesIO(data), "text/csv")})
    upload_id = r.json()["meta"]["upload_id"]
    r = clients["admin"].post(f"/api/imports/{upload_id}/confirm")
    assert r.status_code == 404


def test_warning_lifecycle_with_audit_trail(clients, city):
    c = clients["analyst"]
    warnings = c.get("/api/warnings?state=new").json()["warnings"]
    assert warnings, "the fixture city must raise warnings"
    wid = warnings[0]["id"]
    r = c.post(f"/api/warnings/{wid}/resolve", json={"note": "too early"})
    assert r.status_code == 422 and r.json()["error"]["key"] == "risk.bad_state"
    assert c.post(f"/api/warnings/{wid}/ack").status_code == 200
    assert c.post(f"/api/warnings/{wid}/assign", json={"owner": "official_a"}).status_code == 200
    r = c.post(f"/api/warnings/{wid}/confirm", json={"note": "orders down"})
    assert r.status_code == 200
    r = c.post(f"/api/warnings/{wid}/resolve", json={"note": "recovered in October", "code": "recovered"})
    assert r.status_code == 200, r.text
    shown = c.get(f"/api/warnings/{wid}").json()
    assert shown["warning"][0]["state_code"] == "resolved" and shown["warning"][0]["owner"] == "official_a"
    events = [(e["action"], e["actor"]) for e in shown["events"]]
    assert events[-4:] == [("ack", "analyst"), ("assign", "analyst"), ("confirm", "analyst"), ("resolve", "analyst")]
    assert wid not in [w["id"] for w in c.get("/api/warnings").json()["warnings"]]
    assert wid in [w["id"] for w in c.get("/api/warnings?include_closed=true").json()["warnings"]]


def test_warning_page_form_acknowledges(clients):
    c = clients["admin"]
    wid = c.get("/api/warnings?state=new").json()["warnings"][0]["id"]
    page = c.get(f"/warnings/{wid}")
    assert page.status_code == 200 and 'id="action-form"' in page.text
    r = c.post(f"/warnings/{wid}/act", data={"action": "ack"}, follow_redirects=False)
    assert r.status_code == 303
    assert c.get(f"/api/warnings/{wid}").json()["warning"][0]["state_code"] == "acknowledged"
    r = c.post(f"/warnings/{wid}/act", data={"action": "resolve"})
    assert 'id="action-error"' in r.text


def test_district_official_cannot_act_on_hidden_enterprise_warning(clients, city):
    hidden = [w for w in clients["analyst"].get("/api/warnings?subject_level=enterprise&include_closed=true")
              .json()["warnings"] if w["subject_id"] in city.IN_B]
    assert hidden
    r = clients["official_a"].post(f"/api/warnings/{hidden[0]['id']}/comment", json={"note": "x"})
    assert r.status_code == 403


def test_simulation_run_who_is_hit(clients, city):
    scenario = {"name": "JP chips", "model": "cascade", "horizon_months": 6,
                "shocks": [{"country": "JPN", "capacity_pct": 0, "months": 3}]}
    r = clients["analyst"].post("/api/simulation/run", json=scenario)
    assert r.status_code == 200, r.text
    hit = {f["uscc"] for f in r.json()["by_firm"]}
    assert city.USCC[0] in hit  # the importer of the Japanese chips
    r = clients["official_a"].post("/api/simulation/run", json=scenario)
    assert {f["uscc"] for f in r.json()["by_firm"]} <= city.IN_A
    r = clients["analyst"].post("/api/simulation/run", json={"shocks": [{"planet": "Mars"}]})
    assert r.status_code == 422 and r.json()["error"]["errors"]


def test_simulation_page_form(clients):
    c = clients["analyst"]
    r = c.post("/simulation", data={"target_0": "segment", "ident_0": "ev.chips", "capacity_0": "0", "months_0": "2",
                                    "target_1": "country", "ident_1": "JPN", "capacity_1": "50", "months_1": "1",
                                    "horizon": "6", "direction": "both"})
    assert r.status_code == 200 and 'id="sim-result"' in r.text and 'id="sim-by_firm"' in r.text
    assert "segment:ev.chips + country:JPN" in r.text
    r = c.post("/simulation", data={"target_0": "country", "ident_0": "ZZZ", "horizon": "abc"})
    assert r.status_code == 200 and "unavailable" in r.text


def test_admin_manages_users(clients):
    c = clients["admin"]
    r = c.post("/api/users", json={"username": "dist_b", "password": "harbour-lantern-58", "role": "district",
                                   "districts": ["330212"]})
    assert r.status_code == 201 and r.json()["users"][0]["districts"] == "330212"
    r = c.post("/api/users", json={"username": "dist_b", "password": "harbour-lantern-58", "role": "viewer"})
    assert r.status_code == 422 and r.json()["error"]["key"] == "web.user_exists"
    r = c.patch("/api/users/dist_b", json={"role": "viewer", "districts": []})
    assert r.json()["users"][0]["role"] == "viewer"
    audit = c.get("/api/audit?limit=50").json()["audit"]
    assert {"user.add", "user.update"} <= {a["action"] for a in audit}
    assert c.delete("/api/users/dist_b").status_code == 204
    page = c.get("/admin")
    assert page.status_code == 200 and 'id="users-table"' in page.text
    assert re.search(r"official_a", page.text)


def test_weak_segment_to_bottleneck_register(clients):
    c = clients["analyst"]
    weak = c.get("/api/chains/ev").json()["weak"]
    assert weak
    seg = weak[0]["segment_id"]
    r = c.post("/api/chains/ev/bottlenecks", json={"segment_id": seg, "owner": "产业链专班"})
    assert r.status_code == 201, r.text
    items = c.get("/api/chains/ev").json()["bottlenecks"]["items"]
    assert any(i.get("segment_id") == seg for i in items)
    assert c.post("/api/chains/ev/bottlenecks", json={"segment_id": "nope"}).status_code == 404
    assert clients["official_a"].post("/api/chains/ev/bottlenecks", json={"segment_id": seg}).status_code == 403


def test_admin_sees_settings_without_the_secret(clients):
    rows = {r["name"]: r for r in clients["admin"].get("/api/settings").json()["settings"]}
    from chainwatch.settings import load_settings

    assert rows["session_minutes"]["value"] == load_settings().session_minutes and "login_attempts" in rows
    assert clients["analyst"].get("/api/settings").status_code == 403
