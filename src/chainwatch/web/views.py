"""What each page and API route shows, assembled from service calls (no SQL, no analytics here).

Every function takes the request context and returns plain JSON-ready dicts, filtered for the
caller by :func:`chainwatch.web.serialize.serialize_result`. A feature whose service is not
installed yet (or fails with a chainwatch error) becomes a section ``{"unavailable": message}``,
so one missing module never takes a whole page down.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

from chainwatch.errors import ChainwatchError, InputError, NotFound
from chainwatch.i18n import t
from chainwatch.service.result import Result
from chainwatch.web.deps import Ctx
from chainwatch.web.serialize import serialize_error, serialize_result

log = logging.getLogger("chainwatch.web")


class ModuleMissing(ChainwatchError):
    """A feature's service module is not installed (HTTP 501)."""

    http_status = 501
    default_key = "web.module_missing"


def service(ctx: Ctx, name: str) -> Any:
    """``ctx.cw.<name>``, or :class:`ModuleMissing` when that feature is not installed yet."""
    try:
        return getattr(ctx.cw, name)
    except ModuleNotFoundError as exc:
        if exc.name and exc.name.startswith(f"chainwatch.service.{name}"):
            raise ModuleMissing(module=name) from exc
        raise


def call(ctx: Ctx, name: str, method: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
    """Call ``cw.<name>.<method>`` and serialize its result for the caller."""
    svc = service(ctx, name)
    fn: Callable[..., Any] | None = getattr(svc, method, None)
    if fn is None:
        raise ModuleMissing(module=f"{name}.{method}")
    result = fn(*args, **kwargs)
    if isinstance(result, Result):
        return serialize_result(result, ctx)
    if isinstance(result, dict):
        return serialize_result(result, ctx)
    raise TypeError(f"{name}.{method} returned {type(result).__name__}")


def section(ctx: Ctx, name: str, method: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
    """Like :func:`call`, but a failure becomes ``{"unavailable": message}`` for one page section."""
    try:
        return call(ctx, name, method, *args, **kwargs)
    except NotFound:
        raise
    except ChainwatchError as exc:
        body = serialize_error(exc, ctx.lang)["error"]
        out = {"unavailable": body["message"], "key": exc.key}
        if body["errors"]:
            out["errors"] = body["errors"]
        return out
    except Exception as exc:  # a bug in one module must not take the whole page down
        log.exception("section %s.%s failed", name, method)
        return {"unavailable": t("error.bug", ctx.lang, detail=f"{name}.{method}: {type(exc).__name__}"),
                "key": "error.bug"}


def cached_section(ctx: Ctx, name: str, method: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
    """:func:`section`, memoised per caller view and data version (statistics are costly)."""
    key = ctx.cache_key(name, method, json.dumps([args, kwargs], sort_keys=True, default=str),
                        warnings=name == "risk")
    return ctx.state.cached(key, lambda: section(ctx, name, method, *args, **kwargs))  # type: ignore[no-any-return]


def cached_call(ctx: Ctx, name: str, method: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
    """:func:`call`, memoised per caller view and data version (errors are raised, not cached)."""
    key = ctx.cache_key("call", name, method, json.dumps([args, kwargs], sort_keys=True, default=str),
                        warnings=name == "risk")
    return ctx.state.cached(key, lambda: call(ctx, name, method, *args, **kwargs))  # type: ignore[no-any-return]


def unavailable(ctx: Ctx, module: str) -> dict[str, Any]:
    return {"unavailable": t("web.module_missing", ctx.lang, module=module), "key": "web.module_missing"}


# -- shared helpers ---------------------------------------------------------------------------
def latest_period(ctx: Ctx, period: str | None = None) -> str | None:
    """``period`` if given, else the latest month with monthly data."""
    if period:
        from chainwatch.model.periods import Period

        try:
            return str(Period.parse(period))
        except (ChainwatchError, ValueError) as exc:
            raise InputError("v.period_arg", value=period) from exc
    return ctx.cw.data.latest_period()


def months_before(period: str, n: int) -> str:
    y, m = int(period[:4]), int(period[5:7])
    total = y * 12 + (m - 1) - n
    return f"{total // 12}-{total % 12 + 1:02d}"


# -- overview ---------------------------------------------------------------------------------
def headline(ctx: Ctx, period: str) -> dict[str, Any]:
    def compute() -> dict[str, Any]:
        try:
            h = dict(service(ctx, "stats").headline(period))
        except ChainwatchError as exc:
            return {"unavailable": exc.message(ctx.lang), "key": exc.key}
        rows = [{"indicator": k, **dict(ind)} for k, ind in h.pop("indicators").items()]
        return serialize_result({"summary": h, "indicators": rows}, ctx)

    return ctx.state.cached(ctx.cache_key("headline", period), compute)  # type: ignore[no-any-return]


def overview(ctx: Ctx, period: str | None = None, months: int = 24) -> dict[str, Any]:
    """Headline statistics, monthly trend, warnings by level, chains at a glance, data status."""
    key = ctx.cache_key("overview", period, months, warnings=True)
    return ctx.state.cached(key, lambda: _overview(ctx, period, months))  # type: ignore[no-any-return]


def _overview(ctx: Ctx, period: str | None, months: int) -> dict[str, Any]:
    p = latest_period(ctx, period)
    out: dict[str, Any] = {"meta": ctx.cw.meta(command="overview", period=p, units={"money": "万元"})}
    info = ctx.cw.data.info().to_dict()
    out["data"] = {"periods": info["meta"].get("periods"), "counts": info.get("counts", [])}
    if not p:
        return out
    out["headline"] = headline(ctx, p)
    out["trend"] = cached_section(ctx, "stats", "series", "total", "total", "gross_output",
                                  months_before(p, months), p)
    out["chains"] = cached_section(ctx, "stats", "compute", p, "chain", ["gross_output", "value_added", "total_profit"])
    out["chain_map"] = cached_section(ctx, "chains", "overview")
    out["warnings"] = warnings_summary(ctx, p)
    return serialize_result(out, ctx)


# -- trade ------------------------------------------------------------------------------------
def trade(ctx: Ctx, period: str | None = None, by: str = "group", flow: str = "all") -> dict[str, Any]:
    return call(ctx, "trade", "summary", period, by, flow)


# -- simulation -------------------------------------------------------------------------------
def simulation_options(ctx: Ctx) -> dict[str, Any]:
    out: dict[str, Any] = {"meta": ctx.cw.meta(command="simulation options")}
    out["districts"] = serialize_result(ctx.cw.users.districts(), ctx)["districts"]
    chains = chains_list(ctx)
    segments = []
    for c in chains.get("chains", []):
        graph = cached_section(ctx, "chains", "graph", c["chain_id"])
        segments += [{"segment_id": n["id"], "name": n.get("name"), "chain_id": c["chain_id"]}
                     for n in graph.get("nodes", [])]
    out["segments"] = segments
    out["saved"] = section(ctx, "shock", "saved")
    out["io_tables"] = io_tables(ctx)
    return out


IO_TABLE_COLUMNS = ("name", "layout", "sectors", "unit", "note")


def io_tables(ctx: Ctx) -> dict[str, Any]:
    """The IO tables a scenario may name (``table``): name, layout, sectors, unit, note — never a path."""
    listed = section(ctx, "io_tables", "list")
    if "tables" in listed:
        listed["tables"] = [{k: r.get(k) for k in IO_TABLE_COLUMNS} for r in listed["tables"]]
    return listed


def io_scenario(model: str, table: str, sector: str, pct: float) -> dict[str, Any]:
    """An IO scenario from the simulation page's IO form (one sector, a percentage change)."""
    return {"name": f"{model}:{table}:{sector} {pct:+g}%", "model": model, "table": table,
            "shocks": [{"sector": sector, "demand_change_pct": pct}]}


# -- warnings ---------------------------------------------------------------------------------
LEVEL_NAMES = ("blue", "yellow", "orange", "red")


def warnings_summary(ctx: Ctx, period: str) -> dict[str, Any]:
    """Counts by level for the overview pie (one row per level) plus the risk summary."""
    out = dict(cached_section(ctx, "risk", "summary", period))
    if "unavailable" in out:
        return out
    meta = out.get("meta", {})
    out["levels"] = [{"grade": g, "level": name, "label": t(f"web.val.{name}", ctx.lang),
                      "count": int(meta.get(name) or 0)} for g, name in enumerate(LEVEL_NAMES, start=1)]
    return out


# -- chains -----------------------------------------------------------------------------------
RISK_GRADE = {"none": 0, "blue": 1, "yellow": 2, "orange": 3, "red": 4}


def chains_list(ctx: Ctx) -> dict[str, Any]:
    return cached_section(ctx, "chains", "overview")


def chain_detail(ctx: Ctx, chain_id: str) -> dict[str, Any]:
    """Segment DAG (nodes coloured by risk), segment table, leaders, weak/missing links, bottlenecks."""
    svc = service(ctx, "chains")
    svc.chain_row(chain_id)  # NotFound for an unknown chain

    def compute() -> dict[str, Any]:
        out: dict[str, Any] = {"meta": ctx.cw.meta(command="chain", chain=chain_id, units={"money": "万元"})}
        graph = section(ctx, "chains", "graph", chain_id)
        for node in graph.get("nodes", []):
            node["grade"] = RISK_GRADE.get(str(node.get("risk_level")), 0)
            node["missing"] = node.get("status") == "missing"
            node["tooltip"] = " · ".join(str(x) for x in (node.get("name"), node.get("reasons")) if x)
        out["graph"] = graph
        segs = section(ctx, "chains", "segments", chain_id)
        out["summary"] = segs.get("summary", [])
        out["segments"] = segs.get("segments", segs if "unavailable" in segs else [])
        out["weak"] = [s for s in out["segments"] if isinstance(s, dict) and s.get("status") in ("missing", "weak")]
        out["leaders"] = section(ctx, "chains", "leaders", chain_id, top=20)
        out["critical"] = section(ctx, "chains", "critical", chain_id)
        out["bottlenecks"] = section(ctx, "chains", "bottleneck_list", chain_id=chain_id)
        out["warnings"] = section(ctx, "risk", "list", subject_level="chain")
        return out

    return ctx.state.cached(ctx.cache_key("chain", chain_id, warnings=True), compute)  # type: ignore[no-any-return]


def add_bottleneck(ctx: Ctx, chain_id: str, segment_id: str, **fields: Any) -> dict[str, Any]:
    """Put a missing or weak segment of ``chain_id`` on the bottleneck register."""
    svc = service(ctx, "chains")
    svc.chain_row(chain_id)
    segments = {r["segment_id"] for r in chains_segments(ctx, chain_id)}
    if segment_id not in segments:
        raise NotFound("error.not_found", what=segment_id)
    result = call(ctx, "chains", "bottleneck_from_segment", segment_id,
                  **{k: v for k, v in fields.items() if v not in (None, "")})
    ctx.state.forget_version()
    return result


def chains_segments(ctx: Ctx, chain_id: str) -> list[dict[str, Any]]:
    return [s for s in chain_detail(ctx, chain_id).get("segments", []) if isinstance(s, dict)]


def settings_table(ctx: Ctx) -> dict[str, Any]:
    """Effective settings with their help text; the secret is masked."""
    from chainwatch.settings import SETTINGS

    rows = [{"name": s.name, "value": ("••••" if s.name == "secret_key" and ctx.state.settings.values.get(s.name)
                                       else ctx.state.settings.values.get(s.name)), "default": s.default,
             "help": s.help} for s in SETTINGS]
    return {"meta": ctx.cw.meta(command="settings"), "settings": rows}


# -- enterprises ------------------------------------------------------------------------------
def enterprises(ctx: Ctx, q: str | None, district: str | None, limit: int) -> dict[str, Any]:
    return cached_call(ctx, "users", "directory", q, district=district, limit=limit)


def enterprise_profile(ctx: Ctx, uscc: str) -> dict[str, Any]:
    """Card, monthly indicators, supply links, warnings and tier assessment of one enterprise."""
    ctx.check_enterprise(uscc)
    card = ctx.cw.users.enterprise_card(uscc)
    out: dict[str, Any] = {"meta": ctx.cw.meta(command="enterprise", uscc=uscc, units={"money": "万元"}),
                           "enterprise": [card]}
    out["series"] = section(ctx, "stats", "enterprise_series", uscc)
    out["links"] = serialize_result(ctx.cw.users.supply_links(uscc), ctx).get("links", [])
    warns = section(ctx, "risk", "list", subject_level="enterprise", include_closed=True)
    if "warnings" in warns:
        warns["warnings"] = [w for w in warns["warnings"] if w.get("subject_id") == uscc]
    out["warnings"] = warns
    out["tier"] = section(ctx, "cultivation", "assess", uscc)
    out["policies"] = section(ctx, "policy", "for_enterprise", uscc)
    return serialize_result(out, ctx)


# -- cultivation ------------------------------------------------------------------------------
def cultivation(ctx: Ctx, tier: str | None, chain: str | None, district: str | None, limit: int) -> dict[str, Any]:
    """Pipeline counts per tier, and the candidates closest to each tier."""
    out: dict[str, Any] = {"meta": ctx.cw.meta(command="cultivation", tier=tier, chain=chain, district=district)}
    out["pipeline"] = cached_section(ctx, "cultivation", "pipeline")
    if ctx.user.enterprise_level:
        out["candidates"] = cached_section(ctx, "cultivation", "candidates", tier=tier, chain=chain,
                                           district=district, limit=limit)
    return out


def gap(ctx: Ctx, uscc: str, tier: str | None) -> dict[str, Any]:
    ctx.check_enterprise(uscc)
    return call(ctx, "cultivation", "gap", uscc, tier=tier)


# -- simulation -------------------------------------------------------------------------------
def scenario_from_form(shocks: list[dict[str, Any]], horizon: int, direction: str) -> dict[str, Any]:
    """A cascade scenario from the simulation form's shock rows (rows without a target id are skipped)."""
    items = []
    for row in shocks:
        ident = str(row.get("ident") or "").strip()
        if not ident:
            continue
        shock: dict[str, Any] = {row["target"]: ident, "capacity_pct": row["capacity_pct"], "months": row["months"]}
        hs = str(row.get("hs") or "")
        if hs.strip():
            shock["hs"] = [h.strip() for h in hs.split(",") if h.strip()]
        items.append(shock)
    name = " + ".join(f"{next(iter(sh))}:{sh[next(iter(sh))]}" for sh in items) or "—"
    return {"name": name, "model": "cascade", "horizon_months": horizon, "direction": direction, "shocks": items}


def run_simulation(ctx: Ctx, scenario: dict[str, Any]) -> dict[str, Any]:
    """Run a scenario for the caller, stopped after ``web_run_seconds`` (:class:`RunTooLong`, 503).

    A stopped run's database handle is discarded, not returned to the pool.
    """
    from chainwatch.web.limits import run_with_deadline

    seconds = float(ctx.state.settings.web_run_seconds or 30)

    def stopped() -> None:
        ctx.discard_store = True

    return run_with_deadline(lambda: call(ctx, "shock", "run", scenario), seconds, on_stop=stopped)


# -- policy -----------------------------------------------------------------------------------
def policy_match(ctx: Ctx, policy_id: str, period: str | None) -> dict[str, Any]:
    if policy_id not in {p.get("policy_id") for p in call(ctx, "policy", "list").get("policies", [])}:
        raise NotFound("error.not_found", what=policy_id)
    return cached_section(ctx, "policy", "match", policy_id, period)


# -- warm-up ----------------------------------------------------------------------------------
def warm_up(state: Any) -> None:
    """Fill the cache with the overview, chain list and chain pages for analysts, viewers and every
    district set of the district officials (in the default language)."""
    from chainwatch.service.users import Principal

    store = state.cw.store.cursor()  # its own handle: the pool's are reserved for admitted requests
    try:
        base = state.facade(store, lang=state.settings.lang, actor="web", scope=None)
        principals = [Principal("warm-up", "analyst"), Principal("warm-up", "viewer")]
        users = base.users.list().tables["users"]
        for codes in sorted({str(d) for d in users.loc[users.role == "district", "districts"]}):
            principals.append(Principal("warm-up", "district", tuple(c for c in codes.split(",") if c)))
        for p in principals:
            if state.stopping.is_set():
                return
            cw = state.facade(store, lang=state.settings.lang, actor="warm-up", scope=p.scope)
            ctx = Ctx(None, state, cw, state.settings.lang, p)  # type: ignore[arg-type]
            overview(ctx)
            for c in chains_list(ctx).get("chains", []):
                if state.stopping.is_set():
                    return
                chain_detail(ctx, c["chain_id"])
    except Exception:  # never let warming up break the server
        log.exception("warm-up failed")
    finally:
        store.close()
        state.warm_done.set()
