"""Rules as data: the parsed, validated form of a rule file (tier rule set or support policy).

A rule file is a mapping (YAML) with ``conditions`` (a tree of leaves and ``all``/``any`` groups) and
optionally ``scores`` (point tables). Loading checks every name against the attribute catalogue and every
value against its attribute's type; each problem is reported as a :class:`RuleProblem` naming the file,
the condition and the problem, so a non-programmer can fix the file.

Leaf
    ``{id, attribute, op, value}``; optional ``label: {zh, en}``, ``unconfirmed: <setting or true>``
    (a [U] rule: a failure becomes ``manual_review``), ``review: always|on_pass`` (a human must confirm),
    ``applies: [new|review]`` (application types the leaf applies to), ``enabled_by: <setting>``.
Score leaf
    ``{id, score: total|<dimension id>, op, value}``: compares a point total.
Group
    ``{id, label, all: [...]}`` or ``{id, label, any: [...]}``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from chainwatch.analytics.rules.attributes import ATTRIBUTES, CATEGORY_VALUES
from chainwatch.analytics.rules.values import NUMERIC_TYPES, ValueProblem, parse_value

OPS_BY_KIND: dict[str, tuple[str, ...]] = {
    "money": (">=", ">", "<=", "<", "==", "!=", "between"),
    "ratio": (">=", ">", "<=", "<", "==", "!=", "between"),
    "number": (">=", ">", "<=", "<", "==", "!=", "between"),
    "count": (">=", ">", "<=", "<", "==", "!=", "between"),
    "years": (">=", ">", "<=", "<", "==", "!=", "between"),
    "date": (">=", ">", "<=", "<", "between"),
    "bool": ("is",),
    "category": ("in", "not_in", "==", "!=", "starts_with"),
    "set": ("any_of", "all_of", "none_of"),
}
LIST_OPS = ("between", "in", "not_in", "starts_with", "any_of", "all_of", "none_of")


@dataclass(frozen=True)
class RuleProblem:
    """One problem in a rule file: where (``source``, ``condition``) and what (``problem`` key + params)."""

    source: str
    condition: str
    problem: str
    params: dict[str, Any] = field(default_factory=dict)


class RulesInvalid(ValueError):
    """A rule file has problems; ``problems`` lists every one of them."""

    def __init__(self, source: str, problems: list[RuleProblem]) -> None:
        super().__init__(f"{source}: {len(problems)} problem(s): " + "; ".join(
            f"{p.condition}: {p.problem} {p.params}" for p in problems))
        self.source = source
        self.problems = problems


@dataclass(frozen=True)
class Leaf:
    id: str
    attribute: str | None          # None for score leaves
    op: str
    value: Any                     # parsed: number / list / bool / date / str
    raw: Any                       # as written in the file (for display)
    label: dict[str, str] | None = None
    score: str | None = None       # "total" or a dimension id
    unconfirmed: str | None = None
    review: str | None = None      # always | on_pass
    applies: tuple[str, ...] | None = None
    enabled_by: str | None = None
    value_setting: str | None = None
    note: dict[str, str] | None = None


@dataclass(frozen=True)
class Group:
    id: str
    mode: str                      # all | any
    children: tuple[Node, ...]
    label: dict[str, str] | None = None
    unconfirmed: str | None = None
    review: str | None = None
    applies: tuple[str, ...] | None = None
    enabled_by: str | None = None
    note: dict[str, str] | None = None


Node = Leaf | Group


@dataclass(frozen=True)
class Band:
    threshold: Any
    points: float


@dataclass(frozen=True)
class ScoreItem:
    """One indicator of a point table.

    ``method`` is one of ``bands`` (ordered thresholds, best first, direction ``better``), ``map``
    (category or bool → points), ``per`` (``min(floor(x / step) × points, cap)``), ``first_true`` (the
    best of several flags), ``supplied`` (a supplied score clipped to [min, max]) or ``best_of`` (the
    better of several sub-items).
    """

    id: str
    dimension: str
    max: float
    method: str
    attribute: str | None = None
    label: dict[str, str] | None = None
    better: str = "higher"
    bands: tuple[Band, ...] = ()
    otherwise: float = 0.0
    mapping: dict[str, float] = field(default_factory=dict)
    step: float = 1.0
    per_points: float = 1.0
    cap: float | None = None
    flags: tuple[tuple[str, float, str | None], ...] = ()
    lo: float = 0.0
    hi: float = 0.0
    parts: tuple[ScoreItem, ...] = ()
    missing_setting: str | None = None
    unconfirmed: str | None = None


@dataclass(frozen=True)
class Dimension:
    id: str
    label: dict[str, str]
    max: float


@dataclass(frozen=True)
class RuleFile:
    """A parsed rule file: metadata, the condition tree (implicitly ``all`` at top level), point tables."""

    id: str
    meta: dict[str, Any]
    conditions: tuple[Node, ...]
    dimensions: tuple[Dimension, ...] = ()
    items: tuple[ScoreItem, ...] = ()
    source: str = ""

    def leaves(self) -> list[Leaf]:
        out: list[Leaf] = []

        def walk(n: Node) -> None:
            if isinstance(n, Leaf):
                out.append(n)
            else:
                for c in n.children:
                    walk(c)

        for node in self.conditions:
            walk(node)
        return out

    def attributes(self) -> set[str]:
        names = {lf.attribute for lf in self.leaves() if lf.attribute}
        for it in self.items:
            names |= _item_attributes(it)
        return names


def _item_attributes(it: ScoreItem) -> set[str]:
    names = {it.attribute} if it.attribute else set()
    names |= {f[0] for f in it.flags}
    for p in it.parts:
        names |= _item_attributes(p)
    return names


def _label(v: Any) -> dict[str, str] | None:
    if v is None:
        return None
    if isinstance(v, str):
        return {"zh": v, "en": v}
    if isinstance(v, dict):
        return {"zh": str(v.get("zh") or v.get("en") or ""), "en": str(v.get("en") or v.get("zh") or "")}
    return None


class _Parser:
    def __init__(self, source: str, settings: dict[str, Any] | None) -> None:
        self.source = source
        self.settings = settings or {}
        self.problems: list[RuleProblem] = []
        self.ids: set[str] = set()
        self.dimensions: set[str] = set()

    def bad(self, cid: str, problem: str, **params: Any) -> None:
        self.problems.append(RuleProblem(self.source, cid, problem, params))

    def node(self, raw: Any, path: str) -> Node | None:
        if not isinstance(raw, dict):
            self.bad(path, "not_a_mapping", got=repr(raw)[:60])
            return None
        cid = str(raw.get("id") or path)
        if cid in self.ids:
            self.bad(cid, "duplicate_id")
        self.ids.add(cid)
        common: dict[str, Any] = {"label": _label(raw.get("label")), "unconfirmed": _unconf(raw.get("unconfirmed")),
                  "review": raw.get("review"), "enabled_by": raw.get("enabled_by"), "note": _label(raw.get("note")),
                  "applies": tuple(raw["applies"]) if raw.get("applies") else None}
        if common["review"] not in (None, "always", "on_pass"):
            self.bad(cid, "bad_review", value=common["review"])
        if common["enabled_by"] and common["enabled_by"] not in self.settings:
            self.bad(cid, "unknown_setting", setting=common["enabled_by"])
        modes = [m for m in ("all", "any") if m in raw]
        if modes:
            kids = raw[modes[0]]
            if not isinstance(kids, list) or not kids:
                self.bad(cid, "empty_group")
                return None
            children = [self.node(k, f"{cid}.{i + 1}") for i, k in enumerate(kids)]
            return Group(cid, modes[0], tuple(c for c in children if c is not None), **common)
        known = {"id", "label", "unconfirmed", "review", "enabled_by", "note", "applies", "attribute", "op",
                 "value", "score", "value_setting"}
        extra = sorted(set(raw) - known)
        if extra:
            self.bad(cid, "unknown_key", keys=", ".join(extra))
        op = raw.get("op")
        if common["review"] == "always" and not raw.get("attribute") and "score" not in raw:
            if not common["label"]:
                self.bad(cid, "manual_needs_label")
            return Leaf(cid, None, "manual", None, None, **common)
        if "score" in raw:
            kind = "number"
            attr = None
        else:
            attr = raw.get("attribute")
            if not attr:
                self.bad(cid, "no_attribute")
                return None
            meta = ATTRIBUTES.get(str(attr))
            if meta is None:
                self.bad(cid, "unknown_attribute", attribute=attr, hint=_closest(str(attr)))
                return None
            kind = meta.kind
        allowed = OPS_BY_KIND[kind]
        if op is None and kind == "bool":
            op = "is"
        if op not in allowed:
            self.bad(cid, "bad_op", op=op, attribute=attr or raw.get("score"), allowed=", ".join(allowed))
            return None
        raw_value = raw.get("value", True if kind == "bool" else None)
        if raw.get("value_setting"):
            setting = raw["value_setting"]
            if setting not in self.settings:
                self.bad(cid, "unknown_setting", setting=setting)
                return None
            raw_value = self.settings[setting]
        value = self.value(cid, kind, op, raw_value, attr)
        if value is _BAD:
            return None
        return Leaf(cid, attr, op, value, raw_value, score=raw.get("score"), value_setting=raw.get("value_setting"),
                    **common)

    def value(self, cid: str, kind: str, op: str, raw: Any, attr: str | None) -> Any:
        try:
            if op in LIST_OPS:
                items = raw if isinstance(raw, list) else [raw]
                if op == "between" and len(items) != 2:
                    self.bad(cid, "between_needs_two", value=raw)
                    return _BAD
                if not items or raw is None:
                    self.bad(cid, "empty_value")
                    return _BAD
                vk = kind if op not in ("starts_with",) else "category"
                out = [parse_value(v, vk) for v in items]
            else:
                out = parse_value(raw, kind)
        except ValueProblem as exc:
            self.bad(cid, "bad_value", value=exc.value, expected=exc.expected, attribute=attr or "score")
            return _BAD
        closed = CATEGORY_VALUES.get(attr or "")
        if closed and op in ("in", "not_in", "==", "!="):
            vals = out if isinstance(out, list) else [out]
            wrong = [v for v in vals if v not in closed]
            if wrong:
                self.bad(cid, "bad_category", value=", ".join(map(str, wrong)), allowed=", ".join(closed))
                return _BAD
        if op == "between" and kind in NUMERIC_TYPES + ("date",) and out[0] > out[1]:
            self.bad(cid, "between_order", value=raw)
            return _BAD
        return out

    def item(self, raw: Any, path: str, dimension: str | None = None) -> ScoreItem | None:
        if not isinstance(raw, dict):
            self.bad(path, "not_a_mapping", got=repr(raw)[:60])
            return None
        iid = str(raw.get("id") or path)
        dim = str(raw.get("dimension") or dimension or "")
        if dimension is None and dim not in self.dimensions:
            self.bad(iid, "unknown_dimension", dimension=dim)
        mx = float(raw.get("max", 0))
        attr = raw.get("attribute")
        kind = None
        if attr is not None:
            meta = ATTRIBUTES.get(str(attr))
            if meta is None:
                self.bad(iid, "unknown_attribute", attribute=attr, hint=_closest(str(attr)))
                return None
            kind = meta.kind
        common: dict[str, Any] = {"label": _label(raw.get("label")), "attribute": attr,
                                  "missing_setting": raw.get("missing_points_setting"),
                                  "unconfirmed": _unconf(raw.get("unconfirmed"))}
        try:
            if "bands" in raw:
                spec = raw["bands"]
                better = spec.get("better", "higher")
                if better not in ("higher", "lower"):
                    self.bad(iid, "bad_better", value=better)
                    return None
                bands = tuple(Band(parse_value(t, kind or "number"), float(p)) for t, p in spec["steps"])
                ths = [b.threshold for b in bands]
                if ths != sorted(ths, reverse=(better == "higher")):
                    self.bad(iid, "bands_order")
                return ScoreItem(iid, dim, mx or max(b.points for b in bands), "bands", better=better, bands=bands,
                                 otherwise=float(spec.get("else", 0)), **common)
            if "map" in raw:
                mapping = {str(k).lower() if isinstance(k, bool) else str(k): float(v) for k, v in raw["map"].items()}
                closed = CATEGORY_VALUES.get(str(attr))
                if closed:
                    wrong = [k for k in mapping if k not in closed]
                    if wrong:
                        self.bad(iid, "bad_category", value=", ".join(wrong), allowed=", ".join(closed))
                return ScoreItem(iid, dim, mx or max(mapping.values()), "map", mapping=mapping,
                                 otherwise=float(raw.get("else", 0)), **common)
            if "per" in raw:
                p = raw["per"]
                return ScoreItem(iid, dim, mx or float(p.get("cap", 0)), "per", step=float(p.get("step", 1)),
                                 per_points=float(p.get("points", 1)), cap=p.get("cap"), **common)
            if "first_true" in raw:
                flags = []
                for f in raw["first_true"]:
                    if f["attribute"] not in ATTRIBUTES:
                        self.bad(iid, "unknown_attribute", attribute=f["attribute"], hint=_closest(f["attribute"]))
                        continue
                    if f.get("enabled_by") and f["enabled_by"] not in self.settings:
                        self.bad(iid, "unknown_setting", setting=f["enabled_by"])
                    flags.append((f["attribute"], float(f["points"]), f.get("enabled_by")))
                return ScoreItem(iid, dim, mx or max(f[1] for f in flags), "first_true", flags=tuple(flags),
                                 otherwise=float(raw.get("else", 0)), **common)
            if "supplied" in raw:
                s = raw["supplied"]
                return ScoreItem(iid, dim, mx or float(s["max"]), "supplied", lo=float(s.get("min", 0)),
                                 hi=float(s["max"]), **common)
            if "best_of" in raw:
                parts = [self.item(p, f"{iid}.{i + 1}", dimension=dim) for i, p in enumerate(raw["best_of"])]
                ok = tuple(p for p in parts if p is not None)
                return ScoreItem(iid, dim, mx or max(p.max for p in ok), "best_of", parts=ok, **common)
        except ValueProblem as exc:
            self.bad(iid, "bad_value", value=exc.value, expected=exc.expected, attribute=attr)
            return None
        except (KeyError, TypeError, ValueError) as exc:
            self.bad(iid, "bad_item", detail=str(exc))
            return None
        self.bad(iid, "no_method")
        return None


_BAD = object()


def _unconf(v: Any) -> str | None:
    if v is None or v is False:
        return None
    return "unconfirmed" if v is True else str(v)


def _closest(name: str) -> str:
    import difflib

    hits = difflib.get_close_matches(name, list(ATTRIBUTES), n=3, cutoff=0.6)
    tokens = {t for t in name.lower().split("_") if len(t) > 2}
    for other in ATTRIBUTES:
        if len(hits) >= 4:
            break
        if other not in hits and tokens & set(other.split("_")):
            hits.append(other)
    return ", ".join(hits) if hits else "-"


def parse_rule_file(data: Any, source: str, settings: dict[str, Any] | None = None) -> RuleFile:
    """Validate a rule file's mapping and return the parsed :class:`RuleFile`.

    Parameters
    ----------
    data : the mapping read from YAML.
    source : file name or id, used in every problem.
    settings : setting values that ``enabled_by`` / ``value_setting`` / ``missing_points_setting`` may name.

    Raises
    ------
    RulesInvalid
        listing every problem found (unknown attribute, bad operator, malformed value …).
    """
    p = _Parser(source, settings)
    if not isinstance(data, dict):
        raise RulesInvalid(source, [RuleProblem(source, "-", "not_a_mapping", {"got": type(data).__name__})])
    rid = str(data.get("id") or "")
    if not rid:
        p.bad("-", "no_id")
    dims = []
    scores = data.get("scores") or {}
    for d in scores.get("dimensions", []):
        dims.append(Dimension(str(d["id"]), _label(d.get("label")) or {"zh": d["id"], "en": d["id"]},
                              float(d.get("max", 0))))
        p.dimensions.add(str(d["id"]))
    items = [p.item(it, f"item{i + 1}") for i, it in enumerate(scores.get("items", []))]
    raw_conditions = data.get("conditions")
    if not isinstance(raw_conditions, list) or not raw_conditions:
        p.bad("-", "no_conditions")
        raw_conditions = []
    nodes = [p.node(c, f"c{i + 1}") for i, c in enumerate(raw_conditions)]
    for lf in _leaves([n for n in nodes if n is not None]):
        if lf.score and lf.score != "total" and lf.score not in p.dimensions:
            p.bad(lf.id, "unknown_dimension", dimension=lf.score)
    if p.problems:
        raise RulesInvalid(source, p.problems)
    meta = {k: v for k, v in data.items() if k not in ("conditions", "scores")}
    return RuleFile(rid, meta, tuple(n for n in nodes if n is not None), tuple(dims),
                    tuple(i for i in items if i is not None), source)


def _leaves(nodes: list[Node]) -> list[Leaf]:
    out: list[Leaf] = []
    for n in nodes:
        if isinstance(n, Leaf):
            out.append(n)
        else:
            out.extend(_leaves(list(n.children)))
    return out
