"""Deadlines as learners type them, in their time zone and language. Pure (Babel's locale data).

:func:`parse_deadline` reads ISO dates (``2025-06-20``, ``2025-06-20 18:00``), numeric
day-first dates (``20/6``, ``20.06.2025``; month-first only when the day-first reading is
impossible, ``6/20``), month names in the learner's language or English, wide or abbreviated,
in either order (``20 June``, ``June 20``, ``20 de junio``, ``20 июня``, ``20 जून``), Chinese
``6月20日``, and any script's digits. A time (``18:00``, ``18h30``, ``6pm``) is optional: without
one the deadline is the end of that day (23:59). Without a year it is the next such date.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime, timedelta, tzinfo
from functools import cache

from babel import Locale
from babel.dates import format_skeleton, format_time, format_timedelta

END_OF_DAY = (23, 59)
MAX_AHEAD = timedelta(days=120)

_TIME = re.compile(
    r"(?<![\d.:/-])(\d{1,2})(?:[:h.](\d{2}))?\s*(am|pm|a\.m\.|p\.m\.|h)?(?![\d/-])", re.I
)
_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ t](\d{1,2}):(\d{2})(?::(\d{2}))?)?", re.I)
_NUMERIC = re.compile(r"(?<!\d)(\d{1,2})[./-](\d{1,2})(?:[./-](\d{2,4}))?(?!\d)")
_CJK = re.compile(r"(?:(\d{4})\s*年\s*)?(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]?")
_DAY = re.compile(r"(?<!\d)(\d{1,2})(?!\d)")
_YEAR = re.compile(r"(?<!\d)(\d{4})(?!\d)")


def _fold(text: str) -> str:
    """Casefold, ASCII digits, Latin/Cyrillic accents dropped (not Devanagari vowel signs)."""
    out = []
    for ch in unicodedata.normalize("NFD", unicodedata.normalize("NFKC", text).casefold()):
        if ch.isdecimal():
            out.append(str(unicodedata.decimal(ch)))
        elif unicodedata.category(ch) == "Mn" and (not out or out[-1] < "\u0900"):
            continue
        else:
            out.append(ch)
    return unicodedata.normalize("NFC", "".join(out))


@cache
def _month_names(locale: str) -> tuple[tuple[str, int], ...]:
    """(folded name, month) for the locale and English, longest first."""
    names: dict[str, int] = {}
    for code in dict.fromkeys((locale, "en")):
        loc = Locale.parse(code)
        for context in ("format", "stand-alone"):
            for width in ("wide", "abbreviated"):
                for month, name in loc.months[context][width].items():
                    folded = _fold(str(name)).strip(".")
                    if len(folded) >= 3 or not folded.isascii():
                        names.setdefault(folded, int(month))
    return tuple(sorted(names.items(), key=lambda kv: -len(kv[0])))


def _find_month(text: str, locale: str) -> tuple[int, str] | None:
    """The month named in ``text`` and the text without it."""
    for name, month in _month_names(locale):
        at = text.find(name)
        if at < 0:
            continue
        end = at + len(name)
        # A whole word (a Latin abbreviation may be followed by its inflection: "sept.").
        if at > 0 and text[at - 1].isalpha():
            continue
        while end < len(text) and text[end].isalpha() and name.isascii():
            end += 1
        return month, text[:at] + " " + text[end:]
    return None


def _time_of(text: str) -> tuple[tuple[int, int] | None, str]:
    for m in _TIME.finditer(text):
        hour, minute, mark = int(m.group(1)), int(m.group(2) or 0), (m.group(3) or "").lower()
        if not m.group(2) and not mark:
            continue  # a lone number is a day, not an hour
        if mark.startswith("p") and hour < 12:
            hour += 12
        elif mark.startswith("a") and hour == 12:
            hour = 0
        if hour > 23 or minute > 59:
            return None, text
        return (hour, minute), text[: m.start()] + " " + text[m.end() :]
    return END_OF_DAY, text


def _build(
    year: int | None, month: int, day: int, hm: tuple[int, int], tz: tzinfo, now: datetime
) -> datetime | None:
    local_now = now.astimezone(tz)
    for y in [year] if year else [local_now.year, local_now.year + 1]:
        try:
            when = datetime(y, month, day, hm[0], hm[1], tzinfo=tz)
        except ValueError:
            return None
        if year or when > local_now:
            return when
    return None


def parse_deadline(text: str, tz: tzinfo, now: datetime, locale: str = "en") -> datetime | None:
    """The moment ``text`` names, in ``tz`` (aware); None when it names none we can tell."""
    raw = _fold(text.strip())[:80]
    if not raw:
        return None
    m = _ISO.search(raw)
    if m:
        hm = (int(m.group(4)), int(m.group(5))) if m.group(4) else _time_of(raw[m.end() :])[0]
        if hm is None:
            return None
        return _build(int(m.group(1)), int(m.group(2)), int(m.group(3)), hm, tz, now)
    m = _CJK.search(raw)
    if m:
        hm, _rest = _time_of(raw[: m.start()] + " " + raw[m.end() :])
        year = int(m.group(1)) if m.group(1) else None
        return None if hm is None else _build(year, int(m.group(2)), int(m.group(3)), hm, tz, now)
    m = _NUMERIC.search(raw)
    if m:
        hm, _rest = _time_of(raw[: m.start()] + " " + raw[m.end() :])
        a, b = int(m.group(1)), int(m.group(2))
        day, month = (a, b) if b <= 12 else (b, a)
        year = None
        if m.group(3):
            year = int(m.group(3)) + (2000 if len(m.group(3)) == 2 else 0)
        return None if hm is None else _build(year, month, day, hm, tz, now)
    found = _find_month(raw, locale)
    if found is None:
        return None
    month, rest = found
    ym = _YEAR.search(rest)
    year = int(ym.group(1)) if ym else None
    if ym:
        rest = rest[: ym.start()] + " " + rest[ym.end() :]
    hm, rest = _time_of(rest)
    dm = _DAY.search(rest)
    if hm is None or dm is None:
        return None
    return _build(year, month, int(dm.group(1)), hm, tz, now)


def in_days(days: int, tz: tzinfo, now: datetime) -> datetime:
    """The end of the day ``days`` days after today, in ``tz``."""
    local = now.astimezone(tz) + timedelta(days=days)
    return local.replace(hour=END_OF_DAY[0], minute=END_OF_DAY[1], second=0, microsecond=0)


def day_label(when: datetime, locale: str) -> str:
    """``Fri, Jun 20`` in the locale (a button)."""
    return format_skeleton("MMMEd", when, locale=Locale.parse(locale))


def moment_label(when: datetime, locale: str) -> str:
    """``Fri, Jun 20, 23:59`` in the locale, in ``when``'s own zone."""
    loc = Locale.parse(locale)
    day = format_skeleton("MMMEd", when, locale=loc)
    return f"{day}, {format_time(when, 'short', tzinfo=when.tzinfo, locale=loc)}"


def left_label(seconds: float, locale: str) -> str:
    """``in 2 days`` / ``in 5 hours`` in the locale."""
    return format_timedelta(
        timedelta(seconds=max(60.0, seconds)), add_direction=True, threshold=1.5,
        locale=Locale.parse(locale),
    )  # fmt: skip
