"""RiskService (``cw.risk``): run the warning rules for a period, store warnings, work their lifecycle.

Reads the store in bulk (one grouped query for the monthly panel, a few for memberships), hands
arrays to the pure engine in :mod:`chainwatch.analytics.risk`, and persists the outcome with
set-based SQL: a run over 200,000 enterprises never loops in Python per enterprise.
"""

from __future__ import annotations

import builtins
import json
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from chainwatch.analytics.risk.engine import GroupSet, RiskInputs, run_rules
from chainwatch.analytics.risk.levels import LEVELS
from chainwatch.analytics.risk.lifecycle import (
    ACTIONS,
    OPEN_STATES,
    STATES,
    TransitionError,
    check_transition,
    event_hash,
)
from chainwatch.analytics.risk.rules import INDICATORS, SUBJECTS, RuleSet, default_ruleset_path, load_ruleset
from chainwatch.errors import InputError, NotFound, PermissionDenied, UsageError
from chainwatch.i18n import t
from chainwatch.model.periods import Period
from chainwatch.service.result import Result

#: official columns kept before the target period: YoY lag 11 + robust-z window 36 + horizon 12
LOOKBACK = 11 + 36 + 12
HORIZON = 12


def official_index(year: int, month: int) -> int:
    """Column index of a month on the official-period axis (January folds into 1–2月)."""
    return year * 11 + max(month, 2) - 2


def official_period(idx: int) -> str:
    return f"{idx // 11:04d}-{idx % 11 + 2:02d}"


def _months_between(p1: str, p2: str) -> int:
    a, b = Period.parse(p1), Period.parse(p2)
    return (b.year - a.year) * 12 + (b.month - a.month)


