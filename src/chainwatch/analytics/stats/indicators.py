"""The indicators of the monthly industrial statistics and how each one aggregates."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Indicator:
    """One statistical indicator.

    Attributes
    ----------
    name : stable identifier used in JSON and on the command line.
    kind : ``flow`` (summed over the months of a span) or ``stock`` (averaged over the months an
        enterprise reported, e.g. 平均从业人员).
    unit : unit of the level (万元 for money).
    deflatable : whether a price deflator applies (value added only, statistics.md §3).
    """

    name: str
    kind: str
    unit: str
    deflatable: bool = False


INDICATORS: dict[str, Indicator] = {
    i.name: i
    for i in (
        Indicator("gross_output", "flow", "万元"),
        Indicator("value_added", "flow", "万元", deflatable=True),
        Indicator("revenue", "flow", "万元"),
        Indicator("total_profit", "flow", "万元"),
        Indicator("profit_tax", "flow", "万元"),
        Indicator("export_value", "flow", "万元"),
        Indicator("electricity", "flow", "万千瓦时"),
        Indicator("employees", "stock", "人"),
    )
}
ALL_INDICATORS: tuple[str, ...] = tuple(INDICATORS)
GROUP_TYPES: tuple[str, ...] = ("total", "chain", "segment", "cluster", "district", "industry", "size")
# groupings that partition the enterprise set: contributions sum to 100 % and pulls to the total growth
PARTITIONS: frozenset[str] = frozenset({"total", "district", "industry", "size"})
# the four figures of the bulletin sentence, in the official order: 产值、增加值、利税、利润
SENTENCE_INDICATORS: tuple[str, ...] = ("gross_output", "value_added", "profit_tax", "total_profit")
