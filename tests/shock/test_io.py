"""IO models: Miller & Blair textbook example, pymrio parity (test system, WIOD 2011), identities."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pandas as pd
import pytest

from chainwatch.analytics.shock.io import IOModel, IOTable, read_nbs, read_plain
from chainwatch.errors import InputError

from .conftest import realdata

pymrio = pytest.importorskip("pymrio")


def miller() -> IOModel:
    Z = np.array([[150.0, 500.0], [200.0, 100.0]])
    Y = np.array([[350.0], [1700.0]])
    return IOModel(IOTable(["sec1", "sec2"], Z, Y, np.array([1000.0, 2000.0])))


def test_miller_blair_exact():
    m = miller()
    assert m.A.tolist() == [[0.15, 0.25], [0.20, 0.05]]
    # exact Leontief inverse from rational arithmetic: L = adj(I-A)/det
    a = [[Fraction(15, 100), Fraction(25, 100)], [Fraction(20, 100), Fraction(5, 100)]]
    det = (1 - a[0][0]) * (1 - a[1][1]) - a[0][1] * a[1][0]
    L_exact = np.array([[float((1 - a[1][1]) / det), float(a[0][1] / det)],
                        [float(a[1][0] / det), float((1 - a[0][0]) / det)]])
    np.testing.assert_allclose(m.L_dense(), L_exact, rtol=1e-15, atol=0)
    # pymrio's rounded textbook values
    np.testing.assert_allclose(m.L_dense(), [[1.25412541, 0.330033], [0.2640264, 1.12211221]], atol=5e-9)
    np.testing.assert_allclose(m.output(), [1000.0, 2000.0], rtol=1e-14)
    # textbook new final demand (600, 1500) -> x = (1247.5, 1841.6) (rounded in the book)
    np.testing.assert_allclose(m.output(np.array([600.0, 1500.0])), [1247.5, 1841.6], atol=0.05)


def test_miller_derived_oracles():
    m = miller()
    hem = m.extraction()
    np.testing.assert_allclose(hem["backward"], [413.16, 805.88], atol=0.005)
    np.testing.assert_allclose(hem["forward"], [728.95, 452.94], atol=0.005)
    q = m.iim(-np.array([-35.0, 0.0]) / m.x)
    np.testing.assert_allclose(q, [0.043894, 0.004620], atol=5e-7)
    np.testing.assert_allclose(q, -m.leontief(np.array([-35.0, 0.0])) / m.x, rtol=1e-13)


def test_hem_closed_form_equals_bruteforce():
    rng = np.random.default_rng(3)
    n = 7
    Z = rng.uniform(0, 10, (n, n))
    Y = rng.uniform(5, 40, (n, 2))
    m = IOModel(IOTable([str(i) for i in range(n)], Z, Y, Z.sum(1) + Y.sum(1)))
    hem = m.extraction()
    for j in range(n):
        tb, tf = m.extract_bruteforce(j)
        assert hem["backward"][j] == pytest.approx(tb, rel=1e-10)
        assert hem["forward"][j] == pytest.approx(tf, rel=1e-10)


def test_ghosh_matches_pymrio_G_and_zero_output():
    Z = np.array([[10.0, 5, 0], [3, 2, 0], [0, 0, 0]])
    Y = np.array([[20.0], [15.0], [0.0]])
    x = Z.sum(1) + Y.sum(1)   # sector 3 has zero output
    m = IOModel(IOTable(["a", "b", "c"], Z, Y, x))
    A = pymrio.calc_A(Z, x)
    L = pymrio.calc_L(A)
    G = pymrio.calc_G(None, L=L, x=x)
    dv = np.array([1.0, -2.0, 0.5])
    np.testing.assert_allclose(m.A, A, rtol=0, atol=0)
    np.testing.assert_allclose(m.ghosh(dv), dv @ G, rtol=1e-12)
    np.testing.assert_allclose(m.forward_linkage(), G.sum(axis=1), rtol=1e-12)


def test_iim_mixed_equals_direct_submatrix_solve():
    rng = np.random.default_rng(5)
    n = 9
    Z = rng.uniform(0, 8, (n, n))
    Y = rng.uniform(10, 30, (n, 1))
    x = Z.sum(1) + Y.sum(1)
    m = IOModel(IOTable([str(i) for i in range(n)], Z, Y, x))
    fixed = {2: 0.4, 6: 1.0}
    c = np.zeros(n)
    c[0] = 0.05
    q = m.iim_mixed(fixed, c)
    Astar = m.rx[:, None] * m.A * x[None, :]
    K = np.array([2, 6])
    R = np.setdiff1d(np.arange(n), K)
    qR = np.linalg.solve(np.eye(len(R)) - Astar[np.ix_(R, R)], Astar[np.ix_(R, K)] @ np.array([0.4, 1.0]) + c[R])
    np.testing.assert_allclose(q[R], qR, rtol=1e-11)
    np.testing.assert_allclose(q[K], [0.4, 1.0])


def test_diim_converges_to_static_iim():
    m = miller()
    c = np.array([0.035, 0.0])
    k = m.resilience(np.array([6.0, 6.0]))
    q = m.diim(np.zeros(2), k, 400, c_star=c)
    np.testing.assert_allclose(q[-1], m.iim(c), rtol=1e-8)
    assert np.all(np.diff(q[:, 0]) >= -1e-15)  # monotone approach from zero


@pytest.mark.realdata
def test_pymrio_test_system_leontief():
    base = realdata("pymrio_test_mrio") / "mrio_data"
    Z = pd.read_csv(base / "trade_flows_Z.txt", sep="\t", index_col=[0, 1, 2], header=[0, 1])
    Y = pd.read_csv(base / "finald_demand_Y.txt", sep="\t", index_col=[0, 1, 2], header=[0, 1])
    Z.index = Z.index.droplevel(2)
    Y.index = Y.index.droplevel(2)
    io = pymrio.IOSystem(Z=Z, Y=Y)
    io.calc_system()
    labels = [f"{r}_{s}" for r, s in Z.index]
    m = IOModel(IOTable(labels, Z.to_numpy(), Y.to_numpy(), io.x.to_numpy().ravel()))
    np.testing.assert_allclose(m.A, io.A.to_numpy(), rtol=1e-14, atol=0)
    y = Y.to_numpy().sum(1)
    ref = io.L.to_numpy() @ y
    ours = m.output(y)
    assert np.linalg.norm(ours - ref) / np.linalg.norm(ref) < 1e-8
    dy = np.zeros(len(y))
    dy[[2, 17, 40]] = [-1000.0, 250.0, -3.0]
    assert np.linalg.norm(m.leontief(dy) - io.L.to_numpy() @ dy) / np.linalg.norm(io.L.to_numpy() @ dy) < 1e-8
    np.testing.assert_allclose(m.multipliers(), io.L.to_numpy().sum(0), rtol=1e-10)


@pytest.mark.realdata
def test_wiod_2011_leontief_matches_pymrio():
    base = realdata("wiod2013_2011")
    Z = pd.read_csv(base / "wiot2011_inter.csv.gz", index_col=0)
    Y = pd.read_csv(base / "wiot2011_final.csv.gz", index_col=0)
    x = pd.read_csv(base / "wiot2011_output.csv", index_col=0)
    table = read_plain(base / "wiot2011_inter.csv.gz", final=base / "wiot2011_final.csv.gz",
                       output=base / "wiot2011_output.csv")
    assert table.n == 1435 and (table.x == 0).sum() == 22
    m = IOModel(table)
    A = pymrio.calc_A(Z, x.rename(columns={"output": "indout"}))
    L = pymrio.calc_L(A).to_numpy()
    np.testing.assert_array_equal(m.A, A.to_numpy())   # zero-output columns set to zero as pymrio does
    y = Y.to_numpy().sum(1)
    ref = L @ y
    assert np.linalg.norm(m.output(y) - ref) / np.linalg.norm(ref) < 1e-8
    rng = np.random.default_rng(0)
    dY = np.zeros((1435, 5))
    for k in range(5):
        dY[rng.choice(1435, 3, replace=False), k] = rng.uniform(-500, 500, 3)
    ref = L @ dY
    assert np.linalg.norm(m.leontief(dY) - ref) / np.linalg.norm(ref) < 1e-8


@pytest.mark.realdata
def test_china_2018_nbs_reader_and_oracles():
    t = read_nbs(realdata("china_io") / "china_2018_153.csv")
    assert t.n == 153 and t.unit == "万元"
    m = IOModel(t)
    np.testing.assert_allclose(m.output(), t.x, rtol=1e-10)   # GO == TI: the table balances
    assert m.multipliers().max() == pytest.approx(4.11, abs=0.005)
    md = IOModel(t, domestic=True)
    assert np.all(md.A <= m.A + 1e-18) and md.multipliers().max() < m.multipliers().max()


@pytest.mark.realdata
def test_china_42_noncompetitive_reader():
    t = read_nbs(realdata("china_io") / "china_2018_42.csv")
    assert t.layout == "nbs-noncompetitive" and t.n == 42 and t.Z_imp is not None
    np.testing.assert_allclose(t.Z.sum(1) + t.f, t.x, rtol=1e-9)


def test_plain_reader_bad_inputs(tmp_path):
    p = tmp_path / "t.csv"
    p.write_text("sector,a,b,fd\na,1,2,3\nb,x,1,2\n")
    with pytest.raises(InputError) as e:
        read_plain(p)
    assert e.value.key == "shock.io.not_number" and e.value.params["row"] == "b" and e.value.params["column"] == "a"
    p.write_text("sector,fd\na,3\n")
    with pytest.raises(InputError) as e:
        read_plain(p)
    assert e.value.key == "shock.io.plain_layout"
    with pytest.raises(InputError) as e:
        read_plain(tmp_path / "none.csv")
    assert e.value.key == "shock.io.file_missing"
    p.write_text("Code,Description,DescriptionInChinese,001,TIU\n001,x,y,1,1\n")
    with pytest.raises(InputError) as e:
        read_nbs(p)
    assert e.value.key == "shock.io.nbs_layout"


def test_plain_reader_roundtrip(tmp_path):
    p = tmp_path / "t.csv"
    p.write_text("sector,sec1,sec2,households,x\nsec1,150,500,350,1000\nsec2,200,100,1700,2000\nVA,650,1400,,\n")
    t = read_plain(p)
    assert t.sectors == ["sec1", "sec2"] and t.y_labels == ["households"]
    np.testing.assert_allclose(IOModel(t).A, [[0.15, 0.25], [0.2, 0.05]])


def test_mixed_precision_matches_double():
    rng = np.random.default_rng(9)
    n = 300
    Z = rng.random((n, n)) * (rng.random((n, n)) < 0.3)
    x = Z.sum(0) / 0.6
    Y = np.maximum(x - Z.sum(1), 0)[:, None]
    t = IOTable([str(i) for i in range(n)], Z, Y, Z.sum(1) + Y.ravel())
    d, mx = IOModel(t), IOModel(t, precision="mixed")
    dF = rng.normal(size=(n, 4))
    for trans in (False, True):
        a, b = d.solve(dF, trans=trans), mx.solve(dF, trans=trans)
        assert np.linalg.norm(a - b) / np.linalg.norm(a) < 1e-13
    with pytest.raises(ValueError):
        IOModel(t, precision="half")
