"""Noto Sans SC / TC from npm (settings.FONT_DIR_SC / FONT_DIR_TC), for certificates and
posters drawn with Pillow and reportlab.

The font is chosen per document: Traditional Chinese (TC) for Taiwan, Simplified (SC)
elsewhere; when the preferred font lacks a character of the text (a simplified character in
a Taiwan agent's name, say) the other one is used if it covers everything. Coverage is read
from the font's own cmap table (reportlab's TrueType parser), not assumed.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from django.conf import settings

SC, TC = "sc", "tc"
WEIGHTS = {"regular": "400Regular", "bold": "700Bold"}


def font_path(script: str, weight: str = "regular") -> Path:
    folder = settings.FONT_DIR_TC if script == TC else settings.FONT_DIR_SC
    tag = WEIGHTS[weight]
    return Path(folder) / tag / f"NotoSans{script.upper()}_{tag}.ttf"


@lru_cache(maxsize=8)
def _face(path: str):
    from reportlab.pdfbase.ttfonts import TTFont

    return TTFont(f"cov-{Path(path).stem}", path)


def covered(path: Path | str) -> frozenset[int]:
    """Code points the font maps to a glyph (its cmap)."""
    return frozenset(_face(str(path)).face.charToGlyph)


def missing(text: str, path: Path | str) -> list[str]:
    """Characters of `text` (whitespace aside) that the font has no glyph for."""
    cmap = _face(str(path)).face.charToGlyph
    return [c for c in dict.fromkeys(text) if not c.isspace() and ord(c) not in cmap]


def choose(texts: list[str], *, taiwan: bool, weights: tuple[str, ...] = ("regular", "bold")) -> str:
    """SC or TC for a document whose text is `texts`."""
    joined = "".join(texts)
    order = (TC, SC) if taiwan else (SC, TC)
    for script in order:
        if all(not missing(joined, font_path(script, w)) for w in weights):
            return script
    return order[0]


@lru_cache(maxsize=32)
def pil_font(script: str, weight: str, size: int):
    from PIL import ImageFont

    return ImageFont.truetype(str(font_path(script, weight)), size)


def pdf_font(script: str, weight: str = "regular") -> str:
    """Register the font with reportlab (once) and return its name."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    name = f"NotoSans{script.upper()}-{weight}"
    if name not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(name, str(font_path(script, weight))))
    return name
