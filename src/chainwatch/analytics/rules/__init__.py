"""The shared rules-as-data engine of chainwatch (tier rule sets and support policies).

A rule file (YAML) lists conditions over named inputs (the attribute catalogue), with operators,
point tables and bands; :func:`parse_rule_file` validates it, :func:`evaluate` evaluates it for many
entities at once, and :mod:`~chainwatch.analytics.rules.report` explains the result (reasons per item,
missing inputs, gaps ``value → needed``).
"""

from chainwatch.analytics.rules.attributes import ATTRIBUTES, Attribute
from chainwatch.analytics.rules.engine import (
    FAIL,
    NA,
    PASS,
    REVIEW,
    STATUS_NAMES,
    UNKNOWN,
    Evaluation,
    Inputs,
    evaluate,
)
from chainwatch.analytics.rules.model import RuleFile, RuleProblem, RulesInvalid, parse_rule_file
from chainwatch.analytics.rules.values import ValueProblem, format_value, parse_value

__all__ = [
    "ATTRIBUTES", "Attribute", "FAIL", "NA", "PASS", "REVIEW", "STATUS_NAMES", "UNKNOWN", "Evaluation", "Inputs",
    "RuleFile", "RuleProblem", "RulesInvalid", "ValueProblem", "evaluate", "format_value", "parse_rule_file",
    "parse_value",
]
