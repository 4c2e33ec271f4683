"""IO tables as named records (finding 1) and the IO parts of finding 14 (no stray database,
percentage shocks, sector codes as numbers, the percentage base)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from chainwatch.analytics.shock.io import read_table
from chainwatch.cli.main import app
from chainwatch.errors import InputError, NotFound
from chainwatch.service import Chainwatch
from chainwatch.service.shock import ShockService
from chainwatch.settings import load_settings

from .conftest import realdata

runner = CliRunner()

PLAIN = "sector,s1,s2,fd,x\ns1,10,20,70,100\ns2,30,10,160,200\n"


def nbs2020() -> Path:
    return realdata("china_io") / "china_2020_153.csv"


def test_import_list_show_remove_and_a_scenario_by_name(tmp_path: Path) -> None:
    f = tmp_path / "plain.csv"
    f.write_text(PLAIN)
    with Chainwatch(tmp_path / "c.duckdb", actor="test") as cw:
        res = cw.io_tables.import_file(f, "tiny", note="two sectors")
        assert res.tables["table"].iloc[0]["sectors"] == 2
        listed = cw.io_tables.list().tables["tables"]
        assert list(listed["name"]) == ["tiny"] and listed.iloc[0]["origin"] == "database"
        assert "content" not in listed.columns
        shown = cw.io_tables.show("tiny").tables["sectors"]
        assert list(shown["sector"]) == ["s1", "s2"] and list(shown["final_use"]) == [70.0, 160.0]
        with pytest.raises(InputError) as e:
            cw.io_tables.import_file(f, "tiny")
        assert e.value.key == "sec.io.exists"
        cw.io_tables.import_file(f, "tiny", replace=True)
        out = cw.shock.run({"model": "leontief", "table": "tiny", "shocks": [{"sector": "s1", "demand_change": -7}]})
        direct = ShockService.without_database("en").io("leontief", str(f), {"s1": -7}, local_files=True)
        assert np.allclose(out.tables["summary"]["output_change"], direct.tables["summary"]["output_change"])
        audit = cw.store.rows("SELECT action, object FROM audit_log WHERE action LIKE 'io.table.%' ORDER BY ts")
        assert ("io.table.import", "tiny") in audit
        cw.io_tables.remove("tiny")
        assert cw.io_tables.list().tables["tables"].empty
        with pytest.raises(NotFound):
            cw.io_tables.remove("tiny")


@pytest.mark.parametrize("name", ["../x", "/etc/shadow", "a/b", "", "x" * 65, ".hidden", "a..b", "na me"])
def test_bad_names_are_refused_at_import(tmp_path: Path, name: str) -> None:
    f = tmp_path / "plain.csv"
    f.write_text(PLAIN)
    with Chainwatch(tmp_path / "c.duckdb") as cw, pytest.raises(InputError) as e:
        cw.io_tables.import_file(f, name)
    assert e.value.key == "sec.io.bad_name"


def test_import_validates_with_the_model_readers(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("sector,s1,s2,fd\ns1,1,x,3\ns2,1,2,3\n")
    inf = tmp_path / "inf.csv"
    inf.write_text("sector,s1,s2,fd\ns1,1,inf,3\ns2,1,2,3\n")
    with Chainwatch(tmp_path / "c.duckdb") as cw:
        with pytest.raises(InputError) as e:
            cw.io_tables.import_file(bad, "bad")
        assert e.value.key == "shock.io.not_number"
        with pytest.raises(InputError) as e:
            cw.io_tables.import_file(inf, "inf")
        assert e.value.key == "sec.io.not_finite"
        assert cw.io_tables.list().tables["tables"].empty


def test_sector_and_size_limits(tmp_path: Path) -> None:
    f = tmp_path / "plain.csv"
    f.write_text(PLAIN)
    settings = load_settings(io_max_sectors=1, io_table_max_mb=1)
    with Chainwatch(tmp_path / "c.duckdb", settings=settings) as cw:
        with pytest.raises(InputError) as e:
            cw.io_tables.import_file(f, "tiny")
        assert e.value.key == "sec.io.too_many_sectors" and "io_max_sectors" in e.value.message("en")
        big = tmp_path / "big.csv"
        big.write_bytes(b"sector,s1\n" + b"s1,1\n" * 300_000)
        with pytest.raises(InputError) as e:
            cw.io_tables.import_file(big, "big")
        assert e.value.key == "sec.io.too_large"


def test_scenario_mapping_never_opens_a_named_path(tmp_path: Path) -> None:
    """Regression (0.1.0 opened the file a mapping named: /dev/zero grew the server to 8 GB)."""
    f = tmp_path / "plain.csv"
    f.write_text(PLAIN)
    with Chainwatch(tmp_path / "c.duckdb") as cw:
        answers = []
        for table in (str(f), "/dev/zero", "/etc/shadow", str(tmp_path / "missing.csv"), "../plain.csv", "nope"):
            with pytest.raises(NotFound) as e:
                cw.shock.run({"model": "leontief", "table": table,
                              "shocks": [{"sector": "s1", "demand_change": -1}]})
            answers.append((e.value.key, e.value.http_status))
        assert set(answers) == {("sec.io.unknown_table", 404)}
        # a local user's scenario *file* may still name a table file next to it
        scen = tmp_path / "s.yaml"
        scen.write_text("model: leontief\ntable: plain.csv\nshocks:\n  - sector: s1\n    demand_change: -1\n")
        assert cw.shock.run(scen).tables["summary"]["output_change"].iat[0] < 0


def test_tables_folder_is_confined(tmp_path: Path) -> None:
    folder = tmp_path / "tables"
    folder.mkdir()
    (folder / "ok.csv").write_text(PLAIN)
    (folder / "evil.csv").symlink_to("/etc/passwd")
    (folder / "inner.csv").symlink_to(folder / "ok.csv")
    os.mkfifo(folder / "fifo.csv")
    (folder / "sub").mkdir()
    (folder / "sub" / "deep.csv").write_text(PLAIN)
    settings = load_settings(io_tables_dir=str(folder))
    with Chainwatch(tmp_path / "c.duckdb", settings=settings) as cw:
        listed = cw.io_tables.list().tables["tables"]
        assert list(listed["name"]) == ["ok"] and listed.iloc[0]["origin"] == "folder"
        assert cw.shock.run({"model": "leontief", "table": "ok",
                             "shocks": [{"sector": "s2", "demand_change_pct": -10}]}).tables["summary"] is not None
        for name in ("evil", "inner", "fifo", "sub/deep", "../tables/ok", str(folder / "ok.csv")):
            with pytest.raises(NotFound) as e:
                cw.io_tables.load(name)
            assert e.value.key == "sec.io.unknown_table"
    # without a database, the folder still serves names
    res = ShockService.without_database("en", settings).io("leontief", "ok", {"s1": -1})
    assert res.meta["table"] == "ok"


def test_io_scenario_without_db_creates_no_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Regression (0.1.0 created a 2.9 MB chainwatch.duckdb in the working directory)."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CHAINWATCH_DB", raising=False)
    (tmp_path / "plain.csv").write_text(PLAIN)
    (tmp_path / "s.yaml").write_text("model: leontief\ntable: plain.csv\nshocks:\n"
                                     "  - sector: s1\n    demand_change_pct: -10\n")
    r = runner.invoke(app, ["shock", "s.yaml", "--format", "json"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["meta"]["database"] is None
    assert not (tmp_path / "chainwatch.duckdb").exists()


@pytest.mark.realdata
def test_percent_and_number_codes_on_the_command_line(tmp_path: Path) -> None:
    """Regression: 0.1.0 refused --shock 079=-10% and said 'no sector 79' for --shock 79=…"""
    table = str(nbs2020())
    outs = {}
    for shock in ("079=-10%", "79=-10%", "79=−10 %"):
        r = runner.invoke(app, ["io", "leontief", "--table", table, "--shock", shock, "--format", "json", "--top", "0"])
        assert r.exit_code == 0, r.output
        outs[shock] = json.loads(r.output)["summary"][0]["output_change"]
    assert len(set(outs.values())) == 1
    r = runner.invoke(app, ["io", "leontief", "--table", table, "--shock", "79=-0.1", "--format", "json"])
    assert r.exit_code == 0, r.output
    # the percentage is of total final use (TFU), not of TFU − IM
    tab = read_table(table)
    j = tab.index_of("079")
    direct = ShockService.without_database("en").io("leontief", table, {"079": -0.1 * tab.final_use[j]},
                                                     local_files=True)
    assert np.isclose(outs["079=-10%"], direct.tables["summary"]["output_change"].iat[0], rtol=1e-12)
    for bad in ("079=-10%%", "079=abc", "=5", "079=nan"):
        r = runner.invoke(app, ["--lang", "en", "io", "leontief", "--table", table, "--shock", bad])
        assert r.exit_code == 1 and "SECTOR=NUMBER" in r.output


@pytest.mark.realdata
def test_percentage_on_a_non_positive_base_is_refused_naming_the_sectors() -> None:
    tab = read_table(nbs2020())
    bad = [tab.sectors[j] for j in np.flatnonzero(tab.final_use <= 0)]
    assert bad, "NBS 2020 has sectors with TFU <= 0"
    svc = ShockService.without_database("en")
    with pytest.raises(InputError) as e:
        svc.io("leontief", str(nbs2020()), pct_shocks={bad[0]: -10}, local_files=True)
    assert e.value.key == "sec.io.pct_base_tfu" and bad[0] in e.value.message("en")
    assert "最终使用合计" in e.value.message("zh")
    # the old base (TFU − IM) was negative for about 21 sectors; TFU is positive for almost all
    assert (tab.f <= 0).sum() > 10 and (tab.final_use <= 0).sum() <= 3


def test_too_many_shocks(tmp_path: Path) -> None:
    f = tmp_path / "plain.csv"
    f.write_text(PLAIN)
    with Chainwatch(tmp_path / "c.duckdb", settings=load_settings(sim_max_shocks=2)) as cw:
        cw.io_tables.import_file(f, "tiny")
        with pytest.raises(InputError) as e:
            cw.shock.run({"model": "leontief", "table": "tiny",
                          "shocks": [{"sector": "s1", "demand_change": -1}] * 3})
        assert e.value.key == "sec.sim.too_many_shocks"


def test_cli_io_tables_commands(tmp_path: Path) -> None:
    db = str(tmp_path / "c.duckdb")
    f = tmp_path / "plain.csv"
    f.write_text(PLAIN)
    r = runner.invoke(app, ["io", "tables", "import", str(f), "--name", "tiny", "--db", db, "--format", "json"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["table"][0]["name"] == "tiny"
    r = runner.invoke(app, ["io", "tables", "list", "--db", db, "--format", "json"])
    assert [t["name"] for t in json.loads(r.output)["tables"]] == ["tiny"]
    r = runner.invoke(app, ["io", "leontief", "--table", "tiny", "--shock", "s1=-10%", "--db", db, "--format", "json"])
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["--lang", "en", "io", "tables", "import", str(f), "--name", "../x", "--db", db])
    assert r.exit_code == 1 and "never a path" in r.output
    r = runner.invoke(app, ["io", "tables", "remove", "tiny", "--db", db])
    assert r.exit_code == 0
    r = runner.invoke(app, ["--lang", "en", "io", "tables", "show", "tiny", "--db", db])
    assert r.exit_code == 1 and "No IO table named 'tiny'" in r.output
