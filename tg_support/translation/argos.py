"""Offline translation with argostranslate, run by workers.

* :class:`ArgosTranslator` uses argostranslate's own API: packages installed with
  ``argostranslate.package.install_from_path``, translation through
  ``argostranslate.translate`` (pivoting through English when no direct pair exists). Its
  batch path hands every sentence of several messages to CTranslate2 in one
  ``translate_batch`` call, through the argos package's own tokenizer and sentencizer.
* :func:`~tg_support.translation.protect.protect` / ``restore`` keep Telegram entities
  intact (links, e-mail addresses, @mentions, #hashtags, code, formulas, numbers, emoji) and
  apply glossary terms and course titles, through placeholder tokens (``⟦0⟧``…, single
  SentencePiece pieces in our models), with entity offsets recomputed in UTF-16 units.
* :class:`TranslationCache` keys results by (model version, source, target, text hash) in
  Redis, so a cache hit costs no model call.

argostranslate reads its settings and creates directories when it is imported, so
:func:`configure` must run first (workers call it at start).

Key patterns (``{p}`` is the prefix):

=====================================  ======  ============================================
``{p}tr:c2:{version}:{src}:{dst}:{h}`` string  JSON: cached translation of the text with
                                               hash h and its per-leg confidences; noted in
                                               the trail of the people it was made for
``{p}tr:pairs``                        set     ``src-dst`` pairs installed on the workers
``{p}tr:orig:{id}``                    string  JSON of a translated message's original
                                               (``delivery``; in the trails of its people)
``{p}tr:seq``                          string  last id of ``tr:orig``
=====================================  ======  ============================================
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import math
import os
import threading
import time
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from redis.asyncio import Redis
from telegram import MessageEntity

from tg_support.core import metrics, trail
from tg_support.translation import confidence, writing
from tg_support.translation.protect import MAX_SLOTS as MAX_SLOTS
from tg_support.translation.protect import Slot, Term, TooManySlots, protect
from tg_support.translation.protect import restore as restore

log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[2]
SHIPPED_MODELS = ROOT / "models"
PIVOT = "en"
CACHE_TTL = 30 * 24 * 3600
MAX_INTER_THREADS = 4
# Sentences per CTranslate2 sub-batch. Small sub-batches keep a beam's working set in
# cache and give every inter-op thread work; 8 was fastest of 8..256 here (bench/).
SUB_BATCH = 8
SHORT_MODEL_TOKENS = 64


def configure(data_dir: Path) -> None:
    """Point argostranslate at our directories; must run before it is imported."""
    base = data_dir.resolve() / "argos"
    if "stanza" in str(base):
        # argos picks its sentence splitter by a substring test on the package path.
        raise ValueError(f"the argos data path must not contain 'stanza': {base}")
    defaults = {
        "XDG_DATA_HOME": base / "data",
        "XDG_CONFIG_HOME": base / "config",
        "XDG_CACHE_HOME": base / "cache",
        "ARGOS_PACKAGES_DIR": base / "packages",
    }
    for key, path in defaults.items():
        if key not in os.environ:
            path.mkdir(parents=True, exist_ok=True)
            os.environ[key] = str(path)
    # One intra-op thread: ~2 ms per short sentence instead of ~50 ms on two cores here
    # (OpenMP over matrices this small costs more than it saves). The cores are used by
    # inter-op threads instead: each runs a sub-batch, which only a batch can feed.
    os.environ.setdefault("ARGOS_INTRA_THREADS", "1")
    os.environ.setdefault("ARGOS_INTER_THREADS", str(min(os.cpu_count() or 1, MAX_INTER_THREADS)))
    os.environ.setdefault("ARGOS_CHUNK_TYPE", "MINISBD")


# --- the argos backend ---------------------------------------------------------------


class ArgosTranslator:
    """argostranslate, loaded lazily once per process (import takes seconds)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loaded = False
        self._packages: tuple[float, list[Any]] = (-PACKAGES_TTL, [])

    def _load(self) -> None:
        with self._lock:
            if not self._loaded:
                import argostranslate.translate  # noqa: F401  (configured env must be set)

                self._loaded = True

    def installed_packages(self) -> list[Any]:
        """argos' installed packages, read from disk at most every few seconds: argos reads
        every package's metadata on each call (~0.3 ms with four), and a translation job
        needs the list three times."""
        now = time.monotonic()
        seen, packages = self._packages
        if now - seen >= PACKAGES_TTL:
            import argostranslate.package

            packages = argostranslate.package.get_installed_packages()
            self._packages = (now, packages)
        return packages

    def forget_packages(self) -> None:
        """Packages were installed or removed: read the list again next time."""
        self._packages = (-PACKAGES_TTL, [])

    def installed_pairs(self) -> set[tuple[str, str]]:
        return {(p.from_code, p.to_code) for p in self.installed_packages()}

    def route(self, src: str, dst: str) -> list[tuple[str, str]] | None:
        """The legs from ``src`` to ``dst``: direct, or through English; None if impossible."""
        if src == dst:
            return []
        pairs = self.installed_pairs()
        if (src, dst) in pairs:
            return [(src, dst)]
        if (src, PIVOT) in pairs and (PIVOT, dst) in pairs:
            return [(src, PIVOT), (PIVOT, dst)]
        return None

    def version(self, src: str, dst: str) -> str:
        versions = sorted(
            f"{p.from_code}{p.to_code}{p.package_version}"
            for p in self.installed_packages()
            if p.from_code in (src, PIVOT) or p.to_code in (dst, PIVOT)
        )
        return hashlib.sha1("|".join(versions).encode()).hexdigest()[:10]

    def translate(self, text: str, src: str, dst: str) -> str:
        """One text through argostranslate's public entry point."""
        self._load()
        import argostranslate.translate

        return str(argostranslate.translate.translate(text, src, dst))

    def translate_batch(self, texts: Sequence[str], src: str, dst: str) -> list[str]:
        """Several texts, each leg in one CTranslate2 ``translate_batch`` call."""
        legs = self.route(src, dst)
        if legs is None:
            raise LookupError(f"no translation model for {src}->{dst}")
        out = list(texts)
        for a, b in legs:
            out, _ = self._leg(out, a, b)
        return out

    def translate_scored(self, texts: Sequence[str], src: str, dst: str) -> list[Scored]:
        """Like :meth:`translate_batch`, with a confidence per leg (see ``confidence``)."""
        legs = self.route(src, dst)
        if legs is None:
            raise LookupError(f"no translation model for {src}->{dst}")
        out = list(texts)
        scores: list[list[float]] = [[] for _ in texts]
        pairs = self.installed_pairs()
        for a, b in legs:
            sources = out
            out, weakest = self._leg(sources, a, b, scored=True)
            back: list[str | None] = [None] * len(out)
            if (b, a) in pairs:
                back = list(self._leg(out, b, a)[0])
            for i, (lp, margin) in enumerate(weakest or []):
                rt = None if back[i] is None else confidence.similarity(sources[i], str(back[i]))
                sig = confidence.Signals(lp, margin, rt, sources[i], out[i])
                scores[i].append(confidence.combine(sig))
        return [Scored(t, s, legs) for t, s in zip(out, scores, strict=True)]

    def _leg(
        self, texts: list[str], src: str, dst: str, scored: bool = False
    ) -> tuple[list[str], list[tuple[float, float]] | None]:
        """One model over all texts; with ``scored``, each text's weakest sentence's
        (per-token log-probability, margin to the second hypothesis) too."""
        self._load()
        import argostranslate.translate as at

        translation: Any = at.get_translation_from_codes(src, dst)
        pkg_translation = getattr(translation, "underlying", translation)
        if not isinstance(pkg_translation, at.PackageTranslation):
            return [translation.translate(t) for t in texts], [(0.0, math.inf)] * len(texts)
        if pkg_translation.translator is None:
            pkg_translation.hypotheses("", 1)  # argos builds its ctranslate2.Translator lazily
        pkg = pkg_translation.pkg
        cased = casing(pkg.tokenizer)
        # Every model input, the end mark we added to it, and per sentence of the texts
        # its owner (text index, paragraph index) and plan, so results can be put back.
        sentences: list[str] = []
        added: list[str] = []
        units: list[tuple[tuple[int, int], str, list[writing.Variant], list[list[int]]]] = []
        shapes: list[list[str]] = []
        for ti, text in enumerate(texts):
            paragraphs = at.ITranslation.split_into_paragraphs(text)
            shapes.append(paragraphs)
            for pi, paragraph in enumerate(paragraphs):
                for sentence in pkg_translation.sentencizer.split_sentences(paragraph):
                    if sentence.strip():
                        variants = writing.plan(sentence, src, cased)
                        inputs = []
                        for v in variants:
                            start = len(sentences)
                            inputs.append(list(range(start, start + len(v.segments))))
                            for fixed, dot in v.segments:
                                sentences.append(fixed)
                                added.append(dot)
                        units.append(((ti, pi), sentence, variants, inputs))
        if not sentences:
            return list(texts), [(0.0, math.inf)] * len(texts)
        tokenized = [pkg.tokenizer.encode(s) for s in sentences]
        prefix = [[pkg.target_prefix]] * len(tokenized) if pkg.target_prefix else None
        from argostranslate import settings as argos_settings

        # CTranslate2 sorts the sentences by length and cuts them into sub-batches that its
        # inter-op threads translate in parallel.
        opts: dict[str, Any] = dict(
            target_prefix=prefix,
            replace_unknowns=True,
            max_batch_size=SUB_BATCH,
            batch_type="examples",
            beam_size=argos_settings.beam_size,
            num_hypotheses=2 if scored else 1,
            # Scores pick the variant of a sentence the model reads best.
            return_scores=scored or any(len(inputs) > 1 for *_, inputs in units),
            length_penalty=confidence.LENGTH_PENALTY,
        )
        try:
            results = pkg_translation.translator.translate_batch(tokenized, **opts)
        except RuntimeError as exc:
            if "position" not in str(exc):
                raise
            # A small model (the shipped ones: 72 positions) decoding garbage runs past
            # its position table; such output is worthless, so cut it short.
            tokenized = [t[:SHORT_MODEL_TOKENS] for t in tokenized]
            results = pkg_translation.translator.translate_batch(
                tokenized, max_decoding_length=SHORT_MODEL_TOKENS, **opts
            )
        pieces: dict[tuple[int, int], list[str]] = {}
        weakest = [(0.0, math.inf)] * len(texts)

        def decode(i: int) -> str:
            value = str(pkg.tokenizer.decode(results[i].hypotheses[0]))
            if pkg.target_prefix and value.startswith(pkg.target_prefix):
                value = value[len(pkg.target_prefix) :]
            value = value.strip()
            return writing.finish(value, added[i])

        for owner, sentence, variants, inputs in units:
            if not inputs:
                pieces.setdefault(owner, []).append(sentence.strip())
                continue
            choice = 0
            if len(inputs) > 1:
                ranks = [self._variant_rank(sentences, results, idx, decode) for idx in inputs]
                choice = max(range(len(inputs)), key=lambda v: ranks[v])
            chosen = inputs[choice]
            if scored:
                ti = owner[0]
                for i in chosen:
                    hyps, sc = results[i].hypotheses, results[i].scores
                    lp = confidence.token_logprob(sc[0], len(hyps[0]))
                    margin = sc[0] - sc[1] if len(sc) > 1 else math.inf
                    weakest[ti] = (min(weakest[ti][0], lp), min(weakest[ti][1], margin))
            v = variants[choice]
            words = writing.join([decode(i) for i in chosen], v.joiner)
            pieces.setdefault(owner, []).append(v.lead + words)
        out = []
        for ti, paragraphs in enumerate(shapes):
            done = [" ".join(pieces.get((ti, pi), [])) for pi in range(len(paragraphs))]
            out.append(at.ITranslation.combine_paragraphs(done))
        return out, (weakest if scored else None)

    @staticmethod
    def _variant_rank(
        sentences: list[str], results: list[Any], idx: list[int], decode: Any
    ) -> tuple[int, float]:
        """How well the model read one variant: placeholders kept first (a fluent output
        that drops a link is worse), then its weakest segment's per-token probability."""
        kept, worst = 0, 0.0
        for i in idx:
            wanted = set(confidence.PLACEHOLDERS.findall(sentences[i]))
            kept -= len(wanted - set(confidence.PLACEHOLDERS.findall(decode(i))))
            r = results[i]
            worst = min(worst, confidence.token_logprob(r.scores[0], len(r.hypotheses[0])))
        return kept, worst