class RiskService:
    """The warning engine behind ``chainwatch warn`` / ``warnings`` and the web pages."""

    def __init__(self, cw: Any) -> None:
        self.cw = cw
        self.store = cw.store

    # -- rules ------------------------------------------------------------------------------------
    def ruleset(self, rules_file: str | Path | None = None) -> RuleSet:
        """The rules in force: ``rules_file``, else setting ``rules_file``, else the shipped default."""
        path = rules_file or getattr(self.cw.settings, "rules_file", "") or default_ruleset_path()
        return load_ruleset(path)

    def check_rules(self, rules_file: str | Path | None = None) -> Result:
        rs = self.ruleset(rules_file)
        rows = [{"rule_id": r.id, "subject": r.subject, "indicator": r.indicator, "statistic": r.statistic,
                 "direction": r.direction, "thresholds": json.dumps(r.thresholds),
                 "title": r.title.get(self.cw.lang, r.id), "line": r.line} for r in rs.rules]
        return Result("warn.rules", self.cw.meta(ruleset_version=rs.version, ruleset_source=rs.source,
                                                 ruleset_sha256=rs.sha256), {"rules": rows})

    # -- inputs -----------------------------------------------------------------------------------
    def load_inputs(self, period: str, indicators: tuple[str, ...] = INDICATORS) -> RiskInputs:
        """The monthly panel (official periods ending at ``period``) and the subject memberships.

        Enterprise codes are mapped to row numbers once, in SQL (temporary table ``_risk_ent``), so
        every other table arrives as integer indices.
        """
        p = Period.parse(period)
        end = official_index(p.year, p.month)
        start = end - LOOKBACK + 1
        first = Period(start // 11, start % 11 + 2 if start % 11 else 1)
        lo = f"{first.year:04d}-{first.month:02d}"
        hi = str(p if p.month > 2 else Period(p.year, 2))
        con = self.store
        with con.locked():
            con.execute("DROP TABLE IF EXISTS _risk_ent")
            con.execute("""CREATE TEMP TABLE _risk_ent AS
                           SELECT uscc, (row_number() OVER (ORDER BY uscc) - 1)::INTEGER AS ei
                           FROM (SELECT DISTINCT uscc FROM monthly_value WHERE period >= ? AND period <= ?) d""",
                        [lo, hi])
            try:
                ent = con.numpy("""SELECT e.uscc, coalesce(x.name, '') AS name, coalesce(x.district, '') AS district,
                                            coalesce(year(x.founded) * 11 + greatest(month(x.founded), 2) - 2,
                                                     -1000000000)::BIGINT AS fcol
                                     FROM _risk_ent e LEFT JOIN enterprise x USING (uscc) ORDER BY e.ei""")
                if not len(ent["uscc"]):
                    raise InputError("risk.run.no_data", period=str(p))
                panel = con.numpy(
                    f"""SELECT e.ei, (m.year * 11 + greatest(m.month, 2) - 2)::INTEGER AS col, m.month = 1 AS jan,
                               {", ".join(indicators)}
                        FROM monthly_value m JOIN _risk_ent e USING (uscc)
                        WHERE m.period >= ? AND m.period <= ?""", [lo, hi])
                col = np.asarray(panel["col"], dtype=np.int64)
                first_col = max(start, int(col.min()))
                years = sorted({int(official_period(i)[:4]) for i in range(first_col, end + 1)})
                scope = con.numpy("""SELECT e.ei, s.year FROM enterprise_scope s JOIN _risk_ent e USING (uscc)
                                       WHERE s.above_size AND s.year BETWEEN ? AND ?""",
                                    [years[0], years[-1]])
                members = con.numpy("""SELECT se.segment_id, e.ei FROM segment_enterprise se
                                         JOIN _risk_ent e USING (uscc)""")
                sole = con.numpy("""SELECT se.segment_id, min(e.ei) AS ei FROM segment_enterprise se
                                      LEFT JOIN _risk_ent e USING (uscc) GROUP BY se.segment_id
                                      HAVING count(*) = 1 AND min(e.ei) IS NOT NULL""")
            finally:
                con.execute("DROP TABLE IF EXISTS _risk_ent")
        codes = np.asarray(ent["uscc"]).astype(str)
        n = len(codes)
        ent_idx = np.asarray(panel["ei"], dtype=np.int64)
        jan = np.asarray(panel["jan"], dtype=bool)
        T = end - first_col + 1
        rest = (col >= first_col) & ~jan
        jrow = (col >= first_col) & jan
        values: dict[str, np.ndarray] = {}
        for c in indicators:
            arr = np.full((n, T), np.nan)
            v = np.ma.filled(np.ma.asarray(panel[c]).astype(float), np.nan)
            arr[ent_idx[rest], col[rest] - first_col] = v[rest]
            # January folds into the combined 1–2月 column: a sum that is missing only if both are
            ji, jc, jv = ent_idx[jrow], col[jrow] - first_col, v[jrow]
            cur = arr[ji, jc]
            arr[ji, jc] = np.where(np.isnan(cur), jv, cur + np.nan_to_num(jv))
            values[c] = arr
        del panel
        periods = [official_period(i) for i in range(first_col, end + 1)]
        founded_col = np.asarray(ent["fcol"], dtype=float) - first_col
        names = np.asarray(ent["name"]).astype(str).tolist()
        districts = np.asarray(ent["district"]).astype(str).tolist()
        groups, seg_chain, sole_idx = self._groups(n, districts, members, sole)
        inputs = RiskInputs(periods=periods, ent_ids=codes, ent_names=names, ent_district=districts,
                            values=values, groups=groups, segment_chain=seg_chain, sole_supplier=sole_idx,
                            founded_col=founded_col)
        self._scope_mask(inputs, scope)
        self._import_dependence(inputs, first_col, end)
        if T < 24 + 11:
            inputs.notes.append("short_history")
        return inputs

    def _lang_name(self) -> str:
        return "name_zh" if self.cw.lang == "zh" else "coalesce(name_en, name_zh)"

    def _groups(self, n: int, districts: list[str], members: dict[str, np.ndarray],
                sole: dict[str, np.ndarray]) -> tuple[dict[str, GroupSet], np.ndarray | None, np.ndarray | None]:
        groups: dict[str, GroupSet] = {
            "total": GroupSet(np.array(["city"]), [t("risk.city", self.cw.lang)],
                              sp.csr_matrix(np.ones((1, n)))),
        }
        d_codes, d_idx = np.unique(np.array(districts, dtype=str), return_inverse=True)
        rname = dict(self.store.rows("SELECT code, name FROM region")) if self.store.table_exists("region") else {}
        groups["district"] = GroupSet(d_codes, [rname.get(c, c) for c in d_codes],
                                      sp.csr_matrix((np.ones(n), (d_idx, np.arange(n))), shape=(len(d_codes), n)))
        nm = self._lang_name()
        seg = self.store.df(f"SELECT segment_id, chain_id, {nm} AS name FROM segment ORDER BY segment_id")
        chains = self.store.df(f"SELECT chain_id, {nm} AS name FROM chain ORDER BY chain_id")
        if not len(seg) or not len(members["ei"]):
            return groups, None, None
        seg_ids = seg["segment_id"].astype(str).to_numpy()
        ms = np.asarray(members["segment_id"]).astype(str)
        si = np.searchsorted(seg_ids, ms)
        ok = (si < len(seg_ids)) & (seg_ids[np.minimum(si, len(seg_ids) - 1)] == ms)
        si, ei = si[ok], np.asarray(members["ei"], dtype=np.int64)[ok]
        S = sp.csr_matrix((np.ones(len(si)), (si, ei)), shape=(len(seg), n))
        S.data[:] = 1.0
        groups["segment"] = GroupSet(seg_ids, seg["name"].tolist(), S)
        ch_pos = {c: i for i, c in enumerate(chains["chain_id"])}
        seg_chain = np.array([ch_pos.get(c, -1) for c in seg["chain_id"]], dtype=int)
        okc = seg_chain[si] >= 0
        C = sp.csr_matrix((np.ones(int(okc.sum())), (seg_chain[si][okc], ei[okc])), shape=(len(chains), n))
        C.data[:] = 1.0  # an enterprise in two segments of a chain counts once
        groups["chain"] = GroupSet(chains["chain_id"].to_numpy(), chains["name"].tolist(), C)
        sole_idx = np.full(len(seg), -1)
        seg_pos = {s_: i for i, s_ in enumerate(seg_ids)}
        for s_, e_ in zip(np.asarray(sole["segment_id"]).astype(str), np.asarray(sole["ei"]), strict=True):
            if s_ in seg_pos:
                sole_idx[seg_pos[s_]] = int(e_)
        return groups, seg_chain, sole_idx

    def _scope_mask(self, inputs: RiskInputs, scope: dict[str, np.ndarray]) -> None:
        """Restrict group aggregates to each year's 规上 set when the directory flag is imported."""
        if not self.store.scalar("SELECT count(*) FROM enterprise_scope"):
            inputs.notes.append("no_scope_directory")
            return
        years = inputs.years()
        ys = np.unique(years)
        flag = np.zeros((len(inputs.ent_ids), len(ys)), dtype=bool)
        ey = np.asarray(scope["year"], dtype=np.int64)
        ei = np.asarray(scope["ei"], dtype=np.int64)
        yi = np.searchsorted(ys, ey)
        ok = (yi < len(ys)) & (ys[np.minimum(yi, len(ys) - 1)] == ey)
        flag[ei[ok], yi[ok]] = True
        inputs.notes.append("scope_directory")
        inputs.scope_mask = flag[:, np.searchsorted(ys, years)]

    def _import_dependence(self, inputs: RiskInputs, first_col: int, end: int) -> None:
        """Trailing-12-month import dependence ``M / (Q + M − E)`` per segment and chain (§1.1)."""
        if "segment" not in inputs.groups or not self.store.scalar("SELECT count(*) FROM trade_flow"):
            inputs.notes.append("no_trade")
            return
        lo = official_period(first_col - 11)
        lo = lo[:5] + "01" if lo.endswith("-02") else lo
        by_firm = bool(self.store.scalar("SELECT count(*) FROM trade_flow WHERE uscc IS NOT NULL"))
        tr = self.store.df(
            f"""WITH agg AS (
                   SELECT hs_code, year * 11 + greatest(month, 2) - 2 AS col,
                          sum(CASE WHEN flow = 'import' THEN value ELSE 0 END) AS imp,
                          sum(CASE WHEN flow = 'export' THEN value ELSE 0 END) AS exp
                   FROM trade_flow WHERE period >= ? AND uscc IS {'NOT ' if by_firm else ''}NULL GROUP BY 1, 2)
               SELECT sp.segment_id, agg.col, sum(agg.imp) AS imp, sum(agg.exp) AS exp
               FROM agg JOIN segment_product sp ON left(agg.hs_code, length(sp.hs_code)) = sp.hs_code
               GROUP BY 1, 2""", [lo])
        seg_ids = inputs.groups["segment"].ids
        if not len(tr):
            inputs.notes.append("no_trade")
            return
        spos = pd.Series(np.arange(len(seg_ids)), index=seg_ids)
        W = end - (first_col - 11) + 1
        tr = tr[tr["segment_id"].isin(spos.index) & (tr["col"] >= first_col - 11) & (tr["col"] <= end)]
        imp = np.zeros((len(seg_ids), W))
        exp = np.zeros((len(seg_ids), W))
        c = tr["col"].to_numpy() - (first_col - 11)
        r = spos[tr["segment_id"]].to_numpy()
        np.add.at(imp, (r, c), tr["imp"].to_numpy())
        np.add.at(exp, (r, c), tr["exp"].to_numpy())
        out_ent = np.nan_to_num(inputs.values["gross_output"])
        q = np.asarray(inputs.groups["segment"].membership @ out_ent)
        roll = lambda a: np.stack([a[:, max(0, i - 10):i + 1].sum(axis=1) for i in range(a.shape[1])], axis=1)  # noqa: E731
        M12, E12 = roll(imp)[:, 11:], roll(exp)[:, 11:]
        q_full = np.concatenate([np.zeros((q.shape[0], 11)), q], axis=1)
        Q12 = roll(q_full)[:, 11:]
        dep = _dependence(M12, E12, Q12)
        inputs.import_dependence["segment"] = dep
        if inputs.segment_chain is not None:
            nch = len(inputs.groups["chain"].ids)
            ok = inputs.segment_chain >= 0
            A = sp.csr_matrix((np.ones(int(ok.sum())), (inputs.segment_chain[ok], np.where(ok)[0])),
                              shape=(nch, len(seg_ids)))
            Qc = np.asarray(inputs.groups["chain"].membership @ out_ent)
            Qc12 = roll(np.concatenate([np.zeros((nch, 11)), Qc], axis=1))[:, 11:]
            inputs.import_dependence["chain"] = _dependence(A @ M12, A @ E12, Qc12)

    # -- run ----------------------------------------------------------------------------------------
    def run(self, period: str, rules_file: str | Path | None = None, persist: bool = True) -> Result:
        """Compute the warnings of ``period``, update the stored warnings, return the active ones."""
        t0 = time.perf_counter()
        p = Period.parse(period)
        pstr = str(p)
        rs = self.ruleset(rules_file)
        inputs = self.load_inputs(pstr, needed_indicators(rs))
        t_load = time.perf_counter() - t0
        firings, subjects = run_rules(inputs, rs, HORIZON)
        t_eval = time.perf_counter() - t0 - t_load
        counts: dict[str, int] = {}
        if persist:
            counts = self._persist(firings, subjects, pstr, rs, inputs, time.perf_counter() - t0)
        seconds = time.perf_counter() - t0
        notes = list(dict.fromkeys(inputs.notes))
        meta = self.cw.meta(period=pstr, ruleset_version=rs.version, ruleset_sha256=rs.sha256,
                            ruleset_source=rs.source, enterprises=len(inputs.ent_ids), periods_loaded=inputs.T,
                            **_coverage(inputs),
                            seconds=round(seconds, 3), seconds_load=round(t_load, 3),
                            seconds_evaluate=round(t_eval, 3), inputs=notes, counts=counts,
                            group_statistics=("risk engine, same-caliber (可比口径) as cw.stats: this year's 规上 set, "
                                              "new establishments with base 0, current prices"),
                            chain_analytics="segment_enterprise memberships (single-supplier rule)",
                            import_dependence="trade_flow × segment_product, trailing 12 months"
                            if "no_trade" not in notes else None,
                            services=_services(), scope=self.cw.scope)
        table = self._active_table(pstr) if persist else self._firings_table(firings)
        text = []
        if persist:
            text.append(t("risk.run.done", self.cw.lang, period=pstr, **counts))
        for key in ("no_trade", "short_history"):
            if key in notes:
                text.append(t(f"risk.run.{key}", self.cw.lang, n=inputs.T))
        if "segment" not in inputs.groups:
            text.append(t("risk.run.no_chains", self.cw.lang))
        return Result("warn", meta, {"warnings": table, "subjects": self._scope_subjects(subjects)}, text)

    def _firings_table(self, firings: pd.DataFrame) -> pd.DataFrame:
        if not len(firings):
            return firings
        out = firings[["rule_id", "subject_level", "subject_id", "subject_name", "grade", "value", "threshold",
                       "months"]].copy()
        out["level"] = out["grade"].map(lambda g: t(f"risk.level.{int(g)}", self.cw.lang))
        return out

    def _scope_subjects(self, subjects: pd.DataFrame) -> pd.DataFrame:
        if self.cw.scope is None or not len(subjects):
            return subjects
        ent = self.store.df("SELECT uscc, district FROM enterprise")
        dmap = dict(zip(ent["uscc"], ent["district"], strict=False))
        keep = [(lv != "enterprise" or dmap.get(sid) in self.cw.scope) and (lv != "district" or sid in self.cw.scope)
                for lv, sid in zip(subjects["subject_level"], subjects["subject_id"], strict=False)]
        return subjects[keep]

    # -- persistence --------------------------------------------------------------------------------
    def _persist(self, firings: pd.DataFrame, subjects: pd.DataFrame, period: str, rs: RuleSet,
                 inputs: RiskInputs, seconds: float) -> dict[str, int]:
        now = datetime.now()
        actor = self.cw.actor
        con = self.store
        rules = {r.id: r for r in rs.rules}
        with self.store.transaction():
            if not self.store.scalar("SELECT count(*) FROM warning_ruleset WHERE sha256 = ?", [rs.sha256]):
                con.execute("INSERT INTO warning_ruleset VALUES (?, ?, ?, ?, ?, ?)",
                            [rs.sha256, rs.version, rs.source, rs.text, now, actor])
            run_id = int(con.scalar("SELECT nextval('warning_run_seq')"))
            existing = con.df(
                """SELECT w.id, w.kind, w.rule_id, w.subject_id, w.state, w.grade, w.peak_grade, w.period,
                          w.resolved_period, w.first_period
                   FROM warning w JOIN (SELECT kind, rule_id, subject_id, max(id) AS id FROM warning
                                        GROUP BY kind, rule_id, subject_id) m USING (id)""")
            f = firings.copy()
            f["evidence"] = [self._evidence(r, rules[r["rule_id"]], period, rs) for r in f.to_dict("records")]
            key = ["kind", "rule_id", "subject_id"]
            f = f.merge(existing.rename(columns={"grade": "old_grade", "period": "old_period",
                                                 "state": "old_state"}), on=key, how="left")
            stale = f["old_period"].notna() & (f["old_period"] > period)
            is_open = f["old_state"].isin(OPEN_STATES)
            resolved = f["old_state"] == "resolved"
            within = resolved & f["resolved_period"].notna() & f["resolved_period"].map(
                lambda rp: isinstance(rp, str) and 0 <= _months_between(rp, period) <= rs.cooldown_months)
            f["action"] = np.select([stale, is_open, within], ["stale", "continue", "reopen"], "create")
            # --- new warnings
            new = f[f["action"] == "create"].copy()
            if len(new):
                ids = con.numpy("SELECT nextval('warning_seq') FROM generate_series(1, ?)", [len(new)])
                new["id"] = np.asarray(list(ids.values())[0], dtype=np.int64)
                new["due_at"] = [date.today() + timedelta(days=rs.sla_days.get(LEVELS[int(g)], 10))
                                 for g in new["grade"]]
                ins = pd.DataFrame({
                    "id": new["id"], "kind": new["kind"], "subject_level": new["subject_level"],
                    "subject_id": new["subject_id"], "subject_name": new["subject_name"],
                    "district": new["district"], "rule_id": new["rule_id"], "rule_version": rs.version,
                    "first_period": period, "period": period, "grade": new["grade"].astype(int),
                    "peak_grade": new["grade"].astype(int), "grade_source": "rule", "state": "new",
                    "owner": None, "due_at": new["due_at"], "created_at": now, "updated_at": now,
                    "evidence": new["evidence"], "impact": None, "resolution": None, "resolved_period": None})
                with con.registered("_risk_new", ins):
                    con.execute("INSERT INTO warning SELECT * FROM _risk_new")
            # --- continuing and re-opened warnings
            upd = f[f["action"].isin(["continue", "reopen"])].copy()
            if len(upd):
                upd["id"] = upd["id"].astype(np.int64)
                upd["new_state"] = np.where(upd["action"] == "reopen", "acknowledged", upd["old_state"])
                u = pd.DataFrame({"id": upd["id"], "grade": upd["grade"].astype(int), "period": period,
                                  "evidence": upd["evidence"], "state": upd["new_state"],
                                  "subject_name": upd["subject_name"]})
                with con.registered("_risk_upd", u):
                    con.execute("""UPDATE warning SET grade = u.grade, period = u.period, evidence = u.evidence,
                                          state = u.state, subject_name = u.subject_name,
                                          peak_grade = greatest(warning.peak_grade, u.grade), updated_at = ?,
                                          resolved_period = CASE WHEN u.state = 'resolved' THEN resolved_period END,
                                          rule_version = ?
                                   FROM _risk_upd u WHERE warning.id = u.id""", [now, rs.version])
            # --- cleared: open warnings of these rules that did not fire this period
            fired_keys = set(zip(f["kind"], f["rule_id"], f["subject_id"], strict=False))
            ex_open = existing[existing["state"].isin(OPEN_STATES) & (existing["grade"] > 0)
                               & existing["rule_id"].isin(rules.keys()) & (existing["period"] <= period)]
            cleared = ex_open.loc[np.array([k not in fired_keys for k in zip(
                ex_open["kind"], ex_open["rule_id"], ex_open["subject_id"], strict=False)], dtype=bool)]
            # an enterprise that did not report this period keeps its grade: a data gap is not a recovery
            reporting = _reporting(inputs)
            gap = np.array([rules[r].subject == "enterprise" and u not in reporting
                            for r, u in zip(cleared["rule_id"], cleared["subject_id"], strict=True)], dtype=bool)
            n_gap = int(gap.sum())
            cleared = cleared.loc[~gap]
            if len(cleared):
                with con.registered("_risk_clr", cleared[["id"]]):
                    con.execute("UPDATE warning SET grade = 0, period = ?, updated_at = ? "
                                "WHERE id IN (SELECT id FROM _risk_clr)", [period, now])
            # --- grade history and events
            parts = [x[["id", "grade", "value"]] for x in (new, upd) if len(x)]
            active = pd.concat(parts) if parts else None
            if active is not None and len(active):
                hist = pd.DataFrame({"warning_id": active["id"].astype(np.int64), "period": period,
                                     "grade": active["grade"].astype(int),
                                     "value": pd.to_numeric(active["value"], errors="coerce"), "run_id": run_id})
                with con.registered("_risk_hist", hist):
                    con.execute("INSERT INTO warning_period SELECT * FROM _risk_hist ON CONFLICT (warning_id, period) "
                                "DO UPDATE SET grade = excluded.grade, value = excluded.value, run_id = excluded.run_id")
            if len(cleared):
                with con.registered("_risk_clr2", pd.DataFrame({"warning_id": cleared["id"].astype(np.int64)})):
                    con.execute("INSERT INTO warning_period SELECT warning_id, ?, 0, NULL, ? FROM _risk_clr2 "
                                "ON CONFLICT (warning_id, period) DO UPDATE SET grade = excluded.grade, "
                                "value = excluded.value, run_id = excluded.run_id", [period, run_id])
            events: list[dict[str, Any]] = []
            for r in new.itertuples():
                events.append({"warning_id": int(r.id), "action": "create", "from_state": None, "to_state": "new",
                               "from_grade": None, "to_grade": int(r.grade), "payload": {
                                   "period": period, "due": str(r.due_at), "rule_version": rs.version}})
            for r in upd.itertuples():
                og = int(r.old_grade)
                if r.action == "reopen":
                    events.append({"warning_id": int(r.id), "action": "reopen", "from_state": "resolved",
                                   "to_state": "acknowledged", "from_grade": og, "to_grade": int(r.grade),
                                   "payload": {"period": period}})
                elif int(r.grade) != og:
                    events.append({"warning_id": int(r.id), "action": "escalate" if r.grade > og else "deescalate",
                                   "from_state": None, "to_state": None, "from_grade": og,
                                   "to_grade": int(r.grade), "payload": {"period": period}})
            for r in cleared.itertuples():
                events.append({"warning_id": int(r.id), "action": "clear", "from_state": None, "to_state": None,
                               "from_grade": int(r.grade), "to_grade": 0, "payload": {"period": period}})
            self._append_events(events, actor="system", period=period, at=now)
            # --- combined subject grades
            con.execute("DELETE FROM warning_subject WHERE period = ?", [period])
            if len(subjects):
                s = subjects.copy()
                s.insert(0, "period", period)
                s["run_id"] = run_id
                s["breadth_escalated"] = s["breadth_escalated"].astype(bool)
                with con.registered("_risk_subj", s[["period", "subject_level", "subject_id", "subject_name",
                                                     "grade", "rule_grade", "breadth_escalated", "rules", "via",
                                                     "run_id"]]):
                    con.execute("INSERT INTO warning_subject SELECT * FROM _risk_subj")
            grades = f.loc[f["action"] != "stale", "grade"].astype(int)
            counts = {"active": int((grades > 0).sum()), "new": len(new),
                      "escalated": sum(1 for e in events if e["action"] == "escalate"),
                      "deescalated": sum(1 for e in events if e["action"] == "deescalate"),
                      "cleared": len(cleared), "reopened": int((f["action"] == "reopen").sum()),
                      "stale": int(stale.sum()), "data_gap": n_gap,
                      **{LEVELS[g]: int((grades == g).sum()) for g in range(1, 5)}}
            con.execute("INSERT INTO warning_run VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                        [run_id, period, rs.sha256, rs.version, now, seconds, actor,
                         json.dumps({"counts": counts, "inputs": inputs.notes}, ensure_ascii=False)])
        self.store.audit(actor, "warn.run", period, json.dumps(counts))
        return counts

    def _append_events(self, events: list[dict[str, Any]], actor: str, period: str | None, at: datetime,
                       note: str | None = None) -> None:
        """Append events with per-warning sequence numbers and the hash chain (no UPDATE path)."""
        if not events:
            return
        con = self.store
        ids = pd.DataFrame({"warning_id": sorted({e["warning_id"] for e in events})})
        with con.registered("_risk_ids", ids):
            last = con.rows("""SELECT e.warning_id, e.seq, e.hash FROM warning_event e
                               JOIN (SELECT warning_id, max(seq) AS seq FROM warning_event
                                     WHERE warning_id IN (SELECT warning_id FROM _risk_ids) GROUP BY warning_id) m
                                 ON m.warning_id = e.warning_id AND m.seq = e.seq""")
        state = {int(w): (int(s), h) for w, s, h in last}
        rows = []
        for e in events:
            seq, prev = state.get(e["warning_id"], (0, None))
            row = {"warning_id": e["warning_id"], "seq": seq + 1, "event_at": at.isoformat(timespec="microseconds"),
                   "actor": e.get("actor", actor), "action": e["action"], "from_state": e.get("from_state"),
                   "to_state": e.get("to_state"), "from_grade": e.get("from_grade"), "to_grade": e.get("to_grade"),
                   "period": period, "note": e.get("note", note),
                   "payload": json.dumps(e.get("payload") or {}, ensure_ascii=False, sort_keys=True)}
            h = event_hash(prev, row)
            row["prev_hash"], row["hash"] = prev, h
            state[e["warning_id"]] = (seq + 1, h)
            rows.append(row)
        df = pd.DataFrame(rows)
        df["event_at"] = pd.to_datetime(df["event_at"])
        for c in ("from_grade", "to_grade"):
            df[c] = df[c].astype("Int64")
        with con.registered("_risk_ev", df):
            con.execute("""INSERT INTO warning_event SELECT warning_id, seq, event_at, actor, action, from_state, to_state,
                           from_grade, to_grade, period, note, payload, prev_hash, hash FROM _risk_ev""")

    def _evidence(self, row: dict[str, Any], rule: Any, period: str, rs: RuleSet) -> str:
        ev = {"rule_id": rule.id, "rule_version": rs.version, "ruleset_sha256": rs.sha256, "title": rule.title,
              "message": rule.message, "statistic": rule.statistic, "indicator": rule.indicator,
              "direction": rule.direction, "thresholds": rule.thresholds,
              "persistence": {"raise": rule.raise_months, "lower": rule.lower_months},
              "period": period, "grade": int(row["grade"]), "raw_level": int(row["raw_level"]),
              "value": _f(row["value"]), "threshold": _f(row["threshold"]), "months": int(row["months"]),
              "trend": row["trend"], "grade_path": row["grade_path"], "prior": _f(row["prior"]),
              "require": row["require"], "params": rule.params}
        return json.dumps(ev, ensure_ascii=False, default=str)

    # -- reading ----------------------------------------------------------------------------------
    def _scope_sql(self) -> tuple[str, list[Any]]:
        if self.cw.scope is None:
            return "", []
        marks = ", ".join("?" for _ in self.cw.scope)
        return (f" AND (subject_level NOT IN ('enterprise', 'district') OR district IN ({marks}))",
                list(self.cw.scope))

    def _active_table(self, period: str) -> pd.DataFrame:
        scope, params = self._scope_sql()
        df = self.store.df(f"SELECT * FROM warning WHERE period = ? AND grade > 0{scope} "
                           "ORDER BY grade DESC, subject_level, id", [period, *params])
        return self._present(df)

    def _names_in_lang(self, df: pd.DataFrame) -> builtins.list[Any]:
        """Segment, chain and city names in the current language (stored names are the run's language)."""
        nm = self._lang_name()
        names: dict[tuple[str, str], str] = {("total", "city"): t("risk.city", self.cw.lang)}
        if (df["subject_level"] == "segment").any():
            names.update((("segment", a), b) for a, b in self.store.rows(f"SELECT segment_id, {nm} FROM segment"))
        if (df["subject_level"] == "chain").any():
            names.update((("chain", a), b) for a, b in self.store.rows(f"SELECT chain_id, {nm} FROM chain"))
        return [names.get((lv, sid), old) for lv, sid, old in
                zip(df["subject_level"], df["subject_id"], df["subject_name"], strict=True)]

    def _present(self, df: pd.DataFrame, full: bool = False) -> pd.DataFrame:
        lang = self.cw.lang
        if not len(df):
            return pd.DataFrame(columns=["id", "level", "grade", "state", "subject_level", "subject_id", "subject_name",
                                         "rule_id", "period", "first_period", "owner", "due_at", "explanation"])
        df = df.copy()
        df["subject_name"] = self._names_in_lang(df)
        out = pd.DataFrame({
            "id": df["id"].astype(int), "level": [t(f"risk.level.{int(g)}", lang) for g in df["grade"]],
            "grade": df["grade"].astype(int), "state": [t(f"risk.state.{s}", lang) for s in df["state"]],
            "state_code": df["state"],
            "subject_level": df["subject_level"], "subject_id": df["subject_id"], "subject_name": df["subject_name"],
            "rule_id": df["rule_id"], "kind": df["kind"], "period": df["period"], "first_period": df["first_period"],
            "peak_grade": df["peak_grade"].astype(int), "owner": df["owner"],
            "due_at": [str(x)[:10] if pd.notna(x) else None for x in df["due_at"]],
            "explanation": [self.explain(json.loads(e), n, int(g)) for e, n, g in
                            zip(df["evidence"], df["subject_name"], df["grade"], strict=False)],
        })
        if full:
            out["evidence"] = [json.loads(e) for e in df["evidence"]]
        return out

    def explain(self, ev: dict[str, Any], subject_name: str | None, grade: int | None = None) -> str:
        """The warning's message in the current language, rendered from its evidence snapshot."""
        lang = self.cw.lang
        g = int(ev.get("grade", 0) if grade is None else grade)
        if g == 0:
            return t("risk.explain.cleared", lang)
        ind = ev.get("indicator")
        trend = " → ".join("—" if v is None else f"{v:.1f}" for v in (ev.get("trend") or []))
        fields = {"subject": subject_name or "", "subject_id": ev.get("subject_id", ""), "value": ev.get("value"),
                  "threshold": ev.get("threshold"), "level": t(f"risk.level.{g}", lang), "months": ev.get("months"),
                  "indicator": t(f"risk.ind.{ind}", lang) if ind else "", "period": ev.get("period"),
                  "trend": trend, "prior": ev.get("prior"), "unit": "万元" if lang == "zh" else "10k CNY"}
        tmpl = (ev.get("message") or {}).get(lang)
        try:
            if tmpl:
                return tmpl.format(**fields)
        except (TypeError, ValueError, KeyError):
            pass
        return self._generic(ev, g, trend)

    def _generic(self, ev: dict[str, Any], g: int, trend: str) -> str:
        lang = self.cw.lang
        val = ev.get("value")
        thr = ev.get("threshold")
        return t("risk.explain", lang, rule=ev.get("rule_id"), title=(ev.get("title") or {}).get(lang, ""),
                 statistic=t(f"risk.stat.{ev.get('statistic')}", lang),
                 value="—" if val is None else f"{val:.2f}", level=t(f"risk.level.{g}", lang),
                 threshold="—" if thr is None else f"{thr:g}", months=ev.get("months"), trend=trend or "—")

    def list(self, level: str | None = None, state: str | None = None, period: str | None = None,
             subject_level: str | None = None, rule_id: str | None = None, include_closed: bool = False,
             limit: int | None = None) -> Result:
        """Stored warnings, worst first; by default the open ones (not resolved)."""
        where: builtins.list[str] = ["1=1"]
        params: builtins.list[Any] = []
        if level is not None:
            lv = str(level).lower()
            grades = {name: i for i, name in enumerate(LEVELS)}
            zh = {"蓝": 1, "黄": 2, "橙": 3, "红": 4, "蓝色": 1, "黄色": 2, "橙色": 3, "红色": 4}
            g = grades.get(lv, zh.get(lv))
            if g is None or g == 0:
                raise UsageError("risk.bad_filter", name="--level", value=level, allowed="blue, yellow, orange, red")
            where.append("grade >= ?")
            params.append(g)
        if state is not None:
            if state not in STATES:
                raise UsageError("risk.bad_filter", name="--status", value=state, allowed=", ".join(STATES))
            where.append("state = ?")
            params.append(state)
        elif not include_closed:
            where.append("state <> 'resolved'")
        if subject_level is not None:
            if subject_level not in SUBJECTS:
                raise UsageError("risk.bad_filter", name="--subject", value=subject_level,
                                 allowed=", ".join(SUBJECTS))
            where.append("subject_level = ?")
            params.append(subject_level)
        if period is not None:
            where.append("period = ?")
            params.append(str(Period.parse(period)))
        if rule_id is not None:
            where.append("rule_id = ?")
            params.append(rule_id)
        scope, sp_ = self._scope_sql()
        sql = (f"SELECT * FROM warning WHERE {' AND '.join(where)}{scope} "
               "ORDER BY grade DESC, peak_grade DESC, id" + (f" LIMIT {int(limit)}" if limit else ""))
        df = self.store.df(sql, [*params, *sp_])
        return Result("warnings.list", self.cw.meta(count=len(df), filters={
            "level": level, "state": state, "period": period, "subject_level": subject_level}),
            {"warnings": self._present(df)}, [] if len(df) else [t("risk.none", self.cw.lang)])

    def _get(self, wid: int) -> dict[str, Any]:
        df = self.store.df("SELECT * FROM warning WHERE id = ?", [int(wid)])
        if not len(df):
            raise NotFound("risk.not_found", id=wid)
        row = df.iloc[0].to_dict()
        if self.cw.scope is not None and row["subject_level"] in ("enterprise", "district") \
                and row["district"] not in self.cw.scope:
            raise PermissionDenied("risk.out_of_scope", id=wid)
        return row

    def show(self, wid: int) -> Result:
        """One warning with its explanation, evidence, grade history and audit trail."""
        row = self._get(wid)
        w = self._present(pd.DataFrame([row]), full=True)
        hist = self.store.df("SELECT period, grade, value FROM warning_period WHERE warning_id = ? ORDER BY period",
                             [int(wid)])
        hist["level"] = [t(f"risk.level.{int(g)}", self.cw.lang) for g in hist["grade"]]
        events = self.store.df("""SELECT seq, event_at, actor, action, from_state, to_state, from_grade, to_grade, period,
                                         note, payload, prev_hash, hash FROM warning_event WHERE warning_id = ?
                                  ORDER BY seq""", [int(wid)])
        events.insert(4, "action_text", [t(f"risk.action.{a}", self.cw.lang) for a in events["action"]])
        ev = json.loads(row["evidence"])
        lang = self.cw.lang
        text = [t("risk.show.title", lang, id=wid, subject=w["subject_name"].iloc[0] or row["subject_id"],
                  level=t(f"risk.level.{int(row['grade'])}", lang), state=t(f"risk.state.{row['state']}", lang)),
                w["explanation"].iloc[0], self._generic(ev, int(ev.get("grade", 0)),
                                                        " → ".join("—" if v is None else f"{v:.1f}"
                                                                   for v in ev.get("trend") or []))]
        if ev.get("require"):
            conds = "; ".join(f"{c.get('indicator') or ''} {c['statistic']} {c['op']} {c['value']:g} "
                              f"({'—' if c.get('actual') is None else round(c['actual'], 2)})" for c in ev["require"])
            text.append(t("risk.explain.require", lang, conditions=conds))
        return Result("warnings.show", self.cw.meta(id=int(wid)), {"warning": w, "history": hist, "events": events},
                      text)

    # -- lifecycle --------------------------------------------------------------------------------
    def transition(self, wid: int, action: str, actor: str | None = None, **fields: Any) -> Result:
        """Apply a user action (ack, assign, confirm, no_impact, resolve, comment, override).

        ``fields``: ``owner`` (assign), ``due`` (YYYY-MM-DD), ``note``, ``code`` (resolve),
        ``impact`` (confirm; dict), ``grade`` (override).
        """
        action = action.replace("-", "_")
        actor = actor or self.cw.actor
        lang = self.cw.lang
        with self.store.transaction():
            row = self._get(wid)
            try:
                to_state = check_transition(row["state"], action, fields)
            except TransitionError as exc:
                if exc.reason == "action":
                    raise UsageError("risk.bad_action", action=action, allowed=", ".join(ACTIONS)) from None
                if exc.reason == "state":
                    allowed = ", ".join(t(f"risk.state.{x}", lang) for x in exc.detail.split(", "))
                    raise InputError("risk.bad_state", id=wid, state=t(f"risk.state.{row['state']}", lang),
                                     action=t(f"risk.action.{action}", lang), allowed=allowed) from None
                if exc.reason == "value":
                    raise InputError("risk.bad_value", allowed=exc.detail) from None
                raise InputError("risk.missing_field", action=action, field=exc.detail) from None
            due = fields.get("due")
            if due is not None and due != "":
                try:
                    due = date.fromisoformat(str(due))
                except ValueError:
                    raise InputError("risk.bad_date", value=due) from None
            sets: dict[str, Any] = {"state": to_state, "updated_at": datetime.now()}
            payload: dict[str, Any] = {}
            if action == "assign":
                sets["owner"] = payload["owner"] = fields["owner"]
            if due:
                sets["due_at"] = due
                payload["due"] = str(due)
            new_grade = None
            if action == "override":
                g = int(fields["grade"])
                if not 0 <= g <= 4:
                    raise InputError("risk.bad_value", allowed="0, 1, 2, 3, 4")
                sets["grade"], sets["grade_source"], new_grade = g, "override", g
            if action == "confirm" and fields.get("impact"):
                sets["impact"] = json.dumps(fields["impact"], ensure_ascii=False)
                payload["impact"] = fields["impact"]
            if action == "resolve":
                resolution = {"code": fields.get("code") or ("no_impact" if row["state"] == "no_impact"
                                                             else "recovered"),
                              "note": fields.get("note"), "by": actor}
                sets["resolution"] = json.dumps(resolution, ensure_ascii=False)
                sets["resolved_period"] = row["period"]
                payload["resolution"] = resolution
            assign = ", ".join(f"{k} = ?" for k in sets)
            self.store.execute(f"UPDATE warning SET {assign} WHERE id = ?", [*sets.values(), int(wid)])
            self._append_events([{"warning_id": int(wid), "action": action, "from_state": row["state"],
                                  "to_state": to_state, "from_grade": int(row["grade"]) if new_grade is not None
                                  else None, "to_grade": new_grade, "payload": payload, "note": fields.get("note"),
                                  "actor": actor}], actor=actor, period=row["period"], at=datetime.now())
        self.store.audit(actor, f"warning.{action}", str(wid), json.dumps(payload, ensure_ascii=False, default=str))
        res = self.show(wid)
        res.command = f"warnings.{action}"
        res.text.insert(0, t("risk.transition.done", lang, id=wid, action=t(f"risk.action.{action}", lang),
                             state=t(f"risk.state.{to_state}", lang)))
        return res

    def events(self, wid: int) -> builtins.list[dict[str, Any]]:
        """The raw audit events of a warning (for replay and verification)."""
        self._get(wid)
        df = self.store.df("SELECT * FROM warning_event WHERE warning_id = ? ORDER BY seq", [int(wid)])
        rows: builtins.list[dict[str, Any]] = df.to_dict("records")
        for r in rows:
            r["event_at"] = pd.Timestamp(r["event_at"]).isoformat(timespec="microseconds")
            for c in ("from_grade", "to_grade"):
                r[c] = None if pd.isna(r[c]) else int(r[c])
            for c in ("from_state", "to_state", "note", "prev_hash"):
                r[c] = None if r[c] is None or (isinstance(r[c], float) and np.isnan(r[c])) else r[c]
        return rows

    # -- summary ----------------------------------------------------------------------------------
    def has_run(self, period: str) -> bool:
        """Whether warnings have been computed for ``period`` (a run may find no warning at all)."""
        return bool(self.store.scalar("SELECT count(*) FROM warning_run WHERE period = ?", [period]))

    def summary(self, period: str) -> Result:
        """Counts by level and subject level for ``period``; new, cleared and resolved in the period."""
        p = str(Period.parse(period))
        scope, params = self._scope_sql()
        lang = self.cw.lang
        by = self.store.df(f"""SELECT subject_level, grade, count(*) AS n FROM warning
                               WHERE period = ? AND grade > 0{scope} GROUP BY subject_level, grade""", [p, *params])
        rows: builtins.list[dict[str, Any]] = []
        for sl in SUBJECTS:
            sub = by[by["subject_level"] == sl]
            row: dict[str, Any] = {"subject_level": sl, "subject_text": t(f"risk.subject.{sl}", lang)}
            for g in range(4, 0, -1):
                row[LEVELS[g]] = int(sub.loc[sub["grade"] == g, "n"].sum())
            row["total"] = int(sub["n"].sum())
            rows.append(row)
        new = self.store.scalar(f"SELECT count(*) FROM warning WHERE first_period = ?{scope}", [p, *params])
        resolved = self.store.scalar(f"SELECT count(*) FROM warning WHERE resolved_period = ?{scope}", [p, *params])
        cleared = self.store.scalar(f"SELECT count(*) FROM warning WHERE period = ? AND grade = 0{scope}", [p, *params])
        open_ = self.store.scalar(f"SELECT count(*) FROM warning WHERE state <> 'resolved'{scope}", params)
        overdue = self.store.scalar(f"SELECT count(*) FROM warning WHERE state = 'new' AND due_at < current_date"
                                    f"{scope}", params)
        totals = {LEVELS[g]: sum(r[LEVELS[g]] for r in rows) for g in range(1, 5)}
        meta = self.cw.meta(period=p, new=int(new), resolved=int(resolved), cleared=int(cleared),
                            open=int(open_), overdue=int(overdue), **totals)
        text = [t("risk.summary.title", lang, period=p)]
        return Result("warnings.summary", meta, {"by_level": rows}, text)


