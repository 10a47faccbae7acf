"""Language-neutral ``callback_data``: short ASCII codes, at most 64 bytes, checked on arrival.

Button labels are translated; the data never is, so a press means the same thing whatever
language the keyboard was drawn in. Anything that does not parse is treated as forged.
"""

from __future__ import annotations

import re

MAX_BYTES = 64
_PART = re.compile(r"^[A-Za-z0-9_./+*\-]{1,48}$")


class CallbackDataError(ValueError):
    """Raised when a callback payload we build would be invalid (a bug, not user input)."""


def pack(*parts: str | int) -> str:
    text = ":".join(str(p) for p in parts)
    if len(text.encode()) > MAX_BYTES or not all(_PART.match(str(p)) for p in parts):
        raise CallbackDataError(f"invalid callback data {text!r}")
    return text


def parse(data: object) -> list[str] | None:
    """Split a payload that came from Telegram, or None if it is not one of ours."""
    if not isinstance(data, str) or not data or len(data.encode()) > MAX_BYTES:
        return None
    parts = data.split(":")
    if not all(_PART.match(p) for p in parts):
        return None
    return parts
