"""Dashboard pages (server-rendered; charts drawn by static/js/app.js from the embedded JSON)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Path, Query
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from chainwatch.errors import ChainwatchError
from chainwatch.i18n import t
from chainwatch.web import views
from chainwatch.web.deps import Analyst, EntCtx, Viewer, Writer
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
def chain_page(ctx: Viewer, chain_id: Annotated[str, Path(max_length=64)],
               flash: Annotated[str | None, Query(max_length=300)] = None) -> Response:
    data = views.chain_detail(ctx, chain_id)
    return render(ctx, "chain.html", title_key="web.chain.title", active="chains", data=data, d=data, flash=flash)


@router.post("/chains/{chain_id}/bottlenecks")
def chain_bottleneck_form(ctx: Analyst, chain_id: Annotated[str, Path(max_length=64)],
                          segment_id: Annotated[str, Form(max_length=100)]) -> Response:
    from urllib.parse import quote

    try:
        views.add_bottleneck(ctx, chain_id, segment_id)
        flash = t("web.chain.bottleneck_added", ctx.lang, segment=segment_id)
    except ChainwatchError as exc:
        flash = exc.message(ctx.lang)
    return RedirectResponse(f"/chains/{quote(chain_id)}?flash={quote(flash)}#bottlenecks", status_code=303)


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
                  result=None, form={"rows": [], "horizon": 12, "direction": "both", "io": {}})


TARGETS = ("country", "segment", "district", "enterprise", "supplier")
SHOCK_ROWS = 3


IO_MODELS = ("leontief", "ghosh", "iim")


@router.post("/simulation")
async def simulation_run_page(ctx: Writer) -> Response:
    """Run the shocks of the form (up to three rows: target kind, id, remaining capacity, months, HS), or
    the IO form (model, a named table, a sector and a percentage change)."""
    form = await ctx.request.form()

    def num(name: str, default: float, lo: float, hi: float) -> float:
        try:
            value = float(str(form.get(name) or default))
        except ValueError:
            value = default
        return min(max(value, lo), hi) if value == value else default

    if form.get("mode") == "io":
        model = str(form.get("io_model") or "leontief")
        io_form = {"model": model if model in IO_MODELS else "leontief",
                   "table": str(form.get("io_table") or "")[:100], "sector": str(form.get("io_sector") or "")[:20],
                   "pct": num("io_pct", -10, -100, 1000)}
        scenario = views.io_scenario(io_form["model"], io_form["table"], io_form["sector"], io_form["pct"])
        return await run_in_threadpool(_simulation_result, ctx, scenario, [], 12, "both", io_form)

    rows = []
    for i in range(SHOCK_ROWS):
        target = str(form.get(f"target_{i}") or "country")
        rows.append({"target": target if target in TARGETS else "country",
                     "ident": str(form.get(f"ident_{i}") or "")[:200], "hs": str(form.get(f"hs_{i}") or "")[:200],
                     "capacity_pct": num(f"capacity_{i}", 0, 0, 100), "months": int(num(f"months_{i}", 3, 1, 60))})
    horizon = int(num("horizon", 12, 1, 60))
    direction = str(form.get("direction") or "both")
    direction = direction if direction in ("both", "downstream", "upstream") else "both"
    scenario = views.scenario_from_form(rows, horizon, direction)
    return await run_in_threadpool(_simulation_result, ctx, scenario, rows, horizon, direction)


def _simulation_result(ctx: Writer, scenario: dict, rows: list, horizon: int, direction: str,
                       io_form: dict | None = None) -> Response:
    status = 200
    try:
        result = views.run_simulation(ctx, scenario)
    except ChainwatchError as exc:  # e.g. no supply link from that country; a run stopped at its time limit
        result = {"unavailable": exc.message(ctx.lang), "key": exc.key}
        status = exc.http_status if exc.http_status >= 500 else 200
    except Exception as exc:  # a bug in the simulation must not take the page down (as views.section)
        views.log.exception("simulation run failed")
        result = {"unavailable": t("error.bug", ctx.lang, detail=type(exc).__name__), "key": "error.bug"}
    opts = views.simulation_options(ctx)
    response = render(ctx, "simulation.html", title_key="web.sim.title", active="simulation", data=result, o=opts,
                      result=result, form={"rows": rows, "horizon": horizon, "direction": direction,
                                           "io": io_form or {}}, status_code=status)
    if status == 503:
        response.headers["Retry-After"] = "2"
    return response


@router.get("/policy")
def policy_page(ctx: Viewer,
                policy: Annotated[str | None, Query(max_length=100, pattern=r"^[\w.-]+$")] = None) -> Response:
    listing = views.section(ctx, "policy", "list")
    chosen = policy or next((p["policy_id"] for p in listing.get("policies", []) if p.get("in_force_today")),
                            None) or next((p["policy_id"] for p in listing.get("policies", [])), None)
    match = views.policy_match(ctx, chosen, None) if chosen else None
    return render(ctx, "policy.html", title_key="web.policy.title", active="policy", data=match, d=listing,
                  match=match, chosen=chosen)
