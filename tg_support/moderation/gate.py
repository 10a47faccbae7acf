"""The gate before the groups: is a learner's message a question, junk, or something to hold?

Pure and synchronous: :func:`assess` takes the text and what the caller knows about the sender
(:class:`GateContext`) and returns a :class:`Verdict`: ``pass`` (post it), ``confirm`` (a
newcomer's text without a question mark that is hardly a question: three words or fewer, mostly
formatting, or no known word in letters no language writes; posted when the asker confirms it,
see :mod:`~tg_support.moderation.gate_words`), ``rephrase`` (send it back asking for words: no
letters, too short, keyboard mash, noise, stuffed invisible characters) or ``hold`` (keep it for
an admin: a link flood from a new account, a repeat of a recent question, a burst of questions
from a day-old account). Reason codes are language-neutral
constants; the caller maps them to localised messages.

Work is bounded: only the first :data:`WINDOW` characters are read (a 10,000-character text costs
the same as a 1,200-character one), at most 120 words and 150 bigrams of them are judged one by
one, and no step is worse than linear in that window.

Signals, and why they generalise across the 8 interface languages and the others learners write:

* letters are counted per script with weights (a Han character ~3 Latin letters, a Hangul
  syllable or a kana ~2, combining marks inside words count as letters), so the "too short"
  threshold means the same thing in Chinese, Hindi and English;
* junk words: long same-character runs, periodic words (``qwertyqwerty``), walks along a keyboard
  row (QWERTY/QWERTZ/AZERTY, ЙЦУКЕН, Greek, Arabic, Hebrew, Korean 2-set, Thai, InScript) or the
  alphabet, vowelless long Latin/Cyrillic/Greek words, case chaos (``aSdFgH``), random
  letter-digit tokens, Korean jamo strings, rare Han/Hangul characters (outside the common sets of
  GB2312 level 1, Big5, JIS level 1 and KS X 1001);
* bigram plausibility for Latin, Cyrillic and Greek: the share of within-word bigrams outside a
  language's most frequent ones, taken for the language that fits best (``gate_data.BIGRAMS``),
  and, for a text without one known word, how likely each next letter is in the best-fitting of
  langdetect's 36 profiles in these scripts (``gate_words.letter_fit``);
* noise: letters that switch script every other character (random Unicode), a few letters of
  three scripts or more, unassigned/private/
  surrogate/control code points, stacked combining marks (zalgo), invisible format characters
  (zero-width, bidi overrides, Hangul fillers) beyond what emoji and ZWNJ-using scripts need;
* vowel rules only apply to Latin, Cyrillic and Greek; CJK, Arabic, Indic and Thai are judged by
  repetition, keyboard walks, character rarity and script mixing;
* markup: HTML tags, Markdown markers and template placeholders (``{0}``, ``%(x)s``, ``${...}``)
  at least half as heavy as the letters, with four distinct words or fewer, are no question;
* direction tricks: bidi overrides (LRO/RLO), right-to-left controls in a text without
  right-to-left letters, and right-to-left and left-to-right words pasted into one token
  (beyond the article or prefix Arabic and Hebrew attach to a foreign word).
"""

from __future__ import annotations

import hashlib
import itertools
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Final, Literal

from tg_support.moderation import gate_text, gate_words
from tg_support.moderation.gate_data import BIGRAMS, HISTORIC_SCRIPTS, KNOWN_SCRIPTS

__all__ = [
    "ACTIONS",
    "REASONS",
    "WINDOW",
    "Action",
    "GateContext",
    "GatePolicy",
    "Verdict",
    "assess",
    "fingerprint",
]

Action = Literal["pass", "confirm", "rephrase", "hold"]
ACTIONS: Final[tuple[Action, ...]] = ("pass", "confirm", "rephrase", "hold")

