"""The emulated Telegram world: one object composing every concept's state and methods."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .bot_settings import BotSettingsMixin
from .callbacks import CallbacksMixin
from .control import ControlMixin
from .editing import EditingMixin
from .errors import ApiError
from .methods import collect_methods
from .models import JSON, BotState
from .topics import TopicsMixin
from .updates import UpdatesMixin


class World(
    ControlMixin, EditingMixin, TopicsMixin, CallbacksMixin, BotSettingsMixin, UpdatesMixin
):
    """All state of one sandbox; :meth:`call` runs a Bot API method against it."""

    _methods: dict[str, Callable[[World, BotState, JSON], Any]]

    async def call(self, bot: BotState, method: str, params: JSON) -> Any:
        name = method.lower()
        self.take_fault(bot, name, params)
        # the only coroutine among the methods: it waits for updates
        if name == "getupdates":
            return await self.get_updates(bot, params)
        handler = self._methods.get(name)
        if handler is None:
            raise ApiError(404, "Not Found")
        return handler(self, bot, params)


World._methods = collect_methods(World)
