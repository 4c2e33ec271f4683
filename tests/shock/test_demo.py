"""The shock engine on the demo city (the shared ``demo_db`` fixture)."""

from __future__ import annotations

import numpy as np
import pytest

from chainwatch.service import Chainwatch


@pytest.fixture()
def demo(demo_db_copy):
    cw = Chainwatch(demo_db_copy, lang="en")
    yield cw
    cw.close()


def test_demo_import_cut_totals_add_up(demo):
    country = demo.store.scalar("""SELECT supplier_country FROM supply_link WHERE supplier_country <> 'CHN'
                                   GROUP BY 1 ORDER BY count(*) DESC LIMIT 1""")
    res = demo.shock.run({"name": "cut", "horizon_months": 6, "inventory_days": 15, "recovery_months": 2,
                          "shocks": [{"country": country, "capacity_pct": 0, "months": 3}]})
    summ = res.tables["summary"].iloc[0]
    assert summ["output_lost"] > 0 and summ["firms_affected"] > 0
    assert res.tables["by_district"]["output_lost"].sum() == pytest.approx(summ["output_lost"], rel=1e-9)
    assert res.tables["by_month"]["output_lost"].sum() == pytest.approx(summ["output_lost"], rel=1e-9)
    firms = res.tables["by_firm"]
    assert firms["output_lost"].sum() <= summ["output_lost"] * (1 + 1e-9)
    # every listed firm reached through a path that starts at a supplier of that country
    direct = firms[firms["depth"] == 1]
    assert len(direct) and direct["path_uscc"].str.contains(f"({country})", regex=False).all()
    # a longer cut never loses less
    longer = demo.shock.run({"horizon_months": 6, "inventory_days": 15, "recovery_months": 2,
                             "shocks": [{"country": country, "capacity_pct": 0, "months": 5}]})
    assert longer.tables["summary"]["output_lost"].iat[0] >= summ["output_lost"]


def test_demo_scoped_district_official(demo):
    district = demo.store.scalar("SELECT district FROM enterprise GROUP BY 1 ORDER BY count(*) DESC LIMIT 1")
    demo.scope = [district]
    res = demo.shock.run({"horizon_months": 2, "shocks": [{"district": district, "capacity_pct": 50, "months": 1}]})
    assert set(res.tables["by_firm"]["district"]) <= {district}
    assert res.tables["by_district"]["district"].tolist() == [district]


@pytest.mark.slow
def test_demo_esri_every_firm(demo):
    res = demo.shock.esri(top=0, workers=2)
    tab = res.tables["esri"]
    n = demo.store.scalar("SELECT count(*) FROM enterprise")
    assert res.meta["exhaustive"] and len(tab) == n
    assert ((tab["esri_pct"] >= tab["weight_pct"] - 1e-9) & (tab["esri_pct"] <= 100)).all()
    assert np.all(np.diff(tab["esri_pct"].to_numpy()) <= 0)
