"""Policy service: support policies as rules; who qualifies without applying (免申即享).

``cw.policy.list()``, ``.match(policy_id)``, ``.for_enterprise(uscc)``, ``.add(path)``, ``.validate(path)``.
Policies are YAML files (:mod:`chainwatch.analytics.policy.model`): the examples shipped with the package
plus the ones users load (table ``policy_doc``, every version kept; the latest version of an id wins).
Matching uses the shared rules engine, vectorised over all enterprises in ``cw.scope``.
"""

from __future__ import annotations

import builtins
import hashlib
from datetime import date, datetime
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import yaml

from chainwatch.analytics.cultivation.catalog import load_settings
from chainwatch.analytics.cultivation.inputs import build_inputs
from chainwatch.analytics.policy.match import PolicyMatch, match_policy, policy_inputs
from chainwatch.analytics.policy.model import Policy, parse_policy
from chainwatch.analytics.rules.attributes import ATTRIBUTES
from chainwatch.analytics.rules.engine import Inputs
from chainwatch.analytics.rules.model import RuleProblem, RulesInvalid
from chainwatch.analytics.rules.report import condition_rows, gap_rows, missing_inputs
from chainwatch.analytics.rules.values import format_value
from chainwatch.errors import InputError, NotFound, ValidationFailed
from chainwatch.i18n import t
from chainwatch.model.codes import uscc_problem
from chainwatch.service.result import Result

if TYPE_CHECKING:
    from chainwatch.service import Chainwatch

WAN = 10_000.0
MONTHLY_GROUP = {a.name for a in ATTRIBUTES.values() if a.group == "monthly"} | {"size_class"}
BASIC = {"district", "industry", "division", "section", "chains", "segments", "above_size", "above_size_new"}


def shipped_policy_files() -> list[tuple[str, str]]:
    """(file name, text) of the example policies in the package."""
    folder = resources.files("chainwatch.analytics.policy") / "policies"
    return sorted((p.name, p.read_text(encoding="utf-8")) for p in folder.iterdir() if p.name.endswith(".yaml"))


def _problem_text(p: RuleProblem, lang: str) -> str:
    key = f"cultivation.rule.{p.problem}"
    if not t(key, "en").startswith(key):
        detail = t(key, lang, **p.params)
    else:
        detail = t(f"policy.problem.{p.problem}", lang, **p.params)
    return t("policy.problem_line", lang, policy=p.source, condition=p.condition, problem=detail)


