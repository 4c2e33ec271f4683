"""UserService: accounts, argon2 hashes, roles and districts, throttling, sessions, audit."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from chainwatch.errors import AuthenticationRequired, InputError, NotFound
from chainwatch.service import Chainwatch
from chainwatch.service.users import LoginThrottled, verify_password
from chainwatch.settings import load_settings


@pytest.fixture()
def cw(tmp_path):
    with Chainwatch(tmp_path / "u.duckdb", settings=load_settings(login_attempts=3, session_minutes=30),
                    actor="tester") as cw:
        yield cw


def test_password_is_stored_as_argon2_hash(cw):
    cw.users.add("alice", "s3cret-passage-41", "analyst")
    stored = cw.store.scalar("SELECT password_hash FROM web_user WHERE username = 'alice'")
    assert stored.startswith("$argon2id$") and "s3cret-passage-41" not in stored
    assert verify_password(stored, "s3cret-passage-41") and not verify_password(stored, "s3cret-passage-4l")
    assert "password_hash" not in cw.users.list().to_dict()["users"][0]


@pytest.mark.parametrize(("kwargs", "key"), [
    ({"username": "bob", "password": "short", "role": "viewer"}, "sec.pw.short"),
    ({"username": "bob", "password": "harbour-lantern-58", "role": "boss"}, "web.bad_role"),
    ({"username": "bob", "password": "harbour-lantern-58", "role": "district"}, "web.district_required"),
    ({"username": "bob", "password": "harbour-lantern-58", "role": "district", "districts": ["999999"]}, "web.unknown_district"),
    ({"username": "bob", "password": "harbour-lantern-58", "role": "analyst", "districts": ["330203"]}, "web.district_only"),
    ({"username": "b o b", "password": "harbour-lantern-58", "role": "viewer"}, "web.bad_username"),
])
def test_bad_accounts_are_refused_with_their_message(cw, kwargs, key):
    with pytest.raises(InputError) as exc:
        cw.users.add(**kwargs)
    assert exc.value.key == key
    assert cw.users.count() == 0


def test_duplicate_and_unknown_users(cw):
    cw.users.add("carol", "harbour-lantern-58", "viewer")
    with pytest.raises(InputError, match="carol"):
        cw.users.add("carol", "harbour-lantern-58", "viewer")
    with pytest.raises(NotFound):
        cw.users.set_password("nobody", "harbour-lantern-58")


def test_district_user_scope(cw):
    cw.users.add("dora", "harbour-lantern-58", "district", districts=["330212", "330203"])
    p = cw.users.authenticate("dora", "harbour-lantern-58")
    assert p.role == "district" and p.scope == ["330203", "330212"] and p.enterprise_level
    cw.users.add("vic", "harbour-lantern-58", "viewer")
    v = cw.users.authenticate("vic", "harbour-lantern-58")
    assert v.scope is None and not v.enterprise_level and not v.can_write


def test_wrong_password_then_throttled_even_with_the_right_one(cw):
    cw.users.add("eve", "right-password", "analyst")
    for _ in range(3):
        with pytest.raises(AuthenticationRequired):
            cw.users.authenticate("eve", "wrong-password", "10.0.0.1")
    with pytest.raises(LoginThrottled) as exc:
        cw.users.authenticate("eve", "right-password", "10.0.0.1")
    assert exc.value.http_status == 429
    # another address is not throttled by these failures
    assert cw.users.authenticate("eve", "right-password", "10.0.0.2").username == "eve"
    # the window passes
    cw.store.execute("UPDATE web_login_attempt SET attempted_at = attempted_at - INTERVAL 16 MINUTE")
    assert cw.users.authenticate("eve", "right-password", "10.0.0.1").username == "eve"


def test_session_expires_after_inactivity_and_on_password_change(cw):
    cw.users.add("fay", "harbour-lantern-58", "analyst")
    token, p = cw.users.create_session("fay")
    assert cw.users.session(token).username == "fay" and p.csrf_token
    cw.store.execute("UPDATE web_session SET last_seen = ?", [datetime.now() - timedelta(minutes=31)])
    with pytest.raises(AuthenticationRequired) as exc:
        cw.users.session(token)
    assert exc.value.key == "web.session_expired"
    token, _ = cw.users.create_session("fay")
    cw.users.set_password("fay", "another-lantern-77")
    with pytest.raises(AuthenticationRequired):
        cw.users.session(token)
    with pytest.raises(AuthenticationRequired):
        cw.users.session("forged-token")


def test_last_admin_cannot_be_removed_or_demoted(cw):
    cw.users.add("root", "harbour-lantern-58", "admin")
    with pytest.raises(InputError) as exc:
        cw.users.remove("root")
    assert exc.value.key == "web.last_admin"
    with pytest.raises(InputError):
        cw.users.update("root", role="viewer")
    cw.users.add("root2", "harbour-lantern-58", "admin")
    cw.users.update("root", role="viewer")
    assert cw.users.get("root")["role"] == "viewer"


def test_every_account_write_is_audited(cw):
    cw.users.add("gil", "harbour-lantern-58", "viewer")
    cw.users.set_password("gil", "long-enough-2")
    cw.users.update("gil", role="analyst")
    with pytest.raises(AuthenticationRequired):
        cw.users.authenticate("gil", "nope", "1.1.1.1")
    cw.users.remove("gil")
    actions = [r["action"] for r in cw.users.audit_log().to_dict()["audit"]]
    for action in ("user.add", "user.passwd", "user.update", "login.failed", "user.remove"):
        assert action in actions
