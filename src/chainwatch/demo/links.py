"""The demo supply network (along the chain DAGs) and foreign trade by partner, HS code and month.

Supply links (year 2021): every enterprise of a segment buys the products of each upstream
segment of its chain from a mix of local suppliers (enterprises of that segment), suppliers
elsewhere in China and foreign suppliers, in proportions set by the segment's profile in the
catalogue. Segments without a local producer are bought entirely outside the city; fragile
segments have exactly one local supplier.

Trade flows: exports split each exporter's monthly 出口交货值 across 1–3 partner countries; imports
follow the foreign supply links month by month (and crude oil for the refineries).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from chainwatch.demo.catalogue import CHAINS, UNMAPPED_HS, Seg, segment_id
from chainwatch.demo.monthly import PERIODS
from chainwatch.store.reference import BRI65

DOMESTIC_REGIONS = {"3101": "上海", "3205": "苏州", "3301": "杭州", "4403": "深圳", "3202": "无锡",
                    "3204": "常州", "4401": "广州", "3702": "青岛", "1101": "北京", "3206": "南通"}
FOREIGN_PREFIX = {"JPN": ["Tokai", "Kansai", "Nippon Seimitsu", "Hokuto"], "KOR": ["Hanbit", "Daesung", "Seoul Tech"],
                  "USA": ["Westbrook", "Summit", "Pioneer"], "DEU": ["Rheinwerk", "Nordstahl", "Baumann"],
                  "TWN": ["Formosa Micro", "Hsinchu Silicon", "Tainan Materials"], "NLD": ["Lowlands"],
                  "SAU": ["Arabian Crude"], "IRQ": ["Basra Oil"], "OMN": ["Oman Petroleum"], "ARE": ["Gulf Energy"],
                  "KWT": ["Kuwait Oil"], "RUS": ["Volga Resources"], "AGO": ["Angola Petro"], "BRA": ["Brasil Minerais"],
                  "AUS": ["Pilbara Minerals Trading", "Southern Cross Lithium"], "CHL": ["Atacama Salts"],
                  "ARG": ["Puna Lithium"], "MMR": ["Kachin Minerals"], "LAO": ["Mekong Resources"]}
# export partner weights (before chain adjustments); BRI members here sum to about a fifth
EXPORT_PARTNERS = {"USA": 0.20, "DEU": 0.06, "NLD": 0.035, "FRA": 0.03, "ITA": 0.03, "ESP": 0.025, "GBR": 0.045,
                   "JPN": 0.07, "KOR": 0.035, "AUS": 0.035, "CAN": 0.025, "MEX": 0.025, "BRA": 0.025,
                   "HKG": 0.03, "NZL": 0.005, "CHL": 0.01, "ZAF": 0.01, "NGA": 0.005, "BEL": 0.015, "SWE": 0.01,
                   "VNM": 0.03, "THA": 0.018, "MYS": 0.018, "IDN": 0.018, "PHL": 0.012, "SGP": 0.014,
                   "IND": 0.028, "RUS": 0.024, "ARE": 0.018, "SAU": 0.014, "TUR": 0.011, "POL": 0.011, "PAK": 0.008,
                   "KAZ": 0.006, "EGY": 0.007, "ISR": 0.006, "CZE": 0.005, "HUN": 0.004, "BGD": 0.006, "UKR": 0.005}
INPUT_COEF = 0.42
DIRECT_IMPORT_MIN = 100.0   # 万元 per year: smaller foreign purchases are imported via trading companies       # share of a buyer's revenue spent on inputs from its chain's upstream segments


def _local_share(n_local: int, foreign: float) -> float:
    if n_local == 0:
        return 0.0
    return float(np.clip(0.18 + 0.09 * np.sqrt(n_local), 0.15, 0.75) * (1.0 - 0.55 * foreign))


def supply_links(pop: pd.DataFrame, memberships: pd.DataFrame, monthly: pd.DataFrame,
                 rng: np.random.Generator) -> pd.DataFrame:
    """Supply links of 2021 (columns of the ``supply_link`` kind)."""
    rev = monthly[monthly["period"].str.startswith("2021")].groupby("uscc")["revenue"].sum()
    size = pop.set_index("uscc")["size"]
    operating = set(rev.index)
    members: dict[str, list[str]] = {k: [u for u in v if u in operating] for k, v in
                                     memberships.groupby("segment_id")["uscc"].agg(list).to_dict().items()}
    weights = {k: size[v].to_numpy() ** 0.7 for k, v in members.items()}
    # one purchase plan per (buyer, input segment), even when the buyer sits in two segments that use it;
    # inputs without a local producer (crude oil, chips, EDA …) are the core inputs and weigh triple
    plan: dict[tuple[str, str, str], float] = {}
    for c in CHAINS:
        segs = {s.key: s for s in c.segments}
        inputs: dict[str, list[str]] = {}
        for a, b in c.edges:
            inputs.setdefault(b, []).append(a)
        for b_key, ins in inputs.items():
            w = {a: 4.0 if segs[a].firms == 0 else 1.0 for a in ins}
            total_w = sum(w.values())
            for u in members.get(segment_id(c, segs[b_key]), []):
                scale = float(rev[u]) * INPUT_COEF * rng.uniform(0.6, 1.4)
                for a_key in ins:
                    key = (u, c.chain_id, a_key)
                    plan[key] = plan.get(key, 0.0) + scale * w[a_key] / total_w
    seg_of = {(c.chain_id, s.key): s for c in CHAINS for s in c.segments}
    by_input: dict[tuple[str, str], tuple[list[str], list[float]]] = {}
    for (u, chain_id, a_key), budget in plan.items():
        buyers, budgets = by_input.setdefault((chain_id, a_key), ([], []))
        buyers.append(u)
        budgets.append(budget)
    parts = []
    for (chain_id, a_key), (buyers, budgets) in sorted(by_input.items()):
        sid = f"{chain_id}.{a_key}"
        parts.append(_segment_links(sid, seg_of[(chain_id, a_key)], np.array(buyers, dtype=object),
                                    np.array(budgets), members.get(sid, []), weights.get(sid, np.zeros(0)), rng))
    out = pd.concat(parts, ignore_index=True)
    out = out[out["supplier_uscc"].isna() | (out["supplier_uscc"] != out["buyer_uscc"])]
    out = out.groupby(["supplier_uscc", "supplier_name", "supplier_country", "buyer_uscc", "hs_code", "segment_id"],
                      dropna=False, as_index=False).agg(supplier_region=("supplier_region", "first"),
                                                        annual_value=("annual_value", "sum"), share=("share", "sum"))
    out["share"] = out["share"].clip(upper=1.0).round(4)
    out["annual_value"] = out["annual_value"].round(2)
    out["essential"] = rng.random(len(out)) < 0.85
    out["year"] = 2021
    out = out.sort_values(["buyer_uscc", "segment_id", "supplier_country", "supplier_uscc", "supplier_name"]) \
        .reset_index(drop=True)
    out.insert(0, "link_id", [f"DL{i:06d}" for i in range(1, len(out) + 1)])
    return out


def _weighted_top(rng: np.random.Generator, logw: np.ndarray, n_rows: int, k: int) -> np.ndarray:
    """Column indices of ``k`` draws without replacement per row, by weight (Gumbel top-k)."""
    g = logw[None, :] + rng.gumbel(size=(n_rows, logw.size))
    return np.argsort(-g, axis=1)[:, :k], g


def _split(rng: np.random.Generator, k: np.ndarray, width: int, total: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Dirichlet(2, …, 2) split of ``total`` into the first ``k`` of ``width`` columns; (shares, mask)."""
    mask = np.arange(width)[None, :] < k[:, None]
    g = rng.gamma(2.0, 1.0, (k.size, width)) * mask
    norm = g.sum(axis=1, keepdims=True)
    return np.divide(g, norm, out=np.zeros_like(g), where=norm > 0) * total[:, None], mask