_CASINGS: weakref.WeakKeyDictionary[Any, Callable[[str], str]] = weakref.WeakKeyDictionary()
_WORD_EDGES = "\"'“”‘’«»()[]{}¿¡!?.,;:।"


def casing(tokenizer: Any) -> Callable[[str], str] | None:
    """A word as the package's SentencePiece model knows it: "python" becomes "Python" when
    the model has learnt the capitalised word in fewer pieces (chat drops capitals; a model
    splits a word it never saw into letters and reads it badly). A large model knows both
    and leaves the word alone. None for tokenizers without a SentencePiece vocabulary."""
    if not hasattr(tokenizer, "lazy_processor"):
        return None
    found = _CASINGS.get(tokenizer)
    if found is None:
        processor = tokenizer.lazy_processor()

        @functools.lru_cache(maxsize=4096)
        def cased(word: str) -> str:
            core = word.strip(_WORD_EDGES)
            if not core.isalpha() or not core.islower():
                return word
            upper = core[0].upper() + core[1:]
            if len(processor.encode(upper)) < len(processor.encode(core)):
                return word.replace(core, upper, 1)
            return word

        found = _CASINGS[tokenizer] = cased
    return found


@dataclass
class Scored:
    text: str
    scores: list[float]  # one per leg
    legs: list[tuple[str, str]]


