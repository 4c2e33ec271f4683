"""Partner countries: ISO 3166-1 alpha-3 codes and their display names (zh/en).

Names come from the one reference list :data:`chainwatch.model.countries.COUNTRIES` (Chinese customs
short forms: 韩国, 中国香港, 柬埔寨 …). Codes are validated with :func:`chainwatch.model.codes.is_valid_iso3`.
"""

from __future__ import annotations

from collections.abc import Iterable

from chainwatch.model.codes import is_valid_iso3
from chainwatch.model.countries import country_name

__all__ = ["country_name", "invalid_iso3", "parse_iso3_list"]


def invalid_iso3(codes: Iterable[str]) -> list[str]:
    """The codes (in input order, unique) that are not ISO 3166-1 alpha-3."""
    seen: dict[str, None] = {}
    for c in codes:
        if not is_valid_iso3(str(c)) and c not in seen:
            seen[str(c)] = None
    return list(seen)


def parse_iso3_list(text: str | Iterable[str] | None) -> list[str]:
    """Split ``"JPN, kor;DEU"`` (or a list) into upper-case codes, order kept, duplicates dropped."""
    if text is None:
        return []
    items = text.replace(";", ",").replace(" ", ",").split(",") if isinstance(text, str) else list(text)
    out: dict[str, None] = {}
    for item in items:
        code = str(item).strip().upper()
        if code:
            out[code] = None
    return list(out)
