"""An async client for the sandbox's control API (``/control/…``)."""

from __future__ import annotations

from types import TracebackType
from typing import Any

import httpx

JSON = dict[str, Any]


class SandboxError(Exception):
    """A control API call failed; ``status`` is the HTTP status, ``body`` the JSON answer."""

    def __init__(self, status: int, body: Any) -> None:
        error = body.get("error") if isinstance(body, dict) else body
        super().__init__(f"{status}: {error}")
        self.status = status
        self.body = body


def _clean(values: dict[str, Any]) -> JSON:
    return {k: v for k, v in values.items() if v is not None}


class SandboxClient:
    """``async with SandboxClient(url) as c: await c.send_text(user_id, "/start")``."""

    def __init__(self, url: str, timeout: float = 30.0) -> None:
        self.url = url.rstrip("/")
        self._http = httpx.AsyncClient(base_url=self.url, timeout=timeout)

    async def __aenter__(self) -> SandboxClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    async def _call(
        self, method: str, path: str, body: JSON | None = None, params: JSON | None = None
    ) -> Any:
        resp = await self._http.request(
            method, f"/control/{path}", json=body, params=_clean(params or {}) or None
        )
        data = resp.json()
        if resp.status_code >= 400:
            raise SandboxError(resp.status_code, data)
        return data

    # ------------------------------------------------------------------ world
    async def create_bot(
        self, token: str, username: str | None = None, first_name: str | None = None
    ) -> JSON:
        result: JSON = await self._call("POST", "bots", _clean({"token": token, "username": username, "first_name": first_name}))  # fmt: skip
        return result

    async def create_user(
        self, first_name: str, last_name: str | None = None, username: str | None = None,
        language_code: str | None = None, is_premium: bool | None = None,
    ) -> JSON:  # fmt: skip
        body = _clean({"first_name": first_name, "last_name": last_name, "username": username,
                       "language_code": language_code, "is_premium": is_premium})  # fmt: skip
        result: JSON = await self._call("POST", "users", body)
        return result

    async def create_group(
        self, title: str, is_forum: bool = True, members: list[JSON] | None = None,
        bots: list[JSON] | None = None, type: str = "supergroup", username: str | None = None,
    ) -> JSON:  # fmt: skip
        body = _clean({"title": title, "is_forum": is_forum, "members": members or [], "bots": bots or [],
                       "type": type, "username": username})  # fmt: skip
        result: JSON = await self._call("POST", "groups", body)
        return result

    async def add_member(
        self, chat_id: int, user_id: int | None = None, status: str = "member", *,
        bot_id: int | None = None, token: str | None = None, **rights: Any,
    ) -> JSON:  # fmt: skip
        body = _clean(
            {"user_id": user_id, "bot_id": bot_id, "token": token, "status": status, **rights}
        )
        result: JSON = await self._call("POST", f"groups/{chat_id}/members", body)
        return result

    async def create_topic(self, chat_id: int, name: str, user_id: int | None = None,
                           icon_color: int | None = None) -> JSON:  # fmt: skip
        body = _clean(
            {"chat_id": chat_id, "name": name, "user_id": user_id, "icon_color": icon_color}
        )
        result: JSON = await self._call("POST", "topics", body)
        return result

    # ------------------------------------------------------------------ users act
    async def send(self, user_id: int, chat_id: int | None = None, **fields: Any) -> JSON:
        result: JSON = await self._call(
            "POST", "send", _clean({"user_id": user_id, "chat_id": chat_id, **fields})
        )
        return result

    async def send_text(
        self, user_id: int, text: str, chat_id: int | None = None, *,
        message_thread_id: int | None = None, reply_to_message_id: int | None = None,
        bot_id: int | None = None,
    ) -> JSON:  # fmt: skip
        return await self.send(user_id, chat_id, text=text, message_thread_id=message_thread_id,
                               reply_to_message_id=reply_to_message_id, bot_id=bot_id)  # fmt: skip

    async def send_command(
        self, user_id: int, command: str, chat_id: int | None = None, *,
        message_thread_id: int | None = None, bot_id: int | None = None,
    ) -> JSON:  # fmt: skip
        return await self.send_text(
            user_id, command, chat_id, message_thread_id=message_thread_id, bot_id=bot_id
        )

    async def send_photo(self, user_id: int, chat_id: int | None = None, caption: str | None = None,
                         **fields: Any) -> JSON:  # fmt: skip
        return await self.send(user_id, chat_id, photo=True, caption=caption, **fields)

    async def send_document(
        self, user_id: int, file_name: str = "file.txt", content: str = "document content",
        mime_type: str = "text/plain", chat_id: int | None = None, caption: str | None = None,
        **fields: Any,
    ) -> JSON:  # fmt: skip
        doc = {"file_name": file_name, "content": content, "mime_type": mime_type}
        return await self.send(user_id, chat_id, document=doc, caption=caption, **fields)

    async def send_sticker(self, user_id: int, chat_id: int | None = None, emoji: str = "🙂",
                           **fields: Any) -> JSON:  # fmt: skip
        return await self.send(user_id, chat_id, sticker=emoji, **fields)

    async def send_location(self, user_id: int, latitude: float, longitude: float,
                            chat_id: int | None = None, **fields: Any) -> JSON:  # fmt: skip
        """Share a location (``Message.location``), as 📎 → Location does."""
        return await self.send(user_id, chat_id, location={"latitude": latitude, "longitude": longitude}, **fields)

    async def send_voice(self, user_id: int, chat_id: int | None = None, **fields: Any) -> JSON:
        return await self.send(user_id, chat_id, voice=True, **fields)

    async def edit(self, user_id: int, chat_id: int, message_id: int, text: str,
                   bot_id: int | None = None) -> JSON:  # fmt: skip
        body = _clean({"user_id": user_id, "chat_id": chat_id, "message_id": message_id, "text": text, "bot_id": bot_id})  # fmt: skip
        result: JSON = await self._call("POST", "edit", body)
        return result

    async def delete(self, chat_id: int, message_id: int, user_id: int | None = None) -> JSON:
        result: JSON = await self._call("POST", "delete", _clean({"chat_id": chat_id, "message_id": message_id, "user_id": user_id}))  # fmt: skip
        return result

    async def press(self, user_id: int, chat_id: int, message_id: int, data: str, *,
                    force: bool = False, bot_id: int | None = None) -> str:  # fmt: skip
        body = _clean({"user_id": user_id, "chat_id": chat_id, "message_id": message_id, "data": data,
                       "force": force or None, "bot_id": bot_id})  # fmt: skip
        result = await self._call("POST", "press", body)
        return str(result["callback_query_id"])

    async def callback_answer(self, callback_query_id: str, wait: float = 0.0) -> JSON:
        result: JSON = await self._call(
            "GET", f"callback_answers/{callback_query_id}", params={"wait": wait}
        )
        return result

    async def block(self, user_id: int, blocked: bool = True, bot_id: int | None = None) -> JSON:
        result: JSON = await self._call("POST", "block", _clean({"user_id": user_id, "blocked": blocked, "bot_id": bot_id}))  # fmt: skip
        return result

    # ------------------------------------------------------------------ observe
    async def messages(
        self, chat_id: int, thread_id: int | None = None, from_bot: bool | None = None,
        after_message_id: int | None = None, since_seq: int | None = None,
        bot_id: int | None = None, include_deleted: bool = False,
    ) -> list[JSON]:  # fmt: skip
        body = _clean({"chat_id": chat_id, "thread_id": thread_id, "from_bot": from_bot,
                       "after_message_id": after_message_id, "since_seq": since_seq,
                       "bot_id": bot_id, "include_deleted": include_deleted or None})  # fmt: skip
        result: list[JSON] = await self._call("POST", "messages", body)
        return result

    async def wait_for(
        self, chat_id: int, count: int = 1, timeout: float = 10.0, *,  # noqa: ASYNC109
        thread_id: int | None = None, from_bot: bool | None = True,
        after_message_id: int | None = None, since_seq: int | None = None,
        text_contains: str | None = None, bot_id: int | None = None,
    ) -> list[JSON]:  # fmt: skip
        """Wait until ``count`` matching messages exist; returns all the matching ones."""
        body = _clean({"chat_id": chat_id, "count": count, "timeout": timeout, "thread_id": thread_id,
                       "from_bot": from_bot, "after_message_id": after_message_id,
                       "since_seq": since_seq, "text_contains": text_contains, "bot_id": bot_id})  # fmt: skip
        result = await self._call("POST", "wait", body)
        messages: list[JSON] = result["messages"]
        return messages

    async def commands(self, scope: str = "default", language_code: str | None = None, *,
                       chat_id: int | None = None, user_id: int | None = None,
                       bot_id: int | None = None) -> list[JSON]:  # fmt: skip
        params = {"scope": scope, "language_code": language_code, "chat_id": chat_id,
                  "user_id": user_id, "bot_id": bot_id}  # fmt: skip
        result: list[JSON] = await self._call("GET", "commands", params=params)
        return result

    async def effective_commands(self, user_id: int, chat_id: int | None = None,
                                 language_code: str | None = None, bot_id: int | None = None) -> list[JSON]:  # fmt: skip
        params = {
            "user_id": user_id,
            "chat_id": chat_id,
            "language_code": language_code,
            "bot_id": bot_id,
        }
        result: list[JSON] = await self._call("GET", "commands/effective", params=params)
        return result

    async def inject_fault(
        self, method: str, error_code: int = 400, description: str | None = None, *,
        chat_id: int | str | None = None, retry_after: float | None = None, count: int = 1,
        migrate_to_chat_id: int | None = None, bot_id: int | None = None,
    ) -> JSON:  # fmt: skip
        body = _clean({"method": method, "error_code": error_code, "description": description,
                       "chat_id": chat_id, "retry_after": retry_after, "count": count,
                       "migrate_to_chat_id": migrate_to_chat_id, "bot_id": bot_id})  # fmt: skip
        result: JSON = await self._call("POST", "faults", body)
        return result

    async def clear_faults(self) -> None:
        await self._call("DELETE", "faults")

    async def log(
        self, method: str | None = None, since: int = 0, bot_id: int | None = None
    ) -> list[JSON]:
        result: list[JSON] = await self._call("GET", "log", params={"method": method, "since": since, "bot_id": bot_id})  # fmt: skip
        return result

    async def reset(self) -> None:
        await self._call("POST", "reset")

    async def set_limits(self, **limits: Any) -> JSON:
        result: JSON = await self._call("POST", "limits", limits)
        return result

    async def advance_clock(self, seconds: float) -> JSON:
        result: JSON = await self._call("POST", "clock", {"advance": seconds})
        return result

    async def state(self) -> JSON:
        result: JSON = await self._call("GET", "state")
        return result

    async def push_update(self, update: JSON, bot_id: int | None = None) -> int:
        """Queue an update of any shape for the bot (robustness tests); returns its id."""
        result = await self._call("POST", "updates", _clean({"update": update, "bot_id": bot_id}))
        return int(result["update_id"])

    async def updates(self, bot_id: int | None = None) -> list[JSON]:
        """The bot's pending (unconfirmed) updates, for debugging."""
        result: list[JSON] = await self._call("GET", "updates", params={"bot_id": bot_id})
        return result