# Reason codes (stable, language-neutral; the caller maps them to messages).
OK: Final = "ok"
NO_LETTERS: Final = "no_letters"  # emoji, digits, punctuation, markup only
TOO_SHORT: Final = "too_short"  # fewer than GatePolicy.min_weight letter-equivalents
KEYBOARD_MASH: Final = "keyboard_mash"  # asdfghjkl, qwertyqwerty, jjjjjjjj, random alnum
NOISE: Final = "noise"  # random Unicode, script soup, zalgo, unassigned code points
INVISIBLE_CHARS: Final = "invisible_chars"  # zero-width / bidi control characters stuffed in
LINK_FLOOD: Final = "link_flood"  # several links and little text, scaled by trust
REPEAT: Final = "repeat"  # same fingerprint as a recent question of the sender
BURST: Final = "burst"  # a new account asking many questions in its first day
# A newcomer's question that is not clearly junk nor clearly a question (no question mark,
# and: three words or fewer, mostly formatting, or no word we know and letters no language
# writes): the asker confirms it, or sends a longer version.
FEW_WORDS: Final = "few_words"
MOSTLY_MARKUP: Final = "mostly_markup"
UNKNOWN_WORDS: Final = "unknown_words"
REASONS: Final[dict[str, Action]] = {
    OK: "pass",
    NO_LETTERS: "rephrase",
    TOO_SHORT: "rephrase",
    KEYBOARD_MASH: "rephrase",
    NOISE: "rephrase",
    INVISIBLE_CHARS: "rephrase",
    LINK_FLOOD: "hold",
    REPEAT: "hold",
    BURST: "hold",
    FEW_WORDS: "confirm",
    MOSTLY_MARKUP: "confirm",
    UNKNOWN_WORDS: "confirm",
}

WINDOW: Final = 1200  # characters of the text that are analysed (~200 words)
DAY: Final = 86_400.0


@dataclass(frozen=True, slots=True)
class GateContext:
    """What the caller knows about the sender when the message arrives."""

    first_question: bool = True
    account_age_s: float = 0.0  # seconds since we first saw the account on our network
    questions_last_day: int = 0  # questions already asked in the last 24 h (this one excluded)
    recent_fingerprints: frozenset[str] = frozenset()  # fingerprint() of recent questions

    @property
    def newcomer(self) -> bool:
        return self.first_question or self.account_age_s < DAY

    @property
    def established(self) -> bool:
        return not self.first_question and self.account_age_s >= 7 * DAY


@dataclass(frozen=True, slots=True)
class GatePolicy:
    """Thresholds; the defaults are what the tests and ``bench/gate.py`` measure."""

    # letter-equivalents for a question ("Why NaN?" = 6, "什么是递归" = 15, "why 0.1+0.2?" = 6):
    # digits and operators count half when the text has letters at all.
    min_weight: float = 5.0
    mash_share: float = 0.5  # share of letter mass in junk words that makes a text a mash
    # Link floods: (min links, min share of the visible text taken by links) per trust level.
    newcomer_links: tuple[int, float] = (3, 0.5)
    newcomer_two_links_share: float = 0.7  # two links and hardly a word
    regular_links: tuple[int, float] = (4, 0.6)
    established_links: tuple[int, float] = (10, 0.8)
    newcomer_links_any: int = 5  # this many links from a newcomer are held whatever the text
    burst_new_account: int = 8  # questions in the first day of an account that trigger a hold


DEFAULT_POLICY: Final = GatePolicy()


@dataclass(frozen=True, slots=True)
class Verdict:
    action: Action
    reason: str
    detail: str = ""  # signal values for logs and the bench; never shown to learners

    @property
    def blocked(self) -> bool:
        """Sent back or held: not posted as it is (a ``confirm`` is posted when confirmed)."""
        return self.action in ("rephrase", "hold")


def _verdict(reason: str, detail: str = "") -> Verdict:
    return Verdict(REASONS[reason], reason, detail)


# -- fingerprint -----------------------------------------------------------------------------

_FP_DIGITS = re.compile(r"\d+")
_FP_SEP = re.compile(r"[\W_]+")


_FP_INVISIBLE = re.compile(
    "[\u00ad\u061c\u115f\u1160\u180e\u200b-\u200f\u202a-\u202e\u2060-\u206f\u3164\ufeff"
    "\uffa0\U000e0000-\U000e007f]"
)


