"""Monthly enterprise values 2018-01..2021-12, the planted trouble, and the PPI deflators."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from chainwatch.demo.calendar import COVID_EXPORT_2020, covid_depth, month_factors, months_since, periods
from chainwatch.model.codes import is_industrial

START = "2018-01"
N_MONTHS = 48
PERIODS = periods(START, N_MONTHS)
INDICATORS = ["gross_output", "value_added", "revenue", "total_profit", "taxes", "export_value", "electricity",
              "employees"]
TROUBLE_SHARE = 0.035           # share of established above-size firms put in trouble
TROUBLE_START = ("2020-09", "2021-03")


def plant_trouble(pop: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Choose troubled enterprises; return truth rows (uscc, kind, start_period, detail, start_idx, rate)."""
    eligible = pop.index[(pop["size"] >= 3000) & (pop["start_idx"] == 0) & (pop["end_idx"] == 48)
                         & ~pop["is_leader"]]
    n = max(3, int(round(TROUBLE_SHARE * len(pop) * 0.6)))
    chosen = rng.choice(eligible, min(n, len(eligible)), replace=False)
    lo, hi = PERIODS.index(TROUBLE_START[0]), PERIODS.index(TROUBLE_START[1])
    rows = []
    for k, i in enumerate(chosen):
        start = int(rng.integers(lo, hi + 1))
        kind = ("decline", "loss", "power_divergence")[k % 3]
        rate = float(np.round(rng.uniform(0.045, 0.08), 3))
        detail = {"segment_id": pop.loc[i, "segment_id"] or None, "monthly_rate": rate}
        rows.append((i, kind, start, rate, detail))
        if kind == "decline" and rng.random() < 0.7:   # falling sales usually end in losses
            rows.append((i, "loss", min(start + int(rng.integers(2, 5)), N_MONTHS - 6), rate,
                         {"segment_id": detail["segment_id"], "follows": "decline"}))
    out = pd.DataFrame(rows, columns=["row", "kind", "start_idx", "rate", "detail"])
    out["uscc"] = pop.loc[out["row"], "uscc"].to_numpy()
    out["start_period"] = [PERIODS[s] for s in out["start_idx"]]
    out["detail"] = [json.dumps(d, ensure_ascii=False) for d in out["detail"]]
    return out


