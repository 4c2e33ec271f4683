"""Rules files: the shipped default validates, and every kind of error is reported with file and line."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from chainwatch.analytics.risk.rules import RulesFileError, default_ruleset_path, load_ruleset, parse_ruleset

GOOD_RULE = """\
  - id: r1
    subject: enterprise
    indicator: gross_output
    statistic: month_yoy_pct
    direction: below
    thresholds: {blue: -10, yellow: -20}
    message: {zh: "{subject}下降{value}", en: "{subject} fell {value}"}
"""


def _file(rules: str, head: str = 'version: "1"\n') -> str:
    return head + "rules:\n" + rules


def _errors(text: str) -> list[dict]:
    with pytest.raises(RulesFileError) as info:
        parse_ruleset(text, "r.yaml")
    return info.value.errors


def test_default_ruleset_loads_and_covers_the_required_rules() -> None:
    rs = load_ruleset(default_ruleset_path())
    assert rs.version and len(rs.sha256) == 64
    stats = {(r.subject, r.statistic) for r in rs.rules}
    for needed in [("enterprise", "month_yoy_pct"), ("enterprise", "ytd_ratio_pct"),
                   ("segment", "single_supplier_grade"), ("segment", "import_dependence_change_pp"),
                   ("chain", "composite_risk"), ("segment", "robust_z"), ("chain", "diffusion"),
                   ("segment", "changepoint_z"), ("chain", "nbs_signal")]:
        assert needed in stats
    power = next(r for r in rs.rules if r.id == "ent_power_output_gap")
    assert power.indicator == "electricity" and power.require[0].indicator == "gross_output"


def test_a_good_file_parses_with_defaults_applied() -> None:
    rs = parse_ruleset(_file(GOOD_RULE))
    r = rs.rules[0]
    assert r.raise_months == {"blue": 3, "yellow": 2, "orange": 1, "red": 1} and r.lower_months == 2
    assert r.line == 3


@pytest.mark.parametrize("text, key, line", [
    ("version: [1\n", "risk.rules.syntax", 2),
    ("", "risk.rules.empty", 1),
    ("- a\n- b\n", "risk.rules.top_mapping", 1),
    (_file(GOOD_RULE, head=""), "risk.rules.missing", 1),                       # no version
    ('version: "1"\nrules: []\n', "risk.rules.rules_list", 2),
    ('version: "1"\nrulez: 1\nrules:\n' + GOOD_RULE, "risk.rules.unknown_key", 2),
    ('version: "1"\nversion: "2"\nrules:\n' + GOOD_RULE, "risk.rules.duplicate_key", 2),
    (_file("  - 5\n"), "risk.rules.rule_mapping", 3),
    (_file(GOOD_RULE.replace("id: r1", "id: R 1")), "risk.rules.bad_id", 3),
    (_file(GOOD_RULE + GOOD_RULE), "risk.rules.duplicate_id", 10),
    (_file(GOOD_RULE.replace("subject: enterprise", "subject: province")), "risk.rules.unknown_value", 4),
    (_file(GOOD_RULE.replace("indicator: gross_output", "indicator: gdp")), "risk.rules.unknown_value", 5),
    (_file(GOOD_RULE.replace("statistic: month_yoy_pct", "statistic: mean")), "risk.rules.unknown_value", 6),
    (_file(GOOD_RULE.replace("statistic: month_yoy_pct", "statistic: diffusion")), "risk.rules.stat_subject", 6),
    (_file(GOOD_RULE.replace("direction: below", "direction: down")), "risk.rules.unknown_value", 7),
    (_file(GOOD_RULE.replace("{blue: -10, yellow: -20}", "{blue: -10, purple: -20}")), "risk.rules.unknown_level", 8),
    (_file(GOOD_RULE.replace("{blue: -10, yellow: -20}", "{blue: -10, yellow: lots}")), "risk.rules.number", 8),
    (_file(GOOD_RULE.replace("{blue: -10, yellow: -20}", "{blue: -20, yellow: -10}")), "risk.rules.monotonic", 8),
    (_file(GOOD_RULE.replace("{blue: -10, yellow: -20}", "[1, 2]")), "risk.rules.thresholds", 8),
    (_file(GOOD_RULE.replace("    thresholds: {blue: -10, yellow: -20}\n", "")), "risk.rules.missing", 3),
    (_file(GOOD_RULE + "    persistence: 0\n"), "risk.rules.int_min", 10),
    (_file(GOOD_RULE + "    persistence: {raise: {blue: x}}\n"), "risk.rules.int_min", 10),
    (_file(GOOD_RULE + "    persistence: often\n"), "risk.rules.persistence", 10),
    (_file(GOOD_RULE.replace('en: "{subject} fell {value}"', 'fr: "x"')), "risk.rules.message_lang", 9),
    (_file(GOOD_RULE.replace("{subject} fell {value}", "{company} fell")), "risk.rules.placeholder", 9),
    (_file(GOOD_RULE.replace("{subject} fell {value}", "{subject fell")), "risk.rules.template", 9),
    (_file(GOOD_RULE.replace('    message: {zh: "{subject}下降{value}", en: "{subject} fell {value}"}\n',
                             "    message: hello\n")), "risk.rules.message_pair", 9),
    (_file(GOOD_RULE + "    require: {op: x}\n"), "risk.rules.require_list", 10),
    (_file(GOOD_RULE + "    require: [5]\n"), "risk.rules.condition", 10),
    (_file(GOOD_RULE + "    require: [{indicator: revenue, statistic: level, op: '~', value: 1}]\n"),
     "risk.rules.unknown_value", 10),
    (_file(GOOD_RULE + "    require: [{indicator: revenue, statistic: level, op: '<', value: high}]\n"),
     "risk.rules.number", 10),
    (_file(GOOD_RULE + "    require: [{indicator: revenue, op: '<', value: 1}]\n"), "risk.rules.missing", 10),
    (_file(GOOD_RULE + "    colour: red\n"), "risk.rules.unknown_key", 10),
    (_file(GOOD_RULE + "    min_base: -1\n"), "risk.rules.range", 10),
    (_file(GOOD_RULE + "    enabled: maybe\n"), "risk.rules.type", 10),
    (_file(GOOD_RULE.replace("statistic: month_yoy_pct", "statistic: ytd_ratio_pct")), "risk.rules.missing", 3),
    (_file("  - id: s1\n    subject: chain\n    statistic: nbs_signal\n    thresholds: {blue: 1}\n"
           "    message: {zh: a, en: b}\n"), "risk.rules.no_thresholds", 6),
    ('version: "1"\ndefaults: {breadth_escalate_at: 0}\nrules:\n' + GOOD_RULE, "risk.rules.int_min", 2),
    ('version: "1"\ndefaults: {sla_days: {pink: 3}}\nrules:\n' + GOOD_RULE, "risk.rules.unknown_level", 2),
    ('version: "1"\ndefaults: {composite_weights: {output_yoy: 0, diffusion: 0}}\nrules:\n' + GOOD_RULE,
     "risk.rules.weights_zero", 2),
    ('version: "1"\ndefaults: {composite_weights: {moon: 1}}\nrules:\n' + GOOD_RULE, "risk.rules.unknown_value", 2),
    ('version: "1"\ndefaults: {rollup_segment_weight_min: 2}\nrules:\n' + GOOD_RULE, "risk.rules.range", 2),
    ('version: "1"\ndefaults: []\nrules:\n' + GOOD_RULE, "risk.rules.type", 2),
    (_file(GOOD_RULE + "    persistence: {k_of_n: [3, 2]}\n"), "risk.rules.k_of_n", 10),
])
def test_every_kind_of_error_names_its_line(text: str, key: str, line: int) -> None:
    errors = _errors(text)
    hits = [e for e in errors if e["key"] == key]
    assert hits, errors
    assert hits[0]["line"] == line, hits
    assert hits[0]["file"] == "r.yaml"


def test_all_errors_are_reported_together_in_both_languages() -> None:
    bad = GOOD_RULE.replace("subject: enterprise", "subject: moon").replace("direction: below", "direction: up")
    with pytest.raises(RulesFileError) as info:
        parse_ruleset(_file(bad), "rules.yaml")
    exc = info.value
    assert len(exc.errors) == 2 and exc.exit_code == 1
    zh, en = exc.message("zh"), exc.message("en")
    assert "rules.yaml 第 4 行" in zh and "moon" in zh
    assert "rules.yaml line 7 (rules[0].direction)" in en and "up" in en


def test_file_level_errors(tmp_path: Path) -> None:
    with pytest.raises(RulesFileError) as info:
        load_ruleset(tmp_path / "missing.yaml")
    assert info.value.errors[0]["key"] == "risk.rules.no_file"
    toml = tmp_path / "rules.toml"
    toml.write_text("version = 1\n")
    with pytest.raises(RulesFileError) as info:
        load_ruleset(toml)
    assert info.value.errors[0]["key"] == "risk.rules.not_yaml"
    gbk = tmp_path / "gbk.yaml"
    gbk.write_bytes("version: 规则\n".encode("gbk"))
    with pytest.raises(RulesFileError) as info:
        load_ruleset(gbk)
    assert info.value.errors[0]["key"] == "risk.rules.encoding"


def test_k_of_n_persistence() -> None:
    rs = parse_ruleset(_file(GOOD_RULE + "    persistence: {k_of_n: [2, 3]}\n"))
    assert rs.rules[0].k_of_n == (2, 3) and rs.rules[0].raise_months["blue"] == 1


def test_disabled_rules_are_skipped_and_persistence_shorthand() -> None:
    text = _file(GOOD_RULE + "    persistence: {raise: 2, lower: 3}\n" + GOOD_RULE.replace("r1", "r2")
                 + "    enabled: false\n")
    rs = parse_ruleset(textwrap.dedent(text))
    assert [r.id for r in rs.rules] == ["r1"]
    assert rs.rules[0].raise_months == {"blue": 2, "yellow": 2, "orange": 2, "red": 2}
    assert rs.rules[0].lower_months == 3
