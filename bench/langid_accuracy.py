"""Accuracy and latency of :mod:`tg_support.core.langid` on labelled TSVs, next to langdetect alone.

Usage::

    python bench/langid_accuracy.py [--data FILE ...] [--errors]

Default data: dev + holdout + holdout2. With several files, each file gets its own columns
(langid, +correct prior, +wrong chosen prior, +wrong Telegram code, langdetect alone) side by
side, plus an ALL block for their union. Each TSV has a header and the columns ``lang``,
``kind``, ``text``.
"""

from __future__ import annotations

import argparse
import csv
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tg_support.core import langid  # noqa: E402


@dataclass(frozen=True)
class Sample:
    lang: str
    kind: str
    text: str


def load(path: Path) -> list[Sample]:
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE)
        return [Sample(r["lang"], r["kind"], r["text"]) for r in reader]


def wrong_prior(lang: str) -> str:
    """A deterministic wrong language: the next one in SUPPORTED."""
    i = langid.SUPPORTED.index(lang)
    return langid.SUPPORTED[(i + 1) % len(langid.SUPPORTED)]


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def langdetect_alone() -> Callable[[str], str]:
    from langdetect import DetectorFactory, detect
    from langdetect.lang_detect_exception import LangDetectException

    DetectorFactory.seed = 0

    def run(text: str) -> str:
        try:
            code = str(detect(text))
        except LangDetectException:
            return "und"
        return langid.normalize_language_code(code) or code

    return run


@dataclass
class Result:
    name: str
    predictions: list[str]

    def accuracy(self, samples: Sequence[Sample], keep: Callable[[Sample], bool]) -> str:
        pairs = [(s, p) for s, p in zip(samples, self.predictions, strict=True) if keep(s)]
        if not pairs:
            return "   -  "
        ok = sum(s.lang == p for s, p in pairs)
        return f"{100 * ok / len(pairs):5.1f}%"


def _is_lang(lang: str) -> Callable[[Sample], bool]:
    return lambda s: s.lang == lang


def _is_kind(kind: str) -> Callable[[Sample], bool]:
    return lambda s: s.kind == kind


@dataclass
class FileRun:
    name: str
    samples: list[Sample]
    details: list[langid.Detection]
    results: list[Result]
    latencies: list[float]
    ld_latencies: list[float]


def run_file(name: str, samples: list[Sample], ld: Callable[[str], str]) -> FileRun:
    latencies: list[float] = []
    details: list[langid.Detection] = []
    for s in samples:
        t = time.perf_counter()
        details.append(langid.detect(s.text))
        latencies.append((time.perf_counter() - t) * 1000)
    right = [langid.detect(s.text, langid.Priors(chosen=s.lang)).lang for s in samples]
    wrong = [langid.detect(s.text, langid.Priors(chosen=wrong_prior(s.lang))).lang for s in samples]
    weak = [
        langid.detect(s.text, langid.Priors(telegram=wrong_prior(s.lang))).lang for s in samples
    ]
    ld_lat: list[float] = []
    ld_pred: list[str] = []
    for s in samples:
        t = time.perf_counter()
        ld_pred.append(ld(s.text))
        ld_lat.append((time.perf_counter() - t) * 1000)
    results = [
        Result("langid", [d.lang for d in details]),
        Result("+prior", right),
        Result("+BAD", wrong),
        Result("+tgBAD", weak),
        Result("ldetect", ld_pred),
    ]
    return FileRun(name, samples, details, results, latencies, ld_lat)


def union(runs: Sequence[FileRun]) -> FileRun:
    return FileRun(
        "ALL",
        [s for r in runs for s in r.samples],
        [d for r in runs for d in r.details],
        [
            Result(res.name, [p for r in runs for p in r.results[i].predictions])
            for i, res in enumerate(runs[0].results)
        ],
        [x for r in runs for x in r.latencies],
        [x for r in runs for x in r.ld_latencies],
    )


def _lat(xs: list[float]) -> str:
    xs = sorted(xs)
    p99 = xs[min(len(xs) - 1, int(0.99 * len(xs)))]
    return f"mean {statistics.fmean(xs):.2f} ms, p50 {xs[len(xs) // 2]:.2f} ms, p99 {p99:.2f} ms"