PACKAGES_TTL = 5.0  # seconds; a package installed by another process is seen within this
_translator: ArgosTranslator | None = None


def translator() -> ArgosTranslator:
    global _translator
    if _translator is None:
        _translator = ArgosTranslator()
    return _translator


def install_models(paths: Sequence[Path]) -> list[str]:
    """Install .argosmodel files not installed yet (argos' own install_from_path)."""
    import argostranslate.package

    have = {
        f"{p.from_code}-{p.to_code}-{p.package_version}"
        for p in argostranslate.package.get_installed_packages()
    }
    done = []
    for path in paths:
        meta = _package_meta(path)
        key = f"{meta['from_code']}-{meta['to_code']}-{meta['package_version']}"
        if key not in have:
            argostranslate.package.install_from_path(path)
            done.append(key)
    if done:
        translator().forget_packages()
    return done


def _package_meta(path: Path) -> dict[str, str]:
    import zipfile

    with zipfile.ZipFile(path) as zf:
        name = next(n for n in zf.namelist() if n.endswith("metadata.json"))
        return cast(dict[str, str], json.loads(zf.read(name)))


# --- cache and the message-level API -------------------------------------------------


class TranslationCache:
    def __init__(self, redis: Redis, prefix: str) -> None:
        self.redis = redis
        self.p = prefix

    def key(self, version: str, src: str, dst: str, text: str) -> str:
        h = hashlib.sha256(text.encode()).hexdigest()[:32]
        # c2: values are JSON with the confidence of each leg (c: bare text, no score).
        return f"{self.p}tr:c2:{version}:{src}:{dst}:{h}"

    async def get_many(self, keys: Sequence[str]) -> list[str | None]:
        if not keys:
            return []
        values = await self.redis.mget(list(keys))
        return [str(v) if v is not None else None for v in values]

    async def set_many(self, items: dict[str, str]) -> None:
        if not items:
            return
        async with self.redis.pipeline(transaction=False) as pipe:
            for k, v in items.items():
                pipe.set(k, v, ex=CACHE_TTL)
            await pipe.execute()

    async def erase_user(self, uid: int) -> None:
        """Cached translations of texts of ``uid``. The key names nobody, but the value
        is their text in another language, so it goes with them (noted in their trail
        when the translation was asked for on their behalf; another person's identical
        text is simply translated again)."""
        keys = await trail.Trail(self.redis, self.p).keys(uid, "tr:c2:", "tr:c:")
        if keys:
            await self.redis.delete(*keys)

    async def export_user(self, uid: int) -> dict[str, Any]:
        """Machine translations of texts that are exported in their own right."""
        return {}


