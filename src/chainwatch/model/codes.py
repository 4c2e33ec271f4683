"""Code systems: USCC (GB 32100-2015), GB/T 4754-2017 industry codes, HS, ISO 3166 alpha-3.

Every code is a string; leading zeros carry meaning.
"""

from __future__ import annotations

import re
from functools import lru_cache

# GB 32100-2015: 31 characters (digits and capitals without I, O, Z, S, V)
USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_USCC_VALUE = {c: i for i, c in enumerate(USCC_CHARS)}
USCC_RE = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{18}$")


def uscc_check_char(first17: str) -> str:
    """The check character (18th) of a USCC whose first 17 characters are given."""
    total = sum(_USCC_VALUE[c] * w for c, w in zip(first17, USCC_WEIGHTS, strict=True))
    return USCC_CHARS[(31 - total % 31) % 31]


def uscc_problem(code: str) -> str | None:
    """Return ``None`` for a valid USCC, else the message key of what is wrong."""
    if not isinstance(code, str) or not USCC_RE.match(code):
        return "v.uscc_format"
    if uscc_check_char(code[:17]) != code[17]:
        return "v.uscc_check"
    return None


def is_valid_uscc(code: str) -> bool:
    return uscc_problem(code) is None


def make_uscc(body17: str) -> str:
    """Complete 17 characters with their check character (used by the demo generator)."""
    return body17 + uscc_check_char(body17)


# GB/T 4754-2017: section letter from division number (classifications.md §1.2)
SECTION_RANGES: tuple[tuple[str, int, int], ...] = (
    ("A", 1, 5), ("B", 6, 12), ("C", 13, 43), ("D", 44, 46), ("E", 47, 50), ("F", 51, 52),
    ("G", 53, 60), ("H", 61, 62), ("I", 63, 65), ("J", 66, 69), ("K", 70, 70), ("L", 71, 72),
    ("M", 73, 75), ("N", 76, 79), ("O", 80, 82), ("P", 83, 83), ("Q", 84, 85), ("R", 86, 90),
    ("S", 91, 96), ("T", 97, 97),
)


def section_of(division: str) -> str | None:
    """Section letter of a 2-digit division code, or None when out of range."""
    if not (isinstance(division, str) and len(division) == 2 and division.isdigit()):
        return None
    n = int(division)
    for letter, lo, hi in SECTION_RANGES:
        if lo <= n <= hi:
            return letter
    return None


def is_industrial(division: str) -> bool:
    """Industry (工业) = sections B, C, D: divisions 06–46."""
    return section_of(division) in {"B", "C", "D"}


INDUSTRY_RE = re.compile(r"^[A-T]?(\d{2,4})$")


def normalise_industry(code: str) -> str | None:
    """Strip an optional leading section letter (C3311 → 3311); None if malformed."""
    m = INDUSTRY_RE.match(code.strip().upper()) if isinstance(code, str) else None
    return m.group(1) if m else None


HS_RE = re.compile(r"^(\d{2}|\d{4}|\d{6}|\d{8}|\d{10})$")


def is_valid_hs_format(code: str) -> bool:
    """HS chapter (2), heading (4), subheading (6), CN tariff line (8) or commodity code (10)."""
    return isinstance(code, str) and bool(HS_RE.match(code)) and code[:2] not in {"00", "77", "98", "99"}


@lru_cache(maxsize=1)
def iso3_codes() -> frozenset[str]:
    """ISO 3166-1 alpha-3 codes (from pycountry), plus Kosovo's user-assigned XKX."""
    import pycountry

    return frozenset({c.alpha_3 for c in pycountry.countries} | {"XKX"})


def is_valid_iso3(code: str) -> bool:
    return isinstance(code, str) and code in iso3_codes()