def fingerprint(text: str) -> str:
    """A short stable hash of the text with case, width, digits, punctuation and spacing folded.

    "What is SQL?", "what  is sql??", "ＷＨＡＴ is SQL" and "What is SQL 2?" / "... 3?" share a
    fingerprint; different questions do not. Invisible characters are dropped first. Only the
    first 4,096 characters (a Telegram message) are read.
    """
    folded = unicodedata.normalize("NFKC", _FP_INVISIBLE.sub("", text[:4096])).casefold()
    folded = _FP_DIGITS.sub("0", folded)
    folded = _FP_SEP.sub(" ", folded).strip()
    return hashlib.blake2b(folded.encode("utf-8", "surrogatepass"), digest_size=8).hexdigest()


# -- characters ------------------------------------------------------------------------------

_VOWELS: Final = frozenset("aeiouyæœøıəɛɔаеёиоуыэюяіїєўαεηιουω")
_BLANK_LETTERS: Final = frozenset("\u115f\u1160\u3164\uffa0\u2800")  # Hangul fillers, braille blank
_BIDI_OK: Final = frozenset("\u200e\u200f\u061c")  # LRM, RLM, ALM from Arabic/Hebrew keyboards


@lru_cache(maxsize=16384)
def _is_letter(ch: str) -> bool:
    """A letter of a script: not a modifier letter (ʼ ˈ ˇ), not a blank Hangul filler."""
    cat = unicodedata.category(ch)
    return (
        cat[0] == "L"
        and ch not in _BLANK_LETTERS
        and not (cat == "Lm" and unicodedata.name(ch, "").startswith("MODIFIER"))
    )


@lru_cache(maxsize=16384)
def _common_han(ch: str) -> bool:
    """In GB2312 level 1, Big5's frequent block or JIS X 0208 level 1 (~7,300 characters)."""
    for codec, lo, hi in (("gb2312", 0xB0, 0xD7), ("big5", 0xA4, 0xC6), ("euc_jp", 0xB0, 0xCF)):
        try:
            raw = ch.encode(codec)
        except UnicodeEncodeError:
            continue
        if len(raw) == 2 and lo <= raw[0] <= hi:
            return True
    return False


@lru_cache(maxsize=16384)
def _common_hangul(ch: str) -> bool:
    """One of the 2,350 syllables of KS X 1001 (all but a handful in real Korean text)."""
    try:
        return len(ch.encode("euc_kr")) == 2
    except UnicodeEncodeError:
        return False


# Kinds of characters for the scan.
_OTHER, _LETTER, _MARK, _FORMAT, _JUNK, _SYMBOL = range(6)


@lru_cache(maxsize=32768)
def _char(ch: str) -> tuple[int, str, float, int]:
    """(kind, script, weight, rarity) of one character: rarity is 0 for anything but Han
    characters and Hangul syllables, 1 for common ones and 2 for rare ones."""
    cat = unicodedata.category(ch)
    if _is_letter(ch):
        script = gate_text.script(ch)
        rarity = 0
        if script == "HAN" and not "\u3040" <= ch <= "\u30ff":
            rarity = 1 if _common_han(ch) else 2
        elif script == "HANGUL" and "\uac00" <= ch <= "\ud7a3":
            rarity = 1 if _common_hangul(ch) else 2
        return _LETTER, script, _weight(script, ch), rarity
    if cat[0] == "M":
        return _MARK, "", 1.0, 0
    if cat == "Cf" or ch in _BLANK_LETTERS:
        return _FORMAT, "", 0.0, 0
    if cat in ("Cn", "Co", "Cs") or (cat == "Cc" and ch not in "\t\n\r"):
        return _JUNK, "", 0.0, 0
    if cat in ("So", "Sk"):
        return _SYMBOL, "", 0.0, 0
    if cat[0] == "N" or cat == "Sm" or ch in "#%&@$":
        return _OTHER, "", 0.5, 0  # digits and operators add to the length: "why 0.1+0.2?"
    return _OTHER, "", 0.0, 0


def _weight(script: str, ch: str) -> float:
    if script == "HAN":
        return 3.0 if ch < "\u3040" or ch > "\u30ff" else 2.0  # kana: ~ a syllable
    if script == "HANGUL":
        return 2.0 if "\uac00" <= ch <= "\ud7a3" else 0.5  # syllable block vs a lone jamo
    return 1.0


