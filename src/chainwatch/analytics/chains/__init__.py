"""Chain-map analytics (pure): segment indicators, critical nodes, leaders, targets, chain-map files.

See ``docs/chains.md`` and ``shared/domain/risk-methods.md`` §1 for the methods.
"""

from chainwatch.analytics.chains.assess import (
    ChainAnalysis,
    ChainInputs,
    analyse_chain,
    analyse_chains,
    risk_level,
)
from chainwatch.analytics.chains.chainmap import (
    ChainMap,
    chain_map_sheets,
    dump_chain_map,
    parse_chain_map,
    parse_chain_sheets,
)
from chainwatch.analytics.chains.graph import critical_nodes, dominators, pagerank
from chainwatch.analytics.chains.indicators import DIRECTION, Thresholds
from chainwatch.analytics.chains.leaders import leader_candidates
from chainwatch.analytics.chains.scorecard import SCORECARD_V1, segment_scores
from chainwatch.analytics.chains.targets import rank_targets
from chainwatch.analytics.chains.willems import willems_chain

__all__ = [
    "DIRECTION", "SCORECARD_V1", "segment_scores", "ChainAnalysis", "ChainInputs", "ChainMap", "Thresholds", "analyse_chain", "analyse_chains", "critical_nodes",
    "chain_map_sheets", "dominators", "dump_chain_map", "parse_chain_sheets", "leader_candidates", "pagerank", "parse_chain_map", "rank_targets",
    "risk_level", "willems_chain",
]
