"""Annual tier-assessment attributes (cultivation.md §9) and titles of the demo enterprises.

Attributes follow a latent innovation ``quality`` per enterprise so that a realistic number pass
each tier: a few hundred meet the 专精特新 hard conditions, dozens reach the single-champion
level (global top 3, ≥ 10 years in the field, mean main-business revenue ≥ 4亿元), and many are
near misses (R&D share just under 3 %, score just under 60, rank 4–6 …). Titles granted in
2016–2022 mostly, but not always, agree with the attributes.
"""

from __future__ import annotations

import json
from datetime import date

import numpy as np
import pandas as pd

YEARS = (2018, 2019, 2020, 2021)
# chains whose main products fall in the ten key sectors of the manufacturing-power strategy / network-power fields
MANUFACTURING_POWER = ("nev", "ic", "hi_end_equipment", "chem_materials", "magnetic_materials", "key_components",
                       "optoelectronics", "smart_terminals", "industrial_software")
NETWORK_POWER = ("ic", "industrial_software", "smart_terminals")
LAOZIHAO_DIVISIONS = ("13", "14", "15", "17", "18", "19", "27")
CHAMPION_BATCHES = {2016: date(2016, 11, 30), 2017: date(2017, 12, 15), 2018: date(2018, 11, 30),
                    2019: date(2019, 11, 29), 2020: date(2020, 12, 10), 2021: date(2021, 11, 26)}
GIANT_BATCHES = {2019: date(2019, 6, 20), 2020: date(2020, 11, 20), 2021: date(2021, 7, 19), 2022: date(2022, 8, 12)}