@dataclass
class Translated:
    text: str
    entities: list[MessageEntity]
    translated: bool  # False: the original came back (no model, or too many entities)
    score: float = 1.0  # confidence: the product of the legs' scores
    confident: bool = True  # every leg at or above its package's calibrated threshold
    version: str = ""  # of the packages that made it (what a "looks wrong" flag records)


def judge(scores: Sequence[float], legs: Sequence[tuple[str, str]],
          calibrations: confidence.Calibrations) -> tuple[float, bool]:  # fmt: skip
    """A pivot is as sure as both legs together: scores multiply, and each leg must pass."""
    ok = all(s >= calibrations.threshold(a, b) for s, (a, b) in zip(scores, legs, strict=True))
    return round(math.prod(scores), 4), ok


async def translate_messages(
    cache: TranslationCache,
    engine: ArgosTranslator,
    items: Sequence[tuple[str, Sequence[MessageEntity]]],
    src: str,
    dst: str,
    calibrations: confidence.Calibrations | None = None,
    terms: Sequence[Term] = (),
    *,
    people: Sequence[int] = (),
) -> list[Translated]:
    """Translate messages with their entities; cached; batched; originals when impossible.
    Every translation carries its confidence, judged against ``calibrations``; ``terms``
    (a glossary, course titles) come out as their targets say. The cache entries used join
    the trails of ``people`` (whose texts these are, or who read them)."""
    results: list[Translated | None] = [None] * len(items)
    legs = engine.route(src, dst) if src != dst else None
    if legs is None:
        return [Translated(t, list(e), False) for t, e in items]
    cals = calibrations or confidence.Calibrations()
    version = engine.version(src, dst)
    masked: dict[int, tuple[str, list[Slot]]] = {}
    for i, (text, ents) in enumerate(items):
        try:
            masked[i] = protect(text, ents, terms)
        except TooManySlots:
            results[i] = Translated(text, list(ents), False)
    order = list(masked)
    keys = [cache.key(version, src, dst, masked[i][0]) for i in order]
    cached = await cache.get_many(keys)
    if people:  # (a local cache, as the CLI and the bench use, keeps no trails)
        await trail.note(cache.redis, cache.p, people, keys, CACHE_TTL)
    todo = [i for i, hit in zip(order, cached, strict=True) if hit is None]
    metrics.TRANSLATION_CACHE.labels("hit").inc(len(order) - len(todo))
    metrics.TRANSLATION_CACHE.labels("miss").inc(len(todo))
    fresh: dict[int, str] = {}
    if todo:
        with metrics.TRANSLATION_SECONDS.time():
            outputs = engine.translate_scored([masked[i][0] for i in todo], src, dst)
        fresh = {
            i: json.dumps({"t": o.text, "s": o.scores}, ensure_ascii=False)
            for i, o in zip(todo, outputs, strict=True)
        }
        await cache.set_many({keys[order.index(i)]: fresh[i] for i in todo})
    for i, hit in zip(order, cached, strict=True):
        value = json.loads(hit if hit is not None else fresh[i])
        text, ents = restore(value["t"], masked[i][1])
        score, ok = judge(value["s"], legs, cals)
        results[i] = Translated(text, ents, True, score, ok, version)
    return [r for r in results if r is not None]


