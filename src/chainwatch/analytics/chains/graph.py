"""Graph algorithms for chain maps and enterprise supply networks.

Nodes are held as integer positions in arrays (CSR adjacency through :mod:`scipy.sparse`), so the
same code serves a chain of a dozen segments and an enterprise network of a whole city.

* :func:`dominators` — immediate dominators from a super-source over the given roots
  (Cooper, Harvey & Kennedy 2001, "A simple, fast dominance algorithm").
* :func:`critical_nodes` — which nodes, if lost, cut other nodes off from *every* supply route that
  starts at a local origin (the nodes they dominate).
* :func:`pagerank` — value-weighted PageRank by power iteration (networkx conventions).
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence

import numpy as np
import pandas as pd
import scipy.sparse as sp


def _csr(n: int, src: np.ndarray, dst: np.ndarray) -> sp.csr_matrix:
    data = np.ones(len(src), dtype=np.int8)
    m = sp.csr_matrix((data, (src, dst)), shape=(n, n))
    m.sum_duplicates()
    return m


def dominators(n: int, src: np.ndarray, dst: np.ndarray, roots: Iterable[int]) -> np.ndarray:
    """Immediate dominators of a directed graph with a super-source over ``roots``.

    Parameters
    ----------
    n : number of nodes, numbered 0..n-1.
    src, dst : integer arrays, one directed edge ``src[k] -> dst[k]`` per position.
    roots : nodes the super-source points at (the local origins of supply).

    Returns
    -------
    numpy.ndarray
        ``idom[v]`` for every node: the immediate dominator, ``n`` when it is the super-source
        itself (v has two independent routes, or is a root) and ``-1`` when v is unreachable.

    Notes
    -----
    Node d dominates v when every path from the super-source to v passes through d. The
    iterative algorithm of Cooper, Harvey & Kennedy processes nodes in reverse postorder and
    intersects the dominators of the predecessors until nothing changes; on acyclic graphs one
    pass suffices.
    """
    src = np.asarray(src, dtype=np.int64)
    dst = np.asarray(dst, dtype=np.int64)
    roots = np.unique(np.asarray(list(roots), dtype=np.int64))
    s = n
    all_src = np.concatenate([src, np.full(len(roots), s, dtype=np.int64)])
    all_dst = np.concatenate([dst, roots])
    fwd = _csr(n + 1, all_src, all_dst)
    back = fwd.T.tocsr()
    indptr, indices = fwd.indptr, fwd.indices

    # iterative DFS for postorder from the super-source
    post = np.full(n + 1, -1, dtype=np.int64)
    order: list[int] = []
    visited = np.zeros(n + 1, dtype=bool)
    stack = [(s, int(indptr[s]))]
    visited[s] = True
    while stack:
        v, i = stack[-1]
        end = int(indptr[v + 1])
        while i < end and visited[indices[i]]:
            i += 1
        if i < end:
            w = int(indices[i])
            stack[-1] = (v, i + 1)
            visited[w] = True
            stack.append((w, int(indptr[w])))
        else:
            stack.pop()
            post[v] = len(order)
            order.append(v)
    rpo = order[::-1]
    idom = np.full(n + 1, -1, dtype=np.int64)
    idom[s] = s
    bptr, bind = back.indptr, back.indices
    postl = post.tolist()
    idoml = idom.tolist()
    changed = True
    while changed:
        changed = False
        for v in rpo[1:]:
            new = -1
            for p in bind[bptr[v]:bptr[v + 1]].tolist():
                if idoml[p] == -1:
                    continue
                if new == -1:
                    new = p
                    continue
                a, b = p, new
                while a != b:
                    while postl[a] < postl[b]:
                        a = idoml[a]
                    while postl[b] < postl[a]:
                        b = idoml[b]
                new = a
            if new != idoml[v]:
                idoml[v] = new
                changed = True
    return np.asarray(idoml[:n], dtype=np.int64)


def dominated_sets(idom: np.ndarray) -> list[list[int]]:
    """For every node, the nodes it strictly dominates (its descendants in the dominator tree),
    sorted; one preorder walk of the tree, then each set is a slice of it."""
    n = len(idom)
    children: list[list[int]] = [[] for _ in range(n)]
    roots = []
    for v, d in enumerate(idom.tolist()):
        if 0 <= d < n and d != v:
            children[d].append(v)
        else:
            roots.append(v)
    order: list[int] = []
    tin = [0] * n
    size = [1] * n
    for r in roots:
        stack = [(r, False)]
        while stack:
            v, done = stack.pop()
            if done:
                size[v] = 1 + sum(size[c] for c in children[v])
                continue
            tin[v] = len(order)
            order.append(v)
            stack.append((v, True))
            stack.extend((c, False) for c in reversed(children[v]))
    return [sorted(order[tin[v] + 1: tin[v] + size[v]]) if children[v] else [] for v in range(n)]


def origins(n: int, src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """Local origins of supply: nodes of the strongly connected components that receive nothing from
    outside themselves (a node without suppliers, or a closed loop of firms supplying each other)."""
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    if len(src) == 0:
        return np.arange(n)
    from scipy.sparse.csgraph import connected_components

    _, comp = connected_components(_csr(n, src, dst), directed=True, connection="strong")
    fed = np.zeros(comp.max() + 1, dtype=bool)
    cross = comp[src] != comp[dst]
    fed[comp[dst[cross]]] = True
    return np.flatnonzero(~fed[comp])


def critical_nodes(nodes: Sequence[Hashable], edges: pd.DataFrame, present: Iterable[Hashable] | None = None,
                   *, src_col: str = "from", dst_col: str = "to") -> pd.DataFrame:
    """Nodes whose loss cuts other nodes off from all supply that starts at a local origin.

    Parameters
    ----------
    nodes : every node id of the graph.
    edges : DataFrame with one supplier → buyer edge per row (columns ``src_col``, ``dst_col``).
    present : the nodes that exist locally (default: all). Absent nodes and their edges are dropped;
        the super-source points at every local origin (:func:`origins`): a present node with no
        present supplier, or every node of a closed supply loop that nothing outside feeds.

    Returns
    -------
    pandas.DataFrame
        One row per present node: ``node``, ``idom`` (None when the super-source),
        ``n_cut`` (how many nodes it dominates) and ``cut`` (their ids, in the order of ``nodes``).
        Critical nodes are those with ``n_cut > 0``.
    """
    ids = list(nodes)
    keep = set(ids) if present is None else set(present) & set(ids)
    kept = [v for v in ids if v in keep]
    pos = {v: i for i, v in enumerate(kept)}
    pairs = [(pos[a], pos[b]) for a, b in zip(edges[src_col].tolist(), edges[dst_col].tolist(), strict=True)
             if a in pos and b in pos and a != b] if len(edges) else []
    src = np.fromiter((a for a, _ in pairs), dtype=np.int64, count=len(pairs))
    dst = np.fromiter((b for _, b in pairs), dtype=np.int64, count=len(pairs))
    n = len(kept)
    roots = origins(n, src, dst)
    idom = dominators(n, src, dst, roots)
    cut = dominated_sets(idom)
    return pd.DataFrame({
        "node": kept,
        "idom": [kept[d] if 0 <= d < n else None for d in idom.tolist()],
        "n_cut": [len(c) for c in cut],
        "cut": [[kept[w] for w in c] for c in cut],
    })


def pagerank(n: int, src: np.ndarray, dst: np.ndarray, weight: np.ndarray | None = None, *,
             alpha: float = 0.85, tol: float = 1.0e-10, max_iter: int = 200) -> np.ndarray:
    """Weighted PageRank of ``n`` nodes with edges ``src -> dst`` (networkx conventions).

    Dangling nodes spread their rank uniformly; the teleport vector is uniform. Duplicate edges add
    their weights. Returns an array summing to 1 (empty for ``n == 0``).
    """
    if n == 0:
        return np.zeros(0)
    w = np.ones(len(src)) if weight is None else np.asarray(weight, dtype=float)
    m = sp.csr_matrix((w, (np.asarray(src), np.asarray(dst))), shape=(n, n))
    m.sum_duplicates()
    out_w = np.asarray(m.sum(axis=1)).ravel()
    dangling = out_w == 0
    inv = np.where(dangling, 0.0, 1.0 / np.where(dangling, 1.0, out_w))
    p = sp.diags(inv) @ m
    pt = p.T.tocsr()
    x = np.full(n, 1.0 / n)
    for _ in range(max_iter):
        last = x
        x = alpha * (pt @ x + last[dangling].sum() / n) + (1 - alpha) / n
        if np.abs(x - last).sum() < n * tol:
            break
    return x / x.sum()


def find_cycle(nodes: Sequence[Hashable], edges: Sequence[tuple[Hashable, Hashable]]) -> list[Hashable] | None:
    """One directed cycle as a node list (first node repeated at the end), or None if acyclic."""
    adj: dict[Hashable, list[Hashable]] = {v: [] for v in nodes}
    for a, b in edges:
        adj.setdefault(a, []).append(b)
        adj.setdefault(b, [])
    colour: dict[Hashable, int] = dict.fromkeys(adj, 0)
    done = object()
    for start in adj:
        if colour[start]:
            continue
        path: list[Hashable] = [start]
        iters = [iter(adj[start])]
        colour[start] = 1
        while iters:
            nxt = next(iters[-1], done)
            if nxt is done:
                colour[path.pop()] = 2
                iters.pop()
                continue
            if colour[nxt] == 1:
                return path[path.index(nxt):] + [nxt]
            if colour[nxt] == 0:
                colour[nxt] = 1
                path.append(nxt)
                iters.append(iter(adj[nxt]))
    return None
