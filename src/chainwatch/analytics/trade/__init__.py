"""Foreign-trade analytics: partner groups, shares and growth, import dependence, RCA.

Pure functions from tables to tables (no store, no I/O):

* :mod:`.growth` — levels, shares, 当月/累计同比, contribution and pull by any key;
* :mod:`.dependence` — origin concentration (HHI, CR1) and import dependence of segments;
* :mod:`.rca` — Balassa revealed comparative advantage by HS section;
* :mod:`.groups` — editing a partner group's member list;
* :mod:`.hs`, :mod:`.countries` — HS sections/chapters and partner names.
"""

from chainwatch.analytics.trade.dependence import (
    hhi_band,
    import_dependence,
    origin_concentration,
    segment_table,
)
from chainwatch.analytics.trade.groups import edit_members
from chainwatch.analytics.trade.growth import attach_groups, attach_products, trade_growth, window_sums
from chainwatch.analytics.trade.rca import balassa_rca, city_rca, normalise_world_exports

__all__ = [
    "attach_groups", "attach_products", "balassa_rca", "city_rca", "edit_members", "hhi_band", "import_dependence",
    "normalise_world_exports", "origin_concentration", "segment_table", "trade_growth", "window_sums",
]
