"""The sandbox's clock: monotonic seconds that tests can freeze and move by hand."""

from __future__ import annotations

import time


class Clock:
    """Monotonic seconds; ``manual=True`` freezes it so only :meth:`advance` moves it."""

    def __init__(self, manual: bool = False) -> None:
        self.manual = manual
        self.offset = 0.0
        self._base = time.monotonic()

    def __call__(self) -> float:
        return (self._base if self.manual else time.monotonic()) + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += seconds
