"""How far a machine translation can be trusted, and each package's calibrated threshold.

Score of one translated text (0..1), from signals argos/CTranslate2 already computes plus a
cheap round trip (see :func:`combine`):

* ``p``: the best hypothesis' length-normalised probability, ``exp(log P / tokens)``
  (CTranslate2's score is ``log P / tokens**length_penalty``; we undo the penalty);
* ``margin``: ``1 - exp(-(s1 - s2))`` between the best and second hypothesis (scores as
  argos' ``hypotheses(text, 2)`` returns them): a model that hesitates is unsure;
* ``rt``: similarity of the round trip through the reverse model (when installed) to the
  source; a translation that drops or invents content rarely comes back intact;
* penalties for lost placeholders (links, code, mentions) and implausible length ratios.

A message's score is the weakest sentence's ``p``/``margin`` with the whole message's
round trip. Pivot translations (es→en→hi) multiply the legs' scores, and are confident only
when every leg is.

Calibration (``tg-support models calibrate``), per installed package ``src→dst``:

* in-domain examples: the package's own training corpus (``scripts/argos_corpus``) in
  ``src``, in meaning-preserving variants the model was not trained on (lower-cased, final
  punctuation removed, two sentences joined into one message);
* out-of-domain examples, built from the same corpus so every language has them: word
  order shuffled, halves of two unrelated sentences spliced, and a sentence with an
  unrelated word run appended;
* texts readers flagged with "Translation looks wrong" (``translation.flags``), when
  Redis is at hand, as further out-of-domain examples of their pair;
* the threshold is the midpoint of the gap that maximises balanced accuracy
  (mean of the in-domain recall and the out-of-domain recall) over all candidate cuts.

The result is stored with the package's metadata (version) in Redis and in
``DATA_DIR/argos/calibration.json`` (so ``tg-support translate`` works without Redis).

Key patterns (``{p}`` is the prefix):

=============================  ======  ====================================================
``{p}tr:cal:{src}-{dst}``      hash    threshold, package_version, balanced_accuracy,
                                       n_in, n_out, calibrated_at
=============================  ======  ====================================================
"""

from __future__ import annotations

import csv
import difflib
import itertools
import json
import math
import random
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from tg_support.core.store import Repository

ROOT = Path(__file__).resolve().parents[2]
CORPUS_DIR = ROOT / "scripts" / "argos_corpus"
# Used when a package was never calibrated: the shipped packages calibrate near it.
DEFAULT_THRESHOLD = 0.6
LENGTH_PENALTY = 0.2  # what argos (and our batch path) pass to CTranslate2
# Revision of how scores are made (signals, their combination, how chat is written out for
# the model): a threshold measured under another revision is calibrated again.
SCORING = "4"
_PLACEHOLDER = PLACEHOLDERS = re.compile(r"\u27e6\s*\d{1,2}\s*\u27e7")
_PUNCT = re.compile(r"[^\w\s\u27e6\u27e7]+")


def token_logprob(score: float, n_tokens: int) -> float:
    """Per-token log-probability from CTranslate2's length-penalised score."""
    n = max(1, n_tokens + 1)  # + the end-of-sentence token
    return float(score * n**LENGTH_PENALTY / n)


def similarity(a: str, b: str) -> float:
    """Character similarity of two texts, ignoring case and punctuation."""
    na = " ".join(_PUNCT.sub(" ", a.lower()).split())
    nb = " ".join(_PUNCT.sub(" ", b.lower()).split())
    if not na and not nb:
        return 1.0
    return difflib.SequenceMatcher(None, na, nb, autojunk=False).ratio()


@dataclass(frozen=True)
class Signals:
    logprob: float  # weakest sentence's per-token log-probability
    margin: float  # weakest sentence's score gap to the second hypothesis (inf if none)
    roundtrip: float | None  # similarity of the round trip to the source, None if no model
    source: str
    output: str


