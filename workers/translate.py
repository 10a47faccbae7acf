"""Translation jobs (the ``translate`` queue, and the deadline fallback on ``interactive``).

Each job takes an :class:`~tg_support.translation.delivery.Envelope` (plain JSON) or ids, is idempotent
(``send_once`` on the envelope's key), and never holds a message back: the fallback job at
the deadline delivers the original if the translation has not gone out by then.
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path
from typing import Any

from telegram import InlineKeyboardMarkup, MessageEntity
from telegram.error import BadRequest

from tg_support.core.i18n import _, use_locale
from tg_support.core.jobs import enqueue_in
from tg_support.questions import topics
from tg_support.questions.search import SearchIndex
from tg_support.questions.store import questions
from tg_support.translation import argos as translation
from tg_support.translation import delivery, service
from tg_support.translation.delivery import Envelope
from tg_support.translation.flags import FlagStore
from tg_support.translation.glossary import GlossaryStore
from tg_support.translation.protect import Term

from .runtime import Runtime, run

log = logging.getLogger(__name__)


def prepare(data_dir: Path, models_dir: Path = translation.SHIPPED_MODELS) -> list[str]:
    """At worker start: point argos at our directories and install the shipped models."""
    translation.configure(data_dir)
    paths = sorted(models_dir.glob("*.argosmodel")) if models_dir.is_dir() else []
    return translation.install_models(paths)


def warm_calibrations() -> None:
    """At worker start: the installed packages' confidence thresholds, measured now when
    nobody has (seconds, once per package version and scoring revision; then they are in
    Redis and the data dir), so that a learner's first translation does not wait on them
    (the bot waits only seconds for a translated suggestion)."""
    run(
        lambda rt: service.calibrations(
            translation.translator(), rt.store.redis, rt.settings.redis_prefix, rt.settings.data_dir
        )
    )


def _cache(rt: Runtime) -> translation.TranslationCache:
    return translation.TranslationCache(rt.store.redis, rt.settings.redis_prefix)


def deliver_translated(env_json: dict[str, Any]) -> str:
    """Translate an envelope's text and deliver it (or turn a late original into it)."""
    return run(lambda rt: _deliver_translated(rt, Envelope.from_json(env_json)))


# Course titles of the catalog as terms kept as written, per prefix: (catalog version, terms).
_titles: dict[str, tuple[str, list[Term]]] = {}
MIN_TITLE_CHARS = 6


async def course_terms(rt: Runtime) -> list[Term]:
    """The catalog's course titles, which pass through translation as written."""
    # Imported here: the catalog pulls in rapidfuzz and the course index (~0.4 s), which a
    # worker starting to serve the translate queue should not wait for.
    from tg_support.community.course_store import CourseStore

    courses = rt.store.repo(CourseStore)
    version = str(await rt.store.redis.get(courses.keys.version))
    memo = _titles.get(rt.settings.redis_prefix)
    if memo is not None and memo[0] == version:
        return memo[1]
    catalog = await courses.catalog()
    terms = [Term(c.title, c.title, case=True) for c in catalog if len(c.title) >= MIN_TITLE_CHARS]
    _titles[rt.settings.redis_prefix] = (version, terms)
    return terms


async def terms_for(rt: Runtime, group: int | None, dst: str) -> list[Term]:
    """The group's glossary into ``dst`` (first: it wins an overlap), then course titles."""
    glossary = await rt.store.repo(GlossaryStore).terms(group, dst) if group else []
    return [*glossary, *await course_terms(rt)]


async def group_of(rt: Runtime, env: Envelope) -> int | None:
    """The group whose glossary applies: the one written to, or the question's group that
    an answer comes from."""
    if env.chat_id < 0:
        return env.chat_id
    if env.relay:
        q = await questions(rt.store).get_question(str(env.relay[2]))
        return q.group_id if q is not None else None
    return None


