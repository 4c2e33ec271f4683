"""The generator without a database: determinism, codes, internal consistency."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from chainwatch.demo.catalogue import CHAINS, hs_codes_used
from chainwatch.demo.generator import KIND_ORDER, generate
from chainwatch.demo.ids import make_usccs
from chainwatch.errors import UsageError
from chainwatch.model.codes import is_valid_hs_format, is_valid_iso3, is_valid_uscc
from chainwatch.store.kinds import KINDS
from chainwatch.store.reference import NINGBO_DISTRICTS

N = 400


@pytest.fixture(scope="module")
def small():
    return generate(seed=7, n_enterprises=N)


def test_same_seed_same_frames(small):
    again = generate(seed=7, n_enterprises=N)
    for kind in KIND_ORDER:
        pd.testing.assert_frame_equal(small.frames[kind], again.frames[kind], check_exact=True)
    pd.testing.assert_frame_equal(small.truth_enterprise, again.truth_enterprise)
    pd.testing.assert_frame_equal(small.truth_segment, again.truth_segment)
    assert small.info == again.info


def test_other_seed_other_data(small):
    other = generate(seed=8, n_enterprises=N)
    assert set(other.frames["enterprise"]["uscc"]).isdisjoint(small.frames["enterprise"]["uscc"])
    a = small.frames["monthly"]["gross_output"].to_numpy()
    b = other.frames["monthly"]["gross_output"].to_numpy()
    assert a.size != b.size or not np.allclose(a, b)


def test_frames_have_the_import_kind_columns(small):
    for kind in KIND_ORDER:
        names = {c.name for c in KINDS[kind].columns}
        required = {c.name for c in KINDS[kind].columns if c.required}
        cols = set(small.frames[kind].columns)
        assert cols <= names, (kind, cols - names)
        assert required <= cols, (kind, required - cols)


def test_codes_are_valid(small):
    ent = small.frames["enterprise"]
    assert all(is_valid_uscc(u) for u in ent["uscc"])
    assert ent["uscc"].is_unique and ent["name"].is_unique
    assert set(ent["district"]) <= set(NINGBO_DISTRICTS)
    assert ent["industry"].str.fullmatch(r"\d{4}").all()
    links = small.frames["supply_link"]
    assert all(is_valid_iso3(c) for c in links["supplier_country"].unique())
    trade = small.frames["trade_flow"]
    assert all(is_valid_iso3(c) for c in trade["partner"].unique())
    assert all(is_valid_hs_format(h) for h in hs_codes_used())
    assert set(trade["hs_code"]) <= set(small.frames["hs"]["code"])


def test_uscc_vectorised_matches_scalar_check():
    codes = make_usccs(np.arange(5000), np.array(NINGBO_DISTRICTS * 500), seed=3)
    assert len(set(codes)) == 5000
    assert all(is_valid_uscc(c) for c in codes)
    assert all(c[2:8] in NINGBO_DISTRICTS for c in codes)


def test_catalogue_shape():
    assert len(CHAINS) >= 10
    for c in CHAINS:
        assert 8 <= len(c.segments) <= 20, c.chain_id
        keys = [s.key for s in c.segments]
        assert len(set(keys)) == len(keys)
        assert {a for a, _ in c.edges} | {b for _, b in c.edges} == set(keys), c.chain_id


def test_monthly_identities(small):
    m = small.frames["monthly"]
    assert (m["gross_output"] >= 0).all() and (m["revenue"] >= 0).all()
    assert (m["value_added"] <= m["gross_output"] * 1.0001 + 0.01).all()
    assert (m["export_value"] <= m["gross_output"] * 1.3 + 0.01).all()
    assert (m["employees"] >= 1).all()
    assert not m.duplicated(["uscc", "period"]).any()


def test_too_small_is_refused():
    with pytest.raises(UsageError) as exc:
        generate(1, 50)
    assert exc.value.key == "demo.too_small"
