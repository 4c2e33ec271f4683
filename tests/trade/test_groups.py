"""Partner groups as editable data: list, show, set, reset, delete; bad inputs; audit."""

from __future__ import annotations

import pytest

from chainwatch.errors import InputError, NotFound
from chainwatch.store.reference import ASEAN, BRI65


def test_defaults_listed_with_basis(cw_rw) -> None:
    res = cw_rw.trade.groups()
    groups = {g["group_id"]: g for g in res.tables["groups"]}
    assert set(groups) >= {"rcep", "bri", "asean", "eu"}
    # RCEP: the 15 signatories less China, which is never a partner of its own city's trade (§5.1)
    assert groups["bri"]["n_members"] == 65 and groups["rcep"]["n_members"] == 14
    assert all("CHN" not in g["members"] for g in groups.values())
    assert groups["eu"]["n_members"] == 27 and groups["asean"]["members"] == sorted(ASEAN)
    assert "not an official" in groups["bri"]["basis"] and groups["bri"]["as_of"] == "2015-03-28"
    assert len(set(BRI65)) == 65


def test_show_reports_overlaps_and_basis(cw_rw) -> None:
    res = cw_rw.trade.group("bri")
    assert len(res.tables["members"]) == 65
    ov = {o["group_id"]: o for o in res.tables["overlaps"]}
    assert ov["asean"]["n_common"] == 10 and ov["rcep"]["n_common"] == 10
    assert "沿线国家" in res.text[0]
    assert {"iso3": "MNG", "name": "蒙古"} in res.tables["members"]
    names = {m["iso3"]: m["name"] for m in res.tables["members"]}
    assert names["KHM"] == "柬埔寨" and names["KGZ"] == "吉尔吉斯斯坦" and names["BGD"] == "孟加拉国"


def test_edit_members_basis_and_as_of(cw_rw) -> None:
    res = cw_rw.trade.set_group("bri", add="nzl, KOR", remove=["MNG"], basis="签署合作文件国家（测试）",
                                as_of="2023-12-31")
    assert res.meta["added"] == ["KOR", "NZL"] and res.meta["removed"] == ["MNG"]
    g = cw_rw.trade.group("bri").meta["group"]
    assert g["n_members"] == 66 and g["basis"] == "签署合作文件国家（测试）" and g["as_of"] == "2023-12-31"
    audit = cw_rw.store.df("SELECT * FROM audit_log WHERE action = 'trade.group.set'")
    assert len(audit) == 1 and audit.loc[0, "object"] == "bri" and "KOR" in audit.loc[0, "detail"]
    # the summary uses the edited group and shows the new basis
    s = cw_rw.trade.summary("2021-11", by="group", group="bri")
    assert s.meta["groups"][0]["basis"] == "签署合作文件国家（测试）"
    assert any("签署合作文件国家" in line for line in s.text)
    # reset restores the documented default
    cw_rw.trade.reset_group("bri")
    g = cw_rw.trade.group("bri").meta["group"]
    assert g["n_members"] == 65 and "unconfirmed" in g["basis"]


def test_group_change_moves_the_share(cw_rw) -> None:
    before = cw_rw.trade.summary("2021-11", by="group", flow="total").tables["rows"].set_index("key")
    cw_rw.trade.set_group("eu", add="USA")
    after = cw_rw.trade.summary("2021-11", by="group", flow="total").tables["rows"].set_index("key")
    assert after.loc["eu", "ytd_value"] > before.loc["eu", "ytd_value"]
    assert after.loc["rcep", "ytd_value"] == before.loc["rcep", "ytd_value"]


def test_new_group_and_delete(cw_rw) -> None:
    res = cw_rw.trade.set_group("jk", members="JPN,KOR", name_zh="日韩", name_en="Japan and Korea",
                                basis="自定义", as_of="2024-01-01")
    assert res.meta["created"] is True
    rows = cw_rw.trade.summary("2021-11", by="group", flow="total").tables["rows"]
    assert "jk" in set(rows["key"])
    cw_rw.trade.delete_group("jk")
    with pytest.raises(NotFound):
        cw_rw.trade.group("jk")


@pytest.mark.parametrize(("kwargs", "key", "param"), [
    ({"group_id": "bri", "add": "XXX,JPN,ZZZ"}, "trade.bad_iso3", ("codes", "XXX, ZZZ")),
    ({"group_id": "bri", "members": "jpn, chn, QQQ"}, "trade.bad_iso3", ("codes", "QQQ")),
    ({"group_id": "bri", "remove": "USA"}, "trade.not_member", ("codes", "USA")),
    ({"group_id": "asean", "members": "SGP", "remove": "SGP"}, "trade.group_empty", ("group", "asean")),
    ({"group_id": "Bad-Id", "members": "JPN"}, "trade.bad_group_id", ("group", "Bad-Id")),
    ({"group_id": "newgrp", "members": "JPN"}, "trade.new_group_name", ("group", "newgrp")),
    ({"group_id": "bri", "as_of": "2023-02-30"}, "trade.bad_date", ("value", "2023-02-30")),
])
def test_bad_edits_change_nothing(cw_rw, kwargs, key, param) -> None:
    before = cw_rw.store.df("SELECT * FROM partner_group ORDER BY group_id, member")
    with pytest.raises(InputError) as e:
        cw_rw.trade.set_group(**kwargs)
    assert e.value.key == key and e.value.params[param[0]] == param[1]
    after = cw_rw.store.df("SELECT * FROM partner_group ORDER BY group_id, member")
    assert before.equals(after)


def test_unknown_group(cw_rw) -> None:
    with pytest.raises(NotFound) as e:
        cw_rw.trade.group("opec")
    assert e.value.key == "trade.unknown_group" and "rcep" in e.value.params["known"]
    assert "opec" in e.value.message("en")
    with pytest.raises(NotFound):
        cw_rw.trade.reset_group("opec")


def test_locked_group(cw_rw) -> None:
    cw_rw.store.execute("UPDATE partner_group SET editable = FALSE WHERE group_id = 'eu'")
    with pytest.raises(InputError) as e:
        cw_rw.trade.set_group("eu", add="GBR")
    assert e.value.key == "trade.group_locked"


def test_reporter_country_is_not_a_group_partner(cw_rw) -> None:
    """China's own trade with itself (re-imports) is not RCEP trade (§5.1), even in a group listing CHN."""
    cw_rw.trade.set_group("rcep", add="CHN")   # a user's edit may list it: the views still leave it out
    before = cw_rw.trade.summary("2021-11", by="group", flow="import").tables["rows"].set_index("key")
    uscc = cw_rw.store.scalar("SELECT min(uscc) FROM enterprise")
    cw_rw.store.execute("INSERT INTO trade_flow (uscc, partner, hs_code, period, year, month, flow, value) "
                        "VALUES (?, 'CHN', '85423100', '2021-11', 2021, 11, 'import', 777)", [uscc])
    res = cw_rw.trade.summary("2021-11", by="group", flow="import")
    after = res.tables["rows"].set_index("key")
    assert after.loc["rcep", "ytd_value"] == before.loc["rcep", "ytd_value"]
    assert res.tables["total"].iloc[0]["ytd_value"] == pytest.approx(
        before["ytd_value"].iloc[0] / before["share_pct"].iloc[0] * 100 + 777)
