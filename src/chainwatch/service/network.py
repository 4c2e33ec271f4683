"""Network service: VAT invoices → the supply network (``supply_link``), on DuckDB or Spark.

``cw.network.build(year, engine=..., min_value=..., min_share=..., source=...)`` aggregates the year's
invoices with the Ibis expressions of :mod:`chainwatch.analytics.network.build`, maps the parties to
the enterprise directory (local) or external parties, gives each link a segment from its main
product, and writes the links as a new revision of the year's network: the previous links move to
``supply_link_archive``, the build is one ``import_batch`` (kind ``network``) and one
``network_build`` row with its lineage (invoice batches or files, their digest, counts, thresholds,
engine, timings). ``cw.network.builds()`` lists the builds; ``cw.network.invoices(...)`` writes a
synthetic invoice set consistent with the database's links (:mod:`chainwatch.demo.invoices`).
"""

from __future__ import annotations

import hashlib
import json
import time
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from chainwatch.analytics.network.build import counts_expr, cube_expr, links_expr, product_label
from chainwatch.errors import NotFound, UsageError
from chainwatch.i18n import t
from chainwatch.service.result import Result
from chainwatch.store.engines import Engine, check_engine, open_engine

if TYPE_CHECKING:
    from chainwatch.service import Chainwatch

LINK_COLUMNS = ["link_id", "supplier_uscc", "supplier_name", "supplier_country", "supplier_region", "buyer_uscc",
                "hs_code", "segment_id", "year", "annual_value", "share", "essential", "buyer_share", "seller_share",
                "months_active", "n_invoices", "main_products"]
ARCHIVED = ["link_id", "supplier_uscc", "supplier_name", "supplier_country", "supplier_region", "buyer_uscc", "hs_code",
            "segment_id", "year", "annual_value", "share", "essential", "batch_id", "buyer_share", "seller_share",
            "months_active", "n_invoices", "main_products", "build_id"]
# VAT invoices describe domestic trade: a build replaces the year's domestic links and keeps the links
# from foreign suppliers (imports: customs data or imported supply-link files)
DOMESTIC = "coalesce(supplier_country, 'CHN') = 'CHN'"
COUNT_KEYS = ("n_lines", "n_valid", "n_red", "n_void", "n_self", "n_no_buyer")


