"""Warning rules files: schema, parser and validation with file and line in every error.

A rules file is YAML (see ``docs/warnings.md`` and ``rulesets/default.yaml``)::

    version: "2026.11"            # required; stored with every warning it produces
    defaults:                     # optional
      persistence: {raise: {blue: 3, yellow: 2, orange: 1, red: 1}, lower: 2}
    rules:
      - id: ent_output_decline
        subject: enterprise        # enterprise | segment | chain | district | total
        indicator: gross_output
        statistic: month_yoy_pct
        direction: below           # below: low values are adverse; above: high values are
        thresholds: {blue: -10, yellow: -20, orange: -30, red: -50}
        persistence: 3             # or {raise: {...}, lower: 2}
        require:                   # optional extra conditions, all must hold
          - {indicator: gross_output, statistic: prior_level, op: ">=", value: 100}
        message: {zh: "…{value}…", en: "…{value}…"}

Every problem is reported with the file, the line (from the YAML node marks) and the path of the
offending entry; all problems of a file are reported together.
"""

from __future__ import annotations

import hashlib
import re
import string
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from chainwatch.analytics.risk.levels import DEFAULT_LOWER, DEFAULT_RAISE, GRADE, LEVELS
from chainwatch.errors import ValidationFailed

SUBJECTS: tuple[str, ...] = ("enterprise", "segment", "chain", "district", "total")
INDICATORS: tuple[str, ...] = ("gross_output", "value_added", "revenue", "total_profit", "taxes",
                               "export_value", "electricity", "employees")
_ALL = SUBJECTS
_GROUPS = ("segment", "chain", "district", "total")
_PARTS = ("enterprise", "segment", "chain", "district")
#: statistic -> (subjects allowed, needs indicator, needs thresholds)
STATISTICS: dict[str, tuple[tuple[str, ...], bool, bool]] = {
    "level": (_ALL, True, True),
    "ytd_level": (_ALL, True, True),
    "prior_level": (_ALL, True, True),
    "prior_ytd_level": (_ALL, True, True),
    "month_yoy_pct": (_ALL, True, True),
    "ytd_yoy_pct": (_ALL, True, True),
    "ytd_ratio_pct": (_ALL, True, True),
    "share_pct": (_PARTS, True, True),
    "share_change_pp": (_PARTS, True, True),
    "vs_city_pp": (_PARTS, True, True),
    "consecutive_decline": (_ALL, True, True),
    "robust_z": (_ALL, True, True),
    "changepoint_z": (_ALL, True, True),
    "diffusion": (_GROUPS, True, True),
    "import_dependence_pct": (("segment", "chain"), False, True),
    "import_dependence_change_pp": (("segment", "chain"), False, True),
    "single_supplier_grade": (("segment",), False, True),
    "composite_risk": (("chain", "total"), False, True),
    "nbs_signal": (("chain", "total"), False, False),
}
#: statistics whose value is already an adverse score (higher = worse, whatever ``direction`` says)
ADVERSE_SCORE_STATS: tuple[str, ...] = ("robust_z", "changepoint_z", "composite_risk")
OPS = ("<", "<=", ">", ">=", "==", "!=")
KINDS = ("operating", "structural")
PLACEHOLDERS = frozenset({"subject", "subject_id", "value", "threshold", "level", "months", "indicator",
                          "period", "trend", "prior", "unit"})
_ID_RE = re.compile(r"^[a-z][a-z0-9_]{1,62}$")
_RULE_KEYS = {"id", "title", "kind", "subject", "indicator", "statistic", "direction", "thresholds",
              "persistence", "require", "message", "enabled", "denominator", "min_base", "params"}
_TOP_KEYS = {"version", "name", "description", "defaults", "rules"}
_DEFAULT_KEYS = {"persistence", "breadth_escalate_at", "rollup_segment_weight_min", "cooldown_months",
                 "sla_days", "composite_weights"}


@dataclass(frozen=True)
class Condition:
    """An extra condition ``<indicator>.<statistic> <op> <value>`` that must also hold."""

    statistic: str
    op: str
    value: float
    indicator: str | None = None
    denominator: str | None = None


