"""The import pipeline: every class of bad input, atomicity, skip-invalid, encodings, revisions."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from chainwatch.errors import InputError, UsageError, ValidationFailed
from chainwatch.service import Chainwatch
from chainwatch.store.kinds import KINDS, LOAD_ORDER

from .conftest import USCCS, monthly_frame


def _csv(tmp_path: Path, df: pd.DataFrame, name: str = "m.csv", encoding: str = "utf-8") -> Path:
    p = tmp_path / name
    df.to_csv(p, index=False, encoding=encoding)
    return p


def _monthly(cw: Chainwatch) -> pd.DataFrame:
    return cw.store.df("SELECT uscc, period, gross_output, revenue, total_profit, electricity FROM monthly_value ORDER BY 1, 2")


def _fail(cw: Chainwatch, path: Path, kind: str = "monthly", **kw: object) -> pd.DataFrame:
    before = cw.store.scalar("SELECT count(*) FROM monthly_value")
    with pytest.raises(ValidationFailed) as exc:
        cw.data.import_file(path, kind, **kw)
    assert cw.store.scalar("SELECT count(*) FROM monthly_value") == before  # nothing loaded
    return exc.value.errors


def test_monthly_import_converts_units_and_reads_chinese_headers(cw: Chainwatch, tmp_path: Path) -> None:
    df = monthly_frame().rename(columns={"工业总产值(万元)": "工业总产值(千元)"})
    rep = cw.data.import_file(_csv(tmp_path, df), "monthly", unit="万元")
    assert rep.rows_inserted == 18 and rep.rows_rejected == 0
    got = _monthly(cw)
    # 千元 → 万元 divides by 10; 万元 stays
    assert got.loc[0, "gross_output"] == pytest.approx(10.1)
    assert got.loc[0, "revenue"] == pytest.approx(91.0)
    assert cw.store.scalar("SELECT year * 100 + month FROM monthly_value LIMIT 1") in (202101, 202102, 202103)


@pytest.mark.parametrize(("mutate", "column", "key"), [
    (lambda d: d.assign(**{"统一社会信用代码": d["统一社会信用代码"].where(d.index != 2, USCCS[0][:-1] + "X")}), "统一社会信用代码", "v.uscc_check"),
    (lambda d: d.assign(**{"统一社会信用代码": d["统一社会信用代码"].where(d.index != 2, "ABC")}), "统一社会信用代码", "v.uscc_format"),
    (lambda d: d.assign(**{"期间": d["期间"].where(d.index != 2, "2021-13")}), "期间", "v.period"),
    (lambda d: d.assign(**{"工业总产值(万元)": d["工业总产值(万元)"].astype(object).where(d.index != 2, "12x")}), "工业总产值(万元)", "v.number"),
    (lambda d: d.assign(**{"工业总产值(万元)": d["工业总产值(万元)"].where(d.index != 2, -3.0)}), "工业总产值(万元)", "v.negative"),
    (lambda d: pd.concat([d, d.iloc[[2]]], ignore_index=True), "统一社会信用代码", "v.duplicate"),
    (lambda d: d.assign(**{"统一社会信用代码": d["统一社会信用代码"].where(d.index != 2, "91330200MA2AAAAAAF")}), "统一社会信用代码", "v.unknown_enterprise"),
    (lambda d: d.assign(**{"期间": d["期间"].where(d.index != 2, None)}), "期间", "v.required"),
])
def test_each_bad_input_gets_its_message_and_loads_nothing(cw: Chainwatch, tmp_path: Path, mutate, column: str, key: str) -> None:
    errors = _fail(cw, _csv(tmp_path, mutate(monthly_frame())))
    assert key in set(errors["key"])
    hit = errors[errors["key"] == key].iloc[0]
    assert hit["column"] == column
    assert hit["row"] >= 2 and hit["file"] == "m.csv"
    assert hit["message_zh"] and hit["message_en"] and hit["message_zh"] != hit["message_en"]


def test_bad_codes_in_enterprise_file(cw: Chainwatch, tmp_path: Path) -> None:
    from chainwatch.model.codes import make_uscc

    df = pd.DataFrame({"USCC": [make_uscc("91330200MA2C00001"), make_uscc("91330200MA2C00002"), make_uscc("91330200MA2C00003")],
                       "name": ["a", "b", "c"], "district": ["330212", "110101", "330212"],
                       "industry": ["3841", "3841", "99"], "founded": ["2010-01-01", "2010-02-30", None]})
    with pytest.raises(ValidationFailed) as exc:
        cw.data.import_file(_csv(tmp_path, df, "e.csv"), "enterprise")
    by_key = {(r.row, r.key) for r in exc.value.errors.itertuples()}
    assert (3, "v.region") in by_key and (3, "v.date") in by_key and (4, "v.industry") in by_key


def test_skip_invalid_loads_exactly_the_valid_rows(cw: Chainwatch, tmp_path: Path) -> None:
    df = monthly_frame()
    df.loc[[1, 5], "期间"] = "bad"
    rep = cw.data.import_file(_csv(tmp_path, df), "monthly", skip_invalid=True)
    assert (rep.rows_accepted, rep.rows_rejected) == (16, 2)
    assert set(rep.errors["row"]) == {3, 7}
    loaded = _monthly(cw)
    expected = df.drop(index=[1, 5])
    assert len(loaded) == 16
    assert sorted(zip(loaded["uscc"], loaded["period"], strict=False)) == sorted(zip(expected["统一社会信用代码"], expected["期间"], strict=False))


def test_missing_and_extra_columns(cw: Chainwatch, tmp_path: Path) -> None:
    df = monthly_frame().drop(columns=["期间"]).assign(备注="x")
    with pytest.raises(InputError) as exc:
        cw.data.import_file(_csv(tmp_path, df), "monthly")
    assert exc.value.key == "import.missing_columns" and "period" in exc.value.message("en")
    rep = cw.data.import_file(_csv(tmp_path, monthly_frame().assign(备注="x")), "monthly")
    assert rep.extra_columns == ["备注"]


def test_money_column_without_unit_is_refused(cw: Chainwatch, tmp_path: Path) -> None:
    df = monthly_frame().rename(columns={"工业总产值(万元)": "工业总产值"})
    with pytest.raises(InputError) as exc:
        cw.data.import_file(_csv(tmp_path, df), "monthly", unit=None)
    assert exc.value.key == "import.no_unit"
    with pytest.raises(InputError) as exc2:
        cw.data.import_file(_csv(tmp_path, df), "monthly", unit="美元")
    assert exc2.value.key == "import.bad_unit"


def test_gbk_csv_imports_identically_to_utf8(tmp_path: Path) -> None:
    results = []
    for enc in ("utf-8", "gbk", "utf-8-sig"):
        with Chainwatch(tmp_path / f"{enc}.duckdb", lang="en") as c:
            c.data.import_frame("enterprise", pd.DataFrame({"uscc": USCCS, "name": [f"宁波企业{i}" for i in range(6)],
                                                            "district": "330212", "industry": "3841"}), source_name="e")
            c.data.import_file(_csv(tmp_path, monthly_frame(), f"m-{enc}.csv", enc), "monthly")
            results.append(_monthly(c))
    pd.testing.assert_frame_equal(results[0], results[1])
    pd.testing.assert_frame_equal(results[0], results[2])


def test_xlsx_imports_identically_to_csv(tmp_path: Path) -> None:
    results = []
    for suffix in ("csv", "xlsx"):
        with Chainwatch(tmp_path / f"{suffix}.duckdb", lang="en") as c:
            c.data.import_frame("enterprise", pd.DataFrame({"uscc": USCCS, "name": "n", "district": "330212",
                                                            "industry": "3841"}), source_name="e")
            path = tmp_path / f"m.{suffix}"
            if suffix == "csv":
                monthly_frame().to_csv(path, index=False)
            else:
                monthly_frame().to_excel(path, index=False)
            c.data.import_file(path, "monthly")
            results.append(_monthly(c))
    pd.testing.assert_frame_equal(results[0], results[1])


def test_reimport_is_a_no_op_and_corrections_are_revisions(cw: Chainwatch, tmp_path: Path) -> None:
    path = _csv(tmp_path, monthly_frame())
    cw.data.import_file(path, "monthly")
    before = _monthly(cw)
    again = cw.data.import_file(path, "monthly")
    assert (again.rows_inserted, again.rows_revised, again.rows_unchanged) == (0, 0, 18)
    pd.testing.assert_frame_equal(before, _monthly(cw))
    assert cw.store.scalar("SELECT count(*) FROM value_revision") == 0

    corrected = monthly_frame()
    corrected.loc[0, "工业总产值(万元)"] = 555.0
    rep = cw.data.import_file(_csv(tmp_path, corrected, "fix.csv"), "monthly")
    assert (rep.rows_revised, rep.rows_unchanged) == (1, 17)
    now = cw.store.scalar("SELECT gross_output FROM monthly_value WHERE uscc = ? AND period = '2021-01'", [USCCS[0]])
    assert now == 555.0
    rev = cw.data.revisions("monthly", f"{USCCS[0]}|2021-01")
    assert list(rev["field"]) == ["gross_output"]
    assert float(rev.loc[0, "old_value"]) == 101.0 and rev.loc[0, "old_file"] == "m.csv"


def test_dry_run_writes_nothing(cw: Chainwatch, tmp_path: Path) -> None:
    rep = cw.data.import_file(_csv(tmp_path, monthly_frame()), "monthly", dry_run=True)
    assert rep.rows_accepted == 18
    assert cw.store.scalar("SELECT count(*) FROM monthly_value") == 0
    assert cw.store.scalar("SELECT count(*) FROM import_batch WHERE kind = 'monthly'") == 0


def test_unknown_kind_and_missing_file(cw: Chainwatch, tmp_path: Path) -> None:
    with pytest.raises(UsageError):
        cw.data.import_file(_csv(tmp_path, monthly_frame()), "nonsense")
    with pytest.raises(InputError) as exc:
        cw.data.import_file(tmp_path / "absent.csv", "monthly")
    assert exc.value.key == "import.file_missing"


def test_segment_edges_refuse_cycles(cw: Chainwatch) -> None:
    cw.data.import_frame("chain", pd.DataFrame({"chain_id": ["c"], "name_zh": ["链"]}), source_name="c")
    cw.data.import_frame("segment", pd.DataFrame({"segment_id": ["a", "b", "x"], "chain_id": "c", "name_zh": ["甲", "乙", "丙"],
                                                  "position": ["upstream", "中游", "downstream"]}), source_name="s")
    cw.data.import_frame("segment_edge", pd.DataFrame({"chain_id": "c", "from_segment": ["a", "b"], "to_segment": ["b", "x"]}),
                         source_name="e1")
    with pytest.raises(ValidationFailed) as exc:
        cw.data.import_frame("segment_edge", pd.DataFrame({"chain_id": ["c"], "from_segment": ["x"], "to_segment": ["a"]}),
                             source_name="e2")
    err = exc.value.errors.iloc[0]
    assert err["key"] == "v.cycle" and "x → a → b → x" in err["message_en"]
    assert cw.store.scalar("SELECT position FROM segment WHERE segment_id = 'b'") == "midstream"


@pytest.mark.parametrize("suffix", ["xlsx", "csv"])
def test_every_template_filled_in_imports_without_errors(tmp_path: Path, suffix: str) -> None:
    with Chainwatch(tmp_path / "tpl.duckdb", lang="zh") as c:
        for kind in LOAD_ORDER:
            path = c.data.template(kind, tmp_path / f"{kind}.{suffix}", lang="zh" if suffix == "xlsx" else "en",
                                   with_example=True)
            if kind == "supply_link":  # the example supplier must exist: add it first
                from chainwatch.store.kinds import EX_USCC2

                c.data.import_frame("enterprise", pd.DataFrame({"uscc": [EX_USCC2], "name": ["供应商"], "district": ["330206"],
                                                                "industry": ["3841"]}), source_name="sup")
            if kind == "segment_edge":  # the example edge's upstream segment must exist too
                c.data.import_frame("segment", pd.DataFrame({"segment_id": ["nev-cathode"], "chain_id": ["nev"],
                                                             "name_zh": ["正极材料"], "position": ["upstream"]}), source_name="seg")
            rep = c.data.import_file(path, kind)
            assert rep.rows_rejected == 0 and rep.rows_accepted == 1, (kind, rep.errors)
        assert set(KINDS) == set(LOAD_ORDER)


def test_same_values_in_another_unit_are_not_revisions(cw: Chainwatch, tmp_path: Path) -> None:
    df = monthly_frame()
    df["工业总产值(万元)"] = [204162.66, 1.1, 0.3, 7.7, 1234.56, 99.99] * 3
    cw.data.import_file(_csv(tmp_path, df, "wan.csv"), "monthly")
    in_qian = df.rename(columns={"工业总产值(万元)": "工业总产值(千元)"})
    in_qian["工业总产值(千元)"] = [f"{v * 10:.1f}" for v in df["工业总产值(万元)"]]
    in_yuan = df.rename(columns={"工业总产值(万元)": "工业总产值(元)"})
    in_yuan["工业总产值(元)"] = [f"{v * 10000:.0f}" for v in df["工业总产值(万元)"]]
    for name, frame in (("qian.csv", in_qian), ("yuan.csv", in_yuan)):
        rep = cw.data.import_file(_csv(tmp_path, frame, name), "monthly")
        assert rep.rows_revised == 0, (name, cw.data.revisions().to_dict("records")[:3])
    assert cw.store.scalar("SELECT gross_output FROM monthly_value WHERE uscc = ? AND period = '2021-01'", [USCCS[0]]) == 204162.66