def _segment_links(sid: str, seg: Seg, buyers: np.ndarray, budgets: np.ndarray, local: list[str],
                   w: np.ndarray, rng: np.random.Generator) -> pd.DataFrame:
    """All links supplying segment ``sid``'s products to its buyers (vectorised over buyers)."""
    nb, n_loc = buyers.size, len(local)
    pos = {u: j for j, u in enumerate(local)}
    own = np.array([pos.get(u, -1) for u in buyers])
    n_local = n_loc - (own >= 0)
    ls = np.where(n_local > 0, np.clip(0.18 + 0.09 * np.sqrt(n_local), 0.15, 0.75) * (1.0 - 0.55 * seg.foreign), 0.0)
    f_share, d_share = (1.0 - ls) * seg.foreign, (1.0 - ls) * (1.0 - seg.foreign)
    hs = np.array(seg.hs, dtype=object)[rng.integers(0, len(seg.hs), nb)]
    cols = {k: [] for k in ("supplier_uscc", "supplier_name", "supplier_country", "supplier_region", "row", "share")}

    def add(rows: np.ndarray, shares: np.ndarray, uscc: object, name: object, country: object, region: object) -> None:
        n = rows.size
        for key, val in (("supplier_uscc", uscc), ("supplier_name", name), ("supplier_country", country),
                         ("supplier_region", region)):
            cols[key].append(val if isinstance(val, np.ndarray) else np.full(n, val, dtype=object))
        cols["row"].append(rows)
        cols["share"].append(shares)

    if n_loc:
        width = min(3, n_loc)
        k = np.minimum(n_local, 1 + (rng.random(nb) < 0.45) + (rng.random(nb) < 0.1))
        logw = np.log(w)
        g = logw[None, :] + rng.gumbel(size=(nb, n_loc))
        has_own = np.nonzero(own >= 0)[0]
        g[has_own, own[has_own]] = -np.inf                   # never one's own supplier
        top = np.argsort(-g, axis=1)[:, :width]
        shares, mask = _split(rng, k, width, ls)
        r, c = np.nonzero(mask)
        add(r, shares[r, c], np.array(local, dtype=object)[top[r, c]], None, "CHN", None)
    k = 1 + (rng.random(nb) < 0.2).astype(int)
    shares, mask = _split(rng, np.where(d_share > 0.01, k, 0), 2, d_share)
    r, c = np.nonzero(mask)
    regs = np.array(list(DOMESTIC_REGIONS), dtype=object)[rng.integers(0, len(DOMESTIC_REGIONS), r.size)]
    a, b = rng.integers(0, 6, r.size), rng.integers(0, 6, r.size)
    names = np.array([f"{DOMESTIC_REGIONS[g_]}{'恒瑞华精鼎宏'[i]}{'源芯材达科润'[j]}{seg.zh[:2]}有限公司"
                      for g_, i, j in zip(regs, a, b, strict=True)], dtype=object)
    add(r, shares[r, c], None, names, "CHN", regs)
    if seg.countries:
        cs = list(seg.countries)
        width = min(2, len(cs))
        k = np.where(f_share > 0.01, np.minimum(1 + (rng.random(nb) < 0.3).astype(int), width), 0)
        g = np.log(np.array([seg.countries[x] for x in cs]))[None, :] + rng.gumbel(size=(nb, len(cs)))
        top = np.argsort(-g, axis=1)[:, :width]
        shares, mask = _split(rng, k, width, f_share)
        r, c = np.nonzero(mask)
        iso = np.array(cs, dtype=object)[top[r, c]]
        pick = rng.integers(0, 1 << 30, r.size)
        label = seg.en.split(" (")[0]
        names = np.array([f"{FOREIGN_PREFIX.get(x, [x.title()])[p % len(FOREIGN_PREFIX.get(x, [x]))]} {label} Co., Ltd."
                          for x, p in zip(iso, pick, strict=True)], dtype=object)
        add(r, shares[r, c], None, names, iso, None)
    rows = np.concatenate(cols["row"])
    share = np.concatenate(cols["share"])
    return pd.DataFrame({
        "supplier_uscc": np.concatenate(cols["supplier_uscc"]), "supplier_name": np.concatenate(cols["supplier_name"]),
        "supplier_country": np.concatenate(cols["supplier_country"]),
        "supplier_region": np.concatenate(cols["supplier_region"]), "buyer_uscc": buyers[rows], "hs_code": hs[rows],
        "segment_id": sid, "annual_value": budgets[rows] * share, "share": share,
    })


