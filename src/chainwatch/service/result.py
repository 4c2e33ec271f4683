"""The one result shape every report-like command and API route returns.

``Result.to_dict()`` is the stable JSON contract: ``{"meta": {...}, "<table>": [rows], ...}``.
Numbers stay numbers (NaN becomes null); percentages end in ``_pct``, percentage points in ``_pp``;
money states its unit in ``meta["units"]``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd

import chainwatch


def _clean(value: Any) -> Any:
    if value is None or value is pd.NaT:
        return None
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating, float)):
        f = float(value)
        return None if math.isnan(f) or math.isinf(f) else f
    if isinstance(value, (np.bool_,)):
        return bool(value)
    if isinstance(value, (pd.Timestamp, datetime, date)):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, np.ndarray)):
        return [_clean(v) for v in value]
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    return value


def rows_of(table: pd.DataFrame | list[dict[str, Any]]) -> list[dict[str, Any]]:
    """JSON-ready rows of a DataFrame or list of dicts."""
    if isinstance(table, pd.DataFrame):
        records = table.to_dict(orient="records")
    else:
        records = list(table)
    return [{str(k): _clean(v) for k, v in r.items()} for r in records]


@dataclass
class Result:
    """What a service call returns to a surface: metadata, named tables and optional text."""

    command: str
    meta: dict[str, Any] = field(default_factory=dict)
    tables: dict[str, pd.DataFrame | list[dict[str, Any]]] = field(default_factory=dict)
    text: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        meta = {
            "command": self.command,
            "chainwatch_version": chainwatch.__version__,
            "generated_at": datetime.now().isoformat(timespec="seconds"),
            **self.meta,
        }
        out: dict[str, Any] = {"meta": _clean(meta)}
        for name, table in self.tables.items():
            out[name] = rows_of(table)
        if self.text:
            out["text"] = list(self.text)
        return out
