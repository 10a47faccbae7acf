"""The polling inbox: fetched updates wait in Redis until they have been handled.

Telegram forgets an update once the next ``getUpdates`` names a higher offset (or once a
webhook answered 200), which happens long before a burst of updates has been handled. So
every update is written here before it is acknowledged and removed once its handler
finished; a bot that stops (``SIGTERM`` with handlers still waiting) or dies leaves the rest
behind, and the next start, of this process or of any other bot process, handles them first.

A handler interrupted half-way (cancelled at the stop deadline, or a crash) is run again
from the start: at least once for those, exactly once for everything else.

Each bot process writes to its own hash and keeps a liveness key fresh; a process adopts
the hashes of processes whose liveness key has expired (at its start and every
``ADOPT_EVERY`` seconds), so several bot processes behind one webhook never take each
other's updates while they run.

Key patterns (``{p}`` is the prefix):

================================  ======  ================================================
``{p}inbox:{instance}``           hash    update_id → the update as JSON, until handled
``{p}inbox:alive:{instance}``     string  set with a TTL while the process runs
``{p}inbox:instances``            set     instances that may have an inbox
================================  ======  ================================================
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import socket
import uuid
from collections.abc import Sequence
from typing import Any, cast

from redis.asyncio import Redis
from telegram import Update

from tg_support.core.batching import Batcher
from tg_support.core.replication import replicated
from tg_support.core.store import Repository

log = logging.getLogger(__name__)

ALIVE_TTL = 30  # seconds without a refresh after which a process counts as gone
ALIVE_EVERY = 10
ADOPT_EVERY = 30

# KEYS: the dead instance's inbox, its liveness key, ours, the instances set.
# ARGV: the dead instance's name. Moves its entries into ours unless it came back.
_ADOPT = """
if redis.call('EXISTS', KEYS[2]) == 1 then return {} end
local all = redis.call('HGETALL', KEYS[1])
if #all > 0 then redis.call('HSET', KEYS[3], unpack(all)) end
redis.call('DEL', KEYS[1])
redis.call('SREM', KEYS[4], ARGV[1])
return all
"""


def new_instance() -> str:
    """A name for this bot process: the host, the pid and a random part (pids repeat)."""
    return f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"


class UpdateInboxKeys:
    def __init__(self, prefix: str) -> None:
        self.p = prefix
        self.instances = f"{prefix}inbox:instances"

    def inbox(self, instance: str) -> str:
        return f"{self.p}inbox:{instance}"

    def alive(self, instance: str) -> str:
        return f"{self.p}inbox:alive:{instance}"


class UpdateInbox(Repository):
    """This process's inbox (see the module docstring)."""

    def __init__(self, redis: Redis, prefix: str = "tgs:", instance: str | None = None) -> None:
        super().__init__(redis, prefix)
        self.keys = UpdateInboxKeys(prefix)
        self.instance = instance or new_instance()
        self._adopt = redis.register_script(_ADOPT)
        self._remover: Batcher[int, None] = Batcher(self._remove_many)

    @property
    def key(self) -> str:
        return self.keys.inbox(self.instance)

    async def open(self) -> None:
        """Announce this process (liveness first, so nobody adopts a fresh inbox)."""
        await self.redis.set(self.keys.alive(self.instance), "1", ex=ALIVE_TTL)
        await self.redis.sadd(self.keys.instances, self.instance)

    async def keep_alive(self) -> None:
        await self.redis.set(self.keys.alive(self.instance), "1", ex=ALIVE_TTL)

    async def close(self) -> int:
        """Give up liveness; returns how many updates are left for the next start."""
        left = int(await self.redis.hlen(self.key))
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.delete(self.keys.alive(self.instance))
            if not left:
                pipe.srem(self.keys.instances, self.instance)
            await pipe.execute()
        return left

    async def add(self, updates: Sequence[dict[str, Any]]) -> None:
        """Write fetched updates (Bot API JSON) before they are acknowledged."""
        if not updates:
            return
        mapping: dict[str | int, str] = {
            str(u["update_id"]): json.dumps(u, ensure_ascii=False) for u in updates
        }
        # Replicated before the next getUpdates acknowledges them to Telegram.
        await replicated(
            self.redis, lambda r: r.hset(self.key, mapping=mapping)  # type: ignore[arg-type]
        )

    async def done(self, update_id: int) -> None:
        """The update was handled (successfully or with a handled error): forget it."""
        await self._remover(update_id)

    async def _remove_many(self, ids: list[int]) -> list[None]:
        await self.redis.hdel(self.key, *[str(i) for i in ids])
        return [None] * len(ids)

    async def pending(self) -> list[dict[str, Any]]:
        """What this process's inbox holds, oldest first."""
        raw = cast(dict[str, str], await self.redis.hgetall(self.key))
        return [json.loads(v) for _, v in sorted(raw.items(), key=lambda kv: int(kv[0]))]

    async def adopt(self) -> list[dict[str, Any]]:
        """Move the inboxes of processes that are gone into ours; returns their updates,
        oldest first."""
        adopted: list[tuple[int, dict[str, Any]]] = []
        for other in cast(set[str], await self.redis.smembers(self.keys.instances)):
            if other == self.instance:
                continue
            keys = [
                self.keys.inbox(other), self.keys.alive(other), self.key, self.keys.instances,
            ]  # fmt: skip
            flat = cast(list[str], await self._adopt(keys=keys, args=[other]))
            for i in range(0, len(flat), 2):
                adopted.append((int(flat[i]), json.loads(flat[i + 1])))
            if flat:
                log.info("inbox: adopted %d updates left by %s", len(flat) // 2, other)
        return [u for _, u in sorted(adopted, key=lambda t: t[0])]

    async def _all_inboxes(self) -> list[str]:
        names = cast(set[str], await self.redis.smembers(self.keys.instances))
        return [self.keys.inbox(n) for n in sorted(names | {self.instance})]

    async def _user_entries(self, uid: int) -> list[tuple[str, str, dict[str, Any]]]:
        found = []
        for key in await self._all_inboxes():
            for field, value in cast(dict[str, str], await self.redis.hgetall(key)).items():
                update = json.loads(value)
                if _names_user(update, uid):
                    found.append((key, field, update))
        return found

    async def erase_user(self, uid: int) -> None:
        """Updates from or about ``uid`` still waiting to be handled are dropped."""
        for key, field, _ in await self._user_entries(uid):
            await self.redis.hdel(key, field)

    async def export_user(self, uid: int) -> dict[str, Any]:
        return {"pending_updates": [u for _, _, u in await self._user_entries(uid)]}


def _names_user(obj: Any, uid: int) -> bool:
    """Whether an update names ``uid`` as a user or a private chat anywhere inside it."""
    if isinstance(obj, dict):
        for k, v in obj.items():
            named = k in ("from", "user", "chat", "sender_chat") and isinstance(v, dict)
            if named and v.get("id") == uid:
                return True
            if _names_user(v, uid):
                return True
    elif isinstance(obj, list):
        return any(_names_user(v, uid) for v in obj)
    return False


class InboxQueue(asyncio.Queue[object]):
    """The Application's update queue: an update put here (a webhook's, PTB's poller's) is
    written to the inbox first. Our own poller writes a whole batch at once and then uses
    ``put_nowait``, which does not write again."""

    def __init__(self, inbox: UpdateInbox) -> None:
        super().__init__()
        self.inbox = inbox

    async def put(self, item: object) -> None:
        if isinstance(item, Update):
            await self.inbox.add([item.to_dict()])
        await super().put(item)
