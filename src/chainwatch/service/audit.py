"""The security audit log: one hash-chained entry per security-relevant event (``cw.audit``).

Events: logins (success and failure), lockouts, logouts, password changes, user additions, changes of
role, districts or activity, removals, refused accesses (role, district scope, CSRF), downloads of
enterprise data, confirmed imports, IO table imports and removals. Each entry has a sequence number,
time, actor, action, object, outcome (``ok`` / ``failed`` / ``denied``), the client's address and a
JSON detail, and carries ``hash = SHA-256(prev_hash + canonical JSON of the entry)`` like the
warnings' event chain (:func:`chainwatch.analytics.risk.lifecycle.event_hash`). ``verify()`` recomputes
the chain: an edited, inserted or deleted entry breaks it at that point. Removing the newest entries
leaves a shorter valid chain, so deployments record the head (``chainwatch audit verify`` prints its
sequence number and hash) outside the database, e.g. in the system log, and compare.

The general write log ``audit_log`` (``Store.audit``) is unchanged: every service keeps appending to it.
"""

from __future__ import annotations

import getpass
import json
import threading
import time
from datetime import datetime
from typing import TYPE_CHECKING, Any

import pandas as pd

from chainwatch.analytics.risk.lifecycle import event_hash
from chainwatch.errors import InputError
from chainwatch.i18n import t
from chainwatch.service.result import Result

if TYPE_CHECKING:
    from chainwatch.service import Chainwatch

OUTCOMES = ("ok", "failed", "denied")
#: actions recorded, with their meaning (docs/security.md lists them)
ACTIONS = ("login", "login.throttled", "logout", "user.add", "user.update", "user.passwd", "user.remove",
           "access.denied", "export", "import.confirm", "io.table.import", "io.table.remove", "settings.change")
_APPEND = threading.Lock()
COLUMNS = ("seq", "ts", "actor", "action", "object", "outcome", "address", "detail")


def _body(row: dict[str, Any]) -> dict[str, Any]:
    """The hashed part of an entry, in a form that reads back identically from any backend."""
    ts = row["ts"]
    if isinstance(ts, str):
        ts = datetime.fromisoformat(ts)
    if hasattr(ts, "to_pydatetime"):
        ts = ts.to_pydatetime()
    return {"seq": int(row["seq"]), "ts": ts.isoformat(timespec="microseconds"), "actor": str(row["actor"]),
            "action": str(row["action"]), "object": None if row["object"] is None else str(row["object"]),
            "outcome": str(row["outcome"]), "address": None if row["address"] is None else str(row["address"]),
            "detail": None if row["detail"] is None else str(row["detail"])}


def _none(v: Any) -> Any:
    return None if v is None or (isinstance(v, float) and v != v) or v is pd.NaT else v


