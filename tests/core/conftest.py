"""Fixtures for the foundation tests: a fresh database with a few enterprises."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from chainwatch.model.codes import make_uscc
from chainwatch.service import Chainwatch

USCCS = [make_uscc(f"9133020{i:02d}MA2B{i:05d}"[:17]) for i in range(6)]


@pytest.fixture
def cw(tmp_path: Path) -> Chainwatch:
    c = Chainwatch(tmp_path / "t.duckdb", lang="en", actor="test")
    ent = pd.DataFrame({"uscc": USCCS, "name": [f"企业{i}" for i in range(6)],
                        "district": ["330212", "330206", "330203", "330282", "330281", "330211"],
                        "industry": ["3841", "26", "C3670", "17", "39", "2614"]})
    c.data.import_frame("enterprise", ent, source_name="fixture")
    yield c
    c.close()


def monthly_frame() -> pd.DataFrame:
    rows = []
    for i, u in enumerate(USCCS):
        for m in range(1, 4):
            rows.append({"统一社会信用代码": u, "期间": f"2021-{m:02d}", "工业总产值(万元)": 100.0 * (i + 1) + m,
                         "营业收入(万元)": 90.0 * (i + 1) + m, "利润总额(万元)": -5.5 + i, "用电量": 12.25 + m})
    return pd.DataFrame(rows)
