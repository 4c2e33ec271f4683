"""End-to-end acceptance: a city bureau analyst's month, on a private copy of the demo city.

Everything goes through the public surfaces a user touches (the ``chainwatch`` CLI through Typer's
CliRunner, the JSON API through FastAPI's TestClient) and checks real outcomes: a corrected monthly
file becomes a revision and moves the statistics by exactly the corrected amount; a bad file is refused
with a row-level report; a warning goes through its lifecycle with an audit trail; the bulletin carries
the statistics sentence; the headline figure is the same in ``stats``, the bulletin and the web API;
every reporting command's JSON is one object with ``meta`` and named lists of rows.

Tests named after a defect (unit-conversion revisions, JSON of a failed import, the demo overview, a --db
that is not a database, passwords without a terminal, untranslated error keys, the English bulletin's full
stop) were strict xfails when the defects were found and are regression tests since they were fixed.
"""

from __future__ import annotations

import html as html_lib
import json
import math
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pytest
from typer.testing import CliRunner

from chainwatch.cli.main import app

runner = CliRunner()

PERIOD = "2021-12"
# a large manufacturing enterprise (section C) of the demo city, above size in 2021, reporting in 2020-12 and 2021-12
USCC = "9133021293687109XH"
USCC2 = "91330211801308638W"


# -- helpers -----------------------------------------------------------------------------------------------
def cli(*args: object, code: int = 0) -> Any:
    """Run ``chainwatch ARGS`` in-process; assert the exit code; return the Click result."""
    res = runner.invoke(app, [str(a) for a in args])
    assert res.exit_code == code, (args, res.exit_code, res.stdout[-2000:], res.stderr[-2000:], res.exception)
    return res


def cli_json(*args: object) -> dict[str, Any]:
    res = cli(*args, "--format", "json")
    bad: list[str] = []
    obj = json.loads(res.stdout, parse_constant=lambda c: bad.append(c))  # NaN / Infinity are not JSON
    assert not bad, f"non-JSON constants {set(bad)} in {args}"
    return obj


