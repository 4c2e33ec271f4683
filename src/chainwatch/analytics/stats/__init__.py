"""Official-style industrial statistics (statistics.md): same-caliber growth, 1–2月, shares,
贡献率/拉动, two-year average growth, 增减面 and losses, by any grouping, as Ibis expressions."""

from chainwatch.analytics.stats.compute import (
    GROUP_FIELDS,
    IND_FIELDS,
    finalize,
    group_sums,
    long_rows,
    rollup_sums,
    stats_expr,
)
from chainwatch.analytics.stats.groups import (
    assignments,
    derived_scope,
    membership,
    memberships,
    size_class_expr,
)
from chainwatch.analytics.stats.indicators import (
    ALL_INDICATORS,
    GROUP_TYPES,
    INDICATORS,
    PARTITIONS,
    SENTENCE_INDICATORS,
)
from chainwatch.analytics.stats.measures import (
    contribution_pct,
    growth_pct,
    pull_pp,
    real_growth_pct,
    two_year_avg_pct,
)
from chainwatch.analytics.stats.panel import Span, caliber_frame, enterprise_panel

__all__ = [
    "ALL_INDICATORS", "GROUP_FIELDS", "GROUP_TYPES", "IND_FIELDS", "INDICATORS", "PARTITIONS", "assignments",
    "SENTENCE_INDICATORS", "Span", "caliber_frame", "derived_scope", "contribution_pct", "enterprise_panel", "finalize",
    "group_sums", "growth_pct", "long_rows", "membership", "memberships", "pull_pp", "real_growth_pct",
    "rollup_sums", "size_class_expr", "stats_expr", "two_year_avg_pct",
]
