"""A helper's shareable badge card: a PNG rendered with Pillow in the helper's language and
script (name or pseudonym, questions solved, helpful answers, events attended, badges,
languages).

Text goes through Pillow's raqm layout (HarfBuzz shaping, FriBiDi): Arabic joins and runs
right to left, Devanagari forms its conjuncts. No single font covers all eight locales, so
every piece of text is cut into runs, each set in the first font of the locale's chain that
has a glyph for it (:func:`runs`); :func:`missing` names what no chosen font covers, which
the tests require to be nothing. In a right-to-left locale the runs of a line are placed
right to left and the card is mirrored.

Fonts: Debian's fonts-noto-core (Noto Sans, Noto Sans Arabic, Noto Sans Devanagari) and
fonts-noto-cjk (Noto Sans CJK), found under :data:`FONT_DIRS`; DejaVu Sans is the last
resort. ``scripts/setup.sh`` installs them.
"""

from __future__ import annotations

import io
import unicodedata
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from babel.numbers import format_decimal
from fontTools.ttLib import TTCollection, TTFont
from PIL import Image, ImageDraw, ImageFont, features

from tg_support.core.i18n import LANGUAGE_NAMES, RTL_LOCALES, _, use_locale

FONT_DIRS: tuple[str, ...] = ("/usr/share/fonts", "/usr/local/share/fonts")
WIDTH = 1000
MARGIN = 56
BG = (250, 247, 240)
INK = (34, 40, 49)
MUTED = (110, 117, 128)
ACCENT = (214, 137, 16)
CHIP = (232, 226, 212)

# File name (and collection member) of each face; regular and bold.
_FILES: dict[str, tuple[str, str]] = {
    "latin": ("NotoSans-Regular.ttf", "NotoSans-Bold.ttf"),
    "arabic": ("NotoSansArabic-Regular.ttf", "NotoSansArabic-Bold.ttf"),
    "devanagari": ("NotoSansDevanagari-Regular.ttf", "NotoSansDevanagari-Bold.ttf"),
    "cjk": ("NotoSansCJK-Regular.ttc", "NotoSansCJK-Bold.ttc"),
    "dejavu": ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf"),
}
# The locale's own script first, then every other, so any name can be written.
_PRIMARY = {"ar": "arabic", "hi": "devanagari", "zh": "cjk"}
_ORDER = ("latin", "arabic", "devanagari", "cjk", "dejavu")
CJK_SC_NAME = "Noto Sans CJK SC"


@dataclass(frozen=True)
class Face:
    path: str
    index: int = 0

    @property
    def name(self) -> str:
        return Path(self.path).name + (f"#{self.index}" if self.index else "")


@cache
def _find(file_name: str) -> str | None:
    for root in FONT_DIRS:
        base = Path(root)
        if base.is_dir():
            for found in sorted(base.rglob(file_name)):
                return str(found)
    return None


@cache
def _face(script: str, bold: bool) -> Face | None:
    path = _find(_FILES[script][1 if bold else 0])
    if path is None:
        return None
    if path.endswith(".ttc"):
        # The collection holds JP, KR, SC, TC, HK: the card writes Simplified Chinese.
        for i, font in enumerate(TTCollection(path).fonts):
            if CJK_SC_NAME in str(font["name"].getDebugName(4)):
                return Face(path, i)
    return Face(path, 0)


@cache
def cmap(face: Face) -> frozenset[int]:
    """The code points ``face`` has glyphs for (fontTools)."""
    font = TTCollection(face.path).fonts[face.index] if face.path.endswith(".ttc") else TTFont(face.path)
    return frozenset(font.getBestCmap())