def combine(s: Signals) -> float:
    """The confidence in [0, 1] (geometric mean of the signals, times the penalties)."""
    p = math.exp(min(0.0, s.logprob))
    margin = 1.0 if math.isinf(s.margin) else 1.0 - math.exp(-max(0.0, s.margin))
    parts = [p, margin]
    if s.roundtrip is not None:
        parts.append(s.roundtrip)
    score = math.prod(max(x, 1e-6) for x in parts) ** (1 / len(parts))
    kept_in = len(_PLACEHOLDER.findall(s.source))
    if kept_in:
        kept = len(set(_PLACEHOLDER.findall(s.output)) & set(_PLACEHOLDER.findall(s.source)))
        score *= kept / kept_in
    words_in = len(_PLACEHOLDER.sub(" ", s.source).split())
    words_out = len(_PLACEHOLDER.sub(" ", s.output).split())
    if words_in >= 3:
        ratio = words_out / words_in
        if ratio < 0.5 or ratio > 2.0:
            score *= 0.5
    return round(score, 4)


# --- calibration -----------------------------------------------------------------------


def corpus_sentences(lang: str, corpus_dir: Path = CORPUS_DIR) -> list[str]:
    out: list[str] = []
    for path in sorted(corpus_dir.glob("*.tsv")):
        with path.open(encoding="utf-8") as fh:
            for row in csv.DictReader(fh, delimiter="\t"):
                if row.get(lang):
                    out.append(row[lang].strip())
    return out


