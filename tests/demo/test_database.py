"""Properties of the default demo city, computed from the database (not from generator parameters).

Tolerances are stated next to each check; they hold for the default seed and, by construction,
for any seed (the properties come from the city's structure, not from luck).
"""

from __future__ import annotations

import json

import duckdb
import networkx as nx
import pytest

from chainwatch.store.reference import NINGBO_DISTRICTS


@pytest.fixture(scope="module")
def con(demo_db):
    c = duckdb.connect(demo_db, read_only=True)
    yield c
    c.close()


def one(con, sql, params=None):
    return con.execute(sql, params or []).fetchall()[0][0]


# -- labelling and referential integrity ---------------------------------------------------------
def test_labelled_synthetic(con):
    info = dict(con.execute("SELECT key, value FROM demo_info").fetchall())
    assert info["synthetic"] == "true" and info["kind"] == "demo" and info["status"] == "complete"
    assert info["seed"] == "2021" and "Synthetic" in info["label_en"]
    assert one(con, "SELECT count(*) FROM import_batch WHERE file_name = 'demo:seed=2021'") >= 15


ANTI_JOINS = {
    "monthly→enterprise": "SELECT count(*) FROM monthly_value m WHERE NOT EXISTS (SELECT 1 FROM enterprise e WHERE e.uscc = m.uscc)",
    "scope→enterprise": "SELECT count(*) FROM enterprise_scope s WHERE NOT EXISTS (SELECT 1 FROM enterprise e WHERE e.uscc = s.uscc)",
    "title→enterprise": "SELECT count(*) FROM enterprise_title s WHERE NOT EXISTS (SELECT 1 FROM enterprise e WHERE e.uscc = s.uscc)",
    "annual→enterprise": "SELECT count(*) FROM enterprise_annual s WHERE NOT EXISTS (SELECT 1 FROM enterprise e WHERE e.uscc = s.uscc)",
    "segent→segment": "SELECT count(*) FROM segment_enterprise s WHERE NOT EXISTS (SELECT 1 FROM segment g WHERE g.segment_id = s.segment_id)",
    "segent→enterprise": "SELECT count(*) FROM segment_enterprise s WHERE NOT EXISTS (SELECT 1 FROM enterprise e WHERE e.uscc = s.uscc)",
    "segment→chain": "SELECT count(*) FROM segment s WHERE NOT EXISTS (SELECT 1 FROM chain c WHERE c.chain_id = s.chain_id)",
    "chain→cluster": "SELECT count(*) FROM chain c WHERE NOT EXISTS (SELECT 1 FROM cluster k WHERE k.cluster_id = c.cluster_id)",
    "edge→segment": "SELECT count(*) FROM segment_edge e WHERE NOT EXISTS (SELECT 1 FROM segment a WHERE a.segment_id = e.from_segment AND a.chain_id = e.chain_id) OR NOT EXISTS (SELECT 1 FROM segment b WHERE b.segment_id = e.to_segment AND b.chain_id = e.chain_id)",
    "product→hs": "SELECT count(*) FROM segment_product p WHERE NOT EXISTS (SELECT 1 FROM hs_code h WHERE h.code = p.hs_code)",
    "link→buyer": "SELECT count(*) FROM supply_link l WHERE NOT EXISTS (SELECT 1 FROM enterprise e WHERE e.uscc = l.buyer_uscc)",
    "link→supplier": "SELECT count(*) FROM supply_link l WHERE l.supplier_uscc IS NOT NULL AND NOT EXISTS (SELECT 1 FROM enterprise e WHERE e.uscc = l.supplier_uscc)",
    "link→segment": "SELECT count(*) FROM supply_link l WHERE NOT EXISTS (SELECT 1 FROM segment s WHERE s.segment_id = l.segment_id)",
    "link→segment product": "SELECT count(*) FROM supply_link l WHERE NOT EXISTS (SELECT 1 FROM segment_product p WHERE p.segment_id = l.segment_id AND p.hs_code = l.hs_code)",
    "trade→enterprise": "SELECT count(*) FROM trade_flow t WHERE NOT EXISTS (SELECT 1 FROM enterprise e WHERE e.uscc = t.uscc)",
    "trade→hs": "SELECT count(*) FROM trade_flow t WHERE NOT EXISTS (SELECT 1 FROM hs_code h WHERE h.code = t.hs_code)",
    "enterprise→district": "SELECT count(*) FROM enterprise e WHERE NOT EXISTS (SELECT 1 FROM region r WHERE r.code = e.district AND r.level = 3)",
    "enterprise→division": "SELECT count(*) FROM enterprise e WHERE NOT EXISTS (SELECT 1 FROM industry i WHERE i.code = e.division)",
    "truth→enterprise": "SELECT count(*) FROM demo_truth_enterprise t WHERE NOT EXISTS (SELECT 1 FROM enterprise e WHERE e.uscc = t.uscc)",
    "truth→segment": "SELECT count(*) FROM demo_truth_segment t WHERE NOT EXISTS (SELECT 1 FROM segment s WHERE s.segment_id = t.segment_id)",
    "monthly outside operation": "SELECT count(*) FROM monthly_value m JOIN enterprise e USING (uscc) WHERE make_date(m.year, m.month, 28) < e.founded",
}


