"""Synthetic data at benchmark scale, generated in blocks so memory stays flat.

Three entry points for the benchmarks of other features:

* :func:`monthly_frame` / :func:`iter_monthly_frames` / :func:`write_monthly_parquet`: monthly
  enterprise values with the columns of the ``monthly`` import kind (uscc, period, gross_output,
  value_added, revenue, total_profit, taxes, export_value, electricity, employees; money in 万元);
* :func:`build_benchmark_db`: a complete chainwatch database (chains and segments of the demo
  catalogue, enterprise, enterprise_scope, monthly_value, segment_enterprise) for e.g. 200,000
  enterprises × 60 months, written block by block straight into DuckDB from Arrow tables. It
  deliberately skips the import validation (the values are valid by construction, and the import
  pipeline has its own benchmark); ``demo_info`` records ``kind = benchmark``;
* :func:`network`: a firm-level supply network (``src`` supplier → ``dst`` buyer, ``weight``
  value) as NumPy arrays ready for ``scipy.sparse.csr_matrix((weight, (src, dst)))``, e.g.
  1,000,000 firms and 10,000,000 links; :func:`write_network_parquet` streams the same network.

Every output depends only on its arguments: enterprise ``i`` gets the same values whatever the
block size of the caller, because randomness is drawn per fixed block of :data:`BLOCK` enterprises
from ``numpy.random.default_rng([seed, block])``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd
import pyarrow as pa

from chainwatch.demo.calendar import covid_depth, month_factors, months_since, periods
from chainwatch.demo.catalogue import CHAINS, CLUSTERS, segment_id
from chainwatch.demo.ids import make_usccs
from chainwatch.model.codes import section_of
from chainwatch.store.reference import NINGBO_DISTRICTS

BLOCK = 10_000
MONTHLY_COLUMNS = ["uscc", "period", "gross_output", "value_added", "revenue", "total_profit", "taxes",
                   "export_value", "electricity", "employees"]
_DISTRICT_P = np.array([0.10, 0.06, 0.16, 0.10, 0.17, 0.06, 0.05, 0.07, 0.11, 0.12])
_SEG = [(segment_id(c, s), s.industry, s.firms, c.growth, c.va_rate, c.export_share)
        for c in CHAINS for s in c.segments if s.firms > 0]
_SEG_P = np.array([s[2] for s in _SEG]) / sum(s[2] for s in _SEG)


def _block_params(block: int, n_used: int, seed: int) -> dict[str, np.ndarray]:
    """Per-enterprise parameters of one block (the first ``n_used`` of its BLOCK enterprises)."""
    rng = np.random.default_rng([int(seed), int(block), 17])
    n = BLOCK
    seg = rng.choice(len(_SEG), n, p=_SEG_P)
    district = np.array(NINGBO_DISTRICTS)[rng.choice(len(NINGBO_DISTRICTS), n, p=_DISTRICT_P)]
    size = 2000.0 * np.exp(rng.normal(0.25, 1.15, n))           # annual revenue, 万元: heavy tail
    growth = np.array([_SEG[k][3] for k in seg]) + rng.normal(0, 0.10, n)
    full = {
        "index": np.arange(block * BLOCK, block * BLOCK + n, dtype=np.int64),
        "segment": np.array([_SEG[k][0] for k in seg], dtype=object),
        "industry": np.array([_SEG[k][1] for k in seg], dtype=object),
        "district": district,
        "size": size,
        "growth": growth,
        "margin": rng.normal(0.06, 0.035, n),
        "tax_rate": rng.uniform(0.015, 0.045, n),
        "va_rate": np.clip(np.array([_SEG[k][4] for k in seg]) + rng.normal(0, 0.04, n), 0.08, 0.7),
        "export_share": np.clip(np.array([_SEG[k][5] for k in seg]) * rng.gamma(1.2, 1.0, n), 0, 0.95),
        "intensity": np.exp(rng.normal(np.log(0.035), 0.5, n)),  # 万千瓦时 per 万元 of output
        "employees": np.maximum(8, np.round(size / np.exp(rng.normal(np.log(80), 0.5, n)))),
        "shock": np.clip(rng.normal(1.0, 0.3, n), 0.2, 2.0),
        "founded_days": rng.integers(0, 365 * 30, n),
    }
    return {k: v[:n_used] for k, v in full.items()}


def _blocks(n_enterprises: int) -> Iterator[tuple[int, int]]:
    for b in range(0, (n_enterprises + BLOCK - 1) // BLOCK):
        yield b, min(BLOCK, n_enterprises - b * BLOCK)


def _usccs(p: dict[str, np.ndarray], seed: int) -> np.ndarray:
    return make_usccs(p["index"], p["district"], seed)


def _monthly_block(p: dict[str, np.ndarray], seed: int, block: int, plist: list[str]) -> dict[str, np.ndarray]:
    """Matrix-shaped (n × T) monthly values of one block."""
    rng = np.random.default_rng([int(seed), int(block), 29])
    n, T = len(p["size"]), len(plist)

    def noise(sd: float) -> np.ndarray:  # drawn for the whole block, so values do not depend on n
        return rng.normal(0, sd, (BLOCK, T))[:n]

    t = months_since(plist, plist[0])[None, :]
    season = month_factors(plist)[None, :]
    depth = covid_depth(plist)[None, :] * p["shock"][:, None]
    trend = (1.0 + p["growth"][:, None]) ** (t / 12.0)
    revenue = p["size"][:, None] / 12.0 * trend * season * np.clip(1.0 - depth, 0.05, None) \
        * np.exp(noise(0.06))
    output = revenue * np.exp(noise(0.02))
    return {
        "gross_output": output,
        "value_added": output * p["va_rate"][:, None],
        "revenue": revenue,
        "total_profit": revenue * (p["margin"][:, None] + noise(0.02)),
        "taxes": revenue * p["tax_rate"][:, None] * np.exp(noise(0.05)),
        "export_value": output * p["export_share"][:, None],
        "electricity": output * p["intensity"][:, None] * np.exp(noise(0.03)),
        "employees": np.round(p["employees"][:, None] * trend ** 0.3 * (1 - 0.3 * depth)),
    }


def iter_monthly_tables(n_enterprises: int, n_months: int, seed: int = 0, start: str = "2017-01") -> Iterator[pa.Table]:
    """Arrow tables of monthly values, one per block of :data:`BLOCK` enterprises."""
    plist = periods(start, n_months)
    period_dict = pa.array(plist, pa.string())
    for b, n in _blocks(n_enterprises):
        p = _block_params(b, n, seed)
        vals = _monthly_block(p, seed, b, plist)
        uscc_dict = pa.array(_usccs(p, seed).tolist(), pa.string())
        ent_idx = np.repeat(np.arange(n, dtype=np.int32), n_months)
        per_idx = np.tile(np.arange(n_months, dtype=np.int32), n)
        cols = {
            "uscc": pa.DictionaryArray.from_arrays(pa.array(ent_idx), uscc_dict).cast(pa.string()),
            "period": pa.DictionaryArray.from_arrays(pa.array(per_idx), period_dict).cast(pa.string()),
        }
        for k in MONTHLY_COLUMNS[2:]:
            cols[k] = pa.array(np.round(vals[k].ravel(), 2))
        yield pa.table(cols)


def iter_monthly_frames(n_enterprises: int, n_months: int, seed: int = 0, start: str = "2017-01") -> Iterator[pd.DataFrame]:
    """Same as :func:`iter_monthly_tables`, as pandas DataFrames (columns of the ``monthly`` kind)."""
    for table in iter_monthly_tables(n_enterprises, n_months, seed, start):
        yield table.to_pandas()


def monthly_frame(n_enterprises: int, n_months: int, seed: int = 0, start: str = "2017-01") -> pd.DataFrame:
    """All monthly values as one DataFrame (``n_enterprises × n_months`` rows; use for moderate sizes)."""
    return pd.concat(list(iter_monthly_frames(n_enterprises, n_months, seed, start)), ignore_index=True)


def write_monthly_parquet(path: str | Path, n_enterprises: int, n_months: int, seed: int = 0,
                          start: str = "2017-01") -> int:
    """Stream monthly values into one Parquet file block by block; return the number of rows."""
    import pyarrow.parquet as pq

    rows = 0
    writer: pq.ParquetWriter | None = None
    try:
        for table in iter_monthly_tables(n_enterprises, n_months, seed, start):
            if writer is None:
                writer = pq.ParquetWriter(str(path), table.schema, compression="zstd")
            writer.write_table(table)
            rows += table.num_rows
    finally:
        if writer is not None:
            writer.close()
    return rows


def enterprise_frame(n_enterprises: int, seed: int = 0) -> pd.DataFrame:
    """The enterprises behind :func:`monthly_frame` (columns of the ``enterprise`` kind plus ``segment_id``)."""
    return pd.concat([_enterprise_block(b, n, seed) for b, n in _blocks(n_enterprises)], ignore_index=True)


def _enterprise_block(b: int, n: int, seed: int) -> pd.DataFrame:
    p = _block_params(b, n, seed)
    founded = pd.Timestamp("2017-01-01") - pd.to_timedelta(p["founded_days"], unit="D")
    return pd.DataFrame({
        "uscc": _usccs(p, seed),
        "name": [f"宁波基准样本企业{i:07d}有限公司" for i in p["index"]],
        "district": p["district"],
        "industry": p["industry"],
        "founded": founded.date,
        "segment_id": p["segment"],
        "size": p["size"],
        "growth": p["growth"],
    })


def scope_frame(enterprises: pd.DataFrame, years: list[int], base_year: int) -> pd.DataFrame:
    """规上 flag per year: revenue of the previous year >= 2,000万元 (statistics.md §1)."""
    frames = []
    for y in years:
        prev = enterprises["size"] * (1.0 + enterprises["growth"]) ** (y - 1 - base_year)
        frames.append(pd.DataFrame({"uscc": enterprises["uscc"], "year": y, "above_size": prev >= 2000.0}))
    return pd.concat(frames, ignore_index=True)


def build_benchmark_db(path: str | Path, n_enterprises: int = 200_000, n_months: int = 60, seed: int = 0,
                       start: str = "2017-01", progress: Callable[[int, int], None] | None = None) -> dict[str, int]:
    """Create (or replace) a benchmark database at ``path``; return the row counts written.

    The file is deleted first if it exists. Tables: cluster, chain, segment, segment_edge,
    segment_product (the demo catalogue), enterprise, enterprise_scope, segment_enterprise and
    monthly_value. Values are written directly (no import validation) in blocks of
    :data:`BLOCK` enterprises, so peak memory stays around one block.
    """
    from chainwatch.store import Store

    p = Path(path)
    for f in (p, Path(str(p) + ".wal")):
        if f.exists():
            f.unlink()
    plist = periods(start, n_months)
    years = sorted({int(x[:4]) for x in plist})
    base_year = int(start[:4])
    with Store.open(p) as store:
        con = store
        _write_catalogue(store)
        n_blocks = (n_enterprises + BLOCK - 1) // BLOCK
        for k, (b, n) in enumerate(_blocks(n_enterprises)):
            ent = _enterprise_block(b, n, seed)
            ent["division"] = ent["industry"].str[:2]
            ent["section"] = [section_of(d) for d in ent["division"]]
            with con.registered("_b_ent", ent):
                con.execute("INSERT INTO enterprise (uscc, name, district, industry, division, section, "
                            "founded) SELECT uscc, name, district, industry, division, section, founded "
                            "FROM _b_ent")
                con.execute("INSERT INTO segment_enterprise (segment_id, uscc, is_main) "
                            "SELECT segment_id, uscc, TRUE FROM _b_ent")
            scope = scope_frame(ent, years, base_year)
            with con.registered("_b_scope", scope):
                con.execute("INSERT INTO enterprise_scope (uscc, year, above_size, source) "
                            "SELECT uscc, year, above_size, 'directory' FROM _b_scope")
            if progress:
                progress(k, n_blocks * 2)
        for k, table in enumerate(iter_monthly_tables(n_enterprises, n_months, seed, start)):
            with con.registered("_b_month", table):
                con.execute("INSERT INTO monthly_value (uscc, period, year, month, gross_output, value_added, "
                            "revenue, total_profit, taxes, export_value, electricity, employees) SELECT uscc, period, "
                            "CAST(substr(period, 1, 4) AS INTEGER), CAST(substr(period, 6, 2) AS INTEGER), "
                            "gross_output, value_added, revenue, total_profit, taxes, export_value, electricity, "
                            "employees FROM _b_month")
            if progress:
                progress(n_blocks + k, n_blocks * 2)
        info = {"synthetic": "true", "kind": "benchmark", "seed": str(seed), "enterprises": str(n_enterprises),
                "months": str(n_months), "start": start}
        con.executemany("INSERT INTO demo_info (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE "
                        "SET value = excluded.value", list(info.items()))
        counts = {t: int(store.scalar(f"SELECT count(*) FROM {t}")) for t in
                  ("enterprise", "enterprise_scope", "segment_enterprise", "monthly_value", "segment")}
        con.checkpoint()
    return counts


def _write_catalogue(store: object) -> None:
    """Insert the demo catalogue's clusters, chains, segments, edges and products directly."""
    con = store  # type: ignore[attr-defined]
    con.executemany("INSERT INTO cluster (cluster_id, name_zh, name_en) VALUES (?, ?, ?)", [(k, zh, en) for k, (zh, en) in CLUSTERS.items()])
    con.executemany("INSERT INTO chain (chain_id, name_zh, name_en, cluster_id) VALUES (?, ?, ?, ?)",
                    [(c.chain_id, c.zh, c.en, c.cluster) for c in CHAINS])
    con.executemany("INSERT INTO segment (segment_id, chain_id, name_zh, name_en, position) VALUES (?, ?, ?, ?, ?)",
                    [(segment_id(c, s), c.chain_id, s.zh, s.en, s.position) for c in CHAINS for s in c.segments])
    con.executemany("INSERT INTO segment_edge (chain_id, from_segment, to_segment) VALUES (?, ?, ?)",
                    [(c.chain_id, f"{c.chain_id}.{a}", f"{c.chain_id}.{b}") for c in CHAINS for a, b in c.edges])
    con.executemany("INSERT INTO segment_product (segment_id, hs_code) VALUES (?, ?)",
                    [(segment_id(c, s), h) for c in CHAINS for s in c.segments for h in s.hs])