async def _deliver_translated(rt: Runtime, env: Envelope) -> str:
    redis, prefix = rt.store.redis, rt.settings.redis_prefix
    engine = translation.translator()
    cals = await service.calibrations(engine, redis, prefix, rt.settings.data_dir)
    group = await group_of(rt, env)
    [res] = await translation.translate_messages(
        _cache(rt), engine, [(env.text, env.message_entities())], env.src_lang, env.dst_lang,
        cals, await terms_for(rt, group, env.dst_lang), people=env.involved(),
    )  # fmt: skip
    if not res.translated:
        await delivery.deliver_original(rt.bot, redis, prefix, env, reason="unavailable")
        return "original"
    await rt.store.repo(FlagStore).count_delivery(env.src_lang, env.dst_lang, res.score)
    if not res.confident:
        # Never presented as sure: the original first, the translation under a warning.
        await delivery.deliver_unsure(rt.bot, redis, prefix, env, res.text, res.entities)
        return "unsure"
    meta = {"score": res.score, "model_version": res.version, "group": group}
    await delivery.deliver_translated(rt.bot, redis, prefix, env, res.text, res.entities, meta)
    return "translated"


def deliver_original(env_json: dict[str, Any], attempt: int = 0) -> str:
    """The deadline passed: deliver the original with a note unless something went out."""
    return run(lambda rt: _deliver_original(rt, env_json, attempt))


async def _deliver_original(rt: Runtime, env_json: dict[str, Any], attempt: int) -> str:
    env = Envelope.from_json(env_json)
    redis, prefix = rt.store.redis, rt.settings.redis_prefix
    if await delivery.deliver_original(rt.bot, redis, prefix, env):
        return "sent"
    wait = await delivery.pending_for(redis, prefix, env)
    if wait and attempt < 5:
        # Another sender holds the message and may have died holding it: look again when
        # its lease ends, so the message is delivered in any case.
        enqueue_in(
            rt.settings, "interactive", deliver_original, wait + 0.5,
            f"orig-{hashlib.sha1(env.key.encode()).hexdigest()[:16]}-{attempt + 1}",
            env_json, attempt + 1,
        )  # fmt: skip
        return "pending elsewhere; checking again"
    return "already delivered"


def retranslate(
    orig_id: str, chat_id: int, msg_id: int, text: str, entities: list[dict[str, Any]]
) -> str:
    """An edited original: translate it again and edit the translated copy."""
    return run(lambda rt: _retranslate(rt, orig_id, chat_id, msg_id, text, entities))


async def _retranslate(
    rt: Runtime, orig_id: str, chat_id: int, msg_id: int, text: str, entities: list[dict[str, Any]]
) -> str:
    redis, prefix = rt.store.redis, rt.settings.redis_prefix
    record = await delivery.load_original(redis, prefix, orig_id)
    if record is None:
        return "gone"
    ents = [MessageEntity.de_json(e, None) for e in entities]
    engine = translation.translator()
    cals = await service.calibrations(engine, redis, prefix, rt.settings.data_dir)
    terms = await terms_for(rt, record.get("group"), record["dst_lang"])
    [res] = await translation.translate_messages(
        _cache(rt), engine, [(text, ents)], record["src_lang"], record["dst_lang"], cals, terms,
        people=[int(x) for x in record.get("people") or []],
    )  # fmt: skip
    record.update(
        original=text,
        original_entities=entities,
        translation=res.text,
        translation_entities=delivery.entities_json(res.entities),
        score=res.score,
        model_version=res.version,
    )
    await delivery.save_original(redis, prefix, orig_id, record)
    with use_locale(record["dst_lang"]):
        note = "🌐 " + _("Translated from {language}").format(
            language=delivery.language_name(record["src_lang"])
        )
        row = delivery.toggle_row(int(orig_id))
    base = InlineKeyboardMarkup.de_json(record["markup"], None) if record.get("markup") else None
    await delivery.edit_to(
        rt.bot, chat_id, msg_id, record["head"] + note + "\n\n", res.text, res.entities,
        delivery.with_button(base, row),
    )  # fmt: skip
    return "edited"


def translate_text(text: str, src: str, dst: str, owner: int = 0) -> str | None:
    """For the bot: one text (e.g. a search query into the pivot language); None if no model.
    ``owner``: the user whose text it is (the cache entry joins their trail)."""
    return run(lambda rt: _translate_text(rt, text, src, dst, owner))


async def _translate_text(rt: Runtime, text: str, src: str, dst: str, owner: int) -> str | None:
    [res] = await translation.translate_messages(
        _cache(rt), translation.translator(), [(text, [])], src, dst,
        people=[owner] if owner > 0 else [],
    )  # fmt: skip
    return res.text if res.translated else None


def translate_topic_title(qid: str) -> str:
    """The topic of a question in another language than its group's gets its title in the
    group's language (the topic list shows titles only). Idempotent: the stored title says
    whether it was done; Telegram's TOPIC_NOT_MODIFIED on a re-run is fine too."""
    return run(lambda rt: _translate_topic_title(rt, qid))


async def _translate_topic_title(rt: Runtime, qid: str) -> str:
    q = await questions(rt.store).get_question(qid)
    if q is None or q.group_id is None or q.thread_id is None:
        return "skipped"
    group = await rt.store.get_group(q.group_id)
    dst = topics.target_language(q.lang, group)
    if dst == q.lang:
        return "same-language"
    [res] = await translation.translate_messages(
        _cache(rt), translation.translator(), [(q.text, [])], q.lang, dst, people=[q.asker_id]
    )
    if not res.translated:
        return "untranslated"
    name = topics.short_title(q.qid, res.text)
    if q.title == name:
        return "done"
    try:
        await rt.bot.edit_forum_topic(q.group_id, q.thread_id, name=name)
    except BadRequest as exc:
        if "not_modified" not in exc.message.lower():
            log.info("could not rename the topic of question %s: %s", qid, exc.message)
            return "failed"
    await questions(rt.store).update_question(qid, title=name)
    return "edited"


def index_pivot(qid: str) -> str:
    """A solved question joins the search index with its English pivot translation."""
    return run(lambda rt: _index_pivot(rt, qid))


async def _index_pivot(rt: Runtime, qid: str) -> str:
    q = await questions(rt.store).get_question(qid)
    if q is None or q.status != "solved":
        return "skipped"
    pivot = None
    if q.lang != translation.PIVOT:
        [res] = await translation.translate_messages(
            _cache(rt), translation.translator(), [(q.text, [])], q.lang, translation.PIVOT,
            people=[q.asker_id],
        )  # fmt: skip
        pivot = res.text if res.translated else None
    await SearchIndex(rt.store.redis, prefix=rt.settings.redis_prefix).add(
        q.qid, q.text, q.lang, pivot_text=pivot, tags=q.tags
    )
    return "indexed with pivot" if pivot else "indexed"


def translate_many(items: list[list[str]], dst: str, group: int | None = None) -> list[Any]:
    """For the bot: several ``[text, src]`` into ``dst`` with ``group``'s glossary; each
    result is ``[text, confident]`` (``[original, True]`` when nothing was to translate)."""
    return run(lambda rt: _translate_many(rt, items, dst, group))


async def _translate_many(
    rt: Runtime, items: list[list[str]], dst: str, group: int | None
) -> list[Any]:
    engine = translation.translator()
    redis, prefix = rt.store.redis, rt.settings.redis_prefix
    cals = await service.calibrations(engine, redis, prefix, rt.settings.data_dir)
    terms = await terms_for(rt, group, dst)
    out: list[Any] = [[text, True] for text, _src in items]
    by_src: dict[str, list[int]] = {}
    for i, (_text, src) in enumerate(items):
        if src != dst and engine.route(src, dst) is not None:
            by_src.setdefault(src, []).append(i)
    for src, idx in by_src.items():
        results = await translation.translate_messages(
            _cache(rt), engine, [(items[i][0], []) for i in idx], src, dst, cals, terms
        )
        for i, res in zip(idx, results, strict=True):
            out[i] = [res.text, res.confident] if res.translated else [items[i][0], True]
    return out
