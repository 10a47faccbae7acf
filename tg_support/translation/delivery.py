"""Delivering a message across languages: at once, or through a translation worker.

An :class:`Envelope` carries everything needed to send one message (it is a job's
argument, so it is plain JSON). The bot process calls :func:`dispatch`:

* same language → sent at once;
* a model covers the pair (as the workers published) → a ``deliver_translated`` job on the
  ``translate`` queue, plus a ``deliver_original`` job scheduled at the deadline on the
  ``interactive`` queue. Both send through ``send_once`` with the envelope's key, so the
  reader gets exactly one message: the translation, or the original with a note if the
  translation is late (a later translation then edits that message in place);
* no model → the original at once, with a localized note.

Translated messages say so, from which language, and carry "Show original" and
"Translation looks wrong" (``translation.flags``); the original and the translation (with
its confidence and model version) are kept in Redis (``tr:orig:{id}``) for the toggle, the
flag and re-translating edits (``tr:msg:{chat}:{message}`` → id).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Awaitable
from dataclasses import asdict, dataclass, field
from typing import Any, Literal, Protocol

from redis.asyncio import Redis
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Message, MessageEntity
from telegram.error import BadRequest

from tg_support.core import jobs, textsplit, trail
from tg_support.core.callbacks import CallbackData
from tg_support.core.i18n import LANGUAGE_NAMES, _, use_locale
from tg_support.core.sending import send_once
from tg_support.translation.argos import can_translate


class Submit(Protocol):
    """Enqueues a job, after ``delay`` seconds when given (``Services.submit``)."""

    def __call__(self, job: jobs.Job, *, delay: float | None = None) -> Awaitable[str]: ...


log = logging.getLogger(__name__)

TTL = 90 * 24 * 3600
# How long a send in progress blocks another attempt: if the sender dies in between, the
# message is retried after this (at least once), rather than never (at most once).
SEND_LEASE = 10.0


@dataclass
class Envelope:
    key: str
    chat_id: int
    text: str
    src_lang: str
    dst_lang: str
    head: str = ""
    entities: list[dict[str, Any]] = field(default_factory=list)
    thread_id: int | None = None
    markup: dict[str, Any] | None = None
    relay: list[Any] | None = None  # [src_chat, src_msg, qid]: copies are recorded for edits
    deadline: float = 0.0
    # Users whose data the message carries besides its private recipient (its author, the
    # learner a group post is about): the keys written for it join their trails (/forget).
    people: list[int] = field(default_factory=list)
    # A key that must still exist when the message goes out (its question): a message whose
    # subject was erased meanwhile is not delivered late by a worker.
    requires: str = ""

    def involved(self) -> list[int]:
        """Everyone whose trail the keys written for this message join."""
        relay_chat = [self.relay[0]] if self.relay else []
        return trail.people_of([self.chat_id, *relay_chat], self.people)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Envelope:
        return cls(**data)

    def message_entities(self) -> list[MessageEntity]:
        return [MessageEntity.de_json(e, None) for e in self.entities]


def entities_json(entities: Any) -> list[dict[str, Any]]:
    return [e.to_dict() for e in entities or ()]


def language_name(code: str) -> str:
    return LANGUAGE_NAMES.get(code, code)


class TranslationToggle(CallbackData, prefix="tr"):
    """``tr:o:<id>`` shows the original of translated message ``id``, ``tr:t:<id>`` the
    translation again (``id`` is the ``tr:orig`` record)."""

    view: Literal["o", "t"]
    orig_id: int


class TranslationFlag(CallbackData, prefix="tr:w"):
    """``tr:w:<id>``: a reader says the translation of message ``id`` looks wrong."""

    orig_id: int


def toggle_row(orig_id: int, view: Literal["o", "t"] = "o") -> list[InlineKeyboardButton]:
    """The buttons under a translation, in the current locale (the reader's): "Show
    original" (or "Show translation") and "Translation looks wrong"."""
    label = _("Show original") if view == "o" else _("Show translation")
    return [
        InlineKeyboardButton(label, callback_data=TranslationToggle(view=view, orig_id=orig_id).pack()),
        InlineKeyboardButton(
            _("Translation looks wrong"), callback_data=TranslationFlag(orig_id=orig_id).pack()
        ),
    ]


def _markup(data: dict[str, Any] | None) -> InlineKeyboardMarkup | None:
    return InlineKeyboardMarkup.de_json(data, None) if data else None


def with_button(
    markup: InlineKeyboardMarkup | None, button: InlineKeyboardButton | list[InlineKeyboardButton]
) -> InlineKeyboardMarkup:
    """``markup`` with one more row: ``button``, or several side by side."""
    rows = [list(r) for r in markup.inline_keyboard] if markup else []
    return InlineKeyboardMarkup([*rows, button if isinstance(button, list) else [button]])


async def send_envelope(
    bot: Bot, env: Envelope, text: str, entities: list[MessageEntity], note: str = "",
    markup: InlineKeyboardMarkup | None = None,
) -> list[Message]:  # fmt: skip
    from tg_support.core.messages import send_parts

    head = env.head + (note + "\n\n" if note else "")
    return await send_parts(
        bot, env.chat_id, head, text, entities, thread_id=env.thread_id,
        markup=markup if markup is not None else _markup(env.markup),
    )  # fmt: skip


async def record_copies(redis: Redis, prefix: str, env: Envelope, sent: list[Message]) -> None:
    if not env.relay:
        return
    from tg_support.core.store import Keys

    keys = Keys(prefix)
    src_chat, src_msg, qid = env.relay
    async with redis.pipeline(transaction=False) as pipe:
        for m in sent:
            for a, b in (
                ((src_chat, src_msg), (m.chat_id, m.message_id)),
                ((m.chat_id, m.message_id), (src_chat, src_msg)),
            ):
                pipe.rpush(keys.relay(*a), json.dumps([b[0], b[1], qid]))
                pipe.expire(keys.relay(*a), TTL)
            relays = [keys.relay(src_chat, src_msg), keys.relay(m.chat_id, m.message_id)]
            trail.note_in(pipe, prefix, env.involved(), relays)
        await pipe.execute()


async def still_wanted(redis: Redis, env: Envelope) -> bool:
    """False when the message's subject (``env.requires``) was erased after it was queued."""
    return not env.requires or bool(await redis.exists(env.requires))


async def note_map(redis: Redis, prefix: str, env: Envelope, chat_id: int, msg_id: int,
                   orig_id: int) -> None:  # fmt: skip
    """Map a sent translation to its ``tr:orig`` record (for the toggle and edits)."""
    await map_message(redis, prefix, env.involved(), chat_id, msg_id, orig_id)


async def dispatch(
    bot: Bot, redis: Redis, prefix: str, env: Envelope, submit: Submit, wait: float
) -> list[Message]:
    """Bot side: send now, or hand to the translation worker with a fallback at the deadline.


    ``submit(job, delay=None)`` enqueues a job (the caller owns RQ: ``Services.submit``)."""
    if env.src_lang == env.dst_lang:
        sent = await send_envelope(bot, env, env.text, env.message_entities())
        await record_copies(redis, prefix, env, sent)
        return sent
    if not await can_translate(redis, prefix, env.src_lang, env.dst_lang):
        with use_locale(env.dst_lang):
            note = _(
                "Not translated: no translation model for {source} yet. Original in {language}."
            ).format(source=language_name(env.src_lang), language=language_name(env.src_lang))
        sent = await send_envelope(bot, env, env.text, env.message_entities(), "ℹ️ " + note)
        await record_copies(redis, prefix, env, sent)
        return sent
    env.deadline = time.time() + wait
    await submit(jobs.deliver_translated(env.to_json()))
    await submit(jobs.deliver_original(env.to_json()), delay=wait)
    return []


async def deliver_original(
    bot: Bot, redis: Redis, prefix: str, env: Envelope, *, reason: str = "late"
) -> int | None:
    """Worker side: the original with a note, unless the translation went out already."""
    with use_locale(env.dst_lang):
        if reason == "late":
            note = "⏳ " + _(
                "The translation is taking longer than usual; here is the original ({language})."
            ).format(language=language_name(env.src_lang))
        else:
            note = "ℹ️ " + _(
                "This message could not be translated; here is the original ({language})."
            ).format(language=language_name(env.src_lang))

    async def send() -> Message:
        sent = await send_envelope(bot, env, env.text, env.message_entities(), note)
        await record_copies(redis, prefix, env, sent)
        return sent[-1]

    if not await still_wanted(redis, env):
        return None
    return await send_once(
        redis, prefix, f"env:{env.key}", send, lease=SEND_LEASE, people=env.involved()
    )


async def pending_for(redis: Redis, prefix: str, env: Envelope) -> float:
    """Seconds until another sender's unfinished attempt expires (0 if none is pending)."""
    key = f"{prefix}sent:env:{env.key}"
    if await redis.get(key) != "pending":
        return 0.0
    return max(0.0, int(await redis.pttl(key)) / 1000)


async def deliver_translated(
    bot: Bot, redis: Redis, prefix: str, env: Envelope, text: str, entities: list[MessageEntity],
    meta: dict[str, Any] | None = None,
) -> int | None:  # fmt: skip
    """Worker side: the translation, or an edit of the late original into the translation.
    ``meta`` (``score``, ``model_version``) is kept for a "looks wrong" flag."""
    if not await still_wanted(redis, env):
        return None
    orig_id = await store_original(redis, prefix, env, text, entities, meta)
    with use_locale(env.dst_lang):
        note = "🌐 " + _("Translated from {language}").format(language=language_name(env.src_lang))
        markup = with_button(_markup(env.markup), toggle_row(orig_id))

    async def send() -> Message:
        sent = await send_envelope(bot, env, text, entities, note, markup)
        await record_copies(redis, prefix, env, sent)
        for m in sent:
            await note_map(redis, prefix, env, m.chat_id, m.message_id, orig_id)
        return sent[-1]

    msg_id = await send_once(
        redis, prefix, f"env:{env.key}", send, lease=SEND_LEASE, people=env.involved()
    )
    if msg_id is not None:
        return msg_id
    # The original went out first (late translation): turn it into the translation.
    raw = await redis.get(f"{prefix}sent:env:{env.key}")
    if raw is None or not str(raw).isdigit():
        return None
    msg_id = int(raw)
    await note_map(redis, prefix, env, env.chat_id, msg_id, orig_id)
    await edit_to(bot, env.chat_id, msg_id, env.head + note + "\n\n", text, entities, markup)
    return msg_id


async def edit_to(
    bot: Bot, chat_id: int, msg_id: int, head: str, text: str, entities: list[MessageEntity],
    markup: InlineKeyboardMarkup | None,
) -> None:  # fmt: skip
    from tg_support.core.messages import bold

    full, ents = textsplit.prefix(head, [bold(head.rstrip())], text, entities)
    try:
        await bot.edit_message_text(
            full[: textsplit.LIMIT], chat_id, msg_id, entities=ents or None, parse_mode=None,
            reply_markup=markup,
        )  # fmt: skip
    except BadRequest as exc:
        if "not modified" not in exc.message.lower():
            raise


async def store_original(
    redis: Redis, prefix: str, env: Envelope, text: str, entities: list[MessageEntity],
    meta: dict[str, Any] | None = None,
) -> int:  # fmt: skip
    """Keep both versions for the Show original / Show translation toggle."""
    record = {
        "head": env.head,
        "src_lang": env.src_lang,
        "dst_lang": env.dst_lang,
        "original": env.text,
        "original_entities": env.entities,
        "translation": text,
        "translation_entities": entities_json(entities),
        "markup": env.markup,
        "people": env.involved(),  # an edit's re-translation is theirs too
        **(meta or {}),
    }
    return await keep_record(redis, prefix, record)


async def keep_record(redis: Redis, prefix: str, record: dict[str, Any]) -> int:
    """Store a ``tr:orig`` record (head, src_lang, dst_lang, original and translation with
    their entities, markup, people) for the Show original toggle; returns its id. It joins
    the trails of ``record["people"]``."""
    orig_id = int(await redis.incr(f"{prefix}tr:seq"))
    key = f"{prefix}tr:orig:{orig_id}"
    async with redis.pipeline(transaction=False) as pipe:
        pipe.set(key, json.dumps(record, ensure_ascii=False), ex=TTL)
        trail.note_in(pipe, prefix, record.get("people") or [], [key])
        await pipe.execute()
    return orig_id


async def map_message(
    redis: Redis, prefix: str, people: list[int], chat_id: int, msg_id: int, orig_id: int
) -> None:
    """A sent message shows ``tr:orig`` record ``orig_id`` (the toggle checks this map)."""
    key = f"{prefix}tr:msg:{chat_id}:{msg_id}"
    async with redis.pipeline(transaction=False) as pipe:
        pipe.set(key, orig_id, ex=TTL)
        trail.note_in(pipe, prefix, trail.people_of([chat_id], people), [key])
        await pipe.execute()


async def load_original(redis: Redis, prefix: str, orig_id: str) -> dict[str, Any] | None:
    raw = await redis.get(f"{prefix}tr:orig:{orig_id}")
    if raw is None:
        return None
    data: dict[str, Any] = json.loads(raw)
    return data


async def save_original(redis: Redis, prefix: str, orig_id: str, record: dict[str, Any]) -> None:
    await redis.set(f"{prefix}tr:orig:{orig_id}", json.dumps(record, ensure_ascii=False), ex=TTL)


def unsure_body(
    env: Envelope, text: str, entities: list[MessageEntity]
) -> tuple[str, str, list[MessageEntity]]:
    """(note, body, entities) of a translation below its threshold: the original first,
    then the translation under a localized warning."""
    with use_locale(env.dst_lang):
        note = "⚠️ " + _(
            "Original ({language}) first: the machine translation below may be wrong."
        ).format(language=language_name(env.src_lang))
        label = _("Machine translation (may be wrong):")
    original, orig_ents = env.text, env.message_entities()
    between = "\n\n— " + label + "\n"
    body, ents = textsplit.prefix(original + between, orig_ents, text, entities)
    return note, body, ents


async def deliver_unsure(
    bot: Bot, redis: Redis, prefix: str, env: Envelope, text: str, entities: list[MessageEntity]
) -> int | None:
    """Worker side: a low-confidence translation, never presented as if it were sure."""
    if not await still_wanted(redis, env):
        return None
    note, body, ents = unsure_body(env, text, entities)

    async def send() -> Message:
        sent = await send_envelope(bot, env, body, ents, note)
        await record_copies(redis, prefix, env, sent)
        return sent[-1]

    msg_id = await send_once(
        redis, prefix, f"env:{env.key}", send, lease=SEND_LEASE, people=env.involved()
    )
    if msg_id is not None:
        return msg_id
    # The original went out first (late translation): add the unsure translation to it.
    raw = await redis.get(f"{prefix}sent:env:{env.key}")
    if raw is None or not str(raw).isdigit():
        return None
    await edit_to(
        bot, env.chat_id, int(raw), env.head + note + "\n\n", body, ents, _markup(env.markup)
    )
    return int(raw)


class Translations:
    """Owner of the ``tr:orig`` records and ``tr:msg`` maps: a user's go with their trail
    (their own texts are exported with their questions, not from these copies)."""

    def __init__(self, redis: Redis, prefix: str = "tgs:") -> None:
        self.redis = redis
        self.p = prefix

    async def erase_user(self, uid: int) -> None:
        # tr:flag: a "looks wrong" report holds the flagged original (translation.flags).
        keys = await trail.Trail(self.redis, self.p).keys(uid, "tr:orig:", "tr:msg:", "tr:flag:")
        if keys:
            await self.redis.delete(*keys)

    async def export_user(self, uid: int) -> dict[str, Any]:
        """The translated messages to or from them still kept for the toggle: each
        original with its machine translation (who else took part is not said)."""
        out = []
        for key in await trail.Trail(self.redis, self.p).keys(uid, "tr:orig:"):
            raw = await self.redis.get(key)
            if raw is None:
                continue
            record = json.loads(raw)
            out.append({
                "from_language": record.get("src_lang"), "to_language": record.get("dst_lang"),
                "original": record.get("original"), "translation": record.get("translation"),
            })  # fmt: skip
        return {"translated_messages": out} if out else {}
