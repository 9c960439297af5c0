"""Code-point lookup tables, built once per process, that let rules classify characters in NumPy.

Python has no vectorised ``str.isalpha`` and no Unicode *script* property, so each table maps
code points to a value; indexing a table with a chunk's code points then classifies all its
characters in one operation. Scripts come from Unicode block ranges: coarse
but enough to tell Latin from Cyrillic from Han, which is what the ``script`` rule needs.
"""

from __future__ import annotations

import unicodedata
from enum import IntEnum
from functools import cache

import numpy as np
from numpy.typing import NDArray

N_CODEPOINTS = 0x110000


class Script(IntEnum):
    """Writing systems the ``script`` rule can require (0 = none of these)."""

    OTHER = 0
    LATIN = 1
    GREEK = 2
    CYRILLIC = 3
    ARMENIAN = 4
    HEBREW = 5
    ARABIC = 6
    DEVANAGARI = 7
    BENGALI = 8
    GURMUKHI = 9
    GUJARATI = 10
    TAMIL = 11
    TELUGU = 12
    KANNADA = 13
    MALAYALAM = 14
    SINHALA = 15
    THAI = 16
    GEORGIAN = 17
    HANGUL = 18
    HIRAGANA = 19
    KATAKANA = 20
    HAN = 21
    ETHIOPIC = 22
    KHMER = 23


_RANGES: dict[Script, tuple[tuple[int, int], ...]] = {
    Script.LATIN: (
        (0x41, 0x5A),
        (0x61, 0x7A),
        (0xAA, 0xAA),
        (0xBA, 0xBA),
        (0xC0, 0x24F),
        (0x1E00, 0x1EFF),
        (0x2C60, 0x2C7F),
        (0xA720, 0xA7FF),
        (0xAB30, 0xAB6F),
        (0xFB00, 0xFB06),
        (0xFF21, 0xFF3A),
        (0xFF41, 0xFF5A),
    ),
    Script.GREEK: ((0x370, 0x3FF), (0x1F00, 0x1FFF)),
    Script.CYRILLIC: ((0x400, 0x52F), (0x1C80, 0x1C8F), (0x2DE0, 0x2DFF), (0xA640, 0xA69F)),
    Script.ARMENIAN: ((0x530, 0x58F), (0xFB13, 0xFB17)),
    Script.HEBREW: ((0x590, 0x5FF), (0xFB1D, 0xFB4F)),
    Script.ARABIC: (
        (0x600, 0x6FF),
        (0x750, 0x77F),
        (0x8A0, 0x8FF),
        (0xFB50, 0xFDFF),
        (0xFE70, 0xFEFF),
    ),
    Script.DEVANAGARI: ((0x900, 0x97F), (0xA8E0, 0xA8FF)),
    Script.BENGALI: ((0x980, 0x9FF),),
    Script.GURMUKHI: ((0xA00, 0xA7F),),
    Script.GUJARATI: ((0xA80, 0xAFF),),
    Script.TAMIL: ((0xB80, 0xBFF),),
    Script.TELUGU: ((0xC00, 0xC7F),),
    Script.KANNADA: ((0xC80, 0xCFF),),
    Script.MALAYALAM: ((0xD00, 0xD7F),),
    Script.SINHALA: ((0xD80, 0xDFF),),
    Script.THAI: ((0xE00, 0xE7F),),
    Script.GEORGIAN: ((0x10A0, 0x10FF), (0x1C90, 0x1CBF), (0x2D00, 0x2D2F)),
    Script.HANGUL: ((0x1100, 0x11FF), (0x3130, 0x318F), (0xA960, 0xA97F), (0xAC00, 0xD7FF)),
    Script.HIRAGANA: ((0x3040, 0x309F),),
    Script.KATAKANA: ((0x30A0, 0x30FF), (0x31F0, 0x31FF), (0xFF66, 0xFF9F)),
    Script.HAN: (
        (0x2E80, 0x2FDF),
        (0x3005, 0x3007),
        (0x3021, 0x3029),
        (0x3400, 0x4DBF),
        (0x4E00, 0x9FFF),
        (0xF900, 0xFAFF),
        (0x20000, 0x2FA1F),
        (0x30000, 0x3134F),
    ),
    Script.ETHIOPIC: ((0x1200, 0x139F), (0x2D80, 0x2DDF)),
    Script.KHMER: ((0x1780, 0x17FF), (0x19E0, 0x19FF)),
}

