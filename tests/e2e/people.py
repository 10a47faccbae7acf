"""Test-side helpers: a person who talks to the bot through the emulator's control API."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

JSON = dict[str, Any]


def buttons(msg: JSON) -> list[tuple[str, str]]:
    """(label, callback_data) of every inline button on a message."""
    markup = msg.get("reply_markup") or {}
    return [
        (b["text"], b.get("callback_data", ""))
        for row in markup.get("inline_keyboard", [])
        for b in row
    ]


def data_for(msg: JSON, label_part: str) -> str:
    for label, data in buttons(msg):
        if label_part in label:
            return data
    raise AssertionError(f"no button with {label_part!r} in {buttons(msg)}")


def text(msg: JSON) -> str:
    return str(msg.get("text") or msg.get("caption") or "")


class Person:
    def __init__(self, client: Any, user: JSON) -> None:
        self.c = client
        self.user = user
        self.id: int = int(user["id"])

    async def seq(self, chat_id: int | None = None, thread_id: int | None = None) -> int:
        msgs = await self.c.messages(chat_id or self.id, thread_id=thread_id, include_deleted=True)
        return max((int(m["seq"]) for m in msgs), default=0)

    async def send(
        self, body: str, chat_id: int | None = None, *, thread_id: int | None = None,
        count: int = 1, timeout: float = 10.0, expect_reply: bool = True,
    ) -> list[JSON]:  # fmt: skip
        """Send a text (or /command) and return the bot's new messages in that chat."""
        chat = chat_id or self.id
        since = await self.seq(chat)
        await self.c.send_text(self.id, body, chat_id=chat_id, message_thread_id=thread_id)
        if not expect_reply:
            return []
        return list(await self.c.wait_for(chat, count=count, since_seq=since, timeout=timeout))

    async def press(
        self, msg: JSON, data: str, *, chat_id: int | None = None, count: int = 1,
        force: bool = False, timeout: float = 10.0,
    ) -> list[JSON]:  # fmt: skip
        """Press a button; returns the bot's messages that changed or appeared after."""
        chat = chat_id or int(msg["chat"]["id"])
        since = await self.seq(chat)
        await self.c.press(self.id, chat, int(msg["message_id"]), data, force=force)
        return list(await self.c.wait_for(chat, count=count, since_seq=since, timeout=timeout))

    async def first_from_bot(
        self, since: int, wanted: Callable[[JSON], bool], within: float = 20.0
    ) -> JSON:
        """The first of the bot's messages to this person after ``since`` that is ``wanted``:
        others (a broadcast, a notice from a worker) may land in between."""
        from .waiting import until

        found: list[JSON] = []

        async def arrived() -> bool:
            msgs = await self.c.messages(self.id, from_bot=True, since_seq=since)
            found[:] = [m for m in msgs if wanted(m)][:1]
            return bool(found)

        await until(arrived, "the bot's message", within)
        return found[0]

    async def press_answer(self, msg: JSON, data: str, *, force: bool = False) -> JSON:
        """Press a button and return the bot's answerCallbackQuery (text, show_alert)."""
        qid = await self.c.press(
            self.id, int(msg["chat"]["id"]), int(msg["message_id"]), data, force=force
        )
        result = await self.c.callback_answer(qid, wait=10)
        assert result["answered"], "the bot never answered the callback query"
        answer: JSON = result["answer"]
        return answer
