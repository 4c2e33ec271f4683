"""The chain-map YAML format: parsing, every kind of bad file, and the round trip."""

from __future__ import annotations

import pandas as pd
import pytest

from chainwatch.analytics.chains.chainmap import dump_chain_map, parse_chain_map
from chainwatch.errors import ValidationFailed

GOOD_TEMPLATE = """\
chain:
  id: demo
  name_zh: 示例链
segments:
  - id: a
    name_zh: 甲
    position: upstream
    hs: [0301, "8507.60"]
  - id: b
    name_zh: 乙
    position: 下游
    enterprises:
      - {uscc: %s, main: yes}
edges:
  - a -> b
"""


@pytest.fixture
def known(firms) -> set[str]:
    return set(firms.values())


@pytest.fixture
def good(firms) -> str:
    return GOOD_TEMPLATE % firms["A"]


KNOWN_USCC: set[str] = set()


@pytest.fixture(autouse=True)
def _known(known):
    KNOWN_USCC.clear()
    KNOWN_USCC.update(known)


def errors_of(text: str, **kw) -> list[dict]:
    with pytest.raises(ValidationFailed) as exc:
        parse_chain_map(text, "bad.yaml", known_uscc=KNOWN_USCC, **kw)
    assert exc.value.key == "chains.map_invalid"
    assert exc.value.params["file"] == "bad.yaml"
    return exc.value.errors


def test_parse_good_file_keeps_leading_zeros_and_normalises(good, known, firms):
    cm = parse_chain_map(good, "good.yaml", known_uscc=known)
    assert cm.chain["chain_id"] == "demo"
    assert sorted(cm.products["hs_code"]) == ["0301", "850760"]  # not octal 193, dots removed
    assert cm.segments.set_index("segment_id")["position"].to_dict() == {"a": "upstream", "b": "downstream"}
    assert cm.members.iloc[0].to_dict() == {"segment_id": "b", "uscc": firms["A"], "is_main": True}
    assert cm.edges.values.tolist() == [["a", "b"]]


def test_unknown_segment_in_edge_names_line_and_segment(good):
    text = good.replace("  - a -> b\n", "  - a -> b\n  - {from: b, to: zz}\n")
    errs = errors_of(text)
    assert len(errs) == 1
    e = errs[0]
    assert e["key"] == "chains.map.unknown_segment" and e["params"]["segment"] == "zz"
    assert e["line"] == text.splitlines().index("  - {from: b, to: zz}") + 1
    assert e["item"] == "edges[2]"


def test_cycle_is_an_error_naming_the_cycle(good):
    text = good.replace("  - a -> b\n", "  - a -> b\n  - [b, a]\n")
    errs = errors_of(text)
    assert [e["key"] for e in errs] == ["v.cycle"]
    assert set(errs[0]["params"]["cycle"].split(" -> ")) == {"a", "b"}
    assert errs[0]["line"] in (text.splitlines().index("  - a -> b") + 1, text.splitlines().index("  - [b, a]") + 1)


def test_unknown_and_malformed_uscc(good, firms):
    bad_check = firms["A"][:-1] + ("0" if firms["A"][-1] != "0" else "1")
    text = good.replace(f"{{uscc: {firms['A']}, main: yes}}", f"{bad_check}\n      - 91330203MA2C99999X")
    keys = [(e["key"], e["params"].get("value")) for e in errors_of(text)]
    assert ("chains.map.bad_uscc", bad_check) in keys
    unknown = [k for k in keys if k[0] == "chains.map.unknown_uscc"]
    bad = [k for k in keys if k[0] == "chains.map.bad_uscc"]
    assert len(unknown) + len(bad) == 2


def test_bad_position_bad_hs_bad_weight_duplicate_and_unknown_field(good):
    text = good.replace("position: upstream", "position: sideways\n    weight: -1\n    colour: red") \
               .replace('[0301, "8507.60"]', "[0301, 12a4, 9901]")
    errs = errors_of(text, hs_chapters={"03", "85", "12"})
    keys = sorted(e["key"] for e in errs)
    assert keys == sorted(["v.position", "chains.map.bad_weight", "chains.map.unknown_field", "chains.map.bad_hs",
                           "chains.map.bad_hs"])
    lines = {e["key"]: e["line"] for e in errs}
    assert lines["v.position"] == text.splitlines().index("    position: sideways") + 1
    dup = good.replace("  - id: b\n", "  - id: a\n    name_zh: 重复\n    position: upstream\n  - id: b\n")
    assert "chains.map.dup_segment" in [e["key"] for e in errors_of(dup)]


