"""The chain-map file format (YAML): parse with validation, and write back.

A chain map describes one chain: its segments (position, HS products, member enterprises, an
optional weight) and the upstream → downstream edges between them. See ``docs/chains.md``.
Parsing is pure (text in, frames out); the facts it needs from the database (known enterprises,
HS chapters, segments owned by other chains) are passed in. Every problem is reported with the
file, the line and the item, and all of them are reported at once.

Scalars are read as text, so codes keep their leading zeros whether quoted or not (YAML 1.1 would
read ``0301`` as an octal number).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any, NoReturn

import pandas as pd
import yaml

from chainwatch.analytics.chains.graph import find_cycle
from chainwatch.errors import ValidationFailed
from chainwatch.model.codes import is_valid_hs_format, uscc_problem

FORMAT = "chainwatch-chain-map/1"
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
POSITIONS = {"upstream": "upstream", "midstream": "midstream", "downstream": "downstream",
             "上游": "upstream", "中游": "midstream", "下游": "downstream"}
ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$")
CHAIN_KEYS = {"id", "name_zh", "name_en", "cluster"}
SEGMENT_KEYS = {"id", "name_zh", "name_en", "position", "hs", "weight", "enterprises"}
TRUE = {"true", "yes", "1", "是", "y", "on"}
FALSE = {"false", "no", "0", "否", "n", "off", ""}


@dataclass
class ChainMap:
    """One chain map as frames shaped like the store tables."""

    chain: dict[str, Any]
    segments: pd.DataFrame   # segment_id, name_zh, name_en, position, weight
    edges: pd.DataFrame      # from_segment, to_segment
    products: pd.DataFrame   # segment_id, hs_code
    members: pd.DataFrame    # segment_id, uscc, is_main


class _Node:
    """A YAML value with the line it starts on."""

    __slots__ = ("value", "line")

    def __init__(self, value: Any, line: int) -> None:
        self.value = value
        self.line = line


def _walk(node: yaml.Node) -> _Node:
    line = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        return _Node({str(k.value): _walk(v) for k, v in node.value}, line)
    if isinstance(node, yaml.SequenceNode):
        return _Node([_walk(v) for v in node.value], line)
    plain_null = node.tag == "tag:yaml.org,2002:null" or (node.style is None and node.value in ("~", "null", "Null"))
    return _Node(None if plain_null else str(node.value).strip(), line)


class _Errors:
    def __init__(self, file: str) -> None:
        self.file = file
        self.items: list[dict[str, Any]] = []

    def add(self, line: int, item: str, key: str, **params: Any) -> None:
        self.items.append({"file": self.file, "line": line, "item": item, "key": key, "params": params})


def _text(n: _Node | None) -> str | None:
    if n is None or n.value is None:
        return None
    return n.value if isinstance(n.value, str) else None


def normalise_hs(code: str) -> str:
    """``8507.60`` / ``8507 60`` → ``850760``."""
    return re.sub(r"[.\s]", "", code)


def parse_chain_map(text: str, file: str = "<chain map>", *, known_uscc: Collection[str] | None = None,
                    hs_chapters: Collection[str] | None = None,
                    segment_owner: Mapping[str, str] | None = None,
                    clusters: Collection[str] | None = None) -> ChainMap:
    """Parse and validate a chain-map YAML text.

    Parameters
    ----------
    text : the file content.
    file : file name used in error messages.
    known_uscc : USCCs of the enterprises in the database (None: skip the existence check).
    hs_chapters : known 2-digit HS chapters (None: check the format only).
    segment_owner : segment id → chain id of segments already in the database; a segment id owned
        by another chain is an error (segment ids are unique across chains).
    clusters : known cluster ids (None: no check).

    Raises
    ------
    ValidationFailed
        key ``chains.map_invalid``; ``errors`` lists every problem as
        ``{"file", "line", "item", "key", "params"}`` (``key`` is a message key).
    """
    err = _Errors(file)
    try:
        root_node = yaml.compose(text, Loader=_LOADER)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        err.add(mark.line + 1 if mark else 1, "-", "chains.map.yaml", detail=str(getattr(exc, "problem", exc)))
        _raise(err)
    if root_node is None or not isinstance(root_node, yaml.MappingNode):
        err.add(1, "-", "chains.map.not_mapping")
        _raise(err)
    return _from_tree(_walk(root_node), err, known_uscc=known_uscc, hs_chapters=hs_chapters,
                      segment_owner=segment_owner, clusters=clusters)


def _from_tree(root: _Node, err: _Errors, *, known_uscc: Collection[str] | None,
               hs_chapters: Collection[str] | None, segment_owner: Mapping[str, str] | None,
               clusters: Collection[str] | None) -> ChainMap:
    """Validate a parsed chain map (YAML, or a workbook turned into the same tree) into frames."""
    top: dict[str, _Node] = root.value
    for k in top:
        if k not in {"format", "chain", "segments", "edges"}:
            err.add(top[k].line, k, "chains.map.unknown_field", field=k, allowed="format, chain, segments, edges")

    chain: dict[str, Any] = {}
    cn = top.get("chain")
    if cn is None or not isinstance(cn.value, dict):
        err.add(cn.line if cn else 1, "chain", "chains.map.required", field="chain")
    else:
        for k, v in cn.value.items():
            if k not in CHAIN_KEYS:
                err.add(v.line, f"chain.{k}", "chains.map.unknown_field", field=k, allowed=", ".join(sorted(CHAIN_KEYS)))
        chain = {"chain_id": _text(cn.value.get("id")), "name_zh": _text(cn.value.get("name_zh")),
                 "name_en": _text(cn.value.get("name_en")), "cluster_id": _text(cn.value.get("cluster"))}
        for f, label in (("chain_id", "id"), ("name_zh", "name_zh")):
            if not chain[f]:
                err.add(cn.line, f"chain.{label}", "chains.map.required", field=f"chain.{label}")
        if chain["chain_id"] and not ID_RE.match(chain["chain_id"]):
            err.add(cn.value["id"].line, "chain.id", "chains.map.bad_id", value=chain["chain_id"])
        if chain["cluster_id"] and clusters is not None and chain["cluster_id"] not in clusters:
            err.add(cn.value["cluster"].line, "chain.cluster", "chains.map.unknown_cluster", value=chain["cluster_id"])

    seg_rows: list[dict[str, Any]] = []
    prod_rows: list[dict[str, Any]] = []
    mem_rows: list[dict[str, Any]] = []
    seg_line: dict[str, int] = {}
    main_of: dict[str, str] = {}
    sn = top.get("segments")
    if sn is None or not isinstance(sn.value, list) or not sn.value:
        err.add(sn.line if sn else 1, "segments", "chains.map.required", field="segments")
    else:
        for i, s in enumerate(sn.value):
            item = f"segments[{i + 1}]"
            if not isinstance(s.value, dict):
                err.add(s.line, item, "chains.map.not_mapping_item")
                continue
            d: dict[str, _Node] = s.value
            for k, v in d.items():
                if k not in SEGMENT_KEYS:
                    err.add(v.line, f"{item}.{k}", "chains.map.unknown_field", field=k,
                            allowed=", ".join(sorted(SEGMENT_KEYS)))
            sid = _text(d.get("id"))
            if not sid:
                err.add(s.line, f"{item}.id", "chains.map.required", field="id")
                continue
            item = f"segments[{sid}]"
            if not ID_RE.match(sid):
                err.add(d["id"].line, f"{item}.id", "chains.map.bad_id", value=sid)
            if sid in seg_line:
                err.add(d["id"].line, item, "chains.map.dup_segment", segment=sid, first=seg_line[sid])
                continue
            seg_line[sid] = d["id"].line
            owner = (segment_owner or {}).get(sid)
            if owner is not None and chain.get("chain_id") and owner != chain["chain_id"]:
                err.add(d["id"].line, item, "chains.map.segment_owned", segment=sid, chain=owner)
            name_zh = _text(d.get("name_zh"))
            if not name_zh:
                err.add(s.line, f"{item}.name_zh", "chains.map.required", field="name_zh")
            raw_pos = _text(d.get("position"))
            pos = POSITIONS.get((raw_pos or "").lower()) or POSITIONS.get(raw_pos or "")
            if pos is None:
                err.add(d["position"].line if "position" in d else s.line, f"{item}.position", "v.position")
            weight: float | None = None
            if d.get("weight") is not None and _text(d["weight"]) is not None:
                try:
                    weight = float(_text(d["weight"]) or "")
                    if weight < 0:
                        raise ValueError
                except ValueError:
                    err.add(d["weight"].line, f"{item}.weight", "chains.map.bad_weight", value=_text(d["weight"]))
            seg_rows.append({"segment_id": sid, "name_zh": name_zh, "name_en": _text(d.get("name_en")),
                             "position": pos, "weight": weight})
            hs = d.get("hs")
            hs_items = [] if hs is None or hs.value is None else (hs.value if isinstance(hs.value, list) else [hs])
            seen_hs: set[str] = set()
            for h in hs_items:
                code = normalise_hs(_text(h) or "")
                if not is_valid_hs_format(code) or (hs_chapters is not None and code[:2] not in hs_chapters):
                    err.add(h.line, f"{item}.hs", "chains.map.bad_hs", value=_text(h) or "")
                elif code not in seen_hs:
                    seen_hs.add(code)
                    prod_rows.append({"segment_id": sid, "hs_code": code})
            ents = d.get("enterprises")
            ent_items = [] if ents is None or ents.value is None else (
                ents.value if isinstance(ents.value, list) else [ents])
            seen_u: set[str] = set()
            for e in ent_items:
                if isinstance(e.value, dict):
                    uscc = _text(e.value.get("uscc"))
                    main_raw = (_text(e.value.get("main")) or "").lower()
                    if main_raw not in TRUE | FALSE:
                        err.add(e.value["main"].line, f"{item}.enterprises.main", "v.bool")
                    is_main = main_raw in TRUE
                else:
                    uscc, is_main = _text(e), False
                uscc = (uscc or "").strip().upper()
                problem = uscc_problem(uscc)
                if problem:
                    err.add(e.line, f"{item}.enterprises", "chains.map.bad_uscc", value=uscc, problem=problem)
                    continue
                if known_uscc is not None and uscc not in known_uscc:
                    err.add(e.line, f"{item}.enterprises", "chains.map.unknown_uscc", value=uscc)
                    continue
                if uscc in seen_u:
                    err.add(e.line, f"{item}.enterprises", "chains.map.dup_member", value=uscc)
                    continue
                seen_u.add(uscc)
                if is_main:
                    if uscc in main_of:
                        err.add(e.line, f"{item}.enterprises", "chains.map.two_mains", value=uscc,
                                first=main_of[uscc])
                    main_of[uscc] = sid
                mem_rows.append({"segment_id": sid, "uscc": uscc, "is_main": is_main})

    edge_rows: list[tuple[str, str]] = []
    edge_line: dict[tuple[str, str], int] = {}
    en = top.get("edges")
    for i, e in enumerate([] if en is None or en.value is None else (en.value if isinstance(en.value, list) else [en])):
        item = f"edges[{i + 1}]"
        a = b = None
        if isinstance(e.value, dict):
            a, b = _text(e.value.get("from")), _text(e.value.get("to"))
        elif isinstance(e.value, list) and len(e.value) == 2:
            a, b = _text(e.value[0]), _text(e.value[1])
        elif isinstance(e.value, str) and "->" in e.value:
            a, b = (x.strip() for x in e.value.split("->", 1))
        if not a or not b:
            err.add(e.line, item, "chains.map.bad_edge")
            continue
        bad = False
        for x in (a, b):
            if x not in seg_line:
                err.add(e.line, item, "chains.map.unknown_segment", segment=x)
                bad = True
        if bad:
            continue
        if a == b:
            err.add(e.line, item, "chains.map.self_edge", segment=a)
            continue
        if (a, b) in edge_line:
            err.add(e.line, item, "chains.map.dup_edge", first=edge_line[(a, b)], edge=f"{a} -> {b}")
            continue
        edge_line[(a, b)] = e.line
        edge_rows.append((a, b))
    cycle = find_cycle(list(seg_line), edge_rows)
    if cycle:
        err.add(edge_line[(str(cycle[0]), str(cycle[1]))], "edges", "v.cycle", cycle=" -> ".join(map(str, cycle)))
    if err.items:
        _raise(err)
    return ChainMap(
        chain=chain,
        segments=pd.DataFrame(seg_rows, columns=["segment_id", "name_zh", "name_en", "position", "weight"]),
        edges=pd.DataFrame(edge_rows, columns=["from_segment", "to_segment"]),
        products=pd.DataFrame(prod_rows, columns=["segment_id", "hs_code"]),
        members=pd.DataFrame(mem_rows, columns=["segment_id", "uscc", "is_main"]),
    )


def _raise(err: _Errors) -> NoReturn:
    first = err.items[0]
    raise ValidationFailed("chains.map_invalid", errors=err.items, file=err.file, n=len(err.items),
                           line=first["line"], item=first["item"])


def _ordered(segments: pd.DataFrame) -> pd.DataFrame:
    """Segments upstream first, then midstream, downstream; by id within a stage."""
    rank = segments["position"].map({"upstream": 0, "midstream": 1, "downstream": 2}).fillna(3)
    return segments.assign(_r=rank).sort_values(["_r", "segment_id"]).drop(columns="_r")


def dump_chain_map(cm: ChainMap) -> str:
    """Write a chain map in the documented YAML format (the inverse of :func:`parse_chain_map`)."""
    chain: dict[str, Any] = {"id": cm.chain["chain_id"], "name_zh": cm.chain["name_zh"]}
    if cm.chain.get("name_en"):
        chain["name_en"] = cm.chain["name_en"]
    if cm.chain.get("cluster_id"):
        chain["cluster"] = cm.chain["cluster_id"]
    prods = cm.products.groupby("segment_id")["hs_code"].apply(list).to_dict() if len(cm.products) else {}
    mems = {k: v for k, v in cm.members.groupby("segment_id")} if len(cm.members) else {}
    segs = []
    for r in _ordered(cm.segments).itertuples(index=False):
        s: dict[str, Any] = {"id": r.segment_id, "name_zh": r.name_zh}
        if isinstance(r.name_en, str) and r.name_en:
            s["name_en"] = r.name_en
        s["position"] = r.position
        if r.segment_id in prods:
            s["hs"] = sorted(prods[r.segment_id])
        if r.weight is not None and pd.notna(r.weight):
            s["weight"] = float(r.weight)
        if r.segment_id in mems:
            m = mems[r.segment_id].sort_values(["is_main", "uscc"], ascending=[False, True])
            s["enterprises"] = [{"uscc": u, "main": True} if bool(mn) else u
                                for u, mn in zip(m["uscc"], m["is_main"], strict=True)]
        segs.append(s)
    edges = [{"from": a, "to": b} for a, b in
             sorted(zip(cm.edges["from_segment"], cm.edges["to_segment"], strict=True))]
    doc = {"format": FORMAT, "chain": chain, "segments": segs, "edges": edges}
    head = "# chainwatch chain map (docs/chains.md). Edges run upstream -> downstream (supplier -> buyer).\n"
    return head + yaml.dump(doc, Dumper=_DUMPER, allow_unicode=True, sort_keys=False,
                            default_flow_style=None, width=110)


# -- workbook form ----------------------------------------------------------------------------------
SHEETS = {"chain": ("chain", "产业链"), "segments": ("segments", "环节"), "edges": ("edges", "上下游"),
          "enterprises": ("enterprises", "企业")}
SHEET_COLUMNS = {
    "chain": {"field": ("field", "字段"), "value": ("value", "值")},
    "segments": {"id": ("id", "环节代码"), "name_zh": ("name_zh", "中文名称"), "name_en": ("name_en", "英文名称"),
                 "position": ("position", "位置"), "hs": ("hs", "HS编码"), "weight": ("weight", "权重")},
    "edges": {"from": ("from", "上游环节"), "to": ("to", "下游环节")},
    "enterprises": {"segment": ("segment", "环节代码"), "uscc": ("uscc", "统一社会信用代码"), "main": ("main", "主营环节")},
}


def _cell(v: Any) -> str | None:
    if v is None or (isinstance(v, float) and v != v):
        return None
    text = str(v).strip()
    return text or None


def _hs_cell(code: str) -> str:
    """An HS code typed as a number loses its leading zero (0301 → 301): HS codes have even length."""
    code = normalise_hs(code)
    return "0" + code if code.isdigit() and len(code) % 2 == 1 else code


def parse_chain_sheets(sheets: Mapping[str, pd.DataFrame], file: str = "<workbook>", *,
                       known_uscc: Collection[str] | None = None, hs_chapters: Collection[str] | None = None,
                       segment_owner: Mapping[str, str] | None = None,
                       clusters: Collection[str] | None = None) -> ChainMap:
    """Parse a chain map given as workbook sheets (``chain``, ``segments``, ``edges``, ``enterprises``,
    or 产业链/环节/上下游/企业; English or Chinese column headers; all cells read as text).

    Errors name the sheet row as the line (the header is row 1). Validation is the same as for YAML.
    """
    err = _Errors(file)
    found: dict[str, pd.DataFrame] = {}
    for key, names in SHEETS.items():
        for n in names:
            if n in sheets:
                df = sheets[n]
                cols = {}
                for c in df.columns:
                    label = str(c).strip()
                    for target, aliases in SHEET_COLUMNS[key].items():
                        if label.lower() in {a.lower() for a in aliases}:
                            cols[c] = target
                found[key] = df.rename(columns=cols)
                break

    def rows(key: str) -> list[tuple[int, dict[str, str | None]]]:
        df = found.get(key)
        if df is None:
            return []
        wanted = [c for c in SHEET_COLUMNS[key] if c in df.columns]
        out = []
        for i, rec in enumerate(df[wanted].to_dict("records")):
            vals = {k: _cell(v) for k, v in rec.items()}
            if any(vals.values()):
                out.append((i + 2, vals))
        return out

    top: dict[str, _Node] = {}
    if "chain" in found:
        top["chain"] = _Node({(v.get("field") or ""): _Node(v.get("value"), r) for r, v in rows("chain")}, 2)
    members: dict[str, list[_Node]] = {}
    seg_ids = {v.get("id") for _, v in rows("segments")}
    for i, (r, v) in enumerate(rows("enterprises")):
        sid = v.get("segment")
        if sid not in seg_ids:
            err.add(r, f"enterprises[{i + 1}]", "chains.map.unknown_segment", segment=sid or "")
            continue
        members.setdefault(sid or "", []).append(
            _Node({"uscc": _Node(v.get("uscc"), r), "main": _Node(v.get("main") or "false", r)}, r))
    if "segments" in found:
        segs = []
        for r, v in rows("segments"):
            d = {k: _Node(x, r) for k, x in v.items() if x is not None and k != "hs"}
            codes = [c for c in re.split(r"[;,，；、\s]+", v.get("hs") or "") if c]
            d["hs"] = _Node([_Node(_hs_cell(c), r) for c in codes], r)
            d["enterprises"] = _Node(members.get(v.get("id") or "", []), r)
            segs.append(_Node(d, r))
        top["segments"] = _Node(segs, 1)
    if "edges" in found:
        top["edges"] = _Node([_Node({k: _Node(x, r) for k, x in v.items()}, r) for r, v in rows("edges")], 1)
    return _from_tree(_Node(top, 1), err, known_uscc=known_uscc, hs_chapters=hs_chapters,
                      segment_owner=segment_owner, clusters=clusters)


def chain_map_sheets(cm: ChainMap) -> dict[str, pd.DataFrame]:
    """The workbook form of a chain map (the inverse of :func:`parse_chain_sheets`); codes as text."""
    chain = pd.DataFrame({"field": ["id", "name_zh", "name_en", "cluster"],
                          "value": [cm.chain["chain_id"], cm.chain["name_zh"], cm.chain.get("name_en") or "",
                                    cm.chain.get("cluster_id") or ""]})
    prods = cm.products.groupby("segment_id")["hs_code"].apply(lambda x: ";".join(sorted(x))).to_dict() \
        if len(cm.products) else {}
    sg = _ordered(cm.segments)
    segs = pd.DataFrame({
        "id": sg["segment_id"], "name_zh": sg["name_zh"],
        "name_en": sg["name_en"].fillna("") if len(sg) else [],
        "position": sg["position"],
        "hs": sg["segment_id"].map(lambda s: prods.get(s, "")),
        "weight": sg["weight"].map(lambda w: "" if w is None or pd.isna(w) else f"{float(w):g}"),
    })
    edges = pd.DataFrame({"from": cm.edges["from_segment"], "to": cm.edges["to_segment"]}).sort_values(["from", "to"])
    ents = pd.DataFrame({"segment": cm.members["segment_id"], "uscc": cm.members["uscc"],
                         "main": cm.members["is_main"].map(lambda b: "true" if bool(b) else "")}
                        ).sort_values(["segment", "uscc"])
    return {"chain": chain, "segments": segs.reset_index(drop=True), "edges": edges.reset_index(drop=True),
            "enterprises": ents.reset_index(drop=True)}