def annual_attributes(pop: pd.DataFrame, monthly: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """One row per enterprise and year operated (columns of the ``annual`` import kind)."""
    m = monthly.assign(year=monthly["period"].str[:4].astype(int))
    agg = m.groupby(["uscc", "year"]).agg(revenue=("revenue", "sum"), profit=("total_profit", "sum"),
                                          employees=("employees", "mean"), months=("period", "count")).reset_index()
    p = pop.set_index("uscc")
    q = p["quality"]
    n = len(p)
    # enterprise-level constants
    rd_base = np.exp(np.log(0.0215) + 0.38 * q.to_numpy() + rng.normal(0, 0.33, n))
    main_share = np.clip(0.78 + 0.07 * q.to_numpy() + rng.normal(0, 0.09, n), 0.35, 1.0)
    debt = np.clip(rng.beta(5, 5, n) * 0.9 + 0.05, 0.08, 0.95)
    assets_ratio = rng.uniform(0.8, 1.7, n)
    founded_year = np.array([d.year for d in p["founded"]])
    niche_start = founded_year + rng.integers(0, 4, n)
    ip_rate = np.exp(0.2 + 0.75 * q.to_numpy() + rng.normal(0, 0.5, n))
    digital = np.clip(np.round(2.0 + 0.7 * q.to_numpy() + rng.normal(0, 0.7, n)), 1, 4).astype(int)
    inst = np.select([q > 1.7, q > 0.9, q > 0.2], ["national", "provincial", "municipal"], "none")
    const = pd.DataFrame({
        "rd_base": rd_base, "main_share": main_share, "debt": debt, "assets_ratio": assets_ratio,
        "niche_start": niche_start, "ip_rate": ip_rate, "digital": digital, "inst": inst,
        "strategic": rng.random(n) < 0.25 + 0.15 * (q.to_numpy() > 0.5),
        "six_found": rng.random(n) < 0.2 + 0.2 * (q.to_numpy() > 0.5),
        "key_link": rng.random(n) < 0.15 + 0.4 * (q.to_numpy() > 1.0),
        "own_brand": rng.random(n) < 0.3 + 0.45 * (q.to_numpy() > 0.5), "iso9001": rng.random(n) < 0.7,
        "quality_award": rng.random(n) < 0.06 + 0.1 * (q.to_numpy() > 1.0),
        "standards": rng.poisson(np.maximum(0.05, 0.6 * q.to_numpy() + 0.3)),
        "local_score": np.clip(np.round(7 + 3 * q.to_numpy() + rng.normal(0, 2.5, n)), 0, 15),
        "compliance": rng.random(n) > 0.03,
        "energy_adv": rng.random(n) < 0.3 + 0.3 * (q.to_numpy() > 1.0),
        "info_system": rng.random(n) < 0.35 + 0.15 * digital,
        "mfg_power": np.isin(p["chain_id"].to_numpy(), MANUFACTURING_POWER) & (rng.random(n) < 0.8),
        "net_power": np.isin(p["chain_id"].to_numpy(), NETWORK_POWER) & (rng.random(n) < 0.8),
        "serves_leader": rng.random(n) < 0.15 + 0.2 * (q.to_numpy() > 0.8),
        "dev_cert": (p["export_share"].to_numpy() > 0.1) & (rng.random(n) < 0.6),
        "applied_share": rng.uniform(0.4, 0.9, n),
    }, index=p.index)
    # champion-level global ranks: dozens of large, old, strong niche leaders; near misses around them
    old_big = (p["size"] >= 3.2e4) & (founded_year <= 2010)
    score = q + 0.35 * np.log10(p["size"].clip(lower=1)) + rng.normal(0, 0.25, n)
    ranked = score[old_big].sort_values(ascending=False).index
    n_champ = max(2, int(round(len(p) * 0.009)))
    g_rank = pd.Series(np.clip(np.round(np.exp(3.6 - 0.9 * q + rng.normal(0, 0.5, n))), 4, 200), index=p.index)
    g_rank.loc[ranked[:n_champ]] = rng.integers(1, 4, len(ranked[:n_champ]))
    g_rank.loc[ranked[n_champ:n_champ * 2]] = rng.integers(3, 7, len(ranked[n_champ:n_champ * 2]))
    d_rank = np.clip(np.round(g_rank / rng.uniform(2, 6, n)), 1, 100).astype(int)
    share_g = np.round(np.clip(35 / g_rank ** 0.9 * rng.uniform(0.6, 1.4, n), 0.05, 60), 2)
    share_d = np.round(np.clip(share_g * rng.uniform(1.5, 3.5, n), 0.1, 80), 2)
    equity_prob = 0.02 + 0.06 * (q.to_numpy() > 1.0)

    # cumulative IP holdings by year
    pats, others = {}, {}
    patents, other = np.zeros(n), np.zeros(n)
    for year in YEARS:
        patents = patents + rng.poisson(ip_rate * 0.5)
        other = other + rng.poisson(ip_rate * 1.2)
        pats[year], others[year] = patents.copy(), other.copy()
    pos = pd.Series(np.arange(n), index=p.index)
    a = agg.sort_values(["uscc", "year"]).reset_index(drop=True)
    k = pos[a["uscc"]].to_numpy()
    yr = a["year"].to_numpy()
    m_rows = len(a)
    c = const.iloc[k].reset_index(drop=True)
    qk = q.to_numpy()[k]
    rev = a["revenue"].to_numpy()
    rd_share = np.clip(c["rd_base"].to_numpy() * np.exp(rng.normal(0, 0.08, m_rows)), 0.001, 0.3)
    emp = np.round(a["employees"].to_numpy())
    rd_staff = np.round(emp * np.clip(rd_share * 3.2 + rng.normal(0, 0.03, m_rows), 0.01, 0.6))
    assets = rev * 12.0 / a["months"].to_numpy() * c["assets_ratio"].to_numpy()
    ip1 = np.array([pats[y][j] for y, j in zip(yr, k, strict=True)])
    ip2 = np.array([others[y][j] for y, j in zip(yr, k, strict=True)])
    niche = np.maximum(0, yr - c["niche_start"].to_numpy())
    award_draw = (qk > 1.6) & (rng.random(m_rows) < 0.25)
    award_nat = rng.random(m_rows) < 0.2
    award_rank = rng.integers(1, 6, m_rows)
    maker_draw = (qk > 1.2) & (rng.random(m_rows) < 0.04)
    maker_top50 = rng.random(m_rows) < 0.15
    equity = np.where(rng.random(m_rows) < equity_prob[k], np.round(np.exp(rng.normal(np.log(3000), 0.9, m_rows)), 2), 0.0)
    score = np.clip(np.round(50 + 11 * qk + rng.normal(0, 6, m_rows), 1), 0, 100)
    # 中华老字号: a handful of old consumer-goods makers (food, drink, textiles, apparel, pharmaceuticals)
    old_brand = (founded_year <= 1995) & p["industry"].str[:2].isin(LAOZIHAO_DIVISIONS).to_numpy() \
        & (rng.random(n) < 0.3)
    cols = {name: c[name].tolist() for name in c.columns}
    start_years = [int(x) for x in cols["niche_start"]]
    attrs = []
    for i in range(m_rows):
        attrs.append(json.dumps({
            "synthetic": True,
            "niche_start_date": f"{start_years[i]}-01-01",
            "years_in_field": int(niche[i]),
            "new_product_years": int(min(niche[i], 3 + 4 * int(qk[i] > 0))),
            "high_value_ip": int(ip1[i] * (0.15 if qk[i] > 0.8 else 0.03)),
            "self_developed_ip1": int(ip1[i] * 0.85),
            "ip_related_main_product": True,
            "strategic_emerging": bool(cols["strategic"][i]), "six_foundations": bool(cols["six_found"][i]),
            "key_chain_link": bool(cols["key_link"][i]),
            "supply_chain_results": bool(cols["key_link"][i] and qk[i] > 0.8),
            "quality_award": bool(cols["quality_award"][i]), "qms_certificate": bool(cols["iso9001"][i]),
            "own_brand": bool(cols["own_brand"][i]), "standards_drafted": int(cols["standards"][i]),
            "local_feature_score": float(cols["local_score"][i]),
            "award": {"level": "national" if award_nat[i] else "provincial", "year": int(yr[i]),
                      "rank": int(award_rank[i])} if award_draw[i] else None,
            "makers_china": {"year": int(yr[i]), "group": "top50" if maker_top50[i] else "top500"}
            if maker_draw[i] else None,
            "energy_quota_advanced": bool(cols["energy_adv"][i]),
            "info_system": bool(cols["info_system"][i]),
            "field_manufacturing_power": bool(cols["mfg_power"][i]),
            "field_network_power": bool(cols["net_power"][i]), "field_laozihao": bool(old_brand[k[i]]),
            "field_serves_chain_leader": bool(cols["serves_leader"][i]),
            "field_2026_priority": bool(cols["six_found"][i] or cols["strategic"][i]),
            "developed_market_cert": bool(cols["dev_cert"][i]),
            "ip_class1_applied": int(ip1[i] * cols["applied_share"][i]),
            "ip_class1_applied_own": int(ip1[i] * cols["applied_share"][i] * 0.8),
            "abnormal_list": False, "dishonesty_list": not bool(cols["compliance"][i]),
        }, ensure_ascii=False))
    return pd.DataFrame({
        "uscc": a["uscc"], "year": yr, "employees": emp, "rd_personnel": rd_staff,
        "revenue": np.round(rev, 2), "main_revenue": np.round(rev * c["main_share"].to_numpy(), 2),
        "rd_expense": np.round(rev * rd_share, 2), "net_profit": np.round(a["profit"].to_numpy() * 0.82, 2),
        "total_assets": np.round(assets, 2), "total_liabilities": np.round(assets * c["debt"].to_numpy(), 2),
        "invention_patents": ip1.astype(int), "other_ip": ip2.astype(int), "equity_financing": equity,
        "niche_years": niche.astype(float), "digital_level": c["digital"].to_numpy().astype(int),
        "market_share_domestic": share_d.to_numpy()[k], "market_share_global": share_g.to_numpy()[k],
        "market_rank_domestic": d_rank.to_numpy()[k].astype(int),
        "market_rank_global": g_rank.to_numpy()[k].astype(int),
        "zjtx_score": score, "rd_institution": c["inst"].to_numpy(), "compliance_ok": c["compliance"].to_numpy(),
        "attrs": attrs,
    })


def titles(pop: pd.DataFrame, annual: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Titles with validity periods, granted mostly to enterprises whose attributes fit the tier."""
    recent = annual[annual["year"] >= 2020].sort_values(["uscc", "year"]).drop_duplicates("uscc", keep="last")
    latest = recent.set_index("uscc").to_dict("index")
    rows: list[tuple[str, str, date, date, str | None]] = []
    for r in pop.itertuples():
        u, q = r.uscc, r.quality
        last = latest.get(u)
        if last is None:
            continue
        rd_share = last["rd_expense"] / max(last["revenue"], 1e-9)
        sme = not (last["employees"] >= 1000 and last["revenue"] >= 40000)
        # 高新技术企业: three-year certificates, renewed
        if rd_share >= 0.03 and q > -0.2 and rng.random() < 0.6:
            y0 = int(rng.integers(2015, 2019))
            while y0 <= 2021:
                rows.append((u, "high_tech", date(y0, 11, 28), date(y0 + 3, 11, 27), None))
                y0 += 3
        zjtx_ok = (sme and rd_share >= 0.03 and last["rd_expense"] >= 100 and last["revenue"] >= 1000
                   and last["niche_years"] >= 2)
        near = sme and 0.026 <= rd_share < 0.03 and last["revenue"] >= 1000
        if (zjtx_ok and rng.random() < 0.55) or (near and rng.random() < 0.1):
            y0 = int(rng.integers(2018, 2022))
            rows.append((u, "zjtx", date(y0, 12, 20), date(y0 + 3, 12, 19), "provincial"))
            giant_ok = (zjtx_ok and last["revenue"] >= 5000 and last["invention_patents"] >= 2 and q > 1.0
                        and last["market_rank_domestic"] <= 3)
            if giant_ok and rng.random() < 0.6:
                gy = int(rng.choice([y for y in GIANT_BATCHES if y > y0] or [2022]))
                d = GIANT_BATCHES[gy]
                rows.append((u, "little_giant", d, date(d.year + 3, d.month, d.day - 1), f"batch{gy - 2018}"))
        if zjtx_ok and rng.random() < 0.4:
            rows.append((u, "innovative_sme", date(2022, 9, 15), date(2025, 9, 14), None))
        if last["market_rank_global"] <= 3 and last["niche_years"] >= 10 and last["main_revenue"] >= 30000 \
                and rng.random() < 0.6:
            cy = int(rng.choice(list(CHAMPION_BATCHES)))
            d = CHAMPION_BATCHES[cy]
            cat = "demo_enterprise_2016" if last["main_revenue"] / max(last["revenue"], 1) >= 0.7 else "product_2016"
            rows.append((u, "single_champion", d, date(d.year + 3, d.month, d.day - 1), cat))
            if cy <= 2018:  # passed review: extended by 3 years
                rows.append((u, "single_champion", date(d.year + 3, d.month, d.day),
                             date(d.year + 6, d.month, d.day - 1), cat))
    out = pd.DataFrame(rows, columns=["uscc", "title", "valid_from", "valid_to", "category"])
    return out.drop_duplicates(["uscc", "title", "valid_from"]).reset_index(drop=True)
