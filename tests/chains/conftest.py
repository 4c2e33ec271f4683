"""A small hand-made city with one chain whose indicators are known by hand (see test_service.py).

Chain ``nev`` (segments, local firms with output in 万元):

    li (A 100) ──▶ cath (B 80, C 20) ──▶ cell (D 500) ──▶ pack (E 300, F 100, G 50) ──▶ veh (H 2000)
    anode (none) ─▶ cell                       bms (I 40) ──▶ pack
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from chainwatch.model.codes import make_uscc
from chainwatch.service import Chainwatch

WILLEMS = Path(__file__).resolve().parents[3] / "shared" / "data" / "willems2008"
if not WILLEMS.is_dir():
    WILLEMS = Path("/work/shared/data/willems2008")

F = {k: make_uscc(f"91330203MA2C{i:05d}") for i, k in enumerate("ABCDEFGHIJ")}
OUTPUT = {"A": 100, "B": 80, "C": 20, "D": 500, "E": 300, "F": 100, "G": 50, "H": 2000, "I": 40, "J": 10}

CHAIN_YAML = f"""\
chain:
  id: nev
  name_zh: 新能源汽车
  name_en: New-energy vehicles
segments:
  - id: nev.li
    name_zh: 锂盐
    name_en: Lithium salts
    position: 上游
    hs: [283691]
    enterprises:
      - {{uscc: {F['A']}, main: true}}
  - id: nev.anode
    name_zh: 负极材料
    name_en: Anode materials
    position: upstream
    hs: ["3801"]
  - id: nev.cath
    name_zh: 正极材料
    name_en: Cathode materials
    position: upstream
    hs: [3824.99]
    enterprises: [{F['B']}, {F['C']}]
  - id: nev.cell
    name_zh: 电芯
    name_en: Battery cells
    position: midstream
    hs: [850760]
    enterprises: [{F['D']}]
  - id: nev.bms
    name_zh: 电池管理系统
    name_en: Battery management systems
    position: midstream
    hs: [853710]
    enterprises: [{F['I']}]
  - id: nev.pack
    name_zh: 电池包
    name_en: Battery packs
    position: midstream
    hs: [850790]
    weight: 2
    enterprises: [{F['E']}, {F['F']}, {F['G']}]
  - id: nev.veh
    name_zh: 整车
    name_en: Vehicles
    position: downstream
    hs: [8703]
    enterprises: [{F['H']}]
edges:
  - {{from: nev.li, to: nev.cath}}
  - [nev.cath, nev.cell]
  - nev.anode -> nev.cell
  - {{from: nev.cell, to: nev.pack}}
  - {{from: nev.bms, to: nev.pack}}
  - {{from: nev.pack, to: nev.veh}}
"""

# supplier, buyer, hs, value; supplier names starting with '@' are external: '@name|country|region'
LINKS = [
    ("A", "B", "283691", 50), ("@SQM|CHL|", "C", "283691", 30),
    ("B", "D", "382499", 80), ("C", "D", "382499", 20),
    ("@苏州正极|CHN|320500", "D", "382499", 100), ("@杭州正极|CHN|330100", "D", "382499", 50),
    ("D", "E", "850760", 200), ("D", "F", "850760", 100), ("I", "E", "853710", 40),
    ("E", "H", "850790", 300), ("F", "H", "850790", 100), ("G", "H", "850790", 50),
    ("J", "H", "401110", 10),  # tyres: outside the chain's products
]
TRADE = [("283691", "CHL", "import", 600), ("283691", "ARG", "import", 300), ("283691", "AUS", "import", 100),
         ("850760", "KOR", "import", 50), ("850760", "DEU", "export", 200)]


def build_city(cw: Chainwatch, tmp_path: Path) -> None:
    con = cw.store.con
    for k, u in F.items():
        con.execute("INSERT INTO enterprise (uscc, name, district, industry, division, section) VALUES (?,?,?,?,?,?)",
                    [u, f"{k}公司", "330203" if k != "D" else "330212", "3841", "38", "C"])
        con.execute("""INSERT INTO monthly_value (uscc, period, year, month, gross_output) VALUES (?, '2023-06', 2023, 6, ?)""",
                    [u, float(OUTPUT[k])])
    for i, (s, b, hs, v) in enumerate(LINKS):
        if s.startswith("@"):
            name, country, region = s[1:].split("|")
            con.execute("""INSERT INTO supply_link (link_id, supplier_name, supplier_country, supplier_region, buyer_uscc,
                           hs_code, year, annual_value) VALUES (?,?,?,?,?,?,2023,?)""",
                        [f"L{i}", name, country, region or None, F[b], hs, float(v)])
        else:
            con.execute("""INSERT INTO supply_link (link_id, supplier_uscc, buyer_uscc, hs_code, year, annual_value)
                           VALUES (?,?,?,?,2023,?)""", [f"L{i}", F[s], F[b], hs, float(v)])
    for hs, partner, flow, v in TRADE:
        con.execute("""INSERT INTO trade_flow (region, partner, hs_code, period, year, month, flow, value)
                       VALUES ('3302', ?, ?, '2023-06', 2023, 6, ?, ?)""", [partner, hs, flow, float(v)])
    path = tmp_path / "nev.yaml"
    path.write_text(CHAIN_YAML, encoding="utf-8")
    cw.chains.import_map(path)


@pytest.fixture(scope="session")
def _city_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The fixture city, built once per session; tests get private copies."""
    folder = tmp_path_factory.mktemp("chains_city")
    cw = Chainwatch(folder / "city.duckdb", lang="en", actor="test")
    build_city(cw, folder)
    cw.store.con.execute("CHECKPOINT").fetchall()
    cw.close()
    return folder / "city.duckdb"


@pytest.fixture
def city_path(_city_file: Path, tmp_path: Path) -> Path:
    """Path of a private copy of the fixture city database."""
    dst = tmp_path / "city.duckdb"
    shutil.copyfile(_city_file, dst)
    return dst


@pytest.fixture
def city(city_path: Path) -> Chainwatch:
    cw = Chainwatch(city_path, lang="en", actor="test")
    yield cw
    cw.close()


@pytest.fixture
def firms() -> dict[str, str]:
    """Letter → USCC of the fixture city's firms."""
    return dict(F)


@pytest.fixture
def chain_yaml() -> str:
    return CHAIN_YAML
