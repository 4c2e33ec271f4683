"""Warning lifecycle (risk-methods.md §3): states, allowed transitions, and the event log.

::

    new ──► acknowledged ──► confirmed ──► resolved
                        └──► no_impact ──► resolved
    resolved ──► acknowledged   (system: the same dedupe key fires again within the cool-down)

The ``warning`` row is a projection of its append-only events; :func:`replay` rebuilds it, and
each event carries the SHA-256 of its predecessor so that tampering is evident.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from typing import Any

STATES: tuple[str, ...] = ("new", "acknowledged", "confirmed", "no_impact", "resolved")
OPEN_STATES: tuple[str, ...] = ("new", "acknowledged", "confirmed", "no_impact")
#: user action -> (allowed from-states, to-state, required fields)
ACTIONS: dict[str, tuple[tuple[str, ...], str | None, tuple[str, ...]]] = {
    "ack": (("new",), "acknowledged", ()),
    "confirm": (("acknowledged",), "confirmed", ("note",)),
    "no_impact": (("acknowledged",), "no_impact", ("note",)),
    "resolve": (("confirmed", "no_impact"), "resolved", ("note",)),
    "assign": (OPEN_STATES, None, ("owner",)),
    "comment": (STATES, None, ("note",)),
    "override": (OPEN_STATES, None, ("grade", "note")),
}
#: system actions recorded by a warning run
SYSTEM_ACTIONS: tuple[str, ...] = ("create", "escalate", "deescalate", "clear", "refire", "reopen", "update")
RESOLUTION_CODES: tuple[str, ...] = ("recovered", "mitigated", "accepted", "no_impact", "false_alarm")


class TransitionError(Exception):
    """An action that the warning's state does not allow, or a missing field.

    ``reason`` is "action", "state", "field" or "value"; ``detail`` names what is allowed or missing.
    """

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(reason, detail)
        self.reason = reason
        self.detail = detail


def check_transition(state: str, action: str, fields: Mapping[str, Any]) -> str:
    """Validate a user action and return the state after it.

    Raises
    ------
    TransitionError
        with ``reason`` "action" (unknown action), "state" (not allowed from ``state``) or "field"
        (a required field is missing).

    Examples
    --------
    >>> check_transition("new", "ack", {})
    'acknowledged'
    >>> try:
    ...     check_transition("acknowledged", "resolve", {"note": "x"})
    ... except TransitionError as exc:
    ...     print(exc.reason, exc.detail)
    state confirmed, no_impact
    """
    if action not in ACTIONS:
        raise TransitionError("action", ", ".join(ACTIONS))
    allowed, to_state, required = ACTIONS[action]
    if state not in allowed:
        raise TransitionError("state", ", ".join(allowed))
    for name in required:
        if fields.get(name) in (None, ""):
            raise TransitionError("field", name)
    if action == "resolve" and fields.get("code") not in (None, *RESOLUTION_CODES):
        raise TransitionError("value", ", ".join(RESOLUTION_CODES))
    return to_state or state


def event_hash(prev_hash: str | None, event: Mapping[str, Any]) -> str:
    """SHA-256 over the previous hash and the event's canonical JSON (without its own hash)."""
    body = {k: v for k, v in event.items() if k not in ("hash", "prev_hash")}
    text = (prev_hash or "") + json.dumps(body, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def replay(events: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """Rebuild a warning's projection (state, grade, owner, due date, period, notes) from its events.

    Events are applied in ``seq`` order; each may set ``to_state``, ``to_grade`` and, in its payload,
    ``owner``, ``due``, ``period``, ``resolution`` or ``impact``.
    """
    out: dict[str, Any] = {"state": None, "grade": None, "owner": None, "due_at": None, "period": None,
                           "resolution": None, "impact": None, "n_events": 0}
    for ev in sorted(events, key=lambda e: e["seq"]):
        out["n_events"] += 1
        if ev.get("to_state"):
            out["state"] = ev["to_state"]
        if ev.get("to_grade") is not None:
            out["grade"] = int(ev["to_grade"])
        payload = ev.get("payload") or {}
        if isinstance(payload, str):
            payload = json.loads(payload) if payload else {}
        for key, col in (("owner", "owner"), ("due", "due_at"), ("period", "period"),
                         ("resolution", "resolution"), ("impact", "impact")):
            if key in payload:
                out[col] = payload[key]
    return out


def verify_chain(events: Iterable[Mapping[str, Any]]) -> bool:
    """True when every event's ``prev_hash`` and ``hash`` match the recomputed chain."""
    prev: str | None = None
    for ev in sorted(events, key=lambda e: e["seq"]):
        if (ev.get("prev_hash") or None) != prev:
            return False
        body = {k: ev[k] for k in ev if k not in ("hash", "prev_hash")}
        if event_hash(prev, body) != ev.get("hash"):
            return False
        prev = ev["hash"]
    return True
