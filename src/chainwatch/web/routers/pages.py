"""Dashboard pages (server-rendered; charts drawn by static/js/app.js from the embedded JSON)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Path, Query
from fastapi.responses import HTMLResponse, Response

from chainwatch.web import views
from chainwatch.web.deps import EntCtx, Viewer, Writer
from chainwatch.web.pages import render

router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)

PeriodQ = Annotated[str | None, Query(pattern=r"^\d{4}-\d{2}$")]


@router.get("/")
def overview_page(ctx: Viewer, period: PeriodQ = None) -> Response:
    data = views.overview(ctx, period)
    return render(ctx, "overview.html", title_key="web.overview.title", active="overview", data=data, d=data)


@router.get("/chains")
def chains_page(ctx: Viewer) -> Response:
    data = views.chains_list(ctx)
    return render(ctx, "chains.html", title_key="web.chain.list", active="chains", data=data, d=data)


@router.get("/chains/{chain_id}")
def chain_page(ctx: Viewer, chain_id: Annotated[str, Path(max_length=64)]) -> Response:
    data = views.chain_detail(ctx, chain_id)
    return render(ctx, "chain.html", title_key="web.chain.title", active="chains", data=data, d=data)


@router.get("/enterprises")
def enterprises_page(ctx: EntCtx, q: Annotated[str | None, Query(max_length=100)] = None,
                     district: Annotated[str | None, Query(max_length=12)] = None) -> Response:
    data = views.enterprises(ctx, q, district, 500)
    return render(ctx, "enterprises.html", title_key="web.ent.list", active="enterprises", data=None, d=data,
                  q=q or "")


@router.get("/enterprises/{uscc}")
def enterprise_page(ctx: EntCtx, uscc: Annotated[str, Path(max_length=18)]) -> Response:
    data = views.enterprise_profile(ctx, uscc)
    return render(ctx, "enterprise.html", title_key="web.ent.title", active="enterprises", data=data, d=data)


@router.get("/cultivation")
def cultivation_page(ctx: Viewer, tier: Annotated[str | None, Query(max_length=20)] = None,
                     chain: Annotated[str | None, Query(max_length=64)] = None) -> Response:
    data = views.cultivation(ctx, tier, chain, None, 100)
    return render(ctx, "cultivation.html", title_key="web.cult.title", active="cultivation", data=data, d=data,
                  tier=tier or "")


@router.get("/cultivation/gap/{uscc}")
def gap_page(ctx: EntCtx, uscc: Annotated[str, Path(max_length=18)],
             tier: Annotated[str | None, Query(max_length=20)] = None) -> Response:
    data = views.gap(ctx, uscc, tier)
    return render(ctx, "gap.html", title_key="web.cult.gaps", active="cultivation", data=data, d=data)


@router.get("/trade")
def trade_page(ctx: Viewer, period: PeriodQ = None,
               by: Annotated[str, Query(pattern="^(group|country|chain|segment|hs)$")] = "group") -> Response:
    data = {"summary": views.section(ctx, "trade", "summary", period, by, "all"),
            "dependence": views.section(ctx, "trade", "segment_dependence", period)}
    return render(ctx, "trade.html", title_key="web.trade.title", active="trade", data=data, d=data, by=by)


@router.get("/simulation")
def simulation_page(ctx: Viewer) -> Response:
    opts = views.simulation_options(ctx)
    return render(ctx, "simulation.html", title_key="web.sim.title", active="simulation", data={}, o=opts,
                  result=None, form={})


@router.post("/simulation")
def simulation_run_page(ctx: Writer, target: Annotated[str, Form(pattern="^(country|segment|district|enterprise|supplier)$")],
                        ident: Annotated[str, Form(min_length=1, max_length=200)],
                        capacity_pct: Annotated[float, Form(ge=0, le=100)] = 0.0,
                        months: Annotated[int, Form(ge=1, le=60)] = 3,
                        horizon: Annotated[int, Form(ge=1, le=60)] = 12,
                        direction: Annotated[str, Form(pattern="^(downstream|upstream|both)$")] = "both",
                        hs: Annotated[str, Form(max_length=200)] = "") -> Response:
    scenario = views.scenario_from_form(target, ident, capacity_pct, months, horizon, direction, hs)
    result = views.section(ctx, "shock", "run", scenario)
    opts = views.simulation_options(ctx)
    form = {"target": target, "ident": ident, "capacity_pct": capacity_pct, "months": months, "horizon": horizon,
            "direction": direction, "hs": hs}
    return render(ctx, "simulation.html", title_key="web.sim.title", active="simulation", data=result, o=opts,
                  result=result, form=form)


@router.get("/policy")
def policy_page(ctx: Viewer, policy: Annotated[str | None, Query(max_length=100, pattern=r"^[\w.-]+$")] = None) -> Response:
    listing = views.section(ctx, "policy", "list")
    chosen = policy or next((p["policy_id"] for p in listing.get("policies", []) if p.get("in_force_today")),
                            None) or next((p["policy_id"] for p in listing.get("policies", [])), None)
    match = views.policy_match(ctx, chosen, None) if chosen else None
    return render(ctx, "policy.html", title_key="web.policy.title", active="policy", data=match, d=listing,
                  match=match, chosen=chosen)
