"""Warning grades and how they combine, persist and fall (risk-methods.md §2.3 and §2.7).

Grades are integers: 0 none, 1 blue (蓝, 一般/IV), 2 yellow (黄, 较重/III), 3 orange (橙, 严重/II),
4 red (红, 特别严重/I). Every function here works on whole numpy arrays (one row per subject, one
column per official period), so a run over 200,000 enterprises never loops in Python per subject.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

LEVELS: tuple[str, ...] = ("none", "blue", "yellow", "orange", "red")
GRADE: dict[str, int] = {name: i for i, name in enumerate(LEVELS)}
LEVEL_ZH: tuple[str, ...] = ("无", "蓝色", "黄色", "橙色", "红色")
#: default months a condition must hold before the grade is raised (§2.8 persistence.raise)
DEFAULT_RAISE: dict[str, int] = {"blue": 3, "yellow": 2, "orange": 1, "red": 1}
#: default months a lower grade must hold before an open warning is lowered (§2.8 persistence.lower)
DEFAULT_LOWER = 2


def grade_from_thresholds(values: np.ndarray, thresholds: Mapping[str, float], direction: str) -> np.ndarray:
    """Grade each value against per-level thresholds.

    Parameters
    ----------
    values : array of any shape; NaN never fires.
    thresholds : ``{level_name: cut}`` for some of blue … red.
    direction : ``"below"`` (value ≤ cut is adverse) or ``"above"`` (value ≥ cut is adverse).

    Returns
    -------
    int8 array of grades 0–4, the highest level whose cut the value reaches.

    Examples
    --------
    >>> grade_from_thresholds(np.array([-5.0, -12, -35, np.nan]), {"blue": -10, "orange": -30}, "below")
    array([0, 1, 3, 0], dtype=int8)
    """
    vals = np.asarray(values, dtype=float)
    out = np.zeros(vals.shape, dtype=np.int8)
    with np.errstate(invalid="ignore"):
        for name, cut in thresholds.items():
            hit = vals <= cut if direction == "below" else vals >= cut
            out = np.where(hit & (GRADE[name] > out), np.int8(GRADE[name]), out)
    return out


def k_of_n_levels(levels: np.ndarray, k: int, n: int) -> np.ndarray:
    """Level per month that held in at least ``k`` of the last ``n`` months (``k_of_n`` rule, §2.3).

    Examples
    --------
    >>> k_of_n_levels(np.array([[2, 0, 1, 0, 0]]), 2, 3).tolist()
    [[0, 0, 1, 0, 0]]
    """
    lv = np.asarray(levels, dtype=np.int8)
    out = np.zeros(lv.shape, dtype=np.int8)
    T = lv.shape[1]
    for g in range(1, 5):
        hit = (lv >= g).astype(np.int16)
        c = np.cumsum(hit, axis=1)
        window = c - np.concatenate([np.zeros((lv.shape[0], n), np.int16), c[:, :-n]], axis=1)[:, :T]
        out = np.where(window >= k, np.int8(g), out)
    return out


def run_lengths_at_least(levels: np.ndarray) -> np.ndarray:
    """For each row, level and column: consecutive months ending at that column with level ≥ g.

    Returns an int array of shape ``(n, T, 5)``; index ``[:, :, 0]`` counts all months.
    """
    n, T = levels.shape
    out = np.zeros((n, T, 5), dtype=np.int16)
    for g in range(5):
        hit = levels >= g
        run = np.zeros(n, dtype=np.int16)
        for t in range(T):
            run = np.where(hit[:, t], run + 1, 0).astype(np.int16)
            out[:, t, g] = run
    return out


def grade_path(levels: np.ndarray, raise_months: Mapping[str, int] | None = None,
               lower_months: int = DEFAULT_LOWER) -> tuple[np.ndarray, np.ndarray]:
    """Apply persistence (raise) and hysteresis (lower) to monthly condition levels (§2.3).

    A grade is raised as soon as the condition for it has held for its ``raise_months`` in a row.
    An existing grade is lowered only after the lower grade's condition has held for
    ``lower_months`` in a row; a grade falls to 0 ("condition cleared") the same way.

    Parameters
    ----------
    levels : int array ``(n_subjects, T)`` of the raw monthly condition level, oldest column first.
    raise_months : months per level, default blue 3, yellow 2, orange 1, red 1.
    lower_months : M, default 2.

    Returns
    -------
    (grades, months) : int8 arrays ``(n, T)``: the warning grade after each month, and how many
    consecutive months the condition has been at or above that grade.

    Examples
    --------
    >>> g, _ = grade_path(np.array([[1, 1, 1, 3, 2, 2, 0, 0]]))
    >>> g.tolist()
    [[0, 0, 1, 3, 3, 2, 2, 0]]
    """
    req = {**DEFAULT_RAISE, **(raise_months or {})}
    lv = np.asarray(levels, dtype=np.int8)
    n, T = lv.shape
    runs = run_lengths_at_least(lv)
    grade = np.zeros(n, dtype=np.int8)
    grades = np.zeros((n, T), dtype=np.int8)
    months = np.zeros((n, T), dtype=np.int16)
    for t in range(T):
        raised = np.zeros(n, dtype=np.int8)
        for g in range(1, 5):
            ok = runs[:, t, g] >= req[LEVELS[g]]
            raised = np.where(ok, np.int8(g), raised)
        lo = max(0, t - lower_months + 1)
        recent_max = lv[:, lo:t + 1].max(axis=1) if t + 1 >= lower_months else grade
        lowered = np.minimum(grade, recent_max).astype(np.int8)
        grade = np.maximum(raised, lowered).astype(np.int8)
        grades[:, t] = grade
        months[:, t] = runs[np.arange(n), t, grade]
    return grades, months


def combine_subject(grades_by_indicator: Mapping[str, int], escalate_at: int = 3) -> tuple[int, bool]:
    """A subject's grade from its rule grades: the worst, plus one if ≥ ``escalate_at`` distinct
    indicators are at yellow or worse (breadth escalation, §2.7).

    Parameters
    ----------
    grades_by_indicator : ``{indicator: worst grade of rules on it}`` for one subject.

    Examples
    --------
    >>> combine_subject({"gross_output": 2, "total_profit": 2, "electricity": 3})
    (4, True)
    >>> combine_subject({"gross_output": 2, "total_profit": 1})
    (2, False)
    """
    if not grades_by_indicator:
        return 0, False
    worst = max(grades_by_indicator.values())
    broad = sum(1 for g in grades_by_indicator.values() if g >= GRADE["yellow"]) >= escalate_at
    return (min(4, worst + 1), True) if broad else (worst, False)


def rollup_chain(chain_rule_grade: int, segment_grades: Sequence[tuple[int, float]],
                 weight_min: float = 0.10) -> int:
    """Chain grade = max(chain-level rule grade, each segment grade lowered by one unless the
    segment's output weight in the chain is ≥ ``weight_min``) (§2.7).

    Examples
    --------
    >>> rollup_chain(1, [(3, 0.05), (2, 0.3)])
    2
    """
    best = chain_rule_grade
    for grade, weight in segment_grades:
        g = grade if weight >= weight_min else max(0, grade - 1)
        best = max(best, g)
    return best
