"""The UI's languages: Babel catalogues read from the .po files at load time.

The .po files are the only source of truth (no compiled .mo to forget to
rebuild): `babel.messages.pofile.read_po` parses them once per process and the
result is kept. The language of a request is the user's own choice, else the
`gs_lang` cookie (anonymous visitors), else the browser's Accept-Language.
"""

from __future__ import annotations

from functools import cache
from gettext import NullTranslations
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

__all__ = [
    "DEFAULT_LOCALE",
    "LOCALES",
    "LOCALE_COOKIE",
    "catalogue_path",
    "negotiate",
    "normalise_locale",
    "translations",
]

LOCALE_DIR = Path(__file__).parent / "locale"
# Locale code -> its name in its own language (for the switcher).
LOCALES: dict[str, str] = {"zh_CN": "简体中文", "en": "English"}
DEFAULT_LOCALE = "zh_CN"
LOCALE_COOKIE = "gs_lang"


def catalogue_path(locale: str) -> Path:
    return LOCALE_DIR / locale / "LC_MESSAGES" / "messages.po"


@cache
def translations(locale: str) -> NullTranslations:
    """The catalogue of `locale` (English msgids are the fallback for missing entries)."""
    import io

    path = catalogue_path(locale)
    if locale not in LOCALES or not path.exists():
        return NullTranslations()
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=locale)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(buffer)


def normalise_locale(value: str | None) -> str | None:
    """Map 'zh', 'zh-CN', 'zh_Hans', 'en-GB'... to a supported locale, or None."""
    if not value:
        return None
    tag = value.strip().replace("-", "_").lower()
    if tag.startswith("zh"):
        return "zh_CN"
    if tag.startswith("en"):
        return "en"
    return None


def negotiate(accept_language: str | None) -> str:
    """The best supported locale for an Accept-Language header (q-values honoured)."""
    ranked: list[tuple[float, int, str]] = []
    for index, part in enumerate((accept_language or "").split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        locale = normalise_locale(tag)
        if locale and quality > 0:
            ranked.append((-quality, index, locale))
    return sorted(ranked)[0][2] if ranked else DEFAULT_LOCALE