@pytest.mark.parametrize("name", list(ANTI_JOINS))
def test_referential_integrity(con, name):
    assert one(con, ANTI_JOINS[name]) == 0


# -- chain maps ------------------------------------------------------------------------------------
def test_chain_dags(con):
    chains = [r[0] for r in con.execute("SELECT chain_id FROM chain").fetchall()]
    assert len(chains) >= 10
    order = {"upstream": 0, "midstream": 1, "downstream": 2}
    pos = dict(con.execute("SELECT segment_id, position FROM segment").fetchall())
    for c in chains:
        segs = [r[0] for r in con.execute("SELECT segment_id FROM segment WHERE chain_id = ?", [c]).fetchall()]
        edges = con.execute("SELECT from_segment, to_segment FROM segment_edge WHERE chain_id = ?", [c]).fetchall()
        g = nx.DiGraph(edges)
        g.add_nodes_from(segs)
        assert 8 <= len(segs) <= 20, c
        assert nx.is_directed_acyclic_graph(g), c
        assert nx.is_weakly_connected(g), c
        assert all(order[pos[a]] <= order[pos[b]] for a, b in edges), c
        assert {pos[s] for s in segs} == set(order), c
    assert one(con, "SELECT count(DISTINCT cluster_id) FROM chain") >= 5
    assert one(con, "SELECT max(n) FROM (SELECT count(*) n FROM chain GROUP BY cluster_id)") >= 2


def test_one_main_segment_per_member(con):
    assert one(con, "SELECT count(*) FROM (SELECT uscc FROM segment_enterprise GROUP BY uscc "
                    "HAVING count(*) FILTER (WHERE is_main) <> 1)") == 0
    share = one(con, "SELECT count(DISTINCT uscc)::DOUBLE / (SELECT count(*) FROM enterprise) FROM segment_enterprise")
    assert 0.75 <= share <= 0.95          # most, not all, enterprises belong to a mapped chain
    assert one(con, "SELECT count(*) FROM segment_enterprise WHERE NOT is_main") > 300


def test_chain_leaders_are_large(con):
    rows = con.execute("""
        WITH out21 AS (SELECT uscc, sum(gross_output) v FROM monthly_value WHERE year = 2021 GROUP BY uscc),
             seg AS (SELECT s.chain_id, se.uscc FROM segment_enterprise se JOIN segment s USING (segment_id) WHERE se.is_main),
             rk AS (SELECT seg.chain_id, seg.uscc, percent_rank() OVER (PARTITION BY seg.chain_id ORDER BY o.v) pr
                    FROM seg JOIN out21 o USING (uscc))
        SELECT t.uscc, json_extract_string(t.detail, '$.chain_id'), rk.pr FROM demo_truth_enterprise t
        JOIN rk ON rk.uscc = t.uscc AND rk.chain_id = json_extract_string(t.detail, '$.chain_id')
        WHERE t.kind = 'chain_leader'""").fetchall()
    chains = {r[1] for r in rows}
    assert len(chains) >= 10 and all(2 <= sum(1 for r in rows if r[1] == c) <= 4 for c in chains)
    assert all(r[2] >= 0.9 for r in rows)       # every planted leader is in its chain's top decile


# -- enterprises and scope -----------------------------------------------------------------------
def test_enterprise_counts_and_districts(con):
    assert one(con, "SELECT count(*) FROM enterprise") == 5000
    above = one(con, "SELECT count(*) FROM enterprise_scope WHERE year = 2021 AND above_size")
    assert 2550 <= above <= 3450                 # about 3,000 above-size (±15 %)
    districts = dict(con.execute("SELECT district, count(*) FROM enterprise GROUP BY 1").fetchall())
    assert set(districts) == set(NINGBO_DISTRICTS)
    assert max(districts.values()) / sum(districts.values()) < 0.35
    # geographic concentration: optoelectronics sits mostly in Yuyao (330281)
    yuyao = one(con, """SELECT avg((e.district = '330281')::INT) FROM segment_enterprise se JOIN segment s USING (segment_id)
                        JOIN enterprise e USING (uscc) WHERE s.chain_id = 'optoelectronics' AND se.is_main""")
    assert yuyao > 0.3