def monthly_values(pop: pd.DataFrame, trouble: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Long frame (columns of the ``monthly`` kind) for every enterprise and every month it operated."""
    n, T = len(pop), N_MONTHS
    t = months_since(PERIODS, "2019-06")[None, :]
    season = month_factors(PERIODS)[None, :]
    depth = np.clip(covid_depth(PERIODS)[None, :] * pop["shock"].to_numpy()[:, None], 0, 0.9)
    exp_depth = covid_depth(PERIODS, COVID_EXPORT_2020)[None, :]
    g = pop["growth"].to_numpy()[:, None]
    trend = (1.0 + g) ** (t / 12.0)
    # 2021 rebound (base effect and catch-up) and a mild 2020 H2 recovery push
    year = np.array([int(p[:4]) for p in PERIODS])[None, :]
    rebound = np.where(year == 2021, 1.04, 1.0)
    start = pop["start_idx"].to_numpy()[:, None]
    ramp = np.where(start > 0, np.clip((np.arange(T)[None, :] - start + 1) / 9.0, 0.25, 1.0), 1.0)  # new firms
    level = pop["size"].to_numpy()[:, None] / 12.0 * trend * rebound * season * (1 - depth) * ramp
    revenue = level * np.exp(rng.normal(0, 0.055, (n, T)))
    output = revenue * np.exp(rng.normal(0, 0.02, (n, T)))
    margin = pop["margin"].to_numpy()[:, None] + rng.normal(0, 0.018, (n, T)) - 0.35 * depth * 0.1
    elec_factor = np.exp(rng.normal(0, 0.03, (n, T)))
    # planted trouble
    for r in trouble.itertuples():
        i, s, rate = r.row, r.start_idx, r.rate
        k = np.arange(T) - s
        active = k >= 0
        if r.kind == "decline":
            f = np.where(active, np.maximum((1 - rate) ** (k + 1), 0.3), 1.0)
            revenue[i] *= f
            output[i] *= f
        elif r.kind == "loss":
            margin[i] = np.where(active, -np.abs(rng.normal(0.06, 0.02, T)) - 0.5 * rate * np.minimum(k, 6) / 6,
                                 margin[i])
        elif r.kind == "power_divergence":
            elec_factor[i] = np.where(active, elec_factor[i] * np.maximum((1 - 1.5 * rate) ** (k + 1), 0.35),
                                      elec_factor[i])
    va = output * pop["va_rate"].to_numpy()[:, None] * np.exp(rng.normal(0, 0.02, (n, T)))
    profit = revenue * margin
    taxes = revenue * pop["tax_rate"].to_numpy()[:, None] * np.exp(rng.normal(0, 0.06, (n, T)))
    export = output * pop["export_share"].to_numpy()[:, None] * (1 - exp_depth) * np.exp(rng.normal(0, 0.08, (n, T)))
    elec = output * pop["intensity"].to_numpy()[:, None] * elec_factor
    emp_base = np.maximum(8, pop["size"].to_numpy() / pop["productivity"].to_numpy())[:, None]
    employees = np.round(emp_base * trend ** 0.35 * ramp * (1 - 0.25 * depth) * np.exp(rng.normal(0, 0.01, (n, T))))
    operating = (np.arange(T)[None, :] >= start) & (np.arange(T)[None, :] < pop["end_idx"].to_numpy()[:, None])
    rows, cols = np.nonzero(operating)
    out = pd.DataFrame({
        "uscc": pop["uscc"].to_numpy()[rows],
        "period": np.array(PERIODS, dtype=object)[cols],
        "gross_output": output[rows, cols], "value_added": va[rows, cols], "revenue": revenue[rows, cols],
        "total_profit": profit[rows, cols], "taxes": taxes[rows, cols], "export_value": export[rows, cols],
        "electricity": elec[rows, cols], "employees": employees[rows, cols],
    })
    for c in INDICATORS[:-1]:
        out[c] = out[c].round(2)
    return out


def annual_revenue_2017(pop: pd.DataFrame) -> np.ndarray:
    """Revenue of 2017 (before the window), for the 2018 规上 directory."""
    return pop["size"].to_numpy() * (1.0 + pop["growth"].to_numpy()) ** (-2.0)


def scope_frame(pop: pd.DataFrame, monthly: pd.DataFrame) -> pd.DataFrame:
    """规上 flag for each year an enterprise operated: previous-year revenue >= 2,000万元.

    New establishments enter the directory in their first year when their projected annual revenue
    reaches the threshold; enterprises that closed keep the flag of the years they operated.
    """
    annual = monthly.assign(year=monthly["period"].str[:4].astype(int)).groupby(["uscc", "year"])["revenue"].sum().to_dict()
    rows = []
    prev17 = dict(zip(pop["uscc"], annual_revenue_2017(pop), strict=True))
    start = dict(zip(pop["uscc"], pop["start_idx"], strict=True))
    end = dict(zip(pop["uscc"], pop["end_idx"], strict=True))
    size = dict(zip(pop["uscc"], pop["size"], strict=True))
    for u in pop["uscc"]:
        first_year = 2018 + start[u] // 12
        last_year = 2018 + (end[u] - 1) // 12
        for y in range(first_year, last_year + 1):
            if y == first_year and start[u] > 0:
                prev = size[u] * 0.8
            elif y == 2018:
                prev = prev17[u]
            else:
                prev = float(annual.get((u, y - 1), 0.0)) * (12.0 / max(1, min(12, 12 * (y - 2018) - start[u])))
            rows.append((u, y, bool(prev >= 2000.0)))
    return pd.DataFrame(rows, columns=["uscc", "year", "above_size"]).assign(source="directory")


# NBS-like national PPI, same month last year = 100 (shape of the published series, rounded)
PPI_ALL = [104.3, 103.7, 103.1, 103.4, 104.1, 104.7, 104.6, 104.1, 103.6, 103.3, 102.7, 100.9,
           100.1, 100.1, 100.4, 100.9, 100.6, 100.0, 99.7, 99.2, 98.8, 98.4, 98.6, 99.5,
           100.1, 99.6, 98.5, 96.9, 96.3, 97.0, 97.6, 98.0, 97.9, 97.9, 98.5, 99.6,
           100.3, 101.7, 104.4, 106.8, 109.0, 108.8, 109.0, 109.5, 110.7, 113.5, 112.9, 110.3]
PPI_BETA = {"07": 4.0, "09": 2.2, "25": 2.6, "26": 1.6, "28": 1.4, "29": 0.6, "30": 0.8, "31": 2.0, "32": 1.8,
            "33": 0.7, "17": 0.5, "18": 0.2, "13": 0.5, "14": 0.4, "15": 0.2, "21": 0.3, "22": 0.9, "23": 0.4,
            "24": 0.3, "27": 0.1, "34": 0.3, "35": 0.2, "36": 0.1, "37": 0.3, "38": 0.5, "39": 0.1, "40": 0.1,
            "41": 0.3, "42": 1.5, "44": 0.3}
PPI_DRIFT = {"36": -0.6, "39": -1.2, "40": -0.3, "27": 0.5}


def deflators(divisions: list[str], rng: np.random.Generator) -> pd.DataFrame:
    """PPI by division and for all industry ('*'), span month and cumulative (1..m, simple mean)."""
    rows = []
    base = np.array(PPI_ALL)
    series = {"*": base}
    for d in sorted({d for d in divisions if is_industrial(d)}):
        beta = PPI_BETA.get(d, 0.5)
        series[d] = np.round(100 + beta * (base - 100) + PPI_DRIFT.get(d, 0.0) + rng.normal(0, 0.3, len(base)), 1)
    for ind, vals in series.items():
        for y in range(4):
            block = vals[y * 12:(y + 1) * 12]
            cum = np.cumsum(block) / np.arange(1, 13)
            for m in range(12):
                p = PERIODS[y * 12 + m]
                rows.append((ind, p, "month", float(round(block[m], 1))))
                rows.append((ind, p, "cumulative", float(round(cum[m], 1))))
    return pd.DataFrame(rows, columns=["industry", "period", "span", "index_value"])
