"""The message catalogue: every key in both languages with the same placeholders."""

from __future__ import annotations

import string

from chainwatch.i18n import catalogue, t


def _fields(text: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(text) if f}


def test_every_message_has_both_languages_and_same_placeholders() -> None:
    for key, (zh, en) in catalogue().items():
        assert zh.strip() and en.strip(), key
        assert _fields(zh) == _fields(en), key


def test_translation_and_fallback() -> None:
    assert t("db.created", "en", path="x") == "Created database x."
    assert "x" in t("db.created", "zh", path="x")
    assert t("no.such.key", "en") == "no.such.key"
