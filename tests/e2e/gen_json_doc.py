"""Generate docs/json-output.md by running every reporting command with ``--format json`` on a demo city.

Usage (from the repository root; takes a few minutes on the default demo city)::

    chainwatch demo --db /tmp/e2e/demo.duckdb
    python tests/e2e/gen_json_doc.py /tmp/e2e/demo.duckdb docs/json-output.md

The database is copied first (the commands that write — warn, shock --save, bottleneck, policy add … —
write to the copy). Every command is run in-process through Typer's CliRunner, exactly as typed on the
command line; the document lists, for each, the ``meta`` fields and every named row list with its field
names, JSON types and one example value taken from the first row.
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from chainwatch.cli.main import app

ZJTX = "913302131318194381"
TABLE = "/work/shared/data/china_io/china_2018_42.csv"

SCENARIO = """name: 电芯环节停产两个月
horizon_months: 6
shocks:
  - segment: nev.cells
    capacity_pct: 0
    months: 2
"""
SCENARIO2 = """name: 日本芯片断供六个月
horizon_months: 12
inventory_days: 20
shocks:
  - country: JPN
    hs: ["8542"]
    capacity_pct: 10
    months: 6
"""

# (section, command line as the user types it, without --db/--format)
COMMANDS: list[tuple[str, str]] = [
    ("Data", "info"),
    ("Data", "import {monthly} --kind monthly"),
    ("Statistics", "stats --period 2021-11"),
    ("Statistics", "stats --period 2021-11 --by chain,district --indicators gross_output"),
    ("Chains", "chains"),
    ("Chains", "chains --chain nev"),
    ("Chains", "chains critical --chain nev"),
    ("Chains", "chains leaders --chain nev --top 3"),
    ("Chains", "bottleneck add --from-segment ic.eda_ip --owner 市经信局 --target-date 2022-12-31"),
    ("Chains", "bottleneck update BN-0001 --status in_progress --note 已立项"),
    ("Chains", "bottleneck list"),
    ("Chains", "bottleneck show BN-0001"),
    ("Warnings", "warn --check-rules"),
    ("Warnings", "warn --period 2021-11"),
    ("Warnings", "warnings list --limit 3"),
    ("Warnings", "warnings summary --period 2021-11"),
    ("Warnings", "warnings ack {wid} --note 已签收"),
    ("Warnings", "warnings show {wid}"),
    ("Shock", "shock {scenario} --save cells2m"),
    ("Shock", "shock {scenario2} --save chips6m"),
    ("Shock", "shock list"),
    ("Shock", "shock compare cells2m chips6m"),
    ("Shock", "shock esri --top 3"),
    ("Shock", "io leontief --table " + TABLE + " --top 3"),
    ("Shock", "io ghosh --table " + TABLE + " --top 3"),
    ("Shock", "io iim --table " + TABLE + " --capacity 03=50 --top 3"),
    ("Shock", "io extract --table " + TABLE + " --top 3"),
    ("Shock", "io tables import " + TABLE + " --name nbs2018_42 --note NBS"),
    ("Shock", "io tables list"),
    ("Shock", "io tables show nbs2018_42"),
    ("Cultivation", "assess --enterprise " + ZJTX),
    ("Cultivation", "assess --all --tier zjtx"),
    ("Cultivation", "assess candidates --tier zjtx --limit 3"),
    ("Cultivation", "assess gap " + ZJTX),
    ("Cultivation", "assess pipeline"),
    ("Cultivation", "assess rules"),
    ("Policy", "policy list"),
    ("Policy", "policy match rd-subsidy-zjtx --limit 3"),
    ("Policy", "policy for " + ZJTX),
    ("Trade", "trade --period 2021-11"),
    ("Trade", "trade --period 2021-11 --by country --top 3"),
    ("Trade", "trade --period 2021-11 --by chain"),
    ("Trade", "trade --period 2021-11 --by segment --top 3"),
    ("Trade", "trade --period 2021-11 --by hs"),
    ("Trade", "trade dependence --chain nev --top 2"),
    ("Trade", "trade groups list"),
    ("Trade", "trade groups show rcep"),
    ("Trade", "trade world list"),
    ("Users", "users list"),
    ("Users", "audit list --action user. --limit 3"),
    ("Users", "audit verify"),
]


def jtype(v: Any) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "boolean"
    if isinstance(v, int):
        return "integer"
    if isinstance(v, float):
        return "number"
    if isinstance(v, str):
        return "string"
    if isinstance(v, list):
        return "array"
    return "object"


def example(v: Any, width: int = 48) -> str:
    if isinstance(v, float):
        v = round(v, 2)
    if isinstance(v, str) and v.endswith(".duckdb"):
        v = "demo.duckdb"
    if isinstance(v, str) and v == TABLE:
        v = Path(TABLE).name
    s = json.dumps(v, ensure_ascii=False)
    s = s.replace("|", "\\|").replace("\n", " ")
    return s if len(s) <= width else s[: width - 1] + "…"


def field_table(obj: dict[str, Any] | None, rows: list[dict[str, Any]] | None = None) -> list[str]:
    """Markdown table of fields: name, JSON type(s) seen, example."""
    rows = rows if rows is not None else [obj or {}]
    names: list[str] = []
    for r in rows:
        for k in r:
            if k not in names:
                names.append(k)
    out = ["| field | type | example |", "|---|---|---|"]
    for k in names:
        types = sorted({jtype(r.get(k)) for r in rows if k in r} - ({"null"} if len(rows) > 1 else set()))
        ex = next((r[k] for r in rows if r.get(k) is not None), None)
        out.append(f"| `{k}` | {' or '.join(types) or 'null'} | {example(ex)} |")
    return out


def main(src: str, dst: str) -> int:
    runner = CliRunner()
    tmp = Path(tempfile.mkdtemp(prefix="cw-jsondoc-"))
    db = str(tmp / "demo.duckdb")
    shutil.copyfile(src, db)
    (tmp / "cells.yaml").write_text(SCENARIO, encoding="utf-8")
    (tmp / "chips.yaml").write_text(SCENARIO2, encoding="utf-8")
    monthly = tmp / "12月修正.csv"
    monthly.write_bytes("统一社会信用代码,期间,工业总产值(千元)\r\n9133021293687109XH,2021-12,2502275.6\r\n"
                        .encode("gbk"))
    subs = {"monthly": str(monthly), "scenario": str(tmp / "cells.yaml"), "scenario2": str(tmp / "chips.yaml"),
            "wid": ""}
    lines = [
        "# JSON output of the reporting commands",
        "",
        "<!-- generated by tests/e2e/gen_json_doc.py from the demo city; do not edit by hand -->",
        "",
        "Every reporting command takes `--format json` and prints **one JSON object** on standard output:",
        "`meta` (what was computed, on which database, in which language and units) and one or more **named",
        "lists of rows** (each row an object with the same fields). The web API returns the same shapes",
        "(`GET /api/stats` = `chainwatch stats --format json`, and so on). Scripts should read the lists by",
        "name and the fields by name; new fields may be added, existing ones keep their name and meaning.",
        "",
        "Conventions (all commands):",
        "",
        "- Money is in the unit stated in `meta.units` / `meta.money_unit` (canonical **万元**, 10,000 CNY).",
        "- Fields ending in `_pct` are percentages (19.8 means 19.8 %), `_pp` percentage points.",
        "- Numbers are JSON numbers, never strings; a value that cannot be computed (no base, zero",
        "  denominator) is `null` — never `NaN` or `Infinity`.",
        "- Texts meant for people (`name`, `explanation`, `why`, `text` …) follow `--lang zh|en`;",
        "  codes (`indicator`, `state_code`, `rule_id`, `group_id` …) do not.",
        "- Common `meta` fields: `command`, `chainwatch_version`, `generated_at` (local time, ISO 8601),",
        "  `database` (the DuckDB file, or `postgresql://user@host:port/dbname` — never a password), `lang`;",
        "  most add `period` and `units`.",
        "- Errors are not JSON: the command prints a one-line message on standard error and exits with",
        "  1 (bad input), 2 (wrong usage) or 3 (database busy).",
        "",
        "The field lists below were produced by running each command, as shown, with",
        "`--db demo.duckdb --format json` on the default demo city (`chainwatch demo`, seed 2021). Examples",
        "are from the first row (zh). Lists that were empty on the demo city show no fields.",
        "",
    ]
    section = None
    failures: list[str] = []
    for sec, cmd in COMMANDS:
        line = cmd.format(**subs)
        args = line.split() + ["--db", db, "--format", "json"]
        res = runner.invoke(app, args)
        shown = cmd.format(monthly="12月修正.csv", scenario="cells.yaml", scenario2="chips.yaml",
                           wid=subs["wid"] or "ID").replace(TABLE, Path(TABLE).name)
        if res.exit_code != 0:
            failures.append(f"{shown}: exit {res.exit_code}: {res.stderr.strip()[:200]}")
            print("FAILED", shown, res.exit_code, res.stderr[:300], file=sys.stderr)
            continue
        try:
            obj = json.loads(res.stdout)
        except ValueError:
            failures.append(f"{shown}: stdout is not JSON")
            print("NOT JSON", shown, file=sys.stderr)
            continue
        if cmd.startswith("warnings list") and obj.get("warnings"):
            subs["wid"] = str(obj["warnings"][0]["id"])
        if sec != section:
            lines += [f"## {sec}", ""]
            section = sec
        lists = [k for k in obj if k != "meta"]
        lines += [f"### `chainwatch {shown}`", "",
                  "Top-level keys: " + ", ".join(f"`{k}`" for k in obj) + ".", "", "`meta`:", ""]
        lines += field_table(obj.get("meta", {}))
        lines.append("")
        for k in lists:
            v = obj[k]
            if isinstance(v, list) and v and isinstance(v[0], dict):
                lines += [f"`{k}` ({len(v)} rows on the demo city):", ""]
                lines += field_table(None, v)
            elif isinstance(v, list):
                kind = "strings" if v and isinstance(v[0], str) else "rows"
                lines += [f"`{k}`: a list of {kind} ({len(v)} on the demo city)."]
            else:
                lines += [f"`{k}`: {jtype(v)}."]
            lines.append("")
        print("ok", shown, file=sys.stderr)
    lines += ["## Not shown here", "",
              "- `chainwatch chains targets` needs the investment directory (`chains directory import`), and",
              "  `chainwatch trade rca` the world export reference (`trade world import`); the demo city has",
              "  neither.",
              "- `chainwatch report` writes files (HTML, PDF, DOCX), not JSON; the bulletin's data is",
              "  `cw.reports.context(period)` in Python.",
              "- `chainwatch demo --format json` returns `meta` with the build parameters and the lists",
              "  `counts` and `headline`.",
              "- `chainwatch store copy --from A --to B --format json` (issue 22) returns `meta` with `source`, `target`",
              "  (both as display names, never a password), `seconds` and `rows` (total), and the lists `tables`",
              "  (`table`, `rows`: rows in the target after the copy) and `sequences` (`sequence`, `next_value`).", ""]
    if failures:
        lines += ["## Commands that failed while generating", ""] + [f"- {f}" for f in failures] + [""]
    Path(dst).write_text("\n".join(lines), encoding="utf-8")
    shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1], sys.argv[2]))
