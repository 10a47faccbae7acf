"""Babel gettext catalogs and the locale of the update being handled.

The current locale lives in a ``ContextVar`` (as aiogram does): PTB handles each update in
its own task, so a locale set by the early handler group applies to that update only.
Worker jobs never inherit it; they receive the locale as an argument and use
:func:`use_locale`.

``_``, ``ngettext`` and ``pgettext`` are separate functions so ``pybabel extract`` sees
every form; only literal msgids may be passed to them.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from datetime import datetime
from functools import cache
from pathlib import Path

from babel import Locale
from babel.dates import format_datetime as _babel_format_datetime
from babel.support import LazyProxy, Translations

DOMAIN = "messages"
LOCALES: tuple[str, ...] = ("en", "es", "pt", "fr", "ru", "hi", "ar", "zh")
DEFAULT_LOCALE = "en"
RTL_LOCALES = frozenset({"ar"})
LOCALES_DIR = Path(__file__).resolve().parents[2] / "locales"

# Endonyms: a language's own name is shown untranslated so people can find theirs.
LANGUAGE_NAMES: dict[str, str] = {
    "en": "English",
    "es": "Español",
    "pt": "Português",
    "fr": "Français",
    "ru": "Русский",
    "hi": "हिन्दी",
    "ar": "العربية",
    "zh": "中文",
}

_current: ContextVar[str] = ContextVar("tg_support_locale", default=DEFAULT_LOCALE)


class MissingCatalogError(RuntimeError):
    """A ``.po`` catalog has no compiled (or an outdated) ``.mo`` next to it."""


def negotiate(code: str | None, default: str = DEFAULT_LOCALE) -> str:
    """Map a Telegram ``language_code`` (``pt-br``, ``zh-hans``, ``ES``) to a supported locale."""
    if not code:
        return default
    base = code.replace("_", "-").split("-")[0].lower()
    return base if base in LOCALES else default


@cache
def _translations(locale: str, directory: Path = LOCALES_DIR) -> Translations:
    po = directory / locale / "LC_MESSAGES" / f"{DOMAIN}.po"
    mo = po.with_suffix(".mo")
    if not mo.exists() or (po.exists() and po.stat().st_mtime > mo.stat().st_mtime):
        raise MissingCatalogError(
            f"{mo} is missing or older than its .po: run `pybabel compile -d locales -D {DOMAIN}`"
        )
    with mo.open("rb") as fp:
        return Translations(fp, domain=DOMAIN)


def check_catalogs(directory: Path = LOCALES_DIR) -> None:
    """Load every catalog once at start so a missing compile fails loudly, not per message."""
    for locale in LOCALES:
        _translations(locale, directory)


def get_locale() -> str:
    return _current.get()


def set_locale(locale: str) -> None:
    _current.set(locale if locale in LOCALES else DEFAULT_LOCALE)


@contextlib.contextmanager
def use_locale(locale: str) -> Iterator[None]:
    token = _current.set(locale if locale in LOCALES else DEFAULT_LOCALE)
    try:
        yield
    finally:
        _current.reset(token)


def _(message: str) -> str:
    return _translations(_current.get()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return _translations(_current.get()).ngettext(singular, plural, n)


def pgettext(context: str, message: str) -> str:
    return str(_translations(_current.get()).pgettext(context, message))


def lazy_gettext(message: str) -> LazyProxy:
    """For module-level constants: translated when rendered, in the locale current then."""
    return LazyProxy(_, message, enable_cache=False)


def format_datetime(value: datetime, fmt: str = "medium", locale: str | None = None) -> str:
    return _babel_format_datetime(value, format=fmt, locale=Locale.parse(locale or get_locale()))


def is_rtl(locale: str | None = None) -> bool:
    return (locale or get_locale()) in RTL_LOCALES
