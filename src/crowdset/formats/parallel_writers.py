"""Writers for filtered parallel corpora: kept pairs (TSV, Moses, JSONL with scores, TMX) and
rejected pairs with their reasons (JSONL).

TSV and Moses cannot hold a tab (TSV) or a line break (either) inside a sentence: those are
written as a single space, which is the only lossy step of a round trip. JSONL and TMX keep
every character.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from enum import StrEnum
from typing import IO, Any, Protocol

from crowdset.formats.cells import neutralise
from crowdset.formats.parallel_tmx import TmxWriter

_BREAKS = re.compile(r"[\t\r\n]")
_LINE_BREAKS = re.compile(r"[\r\n]")


class OutputFormat(StrEnum):
    """Formats kept pairs can be written in."""

    TSV = "tsv"
    MOSES = "moses"
    JSONL = "jsonl"
    TMX = "tmx"


class PairWriter(Protocol):
    """Receives kept pairs chunk by chunk, in input order."""

    def write(
        self,
        src: Sequence[str],
        tgt: Sequence[str],
        lines: Sequence[int],
        scores: Sequence[dict[str, Any] | None],
    ) -> None: ...

    def close(self) -> None: ...


class TsvPairWriter:
    """``source<TAB>target`` per line. ``neutralise``: a sentence a spreadsheet would run as a
    formula gets a leading ``'`` (exports people open; a filtered corpus keeps its text)."""

    def __init__(self, handle: IO[str], *, neutralise: bool = False) -> None:
        self.handle = handle
        self.neutralise = neutralise

    def write(
        self,
        src: Sequence[str],
        tgt: Sequence[str],
        lines: Sequence[int],
        scores: Sequence[dict[str, Any] | None],
    ) -> None:
        if self.neutralise:
            src, tgt = [str(neutralise(s)) for s in src], [str(neutralise(t)) for t in tgt]
        text = "".join(f"{s}\t{t}\n" for s, t in zip(src, tgt, strict=True))
        if text.count("\t") != len(src) or text.count("\n") != len(src) or "\r" in text:
            # rare: a sentence holds a tab or line break that TSV cannot represent
            text = "".join(
                f"{_BREAKS.sub(' ', s)}\t{_BREAKS.sub(' ', t)}\n"
                for s, t in zip(src, tgt, strict=True)
            )
        self.handle.write(text)

    def close(self) -> None:
        return None


class MosesPairWriter:
    """One sentence per line in two files."""

    def __init__(self, src_handle: IO[str], tgt_handle: IO[str]) -> None:
        self.handles = (src_handle, tgt_handle)

    def write(
        self,
        src: Sequence[str],
        tgt: Sequence[str],
        lines: Sequence[int],
        scores: Sequence[dict[str, Any] | None],
    ) -> None:
        for handle, side in zip(self.handles, (src, tgt), strict=True):
            if not side:
                continue
            text = "\n".join(side) + "\n"
            if text.count("\n") != len(side) or "\r" in text:
                text = "\n".join(_LINE_BREAKS.sub(" ", s) for s in side) + "\n"
            handle.write(text)

    def close(self) -> None:
        return None


class JsonlPairWriter:
    """``{"line": …, "src": …, "tgt": …, "scores": {rule: {field: value}}}`` per line."""

    def __init__(self, handle: IO[str]) -> None:
        self.handle = handle

    def write(
        self,
        src: Sequence[str],
        tgt: Sequence[str],
        lines: Sequence[int],
        scores: Sequence[dict[str, Any] | None],
    ) -> None:
        dumps = json.dumps
        self.handle.write(
            "".join(
                dumps(
                    {"line": line, "src": s, "tgt": t}
                    | ({"scores": score} if score is not None else {}),
                    ensure_ascii=False,
                )
                + "\n"
                for s, t, line, score in zip(src, tgt, lines, scores, strict=True)
            )
        )

    def close(self) -> None:
        return None


class TmxPairWriter:
    """TMX 1.4, for translation tools."""

    def __init__(self, handle: IO[str], src_lang: str, tgt_lang: str) -> None:
        self.tmx = TmxWriter(handle, src_lang, tgt_lang)

    def write(
        self,
        src: Sequence[str],
        tgt: Sequence[str],
        lines: Sequence[int],
        scores: Sequence[dict[str, Any] | None],
    ) -> None:
        self.tmx.write(list(src), list(tgt))

    def close(self) -> None:
        self.tmx.close()


class RejectedWriter:
    """Removed pairs as JSONL: line, texts, the rule that removed it and why.

    With every reason collected, ``reasons`` lists each failing rule, not only the first.
    """

    def __init__(self, handle: IO[str]) -> None:
        self.handle = handle

    def write(
        self,
        src: Sequence[str],
        tgt: Sequence[str],
        lines: Sequence[int],
        reasons: Sequence[list[tuple[str, str]]],
        *,
        all_reasons: bool = False,
    ) -> None:
        out = []
        for s, t, line, found in zip(src, tgt, lines, reasons, strict=True):
            rule, reason = found[0]
            record: dict[str, Any] = {
                "line": line,
                "src": s,
                "tgt": t,
                "rule": rule,
                "reason": reason,
            }
            if all_reasons:
                record["reasons"] = [{"rule": r, "reason": why} for r, why in found]
            out.append(json.dumps(record, ensure_ascii=False) + "\n")
        self.handle.write("".join(out))
