"""Static charts of the bulletin (matplotlib, PNG), with a CJK font so Chinese labels render."""

from __future__ import annotations

import io
from functools import lru_cache
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib import font_manager  # noqa: E402

LEVEL_COLOURS = {"red": "#d62728", "orange": "#ff7f0e", "yellow": "#e6c200", "blue": "#1f77b4"}
CJK_CANDIDATES = ("Noto Sans CJK SC", "Noto Sans CJK JP", "Noto Serif CJK SC", "Source Han Sans SC", "WenQuanYi Zen Hei",
                  "SimHei", "Microsoft YaHei")


@lru_cache(maxsize=1)
def cjk_font() -> str | None:
    """The first installed CJK font family (Debian: fonts-noto-cjk), or None."""
    names = {f.name for f in font_manager.fontManager.ttflist}
    for cand in CJK_CANDIDATES:
        if cand in names:
            return cand
    return None


def _setup() -> None:
    family = cjk_font()
    plt.rcParams["font.family"] = [family, "DejaVu Sans"] if family else ["DejaVu Sans"]
    plt.rcParams["axes.unicode_minus"] = False


def _png(fig: Any) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=150, bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()


def trend_chart(trend: dict[str, list[tuple[str, float | None]]], title: str, names: dict[str, str]) -> bytes:
    """Cumulative growth (%) by official period, one line per indicator and year."""
    _setup()
    fig, ax = plt.subplots(figsize=(7.2, 3.2))
    for key, points in sorted(trend.items()):
        if not points:
            continue
        ind, year = key.split(":")
        xs = [int(p[5:7]) for p, _ in points]
        ys = [v if v is not None else float("nan") for _, v in points]
        ax.plot(xs, ys, marker="o", linewidth=1.8 if year == max(k.split(":")[1] for k in trend) else 1.0,
                linestyle="-" if ind == "gross_output" else "--", label=f"{names.get(ind, ind)} {year}")
    ax.axhline(0, color="#888", linewidth=0.6)
    ax.set_xticks(range(2, 13))
    ax.set_xticklabels(["1–2"] + [str(m) for m in range(3, 13)])
    ax.set_title(title, fontsize=11)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, ncols=2)
    return _png(fig)


def contribution_chart(rows: list[dict[str, Any]], title: str) -> bytes:
    """Horizontal bars of each chain's contribution (%) to the city's output growth."""
    _setup()
    data = [(r["name"], r["contribution_pct"]) for r in rows if r.get("contribution_pct") is not None]
    data.sort(key=lambda x: x[1])
    fig, ax = plt.subplots(figsize=(7.2, max(2.4, 0.32 * len(data) + 0.8)))
    ax.barh([d[0] for d in data], [d[1] for d in data], color=["#d62728" if d[1] < 0 else "#2a6fbb" for d in data])
    ax.axvline(0, color="#888", linewidth=0.6)
    ax.set_title(title, fontsize=11)
    ax.grid(axis="x", alpha=0.3)
    return _png(fig)


def warnings_chart(counts: dict[str, int], labels: dict[str, str], title: str) -> bytes:
    """Bars of this period's open warnings by level."""
    _setup()
    order = ["blue", "yellow", "orange", "red"]
    fig, ax = plt.subplots(figsize=(5.0, 2.6))
    bars = ax.bar([labels[k] for k in order], [counts.get(k, 0) for k in order], color=[LEVEL_COLOURS[k] for k in order])
    ax.bar_label(bars)
    ax.set_title(title, fontsize=11)
    ax.spines[["top", "right"]].set_visible(False)
    return _png(fig)


def all_charts(ctx: dict[str, Any]) -> dict[str, bytes]:
    from chainwatch.i18n import t

    lang = ctx["lang"]
    names = {k: v["name"] for k, v in ctx["headline"]["indicators"].items()}
    charts = {"trend": trend_chart(ctx["trend"], ctx["t"]["chart.trend"], names),
              "contribution": contribution_chart(ctx["chains"]["rows"], ctx["t"]["chart.contrib"])}
    if ctx["warnings"]["ran"]:
        labels = {k: t(f"report.level.{k}", lang) for k in LEVEL_COLOURS}
        charts["warnings"] = warnings_chart(ctx["warnings"]["counts"], labels, ctx["t"]["chart.warnings"])
    return charts
