"""Reply markup validation: inline keyboards, reply keyboards, keyboard removal, force reply."""

from __future__ import annotations

import re
from typing import Any

from .errors import bad
from .models import JSON

# inline buttons that need neither callback_data nor url
_OTHER_INLINE_ACTIONS = (
    "login_url", "switch_inline_query", "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat", "callback_game", "pay", "web_app", "copy_text",
)  # fmt: skip
_MAX_INLINE_BUTTONS = 100


def validate_markup(markup: Any) -> JSON | None:
    """The ``reply_markup`` a request may carry, as stored on the message (or None)."""
    if markup is None:
        return None
    if not isinstance(markup, dict):
        raise bad("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" in markup:
        return {"inline_keyboard": _inline_keyboard(markup["inline_keyboard"])}
    if "keyboard" in markup:
        _check_reply_keyboard(markup["keyboard"])
        return markup
    if markup.get("remove_keyboard") or markup.get("force_reply"):
        return markup
    raise bad("can't parse reply keyboard markup JSON object")


def _inline_keyboard(rows: Any) -> list[Any]:
    if not isinstance(rows, list):
        raise bad('field "inline_keyboard" of the InlineKeyboardMarkup must be an Array')
    total = 0
    for row in rows:
        if not isinstance(row, list):
            raise bad("can't parse inline keyboard button: InlineKeyboardButton must be an Object")
        for button in row:
            total += 1
            _check_inline_button(button)
    if total > _MAX_INLINE_BUTTONS:
        raise bad("reply markup is too long")
    return rows


def _check_inline_button(button: Any) -> None:
    if not isinstance(button, dict):
        raise bad("can't parse inline keyboard button: InlineKeyboardButton must be an Object")
    if not button.get("text"):
        raise bad("BUTTON_TEXT_EMPTY")
    if "callback_data" in button:
        data = button["callback_data"]
        if not isinstance(data, str) or not 1 <= len(data.encode()) <= 64:
            raise bad("BUTTON_DATA_INVALID")
    elif "url" in button:
        if not re.match(r"^(https?|tg)://\S+$", str(button["url"])):
            raise bad("BUTTON_URL_INVALID")
    elif not any(k in button for k in _OTHER_INLINE_ACTIONS):
        raise bad(
            "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"
        )


def _check_reply_keyboard(rows: Any) -> None:
    if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
        raise bad('field "keyboard" of the ReplyKeyboardMarkup must be an Array of Arrays')
    for row in rows:
        for button in row:
            text: Any = None
            if isinstance(button, str):
                text = button
            elif isinstance(button, dict):
                text = button.get("text")
            if not text:
                raise bad("BUTTON_TEXT_EMPTY")
