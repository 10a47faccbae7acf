"""Signals of the gate (:mod:`tg_support.moderation.gate`) about the shape of a first question:
is there a question mark, how many distinct words, how much of it is formatting, and do its
letters run the way some language's letters run.

The letter model is read from langdetect's own language profiles (installed with the project,
36 languages written in Latin, Cyrillic or Greek): for each language, how often one letter
follows another, word starts and ends included. A word typed by someone writing a language
scores about -2.3 to -3.3 (mean natural log of each next letter's chance); random letters and
home-row mashes score -4 to -6, course jargon ("postgresql", "lightgbm") -3.5 to -4. That
overlap is why a poor fit alone only asks a newcomer to confirm, and sends the text back only
far below anything written.
"""

from __future__ import annotations

import itertools
import json
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Final

from tg_support.core.langid_words import JARGON, WORDS

# ? in the scripts learners write (fullwidth, Arabic, reversed, Armenian ՞, Greek ;).
_QUESTION_MARK: Final = re.compile(r"[?？؟⸮\u055e]|(?<=[\u0370-\u03ff\u1f00-\u1fff]);")
# Word-separating spaces are not how these scripts write: a Chinese or Thai question is one
# run of letters, so "few words" means nothing there.
UNSPACED_SCRIPTS: Final = frozenset({"HAN", "THAI", "LAO", "KHMER", "MYANMAR", "TIBETAN"})
# Opens with a Markdown marker or a link's bracket, closes with one, or has no letter at all.
_MARKUP_TOKEN: Final = re.compile(r"^(?:[*_~`|#>\[]|!\[)|[*_~`|]$|^[^\w]*[*_~`|#>\[\]=-][^\w]*$")
KNOWN_WORDS: Final[frozenset[str]] = JARGON.union(*WORDS.values())
_MODEL_SCRIPTS: Final = ("LATIN", "CYRILLIC", "GREEK")
_UNSEEN: Final = math.log(3e-4)  # a letter pair a language's profile never lists
_MAX_WORDS: Final = 30
DOUBTFUL_FIT: Final = -3.5  # below: a newcomer confirms the question (jargon lands here too)
MASH_FIT: Final = -4.5  # below: sent back (no written text of the dev sets comes near)


def has_question_mark(text: str) -> bool:
    return bool(_QUESTION_MARK.search(text))


def distinct_tokens(prose: str) -> int:
    """Space-separated tokens with two or more letters or digits, counted once each
    ("how to balance H2 + O2 -> H2O" has 6)."""
    seen = set()
    for token in prose.split():
        core = "".join(c for c in token if c.isalnum()).lower()
        if len(core) >= 2:
            seen.add(core)
    return len(seen)


def markup_share(text: str) -> float:
    """Share of the space-separated tokens that open or close with formatting syntax, or are
    nothing else: "> quote # heading" is 0.5, "**Week 3** quiz is closed" 0.4, and an
    identifier (train_test_split, df['a']) is no formatting."""
    tokens = text.split()
    if not tokens:
        return 0.0
    return sum(bool(_MARKUP_TOKEN.search(t)) for t in tokens) / len(tokens)


def all_unknown(words: Iterable[str]) -> bool:
    """No word is a function word of a language we know or course jargon."""
    return not any(w.lower() in KNOWN_WORDS for w in words)


def _fold(ch: str) -> str:
    decomposed = unicodedata.normalize("NFD", ch.lower())
    return decomposed[0] if decomposed else ch


def _script(ch: str) -> str:
    return unicodedata.name(ch, "?").split(" ", 1)[0]


