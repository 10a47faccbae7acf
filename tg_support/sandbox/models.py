"""The records the emulated world is made of: bots, chats, members, topics, messages, files."""

from __future__ import annotations

import asyncio
from collections import deque
from dataclasses import dataclass, field
from typing import Any

JSON = dict[str, Any]

ALL_UPDATE_TYPES = frozenset(
    {
        "message", "edited_message", "channel_post", "edited_channel_post",
        "business_connection", "business_message", "edited_business_message",
        "deleted_business_messages", "message_reaction", "message_reaction_count",
        "inline_query", "chosen_inline_result", "callback_query", "shipping_query",
        "pre_checkout_query", "purchased_paid_media", "poll", "poll_answer",
        "my_chat_member", "chat_member", "chat_join_request", "chat_boost",
        "removed_chat_boost",
    }
)  # fmt: skip
DEFAULT_UPDATE_TYPES = ALL_UPDATE_TYPES - {
    "chat_member",
    "message_reaction",
    "message_reaction_count",
}
MEMBER_STATUSES = ("creator", "administrator", "member", "restricted", "left", "kicked")
PRESENT = frozenset({"creator", "administrator", "member", "restricted"})


@dataclass
class Member:
    user_id: int
    status: str
    rights: dict[str, bool] = field(default_factory=dict)
    custom_title: str | None = None
    until_date: int = 0


@dataclass
class Topic:
    thread_id: int
    name: str
    icon_color: int
    icon_custom_emoji_id: str | None = None
    closed: bool = False
    creator_id: int | None = None

    def to_json(self) -> JSON:
        out: JSON = {
            "message_thread_id": self.thread_id,
            "name": self.name,
            "icon_color": self.icon_color,
        }
        if self.icon_custom_emoji_id:
            out["icon_custom_emoji_id"] = self.icon_custom_emoji_id
        return out


@dataclass
class StoredMessage:
    data: JSON
    seq: int
    sender_id: int
    from_bot: bool
    thread_id: int | None
    created: float
    deleted: bool = False

    @property
    def message_id(self) -> int:
        return int(self.data["message_id"])

    def control_json(self) -> JSON:
        out = dict(self.data)
        out["seq"] = self.seq
        out["from_bot"] = self.from_bot
        if self.deleted:
            out["deleted"] = True
        return out


@dataclass
class Chat:
    id: int
    type: str
    title: str | None = None
    username: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    is_forum: bool = False
    description: str | None = None
    bot_id: int | None = None  # private chats: the bot of this conversation
    members: dict[int, Member] = field(default_factory=dict)
    topics: dict[int, Topic] = field(default_factory=dict)
    messages: dict[int, StoredMessage] = field(default_factory=dict)
    next_message_id: int = 1
    reply_keyboard: JSON | None = None
    pinned: list[int] = field(default_factory=list)

    @property
    def is_group(self) -> bool:
        return self.type in ("group", "supergroup")

    def short(self) -> JSON:
        out: JSON = {"id": self.id, "type": self.type}
        if self.type == "private":
            out["first_name"] = self.first_name or ""
            if self.last_name:
                out["last_name"] = self.last_name
        else:
            out["title"] = self.title or ""
        if self.username:
            out["username"] = self.username
        if self.is_forum:
            out["is_forum"] = True
        return out

    def state_json(self) -> JSON:
        out = self.short()
        out["members"] = [
            {"user_id": m.user_id, "status": m.status, **({"rights": m.rights} if m.rights else {})}
            for m in self.members.values()
        ]
        out["topics"] = [{**t.to_json(), "is_closed": t.closed} for t in self.topics.values()]
        out["message_count"] = sum(1 for m in self.messages.values() if not m.deleted)
        if self.bot_id is not None:
            out["bot_id"] = self.bot_id
        return out


@dataclass
class Upload:
    """A file part of a multipart request."""

    filename: str
    content_type: str
    data: bytes


@dataclass
class FileRec:
    file_id: str
    file_unique_id: str
    kind: str
    content: bytes | None
    file_path: str
    file_name: str | None = None
    mime_type: str | None = None
    width: int = 0
    height: int = 0

    @property
    def size(self) -> int:
        return len(self.content) if self.content is not None else 0


@dataclass
class Poll:
    """One pending ``getUpdates`` long poll (a newer one terminates it)."""

    wake: asyncio.Event = field(default_factory=asyncio.Event)
    terminated: bool = False


@dataclass
class BotState:
    token: str
    id: int
    username: str
    first_name: str
    updates: deque[JSON] = field(default_factory=deque)
    next_update_id: int = 1
    allowed_updates: frozenset[str] = DEFAULT_UPDATE_TYPES
    poll: Poll | None = None
    webhook: JSON | None = None
    webhook_wake: asyncio.Event = field(default_factory=asyncio.Event)
    webhook_task: asyncio.Task[None] | None = None
    commands: dict[tuple[str, str], list[JSON]] = field(default_factory=dict)
    texts: dict[tuple[str, str], str] = field(default_factory=dict)
    menu_buttons: dict[int, JSON] = field(default_factory=dict)
    can_join_groups: bool = True
    can_read_all_group_messages: bool = True
    supports_inline_queries: bool = False

    def user(self) -> JSON:
        return {
            "id": self.id,
            "is_bot": True,
            "first_name": self.first_name,
            "username": self.username,
        }

    def me(self) -> JSON:
        return {
            **self.user(),
            "can_join_groups": self.can_join_groups,
            "can_read_all_group_messages": self.can_read_all_group_messages,
            "supports_inline_queries": self.supports_inline_queries,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }
