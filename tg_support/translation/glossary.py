"""A group's glossary: how its admins want a term translated ("peer review" → "revisión por
pares" in Spanish). Applied in the translation path through the placeholder protection
(:class:`~tg_support.translation.protect.Term`): the term is masked before the model sees
it and comes back as the admin's translation, in every message translated into that
language for the group (posts in its topics, answers from it to learners, its FAQ).

Key patterns (``{p}`` is the prefix):

================================  ======  ===============================================
``{p}tr:gl:{chat_id}:{lang}``     hash    normalized term → JSON ``[term, translation]``
                                          for translations into ``lang``
================================  ======  ===============================================

Glossaries name no one: ``erase_user`` and ``export_user`` have nothing to do.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from tg_support.core.store import Repository
from tg_support.translation.protect import Term

MAX_TERMS = 200  # per group and language: every translation matches all of them
MAX_TERM_CHARS = 80


def normalize(term: str) -> str:
    return " ".join(term.casefold().split())


def parse_entry(text: str) -> tuple[str, str] | None:
    """``peer review = revisión por pares`` (or ``→``, ``->``) → (term, translation)."""
    for sep in ("→", "->", "="):
        if sep in text:
            source, _, target = text.partition(sep)
            source, target = " ".join(source.split()), " ".join(target.split())
            if source and target and max(len(source), len(target)) <= MAX_TERM_CHARS:
                return source, target
            return None
    return None


class GlossaryStore(Repository):
    def key(self, chat_id: int, lang: str) -> str:
        return f"{self.p}tr:gl:{chat_id}:{lang}"

    async def put(self, chat_id: int, lang: str, source: str, target: str) -> bool:
        """Add or replace a term; False when the language has :data:`MAX_TERMS` already."""
        key = self.key(chat_id, lang)
        norm = normalize(source)
        if not await self.redis.hexists(key, norm) and await self.redis.hlen(key) >= MAX_TERMS:
            return False
        await self.redis.hset(key, norm, json.dumps([source, target], ensure_ascii=False))
        return True

    async def remove(self, chat_id: int, lang: str, source: str) -> bool:
        return bool(await self.redis.hdel(self.key(chat_id, lang), normalize(source)))

    async def terms(self, chat_id: int, lang: str) -> list[Term]:
        raw: dict[Any, Any] = await self.redis.hgetall(self.key(chat_id, lang))
        out = []
        for norm in sorted(raw):
            source, target = json.loads(raw[norm])
            out.append(Term(str(source), str(target)))
        return out

    async def by_language(self, chat_id: int, langs: Sequence[str]) -> dict[str, list[Term]]:
        """Every language's terms that has any."""
        out = {}
        for lang in langs:
            terms = await self.terms(chat_id, lang)
            if terms:
                out[lang] = terms
        return out

    async def erase_user(self, uid: int) -> None:
        """Glossaries name no one."""

    async def export_user(self, uid: int) -> dict[str, Any]:
        return {}
