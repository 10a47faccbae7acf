"""Coalescing of concurrent calls into one batch call.

With many updates in flight, calls that each cost a Redis round trip (rate-limit checks, RQ
enqueues) tend to arrive together. A :class:`Batcher` sends the calls made while a batch is on
its way as the next batch: one round trip for a burst instead of one each, and no added wait
for a lone call (its batch leaves on the next turn of the event loop).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")

# Runs a batch; returns one result per item, in order. An item's Exception fails that
# item's caller alone; an exception raised by the runner fails every caller of the batch.
Runner = Callable[[list[T]], Awaitable[Sequence[R | Exception]]]


class Batcher(Generic[T, R]):
    def __init__(self, run: Runner[T, R]) -> None:
        self._run = run
        self._pending: list[tuple[T, asyncio.Future[R]]] = []
        self._flusher: asyncio.Task[None] | None = None

    async def __call__(self, item: T) -> R:
        loop = asyncio.get_running_loop()
        done: asyncio.Future[R] = loop.create_future()
        if self._flusher is not None and self._flusher.get_loop() is not loop:
            # Used from a new event loop (a worker's job, a test): what the old loop left
            # behind can never run.
            self._flusher, self._pending = None, []
        self._pending.append((item, done))
        if self._flusher is None or self._flusher.done():
            self._flusher = loop.create_task(self._flush())
        return await done

    async def _flush(self) -> None:
        while self._pending:
            batch, self._pending = self._pending, []
            try:
                results = await self._run([item for item, _ in batch])
            except BaseException as exc:  # e.g. Redis down, or cancelled: every caller hears it
                for _, done in batch:
                    if not done.done():
                        done.set_exception(exc)
                if not isinstance(exc, Exception):
                    raise
                continue
            for (_, done), result in zip(batch, results, strict=True):
                if done.done():  # the caller was cancelled
                    continue
                if isinstance(result, Exception):
                    done.set_exception(result)
                else:
                    done.set_result(result)