def publish_pairs(conn: Any, prefix: str) -> set[tuple[str, str]]:
    """Workers announce what they can translate (a union over workers), so the bot can
    decide without loading argos. ``conn`` is a synchronous Redis client."""
    import argostranslate.package

    pairs = {(p.from_code, p.to_code) for p in argostranslate.package.get_installed_packages()}
    if pairs:
        conn.sadd(f"{prefix}tr:pairs", *[f"{a}-{b}" for a, b in pairs])
    return pairs


def published_pairs(conn: Any, prefix: str) -> set[str]:
    """The ``src-dst`` pairs the workers published (a synchronous client; for status)."""
    return {x.decode() if isinstance(x, bytes) else str(x) for x in conn.smembers(f"{prefix}tr:pairs")}


_PAIRS_TTL = 10.0
_NO_PAIRS_TTL = 1.0
# Per client object (not per id(), which a new client may reuse) and prefix.
_pairs_seen: weakref.WeakKeyDictionary[Redis, dict[str, tuple[float, frozenset[str]]]] = (
    weakref.WeakKeyDictionary()
)


async def can_translate(redis: Redis, prefix: str, src: str, dst: str) -> bool:
    """From the pairs the workers published: direct or through English.

    Asked for every question: a non-empty answer is remembered for a few seconds (workers
    publish at start and models are rarely removed); an empty one for a second only, so the
    first worker to start is seen at once while a burst of questions with no worker running
    costs one round trip a second."""
    if src == dst:
        return True
    now = time.monotonic()
    known = _pairs_seen.setdefault(redis, {})
    seen = known.get(prefix)
    if seen is not None and now - seen[0] < (_PAIRS_TTL if seen[1] else _NO_PAIRS_TTL):
        pairs = seen[1]
    else:
        pairs = frozenset(str(x) for x in await redis.smembers(f"{prefix}tr:pairs"))
        known[prefix] = (now, pairs)
    return f"{src}-{dst}" in pairs or (f"{src}-{PIVOT}" in pairs and f"{PIVOT}-{dst}" in pairs)


