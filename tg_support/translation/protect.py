"""What must come through translation untouched, or exactly as an admin wants it.

:func:`protect` replaces protected spans by placeholder tokens (``⟦0⟧``…, single
SentencePiece pieces in our models, which were trained to copy them) before translation, and
:func:`restore` puts them back after, with entity offsets recomputed in UTF-16 units.
Protected, in this order of precedence (an earlier span wins an overlap):

1. the message's own entities of the :data:`PROTECTED` types (links, mentions, code, ...);
2. detected links, e-mail addresses, @mentions, #hashtags, `code` and ```code blocks```,
   and formulas (``$...$``, ``\\(...\\)``, and runs like ``x^2 + 3x = 0``);
3. :class:`Term` s: a group's glossary (``peer review`` → ``revisión por pares``: the
   placeholder comes back as the admin's translation) and course titles of the catalog (kept
   as written);
4. numbers and emoji.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from telegram import MessageEntity

from tg_support.core import textsplit

MAX_SLOTS = 16
PLACEHOLDER = "\u27e6{}\u27e7"
_PLACEHOLDER_RE = re.compile(r"\u27e6\s*(\d{1,2})\s*\u27e7")

# Entities whose text must come through translation untouched.
PROTECTED = frozenset(
    {"url", "email", "mention", "text_mention", "hashtag", "cashtag", "bot_command", "code",
     "pre", "phone_number", "custom_emoji", "text_link"}
)  # fmt: skip
# An operand of a formula: a name or number, a call like f(x), a power like x^2.
_OPERAND = r"[A-Za-z0-9_.]+(?:\([^()\s]*\))?(?:\^[\w.]+)?"
_DETECT = re.compile(
    r"(?P<url>(?:https?://|www\.)[^\s<>\"']+[^\s<>\"'.,;:!?)\]])"
    r"|(?P<email>[\w.+-]+@[\w-]+(?:\.[\w-]+)+)"
    r"|(?P<mention>(?<![\w@])@[A-Za-z0-9_]{3,32})"
    r"|(?P<hashtag>(?<![\w#])#\w+)"
    r"|(?P<code>```[\s\S]*?```|`[^`\n]+`)"
    r"|(?P<formula>\$[^$\n]+\$|\\\([^\n]+?\\\)|(?<!\w)"
    + _OPERAND
    + r"(?:\s*(?:==|!=|<=|>=|[=<>+*/^-])\s*"
    + _OPERAND
    + r")+)"
    r"|(?P<number>(?<![\w])[-+]?\d+(?:[.,:/]\d+)*%?)"
    r"|(?P<emoji>[\U0001F000-\U0001FAFF\u2600-\u27BF\u2B00-\u2BFF\uFE0F\u200D]+)"
)
# Spans that only numbers and emoji may not override: a term ("Algorithms, Part 2") wins
# over the number inside it, a link or a formula over a term inside them.
_LATE = frozenset({"number", "emoji"})


def _is_formula(span: str) -> bool:
    """``x^2 + 1 = 0`` is one; ``e-mail``, ``and/or`` or ``3-4`` are not."""
    if span.startswith(("$", "\\(")):
        return True
    return any(c in span for c in "=<>^") and any(c.isalnum() for c in span)


@dataclass(frozen=True)
class Slot:
    text: str  # what comes back in the translation
    entity: MessageEntity | None  # the original entity, None for detected spans
    kind: str


@dataclass(frozen=True)
class Term:
    """A phrase translated a fixed way: ``target`` replaces ``source`` wherever it occurs
    (whole words, any case, any run of spaces); ``target == source`` keeps it as written."""

    source: str
    target: str
    case: bool = False  # match the case as written (course titles: "Machine Learning")


@lru_cache(maxsize=64)
def _terms_pattern(terms: tuple[Term, ...]) -> re.Pattern[str] | None:
    """One alternation, longest phrases first (so "peer review form" beats "peer review")."""
    alts = []
    for i, term in sorted(enumerate(terms), key=lambda x: -len(x[1].source)):
        words = term.source.split()
        if not words:
            continue
        body = r"\s+".join(re.escape(w) for w in words)
        flags = "" if term.case else "(?i:"
        alts.append(f"(?P<t{i}>(?<!\\w){flags}{body}{')' if flags else ''}(?!\\w))")
    return re.compile("|".join(alts)) if alts else None


def _index_of_units(text: str) -> list[int]:
    """Python index for every UTF-16 offset (plus the end)."""
    out = []
    for i, ch in enumerate(text):
        out.append(i)
        if ord(ch) > 0xFFFF:
            out.append(i)
    out.append(len(text))
    return out


def protect(
    text: str, entities: Sequence[MessageEntity] = (), terms: Sequence[Term] = ()
) -> tuple[str, list[Slot]]:
    """Replace protected spans by ``⟦i⟧``; returns the masked text and the slots in order."""
    idx = _index_of_units(text)
    spans: list[tuple[int, int, Slot]] = []
    for ent in entities:
        if ent.type in PROTECTED and ent.offset + ent.length <= len(idx) - 1:
            start, end = idx[ent.offset], idx[ent.offset + ent.length]
            spans.append((start, end, Slot(text[start:end], ent, str(ent.type))))
    taken = [(s, e) for s, e, _ in spans]

    def take(start: int, end: int, slot: Slot) -> None:
        if not any(start < e and s < end for s, e in taken):
            spans.append((start, end, slot))
            taken.append((start, end))

    late = []
    for m in _DETECT.finditer(text):
        kind = m.lastgroup or "text"
        if kind == "formula" and not _is_formula(m.group()):
            # Not a formula after all: its numbers are still protected one by one.
            for n in _DETECT.finditer(m.group()):
                if n.lastgroup in _LATE:
                    late.append((m.start() + n.start(), m.start() + n.end(), n))
            continue
        if kind in _LATE:
            late.append((m.start(), m.end(), m))
        else:
            take(m.start(), m.end(), Slot(m.group(), None, kind))
    pattern = _terms_pattern(tuple(terms)) if terms else None
    if pattern is not None:
        for m in pattern.finditer(text):
            term = terms[int((m.lastgroup or "t0")[1:])]
            take(m.start(), m.end(), Slot(term.target, None, "term"))
    for start, end, m in late:
        take(start, end, Slot(m.group(), None, m.lastgroup or "text"))
    spans.sort(key=lambda x: x[0])
    # Adjacent spans separated only by spaces become one (e.g. "3 + 4 😀"), to stay
    # within the placeholders the models know.
    merged: list[tuple[int, int, Slot]] = []
    for s, e, slot in spans:
        if (
            merged
            and slot.kind in _MERGEABLE
            and merged[-1][2].kind in _MERGEABLE
            and not text[merged[-1][1] : s].strip()
        ):
            ps, _pe, _ = merged[-1]
            merged[-1] = (ps, e, Slot(text[ps:e], None, "text"))
        else:
            merged.append((s, e, slot))
    if len(merged) > MAX_SLOTS:
        raise TooManySlots(len(merged))
    out, slots, pos = [], [], 0
    for i, (s, e, slot) in enumerate(merged):
        out.append(text[pos:s])
        out.append(PLACEHOLDER.format(i))
        slots.append(slot)
        pos = e
    out.append(text[pos:])
    return "".join(out), slots


# Only plain spans merge; links, mentions, terms and the like keep their own slot.
_MERGEABLE = frozenset({"number", "emoji", "text"})


class TooManySlots(ValueError):
    """More protected spans than placeholders: the message is delivered untranslated."""


_DETECTED_TYPES = {
    "url": "url",
    "email": "email",
    "mention": "mention",
    "hashtag": "hashtag",
    "code": None,
}


def restore(translated: str, slots: Sequence[Slot]) -> tuple[str, list[MessageEntity]]:
    """Put the protected spans back; every slot survives (a dropped one is appended)."""
    out: list[str] = []
    entities: list[MessageEntity] = []
    seen: set[int] = set()
    pos = 0

    def emit(slot: Slot) -> None:
        offset = textsplit.u16len("".join(out))
        out.append(slot.text)
        length = textsplit.u16len(slot.text)
        if slot.entity is not None:
            e = slot.entity
            entities.append(
                MessageEntity(type=e.type, offset=offset, length=length, url=e.url, user=e.user,
                              language=e.language, custom_emoji_id=e.custom_emoji_id)
            )  # fmt: skip
        elif kind := _DETECTED_TYPES.get(slot.kind):
            entities.append(MessageEntity(type=kind, offset=offset, length=length))

    for m in _PLACEHOLDER_RE.finditer(translated):
        out.append(translated[pos : m.start()])
        i = int(m.group(1))
        if i < len(slots) and i not in seen:
            seen.add(i)
            emit(slots[i])
        pos = m.end()
    out.append(translated[pos:])
    for i, slot in enumerate(slots):
        if i not in seen:
            if out and not "".join(out).endswith((" ", "\n")):
                out.append(" ")
            emit(slot)
    return "".join(out), entities
