"""The tier rule sets as data: loading the YAML files, the settings and the rule-set selector.

Files live in ``chainwatch/analytics/cultivation/rulesets/``: one file per rule set (``cx-63-2022.yaml`` …),
``settings.yaml`` (every [U] rule as a setting with its documented default) and ``selector.yaml`` (which
rule set applies by tier, assessment date and application type, with the editable review-round table).
A new revision of the measures is a new file plus a selector line: no code changes.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from chainwatch.analytics.rules.model import RuleFile, parse_rule_file

TIERS: tuple[str, ...] = ("first", "zjtx", "xjr", "champion")
TIER_TITLES: dict[str, tuple[str, ...]] = {
    "first": ("innovative_sme", "sti_sme"), "zjtx": ("zjtx",), "xjr": ("little_giant",),
    "champion": ("single_champion",),
}
TIER_LABELS: dict[str, tuple[str, str]] = {
    "first": ("创新型中小企业／科技和创新型中小企业", "innovative SME / technology-based and innovative SME"),
    "zjtx": ("专精特新中小企业", "专精特新 SME"),
    "xjr": ("专精特新“小巨人”企业", "专精特新 'little giant'"),
    "champion": ("制造业单项冠军企业", "manufacturing single champion"),
}
NEXT_TIER: dict[str | None, str] = {None: "first", "first": "zjtx", "zjtx": "xjr", "xjr": "champion"}


def _folder() -> Any:
    return resources.files("chainwatch.analytics.cultivation") / "rulesets"


def _read_yaml(name: str) -> Any:
    return yaml.safe_load((_folder() / name).read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def default_settings() -> dict[str, Any]:
    """The shipped settings (settings.yaml), dates parsed."""
    return dict(_read_yaml("settings.yaml"))


def load_settings(overrides: dict[str, Any] | None = None, file: str | Path | None = None) -> dict[str, Any]:
    """Settings = shipped defaults, then a user YAML file, then explicit overrides (unknown names rejected)."""
    from chainwatch.errors import InputError

    out = copy.deepcopy(default_settings())
    layers: list[dict[str, Any]] = []
    if file:
        p = Path(file)
        if not p.is_file():
            raise InputError("cultivation.settings_missing", path=str(p))
        layers.append(yaml.safe_load(p.read_text(encoding="utf-8")) or {})
    if overrides:
        layers.append(overrides)
    for layer in layers:
        for k, v in layer.items():
            if k not in out:
                raise InputError("cultivation.unknown_setting", name=k, allowed=", ".join(sorted(out)))
            out[k] = v
    return out


@lru_cache(maxsize=1)
def selector() -> dict[str, Any]:
    return dict(_read_yaml("selector.yaml"))


def ruleset_ids() -> list[str]:
    return sorted(p.name[:-5] for p in _folder().iterdir()
                  if p.name.endswith(".yaml") and p.name not in ("settings.yaml", "selector.yaml"))


def _raw(rid: str) -> dict[str, Any]:
    data = _read_yaml(f"{rid}.yaml")
    if data.get("extends"):
        parent = _raw(str(data["extends"]))
        data = {**data, "scores": data.get("scores") or parent.get("scores")}

        def expand(node: Any) -> Any:
            if isinstance(node, dict) and node.get("include_base"):
                return {"id": node.get("id", "base"), "label": node.get("label"), "all": parent["conditions"]}
            if isinstance(node, dict):
                return {k: ([expand(c) for c in v] if k in ("all", "any") else v) for k, v in node.items()}
            return node

        data["conditions"] = [expand(c) for c in data["conditions"]]
    return data


_CACHE: dict[tuple[str, str], RuleFile] = {}


def load_ruleset(rid: str, settings: dict[str, Any] | None = None) -> RuleFile:
    """Parse and validate one rule set (cached per settings)."""
    settings = settings or default_settings()
    key = (rid, repr(sorted(settings.items(), key=lambda kv: kv[0])))
    if key not in _CACHE:
        _CACHE[key] = parse_rule_file(_raw(rid), f"{rid}.yaml", settings=settings)
    return _CACHE[key]


def _as_date(v: Any, settings: dict[str, Any]) -> date | None:
    if v is None:
        return None
    if isinstance(v, date):
        return v
    if isinstance(v, str) and v in settings:
        return _as_date(settings[v], settings)
    return date.fromisoformat(str(v))


@dataclass(frozen=True)
class Selection:
    """The rule set chosen for one tier, date and application: id plus why (``basis``) and its tag."""

    tier: str
    ruleset: str | None
    basis: str
    tag: str = ""
    note: str = ""


def select(tier: str, d: date, application: str = "new", settings: dict[str, Any] | None = None,
           batch: int | None = None) -> Selection:
    """Pick the rule set for ``tier`` on date ``d`` (cultivation.md §2.1).

    Reviews first look up the review-round table (tier, round year = ``d.year``, batch); otherwise the
    rule set in force on ``d`` applies. Returns ``ruleset=None`` when no rule set covers the date.
    """
    settings = settings or default_settings()
    sel = selector()
    if application == "review":
        rows = list(settings.get("review_rounds") or []) + list(sel.get("review_rounds") or [])
        for row in rows:
            if row["tier"] == tier and int(row["round_year"]) == d.year and (
                    row.get("batch") is None or (batch is not None and int(row["batch"]) == batch)):
                return Selection(tier, row["rules"], "review_round", str(row.get("tag", "")), str(row.get("note", "")))
    for row in sel["tiers"][tier]:
        start = _as_date(row.get("from"), settings)
        end = _as_date(row.get("to"), settings)
        if (start is None or d >= start) and (end is None or d < end):
            return Selection(tier, row["rules"], "date")
    return Selection(tier, None, "none")


def round_settings(year: int) -> dict[str, Any]:
    """Settings that apply to the recommendation round of ``year`` (e.g. 2026 exclusions)."""
    return dict((selector().get("round_settings") or {}).get(year) or {})


def batch_of(tier: str, recognised: date | None) -> int | None:
    """Recognition batch of a title from its first valid year (小巨人: 2019 = batch 1)."""
    base = (selector().get("batch_base_year") or {}).get(tier)
    if base is None or recognised is None:
        return None
    return recognised.year - int(base)