def calibrate_installed(
    engine: ArgosTranslator,
    pairs: Sequence[tuple[str, str]] | None = None,
    flagged: dict[tuple[str, str], list[str]] | None = None,
) -> confidence.Calibrations:
    """Calibrate every installed package (or ``pairs``), as ``confidence`` documents.
    ``flagged``: texts readers reported per translated pair; a pivot's count against its
    first leg (where a misread source goes wrong)."""
    negatives: dict[tuple[str, str], list[str]] = {}
    for (a, b), texts in (flagged or {}).items():
        legs = engine.route(a, b) or []
        if legs:
            negatives.setdefault(legs[0], []).extend(texts)
    items: dict[tuple[str, str], confidence.Calibration] = {}
    for p in engine.installed_packages():
        a, b = p.from_code, p.to_code
        if pairs is not None and (a, b) not in pairs:
            continue

        def score(texts: list[str], a: str = a, b: str = b) -> list[float]:
            masked = [protect(t)[0] for t in texts]
            return [o.scores[0] for o in engine.translate_scored(masked, a, b)]

        items[(a, b)] = confidence.calibrate_pair(
            a, b, str(p.package_version), score, flagged=negatives.get((a, b), [])
        )
    return confidence.Calibrations(items)


def package_versions(engine: ArgosTranslator) -> dict[tuple[str, str], str]:
    return {(p.from_code, p.to_code): str(p.package_version) for p in engine.installed_packages()}
