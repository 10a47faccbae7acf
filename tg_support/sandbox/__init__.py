"""A standalone Telegram Bot API emulator (no dependency on the rest of tg_support).

Point an unmodified python-telegram-bot application at it with
``ApplicationBuilder().token(T).base_url(sandbox.bot_api_url).base_file_url(sandbox.file_url)``
and drive the users' side through the control API (:class:`SandboxClient`).
"""

from .client import SandboxClient
from .limits import Limits
from .server import Sandbox, serve

__all__ = ["Limits", "Sandbox", "SandboxClient", "serve"]