def calibration_examples(sentences: Sequence[str], seed: int = 16) -> tuple[list[str], list[str]]:
    """(in-domain, out-of-domain) texts derived from a package's corpus (see the module doc)."""
    rng = random.Random(seed)
    plain = [s for s in sentences if not _PLACEHOLDER.search(s)]
    inside: list[str] = []
    for s in plain:
        inside.append(s.lower() if s[:1].isupper() else s.capitalize())
        inside.append(s.rstrip(".!?।"))
    for _ in range(len(plain) // 2):
        a, b = rng.sample(plain, 2)
        inside.append(f"{a} {b}")
    outside: list[str] = []
    for s in plain:
        words = s.split()
        if len(words) >= 3:
            rng.shuffle(words)
            outside.append(" ".join(words))
        a, b = rng.sample(plain, 2)
        wa, wb = a.split(), b.split()
        if len(wa) >= 2 and len(wb) >= 2:
            outside.append(" ".join(wa[: len(wa) // 2] + wb[len(wb) // 2 :]))
        c = rng.sample(plain, 3)
        tail = [w for x in c for w in x.split()]
        rng.shuffle(tail)
        outside.append(f"{s.rstrip('.!?।')} {' '.join(tail[:4])}")
    # A shuffle or a splice that happens to be a sentence of the corpus ("लीनियर रिग्रेशन
    # क्या है?") is no nonsense: as a negative it would push the threshold above good ones.
    known = {_norm(s) for s in plain}
    outside = [t for t in outside if _norm(t) not in known]
    # A fixed-size sample keeps calibration to seconds per package.
    return sample(rng, inside), sample(rng, outside)


def _norm(text: str) -> str:
    return " ".join(_PUNCT.sub(" ", text.lower()).split())


CALIBRATION_SAMPLE = 150


def sample(rng: random.Random, items: list[str]) -> list[str]:
    return rng.sample(items, CALIBRATION_SAMPLE) if len(items) > CALIBRATION_SAMPLE else items


def best_threshold(inside: Sequence[float], outside: Sequence[float]) -> tuple[float, float]:
    """(threshold, balanced accuracy): the cut between two sorted scores that maximises the
    mean of the in-domain recall (score >= t) and the out-of-domain recall (score < t)."""
    values = sorted(set(inside) | set(outside))
    cuts = [values[0] - 1e-3] + [(a + b) / 2 for a, b in itertools.pairwise(values)]
    cuts.append(values[-1] + 1e-3)
    best = (DEFAULT_THRESHOLD, -1.0)
    for t in cuts:
        tpr = sum(x >= t for x in inside) / max(1, len(inside))
        tnr = sum(x < t for x in outside) / max(1, len(outside))
        bal = (tpr + tnr) / 2
        if bal > best[1] + 1e-12:
            best = (t, bal)
    return round(best[0], 4), round(best[1], 4)


FLAG_TARGET = 0.95  # share of the calibration negatives a threshold must flag


def flag_cut(outside: Sequence[float], target: float) -> float:
    """The lowest threshold that flags at least ``target`` of ``outside`` (score < cut),
    halfway between the scores it separates."""
    values = sorted(outside)
    if not values:
        return DEFAULT_THRESHOLD
    k = min(len(values) - 1, math.ceil(target * len(values)) - 1)  # the k+1 lowest are flagged
    above = values[k + 1] if k + 1 < len(values) else values[k] + 2e-3
    return round((values[k] + above) / 2, 4)


@dataclass
class Calibration:
    src: str
    dst: str
    threshold: float
    package_version: str
    balanced_accuracy: float
    n_in: int
    n_out: int
    calibrated_at: float
    scoring: str = ""  # the SCORING revision it was measured under ("" before revisions)


def calibrate_pair(
    src: str, dst: str, version: str, score: Callable[[list[str]], list[float]],
    corpus_dir: Path = CORPUS_DIR, flagged: Sequence[str] = (),
) -> Calibration:  # fmt: skip
    """Calibrate one package; ``score`` returns the confidence of each text's translation;
    ``flagged``: texts readers reported as badly translated, counted as out-of-domain."""
    inside, outside = calibration_examples(corpus_sentences(src, corpus_dir))
    outside = outside + list(flagged)
    s_in, s_out = score(inside), score(outside)
    threshold, bal = best_threshold(s_in, s_out)
    # The generated negatives include near-sentences the model translates well ("Where the
    # is assignment?"): a cut above all of them costs good translations. The target is to
    # flag FLAG_TARGET of what the model cannot translate, so the cut stops there.
    enough = flag_cut(s_out, FLAG_TARGET)
    if enough < threshold:
        threshold = enough
        bal = round((sum(x >= threshold for x in s_in) / max(1, len(s_in)) + FLAG_TARGET) / 2, 4)
    return Calibration(
        src, dst, threshold, version, bal, len(inside), len(outside), time.time(), SCORING
    )


class Calibrations:
    """Thresholds by pair, read from Redis or from the local calibration file."""

    def __init__(self, items: dict[tuple[str, str], Calibration] | None = None) -> None:
        self.items = items or {}

    def threshold(self, src: str, dst: str) -> float:
        cal = self.items.get((src, dst))
        return cal.threshold if cal else DEFAULT_THRESHOLD

    def save_file(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        data = [asdict(c) for c in self.items.values()]
        path.write_text(json.dumps(data, indent=1, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load_file(cls, path: Path) -> Calibrations:
        if not path.is_file():
            return cls()
        data: list[dict[str, Any]] = json.loads(path.read_text(encoding="utf-8"))
        return cls({(d["src"], d["dst"]): Calibration(**d) for d in data})


def calibration_file(data_dir: Path) -> Path:
    return data_dir.resolve() / "argos" / "calibration.json"


class CalibrationStore(Repository):
    """Thresholds in Redis, next to the package version they were measured on."""

    def key(self, src: str, dst: str) -> str:
        return f"{self.p}tr:cal:{src}-{dst}"

    async def save(self, cal: Calibration) -> None:
        mapping: dict[str | bytes, str | bytes] = {k: str(v) for k, v in asdict(cal).items()}
        await self.redis.hset(self.key(cal.src, cal.dst), mapping=mapping)  # type: ignore[arg-type]

    async def load(self, pairs: Sequence[tuple[str, str]]) -> Calibrations:
        out: dict[tuple[str, str], Calibration] = {}
        for src, dst in pairs:
            raw: dict[Any, Any] = await self.redis.hgetall(self.key(src, dst))
            if raw:
                d = {str(k): str(v) for k, v in raw.items()}
                out[(src, dst)] = Calibration(
                    src, dst, float(d["threshold"]), d["package_version"],
                    float(d["balanced_accuracy"]), int(d["n_in"]), int(d["n_out"]),
                    float(d["calibrated_at"]), d.get("scoring", ""),
                )  # fmt: skip
        return Calibrations(out)

    async def erase_user(self, uid: int) -> int:
        return 0  # thresholds name no one
