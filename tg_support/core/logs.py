"""Logging set-up that keeps the bot token out of every log line."""

from __future__ import annotations

import logging
import re

_TOKEN_IN_TEXT = re.compile(r"\d{3,20}:[A-Za-z0-9_-]{10,}")


class RedactTokens(logging.Filter):
    """httpx logs full URLs, and Bot API URLs contain the token: mask anything token-shaped."""

    def filter(self, record: logging.LogRecord) -> bool:
        msg = record.getMessage()
        if _TOKEN_IN_TEXT.search(msg):
            record.msg = _TOKEN_IN_TEXT.sub("<token>", msg)
            record.args = None
        return True


def setup_logging(level: str = "INFO") -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactTokens())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # One line per HTTP request is noise at INFO, and it is where tokens would leak.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
