"""Chat as the model reads it best, and the model's output back in the writer's style.

Chat is typed in lower case, without final marks, with doubled marks, sentences spliced
with commas, a mention first and a link or an emoji last. Models (the shipped ones
especially) translate far better what looks like the sentences they learnt from, so each
sentence gets a :class:`Plan`: the protected spans at its edges are kept out of the model's
sight (a vocative ``@ana`` or a trailing link is not part of the sentence), and the words
go in one or more *variants* (the whole sentence as written properly, as an exclamation,
or cut into its comma-spliced clauses); the model's own scores pick the variant it reads
best (:mod:`tg_support.translation.argos`). Marks we added come off the output again.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

_QUESTION_START = {
    "en": re.compile(
        r"(how|what|where|when|why|who|which|can|could|is|are|do|does|did|will|would|should"
        r"|has|have|may|anyone|any)\b", re.I),
    "es": re.compile(r"(c[oó]mo|qu[eé]|d[oó]nde|cu[aá]ndo|por qu[eé]|qui[eé]n|cu[aá]l|puedes"
                     r"|puedo|hay|alguien|es posible)\b", re.I),
    # Hindi asks anywhere in the sentence (verb last): "मैं असाइनमेंट कैसे जमा करूँ".
    "hi": re.compile(r".*?(क्या|कहाँ|कहां|कब|कैसे|क्यों|कौन|किसे|किस)"),
}  # fmt: skip
_END_MARK = {"hi": "।"}
_TRAILING_MARK = re.compile(r"\s*[.!?।]$")
_LOWER_I = re.compile(r"(?<![\w'])i(?=\b)")


def as_written(sentence: str, lang: str) -> tuple[str, str]:
    """Chat is often typed in lower case without punctuation; models (the shipped ones
    especially) translate far better what looks like the sentences they learnt from. Returns
    the sentence as written properly and the mark we added (taken off the output again)."""
    s = sentence.strip()
    if lang == "en":
        s = _LOWER_I.sub("I", s)
    s = _capitalised(s)
    if not s or s[-1] in ".!?।…:;\u27e7\"')":
        return s, ""
    if (q := _QUESTION_START.get(lang)) and q.match(s.lstrip("¿")):
        if lang == "es" and not s.startswith("¿"):
            s = "¿" + s
        return s + "?", "?"
    mark = _END_MARK.get(lang, ".")
    return s + mark, mark


def _capitalised(s: str) -> str:
    """The first letter in upper case, after Spanish's opening mark if any ("¿hay …")."""
    opening = len(s) - len(s.lstrip("¿¡\"'(«"))
    if s[opening : opening + 1].islower():
        return s[:opening] + s[opening].upper() + s[opening + 1 :]
    return s


def as_written_variants(sentence: str, lang: str) -> list[tuple[str, str]]:
    """:func:`as_written`, and when it guessed a statement's end mark, the same sentence as
    an exclamation too ("welcome to the course", "congratulations"): the model's own score
    picks the variant it reads best, rather than one punctuation rule for every phrasing."""
    fixed, mark = as_written(sentence, lang)
    if mark and mark != "?":
        return [(fixed, mark), (fixed[: -len(mark)] + "!", "!")]
    return [(fixed, mark)]


def join(parts: list[str], joiner: str) -> str:
    """Clauses translated one by one, spliced again as the writer had them (a clause after a
    comma does not start with a capital; after a dash it may)."""
    if joiner.strip() not in (",", ";"):
        return joiner.join(parts)
    out = [parts[0]] + [p[:1].lower() + p[1:] if p[1:2].islower() else p for p in parts[1:]]
    return joiner.join(out)


EXCLAIM = "^!"  # an end mark to turn back into "!" (rather than remove)


def finish(value: str, mark: str) -> str:
    """A segment's translation after the mark we added (or replaced) in its source: none
    (``""``), one to take off again, or ``^`` and the writer's own ending to put back in its
    place ("!", "...")."""
    if mark == EXCLAIM:
        return _TRAILING_MARK.sub("", value) + "!"
    if mark.startswith("^"):
        return unmark(value) + mark[1:]
    return unmark(value) if mark else value


