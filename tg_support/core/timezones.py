"""Parse what people type as a time zone: a UTC offset (``+5:30``, ``GMT-3``) or a city."""

from __future__ import annotations

import re
import unicodedata
import zoneinfo
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from functools import cache

_OFFSET = re.compile(r"^(?:utc|gmt)?\s*([+-−])\s*(\d{1,2})(?:[:.h]?(\d{2}))?$", re.IGNORECASE)

# Cities people name that are not the IANA representative city of their zone.
_ALIASES: dict[str, str] = {
    "delhi": "Asia/Kolkata", "new delhi": "Asia/Kolkata", "mumbai": "Asia/Kolkata",
    "bangalore": "Asia/Kolkata", "bengaluru": "Asia/Kolkata", "chennai": "Asia/Kolkata",
    "hyderabad": "Asia/Kolkata", "pune": "Asia/Kolkata", "calcutta": "Asia/Kolkata",
    "india": "Asia/Kolkata", "beijing": "Asia/Shanghai", "shenzhen": "Asia/Shanghai",
    "guangzhou": "Asia/Shanghai", "china": "Asia/Shanghai", "rio de janeiro": "America/Sao_Paulo",
    "rio": "America/Sao_Paulo", "brasilia": "America/Sao_Paulo", "brazil": "America/Sao_Paulo",
    "washington": "America/New_York", "boston": "America/New_York",
    "san francisco": "America/Los_Angeles", "seattle": "America/Los_Angeles",
    "barcelona": "Europe/Madrid", "spain": "Europe/Madrid", "mexico": "America/Mexico_City",
    "saint petersburg": "Europe/Moscow", "st petersburg": "Europe/Moscow",
    "abu dhabi": "Asia/Dubai", "jeddah": "Asia/Riyadh", "mecca": "Asia/Riyadh",
    "alexandria": "Africa/Cairo", "egypt": "Africa/Cairo", "lyon": "Europe/Paris",
    "france": "Europe/Paris", "marseille": "Europe/Paris", "porto": "Europe/Lisbon",
    "portugal": "Europe/Lisbon", "russia": "Europe/Moscow", "uk": "Europe/London",
    # Big cities as people write them in the interface languages' own scripts.
    "कोलकाता": "Asia/Kolkata", "दिल्ली": "Asia/Kolkata", "नई दिल्ली": "Asia/Kolkata",
    "मुंबई": "Asia/Kolkata", "बेंगलुरु": "Asia/Kolkata", "चेन्नई": "Asia/Kolkata",
    "भारत": "Asia/Kolkata", "上海": "Asia/Shanghai", "北京": "Asia/Shanghai",
    "深圳": "Asia/Shanghai", "广州": "Asia/Shanghai", "中国": "Asia/Shanghai",
    "台北": "Asia/Taipei", "香港": "Asia/Hong_Kong", "新加坡": "Asia/Singapore",
    "москва": "Europe/Moscow", "санкт-петербург": "Europe/Moscow", "киев": "Europe/Kyiv",
    "київ": "Europe/Kyiv", "новосибирск": "Asia/Novosibirsk", "екатеринбург": "Asia/Yekaterinburg",
    "القاهرة": "Africa/Cairo", "الرياض": "Asia/Riyadh", "دبي": "Asia/Dubai",
    "الدار البيضاء": "Africa/Casablanca", "عمان": "Asia/Amman", "بيروت": "Asia/Beirut",
    "جدة": "Asia/Riyadh", "بغداد": "Asia/Baghdad", "تونس": "Africa/Tunis",
    "ciudad de mexico": "America/Mexico_City", "cdmx": "America/Mexico_City",
    "nueva york": "America/New_York", "londres": "Europe/London", "lisboa": "Europe/Lisbon",
}  # fmt: skip


def _fold(text: str) -> str:
    """Lowercase; accents dropped from Latin letters only ("são paulo" = "sao paulo"):
    in Devanagari or Arabic the combining marks are letters' vowels, not accents."""
    text = text.strip().lower().replace("_", " ")
    decomposed = unicodedata.normalize("NFKD", text)
    if all(ord(c) < 0x250 or unicodedata.combining(c) for c in decomposed):
        text = "".join(c for c in decomposed if not unicodedata.combining(c))
    return re.sub(r"\s+", " ", unicodedata.normalize("NFC", text))


@cache
def _city_index() -> dict[str, str]:
    index: dict[str, str] = {}
    for name in sorted(zoneinfo.available_timezones()):
        if "/" in name and not name.startswith(("Etc/", "SystemV/", "US/")):
            index.setdefault(_fold(name.rsplit("/", 1)[1]), name)
    index.update(_ALIASES)
    return index


def parse_timezone(text: str) -> str | None:
    """An IANA name, or ``UTC+HH:MM`` for an offset; None when we cannot tell."""
    raw = text.strip()
    if not raw or len(raw) > 64:
        return None
    if raw.upper() in {"UTC", "GMT", "Z"}:
        return "UTC"
    m = _OFFSET.match(raw)
    if m:
        sign = "-" if m.group(1) in "-−" else "+"
        hours, minutes = int(m.group(2)), int(m.group(3) or 0)
        if hours > 14 or minutes >= 60 or (hours == 14 and minutes):
            return None
        return f"UTC{sign}{hours:02d}:{minutes:02d}"
    if raw in zoneinfo.available_timezones():
        return raw
    return _city_index().get(_fold(raw))


def is_valid(tz: str) -> bool:
    return parse_timezone(tz) == tz


def to_tzinfo(tz: str | None) -> tzinfo:
    if not tz or tz == "UTC":
        return UTC
    if tz.startswith("UTC") and len(tz) == 9:
        sign = -1 if tz[3] == "-" else 1
        return timezone(sign * timedelta(hours=int(tz[4:6]), minutes=int(tz[7:9])))
    try:
        return zoneinfo.ZoneInfo(tz)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return UTC


def utc_offset_label(tz: str, now: datetime | None = None) -> str:
    """``UTC+05:30`` for any zone, at ``now`` (DST-aware)."""
    offset = (now or datetime.now(UTC)).astimezone(to_tzinfo(tz)).utcoffset()
    total = int((offset or timedelta()).total_seconds() // 60)
    sign = "-" if total < 0 else "+"
    return f"UTC{sign}{abs(total) // 60:02d}:{abs(total) % 60:02d}"
