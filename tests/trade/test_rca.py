"""Balassa RCA: hand example, reference values from shared/data, world-file normalisation."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from chainwatch.analytics.trade.rca import balassa_rca, city_rca, exporter_matrix, normalise_world_exports
from chainwatch.errors import InputError

DATA = Path(__file__).resolve().parents[3] / "shared" / "data" / "oec_baci_exports_by_section"
realdata = pytest.mark.skipif(not DATA.is_dir(), reason=f"shared data folder absent: {DATA}")


def test_hand_example() -> None:
    m = pd.DataFrame({"a": [10.0, 30.0, np.nan], "b": [30.0, 30.0, 0.0]}, index=["x", "y", "z"])
    r = balassa_rca(m)
    # x: share a = .25, world share a = 40/100 -> .625 ; b: .75/.6 = 1.25
    assert r.loc["x"].tolist() == pytest.approx([0.625, 1.25])
    assert r.loc["y"].tolist() == pytest.approx([1.25, 0.5 / 0.6])
    assert r.loc["z"].isna().all()  # no exports -> null, never 0
    # the export-weighted mean of an exporter's RCA against world shares is 1
    ws = m.fillna(0).sum() / m.fillna(0).to_numpy().sum()
    assert float((r.loc["x"] * ws).sum()) == pytest.approx(1.0)


def test_city_rca_equals_matrix_row() -> None:
    rng = np.random.default_rng(5)
    m = pd.DataFrame(rng.uniform(0, 100, (6, 4)), index=list("uvwxyz"), columns=["I", "V", "XVI", "XVII"])
    full = balassa_rca(m)
    out = city_rca(m.loc["w"], m.sum()).set_index("section")
    np.testing.assert_allclose(out["rca"].to_numpy(), full.loc["w"].to_numpy())
    assert out["city_share_pct"].sum() == pytest.approx(100.0)
    assert (out["advantage"] == (out["rca"] >= 1)).all()


def test_city_rca_missing_sections_and_zero_world() -> None:
    out = city_rca(pd.Series({"XVI": 10.0}), pd.Series({"XVI": 50.0, "V": 50.0, "XIX": 0.0})).set_index("section")
    assert out.loc["XVI", "rca"] == pytest.approx(2.0)
    assert out.loc["V", "rca"] == 0.0
    assert np.isnan(out.loc["XIX", "rca"]) and out.loc["XIX", "advantage"] is None


def test_normalise_plain_and_errors() -> None:
    plain = pd.DataFrame({"section": ["1", "XVI", "xvi"], "value": [5, 7, 3]})
    out = normalise_world_exports(plain, year=2021)
    assert out.set_index("section")["value"].to_dict() == {"I": 5, "XVI": 10}
    assert set(out["year"]) == {2021}
    with pytest.raises(InputError) as e:
        normalise_world_exports(plain)  # no year
    assert e.value.key == "trade.world_year"
    with pytest.raises(InputError) as e:
        normalise_world_exports(pd.DataFrame({"section": ["22"], "value": [1]}), year=2021)
    assert e.value.key == "trade.world_section" and e.value.params["row"] == 2
    with pytest.raises(InputError) as e:
        normalise_world_exports(pd.DataFrame({"section": ["I", "II"], "value": [1, "abc"]}), year=2021)
    assert e.value.key == "trade.world_value" and e.value.params["row"] == 3
    with pytest.raises(InputError) as e:
        normalise_world_exports(pd.DataFrame({"sec": ["I"], "amount": [1]}), year=2021)
    assert e.value.key == "trade.world_columns"


@pytest.mark.realdata
@realdata
def test_reference_rca_values() -> None:
    """PROVENANCE reference: Balassa RCA on fixture_exports.csv, describe().round(6) of sections 1 and 9."""
    frame = pd.read_csv(DATA / "fixture_exports.csv", encoding="utf-8-sig")
    r = balassa_rca(exporter_matrix(frame)).fillna(0.0)
    assert r.shape == (226, 21)
    d = r.describe().round(6)
    expected = {1: [226, 3.484895, 8.261088, 0, 0.129100, 0.718371, 2.165564, 47.724923],
                9: [226, 1.959028, 6.469812, 0, 0.040933, 0.267903, 1.264129, 75.963223]}
    for sec, vals in expected.items():
        assert d[sec].tolist() == pytest.approx(vals, abs=1e-6)


@pytest.mark.realdata
@realdata
def test_world_file_and_city_rca_on_real_data() -> None:
    """World totals from the OEC file; China's RCA via city_rca equals the matrix row."""
    frame = pd.read_csv(DATA / "global_exports.csv")
    world = normalise_world_exports(frame, year=2020)
    assert len(world) == 21 and world["n_exporters"].max() == 226
    assert world["value"].sum() == pytest.approx(frame["Trade Value"].sum())
    mat = exporter_matrix(frame)
    mat.columns = [normalise_world_exports(pd.DataFrame({"section": [c], "value": [0]}), 1)["section"][0]
                   for c in mat.columns]
    chn = city_rca(mat.loc["aschn"], world.set_index("section")["value"]).set_index("section")
    np.testing.assert_allclose(chn["rca"].to_numpy(), balassa_rca(mat).loc["aschn", chn.index].to_numpy())
    assert chn.loc["XVI", "rca"] > 1  # machinery: China's known advantage


def test_docstring_examples() -> None:
    """The numpydoc examples of the trade analytics run and hold."""
    import doctest

    import chainwatch.analytics.trade.countries as countries
    import chainwatch.analytics.trade.dependence as dependence
    import chainwatch.analytics.trade.groups as groups
    import chainwatch.analytics.trade.growth as growth
    import chainwatch.analytics.trade.hs as hs
    import chainwatch.analytics.trade.rca as rca

    for mod in (countries, dependence, groups, growth, hs, rca):
        failed, _ = doctest.testmod(mod)
        assert failed == 0, mod.__name__


HS = DATA.parent / "hs_codes" / "harmonized-system.csv"


@pytest.mark.realdata
@pytest.mark.skipif(not HS.is_file(), reason=f"shared data file absent: {HS}")
def test_chapter_names_from_imported_hs_list(cw_rw) -> None:
    """After importing the HS 2022 chapters (99/TOTAL filtered, classifications.md §4.2) the chapter view
    names each chapter; the 21 sections of the file match the shipped section map."""
    from chainwatch.analytics.trade.hs import CHAPTER_SECTION

    hs = pd.read_csv(HS, dtype=str)
    hs = hs[(hs["section"] != "TOTAL") & (hs["level"] == "2")]
    assert len(hs) == 96 and dict(zip(hs["hscode"], hs["section"], strict=True)) == CHAPTER_SECTION
    frame = pd.DataFrame({"code": hs["hscode"], "level": 2, "section": hs["section"], "description": hs["description"]})
    cw_rw.data.import_frame("hs", frame, source_name="harmonized-system.csv")
    rows = cw_rw.trade.summary("2021-11", by="hs", hs_level="chapter", flow="import").tables["rows"]
    names = rows.set_index("key")["name"]
    assert names["85"].startswith("第85章 Electrical machinery")
