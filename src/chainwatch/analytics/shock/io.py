"""Input–output tables and the sector models on one LU factor of (I − A).

Readers
-------
* :func:`read_nbs` — the NBS national table layout (``Code, Description, DescriptionInChinese,
  <sector codes>, TIU, <final uses>, TFU, IM, GO`` with rows ``TII, VA001…, TVA, TI``), both the
  competitive-import tables (149/153 sectors) and the 42-sector tables with an ``Origin`` column
  (``Domestic`` / ``Imports`` rows).
* :func:`read_plain` — a plain CSV layout: first column the sector labels, columns named like the
  rows are the flows Z, other numeric columns final demand; an optional output column
  (``x``, ``output``, ``GO``, ``total_output``) or a separate final-demand / output file.

Models (risk-methods §4.1–4.5, §5.1)
------------------------------------
:class:`IOModel` factorises (I − A) once with :func:`scipy.linalg.lu_factor` and reuses the factor
for Leontief (demand), Ghosh (supply), inoperability (static, mixed, dynamic) and hypothetical
extraction. It never forms L except for diagnostics on small tables. Zero-output sectors are handled
as pymrio does: their column of A is zero (1/x is set to 0 where x = 0).
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy.linalg import lu_factor, lu_solve

from chainwatch.errors import InputError

NBS_TOTAL_COLS = {"TIU", "THC", "TC", "GCF", "TFU", "GO", "IM", "TI"}  # ERR (discrepancy) stays in Y
OUTPUT_COLS = ("x", "output", "go", "total_output", "indout")


@dataclass
class IOTable:
    """One input–output table (a record; models live in :class:`IOModel`).

    Attributes
    ----------
    sectors : sector codes, length n.
    Z : (n, n) intermediate flows (domestic only for non-competitive tables).
    Y : (n, k) final demand by category (competitive tables include ``-IM`` as a category).
    x : (n,) gross output.
    names : sector names (optional).
    y_labels : final-demand category labels.
    imports, exports : (n,) IM and EX columns when the layout has them.
    Z_imp : (n, n) imported intermediate flows of non-competitive tables.
    unit : money unit of every value.
    """

    sectors: list[str]
    Z: np.ndarray
    Y: np.ndarray
    x: np.ndarray
    names: list[str] = field(default_factory=list)
    names_zh: list[str] = field(default_factory=list)
    y_labels: list[str] = field(default_factory=list)
    imports: np.ndarray | None = None
    exports: np.ndarray | None = None
    Z_imp: np.ndarray | None = None
    unit: str = ""
    source: str = ""
    layout: str = ""

    @property
    def n(self) -> int:
        return len(self.sectors)

    @property
    def f(self) -> np.ndarray:
        """Total final demand per sector (row sums of Y)."""
        return self.Y.sum(axis=1)

    @property
    def v(self) -> np.ndarray:
        """Primary inputs (value added plus imports in non-competitive tables): x − 1′Z."""
        return self.x - self.Z.sum(axis=0)

    @property
    def final_use(self) -> np.ndarray:
        """Total final use per sector (TFU: every final-demand column, imports not subtracted).

        This is the base of ``demand_change_pct``: NBS competitive tables carry ``-IM`` among the
        final-demand categories so that ``x = Z1 + Y1`` balances; final use is Y without it.
        """
        keep = [i for i, lab in enumerate(self.y_labels) if lab != "-IM"] if self.y_labels else \
            list(range(self.Y.shape[1]))
        return self.Y[:, keep].sum(axis=1) if keep else np.zeros(self.n)

    def index_of(self, code: str | int) -> int:
        """Position of a sector code; ``79`` finds ``079`` when the codes are numbers written with leading zeros."""
        key = str(code).strip()
        try:
            return self.sectors.index(key)
        except ValueError:
            pass
        if key.isdigit():
            hits = [i for i, c in enumerate(self.sectors) if c.strip().isdigit() and int(c) == int(key)]
            if len(hits) == 1:
                return hits[0]
        raise InputError("shock.io.unknown_sector", sector=code, source=self.source or "table")


def _num(frame: pd.DataFrame, file: str) -> np.ndarray:
    if all(pd.api.types.is_numeric_dtype(d) for d in frame.dtypes):
        return frame.to_numpy(dtype=float, na_value=0.0)
    vals = frame.apply(pd.to_numeric, errors="coerce")
    bad = vals.isna() & frame.notna()
    if bad.to_numpy().any():
        r, c = np.argwhere(bad.to_numpy())[0]
        raise InputError("shock.io.not_number", file=file, row=str(frame.index[r]), column=str(frame.columns[c]),
                         value=str(frame.iat[r, c]))
    return vals.fillna(0.0).to_numpy(dtype=float)


@dataclass(frozen=True)
class TableText:
    """The text of a table file held in memory (a stored IO table); it reads like a file named ``label``.

    The readers accept it wherever they accept a path, so a stored table is parsed exactly as the file
    it was imported from, and messages name the table, never a server path.
    """

    label: str
    text: str
    tab: bool = False

    def __str__(self) -> str:
        return self.label


Source = str | Path | TableText
ENCODINGS = ("utf-8-sig", "gb18030")


def decode_table(data: bytes, label: str) -> str:
    """The text of a table file's bytes (UTF-8 with or without BOM, else GB18030)."""
    for enc in ENCODINGS:
        try:
            return data.decode(enc)
        except UnicodeDecodeError:
            continue
    raise InputError("shock.io.unreadable", file=label, detail="encoding")


