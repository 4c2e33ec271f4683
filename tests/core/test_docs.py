"""Docs stay true: every setting and every import kind is documented."""

from __future__ import annotations

from pathlib import Path

from chainwatch.settings import SETTINGS
from chainwatch.store.kinds import KINDS

DOCS = Path(__file__).resolve().parents[2] / "docs"


def test_every_setting_is_documented() -> None:
    text = (DOCS / "settings.md").read_text(encoding="utf-8")
    for s in SETTINGS:
        assert f"`{s.name}`" in text, s.name


def test_every_import_kind_is_documented() -> None:
    text = (DOCS / "import.md").read_text(encoding="utf-8")
    for name in KINDS:
        assert f"`{name}`" in text, name
