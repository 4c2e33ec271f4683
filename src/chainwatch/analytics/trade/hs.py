"""HS sections and chapters for trade views (classifications.md §4).

Trade flows carry HS codes of 2 to 10 digits; views aggregate them to the chapter (first two
digits) or the section (I–XXI). Chapter 77 is reserved and chapters 98/99 are national or
reporting codes, not HS: they map to no section and are reported as unclassified.
"""

from __future__ import annotations

import pandas as pd

from chainwatch.store.reference import HS_SECTIONS

ROMAN = ("I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII", "XIII", "XIV", "XV",
         "XVI", "XVII", "XVIII", "XIX", "XX", "XXI")

#: Short section names (zh, en); full titles are in shared/data/hs_codes/sections.csv.
SECTION_NAMES: dict[str, tuple[str, str]] = {
    "I": ("活动物；动物产品", "Live animals; animal products"),
    "II": ("植物产品", "Vegetable products"),
    "III": ("动植物油脂及蜡", "Animal and vegetable fats, oils and waxes"),
    "IV": ("食品、饮料、酒、醋及烟草", "Prepared foodstuffs, beverages and tobacco"),
    "V": ("矿产品", "Mineral products"),
    "VI": ("化学工业及其相关工业的产品", "Chemical and allied products"),
    "VII": ("塑料及其制品；橡胶及其制品", "Plastics and rubber and articles thereof"),
    "VIII": ("生皮、皮革、毛皮及其制品；箱包", "Hides, skins, leather and travel goods"),
    "IX": ("木及木制品；软木；编结品", "Wood and articles of wood; cork; plaiting"),
    "X": ("木浆；纸、纸板及其制品", "Pulp, paper and paperboard"),
    "XI": ("纺织原料及纺织制品", "Textiles and textile articles"),
    "XII": ("鞋、帽、伞；羽毛制品；人造花", "Footwear, headgear, umbrellas; feathers"),
    "XIII": ("石料、陶瓷产品；玻璃及其制品", "Stone, ceramic and glass articles"),
    "XIV": ("珠宝、贵金属及其制品；硬币", "Pearls, precious stones and metals; coin"),
    "XV": ("贱金属及其制品", "Base metals and articles thereof"),
    "XVI": ("机器、机械器具、电气设备及其零件", "Machinery and electrical equipment"),
    "XVII": ("车辆、航空器、船舶及运输设备", "Vehicles, aircraft, vessels and transport equipment"),
    "XVIII": ("光学、医疗、计量仪器；钟表；乐器", "Optical, medical and precision instruments; clocks"),
    "XIX": ("武器、弹药", "Arms and ammunition"),
    "XX": ("杂项制品", "Miscellaneous manufactured articles"),
    "XXI": ("艺术品、收藏品及古物", "Works of art and antiques"),
}

CHAPTER_SECTION: dict[str, str] = {
    f"{ch:02d}": sec for sec, chapters in HS_SECTIONS.items() for ch in chapters if ch != 77
}

UNCLASSIFIED = "unclassified"


def chapter_of(code: str) -> str:
    """The 2-digit chapter of an HS code of any length."""
    return str(code)[:2]


def section_of_hs(code: str) -> str | None:
    """Roman section of an HS code, or None for 77/98/99 and malformed codes.

    Examples
    --------
    >>> section_of_hs("870323"), section_of_hs("85"), section_of_hs("9801")
    ('XVII', 'XVI', None)
    """
    return CHAPTER_SECTION.get(chapter_of(code))


def section_series(codes: pd.Series) -> pd.Series:
    """Vectorised :func:`section_of_hs`; unknown chapters become ``"unclassified"``."""
    return codes.astype(str).str[:2].map(CHAPTER_SECTION).fillna(UNCLASSIFIED)


def section_label(section: str, lang: str = "zh") -> str:
    """Display name of a section (``"XVI 机器、机械器具…"``)."""
    names = SECTION_NAMES.get(section)
    if names is None:
        return "未归类（98/99章等）" if lang == "zh" else "Unclassified (chapters 98/99 etc.)"
    return f"{section} {names[0] if lang == 'zh' else names[1]}"


def roman_of_number(number: int | str) -> str:
    """OEC/BACI section ids 1–21 → Roman numerals I–XXI (raises ValueError otherwise)."""
    n = int(number)
    if not 1 <= n <= len(ROMAN):
        raise ValueError(f"HS section number out of range: {number}")
    return ROMAN[n - 1]


def normalise_section(value: object) -> str | None:
    """Accept 1–21, '1'–'21' or Roman 'I'–'XXI' (any case); None when not a section."""
    text = str(value).strip().upper()
    if text in SECTION_NAMES:
        return text
    if text.isdigit() and 1 <= int(text) <= len(ROMAN):
        return ROMAN[int(text) - 1]
    return None
