"""The demo city supplies every input the tier rules read (cultivation.md §9), checked through cw.cultivation.

The verdicts come from the cultivation engine on the default demo database at its default assessment
date (1 July after the latest annual data, 2022-07-01: rule sets 63号 and 105号). Bounds state what a
realistic city looks like ("a few hundred 专精特新, a few dozen 小巨人, dozens at single-champion
level, many near misses"); they are ranges, not the generator's exact counts.

'Not enough data' tolerance: at most 5 % of the enterprises per tier, and **only** for enterprises
that lack an annual row for one of the two prior years (closed before 2021 or founded in 2020/2021):
an enterprise with both years is never left undecided for want of an ``attrs`` input.
"""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest

from chainwatch.service import Chainwatch


@pytest.fixture(scope="module")
def verdicts(demo_db) -> pd.DataFrame:
    with Chainwatch(demo_db, lang="en", read_only=True) as cw:
        res = cw.cultivation.assess(all=True)
    assert str(res.meta["assessment_date"]) == "2022-07-01"
    return pd.DataFrame(res.tables["assessment"])


@pytest.fixture(scope="module")
def annual_years(demo_db) -> dict[str, set[int]]:
    con = duckdb.connect(demo_db, read_only=True)
    try:
        rows = con.execute("SELECT uscc, list(DISTINCT year) FROM enterprise_annual GROUP BY uscc").fetchall()
    finally:
        con.close()
    return {u: set(ys) for u, ys in rows}


def count(v: pd.DataFrame, tier: str, *verdict: str) -> int:
    return int(((v["tier"] == tier) & v["verdict"].isin(verdict)).sum())


def test_every_tier_assessed_for_every_enterprise(verdicts):
    assert set(verdicts["tier"]) == {"first", "zjtx", "xjr", "champion"}
    assert verdicts.groupby("tier")["uscc"].nunique().nunique() == 1


def test_plausible_numbers_pass_each_tier(verdicts):
    n = verdicts["uscc"].nunique()
    first = count(verdicts, "first", "qualifies")
    zjtx = count(verdicts, "zjtx", "qualifies")
    # 63号 小巨人: the domestic-share condition needs a manual reputation check, so manual_review is its best verdict
    xjr = count(verdicts, "xjr", "qualifies", "manual_review")
    # 105号 single champion: technology/quality/brand criteria are always checked by hand
    champ = count(verdicts, "champion", "qualifies", "manual_review")
    assert 200 <= zjtx <= 1000                   # a few hundred 专精特新
    assert zjtx < first <= 0.75 * n              # the first tier is broader, but not everybody
    assert 20 <= xjr <= 100                      # a few dozen 小巨人 candidates
    assert 20 <= champ <= 120                    # dozens at single-champion level
    assert xjr < zjtx


def test_many_near_misses(verdicts):
    fails = verdicts[verdicts["verdict"] == "does_not_qualify"]
    near_zjtx = int(((fails["tier"] == "zjtx") & (fails["unmet"] == 1)).sum())
    near_xjr = int(((fails["tier"] == "xjr") & fails["unmet"].between(1, 2)).sum())
    assert near_zjtx >= 100                      # one condition short of 专精特新
    assert near_xjr >= 10                        # one or two conditions short of 小巨人


def test_not_enough_data_is_rare_and_only_for_missing_years(verdicts, annual_years):
    n = verdicts["uscc"].nunique()
    ned = verdicts[verdicts["verdict"] == "not_enough_data"]
    for tier, g in ned.groupby("tier"):
        assert len(g) <= 0.05 * n, (tier, len(g))
    with_both_years = [(r.tier, r.uscc, r.missing_inputs) for r in ned.itertuples()
                       if {2020, 2021} <= annual_years.get(r.uscc, set())]
    assert with_both_years == []                 # never for want of an attrs input
    assert count(verdicts, "xjr", "not_enough_data") <= 10
