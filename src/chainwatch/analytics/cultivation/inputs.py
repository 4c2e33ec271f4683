"""Derive the named inputs of the tier rules (cultivation.md §3, §9) from the stored tables.

Inputs: the ``enterprise`` rows, the ``enterprise_annual`` rows (money in 万元; ``attrs`` JSON with further
inputs), the ``enterprise_title`` rows, the assessment date ``d`` and the rule settings. Output: one row per
enterprise with the attribute columns of :mod:`chainwatch.analytics.rules.attributes`, money converted
**once, here** from 万元 to yuan (× 10,000) and ratios as fractions, plus a notes table
(``uscc, attribute, note``) for zero denominators and similar cases that need a person.

``attrs`` keys (all optional): any attribute name of the catalogue supplies that input directly (money in
万元, ratios in percent, flags as true/false), plus the records ``awards`` (``[{level, year, rank}]``),
``makers_china`` (``[{year, group: top500|top50}]``), ``equity_events`` (``[{date, amount, qualified}]``,
amount in 万元), ``niche_start_date``, ``field_start_date``, IP counts ``ip_high_value``, ``ip_class1_self``,
``ip_class1_applied``, ``ip_class1_applied_own``, quality items ``quality_award``, ``qms_cert``,
``standard_drafting``, ``developed_market_cert``, and ``rd_institution_joint``.
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd

from chainwatch.analytics.rules.attributes import ATTRIBUTES, TITLE_CODES
from chainwatch.model.sizeclass import size_class

WAN = 10_000.0  # yuan per 万元
MONEY_COLS = ("revenue", "main_revenue", "rd_expense", "net_profit", "total_assets", "total_liabilities",
              "equity_financing")


def _attrs(text: Any) -> dict[str, Any]:
    if text is None or (isinstance(text, float) and np.isnan(text)):
        return {}
    if isinstance(text, dict):
        return text
    try:
        out = json.loads(text)
    except (TypeError, ValueError):
        return {}
    return out if isinstance(out, dict) else {}


# other spellings of attrs keys (e.g. the demo generator's) → the names read here
ATTR_ALIASES: dict[str, str] = {
    "high_value_ip": "ip_high_value", "self_developed_ip1": "ip_class1_self",
    "strategic_emerging": "field_strategic_emerging", "six_foundations": "field_six_basics",
    "supply_chain_results": "field_key_link_results", "qms_certificate": "qms_cert",
    "local_feature_score": "special_score", "energy_quota_advanced": "energy_advanced",
    "award": "awards", "laozihao": "field_laozihao", "manufacturing_power": "field_manufacturing_power",
    "network_power": "field_network_power",
}
RECORD_KEYS = ("awards", "makers_china", "equity_events")


def normalise_attrs(at: dict[str, Any]) -> dict[str, Any]:
    """Rename aliases, turn single records into lists and counts into flags."""
    out: dict[str, Any] = {}
    for k, v in at.items():
        out[ATTR_ALIASES.get(k, k)] = v
    for rec in RECORD_KEYS:
        v = out.get(rec)
        if v is None:
            out.pop(rec, None)
        elif isinstance(v, dict):
            out[rec] = [v]
    if "standards_drafted" in out and "standard_drafting" not in out:
        out["standard_drafting"] = bool(out.pop("standards_drafted"))
    return out


_QUANTUM = Decimal("0.0001")  # stored values are exact to 0.0001 (yuan or persons); finer digits are float noise


def _dec(v: float) -> Decimal:
    return Decimal(repr(float(v))).quantize(_QUANTUM)


def _div(num: pd.Series, den: pd.Series) -> tuple[pd.Series, pd.Series]:
    """num / den in decimal arithmetic (cultivation.md §1.2), NaN when the denominator is zero or missing.

    The second value flags a zero (or negative) denominator. Each stored value is read as the decimal it
    was written as (to 0.0001), so 30万元 / 1000万元 is exactly 0.03, never 0.030000000000000002.
    """
    ok = num.notna() & den.notna() & (den > 0)
    out = np.full(len(num), np.nan)
    nv, dv = num.to_numpy(dtype=float), den.to_numpy(dtype=float)
    for i in np.nonzero(ok.to_numpy())[0]:
        out[i] = float(_dec(nv[i]) / _dec(dv[i]))
    return pd.Series(out, index=num.index), (den.notna() & (den <= 0) & num.notna())


def full_years(start: date | None, end: date) -> float:
    """Whole years from ``start`` to ``end`` (NaN when ``start`` is unknown or after ``end``)."""
    if start is None:
        return np.nan
    years = end.year - start.year - ((end.month, end.day) < (start.month, start.day))
    return float(years) if years >= 0 else 0.0


def _to_date(v: Any) -> date | None:
    if v is None or v == "":
        return None
    if isinstance(v, date):
        return v
    try:
        return date.fromisoformat(str(v)[:10])
    except ValueError:
        return None


def window_start(d: date, years: int, mode: str) -> date:
    """Start of an event window "in the last N years" (cultivation.md §1.1, setting ``event_window``)."""
    if mode == "rolling":
        try:
            return d.replace(year=d.year - years)
        except ValueError:  # 29 February
            return d.replace(year=d.year - years, day=28)
    return date(d.year - years, 1, 1)


def _events_flag(events: list[dict[str, Any]], d: date, years: int, mode: str, pred: Any) -> tuple[float, float]:
    """(qualifies 1/0, only-at-the-edge 1/0) for records with ``year`` or ``date`` within the window."""
    start = window_start(d, years, mode)
    hits = []
    for ev in events:
        when = _to_date(ev.get("date")) or (date(int(ev["year"]), 7, 1) if ev.get("year") else None)
        if when is None:
            continue
        year = when.year
        in_window = (start.year <= year <= d.year) if ev.get("date") is None else (start <= when <= d)
        if in_window and pred(ev):
            hits.append(year)
    if not hits:
        return 0.0, 0.0
    edge = all(y in (start.year, d.year) for y in hits)
    return 1.0, 1.0 if edge else 0.0


def _rank_ok(ev: dict[str, Any], top: int) -> bool:
    r = ev.get("rank")
    return r is not None and int(r) <= top


AWARD_FLAGS = {
    "award_natprov_3y": lambda e: e.get("level") in ("national", "provincial"),
    "award_z1_3y": lambda e: (e.get("level") == "provincial" and _rank_ok(e, 3))
    or (e.get("level") == "national" and _rank_ok(e, 5)),
    "award_provmin_top3_3y": lambda e: e.get("level") in ("national", "provincial", "ministerial") and _rank_ok(e, 3),
    "award_nat_top3_3y": lambda e: e.get("level") == "national" and _rank_ok(e, 3),
}
MAKERS_FLAGS = {
    "makers_top500_3y": lambda e: e.get("group") in ("top500", "top50"),
    "makers_top50_3y": lambda e: e.get("group") == "top50",
}


def implied_valid_to(valid_from: pd.Series, title: pd.Series, validity: dict[str, int]) -> pd.Series:
    """End of validity when a title row has none: valid_from + N years − 1 day (N per title, default 3)."""
    years = title.map(lambda c: validity.get(c, 3)).astype(int)
    vf = pd.to_datetime(valid_from)
    day = vf.dt.day.where(~((vf.dt.month == 2) & (vf.dt.day == 29)), 28)
    end = pd.to_datetime(pd.DataFrame({"year": vf.dt.year + years, "month": vf.dt.month, "day": day}), errors="coerce")
    return end - pd.Timedelta(days=1)


def title_frame(titles: pd.DataFrame, ids: pd.Index, d: date, validity: dict[str, int]) -> pd.DataFrame:
    """Per enterprise: ``title_<code>`` (1/0, valid on ``d``), ``title_<code>_since`` and ``_until`` dates."""
    out = pd.DataFrame(index=ids)
    t = titles.copy()
    if len(t):
        t["valid_from"] = pd.to_datetime(t["valid_from"])
        vt = pd.to_datetime(t["valid_to"])
        t["valid_to"] = vt.fillna(implied_valid_to(t["valid_from"], t["title"], validity))
        ts = pd.Timestamp(d)
        t = t[(t["valid_from"] <= ts) & (t["valid_to"] >= ts)]
    for code in TITLE_CODES:
        sub = t[t["title"] == code] if len(t) else t
        held = sub.groupby("uscc").agg(since=("valid_from", "max"), until=("valid_to", "max")) if len(sub) else None
        out[f"title_{code}"] = 0.0
        out[f"title_{code}_since"] = pd.NaT
        out[f"title_{code}_until"] = pd.NaT
        if held is not None:
            idx = held.index.intersection(ids)
            out.loc[idx, f"title_{code}"] = 1.0
            out.loc[idx, f"title_{code}_since"] = held.loc[idx, "since"]
            out.loc[idx, f"title_{code}_until"] = held.loc[idx, "until"]
    return out


def build_inputs(enterprises: pd.DataFrame, annual: pd.DataFrame, titles: pd.DataFrame, d: date,
                 settings: dict[str, Any]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Derive every tier-rule input for the enterprises as of assessment date ``d``.

    Returns
    -------
    (frame, notes)
        ``frame`` indexed by ``uscc`` with one column per attribute (plus ``<attribute>#review`` columns that
        mark an event at the edge of its window); ``notes`` with columns ``uscc, attribute, note``.
    """
    y = d.year
    ids = pd.Index(enterprises["uscc"].astype(str).to_numpy(dtype=object), dtype=object, name="uscc")
    f = pd.DataFrame(index=ids)
    notes: list[tuple[str, str, str]] = []
    attrs_hist = annual[["uscc", "year", "attrs"]] if len(annual) and "attrs" in annual else None
    a = annual.drop(columns=[c for c in ("attrs", "batch_id") if c in annual.columns])
    a = a[a["year"].between(y - 3, y)].copy() if len(a) else a.copy()
    a["uscc"] = a["uscc"].astype(object)
    for c in MONEY_COLS:
        if c in a:
            a[c] = pd.to_numeric(a[c], errors="coerce") * WAN
    by_year = {yr: a[a["year"] == yr].set_index("uscc").reindex(ids) for yr in range(y - 3, y + 1)} if len(a) else {}

    def col(name: str, year: int) -> pd.Series:
        if year not in by_year or name not in by_year[year]:
            return pd.Series(np.nan, index=ids)
        return by_year[year][name]

    rev1, rev2 = col("revenue", y - 1), col("revenue", y - 2)
    mr1, mr2, mr3 = col("main_revenue", y - 1), col("main_revenue", y - 2), col("main_revenue", y - 3)
    rd1, rd2 = col("rd_expense", y - 1), col("rd_expense", y - 2)
    f["employees_y1"] = col("employees", y - 1)
    f["revenue_y1"] = rev1
    f["main_revenue_y1"] = mr1
    f["rd_expense_y1"], f["rd_expense_y2"] = rd1, rd2
    f["rd_expense_min_2y"] = np.fmin(rd1, rd2).where(rd1.notna() & rd2.notna())
    f["rd_expense_2y_total"] = rd1 + rd2
    f["rd_expense_2y_mean"] = (rd1 + rd2) / 2

    def ratio(name: str, num: pd.Series, den: pd.Series) -> pd.Series:
        out, zero = _div(num, den)
        for u in ids[zero.to_numpy()]:
            notes.append((u, name, "zero_denominator"))
        return out

    f["main_share_y1"] = ratio("main_share_y1", mr1, rev1)
    f["rd_share_y1"] = ratio("rd_share_y1", rd1, rev1)
    f["rd_share_y2"] = ratio("rd_share_y2", rd2, rev2)
    f["rd_share_min_2y"] = np.fmin(f["rd_share_y1"], f["rd_share_y2"]).where(
        f["rd_share_y1"].notna() & f["rd_share_y2"].notna())
    f["rd_staff_share_y1"] = ratio("rd_staff_share_y1", col("rd_personnel", y - 1), col("employees", y - 1))
    g1 = ratio("mbr_growth_y1", mr1, mr2) - 1
    g2 = ratio("mbr_growth_y2", mr2, mr3) - 1
    f["mbr_growth_y1"] = g1
    if settings.get("growth_mean", "arithmetic") == "geometric":
        f["mbr_growth_2y_avg"] = np.sqrt(ratio("mbr_growth_2y_avg", mr1, mr3)) - 1
    else:
        f["mbr_growth_2y_avg"] = (g1 + g2) / 2
    off = int(settings.get("cagr_base_offset", 3))
    base = col("revenue", y - off)
    f["or_cagr_2y"] = ratio("or_cagr_2y", rev1, base) ** (1.0 / max(off - 1, 1)) - 1
    f["mbr_3y_mean"] = (mr1 + mr2 + mr3) / 3
    f["debt_ratio_y1"] = ratio("debt_ratio_y1", col("total_liabilities", y - 1), col("total_assets", y - 1))
    den = mr1 if settings.get("net_margin_denominator", "revenue") == "main_revenue" else rev1
    f["net_margin_y1"] = ratio("net_margin_y1", col("net_profit", y - 1), den)

    # latest profile row at or before y−1 (niche years, digital level, shares …), and year y for the score
    prof = a[a["year"] <= y - 1].sort_values("year").groupby("uscc").tail(1).set_index("uscc") if len(a) else None

    def latest(name: str) -> pd.Series:
        if prof is None or name not in prof:
            return pd.Series(np.nan, index=ids)
        return prof[name].reindex(ids)

    f["niche_years"] = pd.to_numeric(latest("niche_years"), errors="coerce")
    f["years_in_field"] = f["niche_years"]
    f["digital_level"] = pd.to_numeric(latest("digital_level"), errors="coerce")
    f["market_share_domestic"] = pd.to_numeric(latest("market_share_domestic"), errors="coerce") / 100
    glob = pd.to_numeric(latest("market_share_global"), errors="coerce") / 100
    f["market_share_best"] = np.fmax(f["market_share_domestic"], glob)
    f["market_rank_domestic"] = pd.to_numeric(latest("market_rank_domestic"), errors="coerce")
    f["market_rank_global"] = pd.to_numeric(latest("market_rank_global"), errors="coerce")
    lvl = latest("rd_institution").astype(object).where(latest("rd_institution").notna(), None)
    f["rd_institution_level"] = lvl
    f["rd_institution_any"] = lvl.map(lambda v: np.nan if v is None else float(v not in ("none", "")))
    comp = latest("compliance_ok")
    f["compliance_ok"] = comp.map(lambda v: np.nan if v is None or pd.isna(v) else float(bool(v)))
    ip1 = pd.to_numeric(latest("invention_patents"), errors="coerce")
    ip2 = pd.to_numeric(latest("other_ip"), errors="coerce")
    f["ip_class1"] = ip1
    sc_y, sc_y1 = col("zjtx_score", y), col("zjtx_score", y - 1)
    f["zjtx_score_y"] = sc_y
    f["zjtx_score_best_2y"] = np.fmax(sc_y, sc_y1)

    # size class (300号, industry): employees and revenue of the prior year
    sizes = [size_class(None if pd.isna(e) else float(e), None if pd.isna(r) else float(r))
             for e, r in zip(f["employees_y1"], f["revenue_y1"], strict=True)]
    f["size_class"] = pd.Series(sizes, index=ids, dtype=object)
    f["sme"] = [np.nan if s is None else float(s != "large") for s in sizes]

    # attrs JSON (latest row ≤ y−1, falling back to the latest row ≤ y)
    attr_rows: dict[str, dict[str, Any]] = {}
    if attrs_hist is not None:
        hist = attrs_hist[attrs_hist["year"] <= y].sort_values("year")
        hist = hist[hist["attrs"].notna()]
        for u, yr, text in zip(hist["uscc"].astype(object), hist["year"], hist["attrs"].astype(object), strict=True):
            parsed = normalise_attrs(_attrs(text))
            prev = attr_rows.get(str(u), {})
            merged = {**prev, **parsed} if yr <= y - 1 or not prev else {**parsed, **prev}
            for rec in RECORD_KEYS:  # event records accumulate over the years
                merged[rec] = list(prev.get(rec) or []) + list(parsed.get(rec) or [])
            attr_rows[str(u)] = merged
    mode = settings.get("event_window", "calendar")
    win_end = date(y - 1, 12, 31)
    extra: dict[str, dict[str, Any]] = {}
    for u in ids:
        at = attr_rows.get(u)
        if at is None:
            continue
        row: dict[str, Any] = {}
        awards = at.get("awards") or []
        for name, pred in AWARD_FLAGS.items():
            row[name], row[name + "#review"] = _events_flag(awards, d, 3, mode, pred)
        makers = at.get("makers_china") or []
        for name, pred in MAKERS_FLAGS.items():
            row[name], row[name + "#review"] = _events_flag(makers, d, 3, mode, pred)
        events = at.get("equity_events")
        if events is not None:
            for n_years in (2, 3):
                start = window_start(d, n_years, mode)
                total = 0.0
                for e in events:
                    when = _to_date(e.get("date"))
                    if e.get("qualified", True) and when is not None and start <= when <= d:
                        total += float(e.get("amount") or 0)
                row[f"equity_{n_years}y"] = WAN * total
        ns = _to_date(at.get("niche_start_date"))
        if ns is not None:
            row["niche_years"] = full_years(ns, win_end)
        fs = _to_date(at.get("field_start_date"))
        if fs is not None:
            row["years_in_field"] = full_years(fs, win_end)
        hv, cs = at.get("ip_high_value"), at.get("ip_class1_self")
        row["_ip_hv"], row["_ip_self"] = hv, cs
        for k in ("ip_class1_applied", "ip_class1_applied_own", "special_score", "new_product_years"):
            if at.get(k) is not None:
                row[k] = float(at[k])
        q = [at.get(k) for k in ("quality_award", "qms_cert", "own_brand", "standard_drafting")]
        if any(v is not None for v in q):
            row["quality_items"] = float(sum(bool(v) for v in q if v is not None))
        if at.get("own_brand") is not None:
            row["own_brand"] = float(bool(at["own_brand"]))
        certs = [at.get("qms_cert"), at.get("developed_market_cert")]
        if any(v is not None for v in certs):
            row["mgmt_or_product_cert"] = float(any(bool(v) for v in certs if v is not None))
        if at.get("rd_institution_joint"):
            row["rd_institution_any"] = 1.0
        for k, v in at.items():  # direct overrides: attribute names of the catalogue
            meta = ATTRIBUTES.get(k)
            if meta is None or v is None:
                continue
            if meta.kind == "bool":
                row[k] = float(bool(v))
            elif meta.kind == "money":
                row[k] = float(v) * WAN
            elif meta.kind == "ratio":
                row[k] = float(v) / 100
            elif meta.kind in ("number", "count", "years"):
                row[k] = float(v)
            elif meta.kind == "category":
                row[k] = str(v)
        extra[u] = row
    if extra:
        ex = pd.DataFrame.from_dict(extra, orient="index")
        for c in ex.columns:
            if c.startswith("_"):
                continue
            if c not in f:
                f[c] = np.nan if not (ATTRIBUTES.get(c) and ATTRIBUTES[c].kind == "category") else None
            f.loc[ex.index, c] = ex[c].where(ex[c].notna(), f.loc[ex.index, c])
        hv = pd.to_numeric(ex.get("_ip_hv", pd.Series(dtype=float)), errors="coerce").reindex(ids)
        cs = pd.to_numeric(ex.get("_ip_self", pd.Series(dtype=float)), errors="coerce").reindex(ids)
    else:
        hv = cs = pd.Series(np.nan, index=ids)
    # equity windows from annual amounts when no dated events were supplied
    for n_years in (2, 3):
        name = f"equity_{n_years}y"
        start_year = window_start(d, n_years, mode).year
        if len(a) and "equity_financing" in a:
            sub = a[(a["year"] >= start_year) & (a["year"] <= y)]
            s = sub.groupby("uscc")["equity_financing"].sum(min_count=1).reindex(ids)
        else:
            s = pd.Series(np.nan, index=ids)
        f[name] = f[name].where(f[name].notna(), s) if name in f else s
    best = np.select(
        [hv > 0, cs > 0, ip1 > 0, ip2 > 0, ip1.notna() & ip2.notna()],
        ["high_value", "class1_self", "class1", "class2", "none"], default="")
    f["ip_best"] = pd.Series(best, index=ids).replace("", None).astype(object)
    f = f.join(title_frame(titles, ids, d, settings.get("title_validity_years") or {}))
    notes_df = pd.DataFrame(notes, columns=["uscc", "attribute", "note"])
    return f, notes_df


def default_assessment_date(latest_annual_year: int | None, today: date | None = None) -> date:
    """The default assessment date: 1 July of the year after the latest annual data, capped at today."""
    today = today or date.today()
    if latest_annual_year is None:
        return today
    return min(date(latest_annual_year + 1, 7, 1), today)