def unmark(value: str) -> str:
    """A translation without the end mark we added to its source (and Spanish's opening
    ¡/¿ with it), as the writer left theirs out."""
    stripped = _TRAILING_MARK.sub("", value)
    opening = {"!": "¡", "?": "¿"}.get(value.rstrip()[-1:]) if stripped != value else None
    if opening and stripped.startswith(opening):
        stripped = stripped[1:].lstrip()
    return stripped


_LEAD = re.compile(r"((?:\u27e6\d{1,2}\u27e7\s*)+)(.*)", re.S)
_DOUBLED = re.compile(r"([!?.।])[!?.।]+$")
_CLAUSES = re.compile(r"\s*[,;]\s+")
# A dash between spaces joins two sentences in chat ("the file is too large - what now?");
# inside a word ("e-mail") or a formula (protected before we see it) it does not.
_DASHES = re.compile(r"(\s+[-\u2013\u2014]\s+)")
# A trailing ellipsis trails off; the model learnt full stops and question marks.
_ELLIPSIS = re.compile(r"\s*(\.{2,}|\u2026)$")
MIN_CLAUSE_WORDS = 2


@dataclass
class Variant:
    """One way to give a sentence to the model: segments translated one by one (each with
    the end mark we added), joined by ``joiner``, after ``lead`` (protected spans kept out
    of the model's sight)."""

    segments: list[tuple[str, str]]
    joiner: str = ""
    lead: str = ""


def plan(
    sentence: str, lang: str, cased: Callable[[str], str] | None = None
) -> list[Variant]:
    """The ways to translate ``sentence``, the first as written properly; none when there
    is nothing to translate (only placeholders, numbers or marks). ``cased`` gives a word
    as the model knows it ("python" → "Python"), for one more variant."""
    text, trail = sentence.strip(), ""
    if (m := _ELLIPSIS.search(text)) and any(ch.isalpha() for ch in text[: m.start()]):
        # "can you explain it more simply..." is a question that trails off: the model
        # reads it without the dots (its end mark guessed as usual), and the writer's dots
        # come back in place of the mark.
        text, trail = text[: m.start()], m.group(1)
    text = _DOUBLED.sub(r"\1", text)
    if not any(ch.isalpha() for ch in _PLACEHOLDER.sub("", text)):
        return []
    variants = _variants(text, lang)
    variants += _recased(variants, cased)
    if trail:
        for v in variants:
            fixed, _ = v.segments[-1]
            v.segments[-1] = (fixed, "^" + trail)
    return variants


def _variants(text: str, lang: str) -> list[Variant]:
    out = [Variant([v]) for v in as_written_variants(text, lang)]
    if text.endswith("!") and len(text.split()) > 1:
        # Most sentences were learnt as statements: "the button does not work!" is read as
        # one, and the output gets its "!" back.
        out.append(Variant([(as_written(text[:-1], lang)[0], EXCLAIM)]))
    lead, rest = "", text
    if (m := _LEAD.fullmatch(text)) and any(ch.isalpha() for ch in m.group(2)):
        # A mention or link first is often a vocative or an aside ("@ana i am almost
        # finished"), but may be the subject: the model's scores decide.
        lead, rest = m.group(1), m.group(2)
        out += [Variant([v], lead=lead) for v in as_written_variants(rest, lang)]
    clauses = [c for c in _CLAUSES.split(rest) if c]
    if len(clauses) > 1 and all(len(c.split()) >= MIN_CLAUSE_WORDS for c in clauses):
        # Chat splices sentences with commas: "i finished the first week, i don't understand".
        out.append(Variant([as_written(c, lang) for c in clauses], ", ", lead))
    parts = _DASHES.split(rest)
    if len(parts) == 3 and all(any(ch.isalpha() for ch in p) for p in parts[::2]):
        # Each side is a sentence of its own; the dash (as typed) joins the translations.
        out.append(Variant([as_written(p, lang) for p in parts[::2]], parts[1], lead))
    return out


def _recased(variants: list[Variant], cased: Callable[[str], str] | None) -> list[Variant]:
    """The variants with each word cased as the model knows it, where that differs."""
    if cased is None:
        return []
    out = []
    for v in variants:
        segments = [(" ".join(cased(w) for w in text.split(" ")), mark) for text, mark in v.segments]
        if segments != v.segments:
            out.append(Variant(segments, v.joiner, v.lead))
    return out


_PLACEHOLDER = re.compile(r"\u27e6\d{1,2}\u27e7")