class AuditService:
    """Append, list and verify the security audit log of one database."""

    def __init__(self, cw: Chainwatch) -> None:
        self.cw = cw
        self.store = cw.store

    def record(self, action: str, obj: str | None = None, *, outcome: str = "ok", address: str | None = None,
               actor: str | None = None, detail: dict[str, Any] | str | None = None) -> int:
        """Append one entry (serialised within the process, retried on a conflicting writer); its seq."""
        if outcome not in OUTCOMES:
            raise ValueError(f"outcome must be one of {OUTCOMES}")
        text = detail if detail is None or isinstance(detail, str) else json.dumps(
            detail, ensure_ascii=False, sort_keys=True, default=str)
        address = address if address is not None else getattr(self.cw, "address", None)
        entry = {"ts": datetime.now(), "actor": str(actor or self._actor())[:200], "action": action,
                 "object": None if obj is None else str(obj)[:500], "outcome": outcome,
                 "address": None if address is None else str(address)[:100],
                 "detail": None if text is None else text[:4000]}
        last_error: Exception | None = None
        for attempt in range(5):
            try:
                with _APPEND, self.store.transaction() as tx:
                    head = tx.rows("SELECT seq, hash FROM security_event ORDER BY seq DESC LIMIT 1")
                    seq = int(head[0][0]) + 1 if head else 1
                    prev = head[0][1] if head else None
                    row = {**entry, "seq": seq}
                    digest = event_hash(prev, _body(row))
                    tx.execute("""INSERT INTO security_event (seq, ts, actor, action, object, outcome, address,
                                                               detail, prev_hash, hash)
                                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                                [seq, row["ts"], row["actor"], action, row["object"], outcome, row["address"],
                                 row["detail"], prev, digest])
                return seq
            except Exception as exc:  # noqa: BLE001 - another process appended the same seq: retry
                last_error = exc
                time.sleep(0.01 * (attempt + 1))
        raise last_error  # type: ignore[misc]

    def _actor(self) -> str:
        """The acting user; on the command line the operating-system account too (``cli:zhang``)."""
        actor = str(self.cw.actor or "-")
        if actor == "cli":
            try:
                return f"cli:{getpass.getuser()}"
            except (KeyError, OSError):
                return actor
        return actor

    def list(self, *, since: str | None = None, actor: str | None = None, action: str | None = None,
             outcome: str | None = None, limit: int = 200) -> Result:
        """Entries, newest first; ``since`` is a date or time (ISO), ``action`` a name or prefix (``user.``)."""
        where, params = ["1=1"], []
        if since:
            try:
                start = datetime.fromisoformat(str(since).strip())
            except ValueError:
                raise InputError("sec.audit.bad_since", value=since) from None
            where.append("ts >= ?")
            params.append(start)
        if actor:
            where.append("actor = ?")
            params.append(actor)
        if action:
            if action.endswith(".") or action.endswith("%"):
                where.append("action LIKE ?")
                params.append(action.rstrip("%") + "%")
            else:
                where.append("action = ?")
                params.append(action)
        if outcome:
            where.append("outcome = ?")
            params.append(outcome)
        limit = max(1, min(int(limit), 100_000))
        df = self.store.df(f"""SELECT seq, ts, actor, action, object, outcome, address, detail
                               FROM security_event WHERE {' AND '.join(where)}
                               ORDER BY seq DESC LIMIT {limit}""", params)
        meta = self.cw.meta(since=since, actor=actor, action=action, outcome=outcome, limit=limit,
                            total=int(self.store.scalar("SELECT count(*) FROM security_event") or 0))
        return Result("audit list", meta, {"events": df})

    def verify(self) -> Result:
        """Recompute the hash chain: ``ok``, entries checked, the first broken entry, and the head."""
        rows = self.store.rows("""SELECT seq, ts, actor, action, object, outcome, address, detail, prev_hash, hash
                                  FROM security_event ORDER BY seq""")
        prev: str | None = None
        expected_seq = None
        broken: dict[str, Any] | None = None
        for r in rows:
            row = dict(zip((*COLUMNS, "prev_hash", "hash"), (_none(v) for v in r), strict=True))
            if expected_seq is not None and int(row["seq"]) != expected_seq:
                broken = {"seq": expected_seq, "problem": "missing"}
                break
            if (row["prev_hash"] or None) != prev:
                broken = {"seq": int(row["seq"]), "problem": "prev_hash"}
                break
            if event_hash(prev, _body(row)) != row["hash"]:
                broken = {"seq": int(row["seq"]), "problem": "hash"}
                break
            prev = row["hash"]
            expected_seq = int(row["seq"]) + 1
        first = int(rows[0][0]) if rows else None
        if broken is None and first not in (None, 1):
            broken = {"seq": 1, "problem": "missing"}
        ok = broken is None
        head_seq = int(rows[-1][0]) if rows else 0
        summary = pd.DataFrame([{"ok": ok, "entries": len(rows), "head_seq": head_seq,
                                 "head_hash": rows[-1][-1] if rows else None,
                                 "broken_seq": broken["seq"] if broken else None,
                                 "problem": broken["problem"] if broken else None}])
        key = "sec.audit.verified" if ok else "sec.audit.broken"
        text = [t(key, self.cw.lang, n=len(rows), seq=broken["seq"] if broken else head_seq,
                  problem=broken["problem"] if broken else "", head=(rows[-1][-1] or "")[:16] if rows else "—")]
        return Result("audit verify", self.cw.meta(), {"verify": summary}, text)
