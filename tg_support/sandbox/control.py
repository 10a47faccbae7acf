"""The users' side as the control API drives it: sending, editing and deleting messages,
blocking bots, reading chats."""

from __future__ import annotations

from .entities import detect_entities
from .errors import ApiError, ControlError
from .files import TINY_PNG
from .messages import MessagesMixin
from .models import JSON, PRESENT, BotState, Chat, StoredMessage


class ControlMixin(MessagesMixin):
    """What users do, as the control API asks."""

    def user_send(self, spec: JSON) -> JSON:
        user = self.user(spec.get("user_id"))
        uid = int(user["id"])
        chat = self.control_chat(spec.get("chat_id"), spec.get("bot_id"), uid)
        targets = self._user_targets(chat, uid)
        reply_to, thread_id = self._user_placement(chat, uid, spec)
        data = self._new_message(chat, user, thread_id, reply_to)
        if self._add_user_media(data, spec):
            cap = spec.get("caption") if spec.get("caption") is not None else spec.get("text")
            if cap:
                data["caption"] = str(cap)
                ents = detect_entities(str(cap))
                if ents:
                    data["caption_entities"] = ents
        else:
            text = spec.get("text")
            if not text:
                raise ControlError(400, "text (or photo/document/sticker/voice/location) is required")
            data["text"] = str(text)
            ents = spec.get("entities") or detect_entities(str(text))
            if ents:
                data["entities"] = ents
        msg = self._store(chat, data, uid, False, thread_id)
        for bot in targets:
            self.push_update(bot, "message", data)
        return msg.control_json()

    def _user_targets(self, chat: Chat, uid: int) -> list[BotState]:
        """The bots that receive what a user says in a chat."""
        if chat.type == "private":
            bot = self.bots[chat.bot_id or 0]
            # writing to a bot one has blocked unblocks it, as in Telegram
            if (uid, bot.id) in self.blocked:
                self.set_blocked(uid, bot, False)
            return [bot]
        m = chat.members.get(uid)
        if m is None or m.status not in PRESENT:
            raise ControlError(403, f"user {uid} is not a member of chat {chat.id}")
        return self._group_bots(chat)

    def _user_placement(
        self, chat: Chat, uid: int, spec: JSON
    ) -> tuple[StoredMessage | None, int | None]:
        """The message a user replies to and the topic the new message goes to."""
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
        return reply_to, thread_id

    def _add_user_media(self, data: JSON, spec: JSON) -> bool:
        """Attach the photo, document, sticker, voice or location a user sends; False when there is none."""
        if spec.get("photo"):
            content = spec["photo"].encode() if isinstance(spec["photo"], str) else TINY_PNG
            data["photo"] = self.media_object(
                "photo", self.new_file("photo", content, width=800, height=800)
            )
        elif spec.get("document"):
            doc = spec["document"] if isinstance(spec["document"], dict) else {}
            content = str(doc.get("content", "document content")).encode()
            rec = self.new_file("document", content, doc.get("file_name") or "file.txt",
                                doc.get("mime_type") or "text/plain")  # fmt: skip
            data["document"] = self.media_object("document", rec)
        elif spec.get("sticker"):
            emoji = spec["sticker"] if isinstance(spec["sticker"], str) else "🙂"
            data["sticker"] = self.media_object(
                "sticker", self.new_file("sticker", b"RIFF-webp"), {"emoji": emoji}
            )
        elif isinstance(spec.get("location"), dict):
            # A shared location (Message.location): no file, no caption.
            loc = spec["location"]
            try:
                lat, lon = float(loc["latitude"]), float(loc["longitude"])
            except (KeyError, TypeError, ValueError):
                raise ControlError(400, "location needs latitude and longitude") from None
            if not (-90 <= lat <= 90 and -180 <= lon <= 180):
                raise ControlError(400, "location is out of range")
            data["location"] = {"latitude": lat, "longitude": lon}
            if loc.get("horizontal_accuracy") is not None:
                data["location"]["horizontal_accuracy"] = float(loc["horizontal_accuracy"])
            return True
        elif spec.get("voice"):
            data["voice"] = self.media_object("voice", self.new_file("voice", b"OggS-voice"), {"duration": spec.get("duration")})  # fmt: skip
        else:
            return False
        return True

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
