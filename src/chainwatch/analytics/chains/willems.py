"""Willems (2008) supply chains as chain maps: stage = segment (node), link = edge.

Willems, S.P. (2008) "Real-World Multi-Echelon Supply Chains Used for Inventory Optimization",
M&SOM 10(1):19-23. Each chain comes as a stage table ``<NN>_SD`` (Stage Name, stageCost,
stageClassification Part/Manuf/Dist/Trans/Retail, ...) and a link table ``<NN>_LL``
(sourceStage → destinationStage). The mapping to a chain map:

* chain id ``willems-NN``; segment id ``wNN.<Stage Name>``; segment names are the stage names;
* position from the classification: Part → upstream, Manuf → midstream, Dist/Trans/Retail →
  downstream;
* every link becomes an upstream → downstream edge;
* ``stageCost`` is kept as the ``stage_cost`` column (an output proxy for the analytics).

Reading the CSV files is left to the caller (service, tests, bench); this module only maps frames.
"""

from __future__ import annotations

import pandas as pd

from chainwatch.analytics.chains.chainmap import ChainMap

CLASS_POSITION = {"part": "upstream", "parts": "upstream", "manuf": "midstream", "dist": "downstream",
                  "trans": "downstream", "retail": "downstream"}


def willems_chain(stages: pd.DataFrame, links: pd.DataFrame, number: str) -> ChainMap:
    """Map one Willems chain (its ``_SD`` and ``_LL`` tables) to a :class:`ChainMap`.

    Stages with an unknown classification are placed by graph position: no incoming link →
    upstream, no outgoing link → downstream, otherwise midstream.
    """
    nn = f"{int(number):02d}"
    prefix = f"w{nn}."
    names = stages["Stage Name"].astype(str).str.strip()
    src = links["sourceStage"].astype(str).str.strip()
    dst = links["destinationStage"].astype(str).str.strip()
    has_in, has_out = set(dst), set(src)

    def place(name: str, cls: object) -> str:
        pos = CLASS_POSITION.get(str(cls).strip().lower())
        if pos:
            return pos
        if name not in has_in:
            return "upstream"
        return "downstream" if name not in has_out else "midstream"

    cls = stages.get("stageClassification", pd.Series([None] * len(stages)))
    seg = pd.DataFrame({
        "segment_id": prefix + names,
        "name_zh": names,
        "name_en": names,
        "position": [place(n, c) for n, c in zip(names, cls, strict=True)],
        "weight": None,
        "stage_cost": pd.to_numeric(stages.get("stageCost"), errors="coerce") if "stageCost" in stages else None,
    })
    edges = pd.DataFrame({"from_segment": prefix + src, "to_segment": prefix + dst}).drop_duplicates()
    chain = {"chain_id": f"willems-{nn}", "name_zh": f"Willems (2008) 供应链 {nn}",
             "name_en": f"Willems (2008) supply chain {nn}", "cluster_id": None}
    return ChainMap(chain=chain, segments=seg.reset_index(drop=True), edges=edges.reset_index(drop=True),
                    products=pd.DataFrame(columns=["segment_id", "hs_code"]),
                    members=pd.DataFrame(columns=["segment_id", "uscc", "is_main"]))
