"""Import kind ``invoice``: extract headers, statuses, and a row-level message for every bad value."""

from __future__ import annotations

from pathlib import Path

import pytest

from chainwatch.errors import InputError, ValidationFailed
from chainwatch.model.codes import make_uscc
from chainwatch.service import Chainwatch

S = make_uscc("91330200MA2C00001")
B = make_uscc("91330200MA2C00002")
HEAD = ("发票代码,发票号码,行号,销售方纳税人识别号,销方名称,购买方纳税人识别号,购方名称,开票日期,金额(元),税额(元),"
        "税收分类编码,商品HS编码,货物或应税劳务、服务名称,发票状态")
TAX = "1090513010000000000"


def _file(tmp_path: Path, rows: list[str], head: str = HEAD, name: str = "发票.csv") -> Path:
    p = tmp_path / name
    p.write_text("\n".join([head, *rows]) + "\n", encoding="utf-8")
    return p


@pytest.fixture
def cw(tmp_path: Path) -> Chainwatch:
    c = Chainwatch(tmp_path / "inv.duckdb", lang="zh", actor="test")
    yield c
    c.close()


def test_extract_headers_statuses_and_idempotency(cw: Chainwatch, tmp_path: Path) -> None:
    f = _file(tmp_path, [
        f"3302211130,01234567,1,{S},甲公司,{B},乙公司,2021-03-15,12500.00,1625.00,{TAX},850760,*电池*锂离子电池,正常",
        f"3302211130,01234568,1,{S},甲公司,{B},乙公司,2021/04/15,-2500.00,-325.00,{TAX},850760,*电池*锂离子电池,红字",
        f"3302211130,01234569,1,{S},甲公司,,个人,2021-04-16,\"1,000.00\",130,{TAX},,*电池*锂离子电池,作废",
        f",21332000000000000001,1,{S},甲公司,{B},乙公司,2021-05-02,800,104,,8507.60,*电池*电池,蓝字",
    ])
    rep = cw.data.import_file(f, "invoice")
    assert (rep.rows_inserted, rep.rows_rejected) == (4, 0)
    rows = cw.store.df("SELECT * FROM invoice ORDER BY invoice_date")
    assert list(rows["status"]) == ["valid", "red", "void", "valid"]
    assert rows["amount"].tolist() == pytest.approx([1.25, -0.25, 0.1, 0.08])      # 元 → 万元
    assert rows["year"].tolist() == [2021] * 4 and rows["month"].tolist() == [3, 4, 4, 5]
    assert rows["buyer_uscc"].isna().tolist() == [False, False, True, False]
    assert rows["hs_code"].iloc[3] == "850760"
    assert rows["line_key"].iloc[0] == f"N|{S}|3302211130|01234567|1"
    again = cw.data.import_file(f, "invoice")
    assert (again.rows_inserted, again.rows_unchanged) == (0, 4)


def test_without_number_or_status_lines_are_keyed_by_content(cw: Chainwatch, tmp_path: Path) -> None:
    head = "销方税号,购方税号,开票日期,金额,税额,商品编码"
    f = _file(tmp_path, [f"{S},{B},2021-06-01,100,13,{TAX}", f"{S},{B},2021-06-01,200,26,{TAX}"], head, "a.csv")
    rep = cw.data.import_file(f, "invoice", unit="元")
    assert rep.rows_inserted == 2
    assert set(cw.store.df("SELECT status FROM invoice")["status"]) == {"valid"}
    assert all(k.startswith("H|") for k in cw.store.df("SELECT line_key FROM invoice")["line_key"])
    assert cw.data.import_file(f, "invoice", unit="元").rows_unchanged == 2
    dup = _file(tmp_path, [f"{S},{B},2021-06-01,100,13,{TAX}", f"{S},{B},2021-06-01,100,13,{TAX}"], head, "b.csv")
    with pytest.raises(ValidationFailed) as exc:
        cw.data.import_file(dup, "invoice", unit="元")
    assert list(exc.value.errors["key"]) == ["v.duplicate"]


BAD = {
    # column: (cell values replacing the good row's, expected error key)
    "uscc_format": ({3: "9133020012345"}, "v.uscc_format"),
    "uscc_check": ({5: S[:-1] + ("0" if S[-1] != "0" else "1")}, "v.uscc_check"),
    "date": ({7: "2021-02-30"}, "v.date"),
    "amount": ({8: "十二万"}, "v.number"),
    "negative": ({8: "-12500", 9: "-1625"}, "v.invoice_negative"),
    "sign": ({9: "-1625"}, "v.invoice_sign"),
    "tax": ({9: "5000"}, "v.invoice_tax"),
    "tax_code": ({10: "109051301"}, "v.invoice_tax_code"),
    "product": ({10: "", 11: ""}, "v.invoice_product"),
    "hs": ({11: "999999"}, "v.hs"),
    "code": ({0: "33022"}, "v.invoice_code"),
    "number": ({1: "123"}, "v.invoice_number"),
    "status": ({13: "失控"}, "v.enum"),
    "line": ({2: "0"}, "v.range"),
    "required": ({7: ""}, "v.required"),
}


def test_every_bad_value_has_a_row_level_message(cw: Chainwatch, tmp_path: Path) -> None:
    good = [f"3302211130,{10000000 + i:08d},1,{S},甲,{B},乙,2021-03-15,12500,1625,{TAX},850760,*电池*电池,正常"
            for i in range(len(BAD))]
    rows = []
    for line, (cells, _) in zip(good, BAD.values(), strict=True):
        parts = line.split(",")
        for i, v in cells.items():
            parts[i] = v
        rows.append(",".join(parts))
    with pytest.raises(ValidationFailed) as exc:
        cw.data.import_file(_file(tmp_path, [*rows, good[0].replace("10000000", "20000000")]), "invoice")
    errors = exc.value.errors
    for n, (name, (_, key)) in enumerate(BAD.items()):
        got = errors[errors["row"] == n + 2]
        assert key in set(got["key"]), (name, got[["column", "key"]].to_dict("records"))
        assert got["message_zh"].str.len().min() > 0 and got["message_en"].str.len().min() > 0
    assert not (errors["row"] == len(BAD) + 2).any(), "the good row got an error"
    assert cw.store.scalar("SELECT count(*) FROM invoice") == 0
    rep = cw.data.import_file(_file(tmp_path, [*rows, good[0].replace("10000000", "20000000")], name="c.csv"),
                              "invoice", skip_invalid=True)
    assert rep.rows_inserted == 1


def test_file_level_errors(cw: Chainwatch, tmp_path: Path) -> None:
    with pytest.raises(InputError) as exc:
        cw.data.import_file(_file(tmp_path, [f"{S},2021-01-01"], "销方识别号,开票日期", "m.csv"), "invoice")
    assert exc.value.key == "import.missing_columns" and "金额" in exc.value.message("zh")
    with pytest.raises(InputError) as exc:
        cw.data.import_file(_file(tmp_path, [f"{S},2021-01-01,5,{TAX}"], "销方识别号,开票日期,金额,税收分类编码",
                                  "u.csv"), "invoice")
    assert exc.value.key == "import.no_unit"
