"""A small, fully known city for the web tests: two districts, eight enterprises, one chain.

Built through the real import pipeline (``cw.data.import_frame``), so the fixture is what a bureau
would load. District A = 330203 (海曙区), district B = 330212 (鄞州区).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from chainwatch.model.codes import make_uscc
from chainwatch.service import Chainwatch

DISTRICT_A = "330203"
DISTRICT_B = "330212"
PASSWORD = "correct-horse-9"


def _uscc(i: int, district: str) -> str:
    return make_uscc(f"91{district}{70000000 + i:08d}X"[:17])


ENTERPRISES = [
    (_uscc(i, d), name, d, ind)
    for i, (name, d, ind) in enumerate([
        ("甬海汽车零部件有限公司", DISTRICT_A, "3670"),
        ("海曙精密模具有限公司", DISTRICT_A, "3525"),
        ("望春电子材料有限公司", DISTRICT_A, "3985"),
        ("南门整车制造有限公司", DISTRICT_A, "3612"),
        ("鄞州新材料科技有限公司", DISTRICT_B, "2651"),
        ("东钱湖动力电池有限公司", DISTRICT_B, "3841"),
        ("姜山轴承有限公司", DISTRICT_B, "3451"),
        ("钟公庙芯片封测有限公司", DISTRICT_B, "3973"),
    ], start=1)
]
USCC = [e[0] for e in ENTERPRISES]
IN_A = {e[0] for e in ENTERPRISES if e[2] == DISTRICT_A}
IN_B = {e[0] for e in ENTERPRISES if e[2] == DISTRICT_B}
NAMES = {e[0]: e[1] for e in ENTERPRISES}

SEGMENTS = [
    ("ev.materials", "ev", "电池材料", "Battery materials", "upstream"),
    ("ev.chips", "ev", "车规芯片", "Automotive chips", "upstream"),
    ("ev.parts", "ev", "核心零部件", "Core parts", "midstream"),
    ("ev.battery", "ev", "动力电池", "Traction batteries", "midstream"),
    ("ev.vehicle", "ev", "整车制造", "Vehicle assembly", "downstream"),
]
EDGES = [("ev.materials", "ev.battery"), ("ev.chips", "ev.parts"), ("ev.parts", "ev.vehicle"),
         ("ev.battery", "ev.vehicle")]
MEMBERS = [("ev.materials", USCC[4], True), ("ev.materials", USCC[2], False), ("ev.chips", USCC[7], True),
           ("ev.parts", USCC[0], True), ("ev.parts", USCC[1], False), ("ev.parts", USCC[6], False),
           ("ev.battery", USCC[5], True), ("ev.vehicle", USCC[3], True)]


#: enterprises whose output collapses from 2025-06 (so the warning engine has something to say)
DROPS = {USCC[0]: 0.5, USCC[5]: 0.35}


def periods(start_year: int = 2023, end: str = "2025-10") -> list[str]:
    out = []
    y, m = start_year, 1
    while f"{y}-{m:02d}" <= end:
        out.append(f"{y}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def monthly_frame(seed: int = 8) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for k, uscc in enumerate(USCC):
        base = 800.0 + 450 * k
        for j, p in enumerate(periods()):
            level = base * (1 + 0.006 * j) * (0.75 if p.endswith(("-01", "-02")) else 1.0)
            if uscc in DROPS and p >= "2025-06":
                level *= DROPS[uscc]
            go = round(level * rng.uniform(0.9, 1.1), 1)
            rows.append({"uscc": uscc, "period": p, "gross_output": go, "value_added": round(go * 0.24, 1),
                         "revenue": round(go * 1.05, 1), "total_profit": round(go * rng.uniform(-0.02, 0.09), 1),
                         "taxes": round(go * 0.03, 1), "export_value": round(go * 0.2, 1),
                         "electricity": round(go * 0.05, 2), "employees": float(120 + 30 * k)})
    return pd.DataFrame(rows)


def build(path: str) -> str:
    """Create the database at ``path`` with the small city and one user per role."""
    with Chainwatch(path, actor="fixture") as cw:
        data = cw.data
        data.import_frame("enterprise", pd.DataFrame(
            [{"uscc": u, "name": n, "district": d, "industry": i, "founded": "2010-05-01"}
             for u, n, d, i in ENTERPRISES]), source_name="enterprises.csv")
        data.import_frame("scope", pd.DataFrame(
            [{"uscc": u, "year": y, "above_size": True} for u in USCC for y in (2023, 2024, 2025)]),
            source_name="scope.csv")
        data.import_frame("chain", pd.DataFrame(
            [{"chain_id": "ev", "name_zh": "新能源汽车", "name_en": "New-energy vehicles"}]), source_name="chain.csv")
        data.import_frame("segment", pd.DataFrame(
            [dict(zip(("segment_id", "chain_id", "name_zh", "name_en", "position"), s, strict=True))
             for s in SEGMENTS]), source_name="segment.csv")
        data.import_frame("segment_edge", pd.DataFrame(
            [{"chain_id": "ev", "from_segment": a, "to_segment": b} for a, b in EDGES]), source_name="edges.csv")
        data.import_frame("segment_enterprise", pd.DataFrame(
            [{"segment_id": s, "uscc": u, "is_main": m} for s, u, m in MEMBERS]), source_name="members.csv")
        data.import_frame("monthly", monthly_frame(), source_name="monthly.csv")
        data.import_frame("title", pd.DataFrame([
            {"uscc": USCC[1], "title": "zjtx", "valid_from": "2023-06-01", "valid_to": "2026-05-31"},
            {"uscc": USCC[7], "title": "high_tech", "valid_from": "2022-12-01", "valid_to": "2025-11-30"},
            {"uscc": USCC[5], "title": "innovative_sme", "valid_from": "2024-03-01", "valid_to": "2027-02-28"},
        ]), source_name="titles.csv")
        data.import_frame("annual", pd.DataFrame([
            {"uscc": u, "year": y, "employees": 120 + 30 * k, "rd_personnel": 12 + 3 * k,
             "revenue": 9000.0 + 4800 * k + 300 * (y - 2023), "main_revenue": 8000.0 + 4000 * k,
             "rd_expense": 350.0 + 120 * k, "net_profit": 400.0 + 50 * k, "total_assets": 12000.0 + 5000 * k,
             "total_liabilities": 6000.0 + 2000 * k, "invention_patents": k % 4, "other_ip": 3 + k,
             "niche_years": 4 + k, "digital_level": 1 + k % 4, "rd_institution": "municipal" if k % 2 else "none",
             "compliance_ok": True}
            for k, u in enumerate(USCC) for y in (2023, 2024)]), source_name="annual.csv")
        links = [
            {"link_id": "L1", "supplier_uscc": USCC[4], "buyer_uscc": USCC[5], "segment_id": "ev.materials",
             "year": 2024, "annual_value": 5200.0, "share": 0.6, "supplier_country": "CHN"},
            {"link_id": "L2", "supplier_uscc": USCC[5], "buyer_uscc": USCC[3], "segment_id": "ev.battery",
             "year": 2024, "annual_value": 9100.0, "share": 0.8, "supplier_country": "CHN"},
            {"link_id": "L3", "supplier_uscc": USCC[0], "buyer_uscc": USCC[3], "segment_id": "ev.parts",
             "year": 2024, "annual_value": 3000.0, "share": 0.5, "supplier_country": "CHN"},
            {"link_id": "L4", "supplier_uscc": USCC[7], "buyer_uscc": USCC[0], "segment_id": "ev.chips",
             "year": 2024, "annual_value": 2500.0, "share": 0.7, "supplier_country": "CHN"},
            {"link_id": "L5", "supplier_name": "Tokyo Semiconductor KK", "supplier_country": "JPN",
             "buyer_uscc": USCC[0], "segment_id": "ev.chips", "hs_code": "854231", "year": 2024,
             "annual_value": 1800.0, "share": 0.3},
            {"link_id": "L6", "supplier_uscc": USCC[6], "buyer_uscc": USCC[0], "segment_id": "ev.parts",
             "year": 2024, "annual_value": 900.0, "share": 0.2, "supplier_country": "CHN"},
        ]
        data.import_frame("supply_link", pd.DataFrame(links), source_name="links.csv")
        flows = []
        for p in periods(2024):
            flows.append({"uscc": USCC[0], "partner": "JPN", "hs_code": "854231", "period": p, "flow": "import",
                          "value": 150.0})
            flows.append({"uscc": USCC[5], "partner": "DEU", "hs_code": "850760", "period": p, "flow": "export",
                          "value": 420.0})
        data.import_frame("trade_flow", pd.DataFrame(flows), source_name="trade.csv")
        try:
            for p in ("2025-08", "2025-09", "2025-10"):
                cw.risk.run(p)
        except ModuleNotFoundError:  # pragma: no cover - risk module not installed
            pass
        users = cw.users
        users.add("admin", PASSWORD, "admin")
        users.add("analyst", PASSWORD, "analyst")
        users.add("official_a", PASSWORD, "district", districts=[DISTRICT_A])
        users.add("viewer", PASSWORD, "viewer")
    return path
