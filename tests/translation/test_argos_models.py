"""The shipped demo argos packages (``models/*.argosmodel``) translate their training domain.

argostranslate reads ``XDG_*`` / ``ARGOS_PACKAGES_DIR`` and creates directories *at import*,
and keeps module-level caches, so these checks never import it in the pytest process: each
test runs one child Python with its own temporary environment (``ARGOS_INTRA_THREADS=1``),
installs the packages with ``argostranslate.package.install_from_path`` and prints JSON.
Other tests in the same run can import argostranslate with their own settings.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
MODELS = ROOT / "models"
CORPUS = ROOT / "scripts" / "argos_corpus"
PACKAGES = [
    "translate-en_es-1_0.argosmodel",
    "translate-es_en-1_0.argosmodel",
    "translate-en_hi-1_0.argosmodel",
    "translate-hi_en-1_0.argosmodel",
]


def test_the_packages_are_shipped() -> None:
    # They are committed in models/: a missing one is a failure, not a reason to skip.
    assert [p for p in PACKAGES if not (MODELS / p).exists()] == []


_CHILD = textwrap.dedent(
    """
    import json, sys, time
    t0 = time.monotonic()
    import argostranslate.package, argostranslate.translate
    import_s = time.monotonic() - t0
    job = json.loads(sys.stdin.read())
    for path in job["packages"]:
        argostranslate.package.install_from_path(path)
    installed = sorted(
        f"{p.from_code}-{p.to_code}" for p in argostranslate.package.get_installed_packages()
    )
    out = []
    t1 = time.monotonic()
    for text, src, tgt in job["requests"]:
        out.append(argostranslate.translate.translate(text, src, tgt))
    print(json.dumps({
        "installed": installed,
        "out": out,
        "import_s": import_s,
        "translate_s": time.monotonic() - t1,
    }))
    """
)


def run_argos(tmp_path: Path, requests: list[tuple[str, str, str]]) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ARGOS_", "XDG_"))}
    for var in ("XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME"):
        env[var] = str(tmp_path / var.lower())
    env["ARGOS_PACKAGES_DIR"] = str(tmp_path / "argos-packages")
    env["ARGOS_INTRA_THREADS"] = "1"
    env["ARGOS_DEVICE_TYPE"] = "cpu"
    env["OMP_NUM_THREADS"] = "1"
    job = {"packages": [str(MODELS / p) for p in PACKAGES], "requests": requests}
    proc = subprocess.run(
        [sys.executable, "-c", _CHILD],
        input=json.dumps(job),
        capture_output=True,
        text=True,
        env=env,
        timeout=240,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def corpus() -> list[dict[str, str]]:
    rows: list[dict[str, str]] = []
    for name in ("core.tsv", "placeholders.tsv"):
        lines = (CORPUS / name).read_text(encoding="utf-8").splitlines()
        header = lines[0].split("\t")
        rows += [dict(zip(header, ln.split("\t"), strict=True)) for ln in lines[1:] if ln]
    return rows


def test_corpus_shape() -> None:
    rows = corpus()
    assert len(rows) >= 250
    for lang in ("en", "es", "hi"):
        assert len({r[lang] for r in rows}) == len(rows), f"duplicate {lang} sentence"
    assert sum("⟦0⟧" in r["en"] for r in rows) >= 50
    for r in rows:
        for i in range(3):
            token = f"⟦{i}⟧"
            assert (token in r["en"]) == (token in r["es"]) == (token in r["hi"]), r


HELD = [
    # (source, source lang, target lang, expected)
    ("I don't understand recursion.", "en", "es", "No entiendo la recursión."),
    ("When is the deadline?", "en", "es", "¿Cuándo es la fecha límite?"),
    ("Mi pregunta es sobre el certificado.", "es", "en", "My question is about the certificate."),
    ("¿Puedo repetir el cuestionario?", "es", "en", "Can I retake the quiz?"),
    ("I need help with the assignment.", "en", "hi", "मुझे असाइनमेंट में मदद चाहिए।"),
    ("Thanks for your help.", "en", "hi", "आपकी मदद के लिए धन्यवाद।"),
    ("मुझे यह सवाल समझ नहीं आया।", "hi", "en", "I don't understand this question."),
    ("समय सीमा कब है?", "hi", "en", "When is the deadline?"),
]


def test_held_sentences_and_pivot(tmp_path: Path) -> None:
    pivot = [
        ("No entiendo la recursión.", "es", "hi", "मुझे रिकर्शन समझ नहीं आया।"),
        ("मेरा एक सवाल है।", "hi", "es", "Tengo una pregunta."),
    ]
    multi = (
        "Hello! I have a question. When is the deadline?",
        "en",
        "es",
        "¡Hola! Tengo una pregunta. ¿Cuándo es la fecha límite?",
    )
    cases = [*HELD, *pivot, multi]
    result = run_argos(tmp_path, [(s, a, b) for s, a, b, _ in cases])
    assert result["installed"] == ["en-es", "en-hi", "es-en", "hi-en"]
    for (source, src, tgt, expected), got in zip(cases, result["out"], strict=True):
        assert got == expected, f"{src}->{tgt} {source!r}: {got!r}"


def test_training_set_exact_match(tmp_path: Path) -> None:
    """Greedy-trained models reproduce (almost) every held pair through argostranslate."""
    rows = corpus()
    directions = [("en", "es"), ("es", "en"), ("en", "hi"), ("hi", "en")]
    cases = [(r[a], a, b, r[b]) for a, b in directions for r in rows]
    result = run_argos(tmp_path, [(s, a, b) for s, a, b, _ in cases])
    misses = [
        (f"{a}->{b}", s, got, want)
        for (s, a, b, want), got in zip(cases, result["out"], strict=True)
        if got != want
    ]
    assert len(misses) <= len(cases) * 2 // 100, misses[:20]


def test_placeholders_survive(tmp_path: Path) -> None:
    cases = [
        ("My code ⟦0⟧ gives an error.", "en", "es"),
        ("⟦0⟧ thanks for your help.", "en", "hi"),
        ("Here is the link: ⟦4⟧", "en", "es"),
        ("The deadline is ⟦0⟧ at ⟦1⟧", "en", "es"),
        ("I got ⟦0⟧ out of ⟦1⟧", "en", "hi"),
        ("Hola ⟦0⟧ ⟦1⟧", "es", "en"),
        ("मेरा कोड ⟦0⟧ है और त्रुटि ⟦1⟧ है", "hi", "en"),
        ("Thank you! ⟦2⟧", "en", "es"),
        ("I like this course. ⟦9⟧", "en", "hi"),
        ("Compare ⟦0⟧ with ⟦1⟧ and ⟦2⟧", "en", "es"),
        ("⟦0⟧ mi código ⟦1⟧ da el error ⟦2⟧", "es", "hi"),
    ]
    result = run_argos(tmp_path, cases)
    for (source, src, tgt), got in zip(cases, result["out"], strict=True):
        wanted = sorted(t for t in (f"⟦{i}⟧" for i in range(16)) if t in source)
        found = sorted(t for t in (f"⟦{i}⟧" for i in range(16)) if t in got)
        assert found == wanted, f"{src}->{tgt} {source!r}: {got!r}"
        for token in wanted:
            assert got.count(token) == 1, got
