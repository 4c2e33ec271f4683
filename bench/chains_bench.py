"""Benchmark: chain analytics on a generated demo-like city and on the largest Willems (2008) chain.

Usage::

    python bench/chains_bench.py [--quick] [--db DEMO.duckdb] [--repeats N]

Prints the median wall and CPU seconds of each analytic (the target: each well under a second) and,
as a baseline measured in the same run, networkx on the same graphs (immediate dominators and
PageRank), with the ratio. CPU seconds are shown because the machine may be shared.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd

from chainwatch.analytics.chains import (
    ChainInputs,
    analyse_chain,
    analyse_chains,
    critical_nodes,
    pagerank,
    willems_chain,
)
from chainwatch.service import Chainwatch

WILLEMS = Path(__file__).resolve().parents[2] / "shared" / "data" / "willems2008"
if not WILLEMS.is_dir():
    WILLEMS = Path("/work/shared/data/willems2008")


def measure(fn: Callable[[], Any], repeats: int) -> tuple[float, float]:
    walls, cpus = [], []
    for _ in range(repeats):
        w, c = time.perf_counter(), time.process_time()
        fn()
        walls.append(time.perf_counter() - w)
        cpus.append(time.process_time() - c)
    return statistics.median(walls), statistics.median(cpus)


def row(name: str, wall: float, cpu: float, note: str = "") -> None:
    flag = "ok" if cpu < 1.0 else "SLOW"  # CPU time: the machine may be shared (see the load average)
    print(f"  {name:<52} {wall * 1000:9.1f} ms wall {cpu * 1000:9.1f} ms cpu  {flag} {note}")


def bench_demo(db: str, repeats: int) -> None:
    print(f"demo city: {db}")
    with Chainwatch(db, lang="zh", read_only=True) as cw:
        n_ent = cw.store.scalar("SELECT count(*) FROM enterprise")
        n_links = cw.store.scalar("SELECT count(*) FROM supply_link")
        chains = cw.store.df("SELECT c.chain_id, count(*) AS n FROM chain c JOIN segment s USING (chain_id) "
                             "GROUP BY 1 ORDER BY 2 DESC")
        print(f"  {n_ent} enterprises, {n_links} supply links, {len(chains)} chains, {int(chains['n'].sum())} segments")
        year = cw.chains.default_year()
        d = cw.chains._load(year)
        inp = ChainInputs(segments=d["segments"], edges=d["edges"], products=d["products"], members=d["members"],
                          output=d["output"], links=d["links"], trade=d["trade"],
                          province=str(d["province"].iloc[0]["p"]) if len(d["province"]) else None)
        row("analyse_chains: every indicator, all chains (pure)", *measure(lambda: analyse_chains(inp), repeats))
        big = str(chains.iloc[0]["chain_id"])

    def fresh(method: str, *args: Any) -> Callable[[], Any]:
        def run() -> Any:
            with Chainwatch(db, lang="zh", read_only=True) as cw2:
                out = getattr(cw2.chains, method)(*args)
                return out.to_dict() if hasattr(out, "to_dict") else out
        return run

    row("cw.chains.overview() incl. reading the store", *measure(fresh("overview"), repeats))
    for m in ("segments", "critical", "leaders", "graph"):
        row(f"cw.chains.{m}('{big}') incl. reading the store", *measure(fresh(m, big), repeats))
    with Chainwatch(db, lang="zh", read_only=True) as cw:
        row(f"cw.chains.export_map('{big}')", *measure(lambda: cw.chains.export_map(big), repeats))

        # baseline: networkx dominators on the biggest firm-level goods-flow graph of the city
        links = d["links"]
        local = links[links["supplier_local"] & links["supplier_uscc"].notna()]
        nodes = sorted(set(local["supplier_uscc"]) | set(local["buyer_uscc"]))
        e = local[["supplier_uscc", "buyer_uscc"]].drop_duplicates()
        e = e[e["supplier_uscc"] != e["buyer_uscc"]]
        ours = measure(lambda: critical_nodes(nodes, e, src_col="supplier_uscc", dst_col="buyer_uscc"), repeats)

        def nx_dom() -> None:
            g = nx.DiGraph()
            g.add_nodes_from(nodes)
            g.add_edges_from(zip(e["supplier_uscc"], e["buyer_uscc"], strict=True))
            g.add_edges_from(("__S__", v) for v in nodes if g.in_degree(v) == 0)
            idom = nx.immediate_dominators(g, "__S__")
            tree = nx.DiGraph((dd, v) for v, dd in idom.items() if dd != v)
            {v: nx.descendants(tree, v) for v in tree}
        base = measure(nx_dom, repeats)
        row(f"critical firms, whole city ({len(nodes)} firms, {len(e)} links)", *ours,
            f"networkx baseline {base[0] * 1000:.1f} ms: ratio {base[0] / ours[0]:.1f}x")


def bench_willems(repeats: int) -> None:
    if not WILLEMS.is_dir():
        print(f"Willems (2008) data not found at {WILLEMS}: skipped")
        return
    sizes = {p.name[:2]: sum(1 for _ in p.open()) - 1 for p in WILLEMS.glob("*_SD.csv")}
    nn = max(sizes, key=sizes.__getitem__)
    cm = willems_chain(pd.read_csv(WILLEMS / f"{nn}_SD.csv"), pd.read_csv(WILLEMS / f"{nn}_LL.csv"), nn)
    segs = cm.segments
    print(f"largest Willems chain {nn}: {len(segs)} stages, {len(cm.edges)} links")
    members = pd.DataFrame({"segment_id": segs["segment_id"], "uscc": segs["segment_id"], "is_main": True})
    output = pd.DataFrame({"uscc": segs["segment_id"], "output": segs["stage_cost"].fillna(0.0)})
    inp = ChainInputs(segments=segs, edges=cm.edges, members=members, output=output)
    row("analyse_chain: every indicator (one unit per stage)", *measure(lambda: analyse_chain(inp), repeats))
    ids = segs["segment_id"].tolist()
    ours = measure(lambda: critical_nodes(ids, cm.edges, src_col="from_segment", dst_col="to_segment"), repeats)

    def nx_dom() -> None:
        g = nx.DiGraph()
        g.add_nodes_from(ids)
        g.add_edges_from(zip(cm.edges["from_segment"], cm.edges["to_segment"], strict=True))
        g.add_edges_from(("__S__", v) for v in ids if g.in_degree(v) == 0)
        idom = nx.immediate_dominators(g, "__S__")
        tree = nx.DiGraph((dd, v) for v, dd in idom.items() if dd != v)
        {v: nx.descendants(tree, v) for v in tree}
    base = measure(nx_dom, repeats)
    row("critical segments (dominators + cut sets)", *ours,
        f"networkx baseline {base[0] * 1000:.1f} ms: ratio {base[0] / ours[0]:.1f}x")
    pos = {v: i for i, v in enumerate(ids)}
    src = cm.edges["from_segment"].map(pos).to_numpy(np.int64)
    dst = cm.edges["to_segment"].map(pos).to_numpy(np.int64)
    ours = measure(lambda: pagerank(len(ids), src, dst), repeats)
    g = nx.DiGraph(list(zip(src.tolist(), dst.tolist(), strict=True)))
    g.add_nodes_from(range(len(ids)))
    base = measure(lambda: nx.pagerank(g), repeats)
    row("PageRank (sparse power iteration)", *ours,
        f"networkx baseline {base[0] * 1000:.1f} ms: ratio {base[0] / ours[0]:.1f}x")
    with tempfile.TemporaryDirectory() as tmp:
        with Chainwatch(Path(tmp) / "w.duckdb", lang="en") as cw:
            row("import into the store (stage = segment, link = edge)",
                *measure(lambda: cw.chains.import_willems(WILLEMS, [nn]), 1))
            cid = f"willems-{nn}"
            row("cw.chains.segments() incl. reading the store", *measure(
                lambda: (cw.chains._invalidate(), cw.chains.segments(cid)), repeats))
            y = Path(tmp) / "w.yaml"
            row("export to YAML", *measure(lambda: cw.chains.export_map(cid, y), repeats))
            row("import YAML (validate + replace atomically)", *measure(lambda: cw.chains.import_map(y), repeats))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="smaller demo city (1,500 enterprises), 3 repeats")
    ap.add_argument("--db", help="use an existing demo database instead of generating one")
    ap.add_argument("--repeats", type=int, default=None)
    args = ap.parse_args(argv)
    repeats = args.repeats or (3 if args.quick else 5)
    print(f"chains benchmark: medians of {repeats} runs (target: each well under 1 s)")
    print("load average: " + " ".join(f"{x:.1f}" for x in os.getloadavg()) + f" on {os.cpu_count()} cores "
          "(wall time grows with the load; CPU time does not)")
    if args.db:
        bench_demo(args.db, repeats)
    else:
        from chainwatch.demo.loader import build_demo

        with tempfile.TemporaryDirectory() as tmp:
            n = 1500 if args.quick else 5000
            t = time.perf_counter()
            build_demo(Path(tmp) / "demo.duckdb", n_enterprises=n)
            print(f"(generated a demo city of {n} enterprises in {time.perf_counter() - t:.1f} s)")
            bench_demo(str(Path(tmp) / "demo.duckdb"), repeats)
    bench_willems(repeats)
    return 0


if __name__ == "__main__":
    sys.exit(main())
