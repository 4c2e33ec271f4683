"""JSON API for what the pages show: overview, statistics, chains, enterprises, cultivation, policy,
trade and simulation. Every route has the same permissions as its page; results are filtered for
district officials and viewers by :mod:`chainwatch.web.serialize`."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Path, Query
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from chainwatch.errors import NotFound
from chainwatch.web import views
from chainwatch.web.deps import Admin, Analyst, EntCtx, Viewer, Writer
from chainwatch.web.serialize import RESPONSES, ResultOut, ok

router = APIRouter(prefix="/api", responses=RESPONSES)

Period = Annotated[str | None, Query(pattern=r"^\d{4}-\d{2}$", description="YYYY-MM; default: latest")]


@router.get("/overview", response_model=ResultOut, tags=["overview"])
def overview(ctx: Viewer, period: Period = None,
             months: Annotated[int, Query(ge=3, le=60)] = 24) -> Response:
    """Headline statistics, monthly trend, warnings by level, chains at a glance, data status."""
    return ok(views.overview(ctx, period, months))


@router.get("/stats", response_model=ResultOut, tags=["stats"])
def stats(ctx: Viewer, period: Period = None,
          by: Annotated[str, Query(max_length=100, description="total, chain, segment, cluster, district, industry, size (comma list)")] = "total",
          indicators: Annotated[str | None, Query(max_length=200)] = None) -> Response:
    """Same-caliber statistics of a period (当月/累计同比, shares, contribution), by grouping."""
    return ok(views.cached_call(ctx, "stats", "compute", views.latest_period(ctx, period), by, indicators))


@router.get("/stats/series", response_model=ResultOut, tags=["stats"])
def stats_series(ctx: Viewer, by: Annotated[str, Query(max_length=20)] = "total",
                 key: Annotated[str, Query(max_length=40)] = "total",
                 indicator: Annotated[str, Query(max_length=40)] = "gross_output",
                 start: Period = None, end: Period = None) -> Response:
    """Monthly trend of one group and indicator over the official periods."""
    end_p = views.latest_period(ctx, end)
    start_p = start or views.months_before(end_p, 24) if end_p else None
    return ok(views.cached_call(ctx, "stats", "series", by, key, indicator, start_p, end_p))


@router.get("/trade", response_model=ResultOut, tags=["trade"])
def trade(ctx: Viewer, period: Period = None,
          by: Annotated[str, Query(pattern="^(group|country|chain|segment|hs)$")] = "group",
          flow: Annotated[str, Query(pattern="^(all|import|export)$")] = "all") -> Response:
    """Imports and exports by partner group, country, chain, segment or HS: levels, shares, growth."""
    return ok(views.trade(ctx, period, by, flow))


@router.get("/trade/dependence", response_model=ResultOut, tags=["trade"])
def trade_dependence(ctx: Viewer, period: Period = None,
                     chain: Annotated[str | None, Query(max_length=64)] = None) -> Response:
    """Import dependence of every segment by origin country (HHI, CR1) with explanations."""
    return ok(views.call(ctx, "trade", "segment_dependence", period, chain=chain))


@router.get("/simulation", response_model=ResultOut, tags=["simulation"])
def simulation_options(ctx: Viewer) -> Response:
    """What can be shocked: chains and segments, districts, countries; and saved runs."""
    return ok(views.simulation_options(ctx))


@router.post("/simulation/run", response_model=ResultOut, tags=["simulation"])
def simulation_run(ctx: Writer, scenario: Annotated[dict[str, Any], Body(
        examples=[{"name": "Japan chips", "model": "cascade", "horizon_months": 6,
                   "shocks": [{"target": "country", "id": "JPN", "capacity_pct": 20, "months": 3}]}])]) -> Response:
    """Run a disruption scenario (same format as scenario files, see docs/shock.md): who is hit, how much.

    A run longer than the server's ``web_run_seconds`` is stopped and answered 503 (``sec.run_too_long``)."""
    return ok(views.run_simulation(ctx, scenario))


@router.get("/chains", response_model=ResultOut, tags=["chains"])
def chains(ctx: Viewer) -> Response:
    """Per chain: coverage, missing and weak links, local supply, import dependence, risk level."""
    return ok(views.chains_list(ctx))


@router.get("/chains/{chain_id}", response_model=ResultOut, tags=["chains"])
def chain(ctx: Viewer, chain_id: Annotated[str, Path(max_length=64)]) -> Response:
    """One chain: segment graph (nodes with risk level), segments, leaders, weak and missing links,
    critical segments and enterprises, bottleneck items, chain warnings."""
    return ok(views.chain_detail(ctx, chain_id))


class BottleneckIn(BaseModel):
    """A missing or weak segment to put on the key-core-technology list (关键核心技术攻关清单)."""

    model_config = ConfigDict(extra="forbid")
    segment_id: str = Field(min_length=1, max_length=100)
    owner: str | None = Field(default=None, max_length=100)
    target_date: str | None = Field(default=None, max_length=10)
    priority: str = Field(default="medium", pattern="^(low|medium|high|critical)$")


