"""What a bot says about itself: getMe, commands per scope and language, name, descriptions
and menu button."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from .chats import ADMIN_RIGHTS, ChatsMixin
from .errors import bad
from .models import JSON, BotState, Chat
from .params import p_int, p_json, p_req_int, p_str


class BotSettingsMixin(ChatsMixin):
    """A bot's own settings, and the commands a user sees resolved from them."""

    def m_getme(self, bot: BotState, params: JSON) -> Any:
        return bot.me()

    def scope_key(self, bot: BotState, scope: Any) -> str:
        if scope is None or scope == {}:
            return "default"
        if not isinstance(scope, dict):
            raise bad("can't parse BotCommandScope JSON object")
        kind = scope.get("type")
        if kind in ("default", "all_private_chats", "all_group_chats", "all_chat_administrators"):
            return str(kind)
        if kind in ("chat", "chat_administrators", "chat_member"):
            chat = self.resolve_chat(bot, scope.get("chat_id"))
            if kind == "chat_member":
                uid = p_req_int(scope, "user_id")
                if uid not in self.users:
                    raise bad("user not found")
                return f"chat_member:{chat.id}:{uid}"
            return f"{kind}:{chat.id}"
        raise bad("wrong BotCommandScope type specified")

    def _lang(self, params: JSON) -> str:
        lang = p_str(params, "language_code") or ""
        if lang and not re.fullmatch(r"[a-z]{2}", lang):
            raise bad("invalid language code specified")
        return lang

    def m_setmycommands(self, bot: BotState, params: JSON) -> Any:
        commands = p_json(params, "commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise bad(
                "can't parse commands JSON object"
                if not isinstance(commands, list)
                else "too many commands"
            )
        clean: list[JSON] = []
        for c in commands:
            if not isinstance(c, dict):
                raise bad("can't parse BotCommand JSON object")
            cmd = str(c.get("command") or "").lstrip("/")
            desc = str(c.get("description") or "")
            if not re.fullmatch(r"[a-z0-9_]{1,32}", cmd):
                raise bad("BOT_COMMAND_INVALID")
            if not 1 <= len(desc) <= 256:
                raise bad("BOT_COMMAND_DESCRIPTION_INVALID")
            clean.append({"command": cmd, "description": desc})
        key = (self.scope_key(bot, p_json(params, "scope")), self._lang(params))
        if clean:
            bot.commands[key] = clean
        else:
            bot.commands.pop(key, None)
        self.emit("commands_set", {"bot_id": bot.id, "scope": key[0], "language_code": key[1], "commands": clean})  # fmt: skip
        return True

    def m_getmycommands(self, bot: BotState, params: JSON) -> Any:
        key = (self.scope_key(bot, p_json(params, "scope")), self._lang(params))
        return bot.commands.get(key, [])

    def m_deletemycommands(self, bot: BotState, params: JSON) -> Any:
        key = (self.scope_key(bot, p_json(params, "scope")), self._lang(params))
        bot.commands.pop(key, None)
        return True

    def effective_commands(self, bot: BotState, chat: Chat, user_id: int, lang: str) -> list[JSON]:
        """What a user sees in a chat, following Telegram's scope resolution order."""
        if chat.type == "private":
            keys = [f"chat:{chat.id}", "all_private_chats", "default"]
        else:
            admin = self.is_admin(chat, user_id)
            keys = [f"chat_member:{chat.id}:{user_id}"]
            if admin:
                keys.append(f"chat_administrators:{chat.id}")
            keys.append(f"chat:{chat.id}")
            if admin:
                keys.append("all_chat_administrators")
            keys += ["all_group_chats", "default"]
        for key in keys:
            for lg in ([lang] if lang else []) + [""]:
                if (key, lg) in bot.commands:
                    return bot.commands[(key, lg)]
        return []

    @staticmethod
    def _set_text(
        kind: str, key: str, limit: int
    ) -> Callable[[BotSettingsMixin, BotState, JSON], Any]:
        def setter(world: BotSettingsMixin, bot: BotState, params: JSON) -> Any:
            value = p_str(params, key) or ""
            if len(value) > limit:
                raise bad(f"{kind} is too long")
            lang = world._lang(params)
            if value:
                bot.texts[(kind, lang)] = value
            else:
                bot.texts.pop((kind, lang), None)
            if kind == "name" and not lang and value:
                bot.first_name = value
            return True

        return setter

    @staticmethod
    def _get_text(kind: str, key: str) -> Callable[[BotSettingsMixin, BotState, JSON], Any]:
        def getter(world: BotSettingsMixin, bot: BotState, params: JSON) -> Any:
            lang = world._lang(params)
            value = bot.texts.get(
                (kind, lang), bot.texts.get((kind, ""), bot.first_name if kind == "name" else "")
            )
            return {key: value}

        return getter

    def m_setchatmenubutton(self, bot: BotState, params: JSON) -> Any:
        button = p_json(params, "menu_button") or {"type": "default"}
        cid = p_int(params, "chat_id", required=False) or 0
        bot.menu_buttons[cid] = button
        return True

    def m_getchatmenubutton(self, bot: BotState, params: JSON) -> Any:
        cid = p_int(params, "chat_id", required=False) or 0
        return bot.menu_buttons.get(cid, bot.menu_buttons.get(0, {"type": "commands"}))

    def m_getmydefaultadministratorrights(self, bot: BotState, params: JSON) -> Any:
        return {"is_anonymous": False, **{r: False for r in ADMIN_RIGHTS}}
