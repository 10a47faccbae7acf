"""Dates and times as learners type them, and as the bot writes them. Pure (Babel data only).

Reading (:func:`parse_date`, :func:`parse_due`)
------------------------------------------------
* ISO ``2026-01-12`` (``T`` or a space before an optional time);
* numbers in the order of the locale's short date format: ``12/01/2026`` is 12 January in
  es/fr/ru/hi/pt, 1 December in en, ``2026/1/12`` in zh (a first number above 31 is a year,
  above 12 a day); the separator may be ``/``, ``.`` or ``-``;
* a month by name in any of the bot's languages (wide or abbreviated, as Babel's CLDR data
  spells them, stand-alone and in dates: "12 January", "January 12", "12 de enero",
  "12 января", "१२ जनवरी" with Western digits, "1月12日");
* a missing year means the occurrence nearest to ``today`` (a session "12 January" typed
  in December is next January's). Two-digit years are 20xx.

A time is ``23:59``, ``23.59``, ``23h59``, ``11pm``, ``11:30 pm`` (optionally ``:ss``); a due date
without a time is due at 23:59, the way MOOC platforms state deadlines. A time zone may
end the text (``UTC``, ``+5:30``, a city), else the caller's default applies.

Writing (:func:`format_when`, :func:`format_day`): Babel's full date and short time in the
reader's locale and time zone, joined by the locale's own date-time pattern.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime, time, timedelta, tzinfo
from functools import cache

from babel import Locale
from babel.dates import format_date, format_time, get_date_format, get_datetime_format

from tg_support.core.i18n import LOCALES
from tg_support.core.timezones import parse_timezone, to_tzinfo

__all__ = ["Due", "format_day", "format_when", "parse_date", "parse_due", "parse_time"]

DEFAULT_DUE_TIME = time(23, 59)
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_NUMERIC = re.compile(r"^(\d{1,4})[/.\-](\d{1,2})(?:[/.\-](\d{1,4}))?\.?$")
_CJK_DATE = re.compile(r"^(?:(\d{4})\s*年\s*)?(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]?$")
_TIME = re.compile(
    r"^(\d{1,2})(?:\s*[:.h]\s*(\d{2}))?(?:\s*:\s*(\d{2}))?\s*(am|pm|a\.m\.|p\.m\.)?$",
    re.IGNORECASE,
)
# Words around a date that carry no meaning: "12 de enero de 2026", "le 12 janvier".
_FILLER = frozenset(["de", "del", "of", "the", "le", "la", "el", "г", "г.", "года", "th"])


@cache
def _month_words() -> dict[str, int]:
    """Month names and abbreviations of every locale the bot speaks, folded."""
    words: dict[str, int] = {}
    for code in LOCALES:
        loc = Locale.parse(code)
        for context in ("format", "stand-alone"):
            for width in ("wide", "abbreviated"):
                for month, name in loc.months[context][width].items():
                    for form in {name, name.rstrip(".")}:
                        folded = _strip_accents(form.casefold())
                        if folded and not folded.isdigit():
                            words.setdefault(folded, month)
    # English short forms people type without CLDR's spelling.
    words.update({"sept": 9})
    return words


def _strip_accents(text: str) -> str:
    """Latin accents off ("février" = "fevrier"); other scripts' marks are letters: kept."""
    decomposed = unicodedata.normalize("NFKD", text)
    if all(ord(c) < 0x250 or unicodedata.combining(c) for c in decomposed):
        return "".join(c for c in decomposed if not unicodedata.combining(c))
    return text


@cache
def _numeric_order(locale: str) -> tuple[str, str, str]:
    """The order of day, month and year in the locale's short date format: ``("d", "M", "y")``."""
    pattern = get_date_format("short", locale=Locale.parse(locale)).pattern
    order: list[str] = []
    for ch in pattern:
        if ch in "dMy" and ch not in order:
            order.append(ch)
    return (order[0], order[1], order[2]) if len(order) == 3 else ("d", "M", "y")


def _year_for(month: int, day: int, today: date) -> date | None:
    """The occurrence of ``day``/``month`` nearest to ``today``."""
    best: date | None = None
    for year in (today.year - 1, today.year, today.year + 1):
        try:
            d = date(year, month, day)
        except ValueError:
            continue
        if best is None or abs((d - today).days) < abs((best - today).days):
            best = d
    return best


def _make(year: int | None, month: int, day: int, today: date) -> date | None:
    if year is None:
        return _year_for(month, day, today)
    if year < 100:
        year += 2000
    try:
        return date(year, month, day)
    except ValueError:
        return None


def parse_date(text: str, locale: str, today: date) -> date | None:
    """A calendar date in ``text`` (nothing else but filler words), or None."""
    raw = unicodedata.normalize("NFKC", text).strip().rstrip(",")
    if not raw or len(raw) > 40:
        return None
    if m := _ISO.match(raw):
        return _make(int(m.group(1)), int(m.group(2)), int(m.group(3)), today)
    if m := _CJK_DATE.match(raw):
        year = int(m.group(1)) if m.group(1) else None
        return _make(year, int(m.group(2)), int(m.group(3)), today)
    if m := _NUMERIC.match(raw):
        return _numeric(m.group(1), m.group(2), m.group(3), locale, today)
    return _named(raw, today)


def _numeric(a: str, b: str, c: str | None, locale: str, today: date) -> date | None:
    order = list(_numeric_order(locale))
    if c is None:
        order.remove("y")
    parts = dict(zip(order, (a, b, c) if c is not None else (a, b), strict=True))
    if len(a) == 4:  # a year first, whatever the locale: 2026/1/12
        parts = {"y": a, "M": b, "d": c or ""}
    try:
        day, month = int(parts["d"]), int(parts["M"])
    except (KeyError, ValueError):
        return None
    if month > 12 and day <= 12:  # 1/20/2026 typed in a day-first locale
        day, month = month, day
    year = int(parts["y"]) if parts.get("y") else None
    return _make(year, month, day, today)


