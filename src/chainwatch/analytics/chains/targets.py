"""Investment-attraction targets (补链招商): outside enterprises that could fill a segment.

For each missing or weak segment, candidates from an external directory are ranked by how well
their products match the segment's products and by their size:

* HS match of the best pair (candidate code, segment code): one code contains the other
  (e.g. segment ``8507``, candidate ``850760``) → 1.0; same 6-digit subheading → 0.9; same 4-digit
  heading → 0.6; a shared chapter alone is too broad to count;
* a product keyword match (the segment's name found in the candidate's product text) adds 0.3,
  capped at 1, and alone gives 0.3;
* size: percentile of revenue among the segment's matched candidates (size class when revenue is
  missing: large 1, medium 0.67, small 0.33, micro 0.1);
* ``score = 0.7·match + 0.3·size``.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd

SIZE_SCORE = {"large": 1.0, "medium": 0.67, "small": 0.33, "micro": 0.1,
              "大型": 1.0, "中型": 0.67, "小型": 0.33, "微型": 0.1}
W_MATCH, W_SIZE, KEYWORD_BONUS = 0.7, 0.3, 0.3


def split_codes(value: Any) -> list[str]:
    """HS codes from a list or a string separated by ``;``, ``,``, ``、`` or spaces (dots removed)."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return []
    items = value if isinstance(value, list) else re.split(r"[;,，；、\s]+", str(value))
    return [re.sub(r"[.\s]", "", str(x)) for x in items if str(x).strip()]


def hs_match(cand: list[str], seg: list[str]) -> tuple[float, str | None, str | None]:
    """Best match score between two code lists, with the matching pair."""
    best: tuple[float, str | None, str | None] = (0.0, None, None)
    for c in cand:
        for s in seg:
            if c.startswith(s) or s.startswith(c):
                score = 1.0
            else:
                common = 0
                for x, y in zip(c, s, strict=False):
                    if x != y:
                        break
                    common += 1
                common -= common % 2
                score = 0.9 if common >= 6 else 0.6 if common >= 4 else 0.0
            if score > best[0]:
                best = (score, c, s)
    return best


def _keywords(name_zh: Any, name_en: Any) -> list[str]:
    words: list[str] = []
    if isinstance(name_zh, str):
        words += [w for w in re.split(r"[、/与和及,，()（）\s]+", name_zh) if len(w) >= 2]
    if isinstance(name_en, str):
        words += [w.lower() for w in re.split(r"[\s,/&()-]+", name_en) if len(w) >= 4
                  and w.lower() not in {"other", "parts", "and", "with", "products"}]
    return words


def rank_targets(segments: pd.DataFrame, products: pd.DataFrame, directory: pd.DataFrame,
                 top_n: int = 10) -> pd.DataFrame:
    """Rank directory enterprises for each segment given.

    Parameters
    ----------
    segments : ``segment_id, name_zh, name_en`` (+ ``status``) — the segments to fill.
    products : ``segment_id, hs_code`` of those segments.
    directory : ``ext_id, name, region, country, hs_codes, products, revenue, size_class``.
    top_n : candidates kept per segment.

    Returns
    -------
    DataFrame ``segment_id, rank, ext_id, name, region, country, revenue, size_class, match,
    match_kind (hs|keyword), cand_code, seg_code, keyword, size_score, score``, best first per segment.
    """
    cols = ["segment_id", "rank", "ext_id", "name", "region", "country", "revenue", "size_class", "match",
            "match_kind", "cand_code", "seg_code", "keyword", "size_score", "score"]
    if not len(directory) or not len(segments):
        return pd.DataFrame(columns=cols)
    dcodes = [split_codes(v) for v in directory["hs_codes"]]
    dtext = directory["products"].fillna("").astype(str).str.lower().tolist() if "products" in directory \
        else [""] * len(directory)
    prods = products.groupby("segment_id")["hs_code"].apply(list).to_dict() if len(products) else {}
    out = []
    for s in segments.itertuples(index=False):
        seg_codes = [str(c) for c in prods.get(s.segment_id, [])]
        kws = _keywords(getattr(s, "name_zh", None), getattr(s, "name_en", None))
        rows = []
        for i, d in enumerate(directory.itertuples(index=False)):
            score, cc, sc = hs_match(dcodes[i], seg_codes)
            kw = next((k for k in kws if k.lower() in dtext[i]), None)
            match = min(1.0, score + KEYWORD_BONUS) if kw and score else (KEYWORD_BONUS if kw else score)
            if match <= 0:
                continue
            rows.append({"segment_id": s.segment_id, "ext_id": d.ext_id, "name": d.name, "region": d.region,
                         "country": d.country, "revenue": d.revenue, "size_class": d.size_class,
                         "match": match, "match_kind": "hs" if score else "keyword", "cand_code": cc,
                         "seg_code": sc, "keyword": kw})
        if not rows:
            continue
        f = pd.DataFrame(rows)
        rev = pd.to_numeric(f["revenue"], errors="coerce")
        pct = rev.rank(pct=True) if rev.notna().any() else pd.Series(np.nan, index=f.index)
        fallback = f["size_class"].map(lambda v: SIZE_SCORE.get(str(v).lower() if isinstance(v, str) else "", 0.0))
        f["size_score"] = pct.where(rev.notna(), fallback).fillna(0.0)
        f["score"] = W_MATCH * f["match"] + W_SIZE * f["size_score"]
        f = f.sort_values(["score", "match", "name"], ascending=[False, False, True]).head(top_n)
        f["rank"] = np.arange(1, len(f) + 1)
        out.append(f)
    if not out:
        return pd.DataFrame(columns=cols)
    return pd.concat(out, ignore_index=True)[cols]