@lru_cache(maxsize=1)
def _models() -> tuple[tuple[str, frozenset[str], Mapping[str, float]], ...]:
    """(script, letters, log P(next | letter) for each listed pair) per language profile."""
    import langdetect

    out = []
    for path in sorted((Path(langdetect.__file__).parent / "profiles").iterdir()):
        freq: dict[str, int] = json.loads(path.read_text(encoding="utf-8"))["freq"]
        singles: Counter[str] = Counter()
        pairs: Counter[str] = Counter()
        for gram, n in freq.items():
            folded = "".join(" " if c == " " else _fold(c) for c in gram)
            if len(gram) == 1 and folded.isalpha():
                singles[folded] += n
            elif len(gram) == 2 and folded.strip() and all(c == " " or c.isalpha() for c in folded):
                pairs[folded] += n
        by_script = Counter(
            {sc: sum(n for c, n in singles.items() if _script(c) == sc) for sc in _MODEL_SCRIPTS}
        )
        script, mass = by_script.most_common(1)[0]
        if not mass or mass * 2 < sum(singles.values()):
            continue  # a language of another script (Arabic, Devanagari, Han...)
        starts = sum(n for g, n in pairs.items() if g[0] == " ")
        logp = {}
        for gram, n in pairs.items():
            before = starts if gram[0] == " " else singles.get(gram[0], 0)
            if before and n <= before:
                logp[gram] = math.log(n / before)
        letters = frozenset(c for c in singles if _script(c) == script)
        out.append((script, letters, logp))
    return tuple(out)


def warm_up() -> None:
    """Read the profiles (about 0.25 s) before the first text needs them."""
    _letters()


def letter_fit(words: Iterable[str]) -> tuple[float, int]:
    """(mean log chance of each next letter, letter pairs read) for the best-fitting language;
    (0.0, 0) when no word is in Latin, Cyrillic or Greek letters.

    Letters no profile lists are skipped rather than punished, so a language outside the 36
    (Azerbaijani's ə) is judged by the letters it shares with them; a letter one language
    lacks (q in Polish) still counts against that language."""
    seen = _letters()
    folded: list[tuple[str, str]] = []
    for word in words:
        if len(folded) >= _MAX_WORDS:
            break
        script = _script(word[0])
        if script in _MODEL_SCRIPTS and len(word) >= 2:
            kept = (_fold(c) for c in word if not unicodedata.combining(c))
            folded.append((script, "".join(c for c in kept if c in seen)))
    pairs = Counter(script for script, _ in folded)
    best: tuple[float, int] = (0.0, 0)
    best_mean = -math.inf
    for script, _, logp in _models():
        if not pairs[script]:
            continue
        total, n = 0.0, 0
        for word_script, word in folded:
            if word_script == script and word:
                padded = f" {word} "
                for a, b in itertools.pairwise(padded):
                    total += logp.get(a + b, _UNSEEN)
                    n += 1
        if n and total / n > best_mean:
            best_mean, best = total / n, (total / n, n)
    return best


@lru_cache(maxsize=1)
def _letters() -> frozenset[str]:
    return frozenset().union(*(letters for _, letters, _ in _models()))


def doubt(shaped: str, words: list[str], scripts: Iterable[str]) -> tuple[str, str] | None:
    """Why a newcomer's first question should be confirmed before it is posted, or None.

    ``shaped`` is the text with links taken out and formatting left in; ``words`` its prose
    words (letters of one script each); ``scripts`` the scripts of its letters. Each reason
    is a code of :mod:`tg_support.moderation.gate`, with a detail for the log. A question
    mark is intent enough: only texts without one are doubted."""
    if has_question_mark(shaped):
        return None
    if not UNSPACED_SCRIPTS.intersection(scripts):
        if (tokens := distinct_tokens(shaped)) <= 3:
            return "few_words", f"tokens={tokens}"
        share = markup_share(shaped)
        if share >= 0.5 and len({w.lower() for w in words}) <= 8:
            return "mostly_markup", f"markup_tokens={share:.2f}"
    if all_unknown(words):
        fit, pairs = letter_fit(w for w in words if not w.isupper())
        if pairs >= 8 and fit < DOUBTFUL_FIT:
            return "unknown_words", f"fit={fit:.2f}/{pairs}"
    return None


def mash_fit(words: list[str]) -> tuple[float, int] | None:
    """(fit, pairs) when no word is known and the letters fit no language far below anything
    written (a mash the other signals missed), else None."""
    if not words or not all_unknown(words):
        return None
    fit, pairs = letter_fit(w for w in words if not w.isupper())
    return (fit, pairs) if pairs >= 10 and fit < MASH_FIT else None
