"""The message catalogue: every user-facing text in Chinese (default) and English.

The catalogue is one mapping ``key -> (zh, en)``, assembled from the modules of
:mod:`chainwatch.messages` (one module per feature, so features do not edit the same file).
Texts use ``str.format`` placeholders.
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import lru_cache
from typing import Any

LANGS = ("zh", "en")
DEFAULT_LANG = "zh"


@lru_cache(maxsize=1)
def catalogue() -> dict[str, tuple[str, str]]:
    """Return the merged catalogue; a key defined twice is a programming error."""
    import chainwatch.messages as pkg

    merged: dict[str, tuple[str, str]] = {}
    for info in sorted(pkgutil.iter_modules(pkg.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"chainwatch.messages.{info.name}")
        for key, texts in getattr(module, "MESSAGES", {}).items():
            if key in merged:
                raise RuntimeError(f"message key {key!r} defined twice (chainwatch.messages.{info.name})")
            merged[key] = texts
    return merged


def check_lang(lang: str | None) -> str:
    lang = (lang or DEFAULT_LANG).lower()
    if lang.startswith("zh"):
        return "zh"
    if lang.startswith("en"):
        return "en"
    from chainwatch.errors import UsageError

    raise UsageError("error.lang", lang=lang)


def t(key: str, lang: str | None = None, /, **params: Any) -> str:
    """Translate ``key`` into ``lang`` (zh or en), formatting ``params`` into it.

    An unknown key returns the key itself, so a missing text is visible but never crashes.
    """
    texts = catalogue().get(key)
    if texts is None:
        return key if not params else f"{key} {params}"
    text = texts[0] if check_lang(lang) == "zh" else texts[1]
    try:
        return text.format(**params)
    except (KeyError, IndexError, ValueError):
        return text
