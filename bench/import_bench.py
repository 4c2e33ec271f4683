"""Import benchmark: 1,000,000 monthly rows with full validation vs a plain DuckDB read_csv + INSERT.

    python bench/import_bench.py [--rows 1000000] [--repeats 3]

Generates a CSV of monthly values for enough enterprises (each with a valid USCC, registered first),
then times, in the same run and on the same file:
  floor   : CREATE TABLE AS SELECT * FROM read_csv(file) (types auto-detected, no validation)
  import  : chainwatch's import_file (headers, units, USCC/period/number checks, duplicates,
            references, revision bookkeeping, atomic apply) into an empty monthly_value table
Prints medians and the ratio (target: within 3x of the floor).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from chainwatch.model.codes import make_uscc
from chainwatch.store import Store
from chainwatch.store.importer import import_file, import_frame


def make_csv(path: Path, rows: int, seed: int = 7) -> list[str]:
    months = 60
    n_ent = max(1, -(-rows // months))
    usccs = [make_uscc(f"91330200MA{i:07d}") for i in range(n_ent)]
    rng = np.random.default_rng(seed)
    periods = [f"{2017 + m // 12}-{m % 12 + 1:02d}" for m in range(months)]
    uscc_col = np.repeat(np.array(usccs), months)[:rows]
    per_col = np.tile(np.array(periods), n_ent)[:rows]
    out = rng.lognormal(6, 1.2, rows).round(2)
    df = pd.DataFrame({"uscc": uscc_col, "period": per_col, "gross_output": out, "value_added": (out * 0.25).round(2),
                       "revenue": (out * 1.05).round(2), "total_profit": (out * rng.normal(0.06, 0.05, rows)).round(2),
                       "taxes": (out * 0.03).round(2), "export_value": (out * 0.2).round(2),
                       "electricity": (out * 0.04).round(3), "employees": rng.integers(20, 3000, rows)})
    df.to_csv(path, index=False)
    return usccs


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        csv = Path(tmp) / "monthly.csv"
        t0 = time.perf_counter()
        usccs = make_csv(csv, args.rows)
        print(f"generated {args.rows:,} rows ({csv.stat().st_size / 1e6:.0f} MB) in {time.perf_counter() - t0:.1f} s")
        floors, imports = [], []
        for r in range(args.repeats):
            con = duckdb.connect(str(Path(tmp) / f"floor{r}.duckdb"))
            t0 = time.perf_counter()
            con.execute("CREATE TABLE m AS SELECT * FROM read_csv(?)", [str(csv)]).fetchall()
            floors.append(time.perf_counter() - t0)
            con.close()

            store = Store.open(Path(tmp) / f"cw{r}.duckdb")
            import_frame(store, "enterprise", pd.DataFrame({"uscc": usccs, "name": "bench", "district": "330212",
                                                            "industry": "3841"}), source_name="bench")
            t0 = time.perf_counter()
            rep = import_file(store, csv, "monthly", unit="万元", actor="bench")
            imports.append(time.perf_counter() - t0)
            assert rep.rows_inserted == args.rows and rep.rows_rejected == 0, rep.as_dict()
            store.close()
            print(f"  run {r + 1}: floor {floors[-1]:.2f} s, chainwatch import {imports[-1]:.2f} s")
        f, i = statistics.median(floors), statistics.median(imports)
        print(f"rows: {args.rows:,}")
        print(f"floor  (read_csv + CREATE TABLE, median): {f:.2f} s")
        print(f"import (validated, atomic, median)      : {i:.2f} s  ({args.rows / i:,.0f} rows/s)")
        print(f"ratio import / floor                    : {i / f:.2f}x  (target <= 3x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
