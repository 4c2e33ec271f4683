"""Support policies as data: a versioned YAML file per policy, validated into a :class:`Policy`.

A policy names its issuer, document number, validity dates, budget, benefit (fixed amount, or a rate of
an enterprise attribute with a cap) and its eligibility conditions. The conditions use the same rules
engine and attribute catalogue as the tier rule sets (:mod:`chainwatch.analytics.rules`): one mechanism.

Example::

    id: rd-subsidy-zjtx
    version: 1
    name: {zh: 专精特新企业研发费用补助, en: R&D subsidy for 专精特新 enterprises}
    issuer: {zh: 市经济和信息化局, en: Municipal Bureau of Economy and Information Technology}
    document: 示例〔2022〕1号
    valid_from: 2022-01-01
    valid_to: 2022-12-31
    mode: no_application          # 免申即享; or fast_application (快申快享)
    budget: 1000万元
    benefit: {kind: rate, rate: "10%", base: rd_expense_y1, cap: 50万元}
    near_miss: {max_unmet: 1}
    conditions:
      - {id: c1, attribute: title_zjtx, value: true}
      - {id: c2, attribute: rd_share_y1, op: ">=", value: "3%"}
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from chainwatch.analytics.rules.attributes import ATTRIBUTES
from chainwatch.analytics.rules.model import RuleFile, RuleProblem, RulesInvalid, parse_rule_file
from chainwatch.analytics.rules.values import ValueProblem, parse_value

MODES = ("no_application", "fast_application")
BENEFIT_KINDS = ("fixed", "rate")
META_KEYS = {"id", "version", "name", "issuer", "document", "valid_from", "valid_to", "mode", "budget", "benefit",
             "near_miss", "conditions", "reference_period", "description", "tags"}


@dataclass(frozen=True)
class Benefit:
    """What an eligible enterprise receives: ``fixed`` ``amount`` (yuan), or ``rate`` × ``base`` capped at ``cap``."""

    kind: str
    amount: float | None = None
    rate: float | None = None
    base: str | None = None
    cap: float | None = None


@dataclass(frozen=True)
class Policy:
    id: str
    version: str
    name: dict[str, str]
    issuer: dict[str, str]
    document: str
    valid_from: date | None
    valid_to: date | None
    mode: str
    budget: float | None
    benefit: Benefit | None
    max_unmet: int
    rules: RuleFile
    reference_period: str | None = None
    description: dict[str, str] = field(default_factory=dict)
    source: str = ""

    def label(self, lang: str) -> str:
        return self.name.get(lang) or self.name.get("zh") or self.id

    def in_force(self, d: date) -> bool:
        return (self.valid_from is None or d >= self.valid_from) and (self.valid_to is None or d <= self.valid_to)


def _text(v: Any) -> dict[str, str]:
    if isinstance(v, dict):
        zh = str(v.get("zh") or v.get("en") or "")
        return {"zh": zh, "en": str(v.get("en") or zh)}
    return {"zh": str(v or ""), "en": str(v or "")}


def parse_policy(data: Any, source: str) -> Policy:
    """Validate a policy mapping; raise :class:`RulesInvalid` listing every problem (policy, condition, problem)."""
    problems: list[RuleProblem] = []

    def bad(where: str, problem: str, **params: Any) -> None:
        problems.append(RuleProblem(source, where, problem, params))

    if not isinstance(data, dict):
        raise RulesInvalid(source, [RuleProblem(source, "-", "not_a_mapping", {"got": type(data).__name__})])
    extra = sorted(set(data) - META_KEYS)
    if extra:
        bad("-", "unknown_key", keys=", ".join(extra))
    pid = str(data.get("id") or "")
    if not pid:
        bad("id", "no_id")
    if not data.get("name"):
        bad("name", "policy_no_name")
    dates: dict[str, date | None] = {}
    for k in ("valid_from", "valid_to"):
        try:
            dates[k] = parse_value(data[k], "date") if data.get(k) is not None else None
        except ValueProblem as exc:
            bad(k, "bad_value", value=exc.value, expected=exc.expected, attribute=k)
            dates[k] = None
    vf, vt = dates.get("valid_from"), dates.get("valid_to")
    if vf is not None and vt is not None and vf > vt:
        bad("valid_to", "policy_dates_order", valid_from=str(vf), valid_to=str(vt))
    mode = str(data.get("mode") or "no_application")
    if mode not in MODES:
        bad("mode", "policy_bad_mode", value=mode, allowed=", ".join(MODES))
    budget = None
    if data.get("budget") is not None:
        try:
            budget = parse_value(data["budget"], "money")
        except ValueProblem as exc:
            bad("budget", "bad_value", value=exc.value, expected=exc.expected, attribute="budget")
    benefit = _benefit(data.get("benefit"), bad)
    near = data.get("near_miss") or {}
    max_unmet = near.get("max_unmet", 1) if isinstance(near, dict) else 1
    if not isinstance(max_unmet, int) or max_unmet < 0:
        bad("near_miss", "bad_value", value=max_unmet, expected="a whole number ≥ 0", attribute="max_unmet")
        max_unmet = 1
    ref = data.get("reference_period")
    if ref is not None and not (isinstance(ref, str) and len(ref) == 7 and ref[4] == "-" and ref[:4].isdigit()
                                and ref[5:].isdigit() and 1 <= int(ref[5:]) <= 12):
        bad("reference_period", "bad_value", value=ref, expected="a month YYYY-MM", attribute="reference_period")
    rules = None
    try:
        rules = parse_rule_file({"id": pid or "-", "conditions": data.get("conditions")}, source)
    except RulesInvalid as exc:
        problems.extend(exc.problems)
    if problems or rules is None:
        raise RulesInvalid(source, problems)
    return Policy(pid, str(data.get("version", "1")), _text(data.get("name")), _text(data.get("issuer")),
                  str(data.get("document") or ""), dates.get("valid_from"), dates.get("valid_to"), mode, budget,
                  benefit, int(max_unmet), rules, ref, _text(data.get("description")) if data.get("description") else {},
                  source)


def _benefit(raw: Any, bad: Any) -> Benefit | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        bad("benefit", "not_a_mapping", got=repr(raw)[:40])
        return None
    kind = raw.get("kind", "fixed")
    if kind not in BENEFIT_KINDS:
        bad("benefit", "policy_bad_benefit", value=kind, allowed=", ".join(BENEFIT_KINDS))
        return None
    try:
        if kind == "fixed":
            return Benefit("fixed", amount=parse_value(raw.get("amount"), "money"))
        base = raw.get("base")
        meta = ATTRIBUTES.get(str(base))
        if meta is None or meta.kind != "money":
            bad("benefit", "policy_bad_base", base=base)
            return None
        cap = parse_value(raw["cap"], "money") if raw.get("cap") is not None else None
        return Benefit("rate", rate=parse_value(raw.get("rate"), "ratio"), base=str(base), cap=cap)
    except ValueProblem as exc:
        bad("benefit", "bad_value", value=exc.value, expected=exc.expected, attribute="benefit")
        return None