class PolicyService:
    """``cw.policy``: see docs/policy.md."""

    def __init__(self, cw: Chainwatch) -> None:
        self.cw = cw
        self.store = cw.store
        self._inputs: dict[tuple[str, bool], tuple[Inputs, pd.DataFrame]] = {}

    def _t(self, key: str, **params: Any) -> str:
        return t(key, self.cw.lang, **params)

    # -- policies ----------------------------------------------------------------------------------
    def parse(self, text: str, source: str) -> Policy:
        """Parse and validate a policy text; raise ValidationFailed naming the policy, condition and problem."""
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            line = mark.line + 1 if mark is not None else "?"
            raise InputError("policy.bad_yaml", policy=source, line=line, detail=str(exc).splitlines()[0]) from None
        try:
            policy = parse_policy(data, source)
        except RulesInvalid as exc:
            errors = [{"policy": p.source, "condition": p.condition, "problem": p.problem, "params": p.params,
                       "message": _problem_text(p, self.cw.lang)} for p in exc.problems]
            first = errors[0]
            raise ValidationFailed("policy.invalid", errors=errors, policy=source, n=len(errors),
                                   detail=first["message"]) from None
        self._check_codes(policy)
        return policy

    def _check_codes(self, policy: Policy) -> None:
        """Reject chain, segment and district codes the database does not know."""
        checks = {"chains": ("chain", "chain_id"), "segments": ("segment", "segment_id"), "district": ("region", "code")}
        for leaf in policy.rules.leaves():
            if leaf.attribute not in checks or not isinstance(leaf.value, list):
                continue
            table, col = checks[leaf.attribute]
            if not self.store.table_exists(table) or not self.store.scalar(f"SELECT count(*) FROM {table}"):
                continue
            known = {str(r[0]) for r in self.store.rows(f"SELECT {col} FROM {table}")}
            unknown = [v for v in leaf.value if str(v) not in known]
            if unknown:
                msg = self._t("policy.problem_line", policy=policy.source, condition=leaf.id,
                              problem=self._t("policy.problem.unknown_code", attribute=leaf.attribute,
                                              value=", ".join(map(str, unknown))))
                raise ValidationFailed("policy.invalid", errors=[{"policy": policy.source, "condition": leaf.id,
                                                                   "problem": "unknown_code", "message": msg}],
                                       policy=policy.source, n=1, detail=msg)

    def catalog(self) -> dict[str, Policy]:
        """Every policy by id: shipped examples, overridden by the latest stored version of the same id."""
        out: dict[str, Policy] = {}
        for name, text in shipped_policy_files():
            p = parse_policy(yaml.safe_load(text), name)
            out[p.id] = p
        if self.store.table_exists("policy_doc"):
            rows = self.store.rows("SELECT policy_id, body, source FROM policy_doc ORDER BY loaded_at")
            for _pid, body, source in rows:
                p = parse_policy(yaml.safe_load(body), source or _pid)
                out[p.id] = p
        return out

    def get(self, policy_id: str, allow_file: bool = False) -> Policy:
        """The policy ``policy_id``; with ``allow_file`` (CLI only) also a policy YAML file path."""
        cat = self.catalog()
        if policy_id not in cat:
            path = Path(policy_id)
            if allow_file and path.suffix in (".yaml", ".yml") and path.is_file():
                return self.parse(path.read_text(encoding="utf-8"), path.name)
            raise NotFound("policy.unknown", policy=policy_id, known=", ".join(sorted(cat)))
        return cat[policy_id]

    def validate(self, path: str | Path) -> Result:
        p = Path(path)
        if not p.is_file():
            raise InputError("policy.file_missing", path=str(p))
        policy = self.parse(p.read_text(encoding="utf-8"), p.name)
        return Result("policy validate", self.cw.meta(policy=policy.id, version=policy.version),
                      {"conditions": self._condition_table(policy)}, [self._t("policy.valid", policy=policy.id)])

    def add(self, path: str | Path) -> Result:
        """Validate a policy file and store it (a new version of its id)."""
        p = Path(path)
        if not p.is_file():
            raise InputError("policy.file_missing", path=str(p))
        return self.add_policy(p.read_text(encoding="utf-8"), p.name)

    def add_policy(self, policy: dict[str, Any] | str, source: str = "api") -> Result:
        """Define a policy through the API (a mapping or YAML text): validated and stored like a file."""
        text = policy if isinstance(policy, str) else yaml.safe_dump(policy, allow_unicode=True, sort_keys=False)
        parsed = self.parse(text, source)
        sha = hashlib.sha256(text.encode("utf-8")).hexdigest()
        with self.store.transaction() as con:
            con.execute("DELETE FROM policy_doc WHERE policy_id = ? AND version = ?", [parsed.id, parsed.version])
            con.execute("INSERT INTO policy_doc VALUES (?, ?, ?, ?, ?, ?, ?)",
                        [parsed.id, parsed.version, text, sha, source, datetime.now(), self.cw.actor])
        self.store.audit(self.cw.actor, "policy.add", parsed.id, f"version {parsed.version} sha256 {sha[:12]}")
        return Result("policy add", self.cw.meta(policy=parsed.id, version=parsed.version, sha256=sha), {},
                      [self._t("policy.added", policy=parsed.id, version=parsed.version)])

    def list(self) -> Result:
        today = date.today()
        rows = []
        for p in self.catalog().values():
            rows.append({"policy_id": p.id, "version": p.version, "name": p.label(self.cw.lang),
                         "issuer": p.issuer[self.cw.lang], "document": p.document,
                         "valid_from": p.valid_from, "valid_to": p.valid_to, "mode": p.mode,
                         "mode_label": self._t(f"policy.mode.{p.mode}"),
                         "budget": None if p.budget is None else p.budget / WAN,
                         "conditions": len(p.rules.conditions), "in_force_today": p.in_force(today),
                         "source": p.source})
        return Result("policy list", self.cw.meta(units="万元"), {"policies": pd.DataFrame(rows)})

    # -- inputs ------------------------------------------------------------------------------------
    def _ref_period(self, policy: Policy) -> str:
        if policy.reference_period:
            return policy.reference_period
        latest = self.store.scalar("SELECT max(period) FROM monthly_value")
        return str(latest) if latest else f"{date.today().year - 1}-12"

    def _scope_where(self, col: str) -> tuple[str, builtins.list[Any]]:
        if self.cw.scope is None:
            return "TRUE", []
        if not self.cw.scope:
            return "FALSE", []
        return "(" + " OR ".join(f"starts_with({col}, ?)" for _ in self.cw.scope) + ")", list(self.cw.scope)

    def inputs(self, period: str, annual: bool = True, uscc: str | None = None) -> tuple[Inputs, pd.DataFrame]:
        """Engine inputs of every enterprise in scope for reference month ``period`` (cached)."""
        key = (f"{period}|{uscc}", annual)
        if key in self._inputs:
            return self._inputs[key]
        y, m = int(period[:4]), int(period[5:7])
        where, params = self._scope_where("e.district")
        if uscc:
            where += " AND e.uscc = ?"
            params.append(uscc)
        ent = self.store.df(f"SELECT e.uscc, e.name, e.district, coalesce(r.name, e.district) AS district_name, "
                            f"e.industry, e.division, e.section FROM enterprise e LEFT JOIN region r "
                            f"ON r.code = e.district WHERE {where} ORDER BY e.uscc", params)
        with self.store.locked():  # one connection: the temporary table is visible to every query
            self.store.execute("DROP TABLE IF EXISTS _cw_pol_ids")
            self.store.execute("CREATE TEMP TABLE _cw_pol_ids (uscc VARCHAR)")
            with self.store.registered("_cw_pol_ids_df", ent[["uscc"]]):
                self.store.execute("INSERT INTO _cw_pol_ids SELECT uscc FROM _cw_pol_ids_df")
            monthly = self.store.df(
                """SELECT v.uscc,
                     sum(revenue) FILTER (WHERE year = {y} AND month <= {m}) AS revenue_cur,
                     sum(revenue) FILTER (WHERE year = {y} - 1 AND month <= {m}) AS revenue_prev,
                     sum(gross_output) FILTER (WHERE year = {y} AND month <= {m}) AS output_cur,
                     sum(gross_output) FILTER (WHERE year = {y} - 1 AND month <= {m}) AS output_prev,
                     sum(total_profit) FILTER (WHERE year = {y} AND month <= {m}) AS profit_cur,
                     sum(total_profit) FILTER (WHERE year = {y} - 1 AND month <= {m}) AS profit_prev,
                     sum(export_value) FILTER (WHERE year = {y} AND month <= {m}) AS export_cur,
                     sum(export_value) FILTER (WHERE year = {y} - 1 AND month <= {m}) AS export_prev,
                     sum(revenue) FILTER (WHERE (year = {y} AND month <= {m}) OR (year = {y} - 1 AND month > {m})) AS revenue_12m,
                     max(employees) FILTER (WHERE year = {y} AND month = {m}) AS employees
                   FROM monthly_value v JOIN _cw_pol_ids i ON i.uscc = v.uscc
                   WHERE year IN ({y}, {y} - 1) GROUP BY v.uscc""".format(y=int(y), m=int(m)))
            scope = self.store.df("SELECT s.uscc, s.year, s.above_size FROM enterprise_scope s JOIN _cw_pol_ids i "
                                  "ON i.uscc = s.uscc WHERE s.year IN (?, ?)", [y, y - 1])
            members = self.store.df("SELECT se.uscc, s.chain_id, se.segment_id FROM segment_enterprise se "
                                    "JOIN segment s ON s.segment_id = se.segment_id JOIN _cw_pol_ids i ON i.uscc = se.uscc")
            warnings = None
            if self.store.table_exists("warning"):
                warnings = self.store.df(
                    "SELECT subject_id AS uscc, count(*) AS open_warnings FROM warning WHERE subject_level = 'enterprise' "
                    "AND grade > 0 AND state NOT IN ('resolved', 'no_impact') GROUP BY subject_id")
            ann = None
            if annual:
                as_of = date(y + 1, 1, 1) if m == 12 else date(y, m + 1, 1)
                rows = self.store.df("SELECT a.* FROM enterprise_annual a JOIN _cw_pol_ids i "
                                     "ON i.uscc = a.uscc WHERE a.year <= ?", [as_of.year]).drop(columns=["batch_id"])
                titles = self.store.df("SELECT t.uscc, t.title, t.valid_from, t.valid_to, t.category FROM enterprise_title t "
                                       "JOIN _cw_pol_ids i ON i.uscc = t.uscc")
                ann, _notes = build_inputs(ent, rows, titles, as_of, load_settings())
            self.store.execute("DROP TABLE IF EXISTS _cw_pol_ids")
        inp = policy_inputs(ent, monthly, scope, ann, members, warnings, ref_year=y)
        self._inputs[key] = (inp, ent)
        return inp, ent

    def _needs_annual(self, policies: builtins.list[Policy]) -> bool:
        names: set[str] = set()
        for p in policies:
            names |= p.rules.attributes()
            if p.benefit and p.benefit.base:
                names.add(p.benefit.base)
        return bool(names - MONTHLY_GROUP - BASIC) or "size_class" in names

    # -- matching ----------------------------------------------------------------------------------
    def _condition_table(self, policy: Policy) -> pd.DataFrame:
        from chainwatch.analytics.rules.engine import node_text, threshold_text
        from chainwatch.analytics.rules.model import Leaf

        rows = []
        for nd in policy.rules.conditions:
            rule = threshold_text(nd, self.cw.lang) if isinstance(nd, Leaf) else (
                self._t("policy.any_of") if nd.mode == "any" else self._t("policy.all_of"))
            rows.append({"condition": nd.id, "text": node_text(nd, self.cw.lang),
                         "attribute": getattr(nd, "attribute", None), "rule": rule})
        return pd.DataFrame(rows)

    def _values_wide(self, m: PolicyMatch, pos: np.ndarray) -> pd.DataFrame:
        """One row per enterprise, one column per top-level condition: the value behind it."""
        if not len(pos):
            return pd.DataFrame()
        rows = condition_rows(m.evaluation, pos, self.cw.lang)
        top = {nd.id for nd in m.policy.rules.conditions}
        wide = rows[rows["condition"].isin(top)].pivot(index="id", columns="condition", values="value")
        kids = rows[(rows["value"] != "") & rows["parent"].isin(top)]
        for (u, parent), g in kids.groupby(["id", "parent"]):
            if parent in wide.columns and not wide.at[u, parent]:
                wide.at[u, parent] = "; ".join(f"{c}: {v}" for c, v in zip(g["condition"], g["value"], strict=True))
        wide = wide[[nd.id for nd in m.policy.rules.conditions]]
        return wide.rename(columns=lambda c: f"cond_{c}")

    def match(self, policy_id: str, period: str | None = None, limit: int | None = None,
              allow_file: bool = False) -> Result:
        """Eligible enterprises (with the value behind every condition), near misses, undecidable, payout.

        ``allow_file`` lets ``policy_id`` be a YAML file path (the CLI's ``policy match FILE``); surfaces
        that take user input (web API) leave it off.
        """
        policy = self.get(policy_id, allow_file=allow_file)
        if period is not None and not (len(period) == 7 and period[4] == "-" and period[:4].isdigit()
                                       and period[5:].isdigit() and 1 <= int(period[5:]) <= 12):
            raise InputError("policy.bad_period", value=period)
        ref = period or self._ref_period(policy)
        inp, ent = self.inputs(ref, annual=self._needs_annual([policy]))
        m = match_policy(policy, inp)
        lang = self.cw.lang
        names = ent.set_index("uscc")
        elig = m.positions("eligible")
        ids = inp.ids
        el = pd.DataFrame({"uscc": ids[elig]})
        if len(elig):
            el["name"] = names.loc[ids[elig], "name"].to_numpy()
            el["district"] = names.loc[ids[elig], "district_name"].to_numpy()
            el["payout"] = m.payout[elig] / WAN
            el["needs_review"] = m.evaluation.verdict[elig] == 2
            wide = self._values_wide(m, elig)
            el = el.merge(wide, left_on="uscc", right_index=True, how="left")
            el = el.sort_values(["payout", "uscc"], ascending=[False, True]).reset_index(drop=True)
        near = m.positions("near_miss")
        nm = pd.DataFrame({"uscc": ids[near]})
        if len(near):
            gaps = gap_rows(m.evaluation, near, lang)
            gaps = gaps[gaps["status"] == "fail"]
            lack = gaps.groupby("id").apply(lambda g: "; ".join(
                f"{t_} ({v} → {n})" for t_, v, n in zip(g["text"], g["value"], g["needed"], strict=True)),
                include_groups=False)
            short = gaps.groupby("id")["shortfall"].sum()
            nm["name"] = names.loc[ids[near], "name"].to_numpy()
            nm["district"] = names.loc[ids[near], "district_name"].to_numpy()
            nm["unmet"] = m.evaluation.unmet[near]
            nm["lacking"] = nm["uscc"].map(lack).fillna("")
            nm["shortfall_pct"] = (nm["uscc"].map(short).fillna(0) * 100).round(2)
            nm = nm.sort_values(["unmet", "shortfall_pct", "uscc"]).reset_index(drop=True)
        und = m.positions("undecidable")
        ud = pd.DataFrame({"uscc": ids[und]})
        if len(und):
            miss = missing_inputs(m.evaluation, und)
            ud["name"] = names.loc[ids[und], "name"].to_numpy()
            ud["district"] = names.loc[ids[und], "district_name"].to_numpy()
            ud["missing"] = [", ".join(ATTRIBUTES[a].label(lang) for a in ms if a in ATTRIBUTES) for ms in miss]
            ud["missing_attributes"] = [", ".join(ms) for ms in miss]
        if limit:
            el, nm, ud = el.head(limit), nm.head(limit), ud.head(limit)
        total = m.total_payout / WAN
        budget = None if policy.budget is None else policy.budget / WAN
        counts = m.counts()
        summary = [{
            "policy_id": policy.id, "version": policy.version, "mode": policy.mode, "reference_period": ref,
            "enterprises": inp.n, "eligible": counts["eligible"], "needs_review": int((m.evaluation.verdict == 2).sum()),
            "near_miss": counts["near_miss"], "undecidable": counts["undecidable"], "payout_total": round(total, 2),
            "budget": budget, "budget_used_pct": None if not budget else round(100 * total / budget, 2),
            "pro_rata_factor_pct": None if not budget or total <= budget else round(100 * budget / total, 2),
        }]
        text = [self._t("policy.match_header", policy=policy.label(lang), document=policy.document,
                        mode=self._t(f"policy.mode.{policy.mode}"), period=ref),
                self._t("policy.match_counts", eligible=counts["eligible"], near=counts["near_miss"],
                        undecidable=counts["undecidable"], total=format_value(total * WAN, "money", lang),
                        budget=format_value(policy.budget, "money", lang) if policy.budget else "—")]
        if budget and total > budget:
            text.append(self._t("policy.over_budget", factor=summary[0]["pro_rata_factor_pct"]))
        meta = self.cw.meta(policy=policy.id, version=policy.version, reference_period=ref, units="万元",
                            scope=self.cw.scope, document=policy.document)
        return Result("policy match", meta, {"summary": summary, "conditions": self._condition_table(policy),
                                             "eligible": el, "near_misses": nm, "undecidable": ud}, text)

    def for_enterprise(self, uscc: str) -> Result:
        """Every policy an enterprise qualifies for, nearly qualifies for, or cannot be decided on, and why."""
        if uscc_problem(uscc):
            raise InputError("policy.bad_uscc", uscc=uscc)
        lang = self.cw.lang
        rows = []
        cat = list(self.catalog().values())
        by_period: dict[str, builtins.list[Policy]] = {}
        for p in cat:
            by_period.setdefault(self._ref_period(p), []).append(p)
        found = False
        for ref, pols in by_period.items():
            inp, ent = self.inputs(ref, annual=self._needs_annual(pols), uscc=uscc)
            if not inp.n:
                continue
            found = True
            for p in pols:
                m = match_policy(p, inp)
                k = str(m.klass[0])
                pos = np.array([0])
                why = ""
                if k == "near_miss" or k == "not_eligible":
                    g = gap_rows(m.evaluation, pos, lang)
                    g = g[g["status"] == "fail"]
                    why = "; ".join(f"{t_} ({v} → {n})" for t_, v, n in zip(g["text"], g["value"], g["needed"], strict=True))
                elif k == "undecidable":
                    why = ", ".join(ATTRIBUTES[a].label(lang) for a in missing_inputs(m.evaluation, pos)[0])
                elif k == "eligible":
                    c = condition_rows(m.evaluation, pos, lang)
                    c = c[(c["depth"] == 0)]
                    why = "; ".join(f"{tx}: {v}" if v else tx for tx, v in zip(c["text"], c["value"], strict=True))
                rows.append({"policy_id": p.id, "name": p.label(lang), "mode": p.mode, "status": k,
                             "status_label": self._t(f"policy.class.{k}"), "payout": m.payout[0] / WAN,
                             "unmet": int(m.evaluation.unmet[0]), "why": why, "reference_period": ref,
                             "in_force_today": p.in_force(date.today())})
        if not found:
            raise NotFound("policy.no_enterprise", uscc=uscc)
        order = {"eligible": 0, "near_miss": 1, "undecidable": 2, "not_eligible": 3}
        df = pd.DataFrame(rows).sort_values(["status", "policy_id"], key=lambda s: s.map(order) if s.name == "status" else s)
        return Result("policy for", self.cw.meta(uscc=uscc, units="万元", scope=self.cw.scope), {"policies": df})