# Scripts a language is normally written in (ISO 639-1 codes; Latin is the fallback only for the
# languages listed, so an unknown code is an error the user can fix rather than a silent guess).
_LATIN_LANGUAGES = (
    "af",
    "az",
    "br",
    "bs",
    "ca",
    "cs",
    "cy",
    "da",
    "de",
    "en",
    "eo",
    "es",
    "et",
    "eu",
    "fi",
    "fil",
    "fo",
    "fr",
    "fy",
    "ga",
    "gd",
    "gl",
    "ha",
    "hr",
    "ht",
    "hu",
    "id",
    "ig",
    "is",
    "it",
    "jv",
    "ku",
    "la",
    "lb",
    "lt",
    "lv",
    "mg",
    "mi",
    "ms",
    "mt",
    "nl",
    "nb",
    "nn",
    "no",
    "oc",
    "pl",
    "pt",
    "qu",
    "ro",
    "rw",
    "sk",
    "sl",
    "sm",
    "sn",
    "so",
    "sq",
    "st",
    "su",
    "sv",
    "sw",
    "tl",
    "tk",
    "tr",
    "uz",
    "vi",
    "wa",
    "xh",
    "yo",
    "zu",
)
LANGUAGE_SCRIPTS: dict[str, frozenset[Script]] = {
    **{code: frozenset({Script.LATIN}) for code in _LATIN_LANGUAGES},
    **{
        code: frozenset({Script.CYRILLIC})
        for code in ("be", "bg", "kk", "ky", "mk", "mn", "ru", "sr", "tg", "tt", "uk")
    },
    "el": frozenset({Script.GREEK}),
    "hy": frozenset({Script.ARMENIAN}),
    "he": frozenset({Script.HEBREW}),
    "yi": frozenset({Script.HEBREW}),
    **{code: frozenset({Script.ARABIC}) for code in ("ar", "fa", "ps", "sd", "ug", "ur")},
    **{code: frozenset({Script.DEVANAGARI}) for code in ("hi", "mr", "ne", "sa")},
    "bn": frozenset({Script.BENGALI}),
    "pa": frozenset({Script.GURMUKHI}),
    "gu": frozenset({Script.GUJARATI}),
    "ta": frozenset({Script.TAMIL}),
    "te": frozenset({Script.TELUGU}),
    "kn": frozenset({Script.KANNADA}),
    "ml": frozenset({Script.MALAYALAM}),
    "si": frozenset({Script.SINHALA}),
    "th": frozenset({Script.THAI}),
    "ka": frozenset({Script.GEORGIAN}),
    "ko": frozenset({Script.HANGUL, Script.HAN}),
    "ja": frozenset({Script.HAN, Script.HIRAGANA, Script.KATAKANA}),
    "zh": frozenset({Script.HAN}),
    "am": frozenset({Script.ETHIOPIC}),
    "km": frozenset({Script.KHMER}),
}


def primary_subtag(language: str) -> str:
    """``'en-US'`` → ``'en'``: tables are keyed by the primary language subtag."""
    return language.replace("_", "-").split("-", 1)[0].lower()


# Per-character tables cover the Basic Multilingual Plane, where Python must test each code point
# once (~40 ms); above it, letters are taken from the script table (CJK extensions, mostly).
_BMP = 0x10000

