"""Changing sent messages: edits, deletions and pins."""

from __future__ import annotations

import contextlib
from typing import Any

from .entities import format_text
from .errors import ApiError, bad
from .files import MEDIA_KINDS
from .markup import validate_markup
from .messages import MessagesMixin
from .models import JSON, BotState, Chat, StoredMessage
from .params import p_get, p_int, p_json, p_req_int

EDIT_METHODS = frozenset({"editmessagetext", "editmessagecaption", "editmessagereplymarkup", "editmessagemedia"})  # fmt: skip
NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)


class EditingMixin(MessagesMixin):
    """The Bot API's methods that edit, delete, pin and unpin messages."""

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
