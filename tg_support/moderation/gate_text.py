"""Signals of the gate (:mod:`tg_support.moderation.gate`) about what surrounds the words:
formatting syntax and template placeholders, code in backticks, and the direction of the text;
and the normalisation the gate reads the text through."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Final

from tg_support.moderation.gate_data import SCRIPT_ALIASES

# Alphabets with vowel letters, whose letter pairs the gate knows per language.
ALPHABETS: Final = frozenset({"LATIN", "CYRILLIC", "GREEK"})
# Scripts written without spaces where ZWSP marks word breaks (Lao, Thai, Khmer, Burmese).
ZWSP_SCRIPTS: Final = frozenset({"THAI", "LAO", "KHMER", "MYANMAR", "TIBETAN"})


@lru_cache(maxsize=16384)
def script(ch: str) -> str:
    """The Unicode script of a character, as its name starts ("LATIN", "HAN" for kana too)."""
    name = unicodedata.name(ch, "")
    if not name:
        return "?"
    head = name.split(" ", 1)[0]
    if head in ("OLD", "LINEAR", "TAI", "NEW", "CANADIAN", "CAUCASIAN", "MEETEI", "PAU"):
        head = " ".join(name.split(" ", 2)[:2])
    return SCRIPT_ALIASES.get(head, head)


@lru_cache(maxsize=16384)
def base(ch: str) -> str:
    """Lower-case letter without diacritics: 'É' -> 'e', 'ё' -> 'е'."""
    decomposed = unicodedata.normalize("NFD", ch.lower())
    return decomposed[0] if decomposed else ch


# Formatting syntax and template placeholders: Markdown markers, [text](target) and
# ![alt](target), {0} / {name!r} / %(x)s / %s / ${...}. A question may carry some; a text
# that is mostly this with a word or two in between ("||spoiler|| *bold _it*") is no question.
_LINK_SYNTAX: Final = re.compile(r"!?\[([^\]\n]{0,100})\]\([^)\n]{0,300}\)")  # text stays
_SYNTAX: Final = re.compile(
    r"\$\{[^}\n]{0,200}\}?|\{\{|\}\}|\{[^{}\s]{0,40}\}|%\(\w{1,20}\)[a-z]|%[sdnrxf]\b"
    r"|\*\*?|__|~~|\|\||```|^\s{0,3}(?:#{1,6}|>|-{3,})(?=\s|$)",
    re.MULTILINE,
)
_SYNTAX_CHARS: Final = re.compile(r"[*_~|#>\[\](){}<$%`=\\^]|(?<!\S)-{2,}(?!\S)")
MARKUP_MAX_WORDS: Final = 4  # distinct words a markup-heavy text needs beyond this to pass
# Bidi overrides (LRO, RLO) make text display in another order than it is stored: the trick
# behind spoofed file names. Keyboards never type them.
_OVERRIDES: Final = frozenset("\u202d\u202e")
# Letters of right-to-left and left-to-right alphabets glued in one token ("بالعالمquestion"),
# maybe through bidi controls: a short prefix or suffix is how Arabic and Hebrew attach to a
# foreign word ("بالـPython", "הPython", "APIات"); a longer run is pasted-together text.
_RTL: Final = r"\u0620-\u064a\u066e-\u06d3\u06fa-\u06ff\u05d0-\u05ea"
_LTR: Final = r"A-Za-z\u00c0-\u024f\u0400-\u04ff"
_BIDI_CONTROLS: Final = r"\u200e\u200f\u061c\u202a-\u202e\u2066-\u2069"
_GLUE: Final = re.compile(
    rf"(?<![{_RTL}\u0640])([{_RTL}\u0640]++)[{_BIDI_CONTROLS}]*+(?=[{_LTR}])"  # linear: runs start once
    rf"|(?<=[{_LTR}])[{_BIDI_CONTROLS}]*([{_RTL}\u0640]+)"
    rf"|[\u0620-\u064a][{_BIDI_CONTROLS}]*[\u05d0-\u05ea]|[\u05d0-\u05ea][{_BIDI_CONTROLS}]*[\u0620-\u064a]"
)
# Controls that only mean something next to right-to-left letters (RLM, ALM, embeddings,
# isolates); LRM is left alone, as some left-to-right keyboards type it.
_RTL_CONTROLS: Final = re.compile(r"[\u200f\u061c\u202a-\u202c\u2066-\u2069]")
_RTL_LETTER: Final = re.compile(
    r"[\u05d0-\u05ea\u0620-\u064a\u066e-\u06d3\u06fa-\u06ff\u0700-\u08ff\ufb1d-\ufdff\ufe70-\ufefc]"
)
_ATTACHED: Final = frozenset({"ال", "بال", "وال", "لل", "فال", "كال", "و", "ب", "ل", "ف", "ك"})


def glued(text: str) -> int:
    """Junctions of right-to-left and left-to-right letters inside tokens (see ``_GLUE``)."""
    n = 0
    for m in _GLUE.finditer(text):
        run = (m.group(1) or m.group(2) or "").replace("\u0640", "")
        if m.group(1) is not None and (
            run[-3:] in _ATTACHED or run[-2:] in _ATTACHED or len(run) <= 2
        ):
            continue  # an article or preposition before a foreign word
        if m.group(2) is not None and len(run) <= 2:
            continue  # a suffix after one
        n += 1
    return n


def strip_syntax(prose: str) -> tuple[str, int]:
    """The prose without formatting syntax and placeholders (a link's text kept), and the
    number of visible characters taken out."""
    stripped = _SYNTAX.sub(" ", _LINK_SYNTAX.sub(r" \1 ", prose))
    return stripped, len("".join(prose.split())) - len("".join(stripped.split()))


def syntax_chars(text: str) -> int:
    """Characters of markup syntax left in ``text`` (brackets, stars, pipes, dashes alone)."""
    return len(_SYNTAX_CHARS.findall(text))


def has_override(text: str) -> bool:
    return bool(_OVERRIDES.intersection(text))


def stray_rtl_controls(text: str) -> bool:
    """Right-to-left controls in a text with no right-to-left letter to apply to."""
    return bool(_RTL_CONTROLS.search(text)) and not _RTL_LETTER.search(text)


_CODE: Final = re.compile(r"```.{0,4000}?```|`[^`\n]{1,400}`", re.DOTALL)


def segments(prose: str) -> list[tuple[str, bool]]:
    """(text, is code) pieces: code in backticks is read for length but not judged as prose."""
    out: list[tuple[str, bool]] = []
    pos = 0
    for m in _CODE.finditer(prose):
        out.append((prose[pos : m.start()], False))
        out.append((m.group().strip("`"), True))
        pos = m.end()
    out.append((prose[pos:], False))
    return out


_JAMO: Final = re.compile(r"([\u3130-\u318f]+)")


def nfkc(text: str) -> str:
    """NFKC (fullwidth, math letters, ligatures, ⒜ to plain letters) except for Korean
    compatibility jamo, which NFKC would turn into conjoining jamo and partly into syllables."""
    if not _JAMO.search(text):
        return unicodedata.normalize("NFKC", text)
    return "".join(
        part if i % 2 else unicodedata.normalize("NFKC", part)
        for i, part in enumerate(_JAMO.split(text))
    )
