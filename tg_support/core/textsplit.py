"""Pure helpers for Telegram text with entities: UTF-16 offsets, prefixes, splitting.

Telegram measures entity offsets and lengths in UTF-16 code units, so an emoji or a
character outside the BMP counts twice. Everything here works in those units.
"""

from __future__ import annotations

from collections.abc import Sequence

from telegram import MessageEntity

LIMIT = 4096


def u16len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _u16_to_index(text: str, units: int) -> int:
    """The Python index of the character starting at ``units`` UTF-16 units."""
    count = 0
    for i, ch in enumerate(text):
        if count >= units:
            return i
        count += 2 if ord(ch) > 0xFFFF else 1
    return len(text)


def shift(entities: Sequence[MessageEntity], by: int) -> list[MessageEntity]:
    return [
        MessageEntity(
            type=e.type, offset=e.offset + by, length=e.length, url=e.url, user=e.user,
            language=e.language, custom_emoji_id=e.custom_emoji_id,
        )
        for e in entities
    ]  # fmt: skip


def prefix(
    head: str, head_entities: Sequence[MessageEntity], text: str, entities: Sequence[MessageEntity]
) -> tuple[str, list[MessageEntity]]:
    """``head`` + ``text`` with both sets of entities in the right places."""
    return head + text, [*head_entities, *shift(entities, u16len(head))]


def split(
    text: str, entities: Sequence[MessageEntity] = (), limit: int = LIMIT
) -> list[tuple[str, list[MessageEntity]]]:
    """Split into parts of at most ``limit`` UTF-16 units, at whitespace, never inside an
    entity (unless the entity alone is longer than a part), with offsets recomputed."""
    parts: list[tuple[str, list[MessageEntity]]] = []
    ents = sorted(entities, key=lambda e: e.offset)
    base = 0  # UTF-16 offset of the remaining text within the original
    rest = text
    while u16len(rest) > limit:
        cut_idx = _u16_to_index(rest, limit)
        window = rest[:cut_idx]
        # Prefer a paragraph, then a line, then a word boundary in the second half.
        cut = -1
        for sep in ("\n\n", "\n", " "):
            pos = window.rfind(sep)
            if pos > len(window) // 2:
                cut = pos + len(sep)
                break
        if cut <= 0:
            cut = cut_idx
        cut_units = u16len(rest[:cut])
        for e in ents:
            start, end = e.offset - base, e.offset - base + e.length
            if start < cut_units < end and start > 0:
                cut_units = start
                cut = _u16_to_index(rest, start)
        chunk = rest[:cut]
        parts.append((chunk.rstrip(), _clip(ents, base, u16len(chunk.rstrip()))))
        base += cut_units
        rest = rest[cut:]
    parts.append((rest, _clip(ents, base, u16len(rest))))
    return [(t, e) for t, e in parts if t.strip()]


def _clip(entities: Sequence[MessageEntity], base: int, length: int) -> list[MessageEntity]:
    out = []
    for e in entities:
        start = max(e.offset - base, 0)
        end = min(e.offset - base + e.length, length)
        if end > start:
            out.append(
                MessageEntity(
                    type=e.type, offset=start, length=end - start, url=e.url, user=e.user,
                    language=e.language, custom_emoji_id=e.custom_emoji_id,
                )
            )  # fmt: skip
    return out


def shorten(text: str, limit: int) -> str:
    """``text`` on one line, at most ``limit`` characters: cut at the last word boundary
    before the limit, with an ellipsis (a single over-long word is cut inside it). Scripts
    without spaces (Chinese, Japanese) are cut at the limit."""
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    head = flat[: limit - 1]
    space = head.rfind(" ")
    if space >= limit // 2:
        head = head[:space]
    return head.rstrip(" ,.;:·-—") + "…"
