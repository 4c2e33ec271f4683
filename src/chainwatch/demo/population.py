"""The demo city's enterprises: who they are, where, in which segments, how large, since when.

The population is a DataFrame with one row per enterprise and the generator's hidden parameters
(size, growth, margins, latent innovation ``quality`` …). Only the public columns go into the
database; the planted facts go into the ground-truth tables.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from chainwatch.demo.catalogue import (
    CHAINS,
    UNMAPPED_CHAIN_GROWTH,
    UNMAPPED_INDUSTRIES,
    Chain,
    Seg,
    segment_id,
)
from chainwatch.demo.ids import make_names, make_usccs
from chainwatch.store.reference import NINGBO_DISTRICTS, REGIONS

DISTRICT_BASE = dict(zip(NINGBO_DISTRICTS, [0.10, 0.06, 0.16, 0.10, 0.17, 0.06, 0.05, 0.07, 0.11, 0.12], strict=True))
# realistic geographic concentration: each chain's preferred districts (Ningbo-like)
CHAIN_DISTRICTS = {
    "green_petrochem": {"330211": 0.55, "330206": 0.35, "330282": 0.10},
    "chem_materials": {"330211": 0.45, "330206": 0.35, "330282": 0.20},
    "auto_parts": {"330282": 0.35, "330206": 0.25, "330212": 0.20, "330281": 0.20},
    "nev": {"330206": 0.35, "330212": 0.25, "330213": 0.20, "330282": 0.20},
    "ic": {"330206": 0.40, "330212": 0.30, "330281": 0.15, "330205": 0.15},
    "optoelectronics": {"330281": 0.65, "330212": 0.20, "330205": 0.15},
    "smart_terminals": {"330212": 0.35, "330281": 0.25, "330282": 0.25, "330203": 0.15},
    "industrial_software": {"330212": 0.40, "330205": 0.30, "330203": 0.30},
    "hi_end_equipment": {"330206": 0.40, "330282": 0.20, "330226": 0.20, "330212": 0.20},
    "key_components": {"330282": 0.35, "330213": 0.25, "330226": 0.20, "330281": 0.20},
    "magnetic_materials": {"330212": 0.40, "330206": 0.30, "330226": 0.15, "330281": 0.15},
    "textiles_apparel": {"330212": 0.35, "330213": 0.20, "330203": 0.20, "330225": 0.25},
    "smart_appliances": {"330282": 0.50, "330281": 0.35, "330226": 0.15},
}
# chain output weight of an average firm relative to the city (scales segment firm sizes)
CHAIN_SCALE = {"green_petrochem": 3.0, "chem_materials": 1.6, "auto_parts": 1.3, "nev": 1.5, "ic": 0.35,
               "optoelectronics": 1.0, "smart_terminals": 1.0, "industrial_software": 0.5,
               "hi_end_equipment": 1.0, "key_components": 0.8, "magnetic_materials": 1.0,
               "textiles_apparel": 0.7, "smart_appliances": 1.1, "": 0.8}
CHAIN_QUALITY = {"ic": 0.6, "magnetic_materials": 0.5, "hi_end_equipment": 0.4, "key_components": 0.4,
                 "industrial_software": 0.6, "optoelectronics": 0.4, "chem_materials": 0.3, "nev": 0.3,
                 "smart_terminals": 0.1, "auto_parts": 0.1, "green_petrochem": -0.1, "textiles_apparel": -0.4,
                 "smart_appliances": 0.0, "": -0.5}
# COVID-19 shock depth relative to the average (continuous-process industries held up better)
CHAIN_SHOCK = {"green_petrochem": 0.5, "chem_materials": 0.7, "auto_parts": 1.3, "nev": 1.1, "ic": 0.7,
               "optoelectronics": 0.9, "smart_terminals": 1.1, "industrial_software": 0.6,
               "hi_end_equipment": 1.0, "key_components": 1.1, "magnetic_materials": 0.9,
               "textiles_apparel": 1.3, "smart_appliances": 1.1, "": 1.0}
SIZE_SIGMA = 1.75
SIZE_MEDIAN = 6400.0          # 万元 per year (2019 terms); about 60 % above the 2,000万元 threshold
FRAGILE_CANDIDATES = ("nev.separator", "nev.electrolyte", "optoelectronics.image_sensors", "ic.wafers",
                      "hi_end_equipment.cnc_systems", "magnetic_materials.re_metals",
                      "chem_materials.catalysts", "optoelectronics.led_chips", "key_components.special_steel",
                      "ic.process_gases")
N_FRAGILE = 6


@dataclass
class Population:
    frame: pd.DataFrame            # one row per enterprise (public + hidden columns)
    memberships: pd.DataFrame      # segment_id, uscc, is_main
    fragile: list[str]             # segment ids with exactly one local enterprise
    missing: list[str]             # segment ids without local enterprise
    leaders: pd.DataFrame          # uscc, chain_id


def _segment_counts(n_chain: int, rng: np.random.Generator, fragile: list[str]) -> dict[str, int]:
    segs = [(segment_id(c, s), s.firms * (0.6 + 0.4 * CHAIN_SCALE[c.chain_id] ** 0.3))
            for c in CHAINS for s in c.segments if s.firms > 0]
    weights = np.array([w for _, w in segs])
    exp = weights / weights.sum() * n_chain
    counts = np.maximum(1, np.floor(exp)).astype(int)
    rem = n_chain - counts.sum()
    order = np.argsort(-(exp - np.floor(exp)) + rng.random(len(exp)) * 1e-6)
    k = 0
    while rem != 0 and len(order):
        i = order[k % len(order)]
        if rem > 0:
            counts[i] += 1
            rem -= 1
        elif counts[i] > 1:
            counts[i] -= 1
            rem += 1
        k += 1
        if k > 100 * len(order):
            break
    out = {sid: int(c) for (sid, _), c in zip(segs, counts, strict=True)}
    for sid in fragile:
        out[sid] = 1
    return out


def make_population(rng: np.random.Generator, n_total: int, seed: int) -> Population:
    """Draw ``n_total`` enterprises: 85 % in the chains, the rest in other industries."""
    fragile = sorted(rng.choice(FRAGILE_CANDIDATES, N_FRAGILE, replace=False).tolist())
    missing = [segment_id(c, s) for c in CHAINS for s in c.segments if s.firms == 0]
    n_chain = int(round(n_total * 0.85))
    counts = _segment_counts(n_chain, rng, fragile)
    seg_info: dict[str, tuple[Chain, Seg]] = {segment_id(c, s): (c, s) for c in CHAINS for s in c.segments}
    rows_seg, rows_chain, rows_ind = [], [], []
    for sid, k in counts.items():
        c, s = seg_info[sid]
        rows_seg += [sid] * k
        rows_chain += [c.chain_id] * k
        rows_ind += [s.industry] * k
    n_un = n_total - len(rows_seg)
    un_codes = list(UNMAPPED_INDUSTRIES)
    un_p = np.array(list(UNMAPPED_INDUSTRIES.values()))
    rows_seg += [""] * n_un
    rows_chain += [""] * n_un
    rows_ind += rng.choice(un_codes, n_un, p=un_p / un_p.sum()).tolist()
    n = len(rows_seg)
    df = pd.DataFrame({"segment_id": rows_seg, "chain_id": rows_chain, "industry": rows_ind})
    df = df.sample(frac=1.0, random_state=rng.integers(0, 2**31 - 1)).reset_index(drop=True)

    # districts: chain preference mixed with the city's base distribution
    base_p = np.array(list(DISTRICT_BASE.values()))
    dists = np.empty(n, dtype=object)
    for chain_id, idx in df.groupby("chain_id").groups.items():
        pref = CHAIN_DISTRICTS.get(str(chain_id), {})
        p = 0.45 * base_p + 0.55 * np.array([pref.get(d, 0.0) for d in NINGBO_DISTRICTS]) if pref else base_p
        dists[np.asarray(idx)] = rng.choice(NINGBO_DISTRICTS, len(idx), p=p / p.sum())
    df["district"] = dists

    # sizes: lognormal with a segment factor; segment weights lift the heavy segments
    seg_w = {segment_id(c, s): s.weight / max(s.firms, 0.05) for c in CHAINS for s in c.segments}
    mean_w = np.mean([v for v in seg_w.values() if v > 0])
    seg_factor = np.array([(seg_w.get(s, mean_w) / mean_w) ** 0.35 if s else 0.8 for s in df["segment_id"]])
    chain_factor = np.array([CHAIN_SCALE[c] ** 0.5 for c in df["chain_id"]])
    df["size"] = SIZE_MEDIAN * np.exp(rng.normal(0, SIZE_SIGMA, n)) * seg_factor * chain_factor / 1.25
    df["quality"] = rng.normal(0, 1, n) + np.array([CHAIN_QUALITY[c] for c in df["chain_id"]])
    chain_growth = {c.chain_id: c.growth for c in CHAINS}
    df["growth"] = np.array([chain_growth.get(c, UNMAPPED_CHAIN_GROWTH) for c in df["chain_id"]]) \
        + rng.normal(0, 0.09, n) + 0.02 * df["quality"]
    va = {c.chain_id: c.va_rate for c in CHAINS}
    ex = {c.chain_id: c.export_share for c in CHAINS}
    df["va_rate"] = np.clip(np.array([va.get(c, 0.22) for c in df["chain_id"]]) + rng.normal(0, 0.035, n), 0.08, 0.65)
    exporter = rng.random(n) < 0.7
    df["export_share"] = np.where(exporter, np.clip(
        np.array([ex.get(c, 0.15) for c in df["chain_id"]]) * rng.gamma(2.0, 0.5, n), 0.0, 0.9), 0.0)
    df["margin"] = np.clip(rng.normal(0.058, 0.03, n) + 0.008 * df["quality"], -0.05, 0.3)
    df["tax_rate"] = rng.uniform(0.015, 0.045, n)
    heavy = df["industry"].str[:2].isin(["25", "26", "28", "31", "32", "30"])
    df["intensity"] = np.exp(rng.normal(np.log(0.03), 0.35, n)) * np.where(heavy, 2.5, 1.0)
    df["productivity"] = np.exp(rng.normal(np.log(95.0), 0.45, n)) * np.where(heavy, 3.0, 1.0)  # 万元/person/yr
    df["shock"] = np.clip(np.array([CHAIN_SHOCK[c] for c in df["chain_id"]]) * rng.normal(1, 0.25, n), 0.1, 2.2)

    # chain leaders: 2-4 per chain, the largest firms of the chain's heaviest mid/downstream segments
    leaders = []
    for c in CHAINS:
        members = df.index[df["chain_id"] == c.chain_id]
        if len(members) == 0:
            continue
        heavy_segs = [segment_id(c, s) for s in sorted(c.segments, key=lambda s: -s.weight)
                      if s.position != "upstream" and s.firms > 0][:3]
        cand = df.loc[members][df.loc[members, "segment_id"].isin(heavy_segs)
                               & ~df.loc[members, "segment_id"].isin(fragile)]
        k = min(len(cand), 2 + int(rng.integers(0, 3)))
        chosen = cand.sort_values("size", ascending=False).index[:k]
        for rank, i in enumerate(chosen):
            df.loc[i, "size"] = max(df.loc[i, "size"], 4e5 * CHAIN_SCALE[c.chain_id] * (0.5 ** rank)
                                    * float(np.exp(rng.normal(0, 0.3))))
            df.loc[i, "quality"] = max(df.loc[i, "quality"], 0.8)
            leaders.append((i, c.chain_id))
    df["is_leader"] = False
    df.loc[[i for i, _ in leaders], "is_leader"] = True

    # founding, entries during the window and closures
    new = rng.random(n) < 0.08
    founded_year = np.where(new, rng.integers(2018, 2022, n),
                            np.clip(2017 - np.floor(rng.gamma(2.0, 6.0, n)), 1985, 2017).astype(int))
    founded_year = np.where(df["is_leader"], np.minimum(founded_year, 2008), founded_year)
    new = founded_year >= 2018
    founded_month = rng.integers(1, 13, n)
    founded_month = np.where(founded_year == 2021, np.minimum(founded_month, 9), founded_month)  # >= 3 months of data
    df["founded"] = pd.to_datetime({"year": founded_year, "month": founded_month,
                                    "day": rng.integers(1, 29, n)}).dt.date
    df["start_idx"] = np.where(new, (founded_year - 2018) * 12 + founded_month - 1 + 1, 0)
    df["size"] = np.where(new, df["size"] * 0.8, df["size"])
    closing = (rng.random(n) < 0.035) & ~df["is_leader"] & ~new & ~df["segment_id"].isin(fragile)
    df["end_idx"] = np.where(closing, rng.integers(14, 46, n), 48)

    df["index"] = np.arange(n)
    df["uscc"] = make_usccs(df["index"].to_numpy(), df["district"].to_numpy(), seed)
    names = {r[0]: r[1] for r in REGIONS}
    df["name"] = make_names(rng, df["industry"].str[:2].to_numpy(), np.array([names[d] for d in df["district"]]))

    memberships = _memberships(df, rng, fragile)
    lead = pd.DataFrame({"uscc": [df.loc[i, "uscc"] for i, _ in leaders], "chain_id": [c for _, c in leaders]})
    return Population(df, memberships, fragile, missing, lead)


def _memberships(df: pd.DataFrame, rng: np.random.Generator, fragile: list[str]) -> pd.DataFrame:
    """Main segment for every chain enterprise; a second segment for ~15 % of them (and all leaders)."""
    main = df[df["segment_id"] != ""][["segment_id", "uscc"]].assign(is_main=True)
    extra = []
    chain_segs = {c.chain_id: [segment_id(c, s) for s in c.segments
                               if s.firms > 0 and segment_id(c, s) not in fragile] for c in CHAINS}
    for r in df[df["segment_id"] != ""].itertuples():
        if r.segment_id in fragile:
            continue
        if r.is_leader or rng.random() < 0.15:
            options = [s for s in chain_segs[r.chain_id] if s != r.segment_id]
            if options:
                extra.append((options[int(rng.integers(0, len(options)))], r.uscc, False))
    sec = pd.DataFrame(extra, columns=["segment_id", "uscc", "is_main"])
    return pd.concat([main, sec], ignore_index=True).drop_duplicates(["segment_id", "uscc"]).reset_index(drop=True)