@cache
def _pil(face: Face, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(face.path, size, index=face.index, layout_engine=ImageFont.Layout.RAQM)


def chain(locale: str, bold: bool = False) -> tuple[Face, ...]:
    """The faces tried for text in ``locale``, its own script first."""
    first = _PRIMARY.get(locale, "latin")
    faces = [_face(s, bold) for s in (first, *[s for s in _ORDER if s != first])]
    return tuple(f for f in faces if f is not None)


def _blank(ch: str) -> bool:
    return ch.isspace() or unicodedata.category(ch) in ("Cf", "Mn", "Zs")


def runs(text: str, faces: tuple[Face, ...]) -> list[tuple[str, Face]]:
    """``text`` cut into runs, each in the first face that has its glyphs; blanks and marks
    stay in the run they are in."""
    out: list[tuple[str, Face]] = []
    for ch in text:
        if out and (_blank(ch) or ord(ch) in cmap(out[-1][1])):
            out[-1] = (out[-1][0] + ch, out[-1][1])
            continue
        face = next((f for f in faces if ord(ch) in cmap(f)), faces[0])
        out.append((ch, face))
    return out


def missing(text: str, faces: tuple[Face, ...]) -> list[str]:
    """Characters of ``text`` that its runs' faces have no glyph for (drawn as boxes)."""
    return [ch for run, face in runs(text, faces) for ch in run if not _blank(ch) and ord(ch) not in cmap(face)]


@dataclass
class CardData:
    name: str
    solved: int = 0
    helpful: int = 0
    events: int = 0
    badges: list[str] = field(default_factory=list)
    languages: list[str] = field(default_factory=list)


def badge_name(code: str) -> str:
    return {
        "first_answer": _("First answer"),
        "helpful_10": _("10 helpful answers"),
        "bilingual": _("Answers in two languages"),
        "week_streak": _("A week streak"),
        "solver_25": _("25 solved questions"),
        "reviewer_5": _("5 peer reviews given"),
    }.get(code, code)


@dataclass(frozen=True)
class Piece:
    """One text on the card: where (from the start edge), how big, how bold."""

    text: str
    x: int
    y: int
    size: int
    bold: bool = False
    color: tuple[int, int, int] = INK
    chip: bool = False
    end: bool = False  # aligned to the far edge (the numbers)


def pieces(card: CardData, locale: str) -> list[Piece]:
    """What the card says, in ``locale``, laid out for a left-to-right reading (mirrored
    when drawn for a right-to-left locale)."""
    with use_locale(locale):
        out = [
            Piece(_("MOOC peer support · helper card"), MARGIN, 40, 28, color=MUTED),
            Piece(card.name, MARGIN, 84, 60, bold=True),
        ]
        y = 190
        for label, value in (
            (_("Questions solved"), card.solved),
            (_("Helpful answers"), card.helpful),
            (_("Events attended"), card.events),
        ):
            out.append(Piece(label, MARGIN, y, 32))
            out.append(Piece(format_decimal(value, locale=locale), WIDTH - MARGIN, y - 6, 42, bold=True, color=ACCENT, end=True))
            y += 62
        y += 14
        out.append(Piece(_("Badges"), MARGIN, y, 30, bold=True, color=MUTED))
        y += 50
        for code in card.badges or []:
            out.append(Piece("★ " + badge_name(code), MARGIN, y, 30))
            y += 46
        if not card.badges:
            out.append(Piece(_("The first badge comes with the first answer."), MARGIN, y, 28, color=MUTED))
            y += 46
        y += 14
        out.append(Piece(_("Languages"), MARGIN, y, 30, bold=True, color=MUTED))
        y += 52
        x = MARGIN
        for code in card.languages:
            out.append(Piece(LANGUAGE_NAMES.get(code, code), x, y, 30, chip=True))
            x += 40 + int(_width(LANGUAGE_NAMES.get(code, code), chain(locale), 30)) + 20
        return out


def _width(text: str, faces: tuple[Face, ...], size: int) -> float:
    return sum(w for _, _, w in visual(text, faces, size, rtl=False))


def _arabic(ch: str) -> bool:
    return "\u0590" <= ch <= "\u08ff" or "\ufb1d" <= ch <= "\ufdff" or "\ufe70" <= ch <= "\ufeff"


def visual(text: str, faces: tuple[Face, ...], size: int, *, rtl: bool) -> list[tuple[str, Face | None, float]]:
    """``text`` as (run, face, width) from left to right; a ``None`` face is a gap.

    Each run is shaped by raqm (which orders letters within it). A right-to-left line is
    cut into words: consecutive right-to-left words form one unit, consecutive
    left-to-right ones (Latin words, numbers) another, and a word of symbols only stands
    alone; the units go right to left, as the Unicode bidi algorithm places them in a
    right-to-left paragraph."""
    if not rtl:
        return [(run, face, _pil(face, size).getlength(run)) for run, face in runs(text, faces)]
    units: list[tuple[str, str]] = []
    for word in text.split():
        kind = "R" if any(_arabic(c) for c in word) else "L" if any(c.isalnum() for c in word) else "N"
        if units and kind != "N" and units[-1][0] == kind:
            units[-1] = (kind, units[-1][1] + " " + word)
        else:
            units.append((kind, word))
    out: list[tuple[str, Face | None, float]] = []
    space = _pil(faces[0], size).getlength(" ")
    for i, (kind, unit) in enumerate(reversed(units)):
        if i:
            out.append((" ", None, space))
        parts = [(run, face, _pil(face, size).getlength(run)) for run, face in runs(unit, faces)]
        out.extend(reversed(parts) if kind == "R" else parts)
    return out


def height(ps: list[Piece]) -> int:
    return max(p.y for p in ps) + 110


def render(card: CardData, locale: str) -> bytes:
    """The card as PNG bytes."""
    rtl = locale in RTL_LOCALES
    ps = pieces(card, locale)
    img = Image.new("RGB", (WIDTH, height(ps)), BG)
    draw = ImageDraw.Draw(img)
    draw.rectangle((WIDTH - 14, 0, WIDTH, img.height) if rtl else (0, 0, 14, img.height), fill=ACCENT)
    for p in ps:
        parts = visual(p.text, chain(locale, p.bold), p.size, rtl=rtl)
        total = sum(w for _, _, w in parts)
        # Start edge: left in LTR, right in RTL; ``end`` pieces sit at the other edge.
        start_x = p.x if not p.end else p.x - total
        left = WIDTH - start_x - total if rtl else start_x
        if p.chip:
            draw.rounded_rectangle((left - 20, p.y - 6, left + total + 20, p.y + p.size + 18), 22, fill=CHIP)
        x = left
        for run, face, w in parts:
            if face is not None:
                # On the baseline: scripts of different fonts line up whatever their ascents.
                draw.text((x, p.y + p.size), run, font=_pil(face, p.size), fill=p.color, anchor="ls")
            x += w
    buf = io.BytesIO()
    img.save(buf, "PNG", optimize=True)
    return buf.getvalue()


def shaping_available() -> bool:
    """True when Pillow lays text out with raqm (Arabic joining, Devanagari conjuncts)."""
    return bool(features.check("raqm"))
