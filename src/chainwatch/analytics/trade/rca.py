"""Revealed comparative advantage (Balassa index) of exports by HS section.

``RCA_cs = (X_cs / X_c) / (X_ws / X_w)``: the share of section s in exporter c's exports divided by
the share of s in world exports. RCA ≥ 1 means a revealed advantage. Missing cells count as 0
(so an exporter without a section has RCA 0); an exporter with no exports at all gets null.

The city's RCA compares its exports by section (from trade flows) with a world reference
(world exports by section, e.g. CEPII BACI via OEC), imported with ``chainwatch trade world import``.
The reference is taken as given: the city's own exports are a negligible part of it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from chainwatch.analytics.trade.hs import ROMAN, normalise_section
from chainwatch.errors import InputError


def balassa_rca(matrix: pd.DataFrame) -> pd.DataFrame:
    """Balassa RCA of an exporter × product matrix of export values.

    Parameters
    ----------
    matrix : rows = exporters, columns = products, values = exports (NaN treated as 0).

    Returns
    -------
    Same shape; rows of exporters without exports are NaN.

    Examples
    --------
    >>> m = pd.DataFrame({"a": [10.0, 30.0], "b": [30.0, 30.0]}, index=["x", "y"])
    >>> balassa_rca(m).round(3).to_dict("list")
    {'a': [0.625, 1.25], 'b': [1.25, 0.833]}
    """
    x = matrix.fillna(0.0).astype(float)
    row = x.sum(axis=1)
    col = x.sum(axis=0)
    total = float(col.sum())
    if total <= 0:
        return x * np.nan
    country_share = x.div(row.where(row != 0, np.nan), axis=0)
    world_share = col / total
    return country_share.div(world_share.where(world_share != 0, np.nan), axis=1)


def city_rca(city: pd.Series, world: pd.Series) -> pd.DataFrame:
    """RCA of one exporter (the city) against a world reference, per section.

    Parameters
    ----------
    city : exports of the city by section (index: Roman section), any unit.
    world : world exports by section (index: Roman section), any unit.

    Returns
    -------
    ``[section, city_value, city_share_pct, world_value, world_share_pct, rca, advantage]`` for every
    section of the world reference (and any the city has beyond it), in section order.
    """
    idx = [s for s in ROMAN if s in set(world.index) | set(city.index)]
    c = city.reindex(idx).fillna(0.0).astype(float)
    w = world.reindex(idx).astype(float)
    c_tot, w_tot = float(c.sum()), float(w.fillna(0.0).sum())
    c_share = c / c_tot if c_tot > 0 else c * np.nan
    w_share = w / w_tot if w_tot > 0 else w * np.nan
    rca = c_share / w_share.where(w_share > 0, np.nan)
    out = pd.DataFrame({
        "section": idx, "city_value": c.values, "city_share_pct": (c_share * 100).values,
        "world_value": w.values, "world_share_pct": (w_share * 100).values, "rca": rca.values,
    })
    out["advantage"] = out["rca"].ge(1.0).where(out["rca"].notna(), None)
    return out


_OEC_VALUE = ("trade value", "value", "export value", "exports")
_OEC_SECTION = ("section id", "section", "hs_section", "section_id")
_OEC_COUNTRY = ("country id", "exporter country id", "country", "exporter")


def _find(columns: dict[str, str], names: tuple[str, ...]) -> str | None:
    for n in names:
        if n in columns:
            return columns[n]
    return None


def normalise_world_exports(frame: pd.DataFrame, year: int | None = None) -> pd.DataFrame:
    """World exports by section from a user file: OEC/BACI layout or a plain ``section, value``.

    Accepted columns (case-insensitive): a section (``Section ID`` 1–21, or Roman I–XXI, or
    ``section``), a value (``Trade Value`` or ``value``), optionally ``year`` and an exporter column
    (``Country ID``/``Exporter Country ID``), over which values are summed to the world.

    Returns ``[year, section, value, n_exporters]``; raises :class:`InputError` naming the problem.
    """
    cols = {str(c).strip().lstrip("\ufeff").lower(): c for c in frame.columns}
    sec_col = _find(cols, _OEC_SECTION)
    val_col = _find(cols, _OEC_VALUE)
    if sec_col is None or val_col is None:
        raise InputError("trade.world_columns", columns=", ".join(map(str, frame.columns)))
    year_col = cols.get("year")
    if year_col is None and year is None:
        raise InputError("trade.world_year")
    ctry_col = _find(cols, _OEC_COUNTRY)
    sections = frame[sec_col].map(normalise_section)
    bad = frame.index[sections.isna()]
    if len(bad):
        raise InputError("trade.world_section", row=int(bad[0]) + 2, value=str(frame.loc[bad[0], sec_col]))
    values = pd.to_numeric(frame[val_col], errors="coerce")
    bad_v = frame.index[values.isna() & frame[val_col].notna()]
    if len(bad_v) or (values < 0).any():
        row = int(bad_v[0]) if len(bad_v) else int(frame.index[values < 0][0])
        raise InputError("trade.world_value", row=row + 2, value=str(frame.loc[row, val_col]))
    data = pd.DataFrame({
        "year": frame[year_col].astype(int) if year_col is not None and year is None else int(year or 0),
        "section": sections, "value": values.fillna(0.0),
        "exporter": frame[ctry_col].astype(str) if ctry_col is not None else "world",
    })
    out = data.groupby(["year", "section"], as_index=False).agg(value=("value", "sum"),
                                                                n_exporters=("exporter", "nunique"))
    out["_o"] = out["section"].map({s: i for i, s in enumerate(ROMAN)})
    return out.sort_values(["year", "_o"]).drop(columns="_o").reset_index(drop=True)


def exporter_matrix(frame: pd.DataFrame) -> pd.DataFrame:
    """Exporter × section matrix from an OEC/BACI-layout frame (for :func:`balassa_rca`)."""
    cols = {str(c).strip().lstrip("\ufeff").lower(): c for c in frame.columns}
    sec_col, val_col, ctry_col = _find(cols, _OEC_SECTION), _find(cols, _OEC_VALUE), _find(cols, _OEC_COUNTRY)
    if sec_col is None or val_col is None or ctry_col is None:
        raise InputError("trade.world_columns", columns=", ".join(map(str, frame.columns)))
    return frame.pivot_table(index=ctry_col, columns=sec_col, values=val_col, aggfunc="sum").fillna(0.0)