def q(db: str, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
    con = duckdb.connect(db, read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def total_row(stats: dict[str, Any], indicator: str) -> dict[str, Any]:
    rows = [r for r in stats["rows"] if r["group_type"] == "total" and r["indicator"] == indicator]
    assert len(rows) == 1, rows
    return rows[0]


def write_gbk_csv(path: Path, rows: list[tuple[str, ...]]) -> Path:
    """The way Excel saves 'CSV (逗号分隔)' on a Chinese Windows: GBK, no BOM, CRLF."""
    path.write_bytes("".join(",".join(r) + "\r\n" for r in rows).encode("gbk"))
    return path


def assert_envelope(obj: dict[str, Any], command: str | None = None) -> dict[str, list[dict[str, Any]]]:
    """One object: ``meta`` (a dict naming the command and language) and named lists of row objects."""
    assert isinstance(obj, dict) and isinstance(obj.get("meta"), dict), obj
    meta = obj["meta"]
    if command is not None:
        assert meta.get("command") == command, meta.get("command")
    assert meta.get("lang") in ("zh", "en")
    lists = {k: v for k, v in obj.items() if k != "meta" and isinstance(v, list)}
    assert lists, f"no row lists besides meta: {list(obj)}"
    for name, rows in lists.items():
        if rows and isinstance(rows[0], dict):
            keys = set(rows[0])
            assert all(isinstance(r, dict) and set(r) == keys for r in rows), f"{name}: rows with different fields"
            for r in rows:
                for k, v in r.items():
                    assert not (isinstance(v, float) and not math.isfinite(v)), (name, k, v)
    return lists


# -- 1. the month's data: template, GBK CSV from Excel, error report, corrections as revisions -----------
def test_correction_file_is_a_revision_and_moves_the_statistics(demo_db_copy: str, tmp_path: Path) -> None:
    db = demo_db_copy
    before = cli_json("stats", "--period", PERIOD, "--indicators", "gross_output,revenue", "--db", db)
    go0 = total_row(before, "gross_output")
    (old_go, old_rev), = q(db, "SELECT gross_output, revenue FROM monthly_value WHERE uscc = ? AND period = ?",
                           [USCC, PERIOD])
    n_rev0 = q(db, "SELECT count(*) FROM value_revision")[0][0]

    # the district sends a correction: gross output +10,000 万元, in 千元 with Chinese headers, GBK from Excel
    corrected_go_qianyuan = round((old_go + 10_000) * 10, 1)
    f = write_gbk_csv(tmp_path / "12月修正.csv", [
        ("统一社会信用代码", "期间", "工业总产值(千元)"),
        (USCC, "2021年12月", f"{corrected_go_qianyuan:.1f}"),
    ])
    # dry run: validated, nothing written
    res = cli("import", f, "--kind", "monthly", "--dry-run", "--db", db)
    assert q(db, "SELECT gross_output FROM monthly_value WHERE uscc = ? AND period = ?", [USCC, PERIOD])[0][0] == old_go
    assert q(db, "SELECT count(*) FROM value_revision")[0][0] == n_rev0
    assert "校验通过 1 行，拒绝 0 行" in " ".join(res.stdout.split()), res.stdout

    rep = cli_json("import", f, "--kind", "monthly", "--db", db)
    assert_envelope(rep, "import")
    r = rep["report"][0]
    assert (r["rows_total"], r["rows_accepted"], r["rows_rejected"], r["rows_revised"]) == (1, 1, 0, 1)
    assert r["file"] == "12月修正.csv" and len(r["sha256"]) == 64

    # the old value is kept as a revision, the current value is the corrected one
    revs = q(db, "SELECT field, old_value, new_value FROM value_revision WHERE key = ?", [f"{USCC}|{PERIOD}"])
    assert [x[0] for x in revs] == ["gross_output"]
    assert float(revs[0][1]) == pytest.approx(old_go) and float(revs[0][2]) == pytest.approx(old_go + 10_000)
    assert q(db, "SELECT revenue FROM monthly_value WHERE uscc = ? AND period = ?", [USCC, PERIOD])[0][0] == old_rev

    # statistics move by exactly the correction (month and year to date), growth follows
    after = cli_json("stats", "--period", PERIOD, "--indicators", "gross_output,revenue", "--db", db)
    go1 = total_row(after, "gross_output")
    assert go1["month_value"] - go0["month_value"] == pytest.approx(10_000, abs=1e-3)
    assert go1["ytd_value"] - go0["ytd_value"] == pytest.approx(10_000, abs=1e-3)
    base = go0["ytd_value"] / (1 + go0["ytd_yoy_pct"] / 100)
    assert go1["ytd_yoy_pct"] == pytest.approx((go1["ytd_value"] / base - 1) * 100, abs=0.01)
    assert total_row(after, "revenue")["ytd_value"] == pytest.approx(total_row(before, "revenue")["ytd_value"])

    # importing the same file again changes nothing
    again = cli_json("import", f, "--kind", "monthly", "--db", db)["report"][0]
    assert again["rows_unchanged"] == 1 and again["rows_revised"] == 0
    assert q(db, "SELECT count(*) FROM value_revision")[0][0] == n_rev0 + 1

    # the history shows both batches of the file
    info = cli_json("info", "--db", db)
    assert_envelope(info, "info")
    assert [b["file"] for b in info["imports"][:2]] == ["12月修正.csv", "12月修正.csv"]


def test_same_value_in_another_unit_is_not_a_revision(demo_db_copy: str, tmp_path: Path) -> None:
    db = demo_db_copy
    (rev,), = q(db, "SELECT revenue FROM monthly_value WHERE uscc = ? AND period = ?", [USCC2, PERIOD])
    f = write_gbk_csv(tmp_path / "same.csv", [("统一社会信用代码", "期间", "营业收入(千元)"),
                                              (USCC2, PERIOD, f"{rev * 10:.1f}")])
    r = cli_json("import", f, "--kind", "monthly", "--db", db)["report"][0]
    assert r["rows_unchanged"] == 1 and r["rows_revised"] == 0
    assert q(db, "SELECT count(*) FROM value_revision")[0][0] == 0


def test_bad_file_is_refused_with_a_row_level_error_report(demo_db_copy: str, tmp_path: Path) -> None:
    db = demo_db_copy
    n0 = q(db, "SELECT count(*), sum(gross_output) FROM monthly_value")[0]
    f = write_gbk_csv(tmp_path / "bad.csv", [
        ("统一社会信用代码", "期间", "工业总产值(千元)"),
        (USCC, PERIOD, "2500000"),                      # a valid row: must not land either
        (USCC[:-1] + "A", PERIOD, "100"),               # wrong check character
        (USCC2, "2021-13", "-5"),                       # bad period and an impossible negative
        (USCC2, "2021-11", "abc"),                      # not a number
    ])
    out = tmp_path / "错误报告.xlsx"
    res = cli("--lang", "en", "import", f, "--kind", "monthly", "--db", db, "--errors", out, code=1)
    assert "nothing was imported" in res.stderr
    errors = pd.read_excel(out)
    got = {(int(r.row), r.column) for r in errors.itertuples()}
    assert got == {(3, "统一社会信用代码"), (4, "期间"), (4, "工业总产值(千元)"), (5, "工业总产值(千元)")}
    assert errors["message_zh"].str.contains("校验位").any() and errors["message_en"].str.contains("negative").any()
    n1 = q(db, "SELECT count(*), sum(gross_output) FROM monthly_value")[0]   # parallel sums: float order varies
    assert n1[0] == n0[0] and n1[1] == pytest.approx(n0[1], rel=1e-12)
    assert q(db, "SELECT gross_output FROM monthly_value WHERE uscc = ? AND period = ?", [USCC, PERIOD])[0][0] \
        != pytest.approx(250_000)

    # --skip-invalid loads exactly the valid row
    res = cli("--lang", "en", "import", f, "--kind", "monthly", "--db", db, "--skip-invalid")
    text = " ".join(res.stdout.split())
    assert "1 accepted" in text and "3 rejected" in text, text
    assert q(db, "SELECT gross_output FROM monthly_value WHERE uscc = ? AND period = ?", [USCC, PERIOD])[0][0] \
        == pytest.approx(250_000)


def test_import_json_output_with_errors_is_json(demo_db_copy: str, tmp_path: Path) -> None:
    f = write_gbk_csv(tmp_path / "bad.csv", [("统一社会信用代码", "期间", "工业总产值(千元)"),
                                             (USCC, PERIOD, "2500000"), (USCC2, "2021-13", "1")])
    obj = cli_json("import", f, "--kind", "monthly", "--db", demo_db_copy, "--skip-invalid")
    assert obj["report"][0]["rows_rejected"] == 1 and len(obj["errors"]) == 1


def test_xlsx_template_filled_in_and_imported(demo_db_copy: str, tmp_path: Path) -> None:
    import openpyxl

    db = demo_db_copy
    tpl = tmp_path / "月度指标.xlsx"
    cli("template", "monthly", "-o", tpl)
    wb = openpyxl.load_workbook(tpl)
    ws = wb.worksheets[0]
    headers = [c.value for c in ws[1]]
    assert headers[:2] == ["统一社会信用代码", "期间"] and len(wb.worksheets) >= 2   # data sheet + column sheet
    values = {"统一社会信用代码": USCC, "期间": "2022-01"}
    row = [values.get(h) for h in headers]
    row[headers.index(next(h for h in headers if h.startswith("工业总产值")))] = 123456.7
    ws.append(row)
    wb.save(tpl)
    r = cli_json("import", tpl, "--kind", "monthly", "--db", db)["report"][0]
    assert (r["rows_total"], r["rows_inserted"]) == (1, 1)
    assert q(db, "SELECT gross_output FROM monthly_value WHERE uscc = ? AND period = '2022-01'", [USCC]) \
        == [(pytest.approx(123456.7),)]
    assert cli_json("info", "--db", db)["meta"].get("periods", {}).get("last", "2022-01") == "2022-01"


# -- 2. warnings: run, list, ack → assign → confirm → resolve, audit trail -------------------------------------
def test_warning_run_and_lifecycle_with_audit_trail(demo_db_copy: str) -> None:
    db = demo_db_copy
    run = cli_json("warn", "--period", "2021-11", "--db", db)
    lists = assert_envelope(run, "warn")
    counts = run["meta"]["counts"]
    assert counts["active"] == len(lists["warnings"]) > 0
    assert counts["red"] + counts["orange"] + counts["yellow"] + counts["blue"] == counts["active"]
    # the demo city's planted trouble is found: a missing link (no local firm) shows as a segment warning
    seg_ids = {w["subject_id"] for w in lists["warnings"] if w["subject_level"] == "segment"}
    missing = {r[0] for r in q(db, "SELECT segment_id FROM demo_truth_segment WHERE kind = 'missing_link'")}
    assert seg_ids & missing

    listed = cli_json("warnings", "list", "--db", db)
    assert_envelope(listed)
    assert {w["id"] for w in listed["warnings"]} == {w["id"] for w in lists["warnings"]}
    wid = listed["warnings"][0]["id"]

    res = cli("--lang", "en", "warnings", "resolve", wid, "--note", "too early", "--db", db, code=1)
    assert "only allowed from" in " ".join(res.stderr.split()), res.stderr
    cli("warnings", "ack", wid, "--note", "已签收", "--actor", "analyst_li", "--db", db)
    cli("warnings", "assign", wid, "--to", "zhang", "--due", "2021-12-31", "--actor", "analyst_li", "--db", db)
    cli("warnings", "confirm", wid, "--note", "影响确认", "--actor", "analyst_li", "--db", db)
    cli("warnings", "resolve", wid, "--note", "已恢复生产", "--code", "recovered", "--actor", "lead_wang", "--db", db)

    shown = cli_json("--lang", "en", "warnings", "show", wid, "--db", db)
    lists = assert_envelope(shown)
    w = lists["warning"][0]
    assert w["state_code"] == "resolved" and w["owner"] == "zhang" and str(w["due_at"]).startswith("2021-12-31")
    ev = lists["events"]
    assert [e["to_state"] for e in ev] == ["new", "acknowledged", "acknowledged", "confirmed", "resolved"]
    assert [e["actor"] for e in ev[1:]] == ["analyst_li", "analyst_li", "analyst_li", "lead_wang"]
    assert ev[-1]["note"] == "已恢复生产"
    # resolved warnings leave the open list, stay in --all
    assert wid not in {x["id"] for x in cli_json("warnings", "list", "--db", db)["warnings"]}
    assert wid in {x["id"] for x in cli_json("warnings", "list", "--all", "--db", db)["warnings"]}
    # every write is in the audit log
    actions = q(db, "SELECT actor, action FROM audit_log WHERE object LIKE ? ORDER BY 1", [f"%{wid}%"])
    assert {a for a, _ in actions} >= {"analyst_li", "lead_wang"}


def test_english_warnings_use_english_segment_names(demo_db_copy: str) -> None:
    db = demo_db_copy
    cli("warn", "--period", "2021-11", "--db", db)
    names = dict(q(db, "SELECT segment_id, name_en FROM segment"))
    rows = cli_json("--lang", "en", "warnings", "list", "--subject", "segment", "--db", db)["warnings"]
    assert rows
    for w in rows:
        assert w["subject_name"] == names[w["subject_id"]]


# -- 3. bulletin and cross-surface consistency ----------------------------------------------------------------
def test_headline_is_the_same_in_stats_headline_and_web_api(demo_db_copy: str) -> None:
    from fastapi.testclient import TestClient

    from chainwatch.service import Chainwatch
    from chainwatch.web import create_app

    db = demo_db_copy
    stats = cli_json("stats", "--period", PERIOD, "--db", db)
    assert_envelope(stats, "stats")
    go = total_row(stats, "gross_output")
    # the district breakdown adds up to the city total
    by_d = cli_json("stats", "--period", PERIOD, "--by", "district", "--indicators", "gross_output", "--db", db)
    d_rows = [r for r in by_d["rows"] if r["group_type"] == "district"]
    assert sum(r["ytd_value"] for r in d_rows) == pytest.approx(go["ytd_value"], rel=1e-9)
    assert sum(r["n_enterprises"] for r in d_rows) == go["n_enterprises"]

    with Chainwatch(db, lang="zh", actor="test") as cw:
        head = cw.stats.headline(PERIOD)   # what the bulletin context and the dashboard read
        cw.users.add("analyst_li", "secret-pass-123", role="analyst")
        cw.users.add("haishu", "secret-pass-123", role="district", districts=["330203"])
    assert head["indicators"]["gross_output"]["ytd_value"] == pytest.approx(go["ytd_value"])
    assert head["indicators"]["gross_output"]["ytd_yoy_pct"] == pytest.approx(go["ytd_yoy_pct"], abs=1e-6)
    assert f"{go['ytd_yoy_pct']:.1f}%" in head["sentence"]

    with Chainwatch(db, actor="web") as cw:
        # warm=False: the start-up warm-up thread could still hold the connection when `cw` closes
        client = TestClient(create_app(cw=cw, warm=False), raise_server_exceptions=False)
        tok = client.post("/api/auth/login", json={"username": "analyst_li", "password": "secret-pass-123"})
        assert tok.status_code == 200, tok.text
        h = {"Authorization": f"Bearer {tok.json()['token']}"}
        api = client.get("/api/stats", params={"period": PERIOD}, headers=h)
        assert api.status_code == 200, api.text
        assert_envelope(api.json())
        a = total_row(api.json(), "gross_output")
        assert a["ytd_value"] == pytest.approx(go["ytd_value"])
        assert a["ytd_yoy_pct"] == pytest.approx(go["ytd_yoy_pct"], abs=1e-6)
        # the district official sees the district's own total, which is the district row of the city table
        tok2 = client.post("/api/auth/login", json={"username": "haishu", "password": "secret-pass-123"})
        h2 = {"Authorization": f"Bearer {tok2.json()['token']}"}
        mine = total_row(client.get("/api/stats", params={"period": PERIOD, "indicators": "gross_output"},
                                    headers=h2).json(), "gross_output")
        haishu = next(r for r in d_rows if r["group_id"] == "330203")
        assert mine["ytd_value"] == pytest.approx(haishu["ytd_value"])
        assert client.get(f"/api/enterprises/{USCC}", headers=h2).status_code in (403, 404)   # not in 海曙区
        assert client.get(f"/api/enterprises/{USCC}", headers=h).status_code == 200


@pytest.mark.slow
def test_bulletin_carries_the_stats_sentence_and_figures(demo_db_copy: str, tmp_path: Path) -> None:
    from chainwatch.service import Chainwatch

    db = demo_db_copy
    go = total_row(cli_json("stats", "--period", PERIOD, "--indicators", "gross_output", "--db", db), "gross_output")
    out = tmp_path / "月报.html"
    cli("report", "--period", PERIOD, "-o", out, "--db", db)
    html = out.read_text(encoding="utf-8")
    with Chainwatch(db, lang="zh", actor="test") as cw:
        sentence = cw.stats.sentence(PERIOD)
        ctx = cw.reports.context(PERIOD)
    assert sentence in html and f"{go['ytd_yoy_pct']:.1f}%" in sentence
    assert ctx["headline"]["indicators"]["gross_output"]["ytd_value"] == pytest.approx(go["ytd_value"])
    # the chain table of the bulletin: shares of the chains are those of `stats --by chain`
    by_chain = cli_json("stats", "--period", PERIOD, "--by", "chain", "--indicators", "gross_output", "--db", db)
    share = {r["group_id"]: r["share_pct"] for r in by_chain["rows"] if r["group_type"] == "chain"}
    assert {r["chain_id"]: r["share_pct"] for r in ctx["chains"]["rows"]} == pytest.approx(share)
    en = tmp_path / "bulletin.html"
    cli("--lang", "en", "report", "--period", PERIOD, "-o", en, "--db", db)
    with Chainwatch(db, lang="en", actor="test") as cw:
        assert cw.stats.sentence(PERIOD).rstrip(".") in html_lib.unescape(en.read_text(encoding="utf-8"))


def test_english_bulletin_sentence_has_one_full_stop(demo_db_copy: str) -> None:
    from chainwatch.report.context import _overview
    from chainwatch.service import Chainwatch

    with Chainwatch(demo_db_copy, lang="en", actor="test") as cw:
        first = _overview(cw, cw.stats.headline(PERIOD), "en")["paragraphs"][0]
    assert not first.endswith(".."), first


def test_demo_overview_table_agrees_with_stats(demo_db_copy: str) -> None:
    from chainwatch.demo.overview import summary
    from chainwatch.service import Chainwatch

    with Chainwatch(demo_db_copy, lang="zh", actor="test") as cw:
        head = pd.DataFrame(summary(cw).tables["headline"]).set_index("indicator")
        stats = cw.stats.headline(PERIOD)["indicators"]
    assert head.loc["gross_output", "ytd_value"] == pytest.approx(stats["gross_output"]["ytd_value"], rel=1e-6)
    assert head.loc["gross_output", "ytd_yoy_pct"] == pytest.approx(stats["gross_output"]["ytd_yoy_pct"], abs=0.05)


# -- 4. JSON envelopes of the reporting commands -------------------------------------------------------------
FAST_REPORTING = [
    ("info", ["info"]),
    ("chains", ["chains"]),
    ("chains", ["chains", "--chain", "nev"]),
    ("assess", ["assess", "--enterprise", "913302131318194381"]),
    ("policy list", ["policy", "list"]),
    ("trade", ["trade", "--period", "2021-11"]),
    ("bottleneck list", ["bottleneck", "list"]),
    ("users list", ["users", "list"]),
]
SLOW_REPORTING = [
    ("stats", ["stats", "--period", "2021-02", "--by", "all"]),
    ("chains critical", ["chains", "critical", "--chain", "nev"]),
    ("chains leaders", ["chains", "leaders", "--chain", "nev"]),
    ("warn", ["warn", "--check-rules"]),
    ("warnings summary", ["warnings", "summary", "--period", "2021-11"]),
    ("assess candidates", ["assess", "candidates", "--tier", "zjtx", "--limit", "5"]),
    ("assess gap", ["assess", "gap", "913302131318194381"]),
    ("assess pipeline", ["assess", "pipeline"]),
    ("assess rules", ["assess", "rules"]),
    ("policy match", ["policy", "match", "rd-subsidy-zjtx", "--limit", "5"]),
    ("policy for", ["policy", "for", "913302131318194381"]),
    ("trade country", ["trade", "--period", "2021-11", "--by", "country", "--top", "5"]),
    ("trade chain", ["trade", "--period", "2021-11", "--by", "chain"]),
    ("trade hs", ["trade", "--period", "2021-11", "--by", "hs"]),
    ("trade dependence", ["trade", "dependence", "--chain", "nev"]),
    ("trade groups list", ["trade", "groups", "list"]),
    ("shock list", ["shock", "list"]),
    ("shock esri", ["shock", "esri", "--top", "5"]),
]


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize(("name", "args"), FAST_REPORTING, ids=[n for n, _ in FAST_REPORTING])
def test_json_envelope(demo_db_copy: str, name: str, args: list[str], lang: str) -> None:
    obj = cli_json("--lang", lang, *args, "--db", demo_db_copy)
    assert_envelope(obj)
    assert obj["meta"]["lang"] == lang


@pytest.mark.slow
@pytest.mark.parametrize(("name", "args"), SLOW_REPORTING, ids=[n for n, _ in SLOW_REPORTING])
def test_json_envelope_slow(demo_db_copy: str, name: str, args: list[str]) -> None:
    assert_envelope(cli_json("--lang", "en", *args, "--db", demo_db_copy))


# -- 5. exit codes --------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("args", "code"), [
    (["stats", "--period", "2021-13"], 1),              # bad input
    (["stats", "--period", "2031-01"], 1),              # no data for the period
    (["stats", "--period", "2021-11", "--by", "nope"], 2),
    (["stats", "--period", "2021-11", "--bogus"], 2),
    (["warnings", "show", "999999"], 1),
    (["chains", "--chain", "nope"], 1),
    (["report", "--period", "2021-11", "--format", "json"], 2),
], ids=["bad-period", "no-data", "bad-by", "bad-option", "no-warning", "no-chain", "bad-report-format"])
def test_exit_codes(demo_db_copy: str, args: list[str], code: int) -> None:
    res = cli(*args, "--db", demo_db_copy, code=code)
    assert "Traceback" not in res.stdout + res.stderr


