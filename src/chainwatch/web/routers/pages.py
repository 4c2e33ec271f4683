"""Dashboard pages (server-rendered; charts drawn by static/js/app.js from the embedded JSON)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query
from fastapi.responses import HTMLResponse, Response

from chainwatch.web import views
from chainwatch.web.deps import EntCtx, Viewer
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