def _named(raw: str, today: date) -> date | None:
    words = _month_words()
    tokens = [t for t in re.split(r"[\s,]+", _strip_accents(raw.casefold())) if t]
    month = day = year = None
    for token in tokens:
        bare = token.rstrip(".")
        if bare in _FILLER or token in _FILLER:
            continue
        digits = re.match(r"^(\d{1,4})(?:st|nd|rd|th|er|º|ª)?\.?$", token)
        if digits:
            n = int(digits.group(1))
            if len(digits.group(1)) == 4 and year is None:
                year = n
            elif day is None and 1 <= n <= 31:
                day = n
            elif year is None:
                year = n
            else:
                return None
        elif month is None and (token in words or bare in words):
            month = words.get(token) or words[bare]
        else:
            return None
    if month is None or day is None:
        return None
    return _make(year, month, day, today)


def parse_time(text: str) -> time | None:
    """``23:59``, ``23.59``, ``23h59``, ``11pm``, ``11:30 pm`` (seconds allowed), or None."""
    m = _TIME.match(unicodedata.normalize("NFKC", text).strip())
    if not m:
        return None
    hour, minute, second = int(m.group(1)), int(m.group(2) or 0), int(m.group(3) or 0)
    suffix = (m.group(4) or "").lower().replace(".", "")
    if not suffix and m.group(2) is None:
        return None  # a bare number is a day, not an hour
    if suffix:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if suffix == "pm" else 0)
    if hour > 23 or minute > 59 or second > 59:
        return None
    return time(hour, minute, second)


class Due:
    """A parsed due date: the moment (aware) and the zone it was given in."""

    __slots__ = ("at", "tz")

    def __init__(self, at: datetime, tz: str) -> None:
        self.at = at
        self.tz = tz

    def __repr__(self) -> str:
        return f"Due({self.at.isoformat()}, {self.tz})"


def parse_due(text: str, locale: str, today: date, default_tz: str) -> Due | None:
    """``"2026-01-20 23:59"``, ``"20/01 18:00 UTC"``, ``"12 January"`` (due 23:59), or None."""
    raw = " ".join(re.sub(r"(\d)T(\d)", r"\1 \2", unicodedata.normalize("NFKC", text)).split())
    if not raw or len(raw) > 80:
        return None
    words = raw.split(" ")
    tz = default_tz
    # A zone at the end: try the last one to three words ("New York", "UTC+5:30").
    for n in (3, 2, 1):
        if len(words) > n:
            zone = parse_timezone(" ".join(words[-n:]))
            if zone is not None and parse_time(" ".join(words[-n:])) is None:
                tz, words = zone, words[:-n]
                break
    for n in (1, 2):  # "23:59" or "11:30 pm"
        if len(words) > n and (t := parse_time(" ".join(words[-n:]))) is not None:
            day = parse_date(" ".join(words[:-n]), locale, today)
            if day is not None:
                return _due(day, t, tz)
    day = parse_date(" ".join(words), locale, today)
    return _due(day, DEFAULT_DUE_TIME, tz) if day is not None else None


def _due(day: date, t: time, tz: str) -> Due:
    zone = to_tzinfo(tz)
    local = datetime.combine(day, t).replace(tzinfo=zone)
    # A wall time that does not exist (a DST gap) or exists twice resolves through UTC.
    return Due(datetime.fromtimestamp(local.timestamp(), zone), tz)


def _join(locale: Locale, date_text: str, time_text: str) -> str:
    pattern = str(get_datetime_format("long", locale=locale)).replace("'", "")
    return pattern.replace("{1}", date_text).replace("{0}", time_text)


def format_when(moment: datetime | float, tz: str | None, locale: str) -> str:
    """``Tuesday, January 20, 2026, 11:59 PM`` in ``locale``, at ``moment`` in zone ``tz``."""
    zone: tzinfo = to_tzinfo(tz)
    at = (
        datetime.fromtimestamp(moment, zone)
        if isinstance(moment, (int, float))
        else moment.astimezone(zone)
    )
    loc = Locale.parse(locale)
    return _join(loc, format_date(at.date(), "full", locale=loc), format_time(at, "short", locale=loc))


def format_day(day: date, locale: str) -> str:
    """A date alone, ``12 Jan 2026`` in the locale's medium format."""
    return format_date(day, "medium", locale=Locale.parse(locale))


def weekday_time(moment: datetime, locale: str) -> tuple[str, str]:
    """The weekday's name and the short time of ``moment`` (already in the reader's zone)."""
    loc = Locale.parse(locale)
    return format_date(moment.date(), "EEEE", locale=loc), format_time(moment, "short", locale=loc)


def local_now(tz: str | None, now: float) -> datetime:
    return datetime.fromtimestamp(now, to_tzinfo(tz))


def next_weekly(now: float, weekday: int, minute_utc: int) -> float:
    """The next time (a timestamp after ``now``) that is ``weekday`` (0 = Monday) at
    ``minute_utc`` minutes after midnight UTC."""
    base = datetime.fromtimestamp(now, to_tzinfo("UTC"))
    start = base.replace(hour=0, minute=0, second=0, microsecond=0)
    for days in range(8):
        candidate = start + timedelta(days=days, minutes=minute_utc)
        if candidate.weekday() == weekday and candidate.timestamp() > now:
            return candidate.timestamp()
    return (start + timedelta(days=7, minutes=minute_utc)).timestamp()
