"""Ops jobs: the weekly health digest's planner and its delivery (``ops.digest``)."""

from __future__ import annotations

from tg_support.ops import digest

from .runtime import Runtime, run


def plan_digests() -> dict[int, str]:
    """Schedule each group's next digest and tomorrow's planner; the job ids by group."""

    async def main(rt: Runtime) -> dict[int, str]:
        return await digest.plan(rt.settings, rt.store)

    return run(main)


def send_digest(chat_id: int, day: str) -> int:
    """Send group ``chat_id``'s digest of ``day`` to its admins; how many received it."""

    async def main(rt: Runtime) -> int:
        return await digest.send(rt.bot, rt.store, chat_id, day)

    return run(main)
