"""Streamed readers of parallel corpora (SPEC §4): TSV, a pair of Moses files, TMX, JSONL.

Every reader yields :class:`~crowdset.core.filtering.PairChunk` objects of at most
``chunk_size`` pairs and never holds more than one chunk (plus one read block) in memory. Input
must be UTF-8; anything malformed raises :class:`~crowdset.errors.ImportFailed` naming the file
and the first bad line (``fields['line']``) and saying how to fix it. Callers that write output
must write it aside and keep it only once the whole input was read (see ``parallel_run``).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from enum import StrEnum
from pathlib import Path

import numpy as np

from crowdset.core.filtering import PairChunk
from crowdset.errors import ImportFailed

BLOCK_BYTES = 1 << 20
DEFAULT_CHUNK = 5_000


class ParallelFormat(StrEnum):
    """Formats a parallel corpus can be read from."""

    TSV = "tsv"
    MOSES = "moses"
    TMX = "tmx"
    JSONL = "jsonl"


def _decode_error(
    path: Path, block: bytes, first_line: int, error: UnicodeDecodeError
) -> ImportFailed:
    line = first_line + block.count(b"\n", 0, error.start)
    line_start = block.rfind(b"\n", 0, error.start) + 1
    column = error.start - line_start + 1
    bad = block[error.start : error.start + 1].hex()
    return ImportFailed(
        f"{path}:{line}: not valid UTF-8 (byte 0x{bad} at column {column}); the file mixes "
        "encodings or is not UTF-8: convert it, e.g. `iconv -f latin1 -t utf-8 IN > OUT`",
        file=str(path),
        line=line,
        column=column,
    )


def iter_lines(path: Path, block_bytes: int = BLOCK_BYTES) -> Iterator[tuple[int, list[str]]]:
    """``(number of the first line, lines)`` blocks of a UTF-8 text file, without newlines.

    Decoding a whole block at once is much faster than line by line; the byte offset of a
    decoding error still gives the exact line. A final ``\\r`` (Windows line end) and a leading
    byte-order mark are dropped.
    """
    line_no = 1
    pending = b""
    first = True
    try:
        handle = path.open("rb")
    except OSError as error:
        raise ImportFailed(
            f"{path}: cannot open ({error.strerror}); check the path",
            file=str(path),
            line=None,
        ) from None
    with handle:
        while True:
            data = handle.read(block_bytes)
            block = pending + data
            if not data:
                if not block:
                    return
                pending = b""
            else:
                cut = block.rfind(b"\n") + 1
                if cut == 0:
                    pending = block
                    continue
                block, pending = block[:cut], block[cut:]
            try:
                text = block.decode("utf-8")
            except UnicodeDecodeError as error:
                raise _decode_error(path, block, line_no, error) from None
            if first and text.startswith("\ufeff"):
                text = text[1:]
            first = False
            lines = text.split("\n")
            if text.endswith("\n"):
                lines.pop()
            if "\r" in text:
                lines = [line[:-1] if line.endswith("\r") else line for line in lines]
            yield line_no, lines
            line_no += len(lines)
            if not data:
                return


def _chunks(
    numbered: Iterator[tuple[int, list[tuple[str, str]]]], chunk_size: int
) -> Iterator[PairChunk]:
    """Regroup ``(first line, pairs on consecutive lines)`` blocks into chunks of a fixed size."""
    for first_line, pairs in numbered:
        for start in range(0, len(pairs), chunk_size):
            part = pairs[start : start + chunk_size]
            yield PairChunk(
                [s for s, _ in part],
                [t for _, t in part],
                np.arange(first_line + start, first_line + start + len(part), dtype=np.int64),
            )


def read_tsv(
    path: Path,
    *,
    columns: tuple[int, int] = (1, 2),
    header: bool = False,
    chunk_size: int = DEFAULT_CHUNK,
) -> Iterator[PairChunk]:
    """Pairs from a tab-separated file; ``columns`` are 1-based (like ``cut -f``).

    Every line must have as many columns as the first one: a line with a missing or extra tab
    is an error, not a silently shifted pair.
    """
    src_col, tgt_col = columns[0] - 1, columns[1] - 1
    expected: int | None = None
    for first_line, lines in iter_lines(path):
        rows = [line.split("\t") for line in lines]
        start = 0
        if header and first_line == 1 and rows:
            expected, start = len(rows[0]), 1
        if expected is None and rows:
            expected = len(rows[0])
            if expected <= max(src_col, tgt_col):
                raise ImportFailed(
                    f"{path}:{first_line}: {expected} tab-separated column(s), but columns "
                    f"{columns[0]} and {columns[1]} were asked for; check the file is "
                    "tab-separated or pass the right --columns",
                    file=str(path),
                    line=first_line,
                )
        widths = {len(row) for row in rows[start:]}
        if widths and widths != {expected}:
            bad = next(i for i in range(start, len(rows)) if len(rows[i]) != expected)
            found = len(rows[bad])
            hint = "a tab is missing" if found < (expected or 0) else "there is an extra tab"
            raise ImportFailed(
                f"{path}:{first_line + bad}: {found} tab-separated column(s), expected "
                f"{expected} like line {1 + int(header)}; {hint} on this line "
                "(sentences cannot contain tabs in TSV)",
                file=str(path),
                line=first_line + bad,
                columns=found,
                expected=expected,
            )
        pairs = [(row[src_col], row[tgt_col]) for row in rows[start:]]
        yield from _chunks(iter([(first_line + start, pairs)]), chunk_size)


def read_moses(
    src_path: Path, tgt_path: Path, *, chunk_size: int = DEFAULT_CHUNK
) -> Iterator[PairChunk]:
    """Pairs from two line-aligned files (line N of one translates line N of the other)."""
    src_blocks = iter_lines(src_path)
    tgt_blocks = iter_lines(tgt_path)
    src_buf: list[str] = []
    tgt_buf: list[str] = []
    line = 1
    src_done = tgt_done = False
    while True:
        while len(src_buf) < chunk_size and not src_done:
            block = next(src_blocks, None)
            if block is None:
                src_done = True
            else:
                src_buf.extend(block[1])
        while len(tgt_buf) < max(len(src_buf), 1) and not tgt_done:
            block = next(tgt_blocks, None)
            if block is None:
                tgt_done = True
            else:
                tgt_buf.extend(block[1])
        take = min(len(src_buf), len(tgt_buf), chunk_size)
        if take:
            yield PairChunk(
                src_buf[:take], tgt_buf[:take], np.arange(line, line + take, dtype=np.int64)
            )
            del src_buf[:take], tgt_buf[:take]
            line += take
            continue
        if src_buf or tgt_buf:
            short, long_ = (src_path, tgt_path) if tgt_buf else (tgt_path, src_path)
            raise ImportFailed(
                f"{long_}:{line}: no partner line, {short} has only {line - 1} lines; "
                "Moses files must have exactly one sentence per line each, with the same "
                "number of lines",
                file=str(long_),
                line=line,
                other_file=str(short),
            )
        return


def _jsonl_error(path: Path, line: int, what: str) -> ImportFailed:
    return ImportFailed(
        f'{path}:{line}: {what}; each line must be a JSON object like {{"src": "…", "tgt": "…"}}',
        file=str(path),
        line=line,
    )


def read_jsonl(path: Path, *, chunk_size: int = DEFAULT_CHUNK) -> Iterator[PairChunk]:
    """Pairs from JSON Lines with string fields ``src`` and ``tgt`` (other fields ignored).

    Blank lines are skipped. Sentences may hold tabs and newlines.
    """
    loads = json.loads
    for first_line, lines in iter_lines(path):
        src: list[str] = []
        tgt: list[str] = []
        numbers: list[int] = []
        for offset, raw in enumerate(lines):
            if not raw.strip():
                continue
            line = first_line + offset
            try:
                record = loads(raw)
            except ValueError as error:
                raise _jsonl_error(path, line, f"not valid JSON ({error})") from None
            if not isinstance(record, dict):
                raise _jsonl_error(path, line, f"a JSON {type(record).__name__}, not an object")
            s, t = record.get("src"), record.get("tgt")
            if not isinstance(s, str) or not isinstance(t, str):
                missing = [k for k, v in (("src", s), ("tgt", t)) if not isinstance(v, str)]
                raise _jsonl_error(path, line, f"field(s) {', '.join(missing)} missing or not text")
            if "\\ud" in raw.lower():
                try:
                    s.encode("utf-8"), t.encode("utf-8")
                except UnicodeEncodeError:
                    raise _jsonl_error(
                        path, line, "a \\ud… escape encodes half a character (lone surrogate)"
                    ) from None
            src.append(s)
            tgt.append(t)
            numbers.append(line)
        for start in range(0, len(src), chunk_size):
            yield PairChunk(
                src[start : start + chunk_size],
                tgt[start : start + chunk_size],
                np.asarray(numbers[start : start + chunk_size], dtype=np.int64),
            )


def read_pairs(
    paths: Sequence[Path],
    fmt: ParallelFormat,
    *,
    src_lang: str | None = None,
    tgt_lang: str | None = None,
    columns: tuple[int, int] = (1, 2),
    header: bool = False,
    chunk_size: int = DEFAULT_CHUNK,
) -> Iterator[PairChunk]:
    """Chunks of pairs from ``paths`` (two paths for Moses, one otherwise)."""
    from crowdset.formats.parallel_tmx import read_tmx

    expected = 2 if fmt is ParallelFormat.MOSES else 1
    if len(paths) != expected:
        raise ImportFailed(
            f"format {fmt.value} reads {expected} file(s), got {len(paths)}: "
            + ("give the source file and the target file" if expected == 2 else "give one file"),
            file=", ".join(map(str, paths)),
            line=None,
        )
    if fmt is ParallelFormat.TSV:
        return read_tsv(paths[0], columns=columns, header=header, chunk_size=chunk_size)
    if fmt is ParallelFormat.MOSES:
        return read_moses(paths[0], paths[1], chunk_size=chunk_size)
    if fmt is ParallelFormat.JSONL:
        return read_jsonl(paths[0], chunk_size=chunk_size)
    return read_tmx(paths[0], src_lang=src_lang, tgt_lang=tgt_lang, chunk_size=chunk_size)
