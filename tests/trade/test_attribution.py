"""The attribution of HS-coded trade to segments (chainwatch.analytics.trade.attribution)."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chainwatch.analytics.trade.attribution import BASES, attribute_to_segments

# two chains that share HS 852349 (software) and HS 854231 (chips)
PRODUCTS = pd.DataFrame({"segment_id": ["ic.eda", "sw.cad", "sw.mes", "ic.design", "auto.chips", "auto.elec"],
                         "hs_code": ["852349", "852349", "852349", "854231", "8542", "851220"]})
EDGES = pd.DataFrame({"from_segment": ["ic.eda", "sw.cad", "auto.chips"],
                      "to_segment": ["ic.design", "sw.mes", "auto.elec"]})
MEMBERS = pd.DataFrame({"segment_id": ["ic.design", "sw.mes", "auto.elec", "sw.cad", "ic.design"],
                        "uscc": ["DESIGN", "MES", "ELEC", "CAD", "BOTH"]})


def _rows(*items: tuple[str | None, str, str, float]) -> pd.DataFrame:
    return pd.DataFrame(items, columns=["uscc", "hs_code", "flow", "value"])


def _att(rows: pd.DataFrame) -> pd.DataFrame:
    return attribute_to_segments(rows, PRODUCTS, MEMBERS, EDGES)


def test_single_candidate_takes_the_whole_row() -> None:
    out = _att(_rows(("ELEC", "85122000", "import", 50.0)))
    assert out[["segment_id", "value", "weight", "basis"]].values.tolist() == [["auto.elec", 50.0, 1.0, "single"]]


def test_import_goes_to_the_importers_input() -> None:
    out = _att(_rows(("DESIGN", "85234910", "import", 90.0), ("MES", "85234910", "import", 30.0)))
    got = out.set_index("uscc")
    assert got.loc["DESIGN", "segment_id"] == "ic.eda" and got.loc["DESIGN", "basis"] == "importer_input"
    assert got.loc["MES", "segment_id"] == "sw.cad" and got.loc["MES", "value"] == 30.0


def test_import_of_own_product_when_no_input_matches() -> None:
    out = _att(_rows(("CAD", "85234910", "import", 10.0)))
    assert out[["segment_id", "basis"]].values.tolist() == [["sw.cad", "importer_own"]]


def test_chip_of_a_pcb_maker_is_not_the_chip_segment_of_another_chain() -> None:
    # 854231 is covered by ic.design (854231) and auto.chips (8542): the automotive-electronics maker's
    # chip goes to its input auto.chips, the design house's own chip to ic.design
    out = _att(_rows(("ELEC", "85423190", "import", 70.0), ("DESIGN", "85423190", "export", 20.0)))
    got = out.set_index("uscc")
    assert got.loc["ELEC", "segment_id"] == "auto.chips" and got.loc["ELEC", "product"] == "8542"
    assert got.loc["DESIGN", "segment_id"] == "ic.design" and got.loc["DESIGN", "basis"] == "exporter_own"
    assert got.loc["DESIGN", "product"] == "854231"


def test_unresolved_rows_follow_the_resolved_split_else_equal() -> None:
    rows = _rows(("DESIGN", "85234910", "import", 60.0), ("MES", "85234910", "import", 20.0),
                 (None, "85234910", "import", 40.0), ("STRANGER", "85234910", "export", 9.0))
    out = _att(rows)
    region = out[out["uscc"].isna()].set_index("segment_id")
    assert region.loc["ic.eda", "value"] == pytest.approx(30.0) and region.loc["sw.cad", "value"] == pytest.approx(10.0)
    assert "sw.mes" not in region.index and set(region["basis"]) == {"apportioned"}
    exp = out[out["uscc"] == "STRANGER"]
    assert len(exp) == 3 and exp["value"].tolist() == pytest.approx([3.0, 3.0, 3.0])
    assert set(exp["basis"]) == {"equal"}


def test_member_of_two_candidate_segments_shares_equally() -> None:
    prods = pd.DataFrame({"segment_id": ["a", "b"], "hs_code": ["3901", "3901"]})
    members = pd.DataFrame({"segment_id": ["a", "b"], "uscc": ["U", "U"]})
    out = attribute_to_segments(_rows(("U", "390110", "export", 8.0)), prods, members, None)
    assert out["value"].tolist() == [4.0, 4.0] and set(out["basis"]) == {"exporter_own"}


def test_codes_no_segment_lists_are_dropped_and_empty_inputs() -> None:
    assert _att(_rows(("ELEC", "27090000", "import", 5.0))).empty
    assert _att(_rows()).empty
    assert attribute_to_segments(_rows(("ELEC", "85122000", "import", 5.0)), PRODUCTS.iloc[0:0]).empty


def test_several_value_columns_and_extra_columns_are_kept() -> None:
    rows = _rows(("DESIGN", "85234910", "import", 10.0), (None, "85234910", "import", 4.0))
    rows["partner"] = ["JPN", "USA"]
    rows["qty"] = [2.0, 1.0]
    out = attribute_to_segments(rows, PRODUCTS, MEMBERS, EDGES, values=("value", "qty"))
    assert out["partner"].tolist() == ["JPN", "USA"] and out["qty"].sum() == pytest.approx(3.0)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["DESIGN", "MES", "ELEC", "CAD", "BOTH", "X", None]),
                          st.sampled_from(["85234910", "85423190", "85122000", "85423900", "27090000"]),
                          st.sampled_from(["import", "export"]),
                          st.floats(min_value=0.0, max_value=1e6, allow_nan=False)), max_size=40))
def test_additive_every_row_is_split_exactly_once(items) -> None:
    rows = _rows(*items)
    out = _att(rows)
    mapped = rows[~rows["hs_code"].str.startswith("2709")]
    assert out["value"].sum() == pytest.approx(mapped["value"].sum(), rel=1e-9, abs=1e-6)
    if len(out):
        w = out.assign(r=out.groupby(["uscc", "hs_code", "flow"], dropna=False).ngroup())
        assert (out["weight"] > 0).all() and (out["weight"] <= 1 + 1e-12).all()
        assert set(out["basis"]) <= set(BASES)
        assert len(w) >= len(mapped.drop_duplicates(["uscc", "hs_code", "flow"]))
