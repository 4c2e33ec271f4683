"""Partner countries: ISO 3166-1 alpha-3 codes and their display names (zh/en).

Names come from pycountry (English) and its bundled zh_CN translations, with the short forms
Chinese customs statistics use for a few partners (韩国, 中国香港 …). Codes are validated with
:func:`chainwatch.model.codes.is_valid_iso3`.
"""

from __future__ import annotations

import gettext
from collections.abc import Iterable
from functools import lru_cache

from chainwatch.model.codes import is_valid_iso3

_ZH_OVERRIDES = {
    "KOR": "韩国", "PRK": "朝鲜", "HKG": "中国香港", "MAC": "中国澳门", "TWN": "中国台湾", "IRN": "伊朗",
    "XKX": "科索沃", "SYR": "叙利亚", "LAO": "老挝", "VNM": "越南", "RUS": "俄罗斯", "MDA": "摩尔多瓦",
    "BOL": "玻利维亚", "VEN": "委内瑞拉", "TZA": "坦桑尼亚", "GBR": "英国", "USA": "美国", "CZE": "捷克",
    "MKD": "北马其顿", "PSE": "巴勒斯坦", "BRN": "文莱",
}
_EN_OVERRIDES = {"XKX": "Kosovo", "KOR": "Korea, Rep.", "TWN": "Chinese Taipei", "IRN": "Iran",
                 "RUS": "Russia", "VNM": "Viet Nam", "LAO": "Lao PDR", "PSE": "Palestine"}


@lru_cache(maxsize=1)
def _zh_catalogue() -> gettext.NullTranslations:
    import pycountry

    try:
        return gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=["zh_CN"])
    except OSError:  # pragma: no cover - translations missing from the install
        return gettext.NullTranslations()


@lru_cache(maxsize=512)
def country_name(iso3: str, lang: str = "zh") -> str:
    """Display name of an ISO3 code in ``lang``; the code itself when unknown.

    Examples
    --------
    >>> country_name("JPN", "zh"), country_name("KOR", "en")
    ('日本', 'Korea, Rep.')
    """
    import pycountry

    code = str(iso3).upper()
    if lang == "zh" and code in _ZH_OVERRIDES:
        return _ZH_OVERRIDES[code]
    if lang != "zh" and code in _EN_OVERRIDES:
        return _EN_OVERRIDES[code]
    rec = pycountry.countries.get(alpha_3=code)
    if rec is None:
        return code
    if lang == "zh":
        return _zh_catalogue().gettext(rec.name)
    return str(getattr(rec, "common_name", None) or rec.name)


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