def test_scope_entries_and_exits_every_year(con):
    for y in (2019, 2020, 2021):
        entries = one(con, """SELECT count(*) FROM enterprise_scope a LEFT JOIN enterprise_scope b
                              ON b.uscc = a.uscc AND b.year = a.year - 1
                              WHERE a.year = ? AND a.above_size AND coalesce(b.above_size, FALSE) = FALSE""", [y])
        exits = one(con, """SELECT count(*) FROM enterprise_scope b LEFT JOIN enterprise_scope a
                            ON a.uscc = b.uscc AND a.year = b.year + 1
                            WHERE b.year = ? AND b.above_size AND coalesce(a.above_size, FALSE) = FALSE""", [y - 1])
        assert entries >= 30 and exits >= 30, (y, entries, exits)
    new = one(con, "SELECT count(*) FROM enterprise WHERE founded >= DATE '2018-01-01'")
    assert 150 <= new <= 700


def test_heavy_tail(con):
    top10 = one(con, """WITH s AS (SELECT uscc, sum(gross_output) v FROM monthly_value m
                                   JOIN enterprise_scope e USING (uscc, year) WHERE year = 2021 AND e.above_size GROUP BY uscc),
                           r AS (SELECT v, ntile(10) OVER (ORDER BY v DESC) d FROM s)
                        SELECT sum(v) FILTER (WHERE d = 1) / sum(v) FROM r""")
    assert 0.5 <= top10 <= 0.85


# -- monthly dynamics ----------------------------------------------------------------------------
def test_spring_festival_dip(con):
    rows = con.execute("""SELECT year, avg(v) FILTER (WHERE month <= 2) / avg(v) FILTER (WHERE month BETWEEN 3 AND 12)
                          FROM (SELECT year, month, sum(gross_output) v FROM monthly_value GROUP BY ALL) GROUP BY year""").fetchall()
    for year, ratio in rows:
        assert ratio < 0.85, (year, ratio)       # 1–2月 well below an ordinary month


def _same_firm_growth(con, months, y1, y0):
    m = ",".join(map(str, months))
    return one(con, f"""WITH f AS (SELECT uscc FROM monthly_value WHERE year IN ({y1}, {y0}) AND month IN ({m})
                                   GROUP BY uscc HAVING count(*) = {2 * len(months)})
                        SELECT sum(gross_output) FILTER (WHERE year = {y1}) / sum(gross_output) FILTER (WHERE year = {y0}) - 1
                        FROM monthly_value WHERE month IN ({m}) AND uscc IN (SELECT uscc FROM f)""")


def test_2020_shock_and_recovery(con):
    assert _same_firm_growth(con, [1, 2, 3], 2020, 2019) < -0.08
    assert _same_firm_growth(con, [1, 2], 2020, 2019) < -0.15      # 1–2月, the official first period
    assert _same_firm_growth(con, [7, 8, 9, 10, 11, 12], 2020, 2019) > 0.0
    assert _same_firm_growth(con, [1, 2, 3], 2021, 2020) > 0.2


# -- planted trouble -----------------------------------------------------------------------------
def _truth(con, kind):
    return con.execute("SELECT uscc, start_period FROM demo_truth_enterprise WHERE kind = ?", [kind]).fetchall()


