"""Tables explaining an :class:`~chainwatch.analytics.rules.engine.Evaluation`.

* :func:`condition_rows` – every condition (leaf and group) with the input value, the rule and the status;
* :func:`item_rows` – every score item with the input value, the band and the points;
* :func:`gap_rows` – what an entity lacks on its closest route: ``value → needed``;
* :func:`missing_inputs` – the inputs whose absence left a condition or item undecided.

All functions take the positions (row numbers) of the entities to explain, so a caller explains one
enterprise or thousands with the same code.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from chainwatch.analytics.rules.attributes import ATTRIBUTES
from chainwatch.analytics.rules.engine import (
    FAIL,
    STATUS_NAMES,
    UNKNOWN,
    Evaluation,
    band_text,
    node_text,
    threshold_text,
)
from chainwatch.analytics.rules.model import Group, Leaf, Node
from chainwatch.analytics.rules.values import format_value


def _fmt(value: Any, kind: str, lang: str) -> str:
    if isinstance(value, np.datetime64):
        return "—" if np.isnat(value) else str(value)
    if kind == "bool":
        if value is None or (isinstance(value, float) and np.isnan(value)):
            return "—"
        return format_value(bool(value), "bool", lang)
    return format_value(value, kind, lang)


# numeric value columns of the condition rows: money in 万元, ratios in percent
NUMERIC_UNITS: dict[str, tuple[float, str]] = {
    "money": (1e-4, "万元"), "ratio": (100.0, "%"), "number": (1.0, ""), "count": (1.0, ""), "years": (1.0, "年"),
    "bool": (1.0, "bool"),
}


def _set_text(ev: Evaluation, name: str, positions: np.ndarray) -> list[str]:
    """The members of a set-valued input (e.g. an enterprise's chains) as text, per position."""
    pair = ev.inputs.sets.get(name)
    if pair is None:
        return ["—"] * len(positions)
    idx, vals = pair
    wanted = pd.Series(np.arange(len(positions)), index=positions)
    mask = np.isin(idx, positions)
    groups: dict[int, list[str]] = {}
    for i, v in zip(idx[mask], vals[mask], strict=True):
        groups.setdefault(int(i), []).append(str(v))
    return [", ".join(sorted(set(groups.get(int(p), [])))) or "∅" for p in wanted.index]


def _walk(nodes: tuple[Node, ...] | list[Node], parent: str | None = None, depth: int = 0):
    for nd in nodes:
        yield nd, parent, depth
        if isinstance(nd, Group):
            yield from _walk(list(nd.children), nd.id, depth + 1)


def condition_rows(ev: Evaluation, positions: np.ndarray, lang: str = "zh") -> pd.DataFrame:
    """One row per entity and condition node, in rule-file order."""
    ids = ev.inputs.ids[positions]
    frames = []
    for order, (nd, parent, depth) in enumerate(_walk(ev.rules.conditions)):
        st = ev.status[nd.id][positions]
        num: Any = np.full(len(positions), np.nan)
        unit = ""
        if isinstance(nd, Leaf) and nd.score is None and nd.attribute is None:
            vtext = [""] * len(positions)
            attr = None
            rule = threshold_text(nd, lang)
        elif isinstance(nd, Leaf) and nd.score is None:
            kind = ATTRIBUTES[str(nd.attribute)].kind
            vals = ev.values[nd.id][positions]
            if kind in NUMERIC_UNITS:
                factor, unit = NUMERIC_UNITS[kind]
                num = np.asarray(vals, dtype=float) * factor
            vtext = [_fmt(v, kind, lang) for v in vals] if kind != "set" else _set_text(ev, str(nd.attribute), positions)
            attr = nd.attribute
            rule = threshold_text(nd, lang)
        elif isinstance(nd, Leaf):
            lo = ev.score_min[str(nd.score)][positions]
            hi = ev.score_max[str(nd.score)][positions]
            vtext = [format_value(a, "number") if a == b else f"{format_value(a, 'number')}–{format_value(b, 'number')}"
                     for a, b in zip(lo, hi, strict=True)]
            attr = f"score:{nd.score}"
            rule = threshold_text(nd, lang)
        else:
            vtext = [""] * len(positions)
            attr = None
            rule = ("全部满足" if nd.mode == "all" else "满足其一") if lang == "zh" else \
                ("all of" if nd.mode == "all" else "any of")
        frames.append(pd.DataFrame({
            "id": ids, "order": order, "condition": nd.id, "parent": parent, "depth": depth,
            "text": node_text(nd, lang), "attribute": attr, "value": vtext, "value_num": num, "unit": unit,
            "rule": rule,
            "status": [STATUS_NAMES[int(s)] for s in st],
            "unconfirmed": bool(nd.unconfirmed), "on_path": ev.on_path[nd.id][positions],
        }))
    if not frames:
        return pd.DataFrame(columns=["id", "condition"])
    out = pd.concat(frames, ignore_index=True)
    return out.sort_values(["id", "order"], kind="stable").drop(columns="order").reset_index(drop=True)


def item_rows(ev: Evaluation, positions: np.ndarray, lang: str = "zh") -> pd.DataFrame:
    """One row per entity and score item: value, band, points, maximum."""
    ids = ev.inputs.ids[positions]
    dims = {d.id: d.label[lang] for d in ev.rules.dimensions}
    mode = ev.settings.get("boundary_mode", "favourable_inclusive")
    frames = []
    for order, it in enumerate(ev.rules.items):
        pts = ev.points[it.id][positions]
        band = ev.band[it.id][positions]
        vals = ev.item_values[it.id][positions]
        if it.method == "best_of":
            kinds = [ATTRIBUTES[str(p.attribute)].kind for p in it.parts]
            vtext = [_fmt(v, kinds[b] if b >= 0 else "number", lang) for v, b in zip(vals, band, strict=True)]
            btext = [("—" if b < 0 else f"{ATTRIBUTES[str(it.parts[b].attribute)].label(lang)} "
                      f"{band_text(it.parts[b], int(ev.band[it.parts[b].id][p]), lang, mode)}")
                     for b, p in zip(band, positions, strict=True)]
        else:
            kind = ATTRIBUTES[str(it.attribute)].kind if it.attribute else "number"
            vtext = [_fmt(v, kind, lang) for v in vals]
            btext = [("—" if b == -2 else ("无数据，按设定计分" if lang == "zh" else "no data: setting applied") if b == -3
                      else band_text(it, int(b), lang, mode)) for b in band]
        label = it.label[lang] if it.label else (ATTRIBUTES[str(it.attribute)].label(lang) if it.attribute else it.id)
        frames.append(pd.DataFrame({
            "id": ids, "order": order, "item": it.id, "dimension": dims.get(it.dimension, it.dimension),
            "text": label, "value": vtext, "band": btext, "points": pts, "max_points": it.max,
            "unconfirmed": bool(it.unconfirmed),
        }))
    if not frames:
        return pd.DataFrame(columns=["id", "item", "points"])
    out = pd.concat(frames, ignore_index=True)
    return out.sort_values(["id", "order"], kind="stable").drop(columns="order").reset_index(drop=True)


def gap_rows(ev: Evaluation, positions: np.ndarray, lang: str = "zh") -> pd.DataFrame:
    """Failed or undecided leaves on each entity's closest route: value, what is needed, shortfall."""
    ids = ev.inputs.ids[positions]
    rows = []
    for nd, _parent, _depth in _walk(ev.rules.conditions):
        if not isinstance(nd, Leaf):
            continue
        st = ev.status[nd.id][positions]
        path = ev.on_path[nd.id][positions]
        mask = path & ((st == FAIL) | (st == UNKNOWN) | ((st == 2) & bool(nd.unconfirmed)))
        if not mask.any():
            continue
        sel = np.nonzero(mask)[0]
        if nd.score is None and nd.attribute is None:
            label, vtext = node_text(nd, lang), [""] * len(sel)
        elif nd.score is None:
            kind = ATTRIBUTES[str(nd.attribute)].kind
            label = ATTRIBUTES[str(nd.attribute)].label(lang)
            vals = ev.values[nd.id][positions][sel]
            vtext = [_fmt(v, kind, lang) for v in vals] if kind != "set" else _set_text(ev, str(nd.attribute), positions[sel])
        else:
            label = ("总分" if lang == "zh" else "total score") if nd.score == "total" else nd.score
            vals = ev.score_min[nd.score][positions][sel]
            vtext = [format_value(v, "number") for v in vals]
        rows.append(pd.DataFrame({
            "id": ids[sel], "condition": nd.id, "text": node_text(nd, lang), "input": label, "value": vtext,
            "needed": threshold_text(nd, lang),
            "status": [STATUS_NAMES[int(s)] for s in st[sel]], "shortfall": ev.gap[nd.id][positions][sel],
        }))
    if not rows:
        return pd.DataFrame(columns=["id", "condition", "text", "input", "value", "needed", "status", "shortfall"])
    return pd.concat(rows, ignore_index=True)


def missing_inputs(ev: Evaluation, positions: np.ndarray) -> list[list[str]]:
    """Per entity, the sorted attribute names whose missing value left a leaf or an item undecided."""
    out: list[set[str]] = [set() for _ in positions]
    for nd, _p, _d in _walk(ev.rules.conditions):
        if isinstance(nd, Leaf) and nd.attribute:
            st = ev.status[nd.id][positions]
            kind = ATTRIBUTES[nd.attribute].kind
            vals = ev.values[nd.id][positions]
            if kind in ("category", "set"):
                miss = pd.isna(pd.Series(vals, dtype=object)).to_numpy() & (st == UNKNOWN)
            elif kind == "date":
                miss = np.isnat(vals) & (st == UNKNOWN)
            else:
                miss = np.isnan(vals.astype(float)) & (st == UNKNOWN)
            for i in np.nonzero(miss)[0]:
                out[i].add(nd.attribute)
    for it in ev.rules.items:
        b = ev.band[it.id][positions]
        for i in np.nonzero(b == -2)[0]:
            out[i] |= {a for a in _item_attrs(it) if _col_missing(ev, a, positions[i])}
    return [sorted(s) for s in out]


def _item_attrs(it: Any) -> set[str]:
    names = {it.attribute} if it.attribute else set()
    names |= {f[0] for f in it.flags}
    for p in it.parts:
        names |= _item_attrs(p)
    return names


def _col_missing(ev: Evaluation, name: str, pos: int) -> bool:
    col = ev.inputs.columns.get(name)
    if col is None:
        return True
    v = col[pos]
    if isinstance(v, np.datetime64):
        return bool(np.isnat(v))
    if v is None:
        return True
    try:
        return bool(np.isnan(v))
    except TypeError:
        return False
