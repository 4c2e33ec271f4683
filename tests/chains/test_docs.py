"""Every reason, note, level and status code has zh and en text and is documented."""

from __future__ import annotations

from pathlib import Path

import pytest

from chainwatch.analytics.chains.assess import LEVELS, NOTE_CODES, REASON_CODES
from chainwatch.i18n import catalogue

DOC = Path(__file__).resolve().parents[2] / "docs" / "chains.md"


@pytest.mark.parametrize("key", [f"chains.reason.{c}" for c in REASON_CODES] + [f"chains.note.{c}" for c in NOTE_CODES]
                         + [f"chains.level.{v}" for v in LEVELS]
                         + [f"chains.status.{s}" for s in ("missing", "weak", "ok")])
def test_message_in_both_languages(key):
    zh, en = catalogue()[key]
    assert zh and en and zh != en


def test_reason_codes_documented():
    text = DOC.read_text(encoding="utf-8")
    for code in REASON_CODES:
        assert f"`{code}`" in text, code
    for cmd in ("chains critical", "chains leaders", "chains targets", "chains import", "chains export",
                "chains import-willems", "chains directory import", "bottleneck list", "bottleneck add",
                "bottleneck update", "bottleneck show"):
        assert f"chainwatch {cmd}" in text, cmd
