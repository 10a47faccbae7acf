"""Whether a helper is a member of a question's group, asked of Telegram (getChatMember) and
cached briefly, so a helper is only pointed to a group topic they can write in.

Key patterns (``{p}`` is the prefix):

===============================  ======  ==================================================
``{p}member:{uid}:{chat_id}``    string  ``1`` member / ``0`` not, for ``MEMBER_TTL`` seconds
                                         (noted in the user's trail)
===============================  ======  ==================================================
"""

from __future__ import annotations

import logging
from typing import Any

from redis.asyncio import Redis
from telegram import Bot
from telegram.error import BadRequest, Forbidden

from tg_support.core import trail
from tg_support.core.store import Repository

log = logging.getLogger(__name__)

# Short: a helper who joins the group is pointed to it within minutes; long enough that a
# burst of offers and accepts asks Telegram once.
MEMBER_TTL = 300
_MEMBER_STATUSES = frozenset({"creator", "administrator", "member"})


class Membership(Repository):
    def __init__(self, redis: Redis, prefix: str = "tgs:") -> None:
        super().__init__(redis, prefix)

    def key(self, uid: int, chat_id: int) -> str:
        return f"{self.p}member:{uid}:{chat_id}"

    async def is_member(self, bot: Bot, chat_id: int, uid: int) -> bool:
        """Whether ``uid`` may write in ``chat_id`` (cached for ``MEMBER_TTL`` seconds)."""
        key = self.key(uid, chat_id)
        cached = await self.redis.get(key)
        if cached is not None:
            return str(cached) == "1"
        try:
            member = await bot.get_chat_member(chat_id, uid)
            # a restricted member may still be in the group; is_member says so
            ok = member.status in _MEMBER_STATUSES or (
                member.status == "restricted" and bool(getattr(member, "is_member", False))
            )
        except (BadRequest, Forbidden) as exc:
            # Not a participant (Telegram answers "user not found"), or the bot left the group.
            log.info("getChatMember(%s, %s) failed: %s", chat_id, uid, exc)
            ok = False
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.set(key, "1" if ok else "0", ex=MEMBER_TTL)
            trail.note_in(pipe, self.p, [uid], [key], MEMBER_TTL)  # found by /forget, no SCAN
            await pipe.execute()
        return ok

    async def erase_user(self, uid: int) -> None:
        keys = await trail.Trail(self.redis, self.p).keys(uid, "member:")
        if keys:
            await self.redis.delete(*keys)

    async def export_user(self, uid: int) -> dict[str, Any]:
        """A five-minute cache of Telegram's answer: nothing worth exporting."""
        return {}
