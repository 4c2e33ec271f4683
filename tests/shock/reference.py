"""An independent, slow, plain-Python cascade (synchronous sweeps over dicts) used as a test oracle."""

from __future__ import annotations

from collections import defaultdict


def reference_cascade(n, links, psi, *, direction="both", s=None, internal=None, cap=None,
                      tol=1e-12, max_sweeps=1000):
    """links: list of (src, dst, w, input_class, essential). Returns list h."""
    internal = internal or [True] * n
    cap = cap or [1.0] * len(links)
    groups = defaultdict(list)            # (dst, class, ess) -> [(link index)]
    tot_in = defaultdict(float)
    sales = defaultdict(float)
    for k, (a, b, w, c, e) in enumerate(links):
        groups[(b, c, bool(e))].append(k)
        tot_in[b] += w
        sales[a] += w
    if s is None:
        s = [max(sales[i], tot_in[i], 1e-12) for i in range(n)]
    by_buyer = defaultdict(list)          # buyer -> [(class, ess, [link indices])]
    for (b, c, e), ks in groups.items():
        by_buyer[b].append((c, e, ks))
    out_links = defaultdict(list)         # supplier -> [link indices]
    for k, (a, _b, _w, _c, _e) in enumerate(links):
        out_links[a].append(k)
    h = [1.0 - p for p in psi]
    for _ in range(max_sweeps):
        new = list(h)
        for j in range(n):
            if not internal[j]:
                continue
            val = min(h[j], 1.0 - psi[j])
            if direction in ("downstream", "both"):
                ess_min, lin = 1.0, 1.0
                for _c, e, ks in by_buyer[j]:
                    base = sum(links[k][2] for k in ks)
                    avail = sum(links[k][2] * h[links[k][0]] * cap[k] for k in ks)
                    r = min(1.0, avail / base)
                    if e:
                        ess_min = min(ess_min, r)
                    else:
                        lin -= base / tot_in[j] * (1.0 - r)
                val = min(val, ess_min, lin)
            if direction in ("upstream", "both"):
                lost = sum(links[k][2] * (1.0 - h[links[k][1]]) for k in out_links[j])
                val = min(val, 1.0 - lost / s[j])
            new[j] = min(1.0, max(0.0, val))
        delta = max(abs(x - y) for x, y in zip(new, h, strict=True)) if n else 0.0
        h = new
        if delta <= tol:
            break
    return h
