"""The emulated Telegram world: users, bots, chats, topics, messages, updates, files.

Everything here is plain in-memory state driven from one asyncio event loop. Bot API
methods are implemented by :meth:`World.call` (which raises :class:`ApiError` with
Telegram's texts); the control API drives the users' side (``user_send`` …).

Conventions:

* private chats are kept per (bot, user): the chat id is the user id, as in Telegram, but
  each bot has its own conversation with a user;
* supergroup ids are ``-100…`` and increase; message ids increase per chat;
* forum topics are identified by the id of their creation service message; the General
  topic (id 1) is implicit and its messages carry no ``message_thread_id``;
* every change of a message (create, edit, delete) takes a new world-wide sequence number
  ``seq`` so that waiters can ask for "anything that changed since N".
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import re
import secrets
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from .clock import Clock
from .entities import detect_entities, format_text
from .errors import ApiError, ControlError, bad, forbidden
from .faults import Fault, fault_from_spec, take_fault
from .limits import FloodControl, Limits
from .markup import validate_markup
from .models import (
    ALL_UPDATE_TYPES,
    DEFAULT_UPDATE_TYPES,
    JSON,
    MEMBER_STATUSES,
    PRESENT,
    BotState,
    Chat,
    FileRec,
    Member,
    Poll,
    StoredMessage,
    Topic,
    Upload,
)
from .params import p_bool, p_float, p_get, p_int, p_json, p_req_int, p_str

TOPIC_COLORS = (7322096, 16766590, 13338331, 9367192, 16749490, 16478047)
CHAT_ACTIONS = frozenset(
    {
        "typing", "upload_photo", "record_video", "upload_video", "record_voice",
        "upload_voice", "upload_document", "choose_sticker", "find_location",
        "record_video_note", "upload_video_note",
    }
)  # fmt: skip
NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)
TOKEN_RE = re.compile(r"^(\d{1,20}):([A-Za-z0-9_-]{8,})$")
ADMIN_RIGHTS = (
    "can_manage_chat", "can_delete_messages", "can_manage_video_chats",
    "can_restrict_members", "can_promote_members", "can_change_info", "can_invite_users",
    "can_post_stories", "can_edit_stories", "can_delete_stories", "can_pin_messages",
    "can_manage_topics",
)  # fmt: skip
DEFAULT_ADMIN_RIGHTS = {
    "can_manage_chat": True, "can_delete_messages": True, "can_manage_video_chats": True,
    "can_restrict_members": True, "can_promote_members": False, "can_change_info": True,
    "can_invite_users": True, "can_post_stories": False, "can_edit_stories": False,
    "can_delete_stories": False, "can_pin_messages": True, "can_manage_topics": True,
}  # fmt: skip
# a 1×1 PNG, served for generated photos
TINY_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)


SENDING_METHODS = frozenset(
    {
        "sendmessage", "sendphoto", "senddocument", "sendsticker", "sendvoice", "sendvideo",
        "sendaudio", "sendanimation", "sendvideonote", "sendmediagroup", "copymessage",
        "forwardmessage", "copymessages", "forwardmessages", "sendlocation", "sendcontact",
        "senddice", "sendpoll", "sendvenue",
    }
)  # fmt: skip
EDIT_METHODS = frozenset({"editmessagetext", "editmessagecaption", "editmessagereplymarkup", "editmessagemedia"})  # fmt: skip
MEDIA_KINDS = ("photo", "document", "sticker", "voice", "video", "audio", "animation", "video_note")  # fmt: skip
FILE_PREFIX = {
    "photo": "AgACAgIAAxkBAAI", "document": "BQACAgIAAxkBAAI", "sticker": "CAACAgIAAxkBAAI",
    "voice": "AwACAgIAAxkBAAI", "video": "BAACAgIAAxkBAAI", "audio": "CQACAgIAAxkBAAI",
    "animation": "CgACAgIAAxkBAAI", "video_note": "DQACAgIAAxkBAAI",
}  # fmt: skip
FILE_DIRS = {
    "photo": ("photos", ".jpg"), "document": ("documents", ""), "sticker": ("stickers", ".webp"),
    "voice": ("voice", ".oga"), "video": ("videos", ".mp4"), "audio": ("music", ".mp3"),
    "animation": ("animations", ".mp4"), "video_note": ("video_notes", ".mp4"),
}  # fmt: skip


# ---------------------------------------------------------------------------- world


class World:
    """All state of one sandbox."""

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

    # ------------------------------------------------------------------ chats
    def private_chat(self, bot: BotState, user_id: int) -> Chat:
        key = (bot.id, user_id)
        chat = self.private.get(key)
        if chat is None:
            u = self.users[user_id]
            chat = Chat(
                id=user_id, type="private", first_name=u["first_name"],
                last_name=u.get("last_name"), username=u.get("username"), bot_id=bot.id,
            )  # fmt: skip
            self.private[key] = chat
        return chat

    def create_group(
        self,
        title: str,
        is_forum: bool = True,
        type: str = "supergroup",
        members: list[JSON] | None = None,
        bots: list[JSON] | None = None,
        username: str | None = None,
        description: str | None = None,
    ) -> Chat:
        if type not in ("supergroup", "group"):
            raise ControlError(400, "type must be 'supergroup' or 'group'")
        if type == "group":
            gid = -(abs(self._next_group_id) % 1_000_000_000_000)
        else:
            gid = self._next_group_id
        self._next_group_id -= 1
        chat = Chat(
            id=gid, type=type, title=title, is_forum=bool(is_forum) and type == "supergroup",
            username=username, description=description,
        )  # fmt: skip
        self.groups[gid] = chat
        creator_id: int | None = None
        for spec in members or []:
            member = self._member_from_spec(spec)
            if member.status == "creator":
                creator_id = member.user_id
            chat.members[member.user_id] = member
        # message 1 is the creation service message (and the General topic's id in forums)
        if creator_id is not None:
            key = "supergroup_chat_created" if type == "supergroup" else "group_chat_created"
            self._service_message(chat, creator_id, None, {key: True})
        chat.next_message_id = max(chat.next_message_id, 2)
        self.emit("chat_created", chat.state_json())
        for spec in bots or []:
            bot = self.default_bot(spec.get("bot_id"), spec.get("token"))
            self.set_member(chat, {**spec, "bot_id": bot.id}, actor_id=creator_id)
        return chat

    def _member_from_spec(self, spec: JSON) -> Member:
        status = spec.get("status", "member")
        if status not in MEMBER_STATUSES or status == "restricted":
            raise ControlError(400, f"unsupported status {status!r}")
        if spec.get("bot_id") is not None or spec.get("token"):
            uid = self.default_bot(spec.get("bot_id"), spec.get("token")).id
        else:
            uid = int(self.user(spec.get("user_id"))["id"])
        rights: dict[str, bool] = {}
        if status == "administrator":
            given = spec.get("rights") or {}
            for right in ADMIN_RIGHTS:
                value = spec.get(right, given.get(right, DEFAULT_ADMIN_RIGHTS[right]))
                rights[right] = bool(value)
        return Member(
            user_id=uid, status=status, rights=rights, custom_title=spec.get("custom_title")
        )

    def member_json(self, chat: Chat, member: Member) -> JSON:
        user = self.party(member.user_id) or {
            "id": member.user_id,
            "is_bot": False,
            "first_name": "",
        }
        out: JSON = {"status": member.status, "user": user}
        if member.status == "creator":
            out["is_anonymous"] = False
            if member.custom_title:
                out["custom_title"] = member.custom_title
        elif member.status == "administrator":
            out.update(can_be_edited=False, is_anonymous=False)
            for right in ADMIN_RIGHTS:
                if right == "can_manage_topics" and chat.type != "supergroup":
                    continue
                out[right] = member.rights.get(right, False)
            if member.custom_title:
                out["custom_title"] = member.custom_title
        elif member.status == "kicked":
            out["until_date"] = member.until_date
        return out

    def set_member(self, chat: Chat, spec: JSON, actor_id: int | None = None) -> JSON:
        new = self._member_from_spec(spec)
        old = chat.members.get(new.user_id) or Member(user_id=new.user_id, status="left")
        chat.members[new.user_id] = new
        actor = self.party(actor_id) if actor_id is not None else None
        if actor is None:
            creator = next((m for m in chat.members.values() if m.status == "creator"), None)
            actor = self.party(creator.user_id) if creator else self.party(new.user_id)
        change: JSON = {
            "chat": chat.short(), "from": actor, "date": self.date(),
            "old_chat_member": self.member_json(chat, old),
            "new_chat_member": self.member_json(chat, new),
        }  # fmt: skip
        if new.user_id in self.bots:
            self.push_update(self.bots[new.user_id], "my_chat_member", change)
        for bot in self._group_bots(chat):
            if bot.id != new.user_id and chat.members[bot.id].status in (
                "administrator",
                "creator",
            ):
                self.push_update(bot, "chat_member", change)
        if old.status not in PRESENT and new.status in PRESENT and new.user_id in self.users:
            self._service_message(chat, new.user_id, None, {"new_chat_members": [self.users[new.user_id]]},
                                  notify_bots=True)  # fmt: skip
        elif old.status in PRESENT and new.status not in PRESENT and new.user_id in self.users:
            self._service_message(chat, new.user_id, None, {"left_chat_member": self.users[new.user_id]},
                                  notify_bots=True)  # fmt: skip
        self.emit(
            "member_changed", {"chat_id": chat.id, "user_id": new.user_id, "status": new.status}
        )
        return self.member_json(chat, new)

    def _group_bots(self, chat: Chat) -> list[BotState]:
        return [
            self.bots[uid]
            for uid, m in chat.members.items()
            if uid in self.bots and m.status in PRESENT
        ]

    def group(self, chat_id: Any) -> Chat:
        try:
            cid = int(chat_id)
        except (TypeError, ValueError):
            raise ControlError(400, f"invalid chat_id {chat_id!r}") from None
        chat = self.groups.get(cid)
        if chat is None:
            raise ControlError(404, f"unknown group {chat_id}")
        return chat

    def control_chat(self, chat_id: Any, bot_id: Any = None, user_id: Any = None) -> Chat:
        """The chat a control request means: a group, or the private chat of a user and a bot."""
        if chat_id is None:
            if user_id is None:
                raise ControlError(400, "chat_id is required")
            chat_id = user_id
        cid = int(chat_id)
        if cid < 0:
            return self.group(cid)
        bot = self.default_bot(bot_id)
        self.user(cid)
        return self.private_chat(bot, cid)

    def resolve_chat(self, bot: BotState, chat_id: Any) -> Chat:
        """The chat a Bot API request means (``chat not found`` otherwise)."""
        if chat_id is None or chat_id == "":
            raise bad("chat_id is empty")
        if isinstance(chat_id, str) and chat_id.startswith("@"):
            name = chat_id[1:].lower()
            for g in self.groups.values():
                if g.username and g.username.lower() == name:
                    return g
            raise bad("chat not found")
        try:
            cid = int(chat_id)
        except (TypeError, ValueError):
            raise bad("chat not found") from None
        if cid < 0:
            chat = self.groups.get(cid)
            if chat is None:
                raise bad("chat not found")
            return chat
        if cid in self.users:
            return self.private_chat(bot, cid)
        if cid in self.bots:
            raise forbidden("bot can't send messages to bots")
        raise bad("chat not found")

    def check_can_send(self, bot: BotState, chat: Chat) -> None:
        if chat.type == "private":
            if (chat.id, bot.id) in self.blocked:
                raise forbidden("bot was blocked by the user")
            return
        m = chat.members.get(bot.id)
        if m is None or m.status not in PRESENT:
            if m is not None and m.status == "kicked":
                raise forbidden(f"bot was kicked from the {chat.type} chat")
            raise forbidden(f"bot is not a member of the {chat.type} chat")

    def is_admin(self, chat: Chat, uid: int) -> bool:
        m = chat.members.get(uid)
        return m is not None and m.status in ("creator", "administrator")

    def has_right(self, chat: Chat, uid: int, right: str) -> bool:
        m = chat.members.get(uid)
        if m is None:
            return False
        return m.status == "creator" or (m.status == "administrator" and m.rights.get(right, False))

    # ------------------------------------------------------------------ updates
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

    # ------------------------------------------------------------------ messages
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

    def _thread_for(
        self, chat: Chat, thread_id: int | None, reply_to: StoredMessage | None
    ) -> int | None:
        if not chat.is_forum:
            return None
        if thread_id is None and reply_to is not None:
            thread_id = reply_to.thread_id
        if thread_id is None or thread_id == 1:
            return None
        if thread_id not in chat.topics:
            raise bad("message thread not found")
        return thread_id

    def _reply_target(self, chat: Chat, params: JSON) -> StoredMessage | None:
        rp = p_json(params, "reply_parameters")
        allow = p_bool(params, "allow_sending_without_reply")
        target_id: int | None = None
        if isinstance(rp, dict):
            target_id = p_int(rp, "message_id")
            allow = allow or p_bool(rp, "allow_sending_without_reply")
            if rp.get("chat_id") not in (None, "") and str(rp.get("chat_id")) != str(chat.id):
                return None  # replies to other chats: accepted, not linked
        elif p_get(params, "reply_to_message_id") is not None:
            target_id = p_int(params, "reply_to_message_id")
        if target_id is None:
            return None
        msg = chat.messages.get(target_id)
        if msg is None or msg.deleted:
            if allow:
                return None
            raise bad("message to be replied not found")
        return msg

    def _flood(self, bot: BotState, chat: Chat, edit: bool = False) -> None:
        if edit and not chat.is_group:
            return
        retry = self.flood.check(bot.id, chat.id, chat.is_group, self.now(), count_global=not edit)
        if retry is not None:
            shown = int(retry) if float(retry).is_integer() else retry
            raise ApiError(429, f"Too Many Requests: retry after {shown}", {"retry_after": shown})

    def _prepare_send(
        self, bot: BotState, params: JSON
    ) -> tuple[Chat, int | None, StoredMessage | None]:
        chat = self.resolve_chat(bot, p_get(params, "chat_id"))
        self.check_can_send(bot, chat)
        reply_to = self._reply_target(chat, params)
        thread_id = self._thread_for(
            chat, p_int(params, "message_thread_id", required=False), reply_to
        )
        if (
            thread_id is not None
            and chat.topics[thread_id].closed
            and not self.is_admin(chat, bot.id)
        ):
            raise bad("TOPIC_CLOSED")
        return chat, thread_id, reply_to

    def _finish_bot_message(
        self, bot: BotState, chat: Chat, data: JSON, params: JSON, thread_id: int | None
    ) -> StoredMessage:
        markup = validate_markup(p_json(params, "reply_markup"))
        self._flood(bot, chat)
        if markup is not None:
            if "inline_keyboard" in markup:
                data["reply_markup"] = markup
            else:
                chat.reply_keyboard = None if markup.get("remove_keyboard") else markup
        if p_bool(params, "protect_content"):
            data["has_protected_content"] = True
        return self._store(chat, data, bot.id, True, thread_id)

    # ------------------------------------------------------------------ files
    def new_file(
        self, kind: str, content: bytes | None, file_name: str | None = None,
        mime_type: str | None = None, width: int = 0, height: int = 0,
    ) -> FileRec:  # fmt: skip
        n = next(self._ids)
        file_id = f"{FILE_PREFIX.get(kind, 'BQACAgIAAxkBAAI')}{n:06d}{secrets.token_urlsafe(12)}"
        folder, ext = FILE_DIRS.get(kind, ("documents", ""))
        if file_name and "." in file_name and kind == "document":
            ext = "." + file_name.rsplit(".", 1)[1]
        rec = FileRec(
            file_id=file_id, file_unique_id=f"AQAD{n:06d}{secrets.token_hex(3)}", kind=kind,
            content=content, file_path=f"{folder}/file_{n}{ext}", file_name=file_name,
            mime_type=mime_type, width=width, height=height,
        )  # fmt: skip
        self.files[file_id] = rec
        self.files_by_path[rec.file_path] = rec
        return rec

    def _file_json(self, rec: FileRec) -> JSON:
        out: JSON = {"file_id": rec.file_id, "file_unique_id": rec.file_unique_id}
        if rec.content is not None:
            out["file_size"] = rec.size
        return out

    def media_object(self, kind: str, rec: FileRec, extra: JSON | None = None) -> Any:
        base = self._file_json(rec)
        if kind == "photo":
            existing = self.photo_sets.get(rec.file_id)
            if existing is not None:
                return existing
            sizes: list[JSON] = []
            for w in (90, 320, 800):
                r = rec if w == 800 else self.new_file("photo", rec.content, width=w, height=w)
                sizes.append({**self._file_json(r), "width": w, "height": w})
            for s in sizes:
                self.photo_sets[s["file_id"]] = sizes
            return sizes
        extra = extra or {}
        if kind == "document":
            base["file_name"] = rec.file_name or "file"
            base["mime_type"] = rec.mime_type or "application/octet-stream"
        elif kind == "sticker":
            base.update(type="regular", width=512, height=512, is_animated=False, is_video=False,
                        emoji=extra.get("emoji") or "🙂")  # fmt: skip
        elif kind == "voice":
            base.update(duration=int(extra.get("duration") or 3), mime_type="audio/ogg")
        elif kind in ("video", "animation"):
            base.update(width=640, height=360, duration=int(extra.get("duration") or 5))
            if rec.file_name:
                base["file_name"] = rec.file_name
        elif kind == "audio":
            base.update(duration=int(extra.get("duration") or 30))
        elif kind == "video_note":
            base.update(length=240, duration=int(extra.get("duration") or 5))
        return base

    def resolve_input_file(self, kind: str, value: Any, params: JSON) -> FileRec:
        if isinstance(value, str) and value.startswith("attach://"):
            value = params.get(value[len("attach://") :])
        if isinstance(value, Upload):
            if kind == "photo" and len(value.data) > 10 * 1024 * 1024:
                raise bad("PHOTO_INVALID_DIMENSIONS")
            if len(value.data) > 50 * 1024 * 1024:
                raise ApiError(413, "Request Entity Too Large")
            return self.new_file(
                kind, value.data, value.filename or None, value.content_type or None
            )
        if isinstance(value, str) and value:
            rec = self.files.get(value)
            if rec is not None:
                if rec.kind != kind and not {rec.kind, kind} <= {
                    "document",
                    "video",
                    "audio",
                    "animation",
                }:
                    raise bad(
                        f"can't use file of type {rec.kind.capitalize()} as {kind.capitalize()}"
                    )
                return rec
            if re.match(r"^https?://", value):
                name = value.rstrip("/").rsplit("/", 1)[-1] or None
                return self.new_file(kind, None, name)
            raise bad("wrong file identifier/HTTP URL specified")
        raise bad(f"there is no {kind} in the request")

    # ------------------------------------------------------------------ callbacks
    def chat_instance(self, bot: BotState, chat: Chat) -> str:
        return str(-((chat.id * 1_000_003 ^ bot.id * 7919) % 10**18))

    # ------------------------------------------------------------------ faults
    def take_fault(self, bot: BotState, method: str, params: JSON) -> None:
        if self.faults:
            take_fault(self.faults, bot.id, method, params)

    def add_fault(self, spec: JSON) -> Fault:
        fault = fault_from_spec(spec)
        self.faults.append(fault)
        return fault

    # ------------------------------------------------------------------ log
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

    # ================================================================== Bot API
    async def call(self, bot: BotState, method: str, params: JSON) -> Any:
        name = method.lower()
        self.take_fault(bot, name, params)
        if name == "getupdates":
            return await self.get_updates(bot, params)
        handler = self._methods.get(name)
        if handler is None:
            raise ApiError(404, "Not Found")
        return handler(self, bot, params)

    async def get_updates(self, bot: BotState, params: JSON) -> list[JSON]:
        if bot.webhook is not None:
            raise ApiError(409, "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first")  # fmt: skip
        offset = p_int(params, "offset", required=False) or 0
        limit = p_int(params, "limit", required=False) or 100
        limit = min(max(limit, 1), 100)
        timeout = max(0.0, p_float(params, "timeout", 0.0))
        allowed = p_json(params, "allowed_updates")
        if allowed is not None:
            if not isinstance(allowed, list):
                raise bad("can't parse allowed_updates JSON object")
            bot.allowed_updates = (
                frozenset(allowed) & ALL_UPDATE_TYPES if allowed else DEFAULT_UPDATE_TYPES
            )
        if offset < 0:
            keep = list(bot.updates)[offset:]
            bot.updates.clear()
            bot.updates.extend(keep)
        elif offset > 0:
            while bot.updates and bot.updates[0]["update_id"] < offset:
                bot.updates.popleft()
        if bot.poll is not None:
            bot.poll.terminated = True
            bot.poll.wake.set()
        poll = Poll()
        bot.poll = poll
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        try:
            while True:
                if poll.terminated:
                    raise ApiError(409, "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running")  # fmt: skip
                if bot.updates or self.closing:
                    return list(itertools.islice(bot.updates, limit))
                remaining = deadline - loop.time()
                if remaining <= 0:
                    return []
                poll.wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(poll.wake.wait(), remaining)
        finally:
            if bot.poll is poll:
                bot.poll = None

    # ---------------------------------------------------------------- simple
    def m_getme(self, bot: BotState, params: JSON) -> Any:
        return bot.me()

    def m_ok(self, bot: BotState, params: JSON) -> Any:
        return True

    def m_setwebhook(self, bot: BotState, params: JSON) -> Any:
        url = p_str(params, "url") or ""
        if url and not re.match(r"^https?://", url):
            raise bad("bad webhook: Webhook can be set up only on ports 80, 88, 443 or 8443")
        if p_bool(params, "drop_pending_updates"):
            bot.updates.clear()
        allowed = p_json(params, "allowed_updates")
        if isinstance(allowed, list):
            bot.allowed_updates = (
                frozenset(allowed) & ALL_UPDATE_TYPES if allowed else DEFAULT_UPDATE_TYPES
            )
        if not url:
            return self.m_deletewebhook(bot, {})
        secret = p_str(params, "secret_token")
        if secret is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", secret):
            raise bad("secret token contains unallowed characters")
        bot.webhook = {
            "url": url, "secret_token": secret,
            "max_connections": p_int(params, "max_connections", required=False) or 40,
            "last_error_date": None, "last_error_message": None,
        }  # fmt: skip
        if bot.poll is not None:
            bot.poll.terminated = True
            bot.poll.wake.set()
        if (bot.webhook_task is None or bot.webhook_task.done()) and self.webhook_sender:
            bot.webhook_task = self.webhook_sender(bot)
        bot.webhook_wake.set()
        return True

    def m_deletewebhook(self, bot: BotState, params: JSON) -> Any:
        if p_bool(params, "drop_pending_updates"):
            bot.updates.clear()
        bot.webhook = None
        if bot.webhook_task is not None:
            bot.webhook_task.cancel()
            bot.webhook_task = None
        return True

    def m_getwebhookinfo(self, bot: BotState, params: JSON) -> Any:
        info: JSON = {
            "url": "",
            "has_custom_certificate": False,
            "pending_update_count": len(bot.updates),
        }
        if bot.webhook is not None:
            info["url"] = bot.webhook["url"]
            info["max_connections"] = bot.webhook["max_connections"]
            if bot.allowed_updates != DEFAULT_UPDATE_TYPES:
                info["allowed_updates"] = sorted(bot.allowed_updates)
            if bot.webhook["last_error_date"]:
                info["last_error_date"] = bot.webhook["last_error_date"]
                info["last_error_message"] = bot.webhook["last_error_message"]
        return info

    # ---------------------------------------------------------------- sending
    def m_sendmessage(self, bot: BotState, params: JSON) -> Any:
        chat, thread_id, reply_to = self._prepare_send(bot, params)
        text, entities = format_text(params, "text", "entities")
        if not text.strip():
            raise bad("message text is empty")
        if len(text) > 4096:
            raise bad("message is too long")
        data = self._new_message(chat, bot.user(), thread_id, reply_to)
        data["text"] = text
        if entities:
            data["entities"] = entities
        lpo = p_json(params, "link_preview_options")
        if isinstance(lpo, dict) and lpo:
            data["link_preview_options"] = lpo
        elif p_bool(params, "disable_web_page_preview"):
            data["link_preview_options"] = {"is_disabled": True}
        return self._finish_bot_message(bot, chat, data, params, thread_id).data

    def _send_media(self, bot: BotState, params: JSON, kind: str) -> Any:
        chat, thread_id, reply_to = self._prepare_send(bot, params)
        value = params.get(kind)
        if value is None or value == "":
            raise bad(f"there is no {kind} in the request")
        rec = self.resolve_input_file(kind, value, params)
        caption, entities = format_text(params, "caption", "caption_entities")
        if len(caption) > 1024:
            raise bad("message caption is too long")
        data = self._new_message(chat, bot.user(), thread_id, reply_to)
        data[kind] = self.media_object(kind, rec, {"emoji": p_str(params, "emoji"), "duration": p_int(params, "duration", required=False)})  # fmt: skip
        if caption and kind not in ("sticker", "video_note"):
            data["caption"] = caption
            if entities:
                data["caption_entities"] = entities
        if kind == "animation":
            data["document"] = dict(data["animation"])
        return self._finish_bot_message(bot, chat, data, params, thread_id).data

    def m_sendphoto(self, bot: BotState, params: JSON) -> Any:
        return self._send_media(bot, params, "photo")

    def m_senddocument(self, bot: BotState, params: JSON) -> Any:
        return self._send_media(bot, params, "document")

    def m_sendsticker(self, bot: BotState, params: JSON) -> Any:
        return self._send_media(bot, params, "sticker")

    def m_sendvoice(self, bot: BotState, params: JSON) -> Any:
        return self._send_media(bot, params, "voice")

    def m_sendvideo(self, bot: BotState, params: JSON) -> Any:
        return self._send_media(bot, params, "video")

    def m_sendaudio(self, bot: BotState, params: JSON) -> Any:
        return self._send_media(bot, params, "audio")

    def m_sendanimation(self, bot: BotState, params: JSON) -> Any:
        return self._send_media(bot, params, "animation")

    def m_sendvideonote(self, bot: BotState, params: JSON) -> Any:
        return self._send_media(bot, params, "video_note")

    def m_sendmediagroup(self, bot: BotState, params: JSON) -> Any:
        chat, thread_id, reply_to = self._prepare_send(bot, params)
        media = p_json(params, "media")
        if not isinstance(media, list) or not 2 <= len(media) <= 10:
            raise bad(
                "wrong number of media specified" if isinstance(media, list) else "media is empty"
            )
        group_id = str(10**17 + next(self._ids))
        self._flood(bot, chat)
        out: list[JSON] = []
        for item in media:
            if not isinstance(item, dict) or item.get("type") not in (
                "photo",
                "video",
                "document",
                "audio",
            ):
                raise bad("wrong media type specified")
            kind = str(item["type"])
            rec = self.resolve_input_file(kind, item.get("media"), params)
            caption, entities = format_text(item, "caption", "caption_entities")
            if len(caption) > 1024:
                raise bad("message caption is too long")
            data = self._new_message(chat, bot.user(), thread_id, reply_to)
            data["media_group_id"] = group_id
            data[kind] = self.media_object(kind, rec)
            if caption:
                data["caption"] = caption
                if entities:
                    data["caption_entities"] = entities
            out.append(self._store(chat, data, bot.id, True, thread_id).data)
        return out

    def m_sendchataction(self, bot: BotState, params: JSON) -> Any:
        chat = self.resolve_chat(bot, p_get(params, "chat_id"))
        self.check_can_send(bot, chat)
        action = p_str(params, "action") or ""
        if action not in CHAT_ACTIONS:
            raise bad("wrong parameter action in request")
        self._thread_for(chat, p_int(params, "message_thread_id", required=False), None)
        self.emit("chat_action", {"chat_id": chat.id, "bot_id": bot.id, "action": action})
        return True

    def _source_message(self, bot: BotState, params: JSON) -> tuple[Chat, StoredMessage]:
        src_chat = self.resolve_chat(bot, p_get(params, "from_chat_id"))
        mid = p_req_int(params, "message_id")
        msg = src_chat.messages.get(mid)
        if msg is None or msg.deleted:
            raise bad("message to copy not found")
        return src_chat, msg

    CONTENT_KEYS: tuple[str, ...] = ("text", "entities", "caption", "caption_entities", "link_preview_options", *MEDIA_KINDS)  # fmt: skip

    def m_copymessage(self, bot: BotState, params: JSON) -> Any:
        _src_chat, src = self._source_message(bot, params)
        chat, thread_id, reply_to = self._prepare_send(bot, params)
        if not any(k in src.data for k in ("text", *MEDIA_KINDS)):
            raise bad("message can't be copied")
        data = self._new_message(chat, bot.user(), thread_id, reply_to)
        for k in self.CONTENT_KEYS:
            if k in src.data:
                data[k] = src.data[k]
        if "caption" in params:
            caption, entities = format_text(params, "caption", "caption_entities")
            if len(caption) > 1024:
                raise bad("message caption is too long")
            data.pop("caption_entities", None)
            data["caption"] = caption
            if entities:
                data["caption_entities"] = entities
        if "reply_markup" not in params and "reply_markup" in src.data:
            data["reply_markup"] = src.data["reply_markup"]
        msg = self._finish_bot_message(bot, chat, data, params, thread_id)
        return {"message_id": msg.message_id}

    def m_forwardmessage(self, bot: BotState, params: JSON) -> Any:
        _src_chat, src = self._source_message(bot, params)
        chat, thread_id, _ = self._prepare_send(bot, {**params, "reply_parameters": None, "reply_to_message_id": None})  # fmt: skip
        data = self._new_message(chat, bot.user(), thread_id, None)
        for k in self.CONTENT_KEYS:
            if k in src.data:
                data[k] = src.data[k]
        origin = src.data.get("forward_origin")
        if origin is None:
            sender = self.party(src.sender_id) or {
                "id": src.sender_id,
                "is_bot": False,
                "first_name": "",
            }
            origin = {"type": "user", "sender_user": sender, "date": src.data["date"]}
        data["forward_origin"] = origin
        return self._finish_bot_message(
            bot, chat, data, {**params, "reply_markup": None}, thread_id
        ).data

    # ---------------------------------------------------------------- editing
    def _edit_target(self, bot: BotState, params: JSON) -> tuple[Chat, StoredMessage] | None:
        if p_get(params, "inline_message_id") is not None:
            return None
        chat = self.resolve_chat(bot, p_get(params, "chat_id"))
        mid = p_int(params, "message_id")
        msg = chat.messages.get(mid or 0)
        if msg is None or msg.deleted:
            raise bad("message to edit not found")
        if msg.sender_id != bot.id:
            raise bad("message can't be edited")
        return chat, msg

    def _apply_edit(
        self, bot: BotState, chat: Chat, msg: StoredMessage, new: JSON, markup: JSON | None
    ) -> Any:
        old_markup = msg.data.get("reply_markup")
        if all(msg.data.get(k) == v for k, v in new.items()) and old_markup == markup:
            raise bad(NOT_MODIFIED)
        self._flood(bot, chat, edit=True)
        for k, v in new.items():
            if v is None or v == []:
                msg.data.pop(k, None)
            else:
                msg.data[k] = v
        if markup is None:
            msg.data.pop("reply_markup", None)
        else:
            msg.data["reply_markup"] = markup
        msg.data["edit_date"] = self.date()
        self._touch(chat, msg)
        return msg.data

    def _inline_markup(self, params: JSON) -> JSON | None:
        markup = validate_markup(p_json(params, "reply_markup"))
        if markup is not None and "inline_keyboard" not in markup:
            raise bad("inline keyboard expected")
        if markup is not None and not markup["inline_keyboard"]:
            return None
        return markup

    def m_editmessagetext(self, bot: BotState, params: JSON) -> Any:
        text, entities = format_text(params, "text", "entities")
        if not text.strip():
            raise bad("message text is empty")
        if len(text) > 4096:
            raise bad("message is too long")
        markup = self._inline_markup(params)
        target = self._edit_target(bot, params)
        if target is None:
            return True
        chat, msg = target
        if "text" not in msg.data:
            raise bad("there is no text in the message to edit")
        new: JSON = {"text": text, "entities": entities or None}
        lpo = p_json(params, "link_preview_options")
        if isinstance(lpo, dict) and lpo:
            new["link_preview_options"] = lpo
        return self._apply_edit(bot, chat, msg, new, markup)

    def m_editmessagecaption(self, bot: BotState, params: JSON) -> Any:
        caption, entities = format_text(params, "caption", "caption_entities")
        if len(caption) > 1024:
            raise bad("message caption is too long")
        markup = self._inline_markup(params)
        target = self._edit_target(bot, params)
        if target is None:
            return True
        chat, msg = target
        if not any(k in msg.data for k in MEDIA_KINDS):
            raise bad("there is no caption in the message to edit")
        return self._apply_edit(bot, chat, msg, {"caption": caption or None, "caption_entities": entities or None}, markup)  # fmt: skip

    def m_editmessagereplymarkup(self, bot: BotState, params: JSON) -> Any:
        markup = self._inline_markup(params)
        target = self._edit_target(bot, params)
        if target is None:
            return True
        chat, msg = target
        return self._apply_edit(bot, chat, msg, {}, markup)

    def m_deletemessage(self, bot: BotState, params: JSON) -> Any:
        chat = self.resolve_chat(bot, p_get(params, "chat_id"))
        self._delete(bot, chat, p_req_int(params, "message_id"))
        return True

    def m_deletemessages(self, bot: BotState, params: JSON) -> Any:
        chat = self.resolve_chat(bot, p_get(params, "chat_id"))
        ids = p_json(params, "message_ids")
        if not isinstance(ids, list) or not 1 <= len(ids) <= 100:
            raise bad("message_ids is empty")
        for mid in ids:
            with contextlib.suppress(ApiError):
                self._delete(bot, chat, int(mid))
        return True

    def _delete(self, bot: BotState, chat: Chat, mid: int) -> None:
        msg = chat.messages.get(mid)
        if msg is None or msg.deleted:
            raise bad("message to delete not found")
        if (
            chat.is_group
            and msg.sender_id != bot.id
            and not self.has_right(chat, bot.id, "can_delete_messages")
        ):
            raise bad("message can't be deleted")
        if self.now() - msg.created > 48 * 3600 and (chat.type == "private" or (msg.sender_id == bot.id and not self.is_admin(chat, bot.id))):  # fmt: skip
            raise bad("message can't be deleted")
        msg.deleted = True
        self._touch(chat, msg, "message_deleted")

    def m_pinchatmessage(self, bot: BotState, params: JSON) -> Any:
        chat = self.resolve_chat(bot, p_get(params, "chat_id"))
        mid = p_req_int(params, "message_id")
        if mid not in chat.messages:
            raise bad("message to pin not found")
        if chat.is_group and not self.has_right(chat, bot.id, "can_pin_messages"):
            raise bad("not enough rights to manage pinned messages in the chat")
        chat.pinned.append(mid)
        return True

    def m_unpinchatmessage(self, bot: BotState, params: JSON) -> Any:
        chat = self.resolve_chat(bot, p_get(params, "chat_id"))
        mid = p_int(params, "message_id", required=False)
        if mid is None and chat.pinned:
            chat.pinned.pop()
        elif mid in chat.pinned:
            chat.pinned.remove(mid)
        return True

    # ---------------------------------------------------------------- callbacks
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

    # ---------------------------------------------------------------- files
    def m_getfile(self, bot: BotState, params: JSON) -> Any:
        rec = self.files.get(p_str(params, "file_id") or "")
        if rec is None:
            raise bad("invalid file_id")
        out = self._file_json(rec)
        out["file_path"] = rec.file_path
        out.setdefault("file_size", rec.size)
        return out

    # ---------------------------------------------------------------- chats
    def m_getchat(self, bot: BotState, params: JSON) -> Any:
        chat = self.resolve_chat(bot, p_get(params, "chat_id"))
        out = chat.short()
        out.update(
            accent_color_id=(abs(chat.id) % 7), max_reaction_count=11,
            accepted_gift_types={"unlimited_gifts": False, "limited_gifts": False, "unique_gifts": False,
                                 "premium_subscription": False, "gifts_from_channels": False},
        )  # fmt: skip
        if chat.description:
            out["description"] = chat.description
        if chat.is_group:
            out["permissions"] = {
                "can_send_messages": True, "can_send_audios": True, "can_send_documents": True,
                "can_send_photos": True, "can_send_videos": True, "can_send_video_notes": True,
                "can_send_voice_notes": True, "can_send_polls": True, "can_send_other_messages": True,
                "can_add_web_page_previews": True, "can_change_info": False,
                "can_invite_users": True, "can_pin_messages": False, "can_manage_topics": False,
            }  # fmt: skip
            if chat.pinned and chat.pinned[-1] in chat.messages:
                out["pinned_message"] = chat.messages[chat.pinned[-1]].data
        return out

    def m_getchatmember(self, bot: BotState, params: JSON) -> Any:
        chat = self.resolve_chat(bot, p_get(params, "chat_id"))
        uid = p_req_int(params, "user_id")
        if uid not in self.users and uid not in self.bots:
            raise bad("user not found")
        if chat.type == "private":
            status = "member" if uid in (chat.id, bot.id) else "left"
            return self.member_json(chat, Member(uid, status))
        member = chat.members.get(uid) or Member(uid, "left")
        return self.member_json(chat, member)

    def m_getchatadministrators(self, bot: BotState, params: JSON) -> Any:
        chat = self.resolve_chat(bot, p_get(params, "chat_id"))
        if not chat.is_group:
            raise bad("there are no administrators in the private chat")
        return [self.member_json(chat, m) for m in chat.members.values() if m.status in ("creator", "administrator")]  # fmt: skip

    def m_getchatmembercount(self, bot: BotState, params: JSON) -> Any:
        chat = self.resolve_chat(bot, p_get(params, "chat_id"))
        if not chat.is_group:
            return 2
        return sum(1 for m in chat.members.values() if m.status in PRESENT)

    def m_leavechat(self, bot: BotState, params: JSON) -> Any:
        chat = self.resolve_chat(bot, p_get(params, "chat_id"))
        if chat.is_group and bot.id in chat.members:
            self.set_member(chat, {"bot_id": bot.id, "status": "left"}, actor_id=bot.id)
        return True

    # ---------------------------------------------------------------- topics
    def _forum(self, bot: BotState, params: JSON) -> Chat:
        chat = self.resolve_chat(bot, p_get(params, "chat_id"))
        if not chat.is_forum:
            raise bad("the chat is not a forum")
        self.check_can_send(bot, chat)
        return chat

    def _topic(self, bot: BotState, chat: Chat, params: JSON) -> Topic:
        tid = p_int(params, "message_thread_id")
        topic = chat.topics.get(tid or 0)
        if topic is None:
            raise bad("TOPIC_ID_INVALID")
        if topic.creator_id != bot.id and not self.has_right(chat, bot.id, "can_manage_topics"):
            raise bad("not enough rights to manage topics")  # Telegram: CHAT_ADMIN_REQUIRED
        return topic

    def create_topic(self, chat: Chat, creator_id: int, name: str, icon_color: int | None,
                     emoji_id: str | None, notify_bots: bool) -> Topic:  # fmt: skip
        if not name or len(name) > 128:
            raise bad("TOPIC_TITLE_EMPTY" if not name else "TOPIC_TITLE_INVALID")
        color = TOPIC_COLORS[0] if icon_color is None else icon_color
        if color not in TOPIC_COLORS:
            raise bad("TOPIC_ICON_COLOR_INVALID")
        fields: JSON = {"forum_topic_created": {"name": name, "icon_color": color}}
        if emoji_id:
            fields["forum_topic_created"]["icon_custom_emoji_id"] = emoji_id
        msg = self._service_message(chat, creator_id, None, fields, notify_bots=notify_bots,
                                    is_topic_creation=True)  # fmt: skip
        topic = Topic(thread_id=msg.message_id, name=name, icon_color=color,
                      icon_custom_emoji_id=emoji_id, creator_id=creator_id)  # fmt: skip
        chat.topics[topic.thread_id] = topic
        self.emit("topic_created", {"chat_id": chat.id, "topic": topic.to_json()})
        return topic

    def m_createforumtopic(self, bot: BotState, params: JSON) -> Any:
        chat = self._forum(bot, params)
        if not self.has_right(chat, bot.id, "can_manage_topics"):
            raise bad("not enough rights to create a topic")
        topic = self.create_topic(
            chat, bot.id, p_str(params, "name") or "", p_int(params, "icon_color", required=False),
            p_str(params, "icon_custom_emoji_id"), notify_bots=True,
        )  # fmt: skip
        return topic.to_json()

    def m_editforumtopic(self, bot: BotState, params: JSON) -> Any:
        chat = self._forum(bot, params)
        topic = self._topic(bot, chat, params)
        name = p_str(params, "name")
        emoji = p_str(params, "icon_custom_emoji_id")
        if name is not None and (not name or len(name) > 128):
            raise bad("TOPIC_TITLE_INVALID")
        changed: JSON = {}
        if name is not None and name != topic.name:
            topic.name = changed["name"] = name
        if emoji is not None and emoji != (topic.icon_custom_emoji_id or ""):
            topic.icon_custom_emoji_id = emoji or None
            changed["icon_custom_emoji_id"] = emoji
        if not changed:
            raise bad("TOPIC_NOT_MODIFIED")
        self._service_message(
            chat, bot.id, topic.thread_id, {"forum_topic_edited": changed}, notify_bots=True
        )
        self.emit("topic_edited", {"chat_id": chat.id, "topic": topic.to_json()})
        return True

    def _set_closed(self, bot: BotState, params: JSON, closed: bool) -> Any:
        chat = self._forum(bot, params)
        topic = self._topic(bot, chat, params)
        if topic.closed == closed:
            raise bad("TOPIC_NOT_MODIFIED")
        topic.closed = closed
        key = "forum_topic_closed" if closed else "forum_topic_reopened"
        self._service_message(chat, bot.id, topic.thread_id, {key: {}}, notify_bots=True)
        self.emit(
            "topic_closed" if closed else "topic_reopened",
            {"chat_id": chat.id, "topic": topic.to_json()},
        )
        return True

    def m_closeforumtopic(self, bot: BotState, params: JSON) -> Any:
        return self._set_closed(bot, params, True)

    def m_reopenforumtopic(self, bot: BotState, params: JSON) -> Any:
        return self._set_closed(bot, params, False)

    def m_deleteforumtopic(self, bot: BotState, params: JSON) -> Any:
        chat = self._forum(bot, params)
        topic = self._topic(bot, chat, params)
        if not self.has_right(chat, bot.id, "can_delete_messages"):
            raise bad("not enough rights to delete a topic")
        del chat.topics[topic.thread_id]
        for msg in chat.messages.values():
            if msg.thread_id == topic.thread_id and not msg.deleted:
                msg.deleted = True
                self._touch(chat, msg, "message_deleted")
        self.emit("topic_deleted", {"chat_id": chat.id, "message_thread_id": topic.thread_id})
        return True

    def m_unpinallforumtopicmessages(self, bot: BotState, params: JSON) -> Any:
        chat = self._forum(bot, params)
        self._topic(bot, chat, params)
        return True

    def m_getforumtopiciconstickers(self, bot: BotState, params: JSON) -> Any:
        return []

    # ---------------------------------------------------------------- commands
    def scope_key(self, bot: BotState, scope: Any) -> str:
        if scope is None or scope == {}:
            return "default"
        if not isinstance(scope, dict):
            raise bad("can't parse BotCommandScope JSON object")
        kind = scope.get("type")
        if kind in ("default", "all_private_chats", "all_group_chats", "all_chat_administrators"):
            return str(kind)
        if kind in ("chat", "chat_administrators", "chat_member"):
            chat = self.resolve_chat(bot, scope.get("chat_id"))
            if kind == "chat_member":
                uid = p_req_int(scope, "user_id")
                if uid not in self.users:
                    raise bad("user not found")
                return f"chat_member:{chat.id}:{uid}"
            return f"{kind}:{chat.id}"
        raise bad("wrong BotCommandScope type specified")

    def _lang(self, params: JSON) -> str:
        lang = p_str(params, "language_code") or ""
        if lang and not re.fullmatch(r"[a-z]{2}", lang):
            raise bad("invalid language code specified")
        return lang

    def m_setmycommands(self, bot: BotState, params: JSON) -> Any:
        commands = p_json(params, "commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise bad(
                "can't parse commands JSON object"
                if not isinstance(commands, list)
                else "too many commands"
            )
        clean: list[JSON] = []
        for c in commands:
            if not isinstance(c, dict):
                raise bad("can't parse BotCommand JSON object")
            cmd = str(c.get("command") or "").lstrip("/")
            desc = str(c.get("description") or "")
            if not re.fullmatch(r"[a-z0-9_]{1,32}", cmd):
                raise bad("BOT_COMMAND_INVALID")
            if not 1 <= len(desc) <= 256:
                raise bad("BOT_COMMAND_DESCRIPTION_INVALID")
            clean.append({"command": cmd, "description": desc})
        key = (self.scope_key(bot, p_json(params, "scope")), self._lang(params))
        if clean:
            bot.commands[key] = clean
        else:
            bot.commands.pop(key, None)
        self.emit("commands_set", {"bot_id": bot.id, "scope": key[0], "language_code": key[1], "commands": clean})  # fmt: skip
        return True

    def m_getmycommands(self, bot: BotState, params: JSON) -> Any:
        key = (self.scope_key(bot, p_json(params, "scope")), self._lang(params))
        return bot.commands.get(key, [])

    def m_deletemycommands(self, bot: BotState, params: JSON) -> Any:
        key = (self.scope_key(bot, p_json(params, "scope")), self._lang(params))
        bot.commands.pop(key, None)
        return True

    def effective_commands(self, bot: BotState, chat: Chat, user_id: int, lang: str) -> list[JSON]:
        """What a user sees in a chat, following Telegram's scope resolution order."""
        if chat.type == "private":
            keys = [f"chat:{chat.id}", "all_private_chats", "default"]
        else:
            admin = self.is_admin(chat, user_id)
            keys = [f"chat_member:{chat.id}:{user_id}"]
            if admin:
                keys.append(f"chat_administrators:{chat.id}")
            keys.append(f"chat:{chat.id}")
            if admin:
                keys.append("all_chat_administrators")
            keys += ["all_group_chats", "default"]
        for key in keys:
            for lg in ([lang] if lang else []) + [""]:
                if (key, lg) in bot.commands:
                    return bot.commands[(key, lg)]
        return []

    @staticmethod
    def _set_text(kind: str, key: str, limit: int) -> Callable[[World, BotState, JSON], Any]:
        def setter(world: World, bot: BotState, params: JSON) -> Any:
            value = p_str(params, key) or ""
            if len(value) > limit:
                raise bad(f"{kind} is too long")
            lang = world._lang(params)
            if value:
                bot.texts[(kind, lang)] = value
            else:
                bot.texts.pop((kind, lang), None)
            if kind == "name" and not lang and value:
                bot.first_name = value
            return True

        return setter

    @staticmethod
    def _get_text(kind: str, key: str) -> Callable[[World, BotState, JSON], Any]:
        def getter(world: World, bot: BotState, params: JSON) -> Any:
            lang = world._lang(params)
            value = bot.texts.get(
                (kind, lang), bot.texts.get((kind, ""), bot.first_name if kind == "name" else "")
            )
            return {key: value}

        return getter

    def m_setchatmenubutton(self, bot: BotState, params: JSON) -> Any:
        button = p_json(params, "menu_button") or {"type": "default"}
        cid = p_int(params, "chat_id", required=False) or 0
        bot.menu_buttons[cid] = button
        return True

    def m_getchatmenubutton(self, bot: BotState, params: JSON) -> Any:
        cid = p_int(params, "chat_id", required=False) or 0
        return bot.menu_buttons.get(cid, bot.menu_buttons.get(0, {"type": "commands"}))

    def m_getmydefaultadministratorrights(self, bot: BotState, params: JSON) -> Any:
        return {"is_anonymous": False, **{r: False for r in ADMIN_RIGHTS}}

    # ================================================================== users' side
    def user_send(self, spec: JSON) -> JSON:
        user = self.user(spec.get("user_id"))
        uid = int(user["id"])
        chat = self.control_chat(spec.get("chat_id"), spec.get("bot_id"), uid)
        if chat.type == "private":
            bot = self.bots[chat.bot_id or 0]
            if (uid, bot.id) in self.blocked:
                self.set_blocked(uid, bot, False)
            targets = [bot]
        else:
            m = chat.members.get(uid)
            if m is None or m.status not in PRESENT:
                raise ControlError(403, f"user {uid} is not a member of chat {chat.id}")
            targets = self._group_bots(chat)
        reply_to: StoredMessage | None = None
        if spec.get("reply_to_message_id") is not None:
            reply_to = chat.messages.get(int(spec["reply_to_message_id"]))
            if reply_to is None or reply_to.deleted:
                raise ControlError(
                    400, f"message {spec['reply_to_message_id']} not found in chat {chat.id}"
                )
        thread_raw = spec.get("message_thread_id", spec.get("thread_id"))
        try:
            thread_id = self._thread_for(
                chat, None if thread_raw is None else int(thread_raw), reply_to
            )
        except ApiError as exc:
            raise ControlError(400, exc.description) from None
        if thread_id is not None and chat.topics[thread_id].closed and not self.is_admin(chat, uid):
            raise ControlError(400, "TOPIC_CLOSED: the topic is closed")
        data = self._new_message(chat, user, thread_id, reply_to)
        text = spec.get("text")
        caption = spec.get("caption")
        media = False
        if spec.get("photo"):
            content = spec["photo"].encode() if isinstance(spec["photo"], str) else TINY_PNG
            data["photo"] = self.media_object(
                "photo", self.new_file("photo", content, width=800, height=800)
            )
            media = True
        elif spec.get("document"):
            doc = spec["document"] if isinstance(spec["document"], dict) else {}
            content = str(doc.get("content", "document content")).encode()
            rec = self.new_file("document", content, doc.get("file_name") or "file.txt",
                                doc.get("mime_type") or "text/plain")  # fmt: skip
            data["document"] = self.media_object("document", rec)
            media = True
        elif spec.get("sticker"):
            emoji = spec["sticker"] if isinstance(spec["sticker"], str) else "🙂"
            data["sticker"] = self.media_object(
                "sticker", self.new_file("sticker", b"RIFF-webp"), {"emoji": emoji}
            )
            media = True
        elif spec.get("voice"):
            data["voice"] = self.media_object("voice", self.new_file("voice", b"OggS-voice"), {"duration": spec.get("duration")})  # fmt: skip
            media = True
        if media:
            cap = caption if caption is not None else text
            if cap:
                data["caption"] = str(cap)
                ents = detect_entities(str(cap))
                if ents:
                    data["caption_entities"] = ents
        else:
            if not text:
                raise ControlError(400, "text (or photo/document/sticker/voice) is required")
            data["text"] = str(text)
            ents = spec.get("entities") or detect_entities(str(text))
            if ents:
                data["entities"] = ents
        msg = self._store(chat, data, uid, False, thread_id)
        for bot in targets:
            self.push_update(bot, "message", data)
        return msg.control_json()

    def user_edit(self, spec: JSON) -> JSON:
        user = self.user(spec.get("user_id"))
        chat = self.control_chat(spec.get("chat_id"), spec.get("bot_id"), user["id"])
        msg = chat.messages.get(int(spec.get("message_id") or 0))
        if msg is None or msg.deleted:
            raise ControlError(404, "message not found")
        if msg.sender_id != user["id"]:
            raise ControlError(403, "a user can edit only their own messages")
        text = str(spec.get("text") or "")
        if not text:
            raise ControlError(400, "text is required")
        key = "caption" if "text" not in msg.data else "text"
        msg.data[key] = text
        ents = detect_entities(text)
        ekey = "entities" if key == "text" else "caption_entities"
        if ents:
            msg.data[ekey] = ents
        else:
            msg.data.pop(ekey, None)
        msg.data["edit_date"] = self.date()
        self._touch(chat, msg)
        targets = (
            [self.bots[chat.bot_id or 0]] if chat.type == "private" else self._group_bots(chat)
        )
        for bot in targets:
            self.push_update(bot, "edited_message", msg.data)
        return msg.control_json()

    def user_delete(self, spec: JSON) -> JSON:
        chat = self.control_chat(spec.get("chat_id"), spec.get("bot_id"), spec.get("user_id"))
        msg = chat.messages.get(int(spec.get("message_id") or 0))
        if msg is None or msg.deleted:
            raise ControlError(404, "message not found")
        msg.deleted = True
        self._touch(chat, msg, "message_deleted")
        return msg.control_json()

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

    def set_blocked(self, user_id: int, bot: BotState, blocked: bool) -> None:
        key = (user_id, bot.id)
        if (key in self.blocked) == blocked:
            return
        if blocked:
            self.blocked.add(key)
        else:
            self.blocked.discard(key)
        chat = self.private_chat(bot, user_id)
        old, new = ("member", "kicked") if blocked else ("kicked", "member")
        change: JSON = {
            "chat": chat.short(), "from": self.users[user_id], "date": self.date(),
            "old_chat_member": {"status": old, "user": bot.user(), **({"until_date": 0} if old == "kicked" else {})},
            "new_chat_member": {"status": new, "user": bot.user(), **({"until_date": 0} if new == "kicked" else {})},
        }  # fmt: skip
        self.push_update(bot, "my_chat_member", change)
        self.emit("blocked" if blocked else "unblocked", {"user_id": user_id, "bot_id": bot.id})

    def messages(self, chat: Chat, spec: JSON) -> list[StoredMessage]:
        thread = spec.get("thread_id", spec.get("message_thread_id"))
        from_bot = spec.get("from_bot")
        if isinstance(from_bot, str):
            from_bot = from_bot.lower() in ("true", "1", "yes")
        after = spec.get("after_message_id")
        since = spec.get("since_seq")
        contains = spec.get("text_contains")
        include_deleted = spec.get("include_deleted") in (True, "true", "1")
        sender = spec.get("from_user_id")
        out = []
        for msg in chat.messages.values():
            if msg.deleted and not include_deleted:
                continue
            if thread is not None and (msg.thread_id or 1) != int(thread):
                continue
            if from_bot is not None and msg.from_bot != bool(from_bot):
                continue
            if sender is not None and msg.sender_id != int(sender):
                continue
            if after is not None and msg.message_id <= int(after):
                continue
            if since is not None and msg.seq <= int(since):
                continue
            if contains is not None and str(contains) not in (
                msg.data.get("text") or msg.data.get("caption") or ""
            ):
                continue
            out.append(msg)
        return out

    _methods: dict[str, Callable[[World, BotState, JSON], Any]]


def _collect_methods() -> dict[str, Callable[[World, BotState, JSON], Any]]:
    methods: dict[str, Callable[[World, BotState, JSON], Any]] = {}
    for name in dir(World):
        if name.startswith("m_") and name != "m_ok":
            methods[name[2:]] = getattr(World, name)
    for name in ("logout", "close", "setchatdescription", "setchattitle", "setmessagereaction",
                 "setmydefaultadministratorrights", "approvechatjoinrequest", "declinechatjoinrequest"):  # fmt: skip
        methods[name] = World.m_ok
    texts = (("name", "name", 64), ("description", "description", 512), ("short_description", "short_description", 120))  # fmt: skip
    for kind, key, limit in texts:
        flat = kind.replace("_", "")
        methods[f"setmy{flat}"] = World._set_text(kind, key, limit)
        methods[f"getmy{flat}"] = World._get_text(kind, key)
    return methods


World._methods = _collect_methods()
