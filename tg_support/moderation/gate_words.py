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
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Final

from tg_support.core.langid_words import JARGON, WORDS
from tg_support.moderation.gate_text import ALPHABETS, ZWSP_SCRIPTS, base, script

# ? in the scripts learners write (fullwidth, Arabic, reversed, Armenian ՞, Greek ;).
_QUESTION_MARK: Final = re.compile(r"[?？؟⸮\u055e]|(?<=[\u0370-\u03ff\u1f00-\u1fff]);")
# Word-separating spaces are not how these scripts write: a Chinese or Thai question is one
# run of letters, so "few words" means nothing there.
UNSPACED_SCRIPTS: Final = ZWSP_SCRIPTS | {"HAN"}
# Opens with a Markdown marker or a link's bracket, closes with one, or has no letter at all.
_MARKUP_TOKEN: Final = re.compile(r"^(?:[*_~`|#>\[]|!\[)|[*_~`|]$|^[^\w]*[*_~`|#>\[\]=-][^\w]*$")
KNOWN_WORDS: Final[frozenset[str]] = JARGON.union(*WORDS.values())
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
            folded = "".join(" " if c == " " else base(c) for c in gram)
            if len(gram) == 1 and folded.isalpha():
                singles[folded] += n
            elif len(gram) == 2 and folded.strip() and all(c == " " or c.isalpha() for c in folded):
                pairs[folded] += n
        by_script = Counter(
            {sc: sum(n for c, n in singles.items() if script(c) == sc) for sc in ALPHABETS}
        )
        main, mass = by_script.most_common(1)[0]
        if not mass or mass * 2 < sum(singles.values()):
            continue  # a language of another script (Arabic, Devanagari, Han...)
        starts = sum(n for g, n in pairs.items() if g[0] == " ")
        logp = {}
        for gram, n in pairs.items():
            before = starts if gram[0] == " " else singles.get(gram[0], 0)
            if before and n <= before:
                logp[gram] = math.log(n / before)
        letters = frozenset(c for c in singles if script(c) == main)
        out.append((main, letters, logp))
    return tuple(out)


def warm_up() -> None:
    """Read the profiles (about 0.25 s) before the first text needs them."""
    _letters()


def letter_fit(words: Iterable[tuple[str, str]]) -> tuple[float, int]:
    """(mean log chance of each next letter, letter pairs read) for the best-fitting language,
    of (word, script) pairs; (0.0, 0) when no word is in Latin, Cyrillic or Greek letters.

    Letters no profile lists are skipped rather than punished, so a language outside the 36
    (Azerbaijani's ə) is judged by the letters it shares with them; a letter one language
    lacks (q in Polish) still counts against that language."""
    seen = _letters()
    folded: list[tuple[str, str]] = []
    for word, word_script in words:
        if len(folded) >= _MAX_WORDS:
            break
        if word_script in ALPHABETS and len(word) >= 2:
            kept = (base(c) for c in word if not unicodedata.combining(c))
            folded.append((word_script, "".join(c for c in kept if c in seen)))
    pairs = Counter(word_script for word_script, _ in folded)
    best: tuple[float, int] = (0.0, 0)
    best_mean = -math.inf
    for model_script, _, logp in _models():
        if not pairs[model_script]:
            continue
        total, n = 0.0, 0
        for word_script, word in folded:
            if word_script == model_script and word:
                for a, b in itertools.pairwise(f" {word} "):
                    total += logp.get(a + b, _UNSEEN)
                    n += 1
        if n and total / n > best_mean:
            best_mean, best = total / n, (total / n, n)
    return best


def unknown_fit(words: Sequence[tuple[str, str]]) -> tuple[float, int] | None:
    """:func:`letter_fit` of the (word, script) pairs but acronyms, when none of the words is
    a function word of a language we know or course jargon; None when one is."""
    if any(w.lower() in KNOWN_WORDS for w, _ in words):
        return None
    return letter_fit((w, sc) for w, sc in words if not w.isupper())


def is_mash(fit: tuple[float, int]) -> bool:
    """Letters that fit no language, far below anything written (a mash the other signals
    missed)."""
    return fit[1] >= 10 and fit[0] < MASH_FIT


@lru_cache(maxsize=1)
def _letters() -> frozenset[str]:
    return frozenset().union(*(letters for _, letters, _ in _models()))


def doubt(
    shaped: str,
    words: Sequence[tuple[str, str]],
    scripts: Iterable[str],
    fit: tuple[float, int] | None,
) -> tuple[str, str] | None:
    """Why a newcomer's first question without a question mark should be confirmed before
    it is posted, or None.

    ``shaped`` is the text with links taken out and formatting left in; ``words`` its prose
    (word, script) pairs; ``scripts`` the scripts of its letters; ``fit`` their
    :func:`unknown_fit`. Each reason is a code of :mod:`tg_support.moderation.gate`, with a
    detail for the log."""
    if not UNSPACED_SCRIPTS.intersection(scripts):
        if (tokens := distinct_tokens(shaped)) <= 3:
            return "few_words", f"tokens={tokens}"
        share = markup_share(shaped)
        if share >= 0.5 and len({w.lower() for w, _ in words}) <= 8:
            return "mostly_markup", f"markup_tokens={share:.2f}"
    if fit is not None and fit[1] >= 8 and fit[0] < DOUBTFUL_FIT:
        return "unknown_words", f"fit={fit[0]:.2f}/{fit[1]}"
    return None
