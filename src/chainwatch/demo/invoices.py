"""Synthetic VAT invoice lines consistent with a supply network, from thousands to 10^8 lines.

Every domestic link of the year (``supply_link``: local and other-Chinese suppliers; foreign
suppliers do not issue Chinese VAT invoices) becomes invoice lines over the link's active months
whose net value (valid − red) equals the link's ``annual_value``, so ``chainwatch network build``
on them gives the network back. On top of that come the things real extracts hold:

* red-letter reversals (红字发票) of part of an invoice, each followed by a corrected re-issue, so the
  net stays the link's value;
* void invoices (作废) with amounts that must not count;
* self-invoices (seller = buyer), which the build leaves out;
* sales to buyers outside the directory (synthetic taxpayer IDs) and to buyers without one
  (individuals), which count in the seller's sales only.

``copies`` > 1 repeats the network with other (synthetic, checksum-valid) taxpayer IDs, to grow the
number of links as well as lines. Lines are produced in chunks (``chunk_rows``) and written as
Parquet (Hive partition ``year=``) or CSV with the Chinese headers of a 增值税发票 extract, so memory
stays bounded by one chunk whatever the total.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from chainwatch import sheets
from chainwatch.model.codes import USCC_CHARS, make_uscc

CSV_HEADERS = {"invoice_number": "发票号码", "line_no": "行号", "seller_uscc": "销方识别号", "seller_name": "销方名称",
               "buyer_uscc": "购方识别号", "buyer_name": "购方名称", "invoice_date": "开票日期", "amount": "金额(元)",
               "tax_amount": "税额(元)", "tax_code": "税收分类编码", "hs_code": "商品HS编码",
               "goods_name": "货物或应税劳务、服务名称", "status": "发票状态"}
STATUS_ZH = {"valid": "正常", "red": "红字", "void": "作废"}
COLUMNS = ["invoice_number", "line_no", "seller_uscc", "seller_name", "buyer_uscc", "buyer_name", "invoice_date",
           "month", "amount", "tax_amount", "tax_code", "hs_code", "goods_name", "status"]


@dataclass(frozen=True)
class Mix:
    """Shares of extra lines per ordinary line (defaults resemble a clean provincial extract)."""

    red: float = 0.02          # a red-letter reversal (and its corrected re-issue)
    void: float = 0.01         # a void invoice
    self_invoice: float = 0.002
    outside: float = 0.05      # a sale to a buyer outside the directory
    no_buyer: float = 0.02     # a sale to a buyer without a taxpayer ID
    no_hs: float = 0.05        # sellers printing the tax classification code only (no HS code)


def synthetic_uscc(seed: str, region: str | None = None) -> str:
    """A checksum-valid taxpayer ID derived from ``seed`` (region = registering authority's code)."""
    h = hashlib.sha256(seed.encode("utf-8")).digest()
    reg = (region or "330200")[:6].ljust(6, "0")
    body = "".join(USCC_CHARS[b % 31] for b in h[:9])
    return make_uscc("91" + reg + body)


def _copy_id(uscc: str, k: int) -> str:
    return uscc if k == 0 else synthetic_uscc(f"{uscc}#{k}", uscc[2:8])


def invoice_links(links: pd.DataFrame, enterprise: pd.DataFrame, copies: int = 1) -> pd.DataFrame:
    """The domestic links as invoice parties: seller/buyer IDs and names, HS code, value (万元)."""
    dom = links[(links["supplier_country"].fillna("CHN") == "CHN") & (links["annual_value"].fillna(0) > 0)].copy()
    names = dict(zip(enterprise["uscc"], enterprise["name"], strict=True))
    ext = dom["supplier_uscc"].isna()
    dom.loc[ext, "supplier_uscc"] = [synthetic_uscc(f"{n}|{r}", (str(r) + "00")[:6] if r else None)
                                     for n, r in zip(dom.loc[ext, "supplier_name"], dom.loc[ext, "supplier_region"],
                                                     strict=True)]
    dom["seller_name"] = dom["supplier_uscc"].map(names).fillna(dom["supplier_name"])
    dom["buyer_name"] = dom["buyer_uscc"].map(names)
    base = dom[["supplier_uscc", "seller_name", "buyer_uscc", "buyer_name", "hs_code", "annual_value"]].rename(
        columns={"supplier_uscc": "seller_uscc", "annual_value": "value"}).reset_index(drop=True)
    parts = []
    for k in range(max(1, copies)):
        part = base.copy()
        if k:
            part["seller_uscc"] = [_copy_id(u, k) for u in part["seller_uscc"]]
            part["buyer_uscc"] = [_copy_id(u, k) for u in part["buyer_uscc"]]
            part["seller_name"] = part["seller_name"] + f"（副本{k}）"
            part["buyer_name"] = part["buyer_name"] + f"（副本{k}）"
        parts.append(part)
    out = pd.concat(parts, ignore_index=True)
    out["hs_code"] = out["hs_code"].fillna("392690").astype(str)
    return out


def _tax_code(hs: np.ndarray) -> np.ndarray:
    """A synthetic 19-digit tax classification code per HS code (goods: first digit 1)."""
    return np.char.add(np.char.add("1", np.char.ljust(hs.astype(str), 6, "0")), "000000000000")


def generate(links: pd.DataFrame, year: int, rows: int, *, seed: int = 2021, chunk_rows: int = 1_000_000,
             mix: Mix = Mix()) -> Iterator[pd.DataFrame]:
    """Yield chunks of about ``chunk_rows`` invoice lines (columns :data:`COLUMNS`, money in 万元)."""
    rng = np.random.default_rng(seed)
    value = links["value"].to_numpy(dtype=float)
    extra = 1.0 + 2 * mix.red + mix.void + mix.self_invoice + mix.outside + mix.no_buyer
    base_rows = max(len(links), int(rows / extra))
    w = np.sqrt(value)
    n_lines = np.maximum(1, np.floor(base_rows * w / w.sum() + rng.random(len(links)))).astype(np.int64)
    seller = links["seller_uscc"].to_numpy(dtype=object)
    buyer = links["buyer_uscc"].to_numpy(dtype=object)
    sname = links["seller_name"].to_numpy(dtype=object)
    bname = links["buyer_name"].to_numpy(dtype=object)
    hs = links["hs_code"].to_numpy(dtype=object).astype(str)
    seq = 0
    start = 0
    ends = np.cumsum(n_lines)
    while start < len(links):
        stop = int(np.searchsorted(ends, (ends[start - 1] if start else 0) + chunk_rows, side="right"))
        stop = max(stop, start + 1)
        idx = np.arange(start, stop)
        frame, seq = _chunk(rng, idx, n_lines[idx], value[idx], seller, buyer, sname, bname, hs, year, seq, mix)
        yield frame
        start = stop


def _chunk(rng: np.random.Generator, idx: np.ndarray, n: np.ndarray, value: np.ndarray, seller: np.ndarray,
           buyer: np.ndarray, sname: np.ndarray, bname: np.ndarray, hs: np.ndarray, year: int, seq: int,
           mix: Mix) -> tuple[pd.DataFrame, int]:
    link = np.repeat(np.arange(idx.size), n)
    total = link.size
    # amounts: log-normal weights normalised per link, in cents, the link's value exactly
    wts = rng.lognormal(0.0, 0.8, total)
    wsum = np.bincount(link, weights=wts, minlength=idx.size)
    yuan = np.round(value[link] * 1e4 * wts / wsum[link], 2)
    # months: each link is active in 6–12 months of the year
    n_months = rng.integers(6, 13, idx.size)
    first = rng.integers(1, 14 - n_months)
    month = first[link] + (rng.random(total) * n_months[link]).astype(np.int64)
    parts = [_lines(link, yuan, month, "valid", idx, rng)]
    # red-letter reversals of part of a line, then a corrected re-issue of the same part
    pick = rng.random(total) < mix.red
    part = np.round(yuan[pick] * rng.uniform(0.1, 1.0, pick.sum()), 2)
    later = np.minimum(12, month[pick] + rng.integers(0, 2, pick.sum()))
    parts.append(_lines(link[pick], -part, later, "red", idx, rng))
    parts.append(_lines(link[pick], part, later, "valid", idx, rng))
    # void invoices: any amount, never counted
    pick = rng.random(total) < mix.void
    parts.append(_lines(link[pick], yuan[pick], month[pick], "void", idx, rng))
    frame = pd.concat(parts, ignore_index=True)
    frame["seller_uscc"] = seller[idx][frame["link"]]
    frame["buyer_uscc"] = buyer[idx][frame["link"]]
    frame["seller_name"] = sname[idx][frame["link"]]
    frame["buyer_name"] = bname[idx][frame["link"]]
    frame["hs_code"] = hs[idx][frame["link"]]
    extras = []
    k = int(rng.binomial(total, mix.self_invoice))
    if k:
        j = rng.integers(0, total, k)
        e = _lines(link[j], yuan[j], month[j], "valid", idx, rng)
        e["seller_uscc"] = e["buyer_uscc"] = seller[idx][link[j]]
        e["seller_name"] = e["buyer_name"] = sname[idx][link[j]]
        e["hs_code"] = hs[idx][link[j]]
        extras.append(e)
    for share, outside in ((mix.outside, True), (mix.no_buyer, False)):
        k = int(rng.binomial(total, share))
        if not k:
            continue
        j = rng.integers(0, total, k)
        e = _lines(link[j], yuan[j], month[j], "valid", idx, rng)
        e["seller_uscc"] = seller[idx][link[j]]
        e["seller_name"] = sname[idx][link[j]]
        e["hs_code"] = hs[idx][link[j]]
        if outside:
            pool = [synthetic_uscc(f"outside-{year}-{i}", "320500") for i in range(97)]
            b = rng.integers(0, len(pool), k)
            e["buyer_uscc"] = np.array(pool, dtype=object)[b]
            e["buyer_name"] = np.char.add("外地客户", b.astype(str)).astype(object)
        else:
            e["buyer_uscc"] = None
            e["buyer_name"] = "个人"
        extras.append(e)
    frame = pd.concat([frame, *extras], ignore_index=True)
    m = len(frame)
    frame["hs_code"] = frame["hs_code"].astype(str)
    frame["tax_code"] = _tax_code(frame["hs_code"].to_numpy(dtype=str))
    # a share of sellers print the tax classification code only (all their lines, reversals included)
    codes, sellers = pd.factorize(frame["seller_uscc"])
    flag = np.array([int(hashlib.md5(str(u).encode()).hexdigest()[:8], 16) / 0xFFFFFFFF < mix.no_hs
                     for u in sellers], dtype=bool)
    no_hs = flag[codes]
    frame["hs_code"] = frame["hs_code"].where(~no_hs, None)
    frame["tax_amount"] = np.round(frame["yuan"].to_numpy() * 0.13, 2) / 1e4
    frame["amount"] = frame["yuan"].to_numpy() / 1e4
    day = rng.integers(1, 29, m)
    frame["invoice_date"] = pd.to_datetime(pd.DataFrame({"year": year, "month": frame["month"], "day": day})).dt.date
    frame["invoice_number"] = [f"{year % 100:02d}33{s:016d}" for s in range(seq, seq + m)]
    frame["line_no"] = 1
    frame["goods_name"] = "*货物*" + frame["tax_code"].str[1:5]
    frame["month"] = frame["month"].astype("int32")
    return frame[COLUMNS], seq + m


def _lines(link: np.ndarray, yuan: np.ndarray, month: np.ndarray, status: str, idx: np.ndarray,
           rng: np.random.Generator) -> pd.DataFrame:
    return pd.DataFrame({"link": link, "yuan": yuan, "month": month, "status": status})


def write(chunks: Iterator[pd.DataFrame], out: str | Path, year: int, fmt: str = "parquet") -> dict[str, int]:
    """Write chunks as ``out/year=Y/part-NNNNN.parquet`` or one CSV with Chinese headers (amounts in 元)."""
    out = Path(out)
    n_rows = n_files = 0
    if fmt == "parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        folder = out / f"year={year}"
        folder.mkdir(parents=True, exist_ok=True)
        for frame in chunks:
            pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), folder / f"part-{n_files:05d}.parquet",
                           compression="zstd")
            n_rows += len(frame)
            n_files += 1
    else:
        out.parent.mkdir(parents=True, exist_ok=True)
        with open(out, "w", encoding="utf-8", newline="") as fh:
            for frame in chunks:
                view = frame.drop(columns=["month"]).copy()
                view["amount"] = (view["amount"] * 1e4).round(2)
                view["tax_amount"] = (view["tax_amount"] * 1e4).round(2)
                view["status"] = view["status"].map(STATUS_ZH)
                view = view.rename(columns=CSV_HEADERS)
                fh.write(sheets.to_csv(view, header=n_files == 0) or "")
                n_rows += len(frame)
                n_files = 1
    return {"rows": n_rows, "files": n_files}


__all__ = ["generate", "invoice_links", "write", "synthetic_uscc", "Mix", "COLUMNS", "CSV_HEADERS"]
