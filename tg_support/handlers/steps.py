"""Private-chat routing by conversation step: each feature declares the steps it owns.

PTB's ``ConversationHandler(states=...)`` shape, with the state kept in Redis (see
``core.store``): a feature maps its step names (or a ``prefix:`` for a family of steps) to
one handler, and may offer a handler for messages that no step owns. ``app.py`` puts the
features' tables together; the router in ``private.py`` only looks them up.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field

from telegram import Update

from tg_support.core.i18n import _
from tg_support.core.services import Ctx
from tg_support.core.store import Conversation

from .common import reply

# ``text`` is the message's text, or None for a message without text (media, stickers).
StepHandler = Callable[[Update, Ctx, Conversation, str | None], Awaitable[None]]
# Tried in order for a message no step owns; True when it took the message.
FreeHandler = Callable[[Update, Ctx, Conversation, str | None], Awaitable[bool]]


@dataclass(frozen=True)
class Routes:
    """The private-chat routing table."""

    steps: Mapping[str, StepHandler] = field(default_factory=dict)
    free: Sequence[FreeHandler] = ()
    # Steps that are free conversation (a question thread): their messages go to ``free``.
    free_prefixes: tuple[str, ...] = ()
    # Steps whose handler checks the length itself (e.g. a broadcast's text).
    long_text_prefixes: tuple[str, ...] = ()

    def find(self, step: str | None) -> StepHandler | None:
        """The handler of ``step``; None when the message is free conversation."""
        if step is None or step.startswith(self.free_prefixes):
            return None
        found = self.steps.get(step)
        if found is None and ":" in step:
            found = self.steps.get(step.split(":", 1)[0] + ":")
        return found or buttons_step

    def takes_long_text(self, step: str | None) -> bool:
        return step is not None and step.startswith(self.long_text_prefixes)


async def buttons_step(update: Update, ctx: Ctx, conv: Conversation, text: str | None) -> None:
    """A message while a button step waits: point at the buttons instead of guessing."""
    await reply(update, ctx, _("Please choose one of the buttons above, or send /cancel to stop."))