class NetworkService:
    """Supply networks built from invoices."""

    def __init__(self, cw: Chainwatch) -> None:
        self.cw = cw
        self.store = cw.store

    # -- computing (no writes) -----------------------------------------------------------------
    def compute(self, year: int, *, engine: str | None = None, min_value: float = 0.0, min_share: float = 0.0,
                source: str | Path | None = None) -> dict[str, Any]:
        """The links of ``year`` from the invoices, on ``engine``; nothing is written.

        Returns ``{"links": DataFrame (LINK_COLUMNS without link_id, plus local flags), "counts": {...},
        "meta": engine meta, "engine_seconds": float}``.
        """
        year = int(year)
        if min_value < 0:
            raise UsageError("network.bad_min_value", value=min_value)
        if not 0.0 <= min_share <= 1.0:
            raise UsageError("network.bad_min_share", value=min_share)
        name = check_engine(engine, self.cw.settings)
        if source is None and name == "duckdb" and not self.store.scalar(
                "SELECT count(*) FROM invoice WHERE year = ?", [year]):
            raise NotFound("network.no_invoices", year=year)
        eng = open_engine(self.store, self.cw.settings, name, source=source, export_tables=("invoice",))
        try:
            t0 = time.perf_counter()
            raw = self._run(eng, year, min_value, min_share)
            seconds = time.perf_counter() - t0
            meta = eng.meta()
        finally:
            eng.close()
        if int(raw["counts"].get("n_lines") or 0) == 0:
            raise NotFound("network.no_invoices", year=year)
        links = self._map(raw["links"], raw["products"], year)
        return {"links": links, "counts": {**raw["counts"], **raw["pairs"]}, "meta": meta,
                "engine_seconds": seconds}

    @staticmethod
    def _run(eng: Engine, year: int, min_value: float, min_share: float) -> dict[str, Any]:
        invoice = eng.table("invoice")
        with eng.cached(cube_expr(invoice, year)) as cube:
            counts = eng.execute(counts_expr(cube)).iloc[0].to_dict()
            exprs = links_expr(cube, min_value=min_value, min_share=min_share)
            links = eng.execute(exprs["links"])
            products = eng.execute(exprs["products"])
            pairs = eng.execute(exprs["pairs"]).iloc[0].to_dict()
        clean = {k: int(v) if v is not None and not pd.isna(v) else 0 for k, v in {**counts}.items()}
        return {"links": links, "products": products, "counts": clean,
                "pairs": {k: int(v) if v is not None and not pd.isna(v) else 0 for k, v in pairs.items()}}

    def _map(self, links: pd.DataFrame, products: pd.DataFrame, year: int) -> pd.DataFrame:
        """Parties → local enterprises or external parties; main products; segments; stable order."""
        local = set(self.store.df("SELECT uscc FROM enterprise")["uscc"])
        links = links.copy()
        links["seller_local"] = links["seller_uscc"].isin(local)
        links["buyer_local"] = links["buyer_uscc"].isin(local)
        outside = ~(links["seller_local"] | links["buyer_local"])
        links.attrs["n_outside"] = int(outside.sum())
        links = links[~outside].sort_values(["buyer_uscc", "seller_uscc"]).reset_index(drop=True)
        top = products.sort_values(["seller_uscc", "buyer_uscc", "rank"])
        top = top.assign(item=[{"code": product_label(p), "share": round(float(s), 6)}
                               for p, s in zip(top["product"], top["product_share"], strict=True)])
        lists = top.groupby(["seller_uscc", "buyer_uscc"])["item"].agg(list)
        keys = list(zip(links["seller_uscc"], links["buyer_uscc"], strict=True))
        main = [lists.get(k, []) for k in keys]
        links["main_products"] = [json.dumps(m, ensure_ascii=False) for m in main]
        mp = links["main_product"].astype(str)
        links["hs_code"] = np.where(mp.str.startswith("T"), None, mp)
        links["segment_id"] = self._segments(links)
        region = links["seller_uscc"].str[2:8]
        out = pd.DataFrame({
            "supplier_uscc": links["seller_uscc"],
            "supplier_name": links["seller_name"].where(~links["seller_local"], None),
            "supplier_country": "CHN",
            "supplier_region": region.where(~links["seller_local"], None),
            "buyer_uscc": links["buyer_uscc"],
            "hs_code": links["hs_code"],
            "segment_id": links["segment_id"],
            "year": year,
            "annual_value": links["value"].astype(float),
            "share": links["share"].astype(float),
            "buyer_share": links["buyer_share"].astype(float),
            "seller_share": links["seller_share"].astype(float),
            "months_active": links["months_active"].astype("Int64"),
            "n_invoices": links["n_invoices"].astype("Int64"),
            "main_products": links["main_products"],
            "supplier_local": links["seller_local"], "buyer_local": links["buyer_local"],
            "buyer_name": links["buyer_name"], "seller_name": links["seller_name"],
        })
        out.attrs["n_outside"] = links.attrs["n_outside"]
        return out

    def _segments(self, links: pd.DataFrame) -> list[str | None]:
        """Segment of each link's main product: one the supplier belongs to, else one feeding a segment
        of the buyer, else the first by id; None when no segment lists the product."""
        prods = self.store.df("SELECT segment_id, hs_code FROM segment_product")
        members = self.store.df("SELECT segment_id, uscc FROM segment_enterprise")
        edges = self.store.df("SELECT from_segment, to_segment FROM segment_edge")
        by_code: dict[str, list[str]] = {}
        for seg, code in zip(prods["segment_id"], prods["hs_code"].astype(str), strict=True):
            by_code.setdefault(code, []).append(seg)
        of_firm: dict[str, set[str]] = {}
        for seg, u in zip(members["segment_id"], members["uscc"], strict=True):
            of_firm.setdefault(u, set()).add(seg)
        feeds: dict[str, set[str]] = {}
        for a, b in zip(edges["from_segment"], edges["to_segment"], strict=True):
            feeds.setdefault(a, set()).add(b)
        out: list[str | None] = []
        for code, sup, buy in zip(links["hs_code"], links["seller_uscc"], links["buyer_uscc"], strict=True):
            if code is None or not isinstance(code, str):
                out.append(None)
                continue
            cands = sorted({s for k in (code, code[:4], code[:2]) for s in by_code.get(k, [])})
            if not cands:
                out.append(None)
                continue
            own = [s for s in cands if s in of_firm.get(sup, ())]
            feeding = [s for s in cands if feeds.get(s, set()) & of_firm.get(buy, set())]
            out.append((own or feeding or cands)[0])
        return out

    # -- building (writes a revision) ----------------------------------------------------------
    def build(self, year: int, *, engine: str | None = None, min_value: float = 0.0, min_share: float = 0.0,
              source: str | Path | None = None, top: int = 20) -> Result:
        """Build and store the year's supply network from invoices (see the module docstring)."""
        t_start = time.perf_counter()
        res = self.compute(year, engine=engine, min_value=min_value, min_share=min_share, source=source)
        links, counts = res["links"], res["counts"]
        year = int(year)
        batches, digest, source_label = self._lineage(year, source)
        st = self.store
        old = st.df("SELECT supplier_uscc, buyer_uscc, segment_id, essential FROM supply_link WHERE year = ? "
                    f"AND {DOMESTIC}", [year])
        ess = {(a, b, c): bool(e) for a, b, c, e in zip(old["supplier_uscc"], old["buyer_uscc"],
                                                         old["segment_id"], old["essential"], strict=True)}
        links = links.copy()
        # an analyst's essential flag survives a rebuild; new links count as essential (the import default)
        links["essential"] = [ess.get((a, b, c), True) for a, b, c in zip(
            links["supplier_uscc"], links["buyer_uscc"], links["segment_id"], strict=True)]
        now = datetime.now()
        with st.transaction():
            build_id = int(st.scalar("SELECT coalesce(max(batch_id), 0) + 1 FROM import_batch"))
            links.insert(0, "link_id", [f"IV{year}-{i:08d}" for i in range(1, len(links) + 1)])
            links["build_id"] = build_id
            links["batch_id"] = build_id
            content = hashlib.sha256(pd.util.hash_pandas_object(
                links[["supplier_uscc", "buyer_uscc", "annual_value"]], index=False).values.tobytes()).hexdigest()
            n_old = int(st.scalar(f"SELECT count(*) FROM supply_link WHERE year = ? AND {DOMESTIC}", [year]))
            cols = ", ".join(ARCHIVED)
            st.execute(f"INSERT INTO supply_link_archive ({cols}, replaced_by, archived_at) "
                       f"SELECT {cols}, ?, ? FROM supply_link WHERE year = ? AND {DOMESTIC}", [build_id, now, year])
            st.execute(f"DELETE FROM supply_link WHERE year = ? AND {DOMESTIC}", [year])
            st.insert_df("supply_link", links, [*LINK_COLUMNS, "batch_id", "build_id"])
            st.execute("INSERT INTO import_batch VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                       [build_id, "network", f"network build {year} ({res['meta']['engine']})", content, now,
                        self.cw.actor, "万元", counts.get("n_lines", 0), len(links), 0, len(links), 0, 0])
            seconds = time.perf_counter() - t_start
            row = [build_id, year, res["meta"]["engine"], source_label, digest, json.dumps(batches), float(min_value),
                   float(min_share), counts.get("n_lines", 0), counts.get("n_valid", 0), counts.get("n_red", 0),
                   counts.get("n_void", 0), counts.get("n_self", 0), counts.get("n_no_buyer", 0),
                   counts.get("n_pairs", 0), len(links), counts.get("n_below", 0),
                   int(res["links"].attrs.get("n_outside", 0)), n_old, seconds, res["engine_seconds"], now,
                   self.cw.actor]
            st.execute(f"INSERT INTO network_build VALUES ({', '.join('?' for _ in row)})", row)
            st.audit(self.cw.actor, "network.build", f"supply_link:{year}",
                     json.dumps({"build_id": build_id, "links": len(links), "replaced": n_old,
                                 "engine": res["meta"]["engine"]}, ensure_ascii=False))
        return self._result(build_id, links, counts, res, top=top, seconds=seconds, n_old=n_old,
                            batches=batches, digest=digest, source=source_label, min_value=min_value,
                            min_share=min_share)

    def _lineage(self, year: int, source: str | Path | None) -> tuple[list[int], str, str]:
        """Invoice batches used (store source) and a digest of the inputs."""
        if source is None and str(getattr(self.cw.settings, "spark_source", "") or "") == "":
            rows = self.store.rows("SELECT DISTINCT i.batch_id, b.file_sha256 FROM invoice i "
                                   "LEFT JOIN import_batch b ON b.batch_id = i.batch_id WHERE i.year = ? ORDER BY 1",
                                   [year])
            batches = [int(r[0]) for r in rows if r[0] is not None]
            digest = hashlib.sha256("|".join(f"{r[0]}:{r[1]}" for r in rows).encode()).hexdigest()
            return batches, digest, "store"
        src = str(source or self.cw.settings.spark_source)
        root = Path(src)
        h = hashlib.sha256()
        manifest = root / "manifest.json"
        if manifest.is_file():
            entry = json.loads(manifest.read_text(encoding="utf-8")).get("tables", {}).get("invoice", {})
            for f in entry.get("files", []):
                h.update(f"{f['path']}:{f['sha256']}".encode())
        elif root.exists():
            for p in sorted(root.rglob("*.parquet")):
                st = p.stat()
                h.update(f"{p.relative_to(root)}:{st.st_size}:{int(st.st_mtime)}".encode())
        else:
            h.update(src.encode())
        return [], h.hexdigest(), src

    def _result(self, build_id: int, links: pd.DataFrame, counts: dict[str, Any], res: dict[str, Any], *, top: int,
                seconds: float, n_old: int, batches: list[int], digest: str, source: str, min_value: float,
                min_share: float) -> Result:
        lang = self.cw.lang
        n_outside = int(res["links"].attrs.get("n_outside", 0))
        meta = self.cw.meta(
            build_id=build_id, year=int(links["year"].iloc[0]) if len(links) else None, source=source,
            invoice_batches=batches, source_digest=digest, min_value=min_value, min_share=min_share,
            units={"annual_value": "万元"}, money_unit="万元", seconds=round(seconds, 3),
            engine_seconds=round(res["engine_seconds"], 3), n_links=len(links), n_replaced=n_old,
            n_outside=n_outside, **{k: int(v) for k, v in counts.items()}, **res["meta"])
        view = links.sort_values("annual_value", ascending=False).head(max(0, top))
        view = view.assign(supplier_name=view["seller_name"])
        shown = view[["link_id", "supplier_uscc", "supplier_name", "supplier_local", "buyer_uscc", "buyer_name",
                      "hs_code", "segment_id", "annual_value", "share", "buyer_share", "seller_share",
                      "months_active", "n_invoices", "main_products"]].copy()
        shown["main_products"] = [json.loads(x) for x in shown["main_products"]]
        for c in ("share", "buyer_share", "seller_share"):
            shown[c + "_pct"] = shown.pop(c) * 100.0
        text = t("network.built", lang, year=meta["year"], links=f"{len(links):,}", lines=f"{counts.get('n_lines', 0):,}",
                 engine=res["meta"]["engine"], seconds=f"{seconds:.1f}", build=build_id, replaced=f"{n_old:,}")
        counts_row = pd.DataFrame([{"item": k, "value": int(v)} for k, v in (
            *((k, counts.get(k, 0)) for k in (*COUNT_KEYS, "n_pairs", "n_below")), ("n_outside", n_outside),
            ("n_links", len(links)), ("n_replaced", n_old))])
        return Result("network.build", meta=meta, tables={"counts": counts_row, "links": shown}, text=[text])

    # -- history and generator -----------------------------------------------------------------
    def builds(self, year: int | None = None) -> Result:
        """Every network build (newest first) with its lineage and counts."""
        sql = "SELECT * FROM network_build"
        params: list[Any] = []
        if year is not None:
            sql += " WHERE year = ?"
            params.append(int(year))
        df = self.store.df(sql + " ORDER BY build_id DESC", params)
        df["invoice_batches"] = [json.loads(x) if isinstance(x, str) else [] for x in df["invoice_batches"]]
        return Result("network.builds", meta=self.cw.meta(year=year, units={"min_value": "万元"}), tables={"builds": df})

    def invoices(self, out: str | Path, year: int | None = None, *, rows: int = 100_000, copies: int = 1,
                 fmt: str = "parquet", seed: int = 2021, chunk_rows: int = 1_000_000) -> Result:
        """Write synthetic invoice lines consistent with the database's domestic links of ``year``."""
        from chainwatch.demo.invoices import generate, invoice_links, write

        if fmt not in ("parquet", "csv"):
            raise UsageError("error.format", fmt=fmt, allowed="parquet, csv")
        if rows < 1 or copies < 1 or chunk_rows < 1:
            raise UsageError("network.bad_rows", rows=rows)
        y = int(year or self.store.scalar("SELECT max(year) FROM supply_link") or 0)
        links = self.store.df("SELECT * FROM supply_link WHERE year = ?", [y])
        if links.empty:
            raise NotFound("network.no_links", year=y)
        ent = self.store.df("SELECT uscc, name FROM enterprise")
        parties = invoice_links(links, ent, copies=copies)
        t0 = time.perf_counter()
        info = write(generate(parties, y, rows, seed=seed, chunk_rows=chunk_rows), out, y, fmt)
        seconds = time.perf_counter() - t0
        meta = self.cw.meta(year=y, output=str(out), format=fmt, rows=info["rows"], files=info["files"],
                            links=len(parties), copies=copies, seed=seed, seconds=round(seconds, 3),
                            units={"amount": "元" if fmt == "csv" else "万元"}, synthetic=True)
        return Result("network.invoices", meta=meta, tables={}, text=[t(
            "network.invoices_written", self.cw.lang, rows=f"{info['rows']:,}", path=str(out), links=f"{len(parties):,}",
            year=y)])
