"""The state of one sandbox and the bookkeeping every Bot API concept builds on: time,
events, bots, users, update queues and the message store."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import re
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from .clock import Clock
from .errors import ControlError
from .faults import Fault, fault_from_spec, take_fault
from .limits import FloodControl, Limits
from .models import DEFAULT_UPDATE_TYPES, JSON, PRESENT, BotState, Chat, FileRec, StoredMessage

TOKEN_RE = re.compile(r"^(\d{1,20}):([A-Za-z0-9_-]{8,})$")


class WorldCore:
    """All state of one sandbox, and what every part of the Bot API builds on."""

    def __init__(
        self,
        limits: Limits | None = None,
        clock: Callable[[], float] | None = None,
        manual_clock: bool = False,
        auto_register_bots: bool = True,
        log_size: int = 100_000,
    ) -> None:
        self.limits = limits or Limits()
        self.flood = FloodControl(self.limits)
        self.clock: Callable[[], float] = clock or Clock(manual=manual_clock)
        self.wall_offset = 0.0
        self.auto_register_bots = auto_register_bots
        self.bots: dict[int, BotState] = {}
        self.users: dict[int, JSON] = {}
        self.blocked: set[tuple[int, int]] = set()  # (user_id, bot_id)
        self.groups: dict[int, Chat] = {}
        self.private: dict[tuple[int, int], Chat] = {}  # (bot_id, user_id)
        self.files: dict[str, FileRec] = {}
        self.files_by_path: dict[str, FileRec] = {}
        self.photo_sets: dict[str, list[JSON]] = {}
        self.callbacks: dict[str, JSON] = {}
        self.faults: list[Fault] = []
        self.log: deque[JSON] = deque(maxlen=log_size)
        self.log_seq = 0
        self.seq = 0
        self.subscribers: set[asyncio.Queue[JSON | None]] = set()
        self._changed = asyncio.Event()
        self.closing = False
        self._ids = itertools.count(1)
        self._next_user_id = 100_000_001
        self._next_group_id = -1_001_000_000_001
        self.webhook_sender: Callable[[BotState], asyncio.Task[None]] | None = None

    # ------------------------------------------------------------------ time
    def now(self) -> float:
        return self.clock()

    def wall(self) -> float:
        return time.time() + self.wall_offset + getattr(self.clock, "offset", 0.0)

    def date(self) -> int:
        return int(self.wall())

    def advance(self, seconds: float) -> None:
        advance = getattr(self.clock, "advance", None)
        if callable(advance):
            advance(seconds)
        else:
            self.wall_offset += seconds
        self._notify()

    # ------------------------------------------------------------------ events
    def emit(self, kind: str, payload: JSON) -> None:
        if not self.subscribers:
            return
        event = {"type": kind, "seq": self.seq, "time": self.wall(), "data": payload}
        for q in list(self.subscribers):
            with contextlib.suppress(asyncio.QueueFull):
                q.put_nowait(event)

    def _notify(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    async def wait_change(self, seconds: float) -> None:
        event = self._changed
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(event.wait(), seconds)

    def shutdown(self) -> None:
        self.closing = True
        for bot in self.bots.values():
            if bot.poll is not None:
                bot.poll.wake.set()
            if bot.webhook_task is not None:
                bot.webhook_task.cancel()
        for q in list(self.subscribers):
            with contextlib.suppress(asyncio.QueueFull):
                q.put_nowait(None)
        self._notify()

    def reset(self) -> None:
        """Empty the world. Registered bots stay (token, names); their updates, webhook,
        commands and descriptions are cleared."""
        for bot in self.bots.values():
            if bot.poll is not None:
                bot.poll.terminated = False
                bot.poll.wake.set()
            if bot.webhook_task is not None:
                bot.webhook_task.cancel()
                bot.webhook_task = None
            bot.updates.clear()
            bot.webhook = None
            bot.commands.clear()
            bot.texts.clear()
            bot.menu_buttons.clear()
            bot.allowed_updates = DEFAULT_UPDATE_TYPES
        self.users.clear()
        self.blocked.clear()
        self.groups.clear()
        self.private.clear()
        self.files.clear()
        self.files_by_path.clear()
        self.photo_sets.clear()
        self.callbacks.clear()
        self.faults.clear()
        self.log.clear()
        self.flood.reset()
        self._next_user_id = 100_000_001
        self._next_group_id = -1_001_000_000_001
        self.seq += 1
        self.emit("reset", {})
        self._notify()

    def record(
        self, bot_id: int | None, method: str, params: JSON, status: int, body: JSON
    ) -> None:
        self.log_seq += 1
        entry: JSON = {
            "seq": self.log_seq, "time": self.wall(), "bot_id": bot_id, "method": method,
            "params": params, "status": status, "ok": bool(body.get("ok")),
        }  # fmt: skip
        if not body.get("ok"):
            entry["description"] = body.get("description")
        self.log.append(entry)

    # ------------------------------------------------------------------ bots
    def register_bot(
        self, token: str, username: str | None = None, first_name: str | None = None
    ) -> BotState:
        m = TOKEN_RE.match(token)
        if not m:
            raise ControlError(
                400, "malformed token: expected '<digits>:<at least 8 of A-Za-z0-9_->'"
            )
        bot_id = int(m.group(1))
        bot = self.bots.get(bot_id)
        if bot is not None:
            bot.token = token
            if username:
                bot.username = username
            if first_name:
                bot.first_name = first_name
            return bot
        bot = BotState(
            token=token,
            id=bot_id,
            username=username or f"test{bot_id}_bot",
            first_name=first_name or f"Test Bot {bot_id}",
        )
        self.bots[bot_id] = bot
        self.emit("bot_created", bot.user())
        return bot

    def bot_for_token(self, token: str) -> BotState | None:
        m = TOKEN_RE.match(token)
        if not m:
            return None
        bot = self.bots.get(int(m.group(1)))
        if bot is None:
            return self.register_bot(token) if self.auto_register_bots else None
        return bot if bot.token == token else None

    def default_bot(self, bot_id: Any = None, token: Any = None) -> BotState:
        if token:
            bot = self.bot_for_token(str(token))
            if bot is None:
                raise ControlError(404, f"unknown bot token {token!r}")
            return bot
        if bot_id is not None:
            bot = self.bots.get(int(bot_id))
            if bot is None:
                raise ControlError(404, f"unknown bot {bot_id}")
            return bot
        if not self.bots:
            raise ControlError(400, "no bot registered yet (POST /control/bots)")
        return next(iter(self.bots.values()))

    # ------------------------------------------------------------------ users
    def create_user(
        self,
        first_name: str,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = None,
        is_premium: bool | None = None,
        user_id: int | None = None,
    ) -> JSON:
        if not first_name:
            raise ControlError(400, "first_name is required")
        uid = int(user_id) if user_id is not None else self._next_user_id
        while uid in self.users or uid in self.bots:
            uid += 1
        self._next_user_id = max(self._next_user_id, uid + 1)
        user: JSON = {"id": uid, "is_bot": False, "first_name": first_name}
        if last_name:
            user["last_name"] = last_name
        if username:
            user["username"] = username
        if language_code:
            user["language_code"] = language_code
        if is_premium:
            user["is_premium"] = True
        self.users[uid] = user
        self.emit("user_created", user)
        return user

    def user(self, user_id: Any) -> JSON:
        try:
            uid = int(user_id)
        except (TypeError, ValueError):
            raise ControlError(400, f"invalid user_id {user_id!r}") from None
        u = self.users.get(uid)
        if u is None:
            raise ControlError(404, f"unknown user {user_id}")
        return u

    def party(self, uid: int) -> JSON | None:
        """A user or a bot as a User object."""
        if uid in self.users:
            return self.users[uid]
        bot = self.bots.get(uid)
        return bot.user() if bot else None

    def _group_bots(self, chat: Chat) -> list[BotState]:
        return [
            self.bots[uid]
            for uid, m in chat.members.items()
            if uid in self.bots and m.status in PRESENT
        ]

    # ------------------------------------------------------------------ updates and messages
    def push_update(self, bot: BotState, kind: str, payload: JSON) -> None:
        if kind not in bot.allowed_updates:
            return
        update = {"update_id": bot.next_update_id, kind: payload}
        bot.next_update_id += 1
        bot.updates.append(update)
        if bot.poll is not None:
            bot.poll.wake.set()
        if bot.webhook is not None:
            bot.webhook_wake.set()

    def push_raw_update(self, bot: BotState, payload: JSON) -> int:
        """Queue ``payload`` as it is (whatever its kinds), with the next update id."""
        update_id = bot.next_update_id
        bot.next_update_id += 1
        bot.updates.append(
            {**{k: v for k, v in payload.items() if k != "update_id"}, "update_id": update_id}
        )
        if bot.poll is not None:
            bot.poll.wake.set()
        if bot.webhook is not None:
            bot.webhook_wake.set()
        return update_id

    def _store(
        self, chat: Chat, data: JSON, sender_id: int, from_bot: bool, thread_id: int | None
    ) -> StoredMessage:
        self.seq += 1
        msg = StoredMessage(data=data, seq=self.seq, sender_id=sender_id, from_bot=from_bot,
                            thread_id=thread_id, created=self.now())  # fmt: skip
        chat.messages[msg.message_id] = msg
        self.emit("message_created", {**self._event_chat(chat), "message": msg.control_json()})
        self._notify()
        return msg

    def _touch(self, chat: Chat, msg: StoredMessage, kind: str = "message_edited") -> None:
        self.seq += 1
        msg.seq = self.seq
        self.emit(kind, {**self._event_chat(chat), "message": msg.control_json()})
        self._notify()

    @staticmethod
    def _event_chat(chat: Chat) -> JSON:
        """Where an event happened; private chats also name their bot (chat ids repeat per bot)."""
        out: JSON = {"chat_id": chat.id}
        if chat.bot_id is not None:
            out["bot_id"] = chat.bot_id
        return out

    def _new_message(
        self, chat: Chat, sender: JSON, thread_id: int | None, reply_to: StoredMessage | None
    ) -> JSON:
        mid = chat.next_message_id
        chat.next_message_id += 1
        data: JSON = {"message_id": mid, "from": sender, "chat": chat.short(), "date": self.date()}
        if thread_id is not None:
            data["message_thread_id"] = thread_id
            data["is_topic_message"] = True
        if reply_to is None and thread_id is not None and thread_id in chat.messages:
            reply_to = chat.messages[thread_id]
        if reply_to is not None:
            snap = dict(reply_to.data)
            snap.pop("reply_to_message", None)
            data["reply_to_message"] = snap
        return data

    def _service_message(
        self, chat: Chat, sender_id: int, thread_id: int | None, fields: JSON,
        notify_bots: bool = False, is_topic_creation: bool = False,
    ) -> StoredMessage:  # fmt: skip
        sender = self.party(sender_id) or {"id": sender_id, "is_bot": False, "first_name": ""}
        if is_topic_creation:
            mid = chat.next_message_id
            chat.next_message_id += 1
            data: JSON = {"message_id": mid, "from": sender, "chat": chat.short(), "date": self.date(),
                          "message_thread_id": mid, "is_topic_message": True}  # fmt: skip
        else:
            data = self._new_message(chat, sender, thread_id, None)
        data.update(fields)
        msg = self._store(
            chat, data, sender_id, sender_id in self.bots, data.get("message_thread_id")
        )
        if notify_bots:
            for bot in self._group_bots(chat):
                if bot.id != sender_id:
                    self.push_update(bot, "message", data)
        return msg

    # ------------------------------------------------------------------ faults
    def take_fault(self, bot: BotState, method: str, params: JSON) -> None:
        if self.faults:
            take_fault(self.faults, bot.id, method, params)

    def add_fault(self, spec: JSON) -> Fault:
        fault = fault_from_spec(spec)
        self.faults.append(fault)
        return fault
