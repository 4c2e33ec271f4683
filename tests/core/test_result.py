"""The JSON contract shared by the CLI and the API: one object, meta first, finite numbers or null."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd

import chainwatch
from chainwatch.service import Chainwatch, Result


def test_result_json_is_clean_and_carries_meta(tmp_path) -> None:
    with Chainwatch(tmp_path / "r.duckdb", lang="en") as cw:
        meta = cw.meta(command="x", period="2021-11")
    assert meta["chainwatch_version"] == chainwatch.__version__ and meta["lang"] == "en" and "generated_at" in meta
    frame = pd.DataFrame({"a": [1.5, np.nan, np.inf], "b": [pd.NaT, pd.Timestamp("2021-01-31"), pd.NaT],
                          "c": [np.int64(3), np.int64(4), np.int64(5)], "d": [True, False, None]})
    out = Result("x", meta=meta, tables={"rows": frame}).to_dict()
    text = json.dumps(out, allow_nan=False)  # raises on NaN/Infinity
    back = json.loads(text)
    assert list(back)[0] == "meta" and back["meta"]["command"] == "x"
    assert [r["a"] for r in back["rows"]] == [1.5, None, None]
    assert [r["b"] for r in back["rows"]] == [None, "2021-01-31T00:00:00", None]
    assert [r["c"] for r in back["rows"]] == [3, 4, 5]
    assert not any(isinstance(v, float) and math.isnan(v) for r in back["rows"] for v in r.values())
