"""Fixtures of the shock tests: a small city with a supply network, and paths of the shared real data."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from chainwatch.service import Chainwatch

DATA = Path(__file__).resolve().parents[3] / "shared" / "data"
if not DATA.exists():
    DATA = Path("/work/shared/data")


def realdata(folder: str) -> Path:
    path = DATA / folder
    if not path.exists():
        pytest.skip(f"real data folder {path} is absent (tests marked realdata need ../shared/data)")
    return path


# A chain: two parts makers (A, B; B also imports HS 8542 from JPN), an assembler C buying from both
# (A essential, B non-essential), a second assembler D buying from A only, and an OEM E buying from C and D.
FIRMS = [("A", "Parts A", "330203"), ("B", "Parts B", "330203"), ("C", "Assembler C", "330205"),
         ("D", "Assembler D", "330205"), ("E", "OEM E", "330206"), ("F", "Isolated F", "330206")]
LINKS = [  # supplier_uscc, supplier_name, country, buyer, hs, segment, value, essential
    ("A", None, "CHN", "C", "8708", "S1", 60.0, True),
    ("B", None, "CHN", "C", "8708", "S1b", 40.0, False),
    ("A", None, "CHN", "D", "8708", "S1", 50.0, True),
    ("C", None, "CHN", "E", "8703", "S2", 100.0, True),
    ("D", None, "CHN", "E", "8703", "S2", 100.0, True),
    (None, "Tokyo Chips", "JPN", "B", "854231", None, 30.0, True),
    (None, "Local Steel", "CHN", "A", "7208", None, 20.0, True),
]
OUTPUT = {"A": 200.0, "B": 100.0, "C": 300.0, "D": 240.0, "E": 1200.0, "F": 120.0}  # annual, 万元


def build_city(cw: Chainwatch) -> None:
    st = cw.store
    for u, name, d in FIRMS:
        st.execute("INSERT INTO enterprise (uscc, name, district, industry, division, section) VALUES (?,?,?,?,?,?)",
                   [u, name, d, "3670", "36", "C"])
        for mth in range(1, 13):
            st.execute("INSERT INTO monthly_value (uscc, period, year, month, gross_output) VALUES (?,?,?,?,?)",
                       [u, f"2025-{mth:02d}", 2025, mth, OUTPUT[u] / 12])
    st.execute("INSERT INTO chain VALUES ('AUTO', '汽车', 'Autos', NULL, NULL)")
    for sid, pos in (("S1", "upstream"), ("S1b", "upstream"), ("S2", "midstream"), ("S3", "downstream")):
        st.execute("INSERT INTO segment VALUES (?, 'AUTO', ?, ?, ?, NULL)", [sid, f"环节{sid}", f"Segment {sid}", pos])
    for u, sid in (("A", "S1"), ("B", "S1b"), ("C", "S2"), ("D", "S2"), ("E", "S3")):
        st.execute("INSERT INTO segment_enterprise VALUES (?, ?, TRUE, NULL)", [sid, u])
    for k, (su, sn, c, b, hs, seg, v, e) in enumerate(LINKS):
        st.execute("""INSERT INTO supply_link (link_id, supplier_uscc, supplier_name, supplier_country, buyer_uscc,
                      hs_code, segment_id, year, annual_value, essential) VALUES (?,?,?,?,?,?,?,?,?,?)""",
                   [f"L{k}", su, sn, c, b, hs, seg, 2025, v, e])


@pytest.fixture(scope="session")
def city_template(tmp_path_factory):
    db = tmp_path_factory.mktemp("shock") / "city.duckdb"
    cw = Chainwatch(db, lang="en")
    build_city(cw)
    cw.close()
    return db


@pytest.fixture()
def city(city_template, tmp_path):
    db = tmp_path / "city.duckdb"
    shutil.copy(city_template, db)
    cw = Chainwatch(db, lang="en")
    yield cw
    cw.close()