def _parse(opener: Callable[[], Any], label: str, tab: bool, encodings: Sequence[str | None]) -> pd.DataFrame:
    sep = "\t" if tab else ","
    for enc in encodings:
        try:
            head = pd.read_csv(opener(), nrows=0, encoding=enc, sep=sep)
            text_cols = {c: str for c in head.columns[:1].tolist() + ["Code", "Description", "DescriptionInChinese",
                                                                       "Origin"] if c in head.columns}
            return pd.read_csv(opener(), dtype=text_cols, encoding=enc, sep=sep)
        except UnicodeDecodeError:
            continue
        except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
            raise InputError("shock.io.unreadable", file=label, detail=str(exc).splitlines()[0]) from exc
    raise InputError("shock.io.unreadable", file=label, detail="encoding")


def _read_csv(path: Source) -> pd.DataFrame:
    if isinstance(path, TableText):
        return _parse(lambda: io.StringIO(path.text), path.label, path.tab, (None,))
    p = Path(path)
    if not p.exists():
        raise InputError("shock.io.file_missing", file=str(p))
    return _parse(lambda: p, str(p), p.suffix in (".tsv", ".txt"), ENCODINGS)


def read_nbs(path: Source) -> IOTable:
    """Read an NBS national input–output table (competitive or 42-sector non-competitive layout).

    Competitive tables: Z is the full flow block (imports folded in), final demand Y holds every
    final-use column (FU…, EX) plus ``-IM`` so that ``x = Z1 + Y1`` balances as in the table.
    Non-competitive tables (an ``Origin`` column): Z and Y are the ``Domestic`` rows and
    ``Z_imp`` the ``Imports`` rows. Units stay those of the file (10,000 CNY for NBS).
    """
    file = str(path)
    df = _read_csv(path)
    if "Code" not in df.columns:
        raise InputError("shock.io.nbs_layout", file=file, detail="no 'Code' column")
    codes = df["Code"].astype(str).str.strip()
    if "TIU" not in df.columns or "GO" not in df.columns:
        raise InputError("shock.io.nbs_layout", file=file, detail="columns TIU and GO are required")
    cols = list(df.columns)
    first = 4 if "Origin" in cols else 3
    sec_cols = cols[first:cols.index("TIU")]
    fd_cols = [c for c in cols[cols.index("TIU") + 1:] if c not in NBS_TOTAL_COLS]
    if "TC" in cols and not any(c.startswith("FU1") for c in cols):
        fd_cols.insert(0, "TC")  # consumption given only as its total
    if "GCF" in cols and not any(c.startswith("FU2") for c in cols):
        fd_cols.append("GCF")
    if "Origin" in cols:
        origin = df["Origin"].astype(str).str.strip().str.lower()
        dom = df[(origin == "domestic") & codes.isin(sec_cols)].set_index("Code")
        imp = df[(origin == "imports") & codes.isin(sec_cols)].set_index("Code")
        if list(dom.index) != sec_cols:
            raise InputError("shock.io.nbs_layout", file=file, detail="Domestic rows do not match the sector columns")
        Z = _num(dom[sec_cols], file)
        Z_imp = _num(imp.reindex(sec_cols)[sec_cols], file) if len(imp) else None
        Y = _num(dom[fd_cols], file)
        x = _num(dom[["GO"]], file).ravel()
        imports = Z_imp.sum(axis=1) if Z_imp is not None else None
        names = dom["Description"].astype(str).tolist()
        names_zh = dom["DescriptionInChinese"].astype(str).tolist() if "DescriptionInChinese" in dom else []
        exports = _num(dom[["EX"]], file).ravel() if "EX" in dom.columns else None
        return IOTable(sec_cols, Z, Y, x, names=names, names_zh=names_zh, y_labels=fd_cols, imports=imports, exports=exports,
                       Z_imp=Z_imp, unit="万元", source=file, layout="nbs-noncompetitive")
    rows = df[codes.isin(sec_cols)].set_index("Code")
    if list(rows.index) != sec_cols:
        missing = [c for c in sec_cols if c not in rows.index]
        raise InputError("shock.io.nbs_layout", file=file,
                         detail=f"rows do not match the sector columns (missing {missing[:5]})")
    Z = _num(rows[sec_cols], file)
    Yfd = _num(rows[fd_cols], file)
    im = _num(rows[["IM"]], file).ravel() if "IM" in rows.columns else np.zeros(len(sec_cols))
    x = _num(rows[["GO"]], file).ravel()
    Y = np.column_stack([Yfd, -im])
    exports = _num(rows[["EX"]], file).ravel() if "EX" in rows.columns else None
    zh = rows["DescriptionInChinese"].astype(str).tolist() if "DescriptionInChinese" in rows else []
    return IOTable(sec_cols, Z, Y, x, names=rows["Description"].astype(str).tolist(), names_zh=zh,
                   y_labels=[*fd_cols, "-IM"], imports=im, exports=exports, unit="万元", source=file,
                   layout="nbs")


