"""Fixtures of the integration tests: the suite's real Redis, flushed around each test."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import redis.asyncio as aioredis


@pytest.fixture
async def r(redis_url: str) -> AsyncIterator[aioredis.Redis]:
    """An asyncio client of the suite's Redis (TEST_REDIS_URL, or the embedded one)."""
    conn = aioredis.Redis.from_url(redis_url, decode_responses=True)
    await conn.flushdb()
    yield conn
    await conn.flushdb()
    await conn.aclose()
