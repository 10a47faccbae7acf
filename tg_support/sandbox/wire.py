"""What the Bot API and the control API share on the wire: the world's app key, compact JSON
and the decoding of form fields."""

from __future__ import annotations

import json
import re
from typing import Any

import aiohttp
from aiohttp import web

from .world import World

WORLD_KEY: web.AppKey[World] = web.AppKey("world", World)
SESSION_KEY: web.AppKey[list[aiohttp.ClientSession]] = web.AppKey("session", list)

# parameters that are strings in the Bot API (never JSON-decoded from a form field)
STRING_KEYS = frozenset(
    {
        "text", "caption", "data", "name", "description", "short_description", "parse_mode",
        "callback_query_id", "url", "secret_token", "file_id", "language_code", "emoji",
        "title", "query", "inline_message_id", "action", "icon_custom_emoji_id", "ip_address",
        "business_connection_id", "message_effect_id", "photo", "document", "sticker",
        "voice", "video", "audio", "animation", "video_note", "thumbnail", "custom_title",
        "address", "first_name", "last_name", "phone_number", "question", "explanation",
    }
)  # fmt: skip
_NUMBER_RE = re.compile(r"^-?\d+(\.\d+)?([eE][+-]?\d+)?$")


def dumps(obj: Any) -> bytes:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode()


def coerce(key: str, value: Any) -> Any:
    """Form fields carry JSON-encoded values for everything that is not a string."""
    if not isinstance(value, str) or key in STRING_KEYS or not value:
        return value
    first = value[0]
    if first in "{[" or value in ("true", "false", "null") or _NUMBER_RE.match(value):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def json_response(body: Any, status: int) -> web.Response:
    return web.Response(body=dumps(body), status=status, content_type="application/json")
