"""Callback queries: a user pressing an inline button and the bot answering it."""

from __future__ import annotations

import secrets
from typing import Any

from .chats import ChatsMixin
from .errors import ControlError, bad
from .models import JSON, PRESENT, BotState, Chat
from .params import p_bool, p_int, p_str


class CallbacksMixin(ChatsMixin):
    """Both sides of a callback query."""

    def chat_instance(self, bot: BotState, chat: Chat) -> str:
        return str(-((chat.id * 1_000_003 ^ bot.id * 7919) % 10**18))

    def press(self, spec: JSON) -> JSON:
        user = self.user(spec.get("user_id"))
        chat = self.control_chat(spec.get("chat_id"), spec.get("bot_id"), user["id"])
        msg = chat.messages.get(int(spec.get("message_id") or 0))
        if msg is None or msg.deleted:
            raise ControlError(404, f"message {spec.get('message_id')} not found in chat {chat.id}")
        data = spec.get("data")
        force = bool(spec.get("force"))
        if not force:
            buttons = [
                b
                for row in (msg.data.get("reply_markup") or {}).get("inline_keyboard", [])
                for b in row
            ]
            if not any(b.get("callback_data") == data for b in buttons):
                present = [b.get("callback_data") for b in buttons if "callback_data" in b]
                raise ControlError(
                    400,
                    f"no button with callback_data {data!r} on that message",
                    {"buttons": present},
                )
            if chat.is_group and (
                chat.members.get(user["id"]) is None
                or chat.members[user["id"]].status not in PRESENT
            ):
                raise ControlError(403, "user is not a member of the chat")
        if msg.from_bot and msg.sender_id in self.bots:
            bot = self.bots[msg.sender_id]
        else:
            bot = self.default_bot(spec.get("bot_id"))
        qid = str(4_000_000_000_000_000_000 + next(self._ids) * 7_919 + secrets.randbelow(7_000))
        query: JSON = {
            "id": qid, "from": user, "message": msg.data,
            "chat_instance": self.chat_instance(bot, chat),
        }  # fmt: skip
        if data is not None:
            query["data"] = str(data)
        self.callbacks[qid] = {"bot_id": bot.id, "created": self.now(), "answer": None, "query": query,
                               "chat_id": chat.id, "message_id": msg.message_id}  # fmt: skip
        self.push_update(bot, "callback_query", query)
        self.emit("callback_query", {"callback_query_id": qid, "chat_id": chat.id, "message_id": msg.message_id, "data": data})  # fmt: skip
        return {"callback_query_id": qid}

    # ------------------------------------------------------------------ Bot API
    def m_answercallbackquery(self, bot: BotState, params: JSON) -> Any:
        qid = p_str(params, "callback_query_id") or ""
        query = self.callbacks.get(qid)
        if query is None or query["bot_id"] != bot.id or query["answer"] is not None or self.now() - query["created"] > 900:  # fmt: skip
            raise bad("query is too old and response timeout expired or query ID is invalid")
        text = p_str(params, "text")
        if text is not None and len(text) > 200:
            raise bad("MESSAGE_TOO_LONG")
        answer: JSON = {
            "text": text, "show_alert": p_bool(params, "show_alert"), "url": p_str(params, "url"),
            "cache_time": p_int(params, "cache_time", required=False) or 0, "date": self.date(),
        }  # fmt: skip
        query["answer"] = answer
        self.emit("callback_answered", {"callback_query_id": qid, **answer})
        self._notify()
        return True
