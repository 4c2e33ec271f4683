"""Shock service: disruption scenarios on the supply network and on input–output tables.

``cw.shock.run(scenario)`` runs a scenario (mapping or YAML/JSON file), ``cw.shock.esri(top)`` ranks
enterprises by systemic importance, ``cw.shock.io(...)`` runs one sector model on a table,
``cw.shock.saved()`` / ``cw.shock.compare(a, b)`` list and compare saved runs.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from chainwatch.analytics.shock.cascade import Network, path_to, run_cascade, shock_path
from chainwatch.analytics.shock.esri import candidates, esri_table
from chainwatch.analytics.shock.io import IOModel, read_table
from chainwatch.analytics.shock.scenario import load_scenario, validate_scenario
from chainwatch.errors import InputError, NotFound
from chainwatch.i18n import t
from chainwatch.service.iotables import IOTableService, valid_name
from chainwatch.service.result import Result

_IO_CACHE: dict[tuple[Any, ...], IOModel] = {}
IO_CACHE_SIZE = 4  # factorised tables kept in memory (a 5,000-sector one takes ~400 MB)
_NET_CACHE: dict[tuple[str, str], dict[str, Any]] = {}
MIXED_FROM = 4000  # sectors from which IO tables are factorised in mixed precision
AFFECTED_PCT = 0.1  # an enterprise counts as affected when it loses more than 0.1 % of capacity in a month
VIA_KEYS = {0: "shock.via.origin", 1: "shock.via.supply", 2: "shock.via.demand", 3: "shock.via.link"}


def _cached_model(key: tuple[Any, ...], read: Any, domestic: bool) -> IOModel:
    if key not in _IO_CACHE:
        tab = read()
        while len(_IO_CACHE) >= IO_CACHE_SIZE:
            _IO_CACHE.pop(next(iter(_IO_CACHE)))
        # float32 factor + float64 refinement pays off from EXIOBASE-like sizes (bench/shock_bench.py)
        _IO_CACHE[key] = IOModel(tab, domestic=domestic, precision="mixed" if tab.n >= MIXED_FROM else "double")
    return _IO_CACHE[key]


def io_model(table: str, layout: str = "auto", domestic: bool = False, final: str | None = None,
             output: str | None = None) -> IOModel:
    """The model of a table *file* (command line only), cached per (path, mtime, layout, domestic)."""
    p = Path(table)
    if not p.exists():
        raise InputError("shock.io.file_missing", file=str(p))
    key = ("file", str(p.resolve()) + f"|{final}|{output}", p.stat().st_mtime, layout, domestic)
    kw = {k: v for k, v in (("final", final), ("output", output)) if v}
    return _cached_model(key, lambda: read_table(p, layout, **kw), domestic)


def named_model(tables: IOTableService, name: str, layout: str = "auto", domestic: bool = False) -> IOModel:
    """The model of a named table (stored or in ``io_tables_dir``), cached per name and version."""
    origin, version = tables.fingerprint(name)
    key = ("named", origin, name, version, layout, domestic)
    return _cached_model(key, lambda: tables.load(name, layout), domestic)


class _NoDatabase:
    """The little of the facade that IO-table models need (no database is opened)."""

    def __init__(self, lang: str, settings: Any = None) -> None:
        from chainwatch.settings import load_settings

        self.lang = lang
        self.scope = None
        self.actor = "cli"
        self.store = None
        self.db_path = None
        self.settings = settings or load_settings()

    def meta(self, **extra: Any) -> dict[str, Any]:
        import chainwatch

        return {"database": None, "lang": self.lang, "chainwatch_version": chainwatch.__version__,
                "generated_at": datetime.now().isoformat(timespec="seconds"), **extra}


class ShockService:
    """Disruption simulation for one open chainwatch database."""

    def __init__(self, cw: Any) -> None:
        self.cw = cw
        self.store = cw.store

    @classmethod
    def without_database(cls, lang: str = "zh", settings: Any = None) -> ShockService:
        """A service for IO models on table files and ``io_tables_dir`` tables (no database opened)."""
        return cls(_NoDatabase(lang, settings))

    @property
    def tables(self) -> IOTableService:
        """The named IO tables this service may use."""
        return IOTableService(self.cw)

    def _limit(self, name: str, default: int) -> int:
        settings = getattr(self.cw, "settings", None)
        return int(getattr(settings, name, default) or default) if settings is not None else default

    # -- network from the database ------------------------------------------------------------
    def _network(self) -> dict[str, Any]:
        """The supply network of the database, cached per (database, fingerprint of its inputs)."""
        key = (str(self.cw.db_path), self._fingerprint())
        if key not in _NET_CACHE:
            if len(_NET_CACHE) >= 2:
                _NET_CACHE.pop(next(iter(_NET_CACHE)))
            _NET_CACHE[key] = self._build_network()
        return _NET_CACHE[key]

    def _build_network(self) -> dict[str, Any]:
        st = self.store
        ent = st.df("SELECT uscc, name, district FROM enterprise ORDER BY uscc")
        year = st.scalar("SELECT max(year) FROM supply_link")
        if year is None:
            raise InputError("shock.scenario.no_network")
        links = st.df("""SELECT supplier_uscc, supplier_name, supplier_country, buyer_uscc, hs_code, segment_id,
                                annual_value, share, essential FROM supply_link WHERE year = ?""", [int(year)])
        out = st.df("""WITH last AS (SELECT uscc, period, gross_output,
                              row_number() OVER (PARTITION BY uscc ORDER BY period DESC) AS k FROM monthly_value
                              WHERE gross_output IS NOT NULL)
                       SELECT uscc, avg(gross_output) * 12 AS annual FROM last WHERE k <= 12 GROUP BY uscc""")
        seg = st.df("""SELECT se.uscc, se.segment_id, s.chain_id, s.name_zh, s.name_en,
                              c.name_zh AS chain_zh, c.name_en AS chain_en
                       FROM segment_enterprise se JOIN segment s USING (segment_id)
                       LEFT JOIN chain c ON c.chain_id = s.chain_id""")
        firms = ent["uscc"].tolist()
        idx = {u: i for i, u in enumerate(firms)}
        local = links["supplier_uscc"].isin(idx)
        ext_name = links["supplier_name"].fillna(links["supplier_uscc"]).fillna("?").astype(str)
        ext_key = ext_name + "|" + links["supplier_country"].fillna("CHN").astype(str)
        ext_keys = sorted(set(ext_key[~local]))
        ext_idx = {k: len(firms) + i for i, k in enumerate(ext_keys)}
        links = links[links["buyer_uscc"].isin(idx)].copy()
        ext_key = ext_key[links.index]
        local = local[links.index]
        src = np.where(local, links["supplier_uscc"].map(idx).fillna(-1), ext_key.map(ext_idx).fillna(-1)).astype(np.int64)
        dst = links["buyer_uscc"].map(idx).to_numpy(dtype=np.int64)
        n = len(firms) + len(ext_keys)
        annual = ent["uscc"].map(dict(zip(out["uscc"], out["annual"], strict=True))).to_numpy(dtype=float)
        w = links["annual_value"].to_numpy(dtype=float, na_value=np.nan).copy()
        need = np.isnan(w)
        s_buyer = np.nan_to_num(annual[dst], nan=0.0)
        w[need] = links["share"].to_numpy(dtype=float, na_value=np.nan)[need] * s_buyer[need]
        ok = np.isfinite(w) & (w > 0) & (src >= 0) & (src != dst)
        links, src, dst, w = links[ok], src[ok], dst[ok], w[ok]
        klass = links["segment_id"].fillna(links["hs_code"].fillna("").str[:4])
        klass = klass.where(klass != "", "S" + pd.Series(src, index=links.index).astype(str))
        cls_codes = pd.factorize(klass)[0]
        sales = np.bincount(src, weights=w, minlength=n)
        buys = np.bincount(dst, weights=w, minlength=n)
        s = np.concatenate([annual, np.zeros(len(ext_keys))])
        s = np.where(np.isfinite(s) & (s > 0), np.maximum(s, sales), np.maximum(np.maximum(sales, buys), 1e-9))
        internal = np.arange(n) < len(firms)
        net = Network.build(n, src, dst, w, input_class=cls_codes, essential=links["essential"].to_numpy(dtype=bool),
                            s=s, internal=internal)
        labels = firms + [f"{k.split('|')[0]} ({k.split('|')[1]})" for k in ext_keys]
        names = ent["name"].tolist() + labels[len(firms):]
        return {"net": net, "firms": firms, "idx": idx, "ent": ent, "seg": seg, "labels": labels, "names": names,
                "links": links.reset_index(drop=True), "ext_keys": ext_keys, "ext_idx": ext_idx, "year": int(year)}

    def _visible(self, ent: pd.DataFrame) -> np.ndarray:
        scope = getattr(self.cw, "scope", None)
        if not scope:
            return np.ones(len(ent), dtype=bool)
        return ent["district"].isin(scope).to_numpy()

    # -- scenarios ------------------------------------------------------------------------------
    def validate(self, scenario: dict[str, Any] | str | Path) -> dict[str, Any]:
        raw, file = load_scenario(scenario)
        return validate_scenario(raw, file, self.cw.lang)

    def run(self, scenario: dict[str, Any] | str | Path, save: str | None = None, *,
            local_files: bool | None = None) -> Result:
        """Run a scenario (mapping or file); with ``save`` store the results under that name.

        The ``table`` of an IO scenario is the name of a stored table (``chainwatch io tables``) or of
        one in ``io_tables_dir``. Only with ``local_files`` may it be a file path; by default that is
        allowed for a scenario read from a file (a local user's command line) and never for a mapping
        (what the web API receives), so a server never opens a file its client names.
        """
        if local_files is None:
            local_files = not isinstance(scenario, dict)
        sc = self.validate(scenario)
        max_shocks = self._limit("sim_max_shocks", 100)
        if len(sc["shocks"]) > max_shocks:
            raise InputError("sec.sim.too_many_shocks", n=len(sc["shocks"]), max=max_shocks)
        res = self._run_io(sc, local_files) if sc["model"] != "cascade" else self._run_cascade(sc)
        if save:
            self._save(save, sc, res)
            res.meta["saved_as"] = save
        return res

    def _run_cascade(self, sc: dict[str, Any]) -> Result:
        g = self._network()
        net: Network = g["net"]
        T = sc["horizon_months"]
        psi_t = np.zeros((T, net.n))
        cap_t = np.ones((T, net.m))
        links = g["links"]
        link_pos = np.empty(net.m, dtype=np.int64)
        link_pos[np.arange(net.m)] = net.order  # buyer-group position -> original link row
        for k, sh in enumerate(sc["shocks"], start=1):
            sev = 1.0 - sh["capacity_pct"] / 100.0
            path = shock_path("firm", sh["months"], sh["start_month"] - 1, T, sh["recovery"], sh["recovery_months"], sev)
            tgt, key = sh["target"], sh["id"]
            if tgt in ("enterprise", "segment", "district"):
                if tgt == "enterprise":
                    nodes = [g["idx"][key]] if key in g["idx"] else []
                elif tgt == "segment":
                    nodes = [g["idx"][u] for u in g["seg"].loc[g["seg"]["segment_id"] == key, "uscc"] if u in g["idx"]]
                else:
                    nodes = np.flatnonzero(g["ent"]["district"].astype(str).to_numpy() == key).tolist()
                if not nodes:
                    raise NotFound("shock.scenario.unknown_target", target=tgt, id=key)
                psi_t[:, nodes] = np.maximum(psi_t[:, nodes], path[:, None])
                continue
            orig = links.iloc[link_pos]
            if tgt == "country":
                mask = orig["supplier_country"].fillna("CHN").astype(str).str.upper().to_numpy() == key
            else:
                mask = (orig["supplier_name"].fillna("").astype(str).to_numpy() == key) | (
                    orig["supplier_uscc"].fillna("").astype(str).to_numpy() == key)
            if sh["hs"]:
                hs = orig["hs_code"].fillna("").astype(str)
                mask &= np.logical_or.reduce([hs.str.startswith(h).to_numpy() for h in sh["hs"]])
            if not mask.any():
                raise NotFound("shock.scenario.no_links_hit", item=f"shocks[{k}]", country=key, hs=",".join(sh["hs"]) or "*")
            cap_t[:, mask] = np.minimum(cap_t[:, mask], 1.0 - path[:, None])
        use_cap = bool((cap_t < 1).any())
        rtol = float(self.cw.settings.cascade_loss_rtol or 0.0)
        run = run_cascade(net, psi_t, cap_t=cap_t if use_cap else None, direction=sc["direction"],
                          inventory_periods=sc["inventory_days"] / 30.0, loss_rtol=rtol if rtol > 0 else None)
        return self._cascade_result(sc, g, run, psi_t)

    def _month_labels(self, sc: dict[str, Any]) -> list[str]:
        start = sc.get("start")
        if start:
            try:
                p0 = pd.Period(str(start), freq="M")
                return [str(p0 + i) for i in range(sc["horizon_months"])]
            except ValueError:
                pass
        return [f"M{i + 1}" for i in range(sc["horizon_months"])]

    def _cascade_result(self, sc: dict[str, Any], g: dict[str, Any], run: Any, psi_t: np.ndarray) -> Result:
        net: Network = g["net"]
        nf = len(g["firms"])
        vis = self._visible(g["ent"])
        monthly = net.s[:nf] / 12.0
        lost_fm = (1.0 - run.h[:, :nf]) * monthly[None, :]          # (T, nf)
        lost = lost_fm.sum(axis=0)
        T = run.h.shape[0]
        base = monthly * T
        labels = self._month_labels(sc)
        thr = 1.0 - AFFECTED_PCT / 100.0
        hit = (run.h[:, :nf].min(axis=0) < thr) & vis
        lang = self.cw.lang
        ent = g["ent"]
        by_month = pd.DataFrame({
            "month": labels,
            "output_lost": (lost_fm[:, vis]).sum(axis=1),
            "lost_pct": 100 * lost_fm[:, vis].sum(axis=1) / max(monthly[vis].sum(), 1e-12),
            "firms_affected": ((run.h[:, :nf] < thr) & vis[None, :]).sum(axis=1),
        })
        rows = []
        depth_cache: dict[int, list[int]] = {}
        for i in np.flatnonzero(hit):
            path = path_to(run.pred, int(i))
            depth_cache[int(i)] = path
            origin = psi_t[:, i].max() > 0
            via = 0 if origin else int(run.via[i])
            rows.append({
                "uscc": g["firms"][i], "name": ent["name"].iat[i], "district": ent["district"].iat[i],
                "base_output": base[i], "output_lost": lost[i], "lost_pct": 100 * lost[i] / base[i] if base[i] else None,
                "min_capacity_pct": 100 * run.h[:, i].min(), "first_month": labels[run.first_month[i]],
                "depth": 0 if origin else len(path) - 1, "reached_via": t(VIA_KEYS[via], lang),
                "path": " → ".join(g["names"][p] for p in (path if not origin else [int(i)])),
                "path_uscc": " → ".join(g["labels"][p] for p in (path if not origin else [int(i)])),
            })
        by_firm = pd.DataFrame(rows, columns=["uscc", "name", "district", "base_output", "output_lost", "lost_pct",
                                              "min_capacity_pct", "first_month", "depth", "reached_via", "path",
                                              "path_uscc"])
        if len(by_firm):
            by_firm = by_firm.sort_values(["output_lost", "uscc"], ascending=[False, True]).reset_index(drop=True)
        firm_frame = pd.DataFrame({"uscc": g["firms"], "district": ent["district"].astype(str), "base": base,
                                   "lost": lost, "hit": hit})[vis]

        def agg(frame: pd.DataFrame, key: str, label: pd.Series | None = None) -> pd.DataFrame:
            a = frame.groupby(key, as_index=False).agg(base_output=("base", "sum"), output_lost=("lost", "sum"),
                                                       firms_affected=("hit", "sum"), firms=("uscc", "count"))
            a["lost_pct"] = 100 * a["output_lost"] / a["base_output"].where(a["base_output"] > 0)
            if label is not None:
                a.insert(1, "name", a[key].map(label))
            return a.sort_values(["output_lost", key], ascending=[False, True]).reset_index(drop=True)

        seg = g["seg"].merge(firm_frame, on="uscc")
        name_col = "name_zh" if lang == "zh" else "name_en"
        by_segment = agg(seg, "segment_id", g["seg"].drop_duplicates("segment_id").set_index("segment_id")[name_col])
        chain_rows = seg.drop_duplicates(["chain_id", "uscc"])
        by_chain = agg(chain_rows, "chain_id",
                       g["seg"].drop_duplicates("chain_id").set_index("chain_id")["chain_zh" if lang == "zh" else "chain_en"])
        by_district = agg(firm_frame, "district")
        total_base = base[vis].sum()
        total_lost = lost[vis].sum()
        # lost output still to come by the geometric-tail estimate of each month's cascade (shares of
        # the month's internal output), in 万元; None when a month's estimate is unknown
        rem = [float(r) * float(monthly[net.internal[:nf]].sum()) for r in run.remaining]
        remaining = sum(rem) if all(np.isfinite(rem)) else None
        summary = pd.DataFrame([{
            "scenario": sc["name"], "model": "cascade", "direction": sc["direction"], "horizon_months": T,
            "base_output": total_base, "output_lost": total_lost,
            "lost_pct": 100 * total_lost / total_base if total_base else None,
            "firms_affected": int(hit.sum()), "firms_stopped": int(((run.h[:, :nf] <= 1e-6).any(axis=0) & vis).sum()),
            "peak_month": labels[int(np.argmax(by_month["output_lost"].to_numpy()))],
            "inventory_days": sc["inventory_days"], "max_sweeps": max(run.sweeps) if run.sweeps else 0,
        }])
        text = [t("shock.text.cascade", lang, name=sc["name"], months=T, lost=total_lost,
                  pct=float(summary["lost_pct"].iat[0] or 0.0), firms=int(hit.sum()))]
        meta = self.cw.meta(units="万元", model="cascade", scenario=sc["name"], links_year=g["year"],
                            affected_threshold_pct=AFFECTED_PCT,
                            firms=nf, external_suppliers=len(g["ext_keys"]), links=net.m,
                            converged=bool(all(run.converged)),
                            last_sweep_loss_change=float(max(run.loss_change, default=0.0)),
                            sweeps=int(sum(run.sweeps)),
                            remaining_loss=remaining,
                            remaining_loss_pct=(100 * remaining / total_lost if remaining is not None and total_lost
                                                else (0.0 if remaining == 0 else None)))
        return Result("shock", meta, {"summary": summary, "by_month": by_month, "by_firm": by_firm,
                                      "by_segment": by_segment, "by_chain": by_chain, "by_district": by_district},
                      text)

    # -- input–output --------------------------------------------------------------------------
    def _model_for(self, table: str, layout: str, domestic: bool, local_files: bool,
                   final: str | None = None, output: str | None = None, raw: str | None = None) -> IOModel:
        """A table file (only with ``local_files``: a local user's own file) or a named table."""
        name = raw if raw is not None else table
        if local_files and (Path(table).is_file() or not valid_name(name) or final or output):
            return io_model(table, layout, domestic, final, output)
        return named_model(self.tables, name, layout, domestic)

    def _run_io(self, sc: dict[str, Any], local_files: bool = False) -> Result:
        model = self._model_for(sc["table"], sc["layout"], bool(sc.get("domestic")), local_files,
                                raw=sc.get("table_name"))
        tab = model.table
        vec = np.zeros(model.n)
        fixed: dict[int, float] = {}
        pct: dict[int, float] = {}
        for sh in sc["shocks"]:
            j = tab.index_of(sh["id"])
            if "demand_change" in sh:
                vec[j] += sh["demand_change"]
            elif "demand_change_pct" in sh:
                pct[j] = pct.get(j, 0.0) + sh["demand_change_pct"]
            if sc["model"] == "iim" and sh.get("explicit_capacity"):
                fixed[j] = 1.0 - sh["capacity_pct"] / 100.0
        vec += self._pct_change(tab, sc["model"], pct)
        return self._io_result(sc["model"], model, vec, fixed, name=sc["name"], top=None)

    @staticmethod
    def _pct_change(tab: Any, model: str, pct: dict[int, float]) -> np.ndarray:
        """Δ of percentage shocks: of total final use (TFU; Leontief, IIM) or primary inputs (Ghosh).

        A base ≤ 0 would turn "−10 %" into an increase: refused, naming every such sector.
        """
        out = np.zeros(tab.n)
        if not pct:
            return out
        base = tab.v if model == "ghosh" else tab.final_use
        bad = [j for j in pct if not base[j] > 0]
        if bad:
            names = tab.names_zh or tab.names
            listed = ", ".join(f"{tab.sectors[j]}" + (f" {names[j]}" if names else "") + f" ({base[j]:,.0f})"
                               for j in bad[:10])
            raise InputError("sec.io.pct_base_v" if model == "ghosh" else "sec.io.pct_base_tfu",
                             sectors=listed, n=len(bad))
        for j, p in pct.items():
            out[j] = base[j] * p / 100.0
        return out

    def io(self, model: str, table: str, shocks: dict[str, float] | None = None, *, layout: str = "auto",
           domestic: bool = False, final: str | None = None, output: str | None = None,
           capacity: dict[str, float] | None = None, top: int | None = None,
           pct_shocks: dict[str, float] | None = None, local_files: bool = False) -> Result:
        """One sector model on a named table (or, with ``local_files``, a table file).

        ``model``: ``leontief`` (shocks = Δf by sector code; none → multipliers), ``ghosh`` (Δv; none →
        forward linkages), ``iim`` (shocks = Δf, ``capacity`` = remaining capacity % of disabled
        sectors) or ``extract`` (hypothetical extraction of every sector, or of ``shocks`` keys).
        ``pct_shocks`` are changes in percent of the sector's total final use (Ghosh: primary inputs).
        Sector codes are matched as numbers too (``79`` finds ``079``).
        """
        m = self._model_for(table, layout, domestic, local_files, final, output)
        vec = np.zeros(m.n)
        for code, val in (shocks or {}).items():
            vec[m.table.index_of(code)] += float(val)
        pct: dict[int, float] = {}
        for code, val in (pct_shocks or {}).items():
            j = m.table.index_of(code)
            pct[j] = pct.get(j, 0.0) + float(val)
        if pct and model != "extract":
            vec += self._pct_change(m.table, model, pct)
        fixed = {m.table.index_of(c): 1.0 - float(v) / 100.0 for c, v in (capacity or {}).items()}
        if model == "extract":
            keys = [*(shocks or {}), *(pct_shocks or {})]
            idx = [m.table.index_of(c) for c in keys] if keys else None
            df = m.extraction(idx)
            names = m.table.names_zh if self.cw.lang == "zh" and m.table.names_zh else m.table.names
            if names:
                pos = {c: i for i, c in enumerate(m.table.sectors)}
                df.insert(1, "name", [names[pos[s]] for s in df["sector"]])
            df = df.sort_values("backward", ascending=False).reset_index(drop=True)
            meta = self.cw.meta(units=m.table.unit or "table units", model="extract", table=m.table.source, sectors=m.n)
            return Result("io extract", meta, {"sectors": df.head(top) if top else df})
        if model not in ("leontief", "ghosh", "iim"):
            raise InputError("shock.io.unknown_model", model=model)
        return self._io_result(model, m, vec, fixed, name=model, top=top)

    def _io_result(self, model: str, m: IOModel, vec: np.ndarray, fixed: dict[int, float], *, name: str,
                   top: int | None) -> Result:
        x = m.output()
        cols: dict[str, np.ndarray] = {"output": x}
        if model == "leontief":
            if not vec.any():
                cols.update(multiplier=m.multipliers(), backward_linkage=m.backward_linkage())
            dx = m.leontief(vec)
        elif model == "ghosh":
            if not vec.any():
                cols.update(forward_linkage=m.forward_linkage())
            dx = m.ghosh(vec)
        else:
            c_star = -vec * m.rx  # demand loss as inoperability c* = −Δf / x
            q = m.iim_mixed(fixed, c_star) if fixed else m.iim(c_star)
            cols["inoperability_pct"] = 100 * q
            dx = -q * x
        cols["output_change"] = dx
        with np.errstate(divide="ignore", invalid="ignore"):
            cols["change_pct"] = np.where(x != 0, 100 * dx / x, 0.0)
        df = m.sector_frame(cols, self.cw.lang)
        if vec.any() or fixed:
            df = df.reindex(df["output_change"].abs().sort_values(ascending=False).index).reset_index(drop=True)
        total = float(dx.sum())
        summary = pd.DataFrame([{"scenario": name, "model": model, "sectors": m.n, "base_output": float(x.sum()),
                                 "output_change": total, "change_pct": 100 * total / float(x.sum()),
                                 "sectors_affected": int((np.abs(dx) > 1e-9 * max(1.0, abs(x).max())).sum())}])
        meta = self.cw.meta(units=m.table.unit or "table units", model=model, table=m.table.source,
                            layout=m.table.layout, domestic=m.domestic, sectors=m.n, precision=m.precision)
        text = [t("shock.text.io", self.cw.lang, model=model, n=m.n, table=Path(m.table.source).name, dx=total,
                  pct=float(summary["change_pct"].iat[0]))]
        return Result(f"io {model}" if name == model else "shock", meta,
                      {"summary": summary, "sectors": df.head(top) if top else df}, text)

    # -- systemic importance -------------------------------------------------------------------
    def _fingerprint(self) -> str:
        """A hash of everything ESRI depends on (links, enterprises, output), to reuse cached results."""
        row = self.store.rows("""
            SELECT (SELECT count(*) FROM supply_link), (SELECT sum(annual_value) FROM supply_link),
                   (SELECT sum(share) FROM supply_link), (SELECT sum(essential::INT) FROM supply_link),
                   (SELECT max(year) FROM supply_link), (SELECT max(batch_id) FROM supply_link),
                   (SELECT count(*) FROM enterprise), (SELECT count(*) FROM monthly_value),
                   (SELECT max(period) FROM monthly_value), (SELECT sum(gross_output) FROM monthly_value),
                   (SELECT count(*) FROM segment_enterprise),
                   (SELECT md5(string_agg(k, '|' ORDER BY k)) FROM (SELECT uscc || district || name
                      || coalesce(supplier_uscc, '') || buyer_uscc AS k
                      FROM supply_link JOIN enterprise ON enterprise.uscc = supply_link.buyer_uscc) l),
                   (SELECT md5(string_agg(k, '|' ORDER BY k)) FROM (SELECT segment_id || chain_id || name_zh
                      || coalesce(name_en, '') AS k FROM segment) s),
                   (SELECT md5(string_agg(k, '|' ORDER BY k)) FROM (SELECT chain_id || name_zh
                      || coalesce(name_en, '') AS k FROM chain) c)""")[0]
        return hashlib.sha256(repr(row).encode()).hexdigest()[:20]

    def esri(self, top: int = 50, *, refresh: bool = False, workers: int = 1, exhaustive_limit: int = 5000,
             candidates_factor: int = 4) -> Result:
        """Systemic importance (ESRI) of enterprises, best first.

        Every enterprise is evaluated up to ``exhaustive_limit`` firms, else a shortlist of
        ``top × candidates_factor`` by a one-step proxy. Results are cached per network fingerprint
        (table ``shock_esri``); ``refresh`` recomputes, ``workers`` > 1 uses several processes.
        """
        fp = self._fingerprint()
        cached = None if refresh else self.store.df(
            "SELECT * FROM shock_esri WHERE fingerprint = ? ORDER BY esri_pct DESC, uscc", [fp])
        ent_all = self.store.df("SELECT uscc, name, district FROM enterprise")
        if cached is not None and len(cached) and (bool(cached["exhaustive"].iat[0]) or len(cached) >= top):
            df = cached.merge(ent_all, on="uscc", how="left")
            exhaustive = bool(cached["exhaustive"].iat[0])
            evaluated, nf, links, from_cache = len(cached), len(ent_all), None, True
        else:
            g = self._network()
            net: Network = g["net"]
            nf = len(g["firms"])
            exhaustive = nf <= exhaustive_limit
            nodes = None if exhaustive else candidates(net, max(top, 1) * candidates_factor)
            tab = esri_table(net, nodes, workers=workers)
            tab.insert(0, "uscc", [g["firms"][i] for i in tab["node"]])
            tab = tab.drop(columns="node")
            now = datetime.now()
            with self.store.transaction() as con:
                con.execute("DELETE FROM shock_esri WHERE fingerprint = ?", [fp])
                con.executemany("INSERT INTO shock_esri VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                                [(fp, r.uscc, r.weight_pct, r.esri_down_pct, r.esri_up_pct, r.esri_pct, exhaustive, now)
                                 for r in tab.itertuples(index=False)])
            df = tab.merge(ent_all, on="uscc", how="left")
            evaluated, links, from_cache = len(tab), net.m, False
        if self.cw.scope:
            df = df[df["district"].isin(self.cw.scope)]
        df = df.sort_values(["esri_pct", "uscc"], ascending=[False, True]).reset_index(drop=True)
        df = df[["uscc", "name", "district", "weight_pct", "esri_down_pct", "esri_up_pct", "esri_pct"]]
        df.insert(0, "rank", np.arange(1, len(df) + 1))
        meta = self.cw.meta(model="esri", firms=nf, evaluated=evaluated, exhaustive=exhaustive, links=links,
                            fingerprint=fp, from_cache=from_cache)
        text = [t("shock.text.esri", self.cw.lang, n=evaluated, total=nf)]
        return Result("shock esri", meta, {"esri": df.head(top) if top else df}, text)

    # -- saving and comparing ------------------------------------------------------------------
    def _save(self, name: str, sc: dict[str, Any], res: Result) -> None:
        summ = res.tables["summary"]
        s0 = (summ.iloc[0] if isinstance(summ, pd.DataFrame) else pd.Series(summ[0])).to_dict()
        lost = s0.get("output_lost", -s0.get("output_change", 0.0) if "output_change" in s0 else 0.0)
        base = s0.get("base_output")
        rows: list[tuple[Any, ...]] = []
        levels = {"by_month": ("month", "month", "month"), "by_firm": ("firm", "uscc", "name"),
                  "by_segment": ("segment", "segment_id", "name"), "by_chain": ("chain", "chain_id", "name"),
                  "by_district": ("district", "district", "district"), "sectors": ("sector", "sector", "sector")}
        for tname, (level, key, label) in levels.items():
            tab = res.tables.get(tname)
            if tab is None or not len(tab):
                continue
            frame = tab if isinstance(tab, pd.DataFrame) else pd.DataFrame(tab)
            lab = frame[label] if label in frame else frame[key]
            if "output_lost" in frame:
                lostc = frame["output_lost"]
                basec = frame["base_output"] if "base_output" in frame else pd.Series(np.nan, index=frame.index)
                pct = frame["lost_pct"]
            else:
                lostc = -frame["output_change"]
                basec = frame["output"]
                pct = -frame["change_pct"]
            for k, lb, b, lv, p in zip(frame[key], lab, basec, lostc, pct, strict=True):
                rows.append((name, level, str(k), None if pd.isna(lb) else str(lb), _f(b), _f(lv), _f(p)))
        with self.store.transaction() as con:
            con.execute("DELETE FROM shock_result WHERE name = ?", [name])
            con.execute("DELETE FROM shock_run WHERE name = ?", [name])
            con.execute("INSERT INTO shock_run VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        [name, datetime.now(), self.cw.actor, sc["model"], json.dumps(sc, ensure_ascii=False),
                         sc.get("horizon_months"), _f(base), _f(lost),
                         _f(s0.get("lost_pct", -s0["change_pct"] if "change_pct" in s0 else None)),
                         int(s0.get("firms_affected", s0.get("sectors_affected", 0)) or 0)])
            if rows:
                con.executemany("INSERT INTO shock_result VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
        self.store.audit(self.cw.actor, "shock.save", name, sc["name"])

    def saved(self) -> Result:
        """Saved scenario runs, newest first."""
        df = self.store.df("""SELECT name, created_at, actor, model, horizon_months, base_output, output_lost,
                                     lost_pct, affected FROM shock_run ORDER BY created_at DESC, name""")
        text = [] if len(df) else [t("shock.saved.none", self.cw.lang)]
        return Result("shock list", self.cw.meta(), {"runs": df}, text)

    def compare(self, a: str, b: str) -> Result:
        """Two saved runs side by side: summaries and per-level losses with their difference (b − a)."""
        runs = self.store.df("SELECT * FROM shock_run WHERE name IN (?, ?)", [a, b])
        for nm in (a, b):
            if nm not in set(runs["name"]):
                raise NotFound("shock.saved.missing", name=nm)
        summary = runs.drop(columns=["scenario"]).set_index("name").loc[[a, b]].reset_index()
        diff = self.store.df("""
            SELECT coalesce(x.level, y.level) AS level, coalesce(x.key, y.key) AS key,
                   coalesce(x.label, y.label) AS label, x.output_lost AS lost_a, y.output_lost AS lost_b,
                   coalesce(y.output_lost, 0) - coalesce(x.output_lost, 0) AS difference,
                   x.lost_pct AS lost_pct_a, y.lost_pct AS lost_pct_b
            FROM (SELECT * FROM shock_result WHERE name = ?) x
            FULL OUTER JOIN (SELECT * FROM shock_result WHERE name = ?) y ON x.level = y.level AND x.key = y.key
            ORDER BY level, abs(coalesce(y.output_lost, 0) - coalesce(x.output_lost, 0)) DESC, key""", [a, b])
        if self.cw.scope:
            marks = ", ".join("?" for _ in self.cw.scope)
            firms = set(self.store.df(f"SELECT uscc FROM enterprise WHERE district IN ({marks})",
                                      list(self.cw.scope))["uscc"])
            diff = diff[(diff["level"] != "firm") | diff["key"].isin(firms)]
            diff = diff[(diff["level"] != "district") | diff["key"].isin(self.cw.scope)]
        return Result("shock compare", self.cw.meta(a=a, b=b), {"summary": summary, "difference": diff})


def _f(v: Any) -> float | None:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return None if np.isnan(f) else f
