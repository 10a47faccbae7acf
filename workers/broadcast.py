"""Broadcast jobs (see ``tg_support.broadcast`` for the data model and the exactly-once design).

* :func:`prepare` (``translate`` queue): translate the text into every audience language,
  then show the admin a preview per language and the confirm panel;
* :func:`start` (``broadcast`` queue; at once or scheduled): snapshot the audience, post the
  progress message, enqueue one :func:`deliver` job per chunk;
* :func:`deliver` (``broadcast`` queue): send to one chunk's recipients through the shared
  rate limiter at low priority; the last chunk to finish posts the report.

Every job takes ids only and is idempotent; re-runs skip what is recorded.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
import uuid
from typing import Any

from rq import Queue, Retry
from telegram import MessageEntity
from telegram.error import BadRequest, ChatMigrated, Forbidden, NetworkError, RetryAfter, TimedOut

from tg_support.broadcast import broadcasts as bc
from tg_support.broadcast import texts as bc_texts
from tg_support.core.i18n import use_locale
from tg_support.core.sending import SendCancelled, send_once
from tg_support.translation import argos as translation

from .runtime import Runtime, run

log = logging.getLogger(__name__)

PROGRESS_EVERY = 2.0  # seconds between progress edits, across all workers


def _broadcasts(rt: Runtime) -> bc.Broadcasts:
    return bc.Broadcasts(rt.store.redis, rt.settings.redis_prefix)


def job_id(prefix: str, *parts: object) -> str:
    safe = re.sub(r"[^A-Za-z0-9_-]", "_", prefix)
    return "-".join([safe + "bc", *(str(p) for p in parts)])


def chunk_options(rt: Runtime) -> dict[str, Any]:
    return {"job_timeout": rt.settings.broadcast_job_timeout_seconds, "retry": Retry(max=3)}


def _enqueue(rt: Runtime, func: Any, *args: Any, job: str, **options: Any) -> None:
    from tg_support.core.redis_conn import sync_client

    assert rt.settings.redis_url is not None
    conn = sync_client(rt.settings.redis_url, decode_responses=False)
    try:
        Queue(rt.settings.redis_prefix + "broadcast", connection=conn).enqueue(
            func, *args, job_id=job, **options
        )
    finally:
        conn.close()


# --- prepare: translations and preview -----------------------------------------------------


def prepare(bid: str) -> str:
    return run(lambda rt: _prepare(rt, bid))


async def _prepare(rt: Runtime, bid: str) -> str:
    store = _broadcasts(rt)
    b = await store.get(bid)
    if b is None or b.status != "translating":
        return "skipped"
    recipients = await store.resolve(b.aud, b.src)
    langs = sorted({lang for _, lang in recipients} | {b.src})
    have = await store.texts(bid)
    ents = [MessageEntity.de_json(e, None) for e in b.entity_list()]
    cache = translation.TranslationCache(rt.store.redis, rt.settings.redis_prefix)
    for lang in langs:
        if lang in have:
            continue
        if lang == b.src:
            await store.set_text(bid, lang, b.text, b.entity_list(), "original")
            continue
        [res] = await translation.translate_messages(
            cache, translation.translator(), [(b.text, ents)], b.src, lang, people=[b.admin]
        )
        if res.translated:
            await store.set_text(
                bid, lang, res.text, [e.to_dict() for e in res.entities], "machine"
            )
        else:
            await store.set_text(bid, lang, b.text, b.entity_list(), "untranslated")
    if not await store.transition(bid, ["translating"], "preview"):
        return "skipped"
    counts: dict[str, int] = {}
    for _, lang in recipients:
        counts[lang] = counts.get(lang, 0) + 1
    await bc_texts.send_previews(rt.bot, rt.store.redis, rt.settings.redis_prefix, store, bid, counts)
    return "preview"


# --- start: snapshot and chunks ------------------------------------------------------------


def start(bid: str) -> str:
    return run(lambda rt: _start(rt, bid))


async def _start(rt: Runtime, bid: str) -> str:
    store = _broadcasts(rt)
    b = await store.get(bid)
    if b is None or b.status not in ("queued", "scheduled", "running"):
        return "skipped"
    await store.transition(bid, ["queued", "scheduled"], "running")
    recipients = await store.resolve(b.aud, b.src)
    chunks = await store.plan(bid, recipients, rt.settings.broadcast_chunk_size)
    b = await store.get(bid)
    assert b is not None
    with use_locale(b.locale):
        text = bc_texts.progress_text(b, bc.Counts(), 0.0)

    async def post() -> Any:
        return await rt.bot.send_message(b.admin, text)

    msg_id = await send_once(rt.store.redis, rt.settings.redis_prefix, f"bc:{bid}:progress", post)
    if msg_id is not None:
        await store.update(bid, progress=msg_id)
    if chunks == 0:
        await _finalize(rt, store, bid)
        return "empty"
    for i in range(chunks):
        _enqueue(rt, deliver, bid, i, 0, job=job_id(rt.settings.redis_prefix, bid, i, 0),
                 **chunk_options(rt))  # fmt: skip
    return f"{chunks} chunks"


# --- deliver: one chunk --------------------------------------------------------------------


def deliver(bid: str, index: int, part: int = 0) -> str:
    return run(lambda rt: _deliver(rt, bid, index, part))


async def _deliver(rt: Runtime, bid: str, index: int, part: int) -> str:
    store = _broadcasts(rt)
    b = await store.get(bid)
    if b is None or b.status != "running":
        return "not running"
    token = uuid.uuid4().hex[:16]
    timeout = float(rt.settings.broadcast_job_timeout_seconds)
    if not await store.take_lease(bid, index, token, timeout):
        return "busy"  # a live run holds the chunk; if it dies, RQ re-queues it
    try:
        recipients = await store.chunk(bid, index)
        chats = [c for c, _ in recipients]
        states = await store.states(bid, chats)
        # We hold the lease, so claims left in this chunk belong to a dead run.
        orphans = [c for c, s in zip(chats, states, strict=True) if s and s.startswith("s:")]
        if orphans:
            n = await store.settle_orphans(bid, orphans)
            log.warning("broadcast %s chunk %s: %d unconfirmed after a crash", bid, index, n)
        todo = [r for r, s in zip(recipients, states, strict=True) if s is None]
        texts = await store.texts(bid)
        deadline = time.monotonic() + timeout / 2
        sem = asyncio.Semaphore(rt.settings.broadcast_concurrency)
        state = {"cancelled": False, "left": 0}

        async def one(chat: int, lang: str) -> None:
            async with sem:
                if state["cancelled"]:
                    return
                if time.monotonic() > deadline:
                    state["left"] += 1
                    return
                await _send_one(rt, store, b, texts, chat, lang, token, state)
                if await store.tick(bid, PROGRESS_EVERY):
                    await _progress(rt, store, bid)

        await asyncio.gather(*(one(c, lang) for c, lang in todo))
    finally:
        await store.drop_lease(bid, index, token)
    if state["cancelled"]:
        return "cancelled"
    if state["left"]:
        _enqueue(rt, deliver, bid, index, part + 1,
                 job=job_id(rt.settings.redis_prefix, bid, index, part + 1), **chunk_options(rt))  # fmt: skip
        return f"continued ({state['left']} left)"
    done, total = await store.chunk_done(bid, index)
    if done >= total:
        await _finalize(rt, store, bid)
    return f"chunk {index} done"


async def _send_one(
    rt: Runtime, store: bc.Broadcasts, b: bc.Broadcast, texts: dict[str, dict[str, Any]],
    chat: int, lang: str, token: str, state: dict[str, Any],
) -> None:  # fmt: skip
    tx = texts.get(lang) or texts.get(b.src) or {"text": b.text, "entities": b.entity_list()}
    ents = [MessageEntity.de_json(e, None) for e in tx.get("entities") or []]

    async def before_send() -> bool:
        r = await store.claim(b.bid, chat, token)
        if r < 0:
            state["cancelled"] = True
        return r > 0

    bid = b.bid
    try:
        msg = await rt.bot.send_message(
            chat, tx["text"], entities=ents or None, parse_mode=None,
            rate_limit_args={"priority": "low", "before_send": before_send},
        )  # fmt: skip
    except SendCancelled:
        await store.release(bid, chat, token)  # cancelled between retries: not sent
        return
    except Forbidden as exc:
        if chat > 0:
            await store.finish(bid, chat, token, "blocked", "blocked")
            await rt.store.set_blocked(chat, True)
        else:
            await store.finish(bid, chat, token, "fail:forbidden", "failed", _reason(exc))
        return
    except (ChatMigrated, BadRequest, RetryAfter) as exc:
        # Telegram refused the message: nothing was sent.
        await store.finish(bid, chat, token, "fail:" + _reason(exc), "failed", _reason(exc))
        return
    except (TimedOut, NetworkError, Exception) as exc:
        # The request may have reached Telegram: the same policy as a crash (at most once).
        log.warning("broadcast %s: unconfirmed send (%s)", bid, type(exc).__name__)
        await store.finish(bid, chat, token, "unknown", "unknown")
        return
    await store.finish(bid, chat, token, f"ok:{msg.message_id}", "ok")


def _reason(exc: Exception) -> str:
    if isinstance(exc, RetryAfter):
        return "flood limit"
    if isinstance(exc, ChatMigrated):
        return "group migrated"
    text = str(getattr(exc, "message", "") or exc)
    return re.sub(r"\s+", " ", text).strip()[:80] or type(exc).__name__


async def _progress(rt: Runtime, store: bc.Broadcasts, bid: str) -> None:
    b = await store.get(bid)
    if b is None or not b.progress:
        return
    counts = await store.counts(bid)
    with use_locale(b.locale):
        text = bc_texts.progress_text(b, counts, time.time() - (b.started_at or time.time()))
    try:
        await rt.bot.edit_message_text(text, b.admin, b.progress)
    except BadRequest as exc:
        if "not modified" not in exc.message.lower():
            log.warning("broadcast %s: progress edit failed: %s", bid, exc.message)
    except Forbidden:
        pass


async def _finalize(rt: Runtime, store: bc.Broadcasts, bid: str) -> None:
    if await store.transition(bid, ["running"], "done"):
        await store.update(bid, finished_at=time.time())
    b = await store.get(bid)
    if b is None or b.status != "done":
        return
    await _progress(rt, store, bid)
    counts = await store.counts(bid)
    with use_locale(b.locale):
        text = bc_texts.report_text(b, counts)

    async def post() -> Any:
        return await rt.bot.send_message(b.admin, text)

    try:
        await send_once(rt.store.redis, rt.settings.redis_prefix, f"bc:{bid}:report", post)
    except Forbidden:
        log.info("broadcast %s: the admin blocked the bot before the report", bid)
