"""Codes: USCC check character (GB 32100-2015), industry sections, size classes, periods."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chainwatch.model.codes import USCC_CHARS, is_valid_uscc, make_uscc, section_of, uscc_problem
from chainwatch.model.periods import Period
from chainwatch.model.sizeclass import size_class

body17 = st.text(alphabet=USCC_CHARS, min_size=17, max_size=17)


def test_published_uscc_examples() -> None:
    # codes printed on real business licences
    assert is_valid_uscc("91350100M000100Y43")
    assert is_valid_uscc("91110000600037341L")
    assert uscc_problem("91350100M000100Y44") == "v.uscc_check"
    assert uscc_problem("91350100M000100Y4") == "v.uscc_format"
    assert uscc_problem("91350100M000100I43") == "v.uscc_format"  # I is not in the alphabet


@given(body17)
def test_completed_codes_are_valid(body: str) -> None:
    assert is_valid_uscc(make_uscc(body))


@given(body17, st.integers(0, 17), st.integers(1, 30))
def test_every_single_character_corruption_is_rejected(body: str, pos: int, delta: int) -> None:
    code = make_uscc(body)
    wrong = USCC_CHARS[(USCC_CHARS.index(code[pos]) + delta) % 31]
    corrupted = code[:pos] + wrong + code[pos + 1:]
    assert corrupted != code
    assert not is_valid_uscc(corrupted)


@pytest.mark.parametrize(("division", "section"), [("06", "B"), ("13", "C"), ("43", "C"), ("44", "D"), ("46", "D"),
                                                    ("47", "E"), ("70", "K"), ("97", "T"), ("00", None), ("98", None)])
def test_sections_from_division(division: str, section: str | None) -> None:
    assert section_of(division) == section


@pytest.mark.parametrize(("x", "y", "cls"), [  # statistics.md §7.1 test cases
    (1200, 500_000_000, "large"), (1200, 300_000_000, "medium"), (250, 500_000_000, "small"),
    (300, 20_000_000, "medium"), (15, 50_000_000, "micro")])
def test_size_class_worked_examples(x: int, y: int, cls: str) -> None:
    assert size_class(x, y) == cls


def test_periods_combine_january_and_february() -> None:
    assert Period.parse("2021-01").official_months == (1, 2)
    assert Period.parse("2021-02").cumulative_months == (1, 2)
    assert Period.parse("2021-11").cumulative_months == tuple(range(1, 12))
    assert Period.parse("2021-11").label("zh", cumulative=True) == "1–11月"
    assert Period.parse("2021-02").label("en") == "Jan–Feb"
    assert str(Period.parse("2021-01").shift(-1)) == "2020-12"
