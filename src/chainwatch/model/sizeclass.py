"""Enterprise size classes for industry (工信部联企业〔2011〕300号; 国统字〔2017〕213号).

Thresholds are versioned data; the industrial rule is evaluated top-down with inclusive bounds
(statistics.md §7.1). Revenue is in yuan here, as in the rule text.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SizeRule:
    size: str
    min_employees: float
    min_revenue_yuan: float


INDUSTRY_2011: tuple[SizeRule, ...] = (
    SizeRule("large", 1000, 400_000_000),
    SizeRule("medium", 300, 20_000_000),
    SizeRule("small", 20, 3_000_000),
)

SIZE_RULES = {"industry-2011": INDUSTRY_2011}
SIZE_LABELS = {"large": ("大型", "large"), "medium": ("中型", "medium"), "small": ("小型", "small"),
               "micro": ("微型", "micro")}


def size_class(employees: float | None, revenue_yuan: float | None, rules: str = "industry-2011") -> str | None:
    """Classify an industrial enterprise; None when an input is missing."""
    if employees is None or revenue_yuan is None:
        return None
    for rule in SIZE_RULES[rules]:
        if employees >= rule.min_employees and revenue_yuan >= rule.min_revenue_yuan:
            return rule.size
    return "micro"


def size_class_sql(emp: str, rev_yuan: str) -> str:
    """The same rule as a SQL CASE expression, for bulk use in DuckDB."""
    parts = [f"WHEN {emp} >= {r.min_employees} AND {rev_yuan} >= {r.min_revenue_yuan} THEN '{r.size}'"
             for r in INDUSTRY_2011]
    return f"CASE WHEN {emp} IS NULL OR {rev_yuan} IS NULL THEN NULL {' '.join(parts)} ELSE 'micro' END"