@router.post("/chains/{chain_id}/bottlenecks", response_model=ResultOut, status_code=201, tags=["chains"])
def add_bottleneck(ctx: Analyst, chain_id: Annotated[str, Path(max_length=64)], body: BottleneckIn) -> Response:
    """Turn a missing or weak segment of the chain into a bottleneck register item (its reasons become the
    description)."""
    return ok(views.add_bottleneck(ctx, chain_id, body.segment_id, owner=body.owner,
                                   target_date=body.target_date, priority=body.priority), 201)


@router.get("/settings", response_model=ResultOut, tags=["admin"])
def settings(ctx: Admin) -> Response:
    """The server's effective settings (file and environment; the secret is never shown)."""
    return ok(views.settings_table(ctx))


@router.get("/enterprises", response_model=ResultOut, tags=["enterprises"])
def enterprises(ctx: EntCtx, q: Annotated[str | None, Query(max_length=100)] = None,
                district: Annotated[str | None, Query(max_length=12)] = None,
                limit: Annotated[int, Query(ge=1, le=5000)] = 200) -> Response:
    """Enterprise directory (search by name or USCC); district officials see their districts only."""
    return ok(views.enterprises(ctx, q, district, limit))


@router.get("/enterprises/{uscc}", response_model=ResultOut, tags=["enterprises"])
def enterprise(ctx: EntCtx, uscc: Annotated[str, Path(max_length=18)]) -> Response:
    """Enterprise profile: card, monthly indicators, supply links, warnings, tier assessment."""
    return ok(views.enterprise_profile(ctx, uscc))


@router.get("/enterprises/{uscc}/series", response_model=ResultOut, tags=["enterprises"])
def enterprise_series(ctx: EntCtx, uscc: str) -> Response:
    """One enterprise's monthly indicators with its own year-on-year change."""
    ctx.check_enterprise(uscc)
    return ok(views.cached_call(ctx, "stats", "enterprise_series", uscc))


@router.get("/cultivation", response_model=ResultOut, tags=["cultivation"])
def cultivation(ctx: Viewer, tier: Annotated[str | None, Query(max_length=20)] = None,
                chain: Annotated[str | None, Query(max_length=64)] = None,
                district: Annotated[str | None, Query(max_length=12)] = None,
                limit: Annotated[int, Query(ge=1, le=1000)] = 50) -> Response:
    """Tier pipeline (holders, new, expiring, qualifying non-holders by district and chain) and the
    candidates closest to each tier (not for viewers)."""
    return ok(views.cultivation(ctx, tier, chain, district, limit))


@router.get("/cultivation/gap/{uscc}", response_model=ResultOut, tags=["cultivation"])
def cultivation_gap(ctx: EntCtx, uscc: Annotated[str, Path(max_length=18)],
                    tier: Annotated[str | None, Query(max_length=20)] = None) -> Response:
    """What one enterprise must change to reach the next tier (or ``tier``)."""
    return ok(views.gap(ctx, uscc, tier))


@router.get("/policies", response_model=ResultOut, tags=["policy"])
def policies(ctx: Viewer) -> Response:
    """Support policies in the catalogue (shipped examples and loaded ones), with validity and mode."""
    return ok(views.cached_call(ctx, "policy", "list"))


@router.get("/policies/{policy_id}", response_model=ResultOut, tags=["policy"])
def policy_match(ctx: Viewer, policy_id: Annotated[str, Path(max_length=100, pattern=r"^[\w.-]+$")],
                 period: Period = None) -> Response:
    """Who qualifies for a policy without applying (免申即享): eligible, near misses, undecidable, payout."""
    return ok(views.policy_match(ctx, policy_id, period))


@router.get("/enterprises/{uscc}/policies", response_model=ResultOut, tags=["policy"])
def enterprise_policies(ctx: EntCtx, uscc: Annotated[str, Path(max_length=18)]) -> Response:
    """Every policy an enterprise qualifies for, nearly qualifies for, or cannot be decided on, and why."""
    ctx.check_enterprise(uscc)
    return ok(views.call(ctx, "policy", "for_enterprise", uscc))


REPORT_TYPES = {"html": "text/html; charset=utf-8", "pdf": "application/pdf",
                "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document"}


@router.get("/reports/bulletin", tags=["reports"], response_class=Response,
            responses={200: {"content": {t: {} for t in REPORT_TYPES.values()}}})
def bulletin(ctx: Analyst, period: Period = None,
             format: Annotated[str, Query(pattern="^(html|pdf|docx)$")] = "html") -> Response:  # noqa: A002
    """The monthly bulletin (月度运行简报) of a period as an HTML, PDF or DOCX download (city-wide, so
    for administrators and analysts)."""
    p = views.latest_period(ctx, period)
    if not p:
        raise NotFound("error.not_found", what="period")
    data = views.service(ctx, "reports").bulletin(p, format)
    ctx.cw.users.record("web.report", f"bulletin-{p}.{format}", f"lang={ctx.lang}")
    ctx.cw.audit.record("export", f"bulletin-{p}.{format}", detail={"lang": ctx.lang, "bytes": len(data)})
    name = f"bulletin-{p}-{ctx.lang}.{format}"
    return Response(data, media_type=REPORT_TYPES[format],
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
