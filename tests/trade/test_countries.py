"""The one reference list of partner names (chainwatch.model.countries)."""

from __future__ import annotations

import pycountry
import pytest

from chainwatch.analytics.trade.countries import country_name
from chainwatch.model.countries import COUNTRIES
from chainwatch.store.reference import PARTNER_GROUPS


def test_every_iso_code_has_both_names() -> None:
    iso = {c.alpha_3 for c in pycountry.countries}
    assert iso <= set(COUNTRIES)
    for code, (zh, en) in COUNTRIES.items():
        assert zh and en and zh != code and en != code, code
        assert not any("a" <= ch.lower() <= "z" for ch in zh), (code, zh)


@pytest.mark.parametrize(("code", "zh", "en"), [
    ("KHM", "柬埔寨", "Cambodia"), ("KGZ", "吉尔吉斯斯坦", "Kyrgyzstan"), ("BGD", "孟加拉国", "Bangladesh"),
    ("GTM", "危地马拉", "Guatemala"), ("MLT", "马耳他", "Malta"), ("COD", "刚果（金）", "DR Congo"),
    ("KOR", "韩国", "Korea, Rep."), ("TWN", "中国台湾", "Chinese Taipei"), ("HKG", "中国香港", "Hong Kong, China")])
def test_known_names(code: str, zh: str, en: str) -> None:
    assert country_name(code, "zh") == zh and country_name(code, "en") == en
    assert country_name(code.lower()) == zh


def test_group_members_are_named_and_china_is_no_partner() -> None:
    for gid, _zh, _en, members, _basis, _as_of in PARTNER_GROUPS:
        assert "CHN" not in members, gid
        assert all(m in COUNTRIES for m in members), gid
    assert sorted({COUNTRIES[m][0] for g in PARTNER_GROUPS for m in g[3]}) == sorted(
        {country_name(m) for g in PARTNER_GROUPS for m in g[3]})
    assert "柬埔塞" not in {v[0] for v in COUNTRIES.values()}


def test_unknown_code_is_returned_as_is() -> None:
    assert country_name("ZZZ") == "ZZZ" and country_name("ZZZ", "en") == "ZZZ"
