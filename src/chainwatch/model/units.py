"""Money units. Every money value is stored in the canonical unit 万元 (10,000 CNY)."""

from __future__ import annotations

CANONICAL_UNIT = "万元"

# factor to multiply a value in the unit by to get 万元
UNIT_TO_WANYUAN: dict[str, float] = {
    "元": 1e-4, "yuan": 1e-4, "cny": 1e-4,
    "千元": 1e-1, "kyuan": 1e-1, "thousand yuan": 1e-1,
    "万元": 1.0, "wanyuan": 1.0, "10k yuan": 1.0, "10,000 yuan": 1.0,
    "亿元": 1e4, "yiyuan": 1e4, "100m yuan": 1e4,
}


def unit_factor(unit: str) -> float:
    """Factor converting ``unit`` into 万元; raises InputError for an unknown unit."""
    from chainwatch.errors import InputError

    key = unit.strip().lower()
    if key not in UNIT_TO_WANYUAN:
        raise InputError("import.bad_unit", unit=unit)
    return UNIT_TO_WANYUAN[key]


def yuan_to_wanyuan(value: float) -> float:
    return value / 10_000.0
