"""Fixtures for the hardening tests (issue 15, data half): a small database with a few enterprises."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from chainwatch.model.codes import make_uscc
from chainwatch.service import Chainwatch

USCCS = [make_uscc(f"9133020{i:02d}MA2C{i:05d}"[:17]) for i in range(6)]
EVIL = "=cmd|' /C calc'!A0"


@pytest.fixture
def small_db(tmp_path: Path) -> Iterator[str]:
    """Path of a database with six enterprises (the first one named like a formula) and no other data."""
    path = tmp_path / "small.duckdb"
    with Chainwatch(path, lang="en", actor="test") as cw:
        cw.data.import_frame("enterprise", pd.DataFrame({
            "uscc": USCCS, "name": [EVIL, "+SUM(1,2)", "@HYPERLINK(\"x\")", "-2+3", "宁波甲公司", "-12.5"],
            "district": ["330212", "330206", "330203", "330282", "330281", "330211"],
            "industry": ["3841", "26", "C3670", "17", "39", "2614"]}), source_name="fixture")
    yield str(path)


@pytest.fixture
def small_cw(small_db: str) -> Iterator[Chainwatch]:
    cw = Chainwatch(small_db, lang="en", actor="test")
    try:
        yield cw
    finally:
        cw.close()
