"""Accuracy and latency of the spam gate (:mod:`tg_support.moderation.gate`).

Usage::

    python -m bench.gate [--junk 2000] [--seed 7] [--derive-bigrams]

Reads ``tests/data/gate_dev.tsv`` and ``tests/data/gate_holdout.tsv`` (``label<TAB>text``; labels
``pass``/``rephrase``/``hold``; ``#`` starts a comment line; ``\\n``, ``\\t``, ``\\\\`` and
``\\uXXXX``/``\\UXXXXXXXX`` are escapes). Every row is judged as the first question of a brand-new
account, the strictest context. For each file it prints precision and recall of "blocked"
(rephrase+hold) and of "pass", the label x reason confusion, and every real question wrongly
blocked and every junk row let through; "confirm" verdicts (a newcomer's question without a
question mark that is hardly one: posted only when the asker confirms) are listed apart. Then it generates junk with a seeded random generator
(random Unicode from many blocks, zero-width and bidi characters, keyboard walks, repeated
characters, random alnum, home-row mash, markup without words) and prints the share caught per
kind, and times ``assess`` (p50/p99) on the labelled rows and on 10,000-character texts.

``--derive-bigrams`` prints the bigram table of ``gate.py`` from langdetect's profiles instead.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import statistics
import sys
import time
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tg_support.moderation.gate import OK, GateContext, Verdict, assess  # noqa: E402

DATA = ROOT / "tests" / "data"
FILES = ("gate_dev.tsv", "gate_holdout.tsv")
NEWCOMER = GateContext(first_question=True, account_age_s=0.0)
LABELS = ("pass", "rephrase", "hold")

_ESCAPE = re.compile(r"\\(n|t|r|\\|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|x[0-9a-fA-F]{2})")


def unescape(text: str) -> str:
    def one(m: re.Match[str]) -> str:
        code = m.group(1)
        simple = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\"}
        return simple[code] if code in simple else chr(int(code[1:], 16))

    return _ESCAPE.sub(one, text)


@dataclass(frozen=True)
class Row:
    label: str
    text: str
    line: int


def load(path: Path) -> list[Row]:
    rows: list[Row] = []
    for number, raw in enumerate(path.read_text(encoding="utf-8").split("\n"), 1):
        if not raw or raw.startswith("#"):
            continue
        label, sep, text = raw.partition("\t")
        if not sep or label not in LABELS:
            raise ValueError(f"{path.name}:{number}: expected 'label<TAB>text', got {raw!r}")
        rows.append(Row(label, unescape(text), number))
    return rows


# -- junk generator --------------------------------------------------------------------------

BLOCKS: tuple[tuple[int, int], ...] = (
    (0x00A1, 0x00FF), (0x0100, 0x024F), (0x0250, 0x02AF), (0x0370, 0x03FF), (0x0400, 0x04FF),
    (0x0530, 0x058F), (0x0590, 0x05FF), (0x0600, 0x06FF), (0x0700, 0x074F), (0x0780, 0x07BF),
    (0x0900, 0x097F), (0x0980, 0x09FF), (0x0B80, 0x0BFF), (0x0E00, 0x0E7F), (0x0F00, 0x0FFF),
    (0x10A0, 0x10FF), (0x1100, 0x11FF), (0x1200, 0x137F), (0x13A0, 0x13FF), (0x1400, 0x167F),
    (0x16A0, 0x16FF), (0x1780, 0x17FF), (0x1800, 0x18AF), (0x1E00, 0x1EFF), (0x2000, 0x206F),
    (0x2100, 0x214F), (0x2190, 0x21FF), (0x2200, 0x22FF), (0x2300, 0x23FF), (0x2460, 0x24FF),
    (0x2500, 0x257F), (0x2580, 0x259F), (0x25A0, 0x25FF), (0x2600, 0x26FF), (0x2700, 0x27BF),
    (0x2800, 0x28FF), (0x2C00, 0x2C5F), (0x2D30, 0x2D7F), (0x3040, 0x309F), (0x30A0, 0x30FF),
    (0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xA000, 0xA48F), (0xA500, 0xA63F), (0xAC00, 0xD7A3),
    (0xE000, 0xF8FF), (0xFB50, 0xFDFF), (0xFE70, 0xFEFF), (0xFF00, 0xFFEF), (0x10000, 0x1007F),
    (0x10330, 0x1034F), (0x12000, 0x123FF), (0x1D400, 0x1D7FF), (0x1F300, 0x1F5FF),
    (0x1F600, 0x1F64F), (0x1F900, 0x1F9FF), (0x20000, 0x2A6DF),
)  # fmt: skip
INVISIBLE = "\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2060\u2066\u2067\u2068\u2069\ufeff\u00ad\u3164"
ROWS = (
    "qwertyuiop", "asdfghjkl", "zxcvbnm", "azertyuiop", "qsdfghjklm", "qwertzuiop",
    "йцукенгшщзх", "фывапролджэ", "ячсмитьбю", "ضصثقفغعهخحج", "شسيبلاتنمك", "ㅂㅈㄷㄱㅅㅛㅕㅑㅐㅔ",
    "ㅁㄴㅇㄹㅎㅗㅓㅏㅣ", "ฟหกดเ้่าสวง", "ςερτυθιοπ", "ασδφγηξκλ",
)  # fmt: skip
HOME = ("asdfghjkl", "qwertyuiop", "zxcvbnm")
CYR_HOME = ("фывапролджэ", "йцукенгшщзх", "ячсмитьбю")
TAGS = ("<b>", "</b>", "<i>", "</i>", "<u>", "</u>", "<s>", "<code>", "</code>", "<pre>", "<a>")
MARKS = "*_~`|#>-=[]()"


def _random_char(rng: random.Random) -> str:
    while True:
        lo, hi = rng.choice(BLOCKS)
        ch = chr(rng.randint(lo, hi))
        if unicodedata.category(ch) != "Cs":
            return ch


def _walk(rng: random.Random, row: str) -> str:
    n = rng.randint(4, min(len(row), 11))
    start = rng.randint(0, len(row) - n)
    piece = row[start : start + n]
    return piece if rng.random() < 0.6 else piece[::-1]


def _mash(rng: random.Random, rows: Sequence[str]) -> str:
    words = []
    for _ in range(rng.choice((1, 1, 2, 3))):
        words.append(
            "".join(
                rng.choice(rng.choices(rows, (0.7, 0.2, 0.1))[0]) for _ in range(rng.randint(5, 14))
            )
        )
    return " ".join(words)


def _stuff(rng: random.Random, text: str) -> str:
    out = []
    for ch in text:
        out.append(ch)
        if rng.random() < 0.6:
            out.append(rng.choice(INVISIBLE))
    return "".join(out)


def junk_kinds() -> dict[str, Callable[[random.Random], str]]:
    def random_unicode(rng: random.Random) -> str:
        n = rng.randint(3, 60)
        return "".join(" " if rng.random() < 0.12 else _random_char(rng) for _ in range(n))

    def invisible(rng: random.Random) -> str:
        base = rng.choice((_walk(rng, rng.choice(ROWS)), _mash(rng, HOME), "", "x"))
        if not base:
            return "".join(rng.choice(INVISIBLE) for _ in range(rng.randint(1, 20)))
        return _stuff(rng, base)

    def keyboard_walk(rng: random.Random) -> str:
        walks = [_walk(rng, rng.choice(ROWS)) for _ in range(rng.randint(1, 3))]
        if rng.random() < 0.3:
            walks = [walks[0]] * rng.randint(2, 4)
        return rng.choice(("", " ")).join(walks)

    def repeated(rng: random.Random) -> str:
        ch = _random_char(rng) if rng.random() < 0.5 else rng.choice("ajkhsxzмыпа啊哈ㅋ!?.😀")
        return ch * rng.randint(5, 40)

    def random_alnum(rng: random.Random) -> str:
        alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
        return " ".join(
            "".join(rng.choice(alphabet) for _ in range(rng.randint(8, 32)))
            for _ in range(rng.randint(1, 3))
        )

    def home_row_mash(rng: random.Random) -> str:
        return _mash(rng, HOME if rng.random() < 0.7 else CYR_HOME)

    def random_letters(rng: random.Random) -> str:
        alphabet = rng.choice(("abcdefghijklmnopqrstuvwxyz", "абвгдежзийклмнопрстуфхцчшщыьэюя"))
        return " ".join(
            "".join(rng.choice(alphabet) for _ in range(rng.randint(5, 12)))
            for _ in range(rng.randint(1, 4))
        )

    def markup(rng: random.Random) -> str:
        parts = [rng.choice(TAGS) if rng.random() < 0.5 else rng.choice(MARKS) * rng.randint(1, 4)]
        parts += [rng.choice(TAGS) or rng.choice(MARKS) for _ in range(rng.randint(2, 12))]
        return rng.choice(("", " ")).join(parts)

    def digits_emoji(rng: random.Random) -> str:
        pool = "0123456789+-*/=.,!?#%😀😂🔥👍🙏❤️✅ "
        return "".join(rng.choice(pool) for _ in range(rng.randint(1, 30)))

    return {
        "random_unicode": random_unicode,
        "invisible": invisible,
        "keyboard_walk": keyboard_walk,
        "repeated": repeated,
        "random_alnum": random_alnum,
        "home_row_mash": home_row_mash,
        "random_letters": random_letters,
        "markup": markup,
        "digits_emoji": digits_emoji,
    }


def generate_junk(n: int, seed: int) -> list[tuple[str, str]]:
    """``n`` (kind, text) pairs, the kinds in turn."""
    rng = random.Random(seed)
    kinds = list(junk_kinds().items())
    return [(kinds[i % len(kinds)][0], kinds[i % len(kinds)][1](rng)) for i in range(n)]


def long_texts(rng: random.Random, questions: Sequence[str], n: int = 20) -> list[str]:
    """10,000-character texts: random Unicode, random letters, and real questions glued."""
    out: list[str] = []
    for i in range(n):
        if i % 3 == 0:
            text = "".join(_random_char(rng) for _ in range(10_000))
        elif i % 3 == 1:
            text = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz     ") for _ in range(10_000))
        else:
            text = ""
            while len(text) < 10_000:
                text += rng.choice(questions) + " "
        out.append(text[:10_000])
    return out


# -- report ----------------------------------------------------------------------------------


def _pct(num: int, den: int) -> str:
    return f"{100 * num / den:5.1f}%" if den else "   n/a"


def report(name: str, rows: Sequence[Row]) -> tuple[int, int]:
    """Print the metrics of one file; return (real questions blocked, junk let through)."""
    verdicts: list[Verdict] = [assess(r.text, NEWCOMER) for r in rows]
    tp = sum(r.label != "pass" and v.blocked for r, v in zip(rows, verdicts, strict=True))
    fp = sum(r.label == "pass" and v.blocked for r, v in zip(rows, verdicts, strict=True))
    fn = sum(r.label != "pass" and not v.blocked for r, v in zip(rows, verdicts, strict=True))
    tn = sum(r.label == "pass" and not v.blocked for r, v in zip(rows, verdicts, strict=True))
    labels = Counter(r.label for r in rows)
    print(f"\n== {name}: {len(rows)} rows ({', '.join(f'{k} {labels[k]}' for k in LABELS)})")
    print(f"  blocked: precision {_pct(tp, tp + fp)}  recall {_pct(tp, tp + fn)}")
    print(f"  pass:    precision {_pct(tn, tn + fn)}  recall {_pct(tn, tn + fp)}")
    same_action = sum(r.label == v.action for r, v in zip(rows, verdicts, strict=True))
    print(f"  exact action (pass/rephrase/hold): {_pct(same_action, len(rows))}")
    confusion: dict[str, Counter[str]] = defaultdict(Counter)
    for r, v in zip(rows, verdicts, strict=True):
        confusion[r.label][v.reason] += 1
    reasons = sorted({v.reason for v in verdicts})
    print("  label \\ reason  " + " ".join(f"{x:>15}" for x in reasons))
    for label in LABELS:
        print(f"  {label:<15} " + " ".join(f"{confusion[label][x]:>15}" for x in reasons))
    wrongly = [
        (r, v) for r, v in zip(rows, verdicts, strict=True) if r.label == "pass" and v.blocked
    ]
    missed = [
        (r, v) for r, v in zip(rows, verdicts, strict=True) if r.label != "pass" and not v.blocked
    ]
    print(f"  real questions wrongly blocked: {len(wrongly)}")
    for r, v in wrongly:
        print(f"    line {r.line}: {v.action}/{v.reason} [{v.detail}] {r.text[:100]!r}")
    # "confirm" is neither: the asker posts it with a tap or sends a longer version.
    asked = [(r, v) for r, v in zip(rows, verdicts, strict=True) if v.action == "confirm"]
    real_asked = [r for r, _ in asked if r.label == "pass"]
    print(
        f"  asked to confirm: {len(real_asked)} real questions, {len(asked) - len(real_asked)}"
        " junk rows (not posted unless confirmed)"
    )
    for r in real_asked:
        print(f"    line {r.line}: {r.text[:100]!r}")
    through = [(r, v) for r, v in missed if v.action == "pass"]
    print(
        f"  junk let through unconfirmed: {len(through)} (let through or confirmed: {len(missed)})"
    )
    for r, v in through:
        print(f"    line {r.line}: {r.label} [{v.detail}] {r.text[:100]!r}")
    return len(wrongly), len(missed)


def timings(label: str, texts: Sequence[str], repeat: int = 3) -> None:
    """p50/p99 of wall time and of this process's CPU time (the wall time suffers when other
    processes share the cores; the CPU time is what the gate itself costs)."""
    wall: list[float] = []
    cpu: list[float] = []
    for _ in range(repeat):
        for text in texts:
            start, start_cpu = time.perf_counter(), time.process_time()
            assess(text, NEWCOMER)
            cpu.append((time.process_time() - start_cpu) * 1000)
            wall.append((time.perf_counter() - start) * 1000)
    for name, samples in (("wall", wall), ("cpu", cpu)):
        samples.sort()
        p50 = statistics.median(samples)
        p99 = samples[min(len(samples) - 1, int(len(samples) * 0.99))]
        print(
            f"  {label:<24} {name:<4} n={len(samples):>5}  p50 {p50:7.3f} ms"
            f"  p99 {p99:7.3f} ms  max {samples[-1]:7.3f} ms"
        )


def derive_bigrams(coverage: float = 0.96, cap: int = 360) -> None:
    """Print ``BIGRAMS`` for gate_data.py from langdetect's language profiles."""
    import langdetect

    profiles = Path(langdetect.__file__).parent / "profiles"
    langs = [
        "en",
        "es",
        "pt",
        "fr",
        "de",
        "it",
        "nl",
        "tr",
        "id",
        "vi",
        "sw",
        "pl",
        "ro",
        "cs",
        "sv",
        "tl",
        "hu",
        "fi",
        "ru",
        "uk",
        "bg",
        "el",
    ]

    def script(ch: str) -> str:
        return unicodedata.name(ch, "?").split(" ")[0]

    def base(ch: str) -> str:
        return unicodedata.normalize("NFD", ch.lower())[0]

    for lang in langs:
        freq: dict[str, int] = json.loads((profiles / lang).read_text(encoding="utf-8"))["freq"]
        counts: Counter[str] = Counter()
        for gram, n in freq.items():
            if (
                len(gram) == 2
                and gram.isalpha()
                and script(gram[0]) == script(gram[1])
                and script(gram[0]) in ("LATIN", "CYRILLIC", "GREEK")
            ):
                counts[base(gram[0]) + base(gram[1])] += n
        main = max(
            ("LATIN", "CYRILLIC", "GREEK"),
            key=lambda sc: sum(n for g, n in counts.items() if script(g[0]) == sc),
        )
        counts = Counter({g: n for g, n in counts.items() if script(g[0]) == main})
        total = sum(counts.values())
        top: list[str] = []
        covered = 0
        for gram, n in counts.most_common():
            if covered >= coverage * total or len(top) >= cap:
                break
            top.append(gram)
            covered += n
        joined = "".join(sorted(top))
        print(f'    "{lang}": (')
        for i in range(0, len(joined), 80):
            print(f'        "{joined[i : i + 80]}"')
        print("    ),")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--junk", type=int, default=2000, help="generated junk samples")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--derive-bigrams", action="store_true")
    args = parser.parse_args(argv)
    if args.derive_bigrams:
        derive_bigrams()
        return 0

    all_rows: list[Row] = []
    for name in FILES:
        rows = load(DATA / name)
        if not rows:
            continue
        report(name, rows)
        all_rows += rows

    print(f"\n== generated junk: {args.junk} samples, seed {args.seed}")
    junk = generate_junk(args.junk, args.seed)
    caught: Counter[str] = Counter()
    seen: Counter[str] = Counter()
    reasons: Counter[str] = Counter()
    escaped: dict[str, list[str]] = defaultdict(list)
    for kind, text in junk:
        verdict = assess(text, NEWCOMER)
        seen[kind] += 1
        reasons[verdict.reason] += 1
        if verdict.blocked:
            caught[kind] += 1
        else:
            escaped[kind].append(text)
    total = sum(caught.values())
    print(f"  caught {total}/{len(junk)} = {_pct(total, len(junk))}   reasons: {dict(reasons)}")
    unasked = reasons[OK]  # passed: posted without a confirmation
    print(f"  posted without a confirmation: {unasked}/{len(junk)} = {_pct(unasked, len(junk))}")
    for kind in seen:
        examples = ", ".join(repr(t[:30]) for t in escaped[kind][:4])
        print(f"  {kind:<15} {_pct(caught[kind], seen[kind])}  missed e.g. {examples}")

    print("\n== latency of assess()")
    rng = random.Random(args.seed)
    questions = [r.text for r in all_rows if r.label == "pass"]
    timings("labelled rows", [r.text for r in all_rows])
    timings("generated junk", [t for _, t in junk], repeat=1)
    timings("10,000-character texts", long_texts(rng, questions))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