def trade_flows(pop: pd.DataFrame, monthly: pd.DataFrame, links: pd.DataFrame,
                rng: np.random.Generator) -> pd.DataFrame:
    """Exports and imports by enterprise × partner × HS × month (columns of the ``trade_flow`` kind)."""
    partners = list(EXPORT_PARTNERS)
    base_p = np.array([EXPORT_PARTNERS[x] for x in partners])
    hs_of = {segment_id(c, s): s.hs for c in CHAINS for s in c.segments}
    seg_of = dict(zip(pop["uscc"], pop["segment_id"], strict=True))
    ind_of = dict(zip(pop["uscc"], pop["industry"], strict=True))
    exp = monthly[monthly["export_value"] > 0][["uscc", "period", "export_value"]]
    exporters = exp.groupby("uscc")["export_value"].sum()
    exporters = exporters[exporters >= 200.0].index       # at least 200万元 of exports over the four years
    plan = []
    for u in exporters:
        codes = hs_of.get(seg_of[u]) or (UNMAPPED_HS.get(str(ind_of[u])[:2], "392690"),)
        k = 1 + int(rng.random() < 0.5) + int(rng.random() < 0.2)
        chosen = rng.choice(len(partners), k, replace=False, p=base_p / base_p.sum())
        w = rng.dirichlet(np.ones(k) * 1.5) * rng.uniform(0.85, 1.0)
        h = codes[int(rng.integers(0, len(codes)))]
        for j, sh in zip(chosen, w, strict=True):
            plan.append((u, partners[j], h, sh))
    plan_df = pd.DataFrame(plan, columns=["uscc", "partner", "hs_code", "pshare"])
    ex = exp[exp["uscc"].isin(exporters)].merge(plan_df, on="uscc")
    ex["value"] = (ex["export_value"] * ex["pshare"] * np.exp(rng.normal(0, 0.05, len(ex)))).round(2)
    ex["flow"] = "export"
    exports = ex[["uscc", "partner", "hs_code", "period", "flow", "value"]]

    # imports: foreign supply links, spread over the months with the buyer's own monthly pattern
    foreign = links[links["supplier_country"] != "CHN"].groupby(["buyer_uscc", "supplier_country", "hs_code"],
                                                               as_index=False)["annual_value"].sum()
    # buyers of small foreign lots go through trading companies: only direct importers appear in customs data
    foreign = foreign[foreign["annual_value"] >= DIRECT_IMPORT_MIN]
    buyer_rev = monthly[["uscc", "period", "revenue"]]
    r21 = buyer_rev[buyer_rev["period"].str.startswith("2021")].groupby("uscc")["revenue"].sum().rename("rev21")
    imp = foreign.rename(columns={"buyer_uscc": "uscc", "supplier_country": "partner"}) \
        .merge(buyer_rev, on="uscc").merge(r21, on="uscc")
    imp["value"] = (imp["annual_value"] * imp["revenue"] / imp["rev21"] * np.exp(rng.normal(0, 0.07, len(imp)))).round(2)
    imp["flow"] = "import"
    imports = imp[["uscc", "partner", "hs_code", "period", "flow", "value"]]
    # keys are unique by construction: one HS code and distinct partners per exporter; imports grouped above
    out = pd.concat([exports, imports], ignore_index=True)
    return out[out["value"] > 0].reset_index(drop=True)


def bri_share(trade: pd.DataFrame) -> float:
    """Share of Belt and Road partners in total trade (exports + imports)."""
    total = trade["value"].sum()
    return float(trade.loc[trade["partner"].isin(BRI65), "value"].sum() / total) if total else float("nan")


__all__ = ["supply_links", "trade_flows", "bri_share", "PERIODS"]
