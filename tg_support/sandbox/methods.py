"""The Bot API method table: which handler answers each lower-cased method name."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from .bot_settings import BotSettingsMixin
from .models import JSON, BotState

W = TypeVar("W", bound=BotSettingsMixin)

# accepted and answered with True: nothing the sandbox shows depends on their effect
ACCEPTED_ONLY = (
    "logout", "close", "setchatdescription", "setchattitle", "setmessagereaction",
    "setmydefaultadministratorrights", "approvechatjoinrequest", "declinechatjoinrequest",
)  # fmt: skip
# (kind, result key, maximum length) behind setMyName/getMyName and their siblings
BOT_TEXTS = (
    ("name", "name", 64),
    ("description", "description", 512),
    ("short_description", "short_description", 120),
)


def accept(world: object, bot: BotState, params: JSON) -> Any:
    return True


def collect_methods(cls: type[W]) -> dict[str, Callable[[W, BotState, JSON], Any]]:
    """Each ``m_<name>`` method of ``cls`` answers ``<name>``; the others are built here."""
    methods: dict[str, Callable[[W, BotState, JSON], Any]] = {}
    for name in dir(cls):
        if name.startswith("m_"):
            methods[name[2:]] = getattr(cls, name)
    for name in ACCEPTED_ONLY:
        methods[name] = accept
    for kind, key, limit in BOT_TEXTS:
        flat = kind.replace("_", "")
        methods[f"setmy{flat}"] = cls._set_text(kind, key, limit)
        methods[f"getmy{flat}"] = cls._get_text(kind, key)
    return methods