def test_users_add_without_password_is_a_usage_error(demo_db_copy: str) -> None:
    res = runner.invoke(app, ["users", "add", "bob", "--role", "analyst", "--db", demo_db_copy], input="")
    assert res.exit_code in (1, 2)


def test_db_path_that_is_not_a_database_is_refused(tmp_path: Path) -> None:
    f = tmp_path / "月度.csv"
    f.write_text("a,b\n1,2\n", encoding="utf-8")
    res = runner.invoke(app, ["init", "--db", str(f)])
    assert res.exit_code == 1


# -- 6. docs/json-output.md is the contract scripts rely on -----------------------------------------------
def documented_fields(command: str) -> dict[str, set[str]]:
    """``{list name: field names}`` documented for ``chainwatch <command>`` in docs/json-output.md."""
    doc = (Path(__file__).parents[2] / "docs" / "json-output.md").read_text(encoding="utf-8")
    head = f"### `chainwatch {command}`\n"
    assert head in doc, f"{command!r} is not documented"
    section = doc.split(head, 1)[1].split("\n### ", 1)[0].split("\n## ", 1)[0]
    out: dict[str, set[str]] = {}
    current = None
    for line in section.splitlines():
        if line.startswith("`") and line.rstrip().endswith(":"):
            current = line.split("`")[1]
            out[current] = set()
        elif line.startswith("| `") and current is not None:
            out[current].add(line.split("`")[1])
    return out