# -- keyboards -------------------------------------------------------------------------------

_ROWS: Final = (
    # QWERTY, QWERTZ, AZERTY
    "qwertyuiop", "asdfghjkl", "zxcvbnm", "qwertzuiopü", "asdfghjklöä", "yxcvbnm",
    "azertyuiop", "qsdfghjklm", "wxcvbn",
    # ЙЦУКЕН (ru), Ukrainian variants
    "йцукенгшщзхъ", "фывапролджэ", "ячсмитьбю", "йцукенгшщзхї", "фівапролджє",
    # Greek, Arabic, Hebrew, Korean 2-set, Thai Kedmanee, Devanagari InScript
    "ςερτυθιοπ", "ασδφγηξκλ", "ζχψωβνμ",
    "ضصثقفغعهخحجد", "شسيبلاتنمكط", "ئءؤرلاىةوزظ",
    "קראטוןםפ", "שדגכעיחלךף", "זסבהנמצתץ",
    "ㅂㅈㄷㄱㅅㅛㅕㅑㅐㅔ", "ㅁㄴㅇㄹㅎㅗㅓㅏㅣ", "ㅋㅌㅊㅍㅠㅜㅡ",
    "ๆไำพะัีรนยบลฃ", "ฟหกดเ้่าสวง", "ผปแอิืทมใฝ",
    "ौैाीूबहगदजड", "ोेािुपरकतचट", "ॆंमनवलस",
    # alphabets typed in order
    "abcdefghijklmnopqrstuvwxyz", "абвгдеёжзийклмнопрстуфхцчшщъыьэюя",
)  # fmt: skip
# pair of keys -> bit mask of the (row, direction) steps it makes; a walk keeps one of them.
_STEPS: Final[dict[str, int]] = {}
for _r, _row in enumerate(_ROWS):
    for _a, _b in itertools.pairwise(_row):
        _STEPS[_a + _b] = _STEPS.get(_a + _b, 0) | 1 << (2 * _r)
        _STEPS[_b + _a] = _STEPS.get(_b + _a, 0) | 1 << (2 * _r + 1)


def _walks(word: str) -> tuple[int, int]:
    """(longest walk, letters covered by walks of 4+ keys) along one keyboard row (or the
    alphabet) in one direction: ``asdfg`` is a walk of 5, ``azertyuiortyuiop`` is covered."""
    best = 1 if word else 0
    covered = 0
    run, mask, counted_to = 1, 0, -1
    for i, (a, b) in enumerate(itertools.pairwise(word), 1):
        step = _STEPS.get(a + b, 0)
        mask &= step
        if mask:
            run += 1
        else:
            run, mask = (2, step) if step else (1, 0)
        if run > best:
            best = run
        if run >= 4:
            first = max(i - run + 1, counted_to + 1)
            covered += i + 1 - first
            counted_to = i
    return best, covered


