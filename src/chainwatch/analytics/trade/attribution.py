"""Attributing HS-coded trade to chain segments (归属规则), additively.

A segment lists the HS codes of its products (``segment_product``); a trade row (importer or exporter
× HS code × partner × month) belongs to the segments whose product codes cover its code (a product
code covers every trade code that starts with it; within one segment the longest code wins). When
one HS code is the product of several segments (HS 852349 is software of six segments, HS 854231
chips of several), giving the whole row to each of them would count the same import several times
and make unrelated segments look equally dependent. The rule here splits every row so that its
parts add up to the row:

1. **One candidate segment**: the whole row (basis ``single``).
2. **Several candidates, the trader is known** (enterprise-level rows with ``uscc``):

   * an *import* goes to the candidates that are an **input of the importer** — a segment with an
     edge into one of the importer's own segments (``importer_input``: the chip a PCB assembler
     imports belongs to the chip segment that supplies PCB assembly); failing that, to the
     candidates the importer **belongs to** (``importer_own``: it imports its own product);
   * an *export* goes to the candidates the exporter **belongs to** (``exporter_own``); failing
     that, to the candidates that are an input of its segments (``exporter_input``, re-exports);
   * several matches share the row equally.
3. **Not resolvable** (no trader, or a trader outside every candidate and its inputs): the row is
   **apportioned** among its candidates in proportion to what rule 2 gave each of them for the same
   HS code and flow in the same data (``apportioned``), or equally when rule 2 gave nothing
   (``equal``).

The result is additive: for every input row the attributed values sum to the row's value, so
segment imports add up to the city's imports of the mapped codes and no two segments are credited
with the same money. Rows whose code no segment lists are dropped (they belong to no segment).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from chainwatch.analytics.trade.growth import attach_products

BASES = ("single", "importer_input", "importer_own", "exporter_own", "exporter_input", "apportioned", "equal")


def _pairs(frame: pd.DataFrame | None, a: str, b: str) -> pd.DataFrame:
    if frame is None or not len(frame):
        return pd.DataFrame({a: pd.Series(dtype=object), b: pd.Series(dtype=object)})
    return frame[[a, b]].dropna().drop_duplicates()


def attribute_to_segments(rows: pd.DataFrame, products: pd.DataFrame, members: pd.DataFrame | None = None,
                          edges: pd.DataFrame | None = None, *, values: Sequence[str] = ("value",),
                          code: str = "hs_code") -> pd.DataFrame:
    """Split HS-coded trade rows among the segments whose products they are (module docstring).

    Parameters
    ----------
    rows : trade rows with ``code``, ``flow`` (``import``/``export``), the ``values`` columns and,
        for enterprise-level data, ``uscc`` (null for region-level rows). Other columns are kept.
    products : ``segment_id, hs_code`` — the segments' product codes.
    members : ``segment_id, uscc`` — which enterprises belong to which segments.
    edges : ``from_segment, to_segment`` — the chain maps' supply edges (input → user).
    values : the money columns to split.

    Returns
    -------
    One row per (input row, segment) with the input columns, ``segment_id``, ``product`` (the
    matching product code), ``weight`` (0–1; the weights of one input row sum to 1), ``basis``
    (one of :data:`BASES`) and each ``values`` column multiplied by ``weight``.

    Examples
    --------
    >>> prods = pd.DataFrame({"segment_id": ["eda", "cad"], "hs_code": ["852349", "852349"]})
    >>> members = pd.DataFrame({"segment_id": ["design"], "uscc": ["U1"]})
    >>> edges = pd.DataFrame({"from_segment": ["eda"], "to_segment": ["design"]})
    >>> rows = pd.DataFrame({"uscc": ["U1", None], "hs_code": ["85234910", "85234910"],
    ...                      "flow": ["import", "import"], "value": [90.0, 10.0]})
    >>> out = attribute_to_segments(rows, prods, members, edges)
    >>> out[["segment_id", "value", "basis"]].values.tolist()
    [['eda', 90.0, 'importer_input'], ['eda', 10.0, 'apportioned']]
    """
    base = rows.reset_index(drop=True)
    base["_rid"] = np.arange(len(base))
    cols = [*base.columns.drop("_rid"), "segment_id", "product", "weight", "basis"]
    prods = products[["segment_id", "hs_code"]].dropna().drop_duplicates()
    if not len(base) or not len(prods):
        return pd.DataFrame({c: pd.Series(dtype=object) for c in cols})
    cand = attach_products(base[["_rid", code]], prods, key="segment_id", code=code)[["_rid", "segment_id", "product"]]
    n_cand = cand.groupby("_rid")["segment_id"].transform("size").to_numpy()
    cand["weight"] = np.where(n_cand == 1, 1.0, np.nan)
    cand["basis"] = np.where(n_cand == 1, "single", None)
    multi = cand[n_cand > 1]
    if len(multi):
        info = base.loc[multi["_rid"], ["flow", code]].set_index(multi.index)
        info["uscc"] = base.loc[multi["_rid"], "uscc"].to_numpy() if "uscc" in base else None
        own = _pairs(members, "uscc", "segment_id").assign(_own=True)
        inp = _pairs(members, "uscc", "segment_id").merge(
            _pairs(edges, "from_segment", "to_segment"), left_on="segment_id", right_on="to_segment")
        inp = inp[["uscc", "from_segment"]].rename(columns={"from_segment": "segment_id"}).drop_duplicates()
        m = multi.join(info).reset_index()
        m = m.merge(own, on=["uscc", "segment_id"], how="left").merge(
            inp.assign(_inp=True), on=["uscc", "segment_id"], how="left")
        m["_own"] = m["_own"].fillna(False).astype(bool)
        m["_inp"] = m["_inp"].fillna(False).astype(bool)
        is_imp = m["flow"].eq("import").to_numpy()
        first = np.where(is_imp, m["_inp"], m["_own"])
        second = np.where(is_imp, m["_own"], m["_inp"])
        m["_first"], m["_second"] = first, second
        any1 = m.groupby("_rid")["_first"].transform("any").to_numpy()
        any2 = m.groupby("_rid")["_second"].transform("any").to_numpy()
        chosen = np.where(any1, first, np.where(any2, second, False))
        tier = np.where(any1, np.where(is_imp, "importer_input", "exporter_own"),
                        np.where(any2, np.where(is_imp, "importer_own", "exporter_input"), ""))
        m["_chosen"] = chosen
        k = m.groupby("_rid")["_chosen"].transform("sum").to_numpy()
        resolved = k > 0
        w = np.where(resolved, np.where(chosen, 1.0 / np.maximum(k, 1), 0.0), np.nan)
        # rule 3: unresolved rows follow what rule 2 gave each candidate for the same code and flow
        vcol = values[0]
        m["_v"] = base.loc[m["_rid"], vcol].to_numpy(dtype=float) * np.nan_to_num(w)
        key = [code, "flow", "segment_id"]
        got = m[resolved].groupby(key)["_v"].sum().rename("_got").reset_index()
        m = m.merge(got, on=key, how="left")
        m["_got"] = m["_got"].fillna(0.0).clip(lower=0.0)
        tot = m.groupby("_rid")["_got"].transform("sum").to_numpy()
        n_row = m.groupby("_rid")["segment_id"].transform("size").to_numpy()
        w_app = np.where(tot > 0, m["_got"].to_numpy() / np.where(tot > 0, tot, 1.0), 1.0 / n_row)
        m["weight"] = np.where(resolved, w, w_app)
        m["basis"] = np.where(resolved, tier, np.where(tot > 0, "apportioned", "equal"))
        m = m[m["weight"] > 0]
        cand = pd.concat([cand[n_cand == 1], m.set_index("index")[["_rid", "segment_id", "product", "weight", "basis"]]])
    out = cand.merge(base, on="_rid", how="left").sort_values(["_rid", "segment_id"], kind="stable")
    for v in values:
        out[v] = out[v].astype(float) * out["weight"]
    return out[cols].reset_index(drop=True)
