"""Forum topics: creation, editing, closing and deletion."""

from __future__ import annotations

from typing import Any

from .chats import ChatsMixin
from .errors import bad
from .models import JSON, BotState, Chat, Topic
from .params import p_get, p_int, p_str

TOPIC_COLORS = (7322096, 16766590, 13338331, 9367192, 16749490, 16478047)


class TopicsMixin(ChatsMixin):
    """Topics of forum supergroups, each identified by its creation message."""

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

    # ------------------------------------------------------------------ Bot API
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
