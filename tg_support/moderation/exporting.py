"""``/export``: the document, and how often a person may ask for it.

Key pattern (``{p}`` is the prefix):

=========================  ======  ===================================================
``{p}export:wait:{uid}``   string  set for :data:`EXPORT_EVERY` seconds after an export
=========================  ======  ===================================================
"""

from __future__ import annotations

import json
from typing import Any

from redis.asyncio import Redis

from tg_support.core.store import Repository

# Building the document reads every store: once a minute per person is plenty.
EXPORT_EVERY = 60


class ExportLimit(Repository):
    """One export per person per :data:`EXPORT_EVERY` seconds."""

    def __init__(self, redis: Redis, prefix: str = "tgs:") -> None:
        super().__init__(redis, prefix)

    def key(self, uid: int) -> str:
        return f"{self.p}export:wait:{uid}"

    async def take(self, uid: int) -> bool:
        """True when ``uid`` may export now (and starts their wait)."""
        return bool(await self.redis.set(self.key(uid), "1", nx=True, ex=EXPORT_EVERY))

    async def give_back(self, uid: int) -> None:
        """The export failed: the person may try again at once."""
        await self.redis.delete(self.key(uid))

    async def erase_user(self, uid: int) -> None:
        await self.redis.delete(self.key(uid))

    async def export_user(self, uid: int) -> dict[str, Any]:
        return {}


def document_bytes(doc: dict[str, Any]) -> bytes:
    """The JSON file: UTF-8, readable (indented, non-ASCII kept), keys in a stable order."""
    return json.dumps(doc, ensure_ascii=False, indent=2, sort_keys=True).encode()


def file_name(uid: int) -> str:
    return f"tg-support-data-{uid}.json"
