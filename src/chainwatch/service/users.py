"""Users, roles, district assignments, sessions and login throttling for the web surface.

Roles
-----
``admin``     manages users and settings and sees all data;
``analyst``   sees and works all data (imports, warnings, simulations);
``district``  a district official: enterprise-level data only of the assigned districts;
``viewer``    aggregates only, never enterprise-level rows.

Passwords are hashed with argon2 (argon2-cffi defaults) and must pass :func:`check_password` (at least
``password_min_length`` characters, a zxcvbn strength score of at least ``password_min_score``, not
containing the user name) wherever one is set. A login for an unknown or disabled account verifies
against a dummy hash, so it takes as long as one for a real account (no user enumeration by timing).
A session is a random token held by the browser; the database keeps only its SHA-256 digest, a CSRF
token and the time it was last used. A session expires after ``session_minutes`` of inactivity.
Failed logins per (account, address) are counted over 15 minutes; after ``login_attempts`` of them,
further attempts are refused until the window has passed. Every write is appended to the audit log.
"""

from __future__ import annotations

import builtins
import hashlib
import re
import secrets
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from chainwatch.errors import AuthenticationRequired, ChainwatchError, InputError, NotFound
from chainwatch.service.result import Result

if TYPE_CHECKING:
    from chainwatch.service import Chainwatch

ROLES: tuple[str, ...] = ("admin", "analyst", "district", "viewer")
THROTTLE_WINDOW = timedelta(minutes=15)
MIN_PASSWORD = 12
MIN_SCORE = 3
_USERNAME = re.compile(r"^[A-Za-z0-9_.@-]{2,64}$")
_HASHER = PasswordHasher()
#: serialises this process's writes to the session and login tables: two requests refreshing the same
#: session (or two logins deleting the same expired rows) must not conflict (DuckDB: "Conflict on update")
_SESSION_WRITES = threading.RLock()


class LoginThrottled(ChainwatchError):
    """Too many failed logins for this account and address (HTTP 429)."""

    http_status = 429
    default_key = "web.login_throttled"


@dataclass(frozen=True)
class Principal:
    """Who is calling: the user's name, role and (for district officials) the districts they may see."""

    username: str
    role: str
    districts: tuple[str, ...] = ()
    display_name: str | None = None
    csrf_token: str = ""
    session_digest: str = field(default="", repr=False)

    @property
    def scope(self) -> list[str] | None:
        """District codes for :class:`Chainwatch` ``scope``; None means all districts."""
        return list(self.districts) if self.role == "district" else None

    @property
    def enterprise_level(self) -> bool:
        """May this user see enterprise-level rows at all (viewers may not)?"""
        return self.role != "viewer"

    @property
    def can_write(self) -> bool:
        """May this user change data (work warnings, run simulations, import)?"""
        return self.role in ("admin", "analyst", "district")

    @property
    def can_import(self) -> bool:
        return self.role in ("admin", "analyst")

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


def _marks(values: Any) -> str:
    """``?, ?, ?``: one positional parameter per value (an IN list in the portable SQL subset)."""
    return ", ".join("?" for _ in values)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def hash_password(password: str) -> str:
    """Argon2id hash of ``password`` (with its own random salt)."""
    return _HASHER.hash(password)


#: zxcvbn's warning texts (English) → the reason named in our zh/en message
_WEAK_REASONS = (("common", ("common password", "similar to a commonly", "top-")),
                 ("repeats", ("repeat",)), ("sequence", ("sequence",)),
                 ("keyboard", ("keyboard", "rows of keys", "keys")), ("dates", ("date", "year")),
                 ("words", ("word", "name", "surname")))
_DUMMY: list[str] = []


def _dummy_hash() -> str:
    """An argon2 hash of a random secret, made once: unknown accounts are verified against it."""
    if not _DUMMY:
        _DUMMY.append(hash_password(secrets.token_urlsafe(32)))
    return _DUMMY[0]


