"""Chains service: chain maps, segment indicators, critical nodes, leaders, bottlenecks, targets.

Surfaces (CLI, web, bulletin, warnings) call ``cw.chains.<method>``; this module reads the store,
calls the pure analytics of :mod:`chainwatch.analytics.chains` and shapes ``Result`` tables.
Fractions become ``_pct`` columns (0–100); money is in 万元. Enterprise-level rows respect
``cw.scope`` (district officials see only their districts' enterprises; aggregates are city-wide).
"""

from __future__ import annotations

import hashlib
import math
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from chainwatch.analytics.chains import (
    ChainAnalysis,
    ChainInputs,
    ChainMap,
    Thresholds,
    analyse_chains,
    chain_map_sheets,
    dump_chain_map,
    parse_chain_map,
    parse_chain_sheets,
    rank_targets,
    willems_chain,
)
from chainwatch.analytics.chains.scorecard import SCORECARD_V1
from chainwatch.analytics.chains.targets import SIZE_SCORE, split_codes
from chainwatch.analytics.trade.countries import country_name
from chainwatch.errors import InputError, NotFound, ValidationFailed
from chainwatch.i18n import t
from chainwatch.model.codes import is_valid_hs_format, uscc_problem
from chainwatch.service.result import Result

if TYPE_CHECKING:
    from chainwatch.service import Chainwatch

STATUSES = ("open", "in_progress", "done", "dropped")
PRIORITIES = ("high", "medium", "low")
KINDS = ("technology", "missing_link", "weak_link")
LEVEL_ORDER = {"none": 0, "blue": 1, "yellow": 2, "orange": 3, "red": 4}


def _pct(x: Any) -> float | None:
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else round(100.0 * float(x), 2)