def print_table(runs: Sequence[FileRun]) -> None:
    width = 8
    block = width * 5 + 7
    print(f"{'':<11}" + "".join(f"| {r.name[: block - 2]:<{block - 2}}" for r in runs))
    print(
        f"{'':<11}"
        + "".join(
            "| " + "".join(f"{x.name:>{width}}" for x in r.results) + f"{'n':>5}" for r in runs
        )
    )

    def row(label: str, keep: Callable[[Sample], bool]) -> None:
        cells = []
        for r in runs:
            n = sum(keep(s) for s in r.samples)
            cells.append(
                "| "
                + "".join(f"{x.accuracy(r.samples, keep):>{width}}" for x in r.results)
                + f"{n:>5}"
            )
        print(f"{label:<11}" + "".join(cells))

    row("OVERALL", lambda s: True)
    print("-- per language")
    for lang in langid.SUPPORTED:
        row(lang, _is_lang(lang))
    print("-- per kind")
    for kind in sorted({s.kind for r in runs for s in r.samples}):
        row(kind, _is_kind(kind))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--data",
        type=Path,
        nargs="+",
        default=[ROOT / f"tests/data/langid_{n}.tsv" for n in ("dev", "holdout", "holdout2")],
    )
    parser.add_argument("--errors", action="store_true", help="list misclassified messages")
    args = parser.parse_args(argv)
    files = [(path.stem.removeprefix("langid_"), load(path)) for path in args.data]

    rss0 = rss_mb()
    t0 = time.perf_counter()
    langid.warm_up()
    load_s = time.perf_counter() - t0
    rss1 = rss_mb()
    ld = langdetect_alone()
    runs = [run_file(name, samples, ld) for name, samples in files]
    if len(runs) > 1:
        runs.append(union(runs))
    for path, (_, samples) in zip(args.data, files, strict=False):
        print(f"data: {path}  ({len(samples)} messages)")
    print("columns: langid | +correct chosen prior | +wrong chosen prior | +wrong telegram code")
    print("         | langdetect alone (all 55 profiles)")
    print_table(runs)

    total = runs[-1]
    print("-- latency per call (warm, all files)")
    print(f"langid      {_lat(total.latencies)}")
    print(f"langdetect  {_lat(total.ld_latencies)}")
    print(f"langid model load {load_s:.2f} s, RSS +{rss1 - rss0:.0f} MB (total {rss_mb():.0f} MB)")
    for r in runs:
        confident = [
            d.lang == s.lang
            for d, s in zip(r.details, r.samples, strict=True)
            if d.confidence >= langid.CONFIDENT
        ]
        by_reason: dict[str, int] = defaultdict(int)
        for d in r.details:
            by_reason[d.reason] += 1
        print(
            f"{r.name}: confident (>= {langid.CONFIDENT}) {len(confident)}/{len(r.samples)}, "
            f"precision {100 * sum(confident) / max(len(confident), 1):.1f}%; "
            f"reasons {dict(sorted(by_reason.items()))}"
        )

    if args.errors:
        for r in runs[: len(files)]:
            _, right, wrong = (x.predictions for x in r.results[:3])
            ld_pred = r.results[4].predictions
            print(f"== errors in {r.name} (no prior)")
            for s, d, ldp in zip(r.samples, r.details, ld_pred, strict=True):
                if d.lang != s.lang:
                    print(
                        f"{s.lang}->{d.lang} {d.confidence:.2f} {d.reason:<8} [{s.kind}] "
                        f"{s.text}   (langdetect: {ldp})"
                    )
            print(f"== errors in {r.name} (correct prior)")
            for s, p in zip(r.samples, right, strict=True):
                if p != s.lang:
                    print(f"{s.lang}->{p} [{s.kind}] {s.text}")
            print(f"== errors in {r.name} (wrong chosen prior)")
            for s, p in zip(r.samples, wrong, strict=True):
                if p != s.lang:
                    print(f"{s.lang}->{p} [{s.kind}] {s.text}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