@dataclass(frozen=True)
class Rule:
    """One validated rule."""

    id: str
    subject: str
    statistic: str
    direction: str
    thresholds: dict[str, float]
    message: dict[str, str]
    indicator: str | None = None
    kind: str = "operating"
    title: dict[str, str] = field(default_factory=dict)
    raise_months: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_RAISE))
    lower_months: int = DEFAULT_LOWER
    k_of_n: tuple[int, int] | None = None
    require: tuple[Condition, ...] = ()
    denominator: str | None = None
    min_base: float | None = None
    params: dict[str, Any] = field(default_factory=dict)
    line: int = 0


@dataclass(frozen=True)
class RuleSet:
    """A validated rules file."""

    version: str
    rules: tuple[Rule, ...]
    source: str
    sha256: str
    text: str
    name: dict[str, str] = field(default_factory=dict)
    breadth_escalate_at: int = 3
    rollup_segment_weight_min: float = 0.10
    cooldown_months: int = 3
    sla_days: dict[str, int] = field(default_factory=lambda: {"blue": 10, "yellow": 5, "orange": 2, "red": 1})
    composite_weights: dict[str, float] = field(default_factory=dict)

    def by_subject(self, subject: str) -> list[Rule]:
        return [r for r in self.rules if r.subject == subject]


class RulesFileError(ValidationFailed):
    """A rules file failed validation; ``errors`` is a list of ``{file, line, path, key, params}``."""

    def __init__(self, file: str, errors: list[dict[str, Any]]) -> None:
        super().__init__("risk.rules.invalid", errors=errors, file=file, n=len(errors))

    def message(self, lang: str = "zh") -> str:
        from chainwatch.i18n import t

        head = t("risk.rules.invalid", lang, file=self.params["file"], n=self.params["n"])
        lines = [t("risk.rules.where", lang, file=e["file"], line=e["line"] or "?", path=e["path"] or "/",
                   problem=t(e["key"], lang, **e["params"])) for e in self.errors]
        return "\n".join([head, *lines])