def _services() -> dict[str, str]:
    """Which sibling services exist in this build, and how the warning run relates to them."""
    import importlib.util

    def have(mod: str) -> bool:
        return importlib.util.find_spec(f"chainwatch.service.{mod}") is not None

    return {
        "stats": "present; same-caliber conventions shared (cross-checked in tests), computed in bulk here"
        if have("stats") else "absent; same-caliber sums computed here",
        "chains": "present; memberships read from segment_enterprise" if have("chains")
        else "absent; memberships read from segment_enterprise",
        "trade": "present; trailing-12-month dependence computed here (trade.segment_dependence is year-to-date)"
        if have("trade") else "absent; dependence computed here from trade_flow",
    }


def needed_indicators(rs: RuleSet) -> tuple[str, ...]:
    """The monthly_value columns a rule set reads (only these are loaded)."""
    need = {"gross_output"}
    for r in rs.rules:
        need.update(x for x in (r.indicator, r.denominator) if x)
        need.update(c.indicator for c in r.require if c.indicator)
        need.update(c.denominator for c in r.require if c.denominator)
        if r.statistic == "composite_risk":
            need.update(("gross_output", "total_profit", "electricity", "export_value"))
        if r.statistic == "nbs_signal":
            need.update(r.params.get("indicators", ["gross_output", "value_added", "total_profit", "electricity",
                                                    "export_value"]))
    return tuple(i for i in INDICATORS if i in need)