class ChainsService:
    """``cw.chains``: everything about chain maps (see docs/chains.md)."""

    def __init__(self, cw: Chainwatch) -> None:
        self.cw = cw
        self.store = cw.store
        self.thresholds = Thresholds()
        self._cache: dict[tuple[str, int | None], ChainAnalysis] = {}
        self._data: dict[int | None, dict[str, pd.DataFrame]] = {}

    # -- helpers -----------------------------------------------------------------------------------
    def _t(self, key: str, **params: Any) -> str:
        return t(key, self.cw.lang, **params)

    def _name_col(self) -> str:
        return "name_zh" if self.cw.lang == "zh" else "name_en"

    def _label(self, row: dict[str, Any] | pd.Series) -> str:
        name = row.get("name_en") if self.cw.lang == "en" else None
        return str(name if isinstance(name, str) and name else row.get("name_zh"))

    def _visible(self, districts: pd.Series) -> pd.Series:
        scope = self.cw.scope
        if scope is None:
            return pd.Series(True, index=districts.index)
        d = districts.fillna("").astype(str)
        return d.apply(lambda x: any(x.startswith(s) for s in scope))

    def _invalidate(self) -> None:
        self._cache.clear()
        self._data.clear()

    def default_year(self) -> int | None:
        y = self.store.scalar("SELECT max(year) FROM supply_link")
        if y is None:
            y = self.store.scalar("SELECT max(year) FROM monthly_value")
        return int(y) if y is not None else None

    def chain_row(self, chain_id: str) -> dict[str, Any]:
        df = self.store.df("SELECT * FROM chain WHERE chain_id = ?", [chain_id])
        if not len(df):
            raise NotFound("chains.not_found", chain=chain_id)
        return df.iloc[0].to_dict()

    def _load(self, year: int | None) -> dict[str, pd.DataFrame]:
        if year in self._data:
            return self._data[year]
        s = self.store
        d: dict[str, pd.DataFrame] = {
            "chains": s.df("SELECT chain_id, name_zh, name_en, cluster_id FROM chain ORDER BY chain_id"),
            "segments": s.df("""SELECT s.segment_id, s.chain_id, s.name_zh, s.name_en, s.position, w.weight
                                FROM segment s LEFT JOIN segment_weight w USING (segment_id)
                                ORDER BY s.chain_id, s.segment_id"""),
            "edges": s.df("SELECT chain_id, from_segment, to_segment FROM segment_edge"),
            "products": s.df("SELECT segment_id, hs_code FROM segment_product ORDER BY segment_id, hs_code"),
            "members": s.df("""SELECT m.segment_id, m.uscc, m.is_main, e.name, e.district
                               FROM segment_enterprise m LEFT JOIN enterprise e USING (uscc)"""),
            "output": s.df("""SELECT uscc, sum(gross_output) AS output FROM monthly_value WHERE year = ?
                              GROUP BY uscc""", [year]),
            "links": s.df("""SELECT l.supplier_uscc, l.supplier_name, l.supplier_country, l.supplier_region,
                                    l.buyer_uscc, l.hs_code, l.segment_id, l.annual_value,
                                    (e.uscc IS NOT NULL) AS supplier_local
                             FROM supply_link l LEFT JOIN enterprise e ON e.uscc = l.supplier_uscc
                             WHERE l.year = ?""", [year]),
        }
        # the city's trade of the year attributed to segments by the one rule of cw.trade.segment_flows
        flows = self.cw.trade.segment_flows(f"{year:04d}-01", f"{year:04d}-12", scoped=False) if year else None
        d["trade"] = (flows[["segment_id", "product", "partner", "flow", "value"]] if flows is not None
                      else pd.DataFrame(columns=["segment_id", "product", "partner", "flow", "value"]))
        prov = s.df("SELECT substr(district, 1, 2) AS p, count(*) AS n FROM enterprise GROUP BY 1 ORDER BY 2 DESC LIMIT 1")
        d["province"] = prov  # one row or empty
        self._data[year] = d
        return d

    def analysis(self, chain_id: str, year: int | None = None) -> ChainAnalysis:
        """The full :class:`ChainAnalysis` of one chain (cached per service instance)."""
        self.chain_row(chain_id)
        year = year or self.default_year()
        if (chain_id, year) not in self._cache:
            self._analyse([chain_id], year)
        return self._cache[(chain_id, year)]

    def analyses(self, year: int | None = None) -> dict[str, ChainAnalysis]:
        """:class:`ChainAnalysis` of every chain, computed in one pass."""
        year = year or self.default_year()
        ids = self._load(year)["chains"]["chain_id"].tolist()
        todo = [c for c in ids if (c, year) not in self._cache]
        if todo:
            self._analyse(todo if len(todo) < len(ids) else None, year)
        return {c: self._cache[(c, year)] for c in ids}

    def _analyse(self, chain_ids: list[str] | None, year: int | None) -> None:
        d = self._load(year)
        segs = d["segments"] if chain_ids is None else d["segments"][d["segments"]["chain_id"].isin(chain_ids)]
        segs = segs.reset_index(drop=True)
        ids = set(segs["segment_id"])
        members = d["members"][d["members"]["segment_id"].isin(ids)]
        firms = set(members["uscc"])
        links = d["links"]
        if chain_ids is not None:
            links = links[links["buyer_uscc"].isin(firms) | links["segment_id"].isin(ids) | links["segment_id"].isna()]
        edges = d["edges"] if chain_ids is None else d["edges"][d["edges"]["chain_id"].isin(chain_ids)]
        inp = ChainInputs(
            segments=segs, edges=edges,
            products=d["products"][d["products"]["segment_id"].isin(ids)],
            members=members,
            output=d["output"][d["output"]["uscc"].isin(firms)],
            links=links.reset_index(drop=True),
            trade=d["trade"],
            province=str(d["province"].iloc[0]["p"]) if len(d["province"]) else None,
        )
        for c, a in analyse_chains(inp, self.thresholds).items():
            self._cache[(c, year)] = a

    def _firm_names(self) -> dict[str, tuple[str, str]]:
        df = self.store.df("SELECT uscc, name, district FROM enterprise")
        return {u: (n, dd) for u, n, dd in zip(df["uscc"], df["name"], df["district"], strict=True)}

    def _reason_text(self, reasons: list[dict[str, Any]]) -> str:
        lang = self.cw.lang

        def params(r: dict[str, Any]) -> dict[str, Any]:
            out = {k: v for k, v in r.items() if k != "code"}
            if isinstance(out.get("country"), str):
                out["country"] = country_name(out["country"], lang)
            return out

        sep = "；" if lang == "zh" else "; "
        return sep.join(self._t(f"chains.reason.{r['code']}", **params(r)) for r in reasons)

    def _list_text(self, names: list[str], limit: int = 5) -> str:
        sep = "、" if self.cw.lang == "zh" else ", "
        text = sep.join(names[:limit])
        return text + (self._t("chains.explain.more") if len(names) > limit else "")

    # -- figures -----------------------------------------------------------------------------------
    def overview(self, year: int | None = None) -> Result:
        """Per chain: segments, coverage, missing/weak counts, local firms, output, local supply rate,
        import dependence, critical segments and enterprises, the top leader candidate."""
        year = year or self.default_year()
        chains = self._load(year)["chains"]
        names = self._firm_names()
        rows = []
        analyses = self.analyses(year)
        for c in chains.to_dict("records"):
            a = analyses[c["chain_id"]]
            s, seg = a.summary, a.segments
            lead = s["top_leader"]
            rows.append({
                "chain_id": c["chain_id"], "name": self._label(c),
                "n_segments": s["n_segments"], "n_present": s["n_present"],
                "coverage_pct": _pct(s["coverage"]), "coverage_upstream_pct": _pct(s["coverage_upstream"]),
                "coverage_midstream_pct": _pct(s["coverage_midstream"]),
                "coverage_downstream_pct": _pct(s["coverage_downstream"]),
                "coverage_weighted_pct": _pct(s["coverage_weighted"]),
                "n_missing": s["n_missing"], "n_weak": s["n_weak"],
                "n_enterprises": s["n_enterprises"], "output": s["output"],
                "local_supply_pct": _pct(s["local_supply_rate"]),
                "local_supply_count_pct": _pct(s["local_supply_rate_count"]),
                "import_dependence_pct": _pct(s["import_dependence"]),
                "n_critical_segments": s["n_critical_segments"],
                "n_critical_enterprises": s["n_critical_enterprises"],
                "top_leader": names.get(lead, (lead, ""))[0] if lead else None,
                "risk_level": max(seg["risk_level"], key=LEVEL_ORDER.__getitem__) if len(seg) else "none",
                "missing": [self._label(r) for r in seg[seg["status"] == "missing"].to_dict("records")],
                "weak": [self._label(r) for r in seg[seg["status"] == "weak"].to_dict("records")],
            })
        return Result("chains", meta=self.cw.meta(year=year, units={"money": "万元"},
                                                  thresholds=self.thresholds.__dict__),
                      tables={"chains": pd.DataFrame(rows)})

    def segments(self, chain_id: str, year: int | None = None) -> Result:
        """Per segment of one chain: firms, output, concentration, import dependence and origins, local
        supply, substitution difficulty, critical status, status (missing/weak/ok) with reasons in words."""
        year = year or self.default_year()
        c = self.chain_row(chain_id)
        a = self.analysis(chain_id, year)
        names = self._firm_names()
        scope_ok = self._scope_set()
        rows = []
        label = {r["segment_id"]: self._label(r) for r in a.segments.to_dict("records")}
        for r in a.segments.to_dict("records"):
            top = r["top_uscc"] if isinstance(r["top_uscc"], str) and (scope_ok is None or r["top_uscc"] in scope_ok) else None
            rows.append({
                "segment_id": r["segment_id"], "name": label[r["segment_id"]], "position": r["position"],
                "position_label": self._t(f"chains.pos.{r['position']}"),
                "n_enterprises": r["n_enterprises"], "output": r["output"], "output_share_pct": _pct(r["output_share"]),
                "cr1_pct": _pct(r["cr1"]), "cr3_pct": _pct(r["cr3"]), "hhi": r["hhi"], "hhi_norm": r["hhi_norm"],
                "single_source": bool(r["single_source"]),
                "top_enterprise": names.get(top, (None,))[0] if top else None,
                "imports": r["imports"], "exports": r["exports"],
                "import_dependence_pct": _pct(r["import_dependence"]), "id_fallback": bool(r["id_fallback"]),
                "origin_hhi": r["origin_hhi"], "n_origins": r["n_origins"], "top_origin": r["top_origin"],
                "top_origin_name": country_name(r["top_origin"], self.cw.lang)
                if isinstance(r["top_origin"], str) else None,
                "top_origin_pct": _pct(r["top_origin_share"]),
                "critical_dependence": bool(r["critical_dependence"]),
                "purchases": r["purchases"], "local_supply_pct": _pct(r["local_supply"]),
                "substitution_difficulty": r["substitution_difficulty"],
                "critical": bool(r["critical"]), "n_cut": r["n_cut"],
                "cut": [label[x] for x in r["cut"]], "structural_n_cut": r["structural_n_cut"],
                "foreign_supply_pct": _pct(r["foreign_share"]),
                "status": r["status"], "status_label": self._t(f"chains.status.{r['status']}"),
                "reasons": self._reason_text(r["reasons"]),
                "reason_codes": [x["code"] for x in r["reasons"]],
                "notes": "; ".join(self._t(f"chains.note.{n}") for n in r["notes"]),
                "risk_level": r["risk_level"],
                "structural_score": r["structural_score"], "score_breakdown": r["score_breakdown"],
            })
        s = a.summary
        sp = a.supply_split
        summary = [{
            "chain_id": chain_id, "name": self._label(c), "year": year, "n_segments": s["n_segments"],
            "coverage_pct": _pct(s["coverage"]), "coverage_upstream_pct": _pct(s["coverage_upstream"]),
            "coverage_midstream_pct": _pct(s["coverage_midstream"]),
            "coverage_downstream_pct": _pct(s["coverage_downstream"]),
            "coverage_weighted_pct": _pct(s["coverage_weighted"]), "n_missing": s["n_missing"], "n_weak": s["n_weak"],
            "n_enterprises": s["n_enterprises"], "output": s["output"],
            "local_supply_pct": _pct(sp["lsr"]), "local_supply_count_pct": _pct(sp["lsr_count"]),
            "supply_city_pct": _pct(sp["city"]), "supply_province_pct": _pct(sp["province"]),
            "supply_china_pct": _pct(sp["china"]), "supply_abroad_pct": _pct(sp["abroad"]),
            "purchases": sp["purchases"], "import_dependence_pct": _pct(s["import_dependence"]),
            "n_critical_segments": s["n_critical_segments"], "n_critical_enterprises": s["n_critical_enterprises"],
        }]
        prod = a.products.copy()
        prod["top_origin_pct"] = prod["top_origin_share"].map(_pct)
        prod = prod.drop(columns=["top_origin_share"]).rename(columns={"product": "hs_code"})
        return Result("chains.segments", meta=self.cw.meta(chain=chain_id, year=year, units={"money": "万元"},
                                                           scorecard=SCORECARD_V1.version),
                      tables={"summary": summary, "segments": pd.DataFrame(rows), "products": prod})

    def _scope_set(self) -> set[str] | None:
        if self.cw.scope is None:
            return None
        df = self.store.df("SELECT uscc, district FROM enterprise")
        return set(df.loc[self._visible(df["district"]), "uscc"])

    def critical(self, chain_id: str, year: int | None = None) -> Result:
        """Critical segments and enterprises of a chain, each with a plain-language explanation."""
        year = year or self.default_year()
        self.chain_row(chain_id)
        a = self.analysis(chain_id, year)
        label = {r["segment_id"]: self._label(r) for r in a.segments.to_dict("records")}
        seg_rows = []
        for r in a.critical_segments.to_dict("records"):
            cut = [label[x] for x in r["cut"]]
            seg_rows.append({"segment_id": r["segment_id"], "name": label[r["segment_id"]], "position": r["position"],
                             "n_enterprises": r["n_enterprises"], "status": r["status"], "n_cut": r["n_cut"],
                             "cut": cut, "explanation": self._t("chains.explain.segment", name=label[r["segment_id"]],
                                                                n=r["n_cut"], cut=self._list_text(cut))})
        names = self._firm_names()
        scope_ok = self._scope_set()
        ent_rows = []
        for r in a.critical_enterprises.to_dict("records"):
            u = r["uscc"]
            if scope_ok is not None and u not in scope_ok:
                continue
            firm = names.get(u, (u, None))[0]
            parts = []
            for sid in r["sole_producer_of"]:
                text = self._t("chains.explain.sole_producer", firm=firm, segment=label[sid])
                cut = [label[x] for x in r["segments_cut"] if x != sid]
                text += self._t("chains.explain.sole_producer_cut", n=len(cut), cut=self._list_text(cut)) if cut else "。"
                parts.append(text)
            if r["firms_cut"]:
                visible = [x for x in r["firms_cut"] if scope_ok is None or x in scope_ok]
                cut_names = [names.get(x, (x,))[0] for x in visible]
                parts.append(self._t("chains.explain.firm_cut", firm=firm, n=len(r["firms_cut"]),
                                     cut=self._list_text(cut_names) if cut_names else "…"))
            ent_rows.append({"uscc": u, "name": firm, "district": names.get(u, (None, None))[1],
                             "sole_producer_of": [label[x] for x in r["sole_producer_of"]],
                             "n_segments_cut": r["n_segments_cut"], "segments_cut": [label[x] for x in r["segments_cut"]],
                             "n_firms_cut": r["n_firms_cut"],
                             "explanation": " ".join(parts)})
        return Result("chains.critical", meta=self.cw.meta(chain=chain_id, year=year,
                                                           method="dominators from a super-source over local origins"),
                      tables={"segments": pd.DataFrame(seg_rows, columns=["segment_id", "name", "position", "n_enterprises",
                                                                          "status", "n_cut", "cut", "explanation"]),
                              "enterprises": pd.DataFrame(ent_rows, columns=[
                                  "uscc", "name", "district", "sole_producer_of", "n_segments_cut", "segments_cut",
                                  "n_firms_cut", "explanation"])})

    def leaders(self, chain_id: str, year: int | None = None, top: int | None = None) -> Result:
        """Chain-leader candidates with the breakdown of their score (risk-methods §1.9)."""
        year = year or self.default_year()
        self.chain_row(chain_id)
        a = self.analysis(chain_id, year)
        names = self._firm_names()
        lf = a.leaders.copy()
        lf["name"] = lf["uscc"].map(lambda u: names.get(u, (u, None))[0])
        lf["district"] = lf["uscc"].map(lambda u: names.get(u, (None, None))[1])
        lf["share_pct"] = lf["share"].map(_pct)
        for m in ("share", "pull", "network"):
            lf[f"pct_{m}"] = lf[f"pct_{m}"].map(_pct)
        lf["score"] = lf["score"].round(4)
        lf["explanation"] = [self._t(
            "chains.explain.leader", share=f"{r['share_pct'] or 0:.1f}", sup=r["local_suppliers"],
            pull=f"{r['pull_value']:,.0f}", cus=r["local_customers"], p1=f"{r['pct_share']:.0f}",
            p2=f"{r['pct_pull']:.0f}", p3=f"{r['pct_network']:.0f}",
            gate="" if r["eligible"] else self._t("chains.explain.leader_gate", min=5))
            for r in lf.to_dict("records")]
        if self.cw.scope is not None:
            lf = lf[self._visible(lf["district"].fillna(""))]
        cols = ["rank", "uscc", "name", "district", "output", "share_pct", "local_suppliers", "local_customers",
                "pull_value", "pagerank_in", "pagerank_out", "pct_share", "pct_pull", "pct_network", "score", "eligible",
                "explanation"]
        lf = lf[cols]
        if top:
            lf = lf.head(top)
        return Result("chains.leaders", meta=self.cw.meta(chain=chain_id, year=year, units={"money": "万元"},
                                                          min_share_pct=5.0, weights={"share": 1, "pull": 1, "network": 1}),
                      tables={"leaders": lf.reset_index(drop=True)})

    def graph(self, chain_id: str, year: int | None = None) -> dict[str, Any]:
        """Nodes and edges of the segment DAG, ready for an ECharts ``graph`` series.

        Nodes carry ``id, name, position, category (0 up, 1 mid, 2 down), x, y`` (layered layout:
        x = longest upstream path, y = order within the layer), ``value`` (output, 万元),
        ``n_enterprises, status, critical, n_cut, risk_level, structural_score, reasons``.
        """
        year = year or self.default_year()
        c = self.chain_row(chain_id)
        a = self.analysis(chain_id, year)
        seg = a.segments
        edges = self._load(year)["edges"]
        edges = edges[edges["chain_id"] == chain_id]
        depth = dict.fromkeys(seg["segment_id"], 0)
        preds: dict[str, list[str]] = {}
        for f, to in zip(edges["from_segment"], edges["to_segment"], strict=True):
            preds.setdefault(to, []).append(f)
        for _ in range(len(depth)):
            changed = False
            for v, ps in preds.items():
                d = max(depth[p] + 1 for p in ps)
                if d > depth[v]:
                    depth[v], changed = d, True
            if not changed:
                break
        layer_count: dict[int, int] = {}
        nodes = []
        cats = {"upstream": 0, "midstream": 1, "downstream": 2}
        for r in seg.to_dict("records"):
            d = depth[r["segment_id"]]
            k = layer_count.get(d, 0)
            layer_count[d] = k + 1
            nodes.append({"id": r["segment_id"], "name": self._label(r), "position": r["position"],
                          "category": cats.get(r["position"], 1), "x": d * 200, "y": k * 80,
                          "value": r["output"], "n_enterprises": int(r["n_enterprises"]), "status": r["status"],
                          "critical": bool(r["critical"]), "n_cut": int(r["n_cut"]), "risk_level": r["risk_level"],
                          "structural_score": r["structural_score"],
                          "reasons": self._reason_text(r["reasons"])})
        return {"meta": self.cw.meta(command="chains.graph", chain=chain_id, year=year),
                "chain": {"chain_id": chain_id, "name": self._label(c)},
                "categories": [{"name": self._t(f"chains.pos.{p}")} for p in cats],
                "nodes": _clean_nodes(nodes),
                "edges": [{"source": f, "target": to} for f, to in
                          zip(edges["from_segment"], edges["to_segment"], strict=True)],
                "levels": {lv: self._t(f"chains.level.{lv}") for lv in LEVEL_ORDER}}

    # -- chain-map files ---------------------------------------------------------------------------
    def _map_checks(self) -> dict[str, Any]:
        s = self.store
        owner_df = s.df("SELECT segment_id, chain_id FROM segment")
        return {"known_uscc": set(s.df("SELECT uscc FROM enterprise")["uscc"]),
                "hs_chapters": set(s.df("SELECT code FROM hs_code WHERE length(code) = 2")["code"]) or None,
                "segment_owner": dict(zip(owner_df["segment_id"], owner_df["chain_id"], strict=True)),
                "clusters": set(s.df("SELECT cluster_id FROM cluster")["cluster_id"])}

    def parse_map(self, text: str, file: str) -> ChainMap:
        """Validate chain-map YAML text against the database (enterprises, HS chapters, segments, clusters)."""
        return parse_chain_map(text, file, **self._map_checks())

    def import_map(self, path: str | Path) -> Result:
        """Validate a chain-map YAML file and replace that chain in the database atomically."""
        p = Path(path)
        if not p.is_file():
            raise InputError("chains.file_missing", file=str(p))
        if p.suffix.lower() in (".xlsx", ".xlsm"):
            try:
                sheets = pd.read_excel(p, sheet_name=None, dtype=str)
            except Exception as exc:  # not a workbook, or a damaged one
                raise InputError("chains.unreadable", file=p.name, detail=str(exc).splitlines()[0]) from exc
            cm = parse_chain_sheets(sheets, p.name, **self._map_checks())
        else:
            try:
                text = p.read_text(encoding="utf-8")
            except UnicodeDecodeError:
                text = p.read_text(encoding="gb18030")
            cm = self.parse_map(text, p.name)
        self.write_map(cm, source=p.name, sha256=hashlib.sha256(p.read_bytes()).hexdigest())
        return self._import_result(cm, p.name)

    def _import_result(self, cm: ChainMap, file: str) -> Result:
        counts = {"chain": cm.chain["chain_id"], "segments": len(cm.segments), "edges": len(cm.edges),
                  "products": len(cm.products), "members": len(cm.members)}
        return Result("chains.import", meta=self.cw.meta(file=file), tables={"imported": [counts]},
                      text=[self._t("chains.imported", **counts)])

    def write_map(self, cm: ChainMap, *, source: str, sha256: str = "") -> int:
        """Replace one chain (segments, edges, products, memberships, weights) in one transaction.

        The import is recorded in ``import_batch`` (kind ``chain_map``) and the audit log; a map equal
        to the one stored changes nothing (its rows are counted as unchanged). Returns the batch id.
        """
        cid = cm.chain["chain_id"]
        segs = cm.segments
        n = len(segs) + len(cm.edges) + len(cm.products) + len(cm.members) + 1
        exists = bool(self.store.scalar("SELECT count(*) FROM chain WHERE chain_id = ?", [cid]))
        same = exists and dump_chain_map(self.chain_map(cid)) == dump_chain_map(cm)
        now = datetime.now()
        with self.store.import_lock() as con:
            batch = int(con.scalar("SELECT coalesce(max(batch_id), 0) + 1 FROM import_batch"))
            con.execute("INSERT INTO import_batch VALUES (?, 'chain_map', ?, ?, ?, ?, NULL, ?, ?, 0, ?, ?, ?)",
                        [batch, source, sha256, now, self.cw.actor, n, n, 0 if same else n,
                         n if exists and not same else 0, n if same else 0])
            con.execute("INSERT INTO audit_log VALUES (?, ?, ?, ?, ?)",
                        [now, self.cw.actor, "chains.import", cid,
                         f"{source}: {len(segs)} segments, {len(cm.edges)} edges" + (" (unchanged)" if same else "")])
            if same:
                return batch
            old = [r[0] for r in con.rows("SELECT segment_id FROM segment WHERE chain_id = ?", [cid])]
            ids = sorted(set(old) | set(segs["segment_id"]))
            marks = ", ".join("?" for _ in ids)
            for table in ("segment_product", "segment_enterprise", "segment_weight"):
                con.execute(f"DELETE FROM {table} WHERE segment_id IN ({marks})", ids)
            con.execute("DELETE FROM segment_edge WHERE chain_id = ?", [cid])
            con.execute("DELETE FROM segment WHERE chain_id = ?", [cid])
            con.execute("DELETE FROM chain WHERE chain_id = ?", [cid])
            con.execute("INSERT INTO chain (chain_id, name_zh, name_en, cluster_id, batch_id) VALUES (?, ?, ?, ?, ?)",
                        [cid, cm.chain["name_zh"], cm.chain.get("name_en"), cm.chain.get("cluster_id"), batch])
            member = cm.members.assign(is_main=cm.members["is_main"].astype(bool))
            con.insert_df("segment", segs[["segment_id", "name_zh", "name_en", "position"]].assign(
                chain_id=cid, batch_id=batch), ["segment_id", "chain_id", "name_zh", "name_en", "position", "batch_id"])
            con.insert_df("segment_edge", cm.edges.assign(chain_id=cid, batch_id=batch),
                          ["chain_id", "from_segment", "to_segment", "batch_id"])
            con.insert_df("segment_product", cm.products.astype(str).assign(batch_id=batch),
                          ["segment_id", "hs_code", "batch_id"])
            con.insert_df("segment_enterprise", member.assign(batch_id=batch), ["segment_id", "uscc", "is_main", "batch_id"])
            con.insert_df("segment_weight", segs.loc[segs["weight"].notna(), ["segment_id", "weight"]].astype(
                {"weight": float}), ["segment_id", "weight"])
        self._invalidate()
        return batch

    def chain_map(self, chain_id: str) -> ChainMap:
        c = self.chain_row(chain_id)
        s = self.store
        segs = s.df("""SELECT s.segment_id, s.name_zh, s.name_en, s.position, w.weight FROM segment s
                       LEFT JOIN segment_weight w USING (segment_id) WHERE s.chain_id = ? ORDER BY s.segment_id""",
                    [chain_id])
        segs = segs.astype(object).where(segs.notna(), None)
        return ChainMap(
            chain={"chain_id": chain_id, "name_zh": c["name_zh"], "name_en": c.get("name_en"),
                   "cluster_id": c.get("cluster_id") if isinstance(c.get("cluster_id"), str) else None},
            segments=segs,
            edges=s.df("SELECT from_segment, to_segment FROM segment_edge WHERE chain_id = ?", [chain_id]),
            products=s.df("SELECT segment_id, hs_code FROM segment_product WHERE segment_id IN "
                          "(SELECT segment_id FROM segment WHERE chain_id = ?)", [chain_id]),
            members=s.df("SELECT segment_id, uscc, is_main FROM segment_enterprise WHERE segment_id IN "
                         "(SELECT segment_id FROM segment WHERE chain_id = ?)", [chain_id]),
        )

    def export_map(self, chain_id: str, path: str | Path | None = None) -> str:
        """The chain map as YAML text, written to ``path`` when given (a workbook for ``.xlsx``)."""
        cm = self.chain_map(chain_id)
        text = dump_chain_map(cm)
        if path is not None:
            p = Path(path)
            if p.suffix.lower() == ".xlsx":
                from chainwatch import sheets

                sheets.write_xlsx(p, chain_map_sheets(cm))
            else:
                p.write_text(text, encoding="utf-8")
        return text

    def import_willems(self, folder: str | Path, numbers: list[str] | None = None) -> Result:
        """Import Willems (2008) chains (stage = segment, link = edge) from the CSV folder."""
        root = Path(folder)
        if not root.is_dir():
            raise InputError("chains.willems_missing", path=str(root))
        found = sorted(p.name[:2] for p in root.glob("*_LL.csv"))
        wanted = [f"{int(n):02d}" for n in numbers] if numbers else found
        rows = []
        for nn in wanted:
            sd, ll = root / f"{nn}_SD.csv", root / f"{nn}_LL.csv"
            if not sd.is_file() or not ll.is_file():
                raise InputError("chains.willems_missing", path=str(sd))
            cm = willems_chain(pd.read_csv(sd), pd.read_csv(ll), nn)
            cm.segments = cm.segments.drop(columns=["stage_cost"])
            self.write_map(cm, source=f"willems2008/{nn}",
                           sha256=hashlib.sha256(sd.read_bytes() + ll.read_bytes()).hexdigest())
            rows.append({"chain": cm.chain["chain_id"], "segments": len(cm.segments), "edges": len(cm.edges),
                         "products": 0, "members": 0})
        return Result("chains.import_willems", meta=self.cw.meta(source=str(root)), tables={"imported": rows},
                      text=[self._t("chains.willems_imported", n=len(rows))])

    # -- bottleneck register (关键核心技术攻关清单) --------------------------------------------------
    def _check_item_fields(self, f: dict[str, Any]) -> dict[str, Any]:
        out = dict(f)
        if "status" in f and f["status"] not in STATUSES:
            raise InputError("chains.bn.bad_status", value=f["status"])
        if "priority" in f and f["priority"] not in PRIORITIES:
            raise InputError("chains.bn.bad_priority", value=f["priority"])
        if "kind" in f and f["kind"] not in KINDS:
            raise InputError("chains.bn.bad_kind", value=f["kind"])
        if f.get("target_date") is not None and not isinstance(f["target_date"], date):
            try:
                out["target_date"] = date.fromisoformat(str(f["target_date"]))
            except ValueError:
                raise InputError("chains.bn.bad_date", value=f["target_date"]) from None
        if f.get("chain_id"):
            self.chain_row(f["chain_id"])
        if f.get("segment_id"):
            ch = self.store.scalar("SELECT chain_id FROM segment WHERE segment_id = ?", [f["segment_id"]])
            if ch is None:
                raise NotFound("chains.segment_not_found", segment=f["segment_id"])
            out.setdefault("chain_id", ch)
            if not out.get("chain_id"):
                out["chain_id"] = ch
        return out

    def bottleneck_add(self, title: str | None, *, title_en: str | None = None, kind: str = "technology",
                       chain_id: str | None = None, segment_id: str | None = None, description: str | None = None,
                       owner: str | None = None, status: str = "open", priority: str = "medium",
                       target_date: str | date | None = None, enterprises: list[str] | None = None) -> Result:
        """Add an item to the register; returns it (as :meth:`bottleneck_show`)."""
        if not title:
            raise InputError("chains.bn.no_title")
        f = self._check_item_fields({"kind": kind, "chain_id": chain_id, "segment_id": segment_id, "status": status,
                                     "priority": priority, "target_date": target_date})
        ents = [e.strip().upper() for e in (enterprises or []) if e.strip()]
        known = set(self.store.df("SELECT uscc FROM enterprise")["uscc"])
        for e in ents:
            if uscc_problem(e) or e not in known:
                raise InputError("chains.bn.bad_uscc", value=e)
        now = datetime.now()
        with self.store.transaction() as con:
            n = con.scalar("SELECT count(*) FROM bottleneck_item")
            item_id = f"BN-{n + 1:04d}"
            while con.scalar("SELECT count(*) FROM bottleneck_item WHERE item_id = ?", [item_id]):
                n += 1
                item_id = f"BN-{n + 1:04d}"
            con.execute("""INSERT INTO bottleneck_item (item_id, title, title_en, kind, chain_id, segment_id, description,
                           owner, status, priority, target_date, created_at, created_by, updated_at)
                           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                        [item_id, title, title_en, f["kind"], f.get("chain_id"), f.get("segment_id"), description, owner,
                         f["status"], f["priority"], f.get("target_date"), now, self.cw.actor, now])
            for e in ents:
                con.execute("INSERT INTO bottleneck_enterprise VALUES (?, ?, 'lead')", [item_id, e])
            con.execute("INSERT INTO bottleneck_history VALUES (?, ?, ?, 'created', NULL, ?, ?)",
                        [item_id, now, self.cw.actor, f["status"], title])
            con.execute("INSERT INTO audit_log VALUES (?, ?, ?, ?, ?)",
                        [now, self.cw.actor, "bottleneck.add", item_id, title])
        res = self.bottleneck_show(item_id)
        res.text.insert(0, self._t("chains.bn.added", item=item_id, title=title))
        return res

    def bottleneck_from_segment(self, segment_id: str, *, owner: str | None = None,
                                target_date: str | date | None = None, priority: str = "medium",
                                force: bool = False, year: int | None = None) -> Result:
        """Turn a missing or weak segment into a register item, its reasons as the description."""
        ch = self.store.scalar("SELECT chain_id FROM segment WHERE segment_id = ?", [segment_id])
        if ch is None:
            raise NotFound("chains.segment_not_found", segment=segment_id)
        a = self.analysis(ch, year)
        r = a.segments.set_index("segment_id").loc[segment_id]
        if r["status"] == "ok" and not force:
            raise InputError("chains.bn.segment_ok", segment=segment_id)
        kind = "missing_link" if r["status"] == "missing" else "weak_link"
        c = self.chain_row(ch)
        zh = t("chains.bn.title_missing" if kind == "missing_link" else "chains.bn.title_weak", "zh", segment=r["name_zh"])
        en = t("chains.bn.title_missing" if kind == "missing_link" else "chains.bn.title_weak", "en",
               segment=r["name_en"] if isinstance(r["name_en"], str) and r["name_en"] else r["name_zh"])
        desc = self._t("chains.bn.from_segment_desc", segment=self._label(r.to_dict()),
                       chain=self._label(c), reasons=self._reason_text(r["reasons"]))
        return self.bottleneck_add(zh, title_en=en, kind=kind, chain_id=ch, segment_id=segment_id, description=desc,
                                   owner=owner, priority=priority, target_date=target_date)

    def bottleneck_update(self, item_id: str, *, note: str | None = None, add_enterprises: list[str] | None = None,
                          **fields: Any) -> Result:
        """Change fields of an item (status, owner, target_date, priority, title, description …);
        every changed field is written to the item's history."""
        cur = self.store.df("SELECT * FROM bottleneck_item WHERE item_id = ?", [item_id])
        if not len(cur):
            raise NotFound("chains.bn.not_found", item=item_id)
        allowed = {"title", "title_en", "kind", "chain_id", "segment_id", "description", "owner", "status", "priority",
                   "target_date"}
        changes = {k: v for k, v in fields.items() if k in allowed and v is not None}
        changes = self._check_item_fields(changes)
        old = cur.iloc[0].to_dict()
        diff = {}
        for k, v in changes.items():
            ov = old.get(k)
            ov_s = None if ov is None or (isinstance(ov, float) and math.isnan(ov)) or ov is pd.NaT else str(
                ov.date() if isinstance(ov, pd.Timestamp) else ov)
            if ov_s != str(v):
                diff[k] = (ov_s, str(v), v)
        ents = [e.strip().upper() for e in (add_enterprises or []) if e.strip()]
        known = set(self.store.df("SELECT uscc FROM enterprise")["uscc"])
        for e in ents:
            if e not in known:
                raise InputError("chains.bn.bad_uscc", value=e)
        if not diff and not ents and not note:
            raise InputError("chains.bn.nothing")
        now = datetime.now()
        with self.store.transaction() as con:
            for k, (ov, nv, v) in diff.items():
                con.execute(f"UPDATE bottleneck_item SET {k} = ?, updated_at = ? WHERE item_id = ?", [v, now, item_id])
                con.execute("INSERT INTO bottleneck_history VALUES (?, ?, ?, ?, ?, ?, ?)",
                            [item_id, now, self.cw.actor, k, ov, nv, note])
            for e in ents:
                con.execute("INSERT INTO bottleneck_enterprise VALUES (?, ?, 'participant') ON CONFLICT DO NOTHING",
                            [item_id, e])
                con.execute("INSERT INTO bottleneck_history VALUES (?, ?, ?, 'enterprise', NULL, ?, ?)",
                            [item_id, now, self.cw.actor, e, note])
            if note and not diff and not ents:
                con.execute("INSERT INTO bottleneck_history VALUES (?, ?, ?, 'note', NULL, NULL, ?)",
                            [item_id, now, self.cw.actor, note])
            con.execute("UPDATE bottleneck_item SET updated_at = ? WHERE item_id = ?", [now, item_id])
            con.execute("INSERT INTO audit_log VALUES (?, ?, ?, ?, ?)",
                        [now, self.cw.actor, "bottleneck.update", item_id, ", ".join(diff) or "note"])
        res = self.bottleneck_show(item_id)
        res.text.insert(0, self._t("chains.bn.updated", item=item_id, fields=", ".join([*diff, *(["enterprises"] if ents else [])]) or "note"))
        return res

    def _items_frame(self, df: pd.DataFrame) -> pd.DataFrame:
        today = pd.Timestamp(date.today())
        td = pd.to_datetime(df["target_date"])
        df = df.assign(
            title=[r["title_en"] if self.cw.lang == "en" and isinstance(r["title_en"], str) and r["title_en"]
                   else r["title"] for r in df.to_dict("records")],
            status_label=df["status"].map(lambda s: self._t(f"chains.bn.status.{s}")),
            overdue=(td < today) & df["status"].isin(["open", "in_progress"]),
            target_date=td.dt.date.astype(object).where(td.notna(), None),
        )
        return df

    def bottleneck_list(self, *, status: str | None = None, chain_id: str | None = None) -> Result:
        """Register items (optionally one status or chain), with overdue flags and enterprise counts."""
        if status is not None and status not in STATUSES:
            raise InputError("chains.bn.bad_status", value=status)
        df = self.store.df("""SELECT i.item_id, i.title, i.title_en, i.kind, i.chain_id, i.segment_id, i.owner, i.status,
                                     i.priority, i.target_date, i.updated_at,
                                     (SELECT count(*) FROM bottleneck_enterprise b WHERE b.item_id = i.item_id) AS n_enterprises
                              FROM bottleneck_item i
                              WHERE (CAST(? AS VARCHAR) IS NULL OR i.status = ?)
                                AND (CAST(? AS VARCHAR) IS NULL OR i.chain_id = ?)
                              ORDER BY i.item_id""", [status, status, chain_id, chain_id])
        df = self._items_frame(df).drop(columns=["title_en"])
        return Result("bottleneck.list", meta=self.cw.meta(status=status, chain=chain_id), tables={"items": df})

    def bottleneck_show(self, item_id: str) -> Result:
        """One item with its enterprises and full history."""
        df = self.store.df("SELECT * FROM bottleneck_item WHERE item_id = ?", [item_id])
        if not len(df):
            raise NotFound("chains.bn.not_found", item=item_id)
        ents = self.store.df("""SELECT b.uscc, e.name, e.district, b.role FROM bottleneck_enterprise b
                                LEFT JOIN enterprise e USING (uscc) WHERE b.item_id = ? ORDER BY b.uscc""", [item_id])
        if self.cw.scope is not None:
            ents = ents[self._visible(ents["district"])]
        hist = self.store.df("""SELECT ts, actor, field, old_value, new_value, note FROM bottleneck_history
                                WHERE item_id = ? ORDER BY ts, field""", [item_id])
        return Result("bottleneck.show", meta=self.cw.meta(item=item_id),
                      tables={"item": self._items_frame(df), "enterprises": ents, "history": hist})

    # -- investment directory and targets (补链招商) ---------------------------------------------------
    DIR_COLUMNS = {"name": ("name", "名称", "企业名称"), "region": ("region", "地区", "所在地"),
                   "country": ("country", "国家"), "hs_codes": ("hs_codes", "hs", "hs编码", "产品编码"),
                   "products": ("products", "产品", "主营产品"), "revenue": ("revenue", "营业收入", "营业收入(万元)"),
                   "employees": ("employees", "从业人员", "员工"), "size_class": ("size_class", "size", "规模"),
                   "contact": ("contact", "联系方式"), "source": ("source", "来源")}

    def directory_import(self, path: str | Path) -> Result:
        """Import (upsert) the external enterprise directory from CSV or XLSX; all rows or none."""
        p = Path(path)
        if not p.is_file():
            raise InputError("chains.file_missing", file=str(p))
        if p.suffix.lower() in (".xlsx", ".xlsm"):
            raw = pd.read_excel(p, dtype=str)
        else:
            try:
                raw = pd.read_csv(p, dtype=str, encoding="utf-8-sig")
            except UnicodeDecodeError:
                raw = pd.read_csv(p, dtype=str, encoding="gb18030")
        norm = {str(c).strip().lower().replace(" ", "").replace("（", "(").replace("）", ")"): c for c in raw.columns}
        cols: dict[str, Any] = {}
        for target, aliases in self.DIR_COLUMNS.items():
            for a in aliases:
                if a.lower() in norm:
                    cols[target] = norm[a.lower()]
                    break
        missing = [c for c in ("name", "hs_codes") if c not in cols]
        if missing:
            raise InputError("chains.dir.missing_columns", file=p.name, columns=", ".join(missing))
        df = pd.DataFrame({k: raw[v] for k, v in cols.items()})
        for k in self.DIR_COLUMNS:
            if k not in df:
                df[k] = None
        df = df.astype(object).where(df.notna(), None)
        errors: list[dict[str, Any]] = []
        rows = []
        for i, r in enumerate(df.to_dict("records")):
            line = i + 2
            name = (r["name"] or "").strip()
            if not name:
                errors.append({"row": line, "column": "name", "value": "", "key": "v.required"})
            codes = split_codes(r["hs_codes"])
            bad = [c for c in codes if not is_valid_hs_format(c)]
            if not codes or bad:
                errors.append({"row": line, "column": "hs_codes", "value": r["hs_codes"] or "", "key": "chains.dir.bad_hs"})
            vals: dict[str, float | None] = {}
            for col in ("revenue", "employees"):
                v = r[col]
                if v is None or str(v).strip() == "":
                    vals[col] = None
                    continue
                try:
                    vals[col] = float(str(v).replace(",", ""))
                    if vals[col] < 0:  # type: ignore[operator]
                        errors.append({"row": line, "column": col, "value": v, "key": "v.negative"})
                except ValueError:
                    errors.append({"row": line, "column": col, "value": v, "key": "v.number"})
            size = (r["size_class"] or "").strip().lower() or None
            if size and size not in SIZE_SCORE:
                errors.append({"row": line, "column": "size_class", "value": size, "key": "chains.dir.bad_size"})
            country = (r["country"] or "CHN").strip().upper()
            region = (r["region"] or "").strip() or None
            ext_id = hashlib.sha1(f"{name}|{region or ''}|{country}".encode()).hexdigest()[:16]
            rows.append({"ext_id": ext_id, "name": name, "region": region, "country": country,
                         "hs_codes": ";".join(codes), "products": r["products"], "revenue": vals.get("revenue"),
                         "employees": vals.get("employees"), "size_class": size, "contact": r["contact"],
                         "source": r["source"], "file_name": p.name, "imported_at": datetime.now()})
        if errors:
            for e in errors:
                e["message"] = self._t(e["key"], value=e["value"], allowed="")
            first = errors[0]
            raise ValidationFailed("chains.dir.invalid", errors=pd.DataFrame(errors), file=p.name, n=len(errors),
                                   row=first["row"], column=first["column"])
        new = pd.DataFrame(rows).drop_duplicates("ext_id", keep="last")
        existing = set(self.store.df("SELECT ext_id FROM invest_directory")["ext_id"])
        n_new = int((~new["ext_id"].isin(existing)).sum())
        with self.store.transaction() as con:
            with con.registered("_cw_dir", new[["ext_id"]]):
                con.execute("DELETE FROM invest_directory WHERE ext_id IN (SELECT ext_id FROM _cw_dir)")
            con.insert_df("invest_directory", new)
            con.execute("INSERT INTO audit_log VALUES (?, ?, ?, ?, ?)",
                        [datetime.now(), self.cw.actor, "chains.directory_import", p.name, f"{len(new)} rows"])
        counts = {"file": p.name, "n": len(new), "new": n_new, "updated": len(new) - n_new}
        return Result("chains.directory_import", meta=self.cw.meta(), tables={"imported": [counts]},
                      text=[self._t("chains.dir.imported", **counts)])

    def targets(self, chain_id: str, *, segment_id: str | None = None, top: int = 5,
                include_ok: bool = False, year: int | None = None) -> Result:
        """Outside enterprises that could fill the chain's missing and weak segments, best first, with reasons."""
        self.chain_row(chain_id)
        directory = self.store.df("SELECT * FROM invest_directory")
        if not len(directory):
            raise InputError("chains.dir.empty")
        a = self.analysis(chain_id, year)
        seg = a.segments
        if segment_id:
            if segment_id not in set(seg["segment_id"]):
                raise NotFound("chains.segment_not_found", segment=segment_id)
            seg = seg[seg["segment_id"] == segment_id]
        elif not include_ok:
            seg = seg[seg["status"] != "ok"]
        prods = self._load(year or self.default_year())["products"]
        ranked = rank_targets(seg[["segment_id", "name_zh", "name_en", "status"]], prods, directory, top_n=top)
        label = {r["segment_id"]: self._label(r) for r in seg.to_dict("records")}
        status = dict(zip(seg["segment_id"], seg["status"], strict=True))
        reasons = []
        for r in ranked.to_dict("records"):
            parts = []
            if r["match_kind"] == "hs":
                how = self._t(f"chains.target.how.{_hs_part(r)}")
                parts.append(self._t("chains.target.reason_hs", cand=r["cand_code"], seg=r["seg_code"], how=how))
            if isinstance(r["keyword"], str):
                parts.append(self._t("chains.target.reason_kw", kw=r["keyword"]))
            if r["revenue"] is not None and not (isinstance(r["revenue"], float) and np.isnan(r["revenue"])):
                parts.append(self._t("chains.target.reason_size", rev=f"{float(r['revenue']) / 1e4:,.2f}"))
            elif isinstance(r["size_class"], str):
                parts.append(self._t("chains.target.reason_class", size=r["size_class"]))
            reasons.append(("；" if self.cw.lang == "zh" else "; ").join(parts))
        ranked.insert(1, "segment", ranked["segment_id"].map(label))
        ranked.insert(2, "status", ranked["segment_id"].map(lambda s: self._t(f"chains.status.{status[s]}")))
        ranked["reason"] = reasons
        ranked["score"] = ranked["score"].astype(float).round(4)
        return Result("chains.targets", meta=self.cw.meta(chain=chain_id, units={"money": "万元"},
                                                          method="score = 0.7 match + 0.3 size percentile"),
                      tables={"targets": ranked.drop(columns=["match_kind"])},
                      text=[] if len(ranked) else [self._t("chains.target.none")])


def _hs_part(r: dict[str, Any]) -> float:
    """The HS part of a target's match score (the keyword bonus removed)."""
    from chainwatch.analytics.chains.targets import hs_match

    return hs_match([str(r["cand_code"])], [str(r["seg_code"])])[0]


def _clean_nodes(nodes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    from chainwatch.service.result import rows_of

    return rows_of(nodes)