class _Walker:
    """Turns a composed YAML node tree into Python values while remembering each node's line."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.lines: dict[str, int] = {}
        self.errors: list[dict[str, Any]] = []
        self._loader = yaml.SafeLoader("")

    def err(self, path: str, msg: str, /, line: int | None = None, **params: Any) -> None:
        self.errors.append({"file": self.file, "line": line if line is not None else self.line(path),
                            "path": path, "key": msg, "params": params})

    def line(self, path: str) -> int:
        while path and path not in self.lines:
            path = re.sub(r"(\.[^.\[]*|\[\d+\])$", "", path)
        return self.lines.get(path, 1)

    def value(self, node: yaml.Node, path: str) -> Any:
        self.lines[path] = node.start_mark.line + 1
        if isinstance(node, yaml.MappingNode):
            out: dict[str, Any] = {}
            for knode, vnode in node.value:
                key = str(self._loader.construct_object(knode))
                sub = f"{path}.{key}" if path else key
                if key in out:
                    self.err(sub, "risk.rules.duplicate_key", line=knode.start_mark.line + 1, key=key)
                out[key] = self.value(vnode, sub)
            return out
        if isinstance(node, yaml.SequenceNode):
            return [self.value(v, f"{path}[{i}]") for i, v in enumerate(node.value)]
        return self._loader.construct_object(node)


def load_ruleset(path: str | Path) -> RuleSet:
    """Read and validate a rules file.

    Raises
    ------
    RulesFileError
        with every problem found, each with file, line and path.
    """
    p = Path(path)
    if not p.is_file():
        raise RulesFileError(str(p), [{"file": str(p), "line": None, "path": "", "key": "risk.rules.no_file",
                                        "params": {}}])
    if p.suffix.lower() not in (".yaml", ".yml"):
        raise RulesFileError(str(p), [{"file": str(p), "line": None, "path": "", "key": "risk.rules.not_yaml",
                                        "params": {"suffix": p.suffix or "(none)"}}])
    try:
        text = p.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise RulesFileError(str(p), [{"file": str(p), "line": None, "path": "", "key": "risk.rules.encoding",
                                        "params": {}}]) from None
    return parse_ruleset(text, str(p))


def parse_ruleset(text: str, file: str = "<rules>") -> RuleSet:
    """Validate rules-file text (see the module docstring for the format)."""
    w = _Walker(file)
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise RulesFileError(file, [{"file": file, "line": (mark.line + 1) if mark else None, "path": "",
                                     "key": "risk.rules.syntax", "params": {"detail": exc.problem or str(exc)}}]
                             ) from None
    if node is None:
        raise RulesFileError(file, [{"file": file, "line": 1, "path": "", "key": "risk.rules.empty", "params": {}}])
    data = w.value(node, "")
    if not isinstance(data, dict):
        w.err("", "risk.rules.top_mapping", line=1)
        raise RulesFileError(file, w.errors)
    for key in data:
        if key not in _TOP_KEYS:
            w.err(key, "risk.rules.unknown_key", key=key, allowed=", ".join(sorted(_TOP_KEYS)))
    version = data.get("version")
    if version is None:
        w.err("", "risk.rules.missing", line=1, key="version")
    elif not isinstance(version, (str, int, float)) or isinstance(version, bool) or not str(version).strip():
        w.err("version", "risk.rules.type", expected="string")
    defaults = _defaults(w, data.get("defaults", {}))
    rules: list[Rule] = []
    raw_rules = data.get("rules")
    if raw_rules is None:
        w.err("", "risk.rules.missing", line=1, key="rules")
    elif not isinstance(raw_rules, list) or not raw_rules:
        w.err("rules", "risk.rules.rules_list")
    else:
        seen: dict[str, int] = {}
        for i, raw in enumerate(raw_rules):
            rule = _rule(w, raw, f"rules[{i}]", defaults)
            if rule is None:
                continue
            if rule.id in seen:
                w.err(f"rules[{i}].id", "risk.rules.duplicate_id", id=rule.id, first=seen[rule.id])
            else:
                seen[rule.id] = rule.line
                rules.append(rule)
    if w.errors:
        raise RulesFileError(file, w.errors)
    name = data.get("name") or {}
    return RuleSet(version=str(version), rules=tuple(rules), source=file, text=text,
                   sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
                   name=name if isinstance(name, dict) else {"zh": str(name), "en": str(name)},
                   breadth_escalate_at=defaults["breadth_escalate_at"],
                   rollup_segment_weight_min=defaults["rollup_segment_weight_min"],
                   cooldown_months=defaults["cooldown_months"], sla_days=defaults["sla_days"],
                   composite_weights=defaults["composite_weights"])


def default_ruleset_path() -> Path:
    """The rules file shipped with chainwatch."""
    return Path(__file__).with_name("rulesets") / "default.yaml"


def _is_num(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _defaults(w: _Walker, raw: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"raise": dict(DEFAULT_RAISE), "lower": DEFAULT_LOWER, "breadth_escalate_at": 3,
                           "rollup_segment_weight_min": 0.10, "cooldown_months": 3,
                           "sla_days": {"blue": 10, "yellow": 5, "orange": 2, "red": 1},
                           "composite_weights": {}}
    if not isinstance(raw, dict):
        w.err("defaults", "risk.rules.type", expected="mapping")
        return out
    for key in raw:
        if key not in _DEFAULT_KEYS:
            w.err(f"defaults.{key}", "risk.rules.unknown_key", key=key, allowed=", ".join(sorted(_DEFAULT_KEYS)))
    if "persistence" in raw:
        out["raise"], out["lower"] = _persistence(w, raw["persistence"], "defaults.persistence",
                                                  DEFAULT_RAISE, DEFAULT_LOWER)
    for key, lo in (("breadth_escalate_at", 1), ("cooldown_months", 0)):
        if key in raw:
            if not _is_int(raw[key]) or raw[key] < lo:
                w.err(f"defaults.{key}", "risk.rules.int_min", min=lo)
            else:
                out[key] = raw[key]
    if "rollup_segment_weight_min" in raw:
        v = raw["rollup_segment_weight_min"]
        if not _is_num(v) or not 0 <= v <= 1:
            w.err("defaults.rollup_segment_weight_min", "risk.rules.range", lo=0, hi=1)
        else:
            out["rollup_segment_weight_min"] = float(v)
    if "sla_days" in raw:
        v = raw["sla_days"]
        if not isinstance(v, dict):
            w.err("defaults.sla_days", "risk.rules.type", expected="mapping")
        else:
            for lvl, days in v.items():
                if lvl not in LEVELS[1:]:
                    w.err(f"defaults.sla_days.{lvl}", "risk.rules.unknown_level", level=lvl)
                elif not _is_int(days) or days < 0:
                    w.err(f"defaults.sla_days.{lvl}", "risk.rules.int_min", min=0)
                else:
                    out["sla_days"][lvl] = days
    if "composite_weights" in raw:
        v = raw["composite_weights"]
        from chainwatch.analytics.risk.engine import COMPOSITE_SUBINDICES

        if not isinstance(v, dict) or not v:
            w.err("defaults.composite_weights", "risk.rules.type", expected="mapping")
        else:
            for k, wt in v.items():
                if k not in COMPOSITE_SUBINDICES:
                    w.err(f"defaults.composite_weights.{k}", "risk.rules.unknown_value", value=k,
                          allowed=", ".join(COMPOSITE_SUBINDICES))
                elif not _is_num(wt) or wt < 0:
                    w.err(f"defaults.composite_weights.{k}", "risk.rules.range", lo=0, hi="∞")
            if all(_is_num(x) for x in v.values()) and sum(v.values()) <= 0:
                w.err("defaults.composite_weights", "risk.rules.weights_zero")
            out["composite_weights"] = {k: float(x) for k, x in v.items() if _is_num(x)}
    return out


def _persistence(w: _Walker, raw: Any, path: str, base_raise: dict[str, int],
                 base_lower: int) -> tuple[dict[str, int], int]:
    req, lower = dict(base_raise), base_lower
    if _is_int(raw):
        if raw < 1:
            w.err(path, "risk.rules.int_min", min=1)
        else:
            req = {k: raw for k in req}
        return req, lower
    if not isinstance(raw, dict):
        w.err(path, "risk.rules.persistence")
        return req, lower
    for key in raw:
        if key not in ("raise", "lower", "k_of_n"):
            w.err(f"{path}.{key}", "risk.rules.unknown_key", key=key, allowed="raise, lower, k_of_n")
    r: Any = raw.get("raise")
    if _is_int(r):
        if r < 1:
            w.err(f"{path}.raise", "risk.rules.int_min", min=1)
        else:
            req = {k: r for k in req}
    elif isinstance(r, dict):
        for lvl, n in r.items():
            if lvl not in LEVELS[1:]:
                w.err(f"{path}.raise.{lvl}", "risk.rules.unknown_level", level=lvl)
            elif not _is_int(n) or n < 1:
                w.err(f"{path}.raise.{lvl}", "risk.rules.int_min", min=1)
            else:
                req[lvl] = n
    elif r is not None:
        w.err(f"{path}.raise", "risk.rules.persistence")
    if "lower" in raw:
        if not _is_int(raw["lower"]) or raw["lower"] < 1:
            w.err(f"{path}.lower", "risk.rules.int_min", min=1)
        else:
            lower = raw["lower"]
    return req, lower


def _text_pair(w: _Walker, raw: Any, path: str, placeholders: bool) -> dict[str, str]:
    if not isinstance(raw, dict):
        w.err(path, "risk.rules.message_pair")
        return {}
    out: dict[str, str] = {}
    for lang in ("zh", "en"):
        text = raw.get(lang)
        if not isinstance(text, str) or not text.strip():
            w.err(f"{path}.{lang}" if lang in raw else path, "risk.rules.message_lang", lang=lang)
            continue
        if placeholders:
            try:
                names = [f for _, f, _, _ in string.Formatter().parse(text) if f is not None]
            except ValueError as exc:
                w.err(f"{path}.{lang}", "risk.rules.template", detail=str(exc))
                continue
            for name in names:
                base = re.split(r"[.\[!:]", name)[0]
                if base not in PLACEHOLDERS:
                    w.err(f"{path}.{lang}", "risk.rules.placeholder", name=name,
                          allowed=", ".join(sorted(PLACEHOLDERS)))
        out[lang] = text
    for key in raw:
        if key not in ("zh", "en"):
            w.err(f"{path}.{key}", "risk.rules.unknown_key", key=key, allowed="zh, en")
    return out


def _rule(w: _Walker, raw: Any, path: str, defaults: dict[str, Any]) -> Rule | None:
    if not isinstance(raw, dict):
        w.err(path, "risk.rules.rule_mapping")
        return None
    n_before = len(w.errors)
    for key in raw:
        if key not in _RULE_KEYS:
            w.err(f"{path}.{key}", "risk.rules.unknown_key", key=key, allowed=", ".join(sorted(_RULE_KEYS)))
    for key in ("id", "subject", "statistic", "message"):
        if key not in raw:
            w.err(path, "risk.rules.missing", key=key)
    rid = raw.get("id")
    if rid is not None and (not isinstance(rid, str) or not _ID_RE.match(rid)):
        w.err(f"{path}.id", "risk.rules.bad_id", id=rid)
    subject = raw.get("subject")
    if subject is not None and subject not in SUBJECTS:
        w.err(f"{path}.subject", "risk.rules.unknown_value", value=subject, allowed=", ".join(SUBJECTS))
    statistic = raw.get("statistic")
    spec = STATISTICS.get(statistic) if isinstance(statistic, str) else None
    if statistic is not None and spec is None:
        w.err(f"{path}.statistic", "risk.rules.unknown_value", value=statistic, allowed=", ".join(STATISTICS))
    if spec and subject in SUBJECTS and subject not in spec[0]:
        w.err(f"{path}.statistic", "risk.rules.stat_subject", statistic=statistic, subject=subject,
              allowed=", ".join(spec[0]))
    indicator = raw.get("indicator")
    if indicator is not None and indicator not in INDICATORS:
        w.err(f"{path}.indicator", "risk.rules.unknown_value", value=indicator, allowed=", ".join(INDICATORS))
    elif indicator is None and spec and spec[1]:
        w.err(path, "risk.rules.missing", key="indicator")
    denominator = raw.get("denominator")
    if statistic == "ytd_ratio_pct" and denominator is None:
        w.err(path, "risk.rules.missing", key="denominator")
    if denominator is not None and denominator not in INDICATORS:
        w.err(f"{path}.denominator", "risk.rules.unknown_value", value=denominator, allowed=", ".join(INDICATORS))
    kind = raw.get("kind", "operating")
    if kind not in KINDS:
        w.err(f"{path}.kind", "risk.rules.unknown_value", value=kind, allowed=", ".join(KINDS))
    direction = raw.get("direction", "below")
    if direction not in ("below", "above"):
        w.err(f"{path}.direction", "risk.rules.unknown_value", value=direction, allowed="below, above")
    thresholds: dict[str, float] = {}
    raw_t = raw.get("thresholds")
    if spec and not spec[2]:
        if raw_t is not None:
            w.err(f"{path}.thresholds", "risk.rules.no_thresholds", statistic=statistic)
    elif raw_t is None:
        if spec:
            w.err(path, "risk.rules.missing", key="thresholds")
    elif not isinstance(raw_t, dict) or not raw_t:
        w.err(f"{path}.thresholds", "risk.rules.thresholds")
    else:
        for lvl, cut in raw_t.items():
            if lvl not in LEVELS[1:]:
                w.err(f"{path}.thresholds.{lvl}", "risk.rules.unknown_level", level=lvl)
            elif not _is_num(cut):
                w.err(f"{path}.thresholds.{lvl}", "risk.rules.number", value=cut)
            else:
                thresholds[lvl] = float(cut)
        ordered = sorted(thresholds.items(), key=lambda kv: GRADE[kv[0]])
        cmp_dir = "above" if statistic in ADVERSE_SCORE_STATS else direction
        for (l1, c1), (l2, c2) in zip(ordered, ordered[1:], strict=False) if cmp_dir in ("below", "above") else ():
            bad = c2 > c1 if cmp_dir == "below" else c2 < c1
            if bad or c1 == c2:
                w.err(f"{path}.thresholds.{l2}", "risk.rules.monotonic", lower=l1, higher=l2,
                      direction=cmp_dir)
    raise_m, lower_m = defaults["raise"], defaults["lower"]
    k_of_n: tuple[int, int] | None = None
    if "persistence" in raw:
        raise_m, lower_m = _persistence(w, raw["persistence"], f"{path}.persistence", raise_m, lower_m)
        kn = raw["persistence"].get("k_of_n") if isinstance(raw["persistence"], dict) else None
        if kn is not None:
            if (not isinstance(kn, list) or len(kn) != 2 or not all(_is_int(v) for v in kn)
                    or not 1 <= kn[0] <= kn[1] <= 24):
                w.err(f"{path}.persistence.k_of_n", "risk.rules.k_of_n")
            else:
                k_of_n = (kn[0], kn[1])
                if "raise" not in raw["persistence"]:
                    raise_m = {lvl: 1 for lvl in raise_m}
    require: list[Condition] = []
    raw_req = raw.get("require", [])
    if not isinstance(raw_req, list):
        w.err(f"{path}.require", "risk.rules.require_list")
    else:
        for j, c in enumerate(raw_req):
            cond = _condition(w, c, f"{path}.require[{j}]", subject)
            if cond is not None:
                require.append(cond)
    min_base = raw.get("min_base")
    if min_base is not None and (not _is_num(min_base) or min_base < 0):
        w.err(f"{path}.min_base", "risk.rules.range", lo=0, hi="∞")
    params = raw.get("params", {})
    if not isinstance(params, dict):
        w.err(f"{path}.params", "risk.rules.type", expected="mapping")
        params = {}
    message = _text_pair(w, raw["message"], f"{path}.message", True) if "message" in raw else {}
    title = _text_pair(w, raw["title"], f"{path}.title", False) if "title" in raw else {}
    enabled = raw.get("enabled", True)
    if not isinstance(enabled, bool):
        w.err(f"{path}.enabled", "risk.rules.type", expected="true/false")
    if len(w.errors) > n_before or enabled is False:
        return None
    rid_s = str(rid)
    return Rule(id=rid_s, subject=str(subject), statistic=str(statistic), direction=direction,
                thresholds=thresholds, message=message, indicator=indicator, kind=kind,
                title=title or {"zh": rid_s, "en": rid_s}, raise_months=raise_m, lower_months=lower_m,
                k_of_n=k_of_n, require=tuple(require), denominator=denominator,
                min_base=float(min_base) if min_base is not None else None, params=params,
                line=w.lines.get(path, 0))


def _condition(w: _Walker, raw: Any, path: str, subject: Any) -> Condition | None:
    if not isinstance(raw, dict):
        w.err(path, "risk.rules.condition")
        return None
    n_before = len(w.errors)
    for key in raw:
        if key not in ("indicator", "statistic", "op", "value", "denominator"):
            w.err(f"{path}.{key}", "risk.rules.unknown_key", key=key,
                  allowed="indicator, statistic, op, value, denominator")
    for key in ("statistic", "op", "value"):
        if key not in raw:
            w.err(path, "risk.rules.missing", key=key)
    stat = raw.get("statistic")
    spec = STATISTICS.get(stat) if isinstance(stat, str) else None
    if stat is not None and (spec is None or stat in ("nbs_signal",)):
        w.err(f"{path}.statistic", "risk.rules.unknown_value", value=stat,
              allowed=", ".join(s for s in STATISTICS if s != "nbs_signal"))
    elif spec and subject in SUBJECTS and subject not in spec[0]:
        w.err(f"{path}.statistic", "risk.rules.stat_subject", statistic=stat, subject=subject,
              allowed=", ".join(spec[0]))
    ind = raw.get("indicator")
    if ind is not None and ind not in INDICATORS:
        w.err(f"{path}.indicator", "risk.rules.unknown_value", value=ind, allowed=", ".join(INDICATORS))
    elif ind is None and spec and spec[1]:
        w.err(path, "risk.rules.missing", key="indicator")
    den = raw.get("denominator")
    if stat == "ytd_ratio_pct" and den not in INDICATORS:
        w.err(path, "risk.rules.missing", key="denominator")
    op = raw.get("op")
    if op is not None and op not in OPS:
        w.err(f"{path}.op", "risk.rules.unknown_value", value=op, allowed=" ".join(OPS))
    val: Any = raw.get("value")
    if val is not None and not _is_num(val):
        w.err(f"{path}.value", "risk.rules.number", value=val)
    if len(w.errors) > n_before:
        return None
    return Condition(statistic=str(stat), op=str(op), value=float(val), indicator=ind, denominator=den)
