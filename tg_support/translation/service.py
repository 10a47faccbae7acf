"""What workers and ``tg-support translate`` share: thresholds for the installed packages
(from Redis, else the local calibration file, calibrating what is missing or stale) and a
cache that works with or without Redis. Owns no keys (``confidence`` and ``argos`` do)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from pathlib import Path

from redis.asyncio import Redis

from tg_support.translation import argos, confidence

_MEMO_TTL = 60.0
_memo: dict[tuple[int, str], tuple[float, confidence.Calibrations]] = {}


async def calibrations(
    engine: argos.ArgosTranslator, redis: Redis | None, prefix: str, data_dir: Path
) -> confidence.Calibrations:
    """Thresholds for every installed package, calibrating a package whose stored threshold
    is missing or was measured on another package version or scoring revision (seconds,
    once per version)."""
    memo_key = (id(redis), prefix)
    seen = _memo.get(memo_key)
    if seen is not None and time.monotonic() - seen[0] < _MEMO_TTL:
        return seen[1]
    versions = argos.package_versions(engine)
    path = confidence.calibration_file(data_dir)
    store = confidence.CalibrationStore(redis, prefix) if redis is not None else None
    local = confidence.Calibrations.load_file(path)
    have = await store.load(list(versions)) if store is not None else local

    def current(cals: confidence.Calibrations, pair: tuple[str, str]) -> bool:
        cal = cals.items.get(pair)
        return (
            cal is not None
            and cal.package_version == versions[pair]
            and cal.scoring == confidence.SCORING
        )

    # This process's file saves calibrating again against a fresh Redis (and the reverse).
    for pair in versions:
        if not current(have, pair) and current(local, pair):
            have.items[pair] = local.items[pair]
            if store is not None:
                await store.save(local.items[pair])
    stale = [pair for pair in versions if not current(have, pair)]
    if stale:
        fresh = await asyncio.to_thread(argos.calibrate_installed, engine, stale)
        for cal in fresh.items.values():
            have.items[(cal.src, cal.dst)] = cal
            if store is not None:
                await store.save(cal)
    if stale or any(not current(local, pair) for pair in versions):
        have.save_file(path)
    _memo[memo_key] = (time.monotonic(), have)
    return have


class LocalCache(argos.TranslationCache):
    """The translation cache in this process's memory (``tg-support translate`` without
    REDIS_URL): same keys and values as in Redis."""

    def __init__(self) -> None:
        self.p = "local:"
        self.values: dict[str, str] = {}

    async def get_many(self, keys: Sequence[str]) -> list[str | None]:
        return [self.values.get(k) for k in keys]

    async def set_many(self, items: dict[str, str]) -> None:
        self.values.update(items)
