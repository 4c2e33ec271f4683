"""Collect everything the bulletin shows, through the service facade only.

``build_context(cw, period)`` returns a plain dict (numbers, strings, small tables as lists of dicts)
that every renderer (HTML/PDF template, DOCX writer) and the JSON output use.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

import pandas as pd

import chainwatch
from chainwatch.analytics.stats.fmt import fmt_pct, fmt_pp, join_list
from chainwatch.errors import NotFound
from chainwatch.i18n import t
from chainwatch.model.periods import Period

if TYPE_CHECKING:
    from chainwatch.service import Chainwatch

LEVELS = ("red", "orange", "yellow", "blue")
MAX_ATTENTION = 5  # the chains a leader reads about: the most serious first


def yi(wanyuan: float | None) -> float | None:
    """万元 → 亿元."""
    return None if wanyuan is None or pd.isna(wanyuan) else wanyuan / 1e4


def fmt_yi(wanyuan: float | None, lang: str) -> str:
    v = yi(wanyuan)
    if v is None:
        return "—"
    return f"{v:,.1f}亿元" if lang == "zh" else f"CNY {v:,.1f} 100m"


def growth_word(pct: float | None, lang: str) -> str:
    """'增长 4.3%' / '下降 1.4%' / 'grew 4.3%' / 'fell 1.4%'."""
    if pct is None or pd.isna(pct):
        return "—"
    if lang == "zh":
        return f"{'下降' if pct < 0 else '增长'} {fmt_pct(abs(pct))}"
    return f"{'fell' if pct < 0 else 'grew'} {fmt_pct(abs(pct))}"


def _num(v: Any) -> float | None:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return None if pd.isna(f) else f


def build_context(cw: Chainwatch, period: str) -> dict[str, Any]:
    lang = cw.lang
    p = Period.parse(period)
    try:
        head = cw.stats.headline(str(p))
    except NotFound as exc:
        raise NotFound("report.no_data", period=str(p)) from exc
    demo = cw.data.is_demo()
    ctx: dict[str, Any] = {
        "lang": lang, "period": str(p), "label": p.label(lang, cumulative=True), "month_label": p.label(lang),
        "title": t("report.title", lang),
        "subtitle": t("report.subtitle", lang, label=p.label(lang, cumulative=True), period=str(p)),
        "generated": t("report.generated", lang, when=datetime.now().strftime("%Y-%m-%d %H:%M"),
                       version=chainwatch.__version__),
        "synthetic": t("report.synthetic", lang) if demo else "",
        "headline": head,
        "t": {k: t(f"report.{k}", lang) for k in (
            "s.overview", "s.chains", "s.attention", "s.warnings", "s.trade", "s.cultivation", "s.policy",
            "s.methods", "chart.trend", "chart.contrib", "chart.warnings", "warn.new", "warn.resolved",
            "methods.data", "chain_overlap")},
    }
    ctx["overview"] = _overview(cw, head, lang)
    ctx["chains"] = _chains(cw, p, head, lang)
    ctx["warnings"] = _warnings(cw, p, lang)
    ctx["attention"] = _attention(cw, ctx["chains"], ctx["warnings"], head, lang)
    ctx["trade"] = _trade(cw, p, lang)
    ctx["cultivation"] = _cultivation(cw, lang)
    ctx["policy"] = _policy(cw, p, lang)
    ctx["methods"] = _methods(cw, head, ctx["warnings"], lang)
    ctx["trend"] = _trend(cw, p)
    return ctx


def _overview(cw: Chainwatch, head: dict[str, Any], lang: str) -> dict[str, Any]:
    inds = head["indicators"]
    rows = [{"indicator": v["name"], "ytd_value": fmt_yi(v["ytd_value"], lang) if v["unit"] == "万元" else f"{v['ytd_value']:,.0f}",
             "ytd_yoy": fmt_pct(v["ytd_yoy_pct"]), "month_yoy": fmt_pct(v["month_yoy_pct"]),
             "two_year": fmt_pct(v.get("two_year_avg_pct"))}
            for k, v in inds.items() if k in ("gross_output", "value_added", "revenue", "profit_tax", "total_profit",
                                             "export_value")]
    go, va = inds.get("gross_output", {}), inds.get("value_added", {})
    sentence = head["sentence"].rstrip("。.")
    paragraphs = [sentence + ("。" if lang == "zh" else ".")]
    paragraphs.append(t("report.month_line", lang, month=head["month_label"], phrase=growth_word(go.get("month_yoy_pct"), lang),
                        phrase_va=growth_word(va.get("month_yoy_pct"), lang)))
    paragraphs.append(t("report.loss", lang, n=head["n_enterprises"], n_loss=head["n_loss"],
                        share=fmt_pct(head.get("loss_share_pct")), amount=fmt_yi(head.get("loss_total"), lang)))
    if go:
        paragraphs.append(t("report.breadth", lang, up=go["n_growing"], down=go["n_declining"]))
    return {"paragraphs": paragraphs, "rows": rows,
            "columns": [t("report.col.indicator", lang), t("report.col.value_ytd", lang), t("report.col.ytd", lang),
                        t("report.col.month", lang), "两年平均" if lang == "zh" else "2-year avg"]}


def _chains(cw: Chainwatch, p: Period, head: dict[str, Any], lang: str) -> dict[str, Any]:
    res = cw.stats.compute(str(p), by="chain", indicators=["gross_output"])
    df = pd.DataFrame(res.tables["rows"])
    df = df[df["group_type"] == "chain"].copy()
    levels: dict[str, dict[str, Any]] = {}
    try:
        ov = pd.DataFrame(cw.chains.overview().tables["chains"])
        levels = {r["chain_id"]: r for r in ov.to_dict("records")}
    except NotFound:
        pass
    rows = []
    for r in df.sort_values("ytd_value", ascending=False).to_dict("records"):
        lv = levels.get(r["group_id"], {})
        level = lv.get("risk_level") or "none"
        rows.append({"chain_id": r["group_id"], "name": r["group_name"], "ytd_value_yi": yi(r["ytd_value"]),
                     "ytd_yoy_pct": _num(r["ytd_yoy_pct"]), "month_yoy_pct": _num(r["month_yoy_pct"]),
                     "share_pct": _num(r["share_pct"]), "contribution_pct": _num(r.get("contribution_pct")),
                     "pull_pp": _num(r.get("pull_pp")), "n_enterprises": int(r["n_enterprises"]),
                     "risk_level": level, "risk_text": t(f"report.level.{level}", lang),
                     "missing": list(lv.get("missing") or []), "weak": list(lv.get("weak") or []),
                     "import_dependence_pct": _num(lv.get("import_dependence_pct"))})
    display = [{"name": r["name"], "ytd": f"{r['ytd_value_yi']:,.1f}" if r["ytd_value_yi"] is not None else "—",
                "ytd_yoy": fmt_pct(r["ytd_yoy_pct"]), "month_yoy": fmt_pct(r["month_yoy_pct"]),
                "share": fmt_pct(r["share_pct"]), "contrib": fmt_pct(r["contribution_pct"]), "pull": fmt_pp(r["pull_pp"]),
                "n": r["n_enterprises"], "level": r["risk_text"], "level_code": r["risk_level"]} for r in rows]
    line = ""
    valid = [r for r in rows if r["ytd_yoy_pct"] is not None]
    if valid:
        best = max(valid, key=lambda r: r["ytd_yoy_pct"])
        worst = min(valid, key=lambda r: r["ytd_yoy_pct"])
        total = sum(r["ytd_value_yi"] or 0 for r in rows) * 1e4
        line = t("report.chain_line", lang, n=len(rows), label=p.label(lang, cumulative=True), amount=fmt_yi(total, lang),
                 best=best["name"], best_pct=fmt_pct(best["ytd_yoy_pct"]), worst=worst["name"],
                 worst_pct=fmt_pct(worst["ytd_yoy_pct"]))
    cols = [t(f"report.col.{c}", lang) for c in ("chain", "output", "ytd", "month", "share", "contrib", "pull", "n", "level")]
    return {"rows": rows, "display": display, "columns": cols, "line": line}


def _warnings(cw: Chainwatch, p: Period, lang: str) -> dict[str, Any]:
    summ = cw.risk.summary(str(p))
    meta = summ.meta
    ran = cw.risk.has_run(str(p))
    counts = {lv: int(meta.get(lv) or 0) for lv in LEVELS}
    text = (t("report.warn.summary", lang, open=meta.get("open", 0), new=meta.get("new", 0),
              resolved=meta.get("resolved", 0), **counts) if ran else t("report.warn.none_run", lang, period=str(p)))
    lst = pd.DataFrame(cw.risk.list(period=str(p), include_closed=True).tables["warnings"])
    new_rows, resolved_rows = [], []
    if not lst.empty:
        new = lst[(lst["first_period"] == str(p)) & (lst["grade"] >= 3)].sort_values("grade", ascending=False)
        new_rows = [{"level": r["level"], "level_code": LEVELS[4 - int(r["grade"])] if 1 <= int(r["grade"]) <= 4 else "blue",
                     "subject": r["subject_name"] or r["subject_id"], "reason": r["explanation"],
                     "subject_id": r["subject_id"], "subject_level": r["subject_level"]}
                    for r in new.head(20).to_dict("records")]
        res = lst[lst["state_code"].isin(["resolved", "closed", "cleared"])]
        resolved_rows = [{"level": r["level"], "subject": r["subject_name"] or r["subject_id"], "reason": r["explanation"]}
                         for r in res.head(20).to_dict("records")]
    return {"ran": ran, "text": text, "counts": counts, "new": new_rows, "new_all": len(new_rows),
            "resolved": resolved_rows, "ruleset": meta.get("ruleset_version"),
            "no_resolved": t("report.warn.no_resolved", lang),
            "columns": [t("report.col.level_w", lang), t("report.col.subject", lang), t("report.col.reason", lang)],
            "by_subject": summ.tables.get("by_level")}


def _attention(cw: Chainwatch, chains: dict[str, Any], warns: dict[str, Any], head: dict[str, Any],
               lang: str) -> dict[str, Any]:
    city = head["indicators"].get("gross_output", {}).get("ytd_yoy_pct")
    sep = "、" if lang == "zh" else ", "
    items = []
    for r in chains["rows"]:
        reasons = []
        if r["risk_level"] in ("red", "orange"):
            reasons.append(t("report.attention.level", lang, level=r["risk_text"]))
        if city is not None and r["ytd_yoy_pct"] is not None and r["ytd_yoy_pct"] < city - 3:
            reasons.append(t("report.attention.slow", lang, pct=fmt_pct(r["ytd_yoy_pct"]), city=fmt_pct(city)))
        n_hot = sum(1 for w in warns["new"] if str(w["subject_id"]).startswith(f"{r['chain_id']}."))
        if n_hot:
            reasons.append(t("report.attention.warnings", lang, n=n_hot))
        if r["missing"]:
            reasons.append(t("report.attention.missing", lang, names=sep.join(r["missing"])))
        if r["weak"] and r["risk_level"] in ("red", "orange"):
            reasons.append(t("report.attention.weak", lang, n=len(r["weak"]), names=sep.join(r["weak"][:4])))
        if r["import_dependence_pct"] is not None and r["import_dependence_pct"] >= 20:
            reasons.append(t("report.attention.import", lang, pct=fmt_pct(r["import_dependence_pct"])))
        score = {"red": 3, "orange": 2}.get(r["risk_level"], 0) + 2 * n_hot + len(reasons)
        if r["ytd_yoy_pct"] is not None and city is not None and r["ytd_yoy_pct"] < city - 3:
            score += 2
        if len(reasons) >= 2:
            items.append({"name": r["name"], "level": r["risk_text"], "level_code": r["risk_level"], "score": score,
                          "reasons": ("；" if lang == "zh" else "; ").join(reasons)})
    items.sort(key=lambda it: -it["score"])
    return {"items": items[:MAX_ATTENTION], "n_candidates": len(items), "none": t("report.attention.none", lang)}


def _trade(cw: Chainwatch, p: Period, lang: str) -> dict[str, Any] | None:
    try:
        res = cw.trade.summary(str(p), by="group")
    except NotFound:
        return {"present": False, "text": t("report.trade.none", lang)}
    rows = pd.DataFrame(res.tables["rows"])
    total = pd.DataFrame(res.tables.get("total", []))
    text = ""
    if not total.empty:
        tot = {r["flow"]: r for r in total.to_dict("records")}
        allv = tot.get("total") or tot.get("all") or {}
        text = t("report.trade.line", lang, label=p.label(lang, cumulative=True), total=fmt_yi(allv.get("ytd_value"), lang),
                 phrase=growth_word(_num(allv.get("ytd_yoy_pct")), lang),
                 exp=fmt_yi(tot.get("export", {}).get("ytd_value"), lang), imp=fmt_yi(tot.get("import", {}).get("ytd_value"), lang))
    flows = {"import": "进口" if lang == "zh" else "imports", "export": "出口" if lang == "zh" else "exports",
             "total": "进出口" if lang == "zh" else "total", "all": "进出口" if lang == "zh" else "total"}
    display = [{"group": r["name"], "flow": flows.get(r["flow"], r["flow"]), "value": fmt_yi(r["ytd_value"], lang),
                "yoy": fmt_pct(_num(r["ytd_yoy_pct"])), "share": fmt_pct(_num(r["share_pct"])),
                "contrib": fmt_pct(_num(r["contribution_pct"]))} for r in rows.to_dict("records")]
    basis = next((g.get("basis") for g in res.meta.get("groups") or [] if g.get("group_id") == "bri"), None)
    return {"present": True, "text": text, "rows": display,
            "columns": [t("report.col.group", lang), t("report.col.flow", lang), t("report.col.value_ytd", lang).replace("（亿元）", ""),
                        t("report.col.ytd", lang), t("report.col.share", lang), t("report.col.contrib", lang)],
            "notes": [t("report.trade.overlap", lang)] + ([t("report.trade.basis", lang, basis=basis)] if basis else [])}


def _cultivation(cw: Chainwatch, lang: str) -> dict[str, Any]:
    res = cw.cultivation.pipeline(with_assessment=True)
    df = pd.DataFrame(res.tables["pipeline"])
    city = df[df["level"] == "city"] if "city" in set(df["level"]) else df.groupby(["tier", "tier_label"], as_index=False)[
        ["holders", "new_this_year", "expiring", "qualifies_not_held"]].sum()
    by_tier = {r["tier"]: r for r in city.to_dict("records")}
    line = t("report.cult.line", lang, champion=int(by_tier.get("champion", {}).get("holders", 0)),
             xjr=int(by_tier.get("xjr", {}).get("holders", 0)), zjtx=int(by_tier.get("zjtx", {}).get("holders", 0)),
             cand=int(by_tier.get("zjtx", {}).get("qualifies_not_held", 0)))
    rows = [{"tier": r["tier_label"], "holders": int(r["holders"]), "qualifies": int(r.get("qualifies_not_held", 0) or 0),
             "expiring": int(r.get("expiring", 0) or 0)} for r in city.to_dict("records")]
    return {"line": line, "rows": rows, "columns": [t(f"report.col.{c}", lang) for c in ("tier", "holders", "qualifies", "expiring")]}


def _policy(cw: Chainwatch, p: Period, lang: str) -> dict[str, Any]:
    pols = pd.DataFrame(cw.policy.list().tables["policies"])
    if pols.empty:
        return {"rows": [], "none": t("report.policy.none", lang)}
    rows = []
    for pol in pols.to_dict("records"):
        m = cw.policy.match(pol["policy_id"], period=str(p))
        summ = (m.tables.get("summary") or [{}])[0]
        rows.append({"policy": pol.get("name") or pol["policy_id"], "eligible": int(summ.get("eligible", 0)),
                     "near": int(summ.get("near_miss", 0)), "payout": _num(summ.get("payout_total")),
                     "budget": _num(summ.get("budget"))})
    for r in rows:
        r["payout_text"] = "—" if r["payout"] is None else f"{float(r['payout']):,.0f}"
        r["budget_text"] = "—" if r["budget"] is None else f"{float(r['budget']):,.0f}"
    return {"rows": rows, "none": "", "columns": [t(f"report.col.{c}", lang) for c in ("policy", "eligible", "near", "payout", "budget")]}


def _methods(cw: Chainwatch, head: dict[str, Any], warns: dict[str, Any], lang: str) -> dict[str, Any]:
    basis = (head["indicators"].get("value_added") or {}).get("basis") or "current"
    paras = [t("report.methods.stats", lang, basis=t(f"report.methods.basis.{'comparable' if basis == 'comparable' else 'current'}", lang))]
    if warns.get("ruleset"):
        paras.append(t("report.methods.warn", lang, version=warns["ruleset"]))
    hist = cw.data.history(limit=30)
    data = [{"file": r["file"], "kind": r["kind"], "when": pd.Timestamp(r["imported_at"]).strftime("%Y-%m-%d %H:%M"),
             "rows": int(r["rows_accepted"])} for r in hist.to_dict("records")]
    return {"paragraphs": paras, "data": data,
            "columns": [t(f"report.col.{c}", lang) for c in ("file", "kind", "when", "rows")]}


def _trend(cw: Chainwatch, p: Period) -> dict[str, Any]:
    """Cumulative growth of output and value added over this year and last year (official periods)."""
    out: dict[str, Any] = {}
    for ind in ("gross_output", "value_added"):
        out.update({f"{ind}:{p.year - 1}": [], f"{ind}:{p.year}": []})
        try:
            series = pd.DataFrame(cw.stats.series("total", "total", ind, f"{p.year - 1}-01", str(p)).tables["series"])
        except NotFound:
            continue
        for r in series.to_dict("records"):
            out[f"{ind}:{r['period'][:4]}"].append((r["period"], _num(r["ytd_yoy_pct"])))
    return out


__all__ = ["build_context", "fmt_yi", "growth_word", "join_list"]