@pytest.mark.parametrize("command", ["info", "stats --period 2021-11", "policy list", "trade groups list",
                                     "users list"])
def test_documented_json_fields_are_emitted(demo_db_copy: str, command: str) -> None:
    doc = documented_fields(command)
    obj = cli_json(*command.split(), "--db", demo_db_copy)
    assert set(obj) >= set(doc), f"documented top-level keys missing: {set(doc) - set(obj)}"
    for name, fields in doc.items():
        if name == "meta":
            got = set(obj["meta"])
        elif obj[name]:
            got = set(obj[name][0])
        else:
            continue
        assert got >= fields, f"{command}: {name} lacks documented fields {sorted(fields - got)}"


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_default_error_key_is_translated(lang: str) -> None:
    import chainwatch.errors as errors
    from chainwatch.i18n import t

    keys = {c.default_key for c in vars(errors).values()
            if isinstance(c, type) and issubclass(c, errors.ChainwatchError) and hasattr(c, "default_key")}
    assert {"auth.required", "auth.forbidden"} <= keys
    assert [k for k in sorted(keys) if t(k, lang) == k] == []


@pytest.mark.slow
def test_dashboard_overview_and_trade_api_agree_with_the_cli(demo_db_copy: str) -> None:
    from fastapi.testclient import TestClient

    from chainwatch.service import Chainwatch
    from chainwatch.web import create_app

    db = demo_db_copy
    go = total_row(cli_json("stats", "--period", PERIOD, "--indicators", "gross_output", "--db", db), "gross_output")
    trade = cli_json("trade", "--period", "2021-11", "--db", db)
    with Chainwatch(db, lang="zh", actor="test") as cw:
        cw.users.add("viewer_wu", "secret-pass-123", role="viewer")
    with Chainwatch(db, actor="web") as cw:
        client = TestClient(create_app(cw=cw, warm=False), raise_server_exceptions=False)
        tok = client.post("/api/auth/login", json={"username": "viewer_wu", "password": "secret-pass-123"})
        h = {"Authorization": f"Bearer {tok.json()['token']}"}
        ov = client.get("/api/overview", params={"period": PERIOD}, headers=h)
        assert ov.status_code == 200, ov.text
        inds = {r["indicator"]: r for r in ov.json()["headline"]["indicators"]}
        assert inds["gross_output"]["ytd_value"] == pytest.approx(go["ytd_value"])
        assert inds["gross_output"]["ytd_yoy_pct"] == pytest.approx(go["ytd_yoy_pct"], abs=1e-6)
        api = client.get("/api/trade", params={"period": "2021-11"}, headers=h)
        assert api.status_code == 200, api.text
        key = ("flow", "key", "ytd_value")
        cli_rows = sorted(tuple(r[k] for k in key) for r in trade["rows"])
        api_rows = sorted(tuple(r[k] for k in key) for r in api.json()["rows"])
        assert len(cli_rows) >= 6 and all(r[2] is not None and r[2] > 0 for r in cli_rows)
        assert [r[:2] for r in api_rows] == [r[:2] for r in cli_rows]
        assert [r[2] for r in api_rows] == pytest.approx([r[2] for r in cli_rows])