def test_syntax_error_and_missing_parts():
    errs = errors_of("chain: {id: x\nsegments: [")
    assert errs[0]["key"] == "chains.map.yaml" and errs[0]["line"] >= 1
    errs = errors_of("chain:\n  name_zh: 无代码\n")
    assert {e["params"].get("field") for e in errs} >= {"chain.id", "segments"}
    assert errors_of("- just\n- a list\n")[0]["key"] == "chains.map.not_mapping"


def test_segment_owned_by_another_chain_and_unknown_cluster(good):
    errs = errors_of(good.replace("name_zh: 示例链", "name_zh: 示例链\n  cluster: nope"),
                     segment_owner={"a": "other"}, clusters={"auto"})
    assert sorted(e["key"] for e in errs) == ["chains.map.segment_owned", "chains.map.unknown_cluster"]


def test_all_errors_are_reported_at_once(good):
    text = good.replace("position: upstream", "position: x").replace("  - a -> b\n", "  - a -> q\n  - b -> b\n")
    keys = [e["key"] for e in errors_of(text)]
    assert keys == ["v.position", "chains.map.unknown_segment", "chains.map.self_edge"]


def test_dump_parse_round_trip(chain_yaml, known):
    cm = parse_chain_map(chain_yaml, "nev.yaml", known_uscc=known)
    text = dump_chain_map(cm)
    again = parse_chain_map(text, "nev2.yaml", known_uscc=known)
    assert dump_chain_map(again) == text
    for attr in ("segments", "edges", "products", "members"):
        a = getattr(cm, attr).sort_values(list(getattr(cm, attr).columns[:2])).reset_index(drop=True)
        b = getattr(again, attr).sort_values(list(getattr(again, attr).columns[:2])).reset_index(drop=True)
        assert a.astype(str).equals(b.astype(str)), attr
    assert again.chain == cm.chain


def test_workbook_form_round_trip_and_errors_with_rows(chain_yaml, known):
    from chainwatch.analytics.chains import chain_map_sheets, parse_chain_sheets

    cm = parse_chain_map(chain_yaml, "nev.yaml", known_uscc=known)
    sheets = chain_map_sheets(cm)
    again = parse_chain_sheets({k: v.astype(str).replace({"": None}) for k, v in sheets.items()}, "nev.xlsx",
                               known_uscc=known)
    assert dump_chain_map(again) == dump_chain_map(cm)
    # Chinese sheet and column names, an HS code typed as a number (0301 -> 301), errors by sheet row
    zh = {
        "产业链": pd.DataFrame({"字段": ["id", "name_zh"], "值": ["x", "示例"]}),
        "环节": pd.DataFrame({"环节代码": ["a", "b"], "中文名称": ["甲", "乙"], "位置": ["上游", "sideways"],
                             "HS编码": ["301", "850760;8507.90"]}),
        "上下游": pd.DataFrame({"上游环节": ["a", "a"], "下游环节": ["b", "c"]}),
        "企业": pd.DataFrame({"环节代码": ["zz"], "统一社会信用代码": [next(iter(known))], "主营环节": [None]}),
    }
    with pytest.raises(ValidationFailed) as exc:
        parse_chain_sheets(zh, "zh.xlsx", known_uscc=known)
    got = {(e["key"], e["line"]) for e in exc.value.errors}
    assert got == {("chains.map.unknown_segment", 2),   # enterprises sheet row 2: segment zz
                   ("v.position", 3),                   # segments sheet row 3
                   ("chains.map.unknown_segment", 3)}   # edges sheet row 3: a -> c
    zh["环节"].loc[1, "位置"] = "下游"
    zh["上下游"] = zh["上下游"].iloc[:1]
    zh["企业"] = zh["企业"].iloc[0:0]
    ok = parse_chain_sheets(zh, "zh.xlsx", known_uscc=known)
    assert sorted(ok.products["hs_code"]) == ["0301", "850760", "850790"]