def read_plain(path: Source, final: Source | None = None, output: Source | None = None,
               unit: str = "") -> IOTable:
    """Read the plain CSV layout.

    ``path``: first column = row labels; columns whose names are row labels form Z (same order as
    the rows); a column named ``x``/``output``/``GO``/``total_output`` is gross output; every other
    column is a final-demand category. Rows whose label is not a column (value-added rows) are
    ignored. ``final`` and ``output`` are optional companion files with the same row labels (as
    in the WIOD export); without an output column x = Z1 + Y1 (pymrio's ``calc_x``).
    """
    file = str(path)
    df = _read_csv(path)
    df = df.set_index(df.columns[0])
    df.index = df.index.astype(str).str.strip()
    row_set = set(df.index.tolist())
    labels = [c for c in df.columns if c in row_set]
    if not labels:
        raise InputError("shock.io.plain_layout", file=file, detail="no column is named like a row label")
    if len(set(df.index[df.index.isin(labels)])) != df.index.isin(labels).sum():
        raise InputError("shock.io.plain_layout", file=file, detail="duplicate row labels")
    Z = _num(df.loc[labels, labels], file)
    out_col = next((c for c in df.columns if c.strip().lower() in OUTPUT_COLS), None)
    fd_cols = [c for c in df.columns if c not in labels and c != out_col]
    Y = _num(df.loc[labels, fd_cols], file) if fd_cols else np.zeros((len(labels), 0))
    if final is not None:
        fdf = _read_csv(final)
        fdf = fdf.set_index(fdf.columns[0])
        fdf.index = fdf.index.astype(str).str.strip()
        if not set(labels) <= set(fdf.index):
            raise InputError("shock.io.plain_layout", file=str(final), detail="rows do not match the flow table")
        Y = np.column_stack([Y, _num(fdf.loc[labels], str(final))])
        fd_cols = [*fd_cols, *fdf.columns]
    if output is not None:
        odf = _read_csv(output)
        odf = odf.set_index(odf.columns[0])
        odf.index = odf.index.astype(str).str.strip()
        if not set(labels) <= set(odf.index):
            raise InputError("shock.io.plain_layout", file=str(output), detail="rows do not match the flow table")
        x = _num(odf.loc[labels].iloc[:, [0]], str(output)).ravel()
    elif out_col is not None:
        x = _num(df.loc[labels, [out_col]], file).ravel()
    else:
        x = Z.sum(axis=1) + Y.sum(axis=1)
    if (x < 0).any():
        i = int(np.argmax(x < 0))
        raise InputError("shock.io.negative_output", file=file, sector=labels[i])
    return IOTable(labels, Z, Y, x, y_labels=list(map(str, fd_cols)), unit=unit, source=file, layout="csv")