def test_declining_enterprises_decline(con):
    rows = _truth(con, "decline")
    assert len(rows) >= 20
    yoy = dict(con.execute("""SELECT uscc, sum(gross_output) FILTER (WHERE year = 2021) / sum(gross_output) FILTER (WHERE year = 2020) - 1
                              FROM monthly_value WHERE month BETWEEN 7 AND 12 GROUP BY uscc""").fetchall())
    declined = [u for u, _ in rows if yoy.get(u, 0) < -0.15]
    assert len(declined) >= 0.9 * len(rows)
    others = sorted(v for u, v in yoy.items() if v is not None and u not in {r[0] for r in rows})
    assert others[len(others) // 2] > 0.0       # the typical enterprise grew


def test_loss_makers_lose_money(con):
    rows = _truth(con, "loss")
    assert len(rows) >= 20
    losing = 0
    for uscc, start in rows:
        total = one(con, "SELECT sum(total_profit) FROM monthly_value WHERE uscc = ? AND period >= ?", [uscc, start])
        losing += total < 0
    assert losing >= 0.9 * len(rows)
    base = one(con, "SELECT avg((p < 0)::INT) FROM (SELECT sum(total_profit) p FROM monthly_value WHERE year = 2021 GROUP BY uscc)")
    assert base < 0.15


def test_power_divergence(con):
    rows = _truth(con, "power_divergence")
    assert len(rows) >= 20
    hits = 0
    for uscc, start in rows:
        before, after = con.execute("""SELECT sum(electricity) FILTER (WHERE period < ?) / sum(gross_output) FILTER (WHERE period < ?),
                                              sum(electricity) FILTER (WHERE period >= ?) / sum(gross_output) FILTER (WHERE period >= ?)
                                       FROM monthly_value WHERE uscc = ?""", [start, start, start, start, uscc]).fetchall()[0]
        hits += after < 0.8 * before
    assert hits >= 0.9 * len(rows)


# -- supply network and trade --------------------------------------------------------------------
def test_supply_network_size_and_local_links(con):
    n = one(con, "SELECT count(*) FROM supply_link")
    assert 15_000 <= n <= 30_000
    local = one(con, "SELECT avg((supplier_uscc IS NOT NULL)::INT) FROM supply_link")
    assert 0.3 <= local <= 0.8
    # local links follow the chain DAG: supplier's segment is an upstream neighbour of the buyer's
    off_dag = one(con, """SELECT count(*) FROM supply_link l
                          WHERE l.supplier_uscc IS NOT NULL AND NOT EXISTS (
                            SELECT 1 FROM segment_enterprise b JOIN segment_edge e ON e.to_segment = b.segment_id
                            WHERE b.uscc = l.buyer_uscc AND e.from_segment = l.segment_id)""")
    assert off_dag == 0
    shares = one(con, """SELECT max(abs(s - 1)) FROM (SELECT buyer_uscc, segment_id, sum(share) s FROM supply_link GROUP BY ALL)""")
    assert shares < 0.02


def test_fragile_and_missing_segments(con):
    fragile = [r[0] for r in con.execute("SELECT segment_id FROM demo_truth_segment WHERE kind = 'single_local_supplier'").fetchall()]
    missing = [r[0] for r in con.execute("SELECT segment_id FROM demo_truth_segment WHERE kind = 'missing_link'").fetchall()]
    assert len(fragile) >= 3 and len(missing) >= 3
    for s in fragile:
        assert one(con, "SELECT count(*) FROM segment_enterprise WHERE segment_id = ?", [s]) == 1
        assert one(con, "SELECT count(DISTINCT supplier_uscc) FROM supply_link WHERE segment_id = ? AND supplier_uscc IS NOT NULL", [s]) == 1
    for s in missing:
        assert one(con, "SELECT count(*) FROM segment_enterprise WHERE segment_id = ?", [s]) == 0
        assert one(con, "SELECT count(*) FROM supply_link WHERE segment_id = ? AND supplier_uscc IS NOT NULL", [s]) == 0
    # no other segment has a single local enterprise by accident
    singles = {r[0] for r in con.execute("SELECT segment_id FROM segment_enterprise GROUP BY 1 HAVING count(*) = 1").fetchall()}
    assert singles == set(fragile)


def test_import_dependence(con):
    by_chain = dict(con.execute("""SELECT s.chain_id, sum(annual_value) FILTER (WHERE supplier_country <> 'CHN') / sum(annual_value)
                                   FROM supply_link l JOIN segment s USING (segment_id) GROUP BY 1""").fetchall())
    assert by_chain["ic"] > 0.5
    assert by_chain["ic"] == max(by_chain.values()) or by_chain["ic"] > 0.6
    assert by_chain["textiles_apparel"] < 0.3
    # apparent-consumption import dependence ID = M / (Q + M - E) of integrated circuits (HS 8542, all
    # local IC producers), and M / (Q + M) for the foundry's own products (risk-methods.md §1.1)
    m, e = con.execute("""SELECT sum(value) FILTER (WHERE flow = 'import'), coalesce(sum(value) FILTER (WHERE flow = 'export'), 0)
                          FROM trade_flow WHERE hs_code LIKE '8542%' AND year = 2021""").fetchall()[0]
    q = one(con, """SELECT sum(gross_output) FROM monthly_value m JOIN segment_enterprise se USING (uscc) WHERE se.is_main
                    AND se.segment_id IN ('ic.foundry', 'ic.design', 'ic.packaging', 'ic.modules') AND m.year = 2021""")
    assert m / (q + m - e) > 0.35
    m_f = one(con, "SELECT sum(value) FROM trade_flow WHERE flow = 'import' AND hs_code IN ('854231', '854232') AND year = 2021")
    q_f = one(con, """SELECT sum(gross_output) FROM monthly_value m JOIN segment_enterprise se USING (uscc)
                      WHERE se.is_main AND se.segment_id = 'ic.foundry' AND m.year = 2021""")
    assert m_f / (q_f + m_f) > 0.8
    garments = one(con, "SELECT coalesce(sum(value), 0) FROM trade_flow WHERE flow = 'import' AND hs_code IN ('620342', '611030')")
    assert garments == 0                          # a net exporter's products are not imported
    marked = {r[0] for r in con.execute("SELECT segment_id FROM demo_truth_segment WHERE kind = 'import_dependent'").fetchall()}
    assert {"ic.foundry", "ic.semi_equipment"} <= marked


def test_trade_partner_groups(con):
    shares = con.execute("""SELECT sum(value) FILTER (WHERE partner IN (SELECT member FROM partner_group WHERE group_id = 'bri')) / sum(value),
                                   sum(value) FILTER (WHERE partner IN (SELECT member FROM partner_group WHERE group_id = 'rcep')) / sum(value)
                            FROM trade_flow""").fetchall()[0]
    assert 0.18 <= shares[0] <= 0.32             # Belt and Road about a quarter
    assert shares[1] >= 0.15                     # RCEP visible
    assert one(con, "SELECT count(DISTINCT partner) FROM trade_flow") >= 30
    assert one(con, "SELECT count(DISTINCT period) FROM trade_flow") == 48
    assert one(con, "SELECT count(*) FROM trade_flow WHERE partner = 'CHN'") == 0


def test_deflators(con):
    assert one(con, "SELECT count(DISTINCT period) FROM deflator WHERE industry = '*'") == 48
    assert one(con, "SELECT count(*) FROM deflator WHERE industry = '*' AND span = 'cumulative' AND period = '2021-12'") == 1
    divisions = {r[0] for r in con.execute("SELECT DISTINCT industry FROM deflator").fetchall()}
    used = {r[0] for r in con.execute("SELECT DISTINCT division FROM enterprise WHERE section IN ('B', 'C', 'D')").fetchall()}
    assert used <= divisions
    oil = one(con, "SELECT index_value FROM deflator WHERE industry = '25' AND period = '2021-10' AND span = 'month'")
    allind = one(con, "SELECT index_value FROM deflator WHERE industry = '*' AND period = '2021-10' AND span = 'month'")
    assert oil > allind > 100                    # petroleum prices swing harder than the average


# -- tier assessment inputs ----------------------------------------------------------------------
def test_tier_counts_are_plausible(con):
    hard = one(con, """SELECT count(*) FROM enterprise_annual WHERE year = 2021 AND niche_years >= 2 AND rd_expense >= 100
                       AND rd_expense / revenue >= 0.03 AND revenue >= 1000 AND NOT (employees >= 1000 AND revenue >= 40000)""")
    assert 250 <= hard <= 1000                   # a few hundred meet the 专精特新 hard conditions
    near = one(con, """SELECT count(*) FROM enterprise_annual WHERE year = 2021 AND niche_years >= 2 AND revenue >= 1000
                       AND rd_expense / revenue >= 0.025 AND rd_expense / revenue < 0.03""")
    assert near >= 100                           # many near misses on the R&D share
    champions = one(con, """SELECT count(*) FROM (SELECT uscc, avg(main_revenue) mr, max(niche_years) ny, min(market_rank_global) rk
                            FROM enterprise_annual WHERE year BETWEEN 2019 AND 2021 GROUP BY uscc)
                            WHERE mr >= 40000 AND ny >= 10 AND rk <= 3""")
    assert 20 <= champions <= 100                # dozens at single-champion level
    titles = dict(con.execute("SELECT title, count(DISTINCT uscc) FROM enterprise_title GROUP BY 1").fetchall())
    assert titles["single_champion"] >= 15 and titles["little_giant"] >= 20 and 150 <= titles["zjtx"] <= 900
    attrs = json.loads(one(con, "SELECT attrs FROM enterprise_annual LIMIT 1"))
    assert {"niche_start_date", "high_value_ip", "six_foundations", "local_feature_score", "makers_china"} <= set(attrs)
    bad_dates = one(con, "SELECT count(*) FROM enterprise_title WHERE valid_to IS NOT NULL AND valid_to < valid_from")
    assert bad_dates == 0
