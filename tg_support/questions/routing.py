"""Pure: choose the regional group for a question.

Order of preference: a group that speaks the question's language; among those, the most
course/platform tags in common; then the learner's region. When no group speaks the
language, an international group (one registered with the language ``*``) takes it.
``None`` means no group can take it now: the caller keeps the question and says so.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass

from tg_support.core.labels import ANY_LANGUAGE, REGIONS

__all__ = ["ANY_LANGUAGE", "REGIONS", "GroupCard", "choose_group"]


@dataclass(frozen=True)
class GroupCard:
    chat_id: int
    languages: frozenset[str]
    region: str = "international"
    tags: frozenset[str] = frozenset()
    active: bool = True

    @property
    def international(self) -> bool:
        return ANY_LANGUAGE in self.languages


def choose_group(
    lang: str,
    tags: Collection[str],
    groups: Iterable[GroupCard],
    *,
    region: str | None = None,
    exclude: Collection[int] = (),
) -> GroupCard | None:
    wanted = {t.lower() for t in tags}
    usable = [g for g in groups if g.active and g.chat_id not in exclude]

    def key(g: GroupCard) -> tuple[int, int, int, int]:
        # Larger is better; chat_id (older groups have smaller ids) makes ties deterministic.
        return (
            len(wanted & g.tags),
            int(region is not None and g.region == region),
            len(g.tags) == 0,
            -g.chat_id,
        )

    speaking = [g for g in usable if lang in g.languages]
    if speaking:
        return max(speaking, key=key)
    international = [g for g in usable if g.international]
    if international:
        return max(international, key=key)
    return None