def read_table(path: Source, layout: str = "auto", **kw: Source | None) -> IOTable:
    """Read a table in ``layout`` ``nbs``, ``csv`` or ``auto`` (NBS when a ``Code``/``TIU`` header is present)."""
    if layout == "auto":
        head = _read_csv(path).columns
        layout = "nbs" if "Code" in head and "TIU" in head else "csv"
    if layout == "nbs":
        return read_nbs(path)
    if layout == "csv":
        return read_plain(path, **kw)  # type: ignore[arg-type]
    raise InputError("shock.io.bad_layout", layout=layout)


def _safe_recip(x: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore"):
        r = 1.0 / x
    r[~np.isfinite(r)] = 0.0
    return r


class IOModel:
    """Sector models over one table, sharing one LU factor of (I − A).

    Parameters
    ----------
    table : the :class:`IOTable`.
    domestic : for competitive-import tables, use domestic coefficients
        ``A^D = (I − m̂)A`` with ``m_i = IM_i / (GO_i + IM_i − EX_i)`` (risk-methods §4.0).
    precision : ``double`` (float64 LU) or ``mixed`` (float32 LU, about twice as fast to factorise
        at EXIOBASE size, with float64 iterative refinement to a residual of 1e-14 — results agree
        with the double path to ~1e-15 relative on IO tables, which are well conditioned).
    """

    def __init__(self, table: IOTable, domestic: bool = False, precision: str = "double") -> None:
        if precision not in ("double", "mixed"):
            raise ValueError(f"precision must be 'double' or 'mixed', not {precision!r}")
        self.precision = precision
        self.table = table
        self.x = np.asarray(table.x, dtype=float)
        self.rx = _safe_recip(self.x)
        A = table.Z * self.rx[None, :]
        if domestic and table.imports is not None and table.layout == "nbs":
            ex = table.exports if table.exports is not None else 0.0
            denom = self.x + table.imports - ex
            m = np.where(denom > 0, table.imports / np.where(denom > 0, denom, 1.0), 0.0)
            A = (1.0 - m)[:, None] * A
        self.A = A
        self.domestic = domestic

    @property
    def n(self) -> int:
        return self.A.shape[0]

    @cached_property
    def lu(self) -> tuple[np.ndarray, np.ndarray]:
        """The LU factor of (I − A), computed once (float32 in ``mixed`` precision)."""
        M = np.eye(self.n) - self.A
        if self.precision == "mixed":
            return lu_factor(M.astype(np.float32), check_finite=False, overwrite_a=True)
        return lu_factor(M, check_finite=False, overwrite_a=True)

    # -- Leontief ----------------------------------------------------------------------------
    def solve(self, rhs: np.ndarray, trans: bool = False) -> np.ndarray:
        """Solve (I − A) z = rhs (or its transpose); rhs may hold many columns (scenarios)."""
        b = np.asarray(rhs, dtype=float)
        t = 1 if trans else 0
        if self.precision == "double":
            return lu_solve(self.lu, b, trans=t, check_finite=False)
        z = lu_solve(self.lu, b.astype(np.float32), trans=t, check_finite=False).astype(float)
        scale = max(float(np.abs(b).max()), 1e-300)
        for _ in range(8):  # iterative refinement: residual in float64, correction with the float32 factor
            r = b - (z - (self.A.T @ z if trans else self.A @ z))
            if float(np.abs(r).max()) <= 1e-15 * scale:
                break
            z += lu_solve(self.lu, r.astype(np.float32), trans=t, check_finite=False)
        return z

    def leontief(self, df: np.ndarray) -> np.ndarray:
        """Δx = L Δf (risk-methods §4.1); ``df`` is (n,) or (n, k) for k scenarios."""
        return self.solve(df)

    def output(self, f: np.ndarray | None = None) -> np.ndarray:
        """Model output x = L f (f defaults to the table's final demand)."""
        return self.solve(self.table.f if f is None else f)

    def multipliers(self) -> np.ndarray:
        """Output multipliers m_j = 1′L e_j (one transposed solve)."""
        return self.solve(np.ones(self.n), trans=True)

    def backward_linkage(self) -> np.ndarray:
        m = self.multipliers()
        return m / m.mean()

    def L_dense(self) -> np.ndarray:
        """The dense Leontief inverse, by solving against I (diagnostics / small tables only)."""
        return self.solve(np.eye(self.n))

    def diag_L(self, block: int = 512) -> np.ndarray:
        """diag(L) by block solves with the cached factor (memory O(n·block))."""
        d = np.empty(self.n)
        for s in range(0, self.n, block):
            e = min(self.n, s + block)
            rhs = np.zeros((self.n, e - s))
            rhs[np.arange(s, e), np.arange(e - s)] = 1.0
            d[s:e] = self.solve(rhs)[np.arange(s, e), np.arange(e - s)]
        return d

    # -- Ghosh -------------------------------------------------------------------------------
    def ghosh(self, dv: np.ndarray) -> np.ndarray:
        """Supply model Δx′ = Δv′G with G = x̂⁻¹Lx̂ (risk-methods §4.2): x ∘ L′(Δv / x)."""
        dv = np.asarray(dv, dtype=float)
        rx = self.rx if dv.ndim == 1 else self.rx[:, None]
        xx = self.x if dv.ndim == 1 else self.x[:, None]
        return xx * self.solve(dv * rx, trans=True)

    def forward_linkage(self) -> np.ndarray:
        """Row sums of G: x̂⁻¹ L x."""
        return self.rx * self.solve(self.x)

    # -- hypothetical extraction --------------------------------------------------------------
    def extraction(self, sectors: Sequence[int] | None = None) -> pd.DataFrame:
        """Hypothetical extraction (risk-methods §4.3), closed forms on the cached factor.

        Returns T^B (backward) and T^F (forward) per sector and as shares of total output. The
        model output x = L f is used so that T is exact for unbalanced (rounded) tables too.
        """
        x = self.output()
        idx = np.arange(self.n) if sectors is None else np.asarray(list(sectors), dtype=int)
        colsum = self.multipliers()[idx]
        if sectors is None:
            dL = self.diag_L()
        else:
            rhs = np.zeros((self.n, len(idx)))
            rhs[idx, np.arange(len(idx))] = 1.0
            dL = self.solve(rhs)[idx, np.arange(len(idx))]
        Lx = self.solve(x)[idx]
        tb = x[idx] * (colsum - 1.0) / dL
        tf = (Lx - x[idx]) / dL
        total = x.sum()
        return pd.DataFrame({"sector": [self.table.sectors[i] for i in idx], "backward": tb, "forward": tf,
                             "backward_pct": 100 * tb / total, "forward_pct": 100 * tf / total})

    def extract_bruteforce(self, j: int) -> tuple[float, float]:
        """T^B_j, T^F_j by re-solving with column / row j removed (oracle for tests, small n)."""
        x = self.output()
        Ab = self.A.copy()
        Ab[:, j] = 0.0
        xb = np.linalg.solve(np.eye(self.n) - Ab, self.table.f)
        B = self.rx[:, None] * self.A * x[None, :]  # B = x̂⁻¹ Z with Z = A x̂ at model x
        v = x - (self.A * x[None, :]).sum(axis=0)
        Bb = B.copy()
        Bb[j, :] = 0.0
        xf = np.linalg.solve((np.eye(self.n) - Bb).T, v)
        return float((x - xb).sum()), float((x - xf).sum())

    # -- inoperability ------------------------------------------------------------------------
    def iim(self, c_star: np.ndarray) -> np.ndarray:
        """Static IIM q = x̂⁻¹ L x̂ c* (risk-methods §4.4) with the shared factor."""
        c = np.asarray(c_star, dtype=float)
        xx = self.x if c.ndim == 1 else self.x[:, None]
        rx = self.rx if c.ndim == 1 else self.rx[:, None]
        return rx * self.solve(xx * c)

    def iim_mixed(self, fixed: dict[int, float], c_star: np.ndarray | None = None) -> np.ndarray:
        """Mixed IIM: inoperability q̄_K fixed for disabled sectors K, the rest solved.

        ``q_R = (I − A*_RR)⁻¹(A*_RK q̄_K + c*_R)``. In output units ℓ = x∘q this is
        ``(I − A)_RR ℓ_R = A_RK ℓ_K + x_R c*_R``, solved with the full factor by a k×k capacitance
        correction (k = |K| extra solves), never refactorising.
        """
        n = self.n
        K = np.array(sorted(fixed), dtype=int)
        qK = np.array([fixed[int(k)] for k in K], dtype=float)
        c = np.zeros(n) if c_star is None else np.asarray(c_star, dtype=float)
        lK = self.x[K] * qK
        b = self.x * c + self.A[:, K] @ lK
        b[K] = 0.0
        if len(K) == 0:
            return self.rx * self.solve(b)
        EK = np.zeros((n, len(K)))
        EK[K, np.arange(len(K))] = 1.0
        Minv_E = self.solve(EK)
        z0 = self.solve(b)
        w = np.linalg.solve(Minv_E[K, :], -z0[K])
        ell = z0 + Minv_E @ w
        ell[K] = lK
        return self.rx * ell

    def resilience(self, T: np.ndarray, ratio: float = 100.0) -> np.ndarray:
        """k_i = ln(q(0)/q(T)) / (T_i (1 − a*_ii)), with q(0)/q(T) = ``ratio`` (risk-methods §4.5)."""
        T = np.broadcast_to(np.asarray(T, dtype=float), (self.n,))
        return np.log(ratio) / (T * (1.0 - np.diag(self.A)))

    def diim(self, q0: np.ndarray, k: np.ndarray, steps: int, c_star: np.ndarray | None = None,
             floor: np.ndarray | None = None) -> np.ndarray:
        """Dynamic IIM ``q(t+1) = q(t) + K[A*q(t) + c*(t) − q(t)]`` (risk-methods §4.5).

        Parameters
        ----------
        q0 : initial inoperability (n,).
        k : resilience coefficients (n,) — see :meth:`resilience`.
        steps : number of steps; returns (steps + 1, n) with row 0 = q0.
        c_star : demand perturbation, (n,) constant or (steps, n) per step.
        floor : (steps + 1, n) lower bounds (forced inoperability of disabled sectors), optional.
        """
        q = np.empty((steps + 1, self.n))
        q[0] = q0
        kk = np.asarray(k, dtype=float)
        for t in range(steps):
            c = 0.0 if c_star is None else (c_star[t] if np.ndim(c_star) == 2 else c_star)
            aq = self.rx * (self.A @ (self.x * q[t]))  # A* q = x̂⁻¹ A x̂ q
            nxt = q[t] + kk * (aq + c - q[t])
            if floor is not None:
                nxt = np.maximum(nxt, floor[t + 1])
            q[t + 1] = np.clip(nxt, 0.0, 1.0)
        return q

    def sector_frame(self, values: dict[str, np.ndarray], lang: str = "en") -> pd.DataFrame:
        """A per-sector table: code, name (Chinese when ``lang`` is zh and the table has it), values."""
        out = pd.DataFrame({"sector": self.table.sectors})
        names = self.table.names_zh if lang == "zh" and self.table.names_zh else self.table.names
        if names:
            out["name"] = names
        for k, v in values.items():
            out[k] = v
        return out