# ------------------------------------------------------------------------------------------------
# firm network
# ------------------------------------------------------------------------------------------------
class Network(NamedTuple):
    """Directed supply links: ``src`` supplies ``dst`` goods worth ``weight`` (万元 per year)."""

    src: np.ndarray     # int32 firm ids 0..n_firms-1
    dst: np.ndarray     # int32
    weight: np.ndarray  # float64


NET_TIERS = 5
NET_BLOCK = 100_000


def network_firms(n_firms: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``(size, tier)`` of each firm: heavy-tailed sales (万元 per year) and a tier 0 (raw) .. 4 (final)."""
    rng = np.random.default_rng([int(seed), 101])
    size = np.exp(rng.normal(np.log(3000.0), 1.3, n_firms))
    tier = rng.choice(NET_TIERS, n_firms, p=[0.15, 0.25, 0.25, 0.2, 0.15]).astype(np.int8)
    return size, tier


def _network_block(b: int, lo: int, hi: int, size: np.ndarray, tier: np.ndarray, links_per_firm: float,
                   tier_members: list[np.ndarray], tier_cum: list[np.ndarray], seed: int) -> Network:
    rng = np.random.default_rng([int(seed), int(b), 103])
    s = size[lo:hi]
    lam = links_per_firm * (s / size.mean()) ** 0.5 / np.mean((size / size.mean()) ** 0.5)
    deg = rng.poisson(lam)
    src = np.repeat(np.arange(lo, hi, dtype=np.int64), deg)
    src_tier = tier[src].astype(np.int64)
    jump = rng.choice([1, 2, 0, -1], src.size, p=[0.75, 0.12, 0.08, 0.05])
    dst_tier = np.clip(src_tier + jump, 0, NET_TIERS - 1)
    dst = np.empty(src.size, dtype=np.int64)
    for k in range(NET_TIERS):
        sel = np.nonzero(dst_tier == k)[0]
        if sel.size == 0:
            continue
        u = rng.random(sel.size) * tier_cum[k][-1]
        dst[sel] = tier_members[k][np.searchsorted(tier_cum[k], u, side="right").clip(max=tier_cum[k].size - 1)]
    keep = src != dst
    src, dst = src[keep], dst[keep]
    key = np.sort(src * np.int64(size.size) + dst)
    key = key[np.concatenate(([True], key[1:] != key[:-1]))]  # sort-based unique (np.unique hashes: slower)
    src, dst = key // size.size, key % size.size
    weight = np.maximum(np.round(np.minimum(size[src], size[dst]) * rng.beta(1.2, 12.0, src.size), 2), 0.01)
    return Network(src.astype(np.int32), dst.astype(np.int32), weight)


def iter_network(n_firms: int, n_links: int, seed: int = 0) -> Iterator[Network]:
    """The links of :func:`network` in blocks of supplier ids (each block's pairs are unique)."""
    size, tier = network_firms(n_firms, seed)
    members = [np.nonzero(tier == k)[0] for k in range(NET_TIERS)]
    cums = [np.cumsum(size[m] ** 0.8) for m in members]
    per_firm = n_links / n_firms
    for b, lo in enumerate(range(0, n_firms, NET_BLOCK)):
        yield _network_block(b, lo, min(n_firms, lo + NET_BLOCK), size, tier, per_firm, members, cums, seed)


def network(n_firms: int, n_links: int, seed: int = 0) -> Network:
    """A supply network of about ``n_links`` unique links among ``n_firms`` firms.

    Firms sit in 5 tiers; most links go one tier downstream, some skip a tier, a few go back
    (so the network has cycles, as real invoice networks do). Buyers are chosen in proportion to
    size^0.8 (hubs), suppliers' out-degree grows with size^0.5. The link count is Poisson around
    ``n_links`` (within about 0.1 %). Returns int32 ``src``/``dst`` and float64 ``weight``::

        net = network(1_000_000, 10_000_000, seed=1)
        A = scipy.sparse.csr_matrix((net.weight, (net.src, net.dst)), shape=(n, n))
    """
    parts = list(iter_network(n_firms, n_links, seed))
    return Network(np.concatenate([p.src for p in parts]), np.concatenate([p.dst for p in parts]),
                   np.concatenate([p.weight for p in parts]))


def write_network_parquet(path: str | Path, n_firms: int, n_links: int, seed: int = 0) -> int:
    """Stream :func:`network` into a Parquet file (columns src, dst, weight); return the link count."""
    import pyarrow.parquet as pq

    rows = 0
    schema = pa.schema([("src", pa.int32()), ("dst", pa.int32()), ("weight", pa.float64())])
    with pq.ParquetWriter(str(path), schema, compression="zstd") as writer:
        for part in iter_network(n_firms, n_links, seed):
            writer.write_table(pa.table({"src": part.src, "dst": part.dst, "weight": part.weight}, schema=schema))
            rows += part.src.size
    return rows