def check_password(password: str | None, username: str = "", *, display_name: str | None = None,
                   min_length: int = MIN_PASSWORD, min_score: int = MIN_SCORE) -> None:
    """Refuse a weak password with a message that says what is wrong.

    At least ``min_length`` characters; not containing the user name (case-insensitive); a zxcvbn
    strength score (0–4, an estimate of guesses needed, with the user's names as known words) of at
    least ``min_score``.
    """
    if password is None or len(password) < min_length:
        raise InputError("sec.pw.short", n=min_length)
    name = (username or "").strip().lower()
    if name and len(name) >= 2 and name in password.lower():
        raise InputError("sec.pw.contains_name")
    from zxcvbn import zxcvbn

    inputs = [x for x in (username, display_name, "chainwatch") if x]
    result = zxcvbn(password[:72], user_inputs=inputs)
    score = int(result.get("score", 0))
    if score < min_score:
        warning = str((result.get("feedback") or {}).get("warning") or "").lower()
        reason = next((key for key, words in _WEAK_REASONS if any(w in warning for w in words)), None)
        raise InputError(f"sec.pw.weak.{reason}" if reason else "sec.pw.weak", score=score, min=min_score)


def verify_password(stored_hash: str, password: str) -> bool:
    """True when ``password`` matches ``stored_hash``."""
    try:
        return _HASHER.verify(stored_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


class UserService:
    """Accounts and sessions of the web dashboard; ``cw.users``."""

    def __init__(self, cw: Chainwatch) -> None:
        self.cw = cw
        self.store = cw.store

    # -- settings ------------------------------------------------------------------------------
    @property
    def session_minutes(self) -> int:
        return int(self.cw.settings.session_minutes or 120)

    @property
    def login_attempts(self) -> int:
        return int(self.cw.settings.login_attempts or 5)

    # -- validation ----------------------------------------------------------------------------
    def _check_role(self, role: str) -> str:
        role = (role or "").strip().lower()
        if role not in ROLES:
            raise InputError("web.bad_role", role=role, allowed=", ".join(ROLES))
        return role

    def _check_password(self, password: str, username: str, display_name: str | None = None) -> None:
        settings = self.cw.settings
        check_password(password, username, display_name=display_name,
                       min_length=int(getattr(settings, "password_min_length", MIN_PASSWORD) or MIN_PASSWORD),
                       min_score=int(getattr(settings, "password_min_score", MIN_SCORE)))

    def _check_districts(self, role: str, districts: list[str] | None) -> list[str]:
        codes = sorted({d.strip() for d in (districts or []) if d and d.strip()})
        if role == "district" and not codes:
            raise InputError("web.district_required")
        if role != "district" and codes:
            raise InputError("web.district_only", role=role)
        known = {r[0] for r in self.store.rows("SELECT code FROM region")}
        unknown = [c for c in codes if c not in known]
        if unknown:
            raise InputError("web.unknown_district", codes=", ".join(unknown))
        return codes

    def _exists(self, username: str) -> bool:
        return bool(self.store.scalar("SELECT count(*) FROM web_user WHERE username = ?", [username]))

    def _require(self, username: str) -> None:
        if not self._exists(username):
            raise NotFound("web.user_unknown", username=username)

    # -- accounts ------------------------------------------------------------------------------
    def add(self, username: str, password: str, role: str = "viewer", *, districts: list[str] | None = None,
            display_name: str | None = None) -> Result:
        """Create an account; district officials need at least one district code."""
        if not _USERNAME.match(username or ""):
            raise InputError("web.bad_username", username=username)
        role = self._check_role(role)
        self._check_password(password, username, display_name)
        codes = self._check_districts(role, districts)
        if self._exists(username):
            raise InputError("web.user_exists", username=username)
        now = datetime.now()
        with self.store.transaction() as con:
            con.execute("INSERT INTO web_user VALUES (?, ?, ?, ?, TRUE, ?, ?, NULL)",
                        [username, display_name, role, hash_password(password), now, now])
            for code in codes:
                con.execute("INSERT INTO web_user_district VALUES (?, ?)", [username, code])
        self.store.audit(self.cw.actor, "user.add", username, f"role={role} districts={','.join(codes)}")
        self._security("user.add", username, detail={"role": role, "districts": codes})
        return self.list(username=username, command="users add")

    def list(self, *, username: str | None = None, command: str = "users list") -> Result:
        """Accounts (never their password hashes) with their districts."""
        where, params = ("WHERE u.username = ?", [username]) if username else ("", [])
        df = self.store.df(f"""
            SELECT u.username, u.display_name, u.role, u.active,
                   strftime(u.created_at, '%Y-%m-%d %H:%M') AS created_at,
                   strftime(u.last_login, '%Y-%m-%d %H:%M') AS last_login,
                   coalesce(string_agg(d.district, ',' ORDER BY d.district), '') AS districts
            FROM web_user u LEFT JOIN web_user_district d USING (username)
            {where}
            GROUP BY u.username, u.display_name, u.role, u.active, u.created_at, u.last_login
            ORDER BY u.username""", params)
        return Result(command, self.cw.meta(), {"users": df})

    def get(self, username: str) -> dict[str, Any]:
        rows = self.list(username=username).tables["users"]
        if len(rows) == 0:  # type: ignore[arg-type]
            raise NotFound("web.user_unknown", username=username)
        return rows.to_dict(orient="records")[0]  # type: ignore[union-attr]

    def count(self) -> int:
        return int(self.store.scalar("SELECT count(*) FROM web_user") or 0)

    def set_password(self, username: str, password: str) -> None:
        """Replace the password and end the user's sessions."""
        self._require(username)
        self._check_password(password, username, self.get(username).get("display_name"))
        with self.store.transaction() as con:
            con.execute("UPDATE web_user SET password_hash = ?, updated_at = ? WHERE username = ?",
                        [hash_password(password), datetime.now(), username])
            con.execute("DELETE FROM web_session WHERE username = ?", [username])
        self.store.audit(self.cw.actor, "user.passwd", username, None)
        self._security("user.passwd", username, detail={"sessions_ended": True})

    def update(self, username: str, *, role: str | None = None, districts: builtins.list[str] | None = None,
               active: bool | None = None, display_name: str | None = None) -> Result:
        """Change role, districts, active flag or display name; ends the user's sessions."""
        self._require(username)
        current = self.get(username)
        new_role = self._check_role(role) if role else current["role"]
        if districts is None and new_role == current["role"]:
            districts = [d for d in (current["districts"] or "").split(",") if d]
        codes = self._check_districts(new_role, districts)
        if current["role"] == "admin" and (new_role != "admin" or active is False):
            self._keep_one_admin(username)
        with self.store.transaction() as con:
            con.execute("UPDATE web_user SET role = ?, updated_at = ? WHERE username = ?",
                        [new_role, datetime.now(), username])
            if active is not None:
                con.execute("UPDATE web_user SET active = ? WHERE username = ?", [bool(active), username])
            if display_name is not None:
                con.execute("UPDATE web_user SET display_name = ? WHERE username = ?", [display_name, username])
            con.execute("DELETE FROM web_user_district WHERE username = ?", [username])
            for code in codes:
                con.execute("INSERT INTO web_user_district VALUES (?, ?)", [username, code])
            con.execute("DELETE FROM web_session WHERE username = ?", [username])
        self.store.audit(self.cw.actor, "user.update", username,
                         f"role={new_role} districts={','.join(codes)} active={active}")
        self._security("user.update", username, detail={
            "role": [current["role"], new_role],
            "districts": [[d for d in (current["districts"] or "").split(",") if d], codes],
            "active": [bool(current["active"]), current["active"] if active is None else bool(active)],
            "display_name_changed": display_name is not None})
        return self.list(username=username, command="users update")

    def _keep_one_admin(self, username: str) -> None:
        others = self.store.scalar(
            "SELECT count(*) FROM web_user WHERE role = 'admin' AND active AND username <> ?", [username])
        if not others:
            raise InputError("web.last_admin")

    def remove(self, username: str) -> None:
        """Delete an account, its districts and sessions (the last active admin cannot be removed)."""
        self._require(username)
        if self.get(username)["role"] == "admin":
            self._keep_one_admin(username)
        with self.store.transaction() as con:
            con.execute("DELETE FROM web_session WHERE username = ?", [username])
            con.execute("DELETE FROM web_user_district WHERE username = ?", [username])
            con.execute("DELETE FROM web_user WHERE username = ?", [username])
        self.store.audit(self.cw.actor, "user.remove", username, None)
        self._security("user.remove", username)

    def _security(self, action: str, obj: str | None, **kw: Any) -> None:
        """An entry in the security audit log (``cw.audit``)."""
        self.cw.audit.record(action, obj, **kw)

    # -- login ---------------------------------------------------------------------------------
    def failed_attempts(self, username: str, address: str) -> int:
        since = datetime.now() - THROTTLE_WINDOW
        return int(self.store.scalar(
            "SELECT count(*) FROM web_login_attempt WHERE username = ? AND address = ? AND attempted_at >= ? AND NOT ok",
            [username, address, since]) or 0)

    def authenticate(self, username: str, password: str, address: str = "-") -> Principal:
        """Check a password; raises on a wrong one or when the account/address is throttled."""
        username = (username or "").strip()
        if self.failed_attempts(username, address) >= self.login_attempts:
            self.store.audit(username or "-", "login.throttled", username, address)
            self._security("login.throttled", username, outcome="denied", address=address, actor=username or "-",
                           detail={"window_minutes": int(THROTTLE_WINDOW.total_seconds() // 60)})
            raise LoginThrottled(minutes=int(THROTTLE_WINDOW.total_seconds() // 60))
        row = self.store.rows("SELECT password_hash, active FROM web_user WHERE username = ?", [username])
        if row and row[0][1]:
            ok = verify_password(row[0][0], password or "")
        else:  # same work for an unknown or disabled account: timing does not tell which names exist
            verify_password(_dummy_hash(), password or "")
            ok = False
        now = datetime.now()
        with _SESSION_WRITES:
            self.store.execute("INSERT INTO web_login_attempt VALUES (?, ?, ?, ?)", [username, address, now, ok])
            if not ok:
                self.store.audit(username or "-", "login.failed", username, address)
                reason = "wrong password" if row and row[0][1] else "disabled account" if row else "unknown account"
                self._security("login", username, outcome="failed", address=address, actor=username or "-",
                               detail={"reason": reason})
                raise AuthenticationRequired("web.login_failed")
            if _HASHER.check_needs_rehash(row[0][0]):
                self.store.execute("UPDATE web_user SET password_hash = ? WHERE username = ?",
                                   [hash_password(password), username])
            self.store.execute("UPDATE web_user SET last_login = ? WHERE username = ?", [now, username])
            self.store.execute("DELETE FROM web_login_attempt WHERE attempted_at < ?",
                               [now - THROTTLE_WINDOW * 4])
        return self._principal(username)

    def _principal(self, username: str, csrf: str = "", digest: str = "") -> Principal:
        user = self.get(username)
        districts = tuple(d for d in (user["districts"] or "").split(",") if d)
        return Principal(username, user["role"], districts, user.get("display_name"), csrf, digest)

    # -- sessions ------------------------------------------------------------------------------
    def create_session(self, username: str, *, address: str = "-", user_agent: str = "") -> tuple[str, Principal]:
        """Start a session; returns the token for the browser and the principal (with its CSRF token)."""
        token = secrets.token_urlsafe(32)
        csrf = secrets.token_urlsafe(24)
        now = datetime.now()
        with _SESSION_WRITES:
            self.store.execute("INSERT INTO web_session VALUES (?, ?, ?, ?, ?, ?, ?)",
                               [_digest(token), username, csrf, now, now, address, (user_agent or "")[:200]])
            self.store.execute("DELETE FROM web_session WHERE last_seen < ?",
                               [now - timedelta(minutes=self.session_minutes)])
            self.store.audit(username, "login", username, address)
        self._security("login", username, address=address, actor=username,
                       detail={"session": _digest(token)[:12], "user_agent": (user_agent or "")[:200]})
        return token, self._principal(username, csrf, _digest(token))

    def session(self, token: str | None) -> Principal:
        """The principal of a live session; raises :class:`AuthenticationRequired` when absent/expired."""
        if not token:
            raise AuthenticationRequired()
        digest = _digest(token)
        rows = self.store.rows("""
            SELECT s.username, s.csrf_token, s.last_seen, u.active, u.role, u.display_name,
                   (SELECT string_agg(district, ',' ORDER BY district) FROM web_user_district d
                     WHERE d.username = s.username)
            FROM web_session s JOIN web_user u USING (username) WHERE s.token_sha256 = ?""", [digest])
        if not rows:
            raise AuthenticationRequired("web.session_expired")
        username, csrf, last_seen, active, role, display_name, districts = rows[0]
        now = datetime.now()
        if not active or now - last_seen > timedelta(minutes=self.session_minutes):
            with _SESSION_WRITES:
                self.store.execute("DELETE FROM web_session WHERE token_sha256 = ?", [digest])
            raise AuthenticationRequired("web.session_expired")
        if now - last_seen > timedelta(seconds=30):
            with _SESSION_WRITES:
                self.store.execute("UPDATE web_session SET last_seen = ? WHERE token_sha256 = ? AND last_seen < ?",
                                   [now, digest, now - timedelta(seconds=30)])
        codes = tuple(d for d in (districts or "").split(",") if d)
        return Principal(username, role, codes, display_name, csrf, digest)

    def end_session(self, token: str | None) -> None:
        if not token:
            return
        digest = _digest(token)
        user = self.store.scalar("SELECT username FROM web_session WHERE token_sha256 = ?", [digest])
        with _SESSION_WRITES:
            self.store.execute("DELETE FROM web_session WHERE token_sha256 = ?", [digest])
        if user:
            self.store.audit(user, "logout", user, None)
            self._security("logout", user, actor=user, detail={"session": digest[:12]})

    # -- scope and audit -----------------------------------------------------------------------
    def enterprises_in(self, districts: builtins.list[str] | tuple[str, ...]) -> set[str]:
        """USCCs of the enterprises registered in ``districts``."""
        if not districts:
            return set()
        return {r[0] for r in self.store.rows(
            f"SELECT uscc FROM enterprise WHERE district IN ({_marks(districts)})", list(districts))}

    def enterprises_in_all(self) -> set[str]:
        """USCCs of every enterprise in the database."""
        return {r[0] for r in self.store.rows("SELECT uscc FROM enterprise")}

    def enterprise_names(self, usccs: set[str]) -> set[str]:
        if not usccs:
            return set()
        return {r[0] for r in self.store.rows(
            f"SELECT name FROM enterprise WHERE uscc IN ({_marks(usccs)})", sorted(usccs))}

    def districts(self) -> Result:
        """Districts (level-3 regions) that have enterprises, for assignment forms and filters."""
        df = self.store.df("""
            SELECT r.code, r.name, count(e.uscc) AS enterprises
            FROM region r LEFT JOIN enterprise e ON e.district = r.code
            WHERE r.level = 3 GROUP BY r.code, r.name HAVING count(e.uscc) > 0 ORDER BY r.code""")
        return Result("users districts", self.cw.meta(), {"districts": df})

    # -- enterprise lookups for the dashboard (scope-aware) -------------------------------------
    def _scope_clause(self, column: str) -> tuple[str, builtins.list[Any]]:
        if self.cw.scope is None:
            return "", []
        if not self.cw.scope:
            return " AND FALSE", []
        return f" AND {column} IN ({_marks(self.cw.scope)})", list(self.cw.scope)

    def directory(self, q: str | None = None, *, district: str | None = None, limit: int = 200) -> Result:
        """Enterprises by name or USCC fragment (within the caller's scope), with their chains."""
        where, params = "WHERE 1=1", []
        if q:
            where += " AND (e.name ILIKE ? OR e.uscc ILIKE ?)"
            params += [f"%{q}%", f"%{q}%"]
        if district:
            where += " AND e.district = ?"
            params.append(district)
        scope, sp = self._scope_clause("e.district")
        df = self.store.df(f"""
            WITH hits AS (
                SELECT e.uscc, e.name, e.district, r.name AS district_name, e.industry
                FROM enterprise e LEFT JOIN region r ON r.code = e.district
                {where}{scope} ORDER BY e.name LIMIT {int(limit)})
            SELECT h.*, string_agg(DISTINCT s.chain_id, ',') AS chains
            FROM hits h LEFT JOIN segment_enterprise se ON se.uscc = h.uscc
            LEFT JOIN segment s ON s.segment_id = se.segment_id
            GROUP BY h.uscc, h.name, h.district, h.district_name, h.industry ORDER BY h.name""", [*params, *sp])
        return Result("enterprises", self.cw.meta(q=q, district=district, count=len(df)), {"enterprises": df})

    def enterprise_card(self, uscc: str) -> dict[str, Any]:
        """Name, district, industry, segments and titles of one enterprise (NotFound outside scope)."""
        scope, sp = self._scope_clause("e.district")
        df = self.store.df(f"""
            SELECT e.uscc, e.name, e.district, r.name AS district_name, e.industry, i.name_zh AS industry_zh,
                   i.name_en AS industry_en, e.founded
            FROM enterprise e LEFT JOIN region r ON r.code = e.district
            LEFT JOIN industry i ON i.code = e.industry
            WHERE e.uscc = ?{scope}""", [uscc, *sp])
        if df.empty:
            raise NotFound("error.not_found", what=uscc)
        card = df.to_dict(orient="records")[0]
        card["segments"] = self.store.df("""
            SELECT s.chain_id, s.segment_id, s.name_zh, s.name_en, s.position, se.is_main
            FROM segment_enterprise se JOIN segment s USING (segment_id) WHERE se.uscc = ?
            ORDER BY s.chain_id, s.segment_id""", [uscc]).to_dict(orient="records")
        card["titles"] = self.store.df("""SELECT title, valid_from, valid_to FROM enterprise_title
            WHERE uscc = ? ORDER BY valid_from""", [uscc]).to_dict(orient="records")
        return card

    def supply_links(self, uscc: str) -> Result:
        """Supply links of one enterprise, as buyer (its suppliers) and as supplier (its customers)."""
        df = self.store.df("""
            SELECT CASE WHEN l.buyer_uscc = ? THEN 'supplier' ELSE 'customer' END AS role,
                   l.year, l.supplier_uscc, coalesce(s.name, l.supplier_name) AS supplier_name,
                   l.supplier_country, l.buyer_uscc, b.name AS buyer_name, l.segment_id, l.hs_code,
                   l.annual_value, l.share * 100 AS share_pct, l.essential
            FROM supply_link l LEFT JOIN enterprise s ON s.uscc = l.supplier_uscc
            LEFT JOIN enterprise b ON b.uscc = l.buyer_uscc
            WHERE l.buyer_uscc = ? OR l.supplier_uscc = ?
            ORDER BY l.year DESC, l.annual_value DESC NULLS LAST""", [uscc, uscc, uscc])
        return Result("enterprise links", self.cw.meta(uscc=uscc, units={"money": "万元"}), {"links": df})

    def data_version(self) -> tuple[str, str]:
        """Two version stamps for the dashboard's cache: data (imports and other analytic writes) and
        warnings (runs and lifecycle actions); each changes whenever its part of the database does."""
        row = self.store.rows("""SELECT (SELECT max(batch_id) FROM import_batch),
            max(ts) FILTER (WHERE action NOT LIKE 'warn%' AND action NOT IN ('login', 'logout', 'login.failed',
                            'login.throttled', 'report', 'shock.save') AND action NOT LIKE 'user.%'
                            AND action NOT LIKE 'web.%'),
            max(ts) FILTER (WHERE action LIKE 'warn%')
            FROM audit_log""")[0]
        return f"{row[0]}|{row[1]}", f"{row[2]}"

    def record(self, action: str, obj: str | None = None, detail: str | None = None) -> None:
        """Append a web write to the audit log under the acting user."""
        self.store.audit(self.cw.actor, action, obj, detail)

    def audit_log(self, *, limit: int = 200, actor: str | None = None) -> Result:
        """The newest audit entries (admin page)."""
        where, params = ("WHERE actor = ?", [actor]) if actor else ("", [])
        df = self.store.df(f"SELECT ts, actor, action, object, detail FROM audit_log {where} "
                           f"ORDER BY ts DESC LIMIT {int(limit)}", params)
        return Result("users audit", self.cw.meta(), {"audit": df})
