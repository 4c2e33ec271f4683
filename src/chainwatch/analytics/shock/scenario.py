"""Scenario files: schema, defaults and validation with clear messages (file, item, what is wrong).

A scenario is a YAML (or JSON) mapping::

    name: 港口封闭三个月
    model: cascade            # cascade | leontief | ghosh | iim
    horizon_months: 12
    direction: both           # downstream | upstream | both (cascade)
    inventory_days: 15        # default buffer of every buyer's input (cascade)
    recovery: linear          # step | linear | exponential
    recovery_months: 3
    table: nbs2018            # IO models only: a stored table (chainwatch io tables) or, on the
                              # command line only, a table file (relative to the scenario file)
    layout: nbs               # nbs | csv | auto
    shocks:
      - enterprise: 91330200MA2XXXXXXX   # capacity of one enterprise
        capacity_pct: 0                  # remaining capacity, %
        months: 3
        start_month: 1                   # 1 = first month of the horizon
      - country: JPN                     # imports from a country …
        hs: ["8542"]                     # … of these products (prefix match; omit = all)
        capacity_pct: 20
        months: 6
      - supplier: "Tokyo Electron"       # an external supplier by name
      - segment: NEV-BATTERY             # every enterprise of a chain segment
      - district: "330206"               # every enterprise of a district
      - sector: "001"                    # IO models: a sector of the table
        demand_change: -35               # Leontief: Δf (table units); Ghosh: Δv
        capacity_pct: 70                 # IIM: capacity (inoperability 30 %)

Validation collects every problem and raises one :class:`ValidationFailed` whose ``errors`` list
holds ``{"file", "item", "field", "key", "params", "problem"}`` rows.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from chainwatch.errors import InputError, ValidationFailed
from chainwatch.i18n import t

MODELS = ("cascade", "leontief", "ghosh", "iim")
DIRECTIONS = ("downstream", "upstream", "both")
RECOVERIES = ("step", "linear", "exponential")
TARGETS = ("enterprise", "country", "supplier", "segment", "district", "sector")
TOP_KEYS = {"name", "description", "model", "horizon_months", "direction", "inventory_days", "recovery",
            "recovery_months", "table", "layout", "domestic", "shocks", "start"}
SHOCK_KEYS = {*TARGETS, "hs", "capacity_pct", "months", "start_month", "demand_change", "demand_change_pct",
              "recovery", "recovery_months", "note"}
DEFAULTS: dict[str, Any] = {"model": "cascade", "horizon_months": 12, "direction": "both", "inventory_days": 0.0,
                            "recovery": "linear", "recovery_months": 0, "layout": "auto", "domestic": False}


def load_scenario(source: dict[str, Any] | str | Path) -> tuple[dict[str, Any], str]:
    """Read a scenario from a mapping or a YAML/JSON file; return (raw mapping, file label)."""
    if isinstance(source, dict):
        return source, "<scenario>"
    p = Path(source)
    if not p.exists():
        raise InputError("shock.scenario.missing", file=str(p))
    try:
        text = p.read_text(encoding="utf-8")
        data = json.loads(text) if p.suffix.lower() == ".json" else yaml.safe_load(text)
    except (yaml.YAMLError, json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError("shock.scenario.unreadable", file=str(p), detail=str(exc).splitlines()[0]) from exc
    if not isinstance(data, dict):
        raise InputError("shock.scenario.not_mapping", file=str(p))
    return data, str(p)


def _e(file: str, item: str, field: str, key: str, **params: Any) -> dict[str, Any]:
    """One problem row: where (file, item, field) and what (a catalogue key and its parameters)."""
    return {"file": file, "item": item, "field": field, "key": key, "params": params}


def problem_text(e: dict[str, Any], lang: str = "en") -> str:
    """The problem of an error row in ``lang``."""
    return t(e["key"], lang, **e["params"])


def _number(errors: list[dict[str, str]], file: str, item: str, key: str, value: Any, lo: float, hi: float | None,
            integer: bool = False) -> Any:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    if ok and integer and float(value) != int(value):
        ok = False
    if not ok:
        errors.append(_e(file, item, key, "shock.p.integer" if integer else "shock.p.number", value=repr(value)))
        return None
    if value < lo or (hi is not None and value > hi):
        errors.append(_e(file, item, key, "shock.p.range", lo=lo, hi=hi, value=value))
        return None
    return int(value) if integer else float(value)


def validate_scenario(raw: dict[str, Any], file: str = "<scenario>", lang: str = "en") -> dict[str, Any]:
    """Check a raw scenario and return it normalised (defaults filled, types fixed).

    Raises
    ------
    ValidationFailed
        With every problem found; ``errors`` rows name the file, the item (``top`` or ``shocks[i]``),
        the field and what is wrong (``key``/``params`` from the catalogue, ``problem`` in ``lang``).
    """
    errs: list[dict[str, str]] = []
    sc: dict[str, Any] = {**DEFAULTS, **{k: v for k, v in raw.items() if k in TOP_KEYS}}
    for k in sorted(set(raw) - TOP_KEYS):
        errs.append(_e(file, "top", str(k), "shock.p.unknown_key", allowed=", ".join(sorted(TOP_KEYS))))
    sc["name"] = str(raw.get("name") or Path(file).stem)
    if sc["model"] not in MODELS:
        errs.append(_e(file, "top", "model", "shock.p.one_of", value=repr(sc["model"]), allowed=", ".join(MODELS)))
    if sc["direction"] not in DIRECTIONS:
        errs.append(_e(file, "top", "direction", "shock.p.one_of", value=repr(sc["direction"]),
                       allowed=", ".join(DIRECTIONS)))
    if sc["recovery"] not in RECOVERIES:
        errs.append(_e(file, "top", "recovery", "shock.p.one_of", value=repr(sc["recovery"]),
                       allowed=", ".join(RECOVERIES)))
    sc["horizon_months"] = _number(errs, file, "top", "horizon_months", sc["horizon_months"], 1, 120, True)
    sc["inventory_days"] = _number(errs, file, "top", "inventory_days", sc["inventory_days"], 0, 3650)
    sc["recovery_months"] = _number(errs, file, "top", "recovery_months", sc["recovery_months"], 0, 120, True)
    io_model = sc["model"] in ("leontief", "ghosh", "iim")
    if io_model and not sc.get("table"):
        errs.append(_e(file, "top", "table", "shock.p.io_table"))
    if sc.get("table") is not None:
        sc["table"] = str(sc["table"])
        sc["table_name"] = sc["table"]  # as written: a table name, or (command line only) a file path
    if sc.get("table") and file != "<scenario>" and not Path(str(sc["table"])).is_absolute():
        sc["table"] = str((Path(file).parent / str(sc["table"])).resolve())
    shocks = raw.get("shocks")
    if not isinstance(shocks, list) or not shocks:
        errs.append(_e(file, "top", "shocks", "shock.p.shocks_required"))
        shocks = []
    out = []
    for i, sh in enumerate(shocks):
        item = f"shocks[{i + 1}]"
        if not isinstance(sh, dict):
            errs.append(_e(file, item, "", "shock.p.mapping"))
            continue
        for k in sorted(set(sh) - SHOCK_KEYS):
            errs.append(_e(file, item, str(k), "shock.p.unknown_key", allowed=", ".join(sorted(SHOCK_KEYS))))
        targets = [t for t in TARGETS if t in sh]
        if len(targets) != 1:
            errs.append(_e(file, item, "target", "shock.p.target", allowed=", ".join(TARGETS),
                           found=", ".join(targets) or "-"))
            continue
        tgt = targets[0]
        norm: dict[str, Any] = {"target": tgt, "id": str(sh[tgt]).strip()}
        if not norm["id"]:
            errs.append(_e(file, item, tgt, "shock.p.empty"))
        if tgt == "sector" and not io_model:
            errs.append(_e(file, item, tgt, "shock.p.sector_needs_io"))
        if tgt != "sector" and io_model:
            errs.append(_e(file, item, tgt, "shock.p.io_sector_only", model=sc["model"]))
        if tgt == "country":
            norm["id"] = norm["id"].upper()
            if len(norm["id"]) != 3 or not norm["id"].isalpha():
                errs.append(_e(file, item, "country", "shock.p.iso3", value=repr(sh[tgt])))
        hs = sh.get("hs", [])
        hs = [hs] if isinstance(hs, (str, int)) else hs
        if not isinstance(hs, list) or any(not str(h).isdigit() or len(str(h)) not in (2, 4, 6, 8, 10) for h in hs):
            errs.append(_e(file, item, "hs", "shock.p.hs", value=repr(sh.get("hs"))))
            hs = []
        if hs and tgt not in ("country", "supplier"):
            errs.append(_e(file, item, "hs", "shock.p.hs_target"))
        norm["hs"] = [str(h) for h in hs]
        cap = _number(errs, file, item, "capacity_pct", sh.get("capacity_pct", 0), 0, 100)
        norm["capacity_pct"] = cap
        horizon = sc["horizon_months"] or 120
        norm["months"] = _number(errs, file, item, "months", sh.get("months", horizon), 1, 120, True)
        norm["start_month"] = _number(errs, file, item, "start_month", sh.get("start_month", 1), 1, horizon, True)
        norm["recovery"] = sh.get("recovery", sc["recovery"])
        if norm["recovery"] not in RECOVERIES:
            errs.append(_e(file, item, "recovery", "shock.p.one_of", value=repr(norm["recovery"]),
                           allowed=", ".join(RECOVERIES)))
        norm["recovery_months"] = _number(errs, file, item, "recovery_months",
                                          sh.get("recovery_months", sc["recovery_months"] or 0), 0, 120, True)
        if "demand_change" in sh or "demand_change_pct" in sh:
            if sc["model"] not in ("leontief", "ghosh", "iim"):
                errs.append(_e(file, item, "demand_change", "shock.p.demand_io_only"))
            if "demand_change" in sh:
                norm["demand_change"] = _number(errs, file, item, "demand_change", sh["demand_change"],
                                                -1e18, 1e18)
            else:
                norm["demand_change_pct"] = _number(errs, file, item, "demand_change_pct",
                                                    sh["demand_change_pct"], -100, 1e6)
        elif sc["model"] in ("leontief", "ghosh"):
            errs.append(_e(file, item, "demand_change", "shock.p.demand_needed", model=sc["model"]))
        norm["explicit_capacity"] = "capacity_pct" in sh
        out.append(norm)
    sc["shocks"] = out
    if errs:
        for e in errs:
            e["problem"] = problem_text(e, lang)
        raise ValidationFailed("shock.scenario.invalid", errors=errs, file=file, n=len(errs),
                               first=format_error(errs[0], lang))
    return sc


def format_error(e: dict[str, Any], lang: str = "en") -> str:
    """``file: item.field: problem`` for one error row."""
    where = e["item"] + (f".{e['field']}" if e.get("field") else "")
    return f"{e['file']}: {where}: {problem_text(e, lang)}"
