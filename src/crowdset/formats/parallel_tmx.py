"""Streamed TMX (Translation Memory eXchange) reading and writing.

Reading uses expat directly rather than ``ElementTree.iterparse`` because expat reports the
line of every element, so a ``<tu>`` that lacks a language can be named by line. Inline
markup inside ``<seg>`` keeps its text (``<hi>``, ``<sub>``) but drops native codes (``<bpt>``,
``<ept>``, ``<it>``, ``<ph>``, ``<ut>``), which are formatting, not sentence.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import IO
from xml.parsers import expat
from xml.sax.saxutils import escape, quoteattr

import numpy as np

from crowdset.core.filtering import PairChunk
from crowdset.errors import ImportFailed

_CODES = frozenset({"bpt", "ept", "it", "ph", "ut"})
_LANG_ATTRS = ("xml:lang", "http://www.w3.org/XML/1998/namespace lang", "lang")


def _primary(language: str) -> str:
    return language.replace("_", "-").split("-", 1)[0].lower()


class _TmxState:
    """Collects pairs as expat reports elements."""

    def __init__(self, path: Path, src_lang: str | None, tgt_lang: str | None) -> None:
        self.path = path
        self.src_lang = _primary(src_lang) if src_lang else None
        self.tgt_lang = _primary(tgt_lang) if tgt_lang else None
        self.pairs: list[tuple[str, str]] = []
        self.lines: list[int] = []
        self.tu_line = 0
        self.tuvs: list[tuple[str, str]] = []
        self.lang = ""
        self.text: list[str] | None = None
        self.skip_depth = 0
        self.saw_tmx = False

    def error(self, line: int, what: str) -> ImportFailed:
        return ImportFailed(f"{self.path}:{line}: {what}", file=str(self.path), line=line)

    def start(self, parser: expat.XMLParserType, tag: str, attrs: dict[str, str]) -> None:
        if tag == "tmx":
            self.saw_tmx = True
        elif tag == "header" and self.src_lang is None:
            srclang = attrs.get("srclang", "")
            if srclang and srclang != "*all*":
                self.src_lang = _primary(srclang)
        elif tag == "tu":
            self.tu_line = parser.CurrentLineNumber
            self.tuvs = []
        elif tag == "tuv":
            self.lang = next((attrs[a] for a in _LANG_ATTRS if a in attrs), "")
            if not self.lang:
                raise self.error(
                    parser.CurrentLineNumber, "<tuv> without xml:lang; add the language code"
                )
        elif tag == "seg":
            self.text = []
        elif tag in _CODES and self.text is not None:
            self.skip_depth += 1

    def end(self, parser: expat.XMLParserType, tag: str) -> None:
        if tag == "seg" and self.text is not None:
            self.tuvs.append((_primary(self.lang), "".join(self.text)))
            self.text = None
        elif tag in _CODES and self.skip_depth:
            self.skip_depth -= 1
        elif tag == "tu":
            self._finish_tu()

    def chars(self, data: str) -> None:
        if self.text is not None and not self.skip_depth:
            self.text.append(data)

    def _finish_tu(self) -> None:
        langs = [lang for lang, _ in self.tuvs]
        if self.src_lang is None or self.tgt_lang is None:
            if len(self.tuvs) != 2:
                raise self.error(
                    self.tu_line,
                    f"<tu> has {len(self.tuvs)} languages ({', '.join(langs) or 'none'}); "
                    "pass --src-lang and --tgt-lang to choose two",
                )
            src_lang = self.src_lang or self.tuvs[0][0]
            tgt_lang = self.tgt_lang or next(
                (lang for lang, _ in self.tuvs if lang != src_lang), self.tuvs[1][0]
            )
        else:
            src_lang, tgt_lang = self.src_lang, self.tgt_lang
        found = dict(self.tuvs)
        missing = [lang for lang in (src_lang, tgt_lang) if lang not in found]
        if missing:
            raise self.error(
                self.tu_line,
                f"<tu> has no segment in {', '.join(missing)} "
                f"(it has {', '.join(langs) or 'none'}); "
                "fix the unit or choose other --src-lang/--tgt-lang",
            )
        self.pairs.append((found[src_lang], found[tgt_lang]))
        self.lines.append(self.tu_line)


def read_tmx(
    path: Path,
    *,
    src_lang: str | None = None,
    tgt_lang: str | None = None,
    chunk_size: int = 5_000,
    block_bytes: int = 1 << 20,
) -> Iterator[PairChunk]:
    """Pairs of the ``<tu>`` units of a TMX file; each pair's line is its ``<tu>``'s line.

    Without ``src_lang`` the header's ``srclang`` is the source; without ``tgt_lang`` each unit
    must have exactly two languages.
    """
    state = _TmxState(path, src_lang, tgt_lang)
    parser = expat.ParserCreate()
    parser.buffer_text = True
    parser.StartElementHandler = lambda tag, attrs: state.start(parser, tag, attrs)
    parser.EndElementHandler = lambda tag: state.end(parser, tag)
    parser.CharacterDataHandler = state.chars
    try:
        handle = path.open("rb")
    except OSError as error:
        raise ImportFailed(
            f"{path}: cannot open ({error.strerror}); check the path", file=str(path), line=None
        ) from None
    with handle:
        while True:
            data = handle.read(block_bytes)
            try:
                parser.Parse(data, not data)
            except expat.ExpatError as error:
                raise state.error(
                    error.lineno,
                    f"broken XML ({expat.ErrorString(error.code)}, column {error.offset + 1}); "
                    "fix the markup, or check the file is complete",
                ) from None
            while len(state.pairs) >= chunk_size or (state.pairs and not data):
                yield _take(state, chunk_size)
            if not data:
                break
    if not state.saw_tmx:
        raise state.error(1, "no <tmx> element; is this a TMX file?")


def _take(state: _TmxState, size: int) -> PairChunk:
    pairs, state.pairs = state.pairs[:size], state.pairs[size:]
    lines, state.lines = state.lines[:size], state.lines[size:]
    return PairChunk(
        [s for s, _ in pairs], [t for _, t in pairs], np.asarray(lines, dtype=np.int64)
    )


def _seg(text: str) -> str:
    # XML parsers turn a raw "\r" into "\n"; a character reference survives
    return escape(text).replace("\r", "&#13;")


class TmxWriter:
    """Writes pairs as TMX 1.4 units, one ``<tu>`` per pair."""

    def __init__(self, handle: IO[str], src_lang: str, tgt_lang: str) -> None:
        self.handle = handle
        self.src_lang, self.tgt_lang = src_lang, tgt_lang
        handle.write(
            '<?xml version="1.0" encoding="UTF-8"?>\n<tmx version="1.4">\n'
            f'<header creationtool="crowdset" creationtoolversion="1" segtype="sentence" '
            f'o-tmf="crowdset" adminlang="en" srclang={quoteattr(src_lang)} datatype="plaintext"/>'
            "\n<body>\n"
        )

    def write(self, src: list[str], tgt: list[str]) -> None:
        s_lang, t_lang = quoteattr(self.src_lang), quoteattr(self.tgt_lang)
        self.handle.write(
            "".join(
                f"<tu><tuv xml:lang={s_lang}><seg>{_seg(s)}</seg></tuv>"
                f"<tuv xml:lang={t_lang}><seg>{_seg(t)}</seg></tuv></tu>\n"
                for s, t in zip(src, tgt, strict=True)
            )
        )

    def close(self) -> None:
        self.handle.write("</body>\n</tmx>\n")