def _reporting(inputs: RiskInputs) -> set[str]:
    """Enterprises with at least one value in the last period."""
    has = np.zeros(len(inputs.ent_ids), dtype=bool)
    for arr in inputs.values.values():
        has |= ~np.isnan(arr[:, -1])
    return set(inputs.ent_ids[has].tolist())


def _coverage(inputs: RiskInputs) -> dict[str, Any]:
    """Reporting enterprises this period and as a share of those reporting a year earlier (data freshness)."""
    out = inputs.values.get("gross_output")
    if out is None:
        return {}
    now = int((~np.isnan(out[:, -1])).sum())
    before = int((~np.isnan(out[:, -1 - inputs.lag])).sum()) if out.shape[1] > inputs.lag else 0
    return {"reporting_enterprises": now,
            "reporting_vs_year_earlier_pct": round(100.0 * now / before, 2) if before else None}


def _dependence(m: np.ndarray, e: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Import dependence in %: ``M / (Q + M − E)``; where apparent consumption is ≤ 0 or below the
    imports (processing trade, re-exports) fall back to ``M / (Q + M)`` (risk-methods.md §1.1)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        cons = q + m - e
        main = np.where((cons > 0) & (m <= cons), 100.0 * m / cons, np.nan)
        alt = np.where(q + m > 0, 100.0 * m / (q + m), np.nan)
    return np.where(np.isnan(main), alt, main)


def _f(v: Any) -> float | None:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return None if np.isnan(f) else round(f, 4)