LETTER = np.uint8(1)
"""Class bit: a letter or combining mark (Unicode categories L*, M*)."""
SPACE = np.uint8(2)
"""Class bit: a character ``str.split()`` splits on."""
DIGIT = np.uint8(4)
"""Class bit: a decimal digit, what ``\\d`` matches in a ``str`` regular expression."""
UPPER = np.uint8(8)
"""Class bit: an upper- or title-case letter (Lu, Lt)."""


@cache
def _bmp_tables() -> tuple[NDArray[np.uint8], NDArray[np.uint32]]:
    classes = np.zeros(_BMP, dtype=np.uint8)
    lower = np.arange(_BMP, dtype=np.uint32)
    for cp, category in enumerate(map(unicodedata.category, map(chr, range(_BMP)))):
        char = chr(cp)
        if category[0] in "LM":
            classes[cp] = LETTER | UPPER if category in ("Lu", "Lt") else LETTER
            low = char.lower()
            if len(low) == 1:
                lower[cp] = ord(low)
        elif char.isspace():
            classes[cp] = SPACE
        elif category == "Nd":
            classes[cp] = DIGIT
    return classes, lower


@cache
def _high_class(cp: int) -> int:
    # above the BMP, letters are those of a known script (CJK extensions, mostly), none of them
    # upper case
    if script_table()[cp] != Script.OTHER:
        return int(LETTER)
    return int(DIGIT) if chr(cp).isdecimal() else 0


def char_classes(codes: NDArray[np.uint32]) -> NDArray[np.uint8]:
    """The class bits (:data:`LETTER`, :data:`SPACE`, :data:`DIGIT`, :data:`UPPER`) of each code
    point, in one table look-up: rules test them with ``&`` instead of a look-up each."""
    table = _bmp_tables()[0]
    if len(codes) == 0 or int(codes.max()) < _BMP:  # the common case
        return table.take(codes)
    out = table.take(codes, mode="clip")
    high = np.flatnonzero(codes >= _BMP)  # emoji and CJK extensions: few, each looked up once
    out[high] = [_high_class(cp) for cp in codes[high].tolist()]
    return out


def has_class(classes: NDArray[np.uint8], bit: np.uint8) -> NDArray[np.bool_]:
    """Which characters have class ``bit`` (one of the constants above)."""
    mask: NDArray[np.bool_] = np.bitwise_and(classes, bit).astype(np.bool_)
    return mask


def is_letter(codes: NDArray[np.uint32]) -> NDArray[np.bool_]:
    """True for letters and combining marks (what words are made of)."""
    return has_class(char_classes(codes), LETTER)


def is_space(codes: NDArray[np.uint32]) -> NDArray[np.bool_]:
    """True for the characters ``str.split()`` splits on."""
    return has_class(char_classes(codes), SPACE)


def to_lower(codes: NDArray[np.uint32]) -> NDArray[np.uint32]:
    """Lower-case code points (unchanged where lowering is not a single character, and above
    the BMP)."""
    lower = _bmp_tables()[1]
    if len(codes) == 0 or int(codes.max()) < _BMP:
        return lower.take(codes)
    out = lower.take(codes, mode="clip")
    high = codes >= _BMP
    out[high] = codes[high]
    return out


def scripts_of(codes: NDArray[np.uint32]) -> NDArray[np.uint8]:
    """The :class:`Script` of each code point."""
    return script_table().take(codes)


@cache
def in_scripts_table(scripts: frozenset[Script]) -> NDArray[np.bool_]:
    """Code point → is it in one of ``scripts``: one look-up instead of two per character."""
    wanted = np.zeros(256, dtype=np.bool_)
    wanted[[int(script) for script in scripts]] = True
    table: NDArray[np.bool_] = wanted.take(script_table())
    return table


@cache
def script_table() -> NDArray[np.uint8]:
    """The :class:`Script` of each code point, from its Unicode block."""
    table = np.zeros(N_CODEPOINTS, dtype=np.uint8)
    for script, ranges in _RANGES.items():
        for low, high in ranges:
            table[low : high + 1] = script
    return table
