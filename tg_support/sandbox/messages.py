"""Sending messages: text, media, media groups, copies, forwards and chat actions."""

from __future__ import annotations

from typing import Any

from .chats import ChatsMixin
from .entities import format_text
from .errors import ApiError, bad
from .files import MEDIA_KINDS, FilesMixin
from .markup import validate_markup
from .models import JSON, BotState, Chat, StoredMessage
from .params import p_bool, p_get, p_int, p_json, p_req_int, p_str

SENDING_METHODS = frozenset(
    {
        "sendmessage", "sendphoto", "senddocument", "sendsticker", "sendvoice", "sendvideo",
        "sendaudio", "sendanimation", "sendvideonote", "sendmediagroup", "copymessage",
        "forwardmessage", "copymessages", "forwardmessages", "sendlocation", "sendcontact",
        "senddice", "sendpoll", "sendvenue",
    }
)  # fmt: skip
# what copies and forwards take over from the original message
CONTENT_KEYS = ("text", "entities", "caption", "caption_entities", "link_preview_options", *MEDIA_KINDS)  # fmt: skip
CHAT_ACTIONS = frozenset(
    {
        "typing", "upload_photo", "record_video", "upload_video", "record_voice",
        "upload_voice", "upload_document", "choose_sticker", "find_location",
        "record_video_note", "upload_video_note",
    }
)  # fmt: skip


class MessagesMixin(ChatsMixin, FilesMixin):
    """The Bot API's sending methods and the checks every sent message goes through."""

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

    # ------------------------------------------------------------------ Bot API
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

    def m_copymessage(self, bot: BotState, params: JSON) -> Any:
        _src_chat, src = self._source_message(bot, params)
        chat, thread_id, reply_to = self._prepare_send(bot, params)
        if not any(k in src.data for k in ("text", *MEDIA_KINDS)):
            raise bad("message can't be copied")
        data = self._new_message(chat, bot.user(), thread_id, reply_to)
        for k in CONTENT_KEYS:
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
        for k in CONTENT_KEYS:
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
