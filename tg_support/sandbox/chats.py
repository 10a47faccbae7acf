"""Chats and their members: lookup, membership changes and the chat-reading Bot API methods."""

from __future__ import annotations

from typing import Any

from .core import WorldCore
from .errors import ControlError, bad, forbidden
from .models import JSON, MEMBER_STATUSES, PRESENT, BotState, Chat, Member
from .params import p_get, p_req_int

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


class ChatsMixin(WorldCore):
    """Private chats per (bot, user), groups, members and their rights."""

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

    # ------------------------------------------------------------------ Bot API
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
