"""Small hand-made trade database for the trade tests (independent of the demo generator)."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from chainwatch.model.codes import make_uscc
from chainwatch.service import Chainwatch

PARTNERS = ["JPN", "KOR", "DEU", "VNM", "USA", "SGP", "HKG", "RUS"]
HS = ["85423100", "85423900", "85076000", "870380", "390110", "271000", "9801"]
ENTS = {  # uscc -> district
    make_uscc("91330200MA2AAAAA0"): "330206",
    make_uscc("91330200MA2AAAAB0"): "330206",
    make_uscc("91330200MA2AAAAC0"): "330212",
    make_uscc("91330200MA2AAAAD0"): "330282",
}


def trade_frame(seed: int = 7) -> pd.DataFrame:
    """Enterprise x partner x HS x month flows for 2020-01..2021-11 (values in 万元)."""
    rng = np.random.default_rng(seed)
    rows = []
    for year in (2020, 2021):
        for month in range(1, 12 if year == 2021 else 13):
            for i, uscc in enumerate(ENTS):
                for p in PARTNERS:
                    for h in HS:
                        for flow in ("import", "export"):
                            if rng.random() < 0.35:
                                continue
                            rows.append((uscc, None, p, h, f"{year}-{month:02d}", year, month, flow,
                                         float(rng.integers(1, 1000)) * (1 + 0.3 * i), None))
    return pd.DataFrame(rows, columns=["uscc", "region", "partner", "hs_code", "period", "year", "month", "flow",
                                       "value", "batch_id"])


def build(path: str | Path, seed: int = 7) -> pd.DataFrame:
    """Create the fixture database at ``path``; return its trade_flow frame."""
    flows = trade_frame(seed)
    with Chainwatch(str(path), actor="test") as cw:
        con = cw.store.con
        for uscc, d in ENTS.items():
            con.execute("INSERT INTO enterprise (uscc, name, district, industry, division, section) "
                        "VALUES (?, ?, ?, '3841', '38', 'C')",
                        [uscc, f"企业{uscc[-3:]}", d])
        con.execute("INSERT INTO chain (chain_id, name_zh, name_en) VALUES ('nev', '新能源汽车', 'New-energy vehicles'), "
                    "('chem', '绿色石化', 'Green petrochemicals')")
        segs = [("nev_chip", "nev", "车规芯片", "Automotive chips", "upstream"),
                ("nev_battery", "nev", "动力电池", "Batteries", "midstream"),
                ("nev_vehicle", "nev", "整车", "Vehicles", "downstream"),
                ("nev_software", "nev", "车载软件", "Vehicle software", "midstream"),
                ("chem_poly", "chem", "聚乙烯", "Polyethylene", "midstream"),
                ("chem_fuel", "chem", "成品油", "Refined oil", "upstream")]
        con.executemany("INSERT INTO segment (segment_id, chain_id, name_zh, name_en, position) VALUES (?, ?, ?, ?, ?)", segs)
        prods = [("nev_chip", "8542"), ("nev_chip", "854231"), ("nev_battery", "850760"),
                 ("nev_vehicle", "8703"), ("chem_poly", "3901"), ("chem_fuel", "2710"), ("nev_battery", "3901")]
        con.executemany("INSERT INTO segment_product (segment_id, hs_code) VALUES (?, ?)", prods)
        u = list(ENTS)
        se = [("nev_chip", u[0]), ("nev_battery", u[1]), ("nev_vehicle", u[2]), ("chem_poly", u[3]),
              ("chem_fuel", u[3]), ("nev_vehicle", u[1])]
        con.executemany("INSERT INTO segment_enterprise (segment_id, uscc) VALUES (?, ?)", se)
        mv = []
        for uscc in u:
            for year in (2020, 2021):
                for month in range(1, 13):
                    mv.append((uscc, f"{year}-{month:02d}", year, month, 400000.0 + 1000 * month))
        con.executemany("INSERT INTO monthly_value (uscc, period, year, month, gross_output) VALUES (?, ?, ?, ?, ?)", mv)
        con.register("flows_df", flows)
        con.execute("INSERT INTO trade_flow (uscc, region, partner, hs_code, period, year, month, flow, value) "
                    "SELECT uscc, region, partner, hs_code, period, year, month, flow, value FROM flows_df")
        con.unregister("flows_df")
    return flows


@pytest.fixture(scope="session")
def trade_db(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, pd.DataFrame]:
    """(path, trade_flow frame) of a read-mostly fixture database; copy it before writing."""
    path = tmp_path_factory.mktemp("trade") / "trade.duckdb"
    flows = build(path)
    return str(path), flows


@pytest.fixture()
def cw_rw(tmp_path: Path, trade_db: tuple[str, pd.DataFrame]):
    """A fresh writable copy of the fixture database (for group edits and imports)."""
    path = tmp_path / "rw.duckdb"
    shutil.copyfile(trade_db[0], path)
    with Chainwatch(str(path), actor="tester") as cw:
        yield cw


@pytest.fixture(scope="session")
def trade_ents() -> dict[str, str]:
    """USCC -> district of the fixture enterprises, in insertion order."""
    return dict(ENTS)