def _period(word: str) -> int:
    """Smallest p such that word[i] == word[i + p] everywhere (len(word) if none)."""
    n = len(word)
    for p in range(1, n // 2 + 1):
        if all(word[i] == word[i + p] for i in range(n - p)):
            return p
    return n


def _longest_run(word: str) -> int:
    best = run = 1
    for a, b in itertools.pairwise(word):
        run = run + 1 if a == b else 1
        best = max(best, run)
    return best if word else 0


# -- bigrams ---------------------------------------------------------------------------------


def _bigram_misfit(words: list[str]) -> tuple[float, int]:
    """(share of within-word bigrams outside the best-fitting language's table, bigram count).

    Only Latin, Cyrillic and Greek words of 3+ letters that are not all upper case (acronyms)
    are read; each script is scored against the languages written in it and the scores are
    averaged by bigram count.
    """
    by_script: dict[str, list[str]] = {}
    total = 0
    for word in words:
        if total >= _MAX_BIGRAMS:
            break
        low = "".join(gate_text.base(c) for c in word if not unicodedata.combining(c))
        grams = [low[i : i + 2] for i in range(len(low) - 1)]
        by_script.setdefault(gate_text.script(word[0]), []).extend(grams)
        total += len(grams)
    misses = 0.0
    for script, grams in by_script.items():
        tables = _BIGRAM_SETS.get(script, ())
        if tables:
            misses += min(sum(g not in table for g in grams) for table in tables)
    return (misses / total if total else 0.0), total


_MAX_WORDS: Final = 120  # words judged one by one (the first ones: a bounded sample)
_MAX_BIGRAMS: Final = 150

# -- words -----------------------------------------------------------------------------------


def _junk_word(word: str, script: str, weight: float) -> float:
    """0 (looks like a word), 0.5 (suspicious) or 1 (junk) for a run of one script's letters."""
    n = len(word)
    low = word.lower()
    distinct = len(set(low))
    if n >= 5 and distinct <= 2:
        return 1.0  # jjjjjjjj, hahaha, ㅋㅋㅋㅋㅋ, 啊啊啊啊啊
    if n >= 4 and _longest_run(low) * 2 >= n + 1:
        return 1.0  # aaaaah, ssss
    if n >= 6 and distinct * 2 <= n:
        p = _period(low)
        if p < n and n >= 2 * p:
            return 1.0 if n >= 3 * p or p >= 5 else 0.75  # asdasdasd, qwertyqwerty / couscous
    if script == "HANGUL" and n >= 4 and all("\u3131" <= c <= "\u318e" for c in word):
        return 1.0  # ㅁㄴㅇㄹ: jamo typed without forming syllables
    walk, covered = _walks(low)
    if (walk >= 5 or n >= 8) and covered * 5 >= n * 3:
        return 1.0  # asdfghjkl, ывапролдж, ضصثقف, abcdef, azertyuiortyuiop
    if walk == n == 4:
        return 0.5  # asdf, qwer (alone they are too short anyway)
    if script in gate_text.ALPHABETS and n >= 6:
        vowels = sum(gate_text.base(c) in _VOWELS for c in word)
        if vowels == 0 and not word.isupper():
            return 1.0  # sdfghjk, пврлдж
        if n >= 9 and vowels * 6 < n:
            return 0.5
        if not word.isupper() and not word[1:].islower():
            flips = sum(a.isupper() != b.isupper() for a, b in itertools.pairwise(word))
            if flips >= 4 and flips * 2 >= n - 1:
                return 1.0  # aSdFgH (camelCase has fewer flips)
    return 0.0


_RANDOM_ALNUM: Final = re.compile(r"[A-Za-z0-9]{8,}")
_ALNUM_TRANSITION: Final = re.compile(r"(?<=[A-Za-z])(?=\d)|(?<=\d)(?=[A-Za-z])")


def _random_token(token: str) -> bool:
    """A letter-digit soup like x7Gk2pQ9zL4m or ljoQoaF1Ll (a hash inside a real question is
    outweighed by the question's words)."""
    if not _RANDOM_ALNUM.fullmatch(token):
        return False
    letters = sum(c.isalpha() for c in token)
    if letters < 2 or letters == len(token):
        return False
    changes = len(_ALNUM_TRANSITION.findall(token)) + sum(
        a.isupper() != b.isupper()
        for a, b in itertools.pairwise(token)
        if a.isalpha() and b.isalpha()
    )
    return changes >= 5 and changes * 20 >= len(token) * 7


# -- scanning --------------------------------------------------------------------------------


@dataclass(slots=True)
class _Scan:
    weight: float = 0.0  # letter-equivalents in prose and code
    letters: int = 0
    words: list[tuple[str, str, float, bool]] | None = None  # (text, script, weight, in code)
    script_weight: dict[str, float] | None = None
    switches: int = 0
    invisible: int = 0  # format characters that no script or emoji sequence needs
    junk_points: int = 0  # unassigned, private use, surrogates, C0/C1 controls
    orphan_marks: int = 0  # combining marks with no letter before them
    zalgo: int = 0  # combining marks beyond the 2nd (3rd for Indic/Thai/Arabic) on one base
    cjk: int = 0  # Han characters and Hangul syllables
    rare_cjk: int = 0  # those outside the common sets
    random_tokens: float = 0.0  # weight of x7Gk2pQ9-like tokens
    visible: int = 0  # non-space characters
    extra: float = 0.0  # half weight of digits and operators, for the length threshold only


_STACKING: Final = frozenset(
    [
        "DEVANAGARI",
        "BENGALI",
        "GURMUKHI",
        "GUJARATI",
        "ORIYA",
        "TAMIL",
        "TELUGU",
        "KANNADA",
        "MALAYALAM",
        "SINHALA",
        "THAI",
        "LAO",
        "TIBETAN",
        "MYANMAR",
        "KHMER",
        "ARABIC",
        "HEBREW",
        "SYRIAC",
        "THAANA",
    ]
)
_IGNORABLE_MARKS: Final = frozenset("\ufe0e\ufe0f\u20e3\u034f")


def _scan(segments: list[tuple[str, bool]]) -> _Scan:
    s = _Scan(words=[], script_weight={})
    assert s.words is not None and s.script_weight is not None
    words = s.words
    script_weight = s.script_weight
    last_script = ""
    for segment, in_code in segments:
        for token in segment.split():
            s.visible += len(token)
            if _random_token(token):
                w = len(token) * 0.75
                s.weight += w
                s.random_tokens += w
                continue
            word: list[str] = []
            word_script = ""
            word_weight = 0.0
            marks = 0
            prev = ""  # previous character's kind: "L" letter, "M" mark, "E" emoji/symbol, ""
            for ch in token:
                kind, script, w, rarity = _char(ch)
                if kind == _LETTER:
                    if script != word_script and word:
                        words.append(("".join(word), word_script, word_weight, in_code))
                        word, word_weight = [], 0.0
                    if last_script and script != last_script:
                        s.switches += 1
                    last_script = word_script = script
                    if rarity:
                        s.cjk += 1
                        s.rare_cjk += rarity == 2
                    word.append(ch)
                    word_weight += w
                    s.weight += w
                    s.letters += 1
                    script_weight[script] = script_weight.get(script, 0.0) + w
                    marks = 0
                    prev = "L"
                elif kind == _MARK:
                    if ch in _IGNORABLE_MARKS or "\ufe00" <= ch <= "\ufe0f" or ch >= "\U000e0100":
                        continue
                    if prev not in ("L", "M"):
                        s.orphan_marks += 1
                        continue
                    marks += 1
                    if marks > (3 if word_script in _STACKING else 2):
                        s.zalgo += 1
                        continue
                    word.append(ch)
                    word_weight += 1.0
                    s.weight += 1.0
                    prev = "M"
                elif kind == _FORMAT:
                    s.visible -= 1
                    if (
                        ch == "\u200b"
                        and prev in ("L", "M")
                        and word_script in gate_text.ZWSP_SCRIPTS
                    ):
                        continue  # word breaks in Lao, Thai, Khmer, Burmese
                    if ch == "\u200d" and prev in ("E", "L"):
                        continue  # emoji ZWJ sequences, Indic conjuncts
                    if ch == "\u200c" and prev in ("L", "M"):
                        continue  # ZWNJ inside Persian, Hindi, Bengali words
                    if ch in _BIDI_OK or ch == "\u00ad":
                        continue
                    if "\U000e0020" <= ch <= "\U000e007f" and prev == "E":
                        continue  # flag tag sequences
                    s.invisible += 1
                    # the word goes on: zero-width characters stuffed inside one are seen through
                else:
                    if word:
                        words.append(("".join(word), word_script, word_weight, in_code))
                        word, word_weight, word_script = [], 0.0, ""
                    marks = 0
                    if kind == _JUNK:
                        s.junk_points += 1
                    s.extra += w
                    prev = "E" if kind == _SYMBOL else ""
            if word:
                words.append(("".join(word), word_script, word_weight, in_code))
    return s


# -- markup and links ------------------------------------------------------------------------

_SCRIPT_BLOCK: Final = re.compile(r"(?is)<\s*(script|style)\b[^>]{0,200}>.{0,2000}?<\s*/\s*\1\s*>")
_TAG: Final = re.compile(r"</?\s*[a-zA-Z][a-zA-Z0-9-]{0,20}(?:\s[^<>]{0,200})?/?>")
_ENTITY: Final = re.compile(r"&(?:[a-zA-Z]{2,8}|#\d{1,7}|#x[0-9a-fA-F]{1,6});")
_LINK: Final = re.compile(
    r"(?i)(?:\b(?:https?|ftp|tg)://|\bwww\.)[^\s<>\"'`]+"
    r"|\b[\w-]+@[\w-]+(?:\.[\w-]+)+\b"  # e-mail
    r"|(?<![\w.@])(?:[a-z0-9-]{1,63}\.)+"
    r"(?:com|org|net|ru|me|ly|io|xyz|top|site|online|club|link|shop|store|click|win|vip|live"
    r"|gg|tk|su|biz)(?:/[^\s<>\"'`]*)?(?![\w.(])"  # bare domains, t.me/...
    r"|(?<![\w@/])@[A-Za-z][A-Za-z0-9_]{3,31}\b"  # @channel mentions
)
# -- the gate --------------------------------------------------------------------------------


def assess(text: str, ctx: GateContext, policy: GatePolicy = DEFAULT_POLICY) -> Verdict:
    """Judge one learner message (see the module docstring for the signals)."""
    window = gate_text.nfkc(text[:WINDOW])[: 2 * WINDOW]
    raw_visible = len("".join(window.split()))
    window = _ENTITY.sub(" ", _TAG.sub(" ", _SCRIPT_BLOCK.sub(" ", window)))
    markup = raw_visible - len("".join(window.split()))  # tags and entities taken out
    links = [m.group() for m in _LINK.finditer(window)]
    shaped = _LINK.sub(" ", window) if links else window
    prose, removed = gate_text.strip_syntax(shaped)
    segments = gate_text.segments(prose)
    markup += removed + sum(gate_text.syntax_chars(text) for text, code in segments if not code)
    scan = _scan(segments)
    assert scan.words is not None and scan.script_weight is not None

    # Links first: a first question that is mostly links is held even when it has no words.
    n_links = len(links)
    link_chars = sum(len(link) for link in links)
    link_share = link_chars / (link_chars + scan.visible) if link_chars else 0.0
    if ctx.established:
        min_links, min_share = policy.established_links
    elif ctx.newcomer:
        min_links, min_share = policy.newcomer_links
    else:
        min_links, min_share = policy.regular_links
    if (
        (n_links >= min_links and link_share >= min_share)
        or (ctx.newcomer and n_links >= policy.newcomer_links_any)
        or (ctx.newcomer and n_links == 2 and link_share >= policy.newcomer_two_links_share)
    ):
        return _verdict(LINK_FLOOD, f"links={n_links} share={link_share:.2f}")

    if scan.letters == 0 and scan.random_tokens == 0:
        return _verdict(TOO_SHORT if links else NO_LETTERS, f"links={n_links}")
    if scan.invisible >= 3 and scan.invisible * 10 >= scan.letters:
        return _verdict(INVISIBLE_CHARS, f"invisible={scan.invisible} letters={scan.letters}")
    if gate_text.has_override(window):
        return _verdict(INVISIBLE_CHARS, "bidi override")
    if gate_text.stray_rtl_controls(window):
        return _verdict(INVISIBLE_CHARS, "right-to-left controls without right-to-left text")
    if (glued := gate_text.glued(window)) and glued * 6 >= len(scan.words):
        return _verdict(NOISE, f"glued={glued} words={len(scan.words)}")

    weight = scan.weight
    # Noise: random code points, script soup, zalgo, rare CJK.
    if scan.junk_points >= 2 and scan.junk_points * 5 >= scan.letters:
        return _verdict(NOISE, f"junk_points={scan.junk_points}")
    if scan.switches >= 3 and scan.switches >= 0.3 * weight:
        return _verdict(NOISE, f"switches={scan.switches} weight={weight:.1f}")
    exotic = sum(w for sc, w in scan.script_weight.items() if sc not in KNOWN_SCRIPTS)
    if len(scan.script_weight) < 2 and not HISTORIC_SCRIPTS.intersection(scan.script_weight):
        exotic = 0.0  # a whole text in one unusual living script is someone's language
    noise = exotic + scan.zalgo + scan.orphan_marks + scan.junk_points
    if noise >= 3 and noise >= 0.4 * (weight + scan.zalgo + scan.orphan_marks):
        return _verdict(
            NOISE, f"exotic={exotic:.0f} zalgo={scan.zalgo} orphan_marks={scan.orphan_marks}"
        )
    if scan.rare_cjk >= 2 and scan.rare_cjk * 2 >= scan.cjk:
        return _verdict(NOISE, f"rare_cjk={scan.rare_cjk}/{scan.cjk}")
    scripts = len(scan.script_weight)
    if (scripts >= 3 and scan.letters <= 20) or (exotic and scripts >= 2 and scan.letters <= 8):
        return _verdict(NOISE, f"scripts={scripts} letters={scan.letters}")  # ẕ트ﾣめ, ⼣ᏽඒ

    if weight + scan.extra < policy.min_weight:
        return _verdict(TOO_SHORT, f"weight={weight:.1f}+{scan.extra:.1f}")
    distinct = {w[0].lower() for w in scan.words if not w[3] and len(w[0]) >= 2}
    if markup and markup * 2 >= scan.letters and len(distinct) <= gate_text.MARKUP_MAX_WORDS:
        return _verdict(NO_LETTERS, f"markup={markup} letters={scan.letters}")

    # Keyboard mash: junk words by mass, bigram misfit, a word said over and over.
    words = scan.words
    prose_words = ([w for w in words if not w[3]] or words)[:_MAX_WORDS]  # only code: the code
    mass = scan.random_tokens
    junk = scan.random_tokens
    for word, script, w, _ in prose_words:
        mass += w
        junk += w * _junk_word(word, script, w)
    share = junk / mass if mass else 0.0
    misfit, n_grams = _bigram_misfit(
        [
            w[0]
            for w in prose_words
            if w[1] in gate_text.ALPHABETS and len(w[0]) >= 3 and not w[0].isupper()
        ]
    )
    detail = f"junk={share:.2f} misfit={misfit:.2f}/{n_grams}"
    if (
        share >= policy.mash_share
        or (n_grams >= 8 and misfit >= 0.5)
        or (n_grams >= 4 and misfit >= 0.6)
        or (share >= 0.25 and n_grams >= 4 and misfit >= 0.35)
    ):
        return _verdict(KEYBOARD_MASH, detail)
    lowered = [w[0].lower() for w in prose_words]
    if len(lowered) >= 4 and len(set(lowered)) * 3 <= len(lowered):
        return _verdict(
            KEYBOARD_MASH, f"repeated words={len(lowered)} distinct={len(set(lowered))}"
        )
    # Letters no language writes (a question mark is intent enough to be left to the rest).
    plain = [(w[0], w[1]) for w in prose_words]
    asks = gate_words.has_question_mark(shaped)
    fit = None if asks else gate_words.unknown_fit(plain)
    if fit is not None and gate_words.is_mash(fit):
        return _verdict(KEYBOARD_MASH, f"fit={fit[0]:.2f}/{fit[1]}")

    if ctx.recent_fingerprints and fingerprint(text) in ctx.recent_fingerprints:
        return _verdict(REPEAT)
    if ctx.account_age_s < DAY and ctx.questions_last_day >= policy.burst_new_account:
        return _verdict(BURST, f"questions_last_day={ctx.questions_last_day}")
    if (
        ctx.newcomer
        and not asks
        and (doubt := gate_words.doubt(shaped, plain, scan.script_weight, fit))
    ):
        return _verdict(*doubt)
    return Verdict("pass", OK, detail)


_BIGRAM_SETS: Final[dict[str, tuple[frozenset[str], ...]]] = {}
for _table in BIGRAMS.values():
    _pairs = frozenset(_table[i : i + 2] for i in range(0, len(_table), 2))
    _alphabet = gate_text.script(_table[0])
    _BIGRAM_SETS[_alphabet] = (*_BIGRAM_SETS.get(_alphabet, ()), _pairs)
