"""Catalog workflow: extract → update → compile, and the CI check.

python scripts/i18n.py extract   # locales/messages.pot from the code
python scripts/i18n.py update    # merge the .pot into every locale's .po (creating new ones)
python scripts/i18n.py compile   # .po → .mo (the bot refuses to start without them)
python scripts/i18n.py check     # fails when a msgid in the code is missing, untranslated
                                 # or fuzzy in any catalog, when placeholders differ, or
                                 # when GNU msgfmt -c rejects a catalog
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from babel.messages.catalog import Catalog, Message
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
LOCALES_DIR = ROOT / "locales"
POT = LOCALES_DIR / "messages.pot"
LOCALES = ("en", "es", "pt", "fr", "ru", "hi", "ar", "zh")
KEYWORDS = ["-k", "_", "-k", "ngettext:1,2", "-k", "pgettext:1c,2", "-k", "lazy_gettext"]
_PLACEHOLDER = re.compile(r"\{[a-z_]+\}|%\([a-z_]+\)[sd]|%[sd]")


def pybabel(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", *args], check=True, cwd=ROOT)


def extract(out: Path = POT) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    pybabel(
        "extract", "-F", "babel.cfg", *KEYWORDS, "--add-comments=Translators:",
        "--sort-by-file", "--no-wrap", "--project=tg-support", "-o", str(out), ".",
    )  # fmt: skip


def update() -> None:
    extract()
    for loc in LOCALES:
        po = LOCALES_DIR / loc / "LC_MESSAGES" / "messages.po"
        if po.exists():
            pybabel(
                "update",
                "-i",
                str(POT),
                "-d",
                str(LOCALES_DIR),
                "-l",
                loc,
                "--no-wrap",
                "--ignore-obsolete",
            )
        else:
            pybabel("init", "-i", str(POT), "-d", str(LOCALES_DIR), "-l", loc, "--no-wrap")
    fill_english()


def fill_english() -> None:
    """English is the source language: its catalog says exactly what the msgids say."""
    po = LOCALES_DIR / "en" / "LC_MESSAGES" / "messages.po"
    with po.open("rb") as fp:
        cat = read_po(fp)
    for msg in cat:
        if not msg.id:
            continue
        msg.flags.discard("fuzzy")
        msg.string = tuple(msg.id) if isinstance(msg.id, tuple) else msg.id
    with po.open("wb") as fp:
        write_po(fp, cat, width=0, ignore_obsolete=True)


def compile_() -> None:
    pybabel("compile", "-d", str(LOCALES_DIR), "-D", "messages", "--statistics")


def _strings(msg: Message) -> list[str]:
    s = msg.string
    return [x or "" for x in s] if isinstance(s, (list, tuple)) else [s or ""]


def _ids(msg: Message) -> list[str]:
    return list(msg.id) if isinstance(msg.id, (list, tuple)) else [msg.id]


def check() -> int:
    problems: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        pot_path = Path(tmp) / "messages.pot"
        extract(pot_path)
        with pot_path.open("rb") as fp:
            pot = read_po(fp)
    wanted = {(m.context, _ids(m)[0]) for m in pot if m.id}
    for loc in LOCALES:
        po = LOCALES_DIR / loc / "LC_MESSAGES" / "messages.po"
        if not po.exists():
            problems.append(f"{loc}: no catalog at {po.relative_to(ROOT)}")
            continue
        with po.open("rb") as fp:
            cat: Catalog = read_po(fp)
        have = {(m.context, _ids(m)[0]): m for m in cat if m.id}
        for key in sorted(wanted - have.keys(), key=str):
            problems.append(f"{loc}: missing msgid {key[1]!r}")
        for key, msg in have.items():
            if key not in wanted:
                continue
            if msg.fuzzy:
                problems.append(f"{loc}: fuzzy {key[1]!r}")
            strings = _strings(msg)
            if not all(s.strip() for s in strings):
                problems.append(f"{loc}: untranslated {key[1]!r}")
                continue
            expected = set(_PLACEHOLDER.findall(" ".join(_ids(msg))))
            for s in strings:
                got = set(_PLACEHOLDER.findall(s))
                # A plural form may drop the count (e.g. "one question"), never add a name.
                if got - expected or (expected - got) - {"%(count)d", "{count}"}:
                    problems.append(f"{loc}: placeholders differ in {key[1]!r}: {sorted(got)}")
        if shutil.which("msgfmt"):
            res = subprocess.run(
                ["msgfmt", "-c", "-o", "/dev/null", str(po)], capture_output=True, text=True
            )
            if res.returncode:
                problems.append(f"{loc}: msgfmt -c: {res.stderr.strip()}")
        else:
            problems.append("msgfmt (GNU gettext) is not installed")
    for p in problems:
        print(p)
    print(f"i18n check: {len(wanted)} msgids, {len(LOCALES)} catalogs, {len(problems)} problems")
    return 1 if problems else 0


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("action", choices=["extract", "update", "compile", "check", "fill-en"])
    action = parser.parse_args().action
    if action == "extract":
        extract()
    elif action == "update":
        update()
    elif action == "compile":
        compile_()
    elif action == "fill-en":
        fill_english()
    else:
        return check()
    return 0


if __name__ == "__main__":
    sys.exit(main())
