"""A standalone Telegram Bot API emulator (no dependency on the rest of tg_support).

Point an unmodified python-telegram-bot application at it with
``ApplicationBuilder().token(T).base_url(sandbox.bot_api_url).base_file_url(sandbox.file_url)``
and drive the users' side through the control API (:class:`SandboxClient`).

The emulated world (:class:`~tg_support.sandbox.world.World`) is plain in-memory state driven
from one asyncio event loop. Bot API methods are implemented by ``World.call`` (which raises
``ApiError`` with Telegram's texts); the control API drives the users' side (``user_send`` …).
``World`` composes one mixin per concept (chats, files, messages, editing, topics, updates,
bot settings, callbacks, the users' side) over ``WorldCore``, which holds the state.

Conventions:

* private chats are kept per (bot, user): the chat id is the user id, as in Telegram, but
  each bot has its own conversation with a user;
* supergroup ids are ``-100…`` and increase; message ids increase per chat;
* forum topics are identified by the id of their creation service message; the General
  topic (id 1) is implicit and its messages carry no ``message_thread_id``;
* every change of a message (create, edit, delete) takes a new world-wide sequence number
  ``seq`` so that waiters can ask for "anything that changed since N".
"""

from .client import SandboxClient
from .limits import Limits
from .server import Sandbox, serve

__all__ = ["Limits", "Sandbox", "SandboxClient", "serve"]
