"""The badge card in Arabic, Hindi and Chinese: every character it draws has a glyph in the
font chosen for it (fontTools' cmap), and, rendered alone, none looks like that font's
missing-glyph box; Arabic joins and Devanagari forms conjuncts (raqm); Arabic is mirrored."""

from __future__ import annotations

import io

import pytest
from PIL import Image, ImageChops, ImageDraw, ImageFont

from tg_support.community import badge_card as bc
from tg_support.core.i18n import LOCALES, RTL_LOCALES

NAMES = {"ar": "سارة الحربي", "hi": "प्रिया क्षत्रिय", "zh": "李明华", "en": "Helper K7QM"}


def full_card(name: str) -> bc.CardData:
    from tg_support.helpers.reputation import BADGES

    return bc.CardData(name=name, solved=27, helpful=41, events=3, badges=list(BADGES), languages=list(LOCALES))


def glyph_image(face: bc.Face, ch: str) -> bytes:
    font = ImageFont.truetype(face.path, 48, index=face.index, layout_engine=ImageFont.Layout.RAQM)
    img = Image.new("L", (120, 120), 0)
    ImageDraw.Draw(img).text((10, 10), ch, font=font, fill=255)
    return img.tobytes()


def test_fonts_and_shaping_are_there() -> None:
    assert bc.shaping_available(), "Pillow without raqm: Arabic and Devanagari would be unshaped"
    for locale in ("ar", "hi", "zh"):
        faces = bc.chain(locale)
        assert faces, "no fonts found: install fonts-noto-core and fonts-noto-cjk (scripts/setup.sh)"
    assert "Arabic" in bc.chain("ar")[0].name and "Devanagari" in bc.chain("hi")[0].name
    assert "CJK" in bc.chain("zh")[0].name


@pytest.mark.parametrize("locale", ["ar", "hi", "zh"])
def test_no_glyph_falls_back_to_a_missing_glyph_box(locale: str) -> None:
    card = full_card(NAMES[locale])
    pieces = bc.pieces(card, locale)
    texts = [p.text for p in pieces]
    # The card really speaks the locale (compiled catalogs), not English.
    script = {"ar": (0x0600, 0x06FF), "hi": (0x0900, 0x097F), "zh": (0x4E00, 0x9FFF)}[locale]
    assert sum(1 for t in texts[2:] if any(script[0] <= ord(c) <= script[1] for c in t)) >= 8, texts
    for p in pieces:
        faces = bc.chain(locale, p.bold)
        assert bc.missing(p.text, faces) == [], (p.text, [f.name for f in faces])
        for run, face in bc.runs(p.text, faces):
            notdef = glyph_image(face, "\U0010fffd")  # a code point no font has: its box
            for ch in {c for c in run if not c.isspace() and not bc._blank(c)}:
                assert glyph_image(face, ch) != notdef, (ch, face.name)
    png = bc.render(card, locale)
    img = Image.open(io.BytesIO(png))
    assert img.format == "PNG" and img.width == bc.WIDTH and img.height > 400


def test_arabic_joins_devanagari_forms_conjuncts() -> None:
    arabic, devanagari = bc.chain("ar")[0], bc.chain("hi")[0]

    def width(face: bc.Face, text: str, layout: ImageFont.Layout) -> float:
        return ImageFont.truetype(face.path, 48, layout_engine=layout).getlength(text)

    # Shaped, "क्ष" is one conjunct, narrower than क + ् + ष side by side.
    assert width(devanagari, "क्ष", ImageFont.Layout.RAQM) < width(devanagari, "क्ष", ImageFont.Layout.BASIC)
    # Joined Arabic letters differ from the isolated forms a plain layout draws.
    assert width(arabic, "سارة", ImageFont.Layout.RAQM) != width(arabic, "سارة", ImageFont.Layout.BASIC)


def test_right_to_left_is_mirrored() -> None:
    assert "ar" in RTL_LOCALES
    ar = Image.open(io.BytesIO(bc.render(full_card(NAMES["ar"]), "ar"))).convert("RGB")
    en = Image.open(io.BytesIO(bc.render(full_card(NAMES["en"]), "en"))).convert("RGB")
    assert ar.getpixel((bc.WIDTH - 5, 20)) == bc.ACCENT and ar.getpixel((5, 20)) == bc.BG
    assert en.getpixel((5, 20)) == bc.ACCENT
    # The name starts at the right edge in Arabic: ink near the right margin, none at the left.
    band = ar.crop((0, 90, bc.WIDTH, 150))
    bg = Image.new("RGB", band.size, bc.BG)
    box = ImageChops.difference(band, bg).getbbox()
    assert box is not None and box[2] > bc.WIDTH - bc.MARGIN - 20 and box[0] > bc.WIDTH / 2
