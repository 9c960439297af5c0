"""A review's files (SPEC §4): its sentence pairs in, its kept and removed pairs out.

In: a corpus sent as JSON, ``[{"source": …, "target": …}, …]`` (``pairs_from_json``). A
review's items: a table with ``source`` and ``target`` columns (CSV, TSV with a header, JSONL,
Parquet; ``id`` and ``gold`` optional, as for any labeling campaign), or a parallel corpus file
(TSV without a header, JSONL with ``src`` and ``tgt``, TMX), whose pairs' ids are their input
lines, as in an imported corpus. Validation is the core's (``parse_items``).

Out: kept pairs as a parallel corpus (TSV, Moses, TMX) or as JSONL with their score, plain mean,
rank and ratings; removed pairs as JSONL with the same fields and the reason::

    {"id": "17", "src": "…", "tgt": "…", "score": 2.3312, "mean": 2.3333, "rank": 31,
     "ratings": 3, "reason": "rank 31 of 40, score 2.33 below the cut score 3.10 (keep top 20)"}
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import IO, Any

import numpy as np

from crowdset.core.filtering import PairChunk
from crowdset.core.labeling.items import ItemRow, parse_items
from crowdset.core.labeling.spec import LabelingSpec
from crowdset.errors import ImportFailed
from crowdset.formats.items import read_items
from crowdset.formats.parallel import DEFAULT_CHUNK, ParallelFormat, read_pairs
from crowdset.formats.parallel_writers import (
    MosesPairWriter,
    OutputFormat,
    PairWriter,
    TmxPairWriter,
    TsvPairWriter,
)

PEEK_BYTES = 65_536


def _first_line(path: Path) -> str:
    """The first line with text, for telling a table from a parallel file (never an error:
    the reader reports what is wrong with the file)."""
    try:
        with path.open("rb") as handle:
            head = handle.read(PEEK_BYTES)
    except OSError:
        return ""
    text = head.decode("utf-8", errors="replace").lstrip("\ufeff")
    return next((line for line in text.splitlines() if line.strip()), "")


def parallel_format(path: Path) -> ParallelFormat | None:
    """The parallel format of a review's items file, or ``None`` for an items table: TMX by its
    suffix; JSONL whose first record has ``src`` or ``tgt``; TSV whose first line is not a
    header naming ``source`` and ``target``."""
    suffix = path.suffix.lower()
    if suffix == ".tmx":
        return ParallelFormat.TMX
    first = _first_line(path)
    if suffix == ".jsonl":
        try:
            record = json.loads(first)
        except ValueError:
            return None  # the table reader names the bad line
        if isinstance(record, dict) and ("src" in record or "tgt" in record):
            return ParallelFormat.JSONL
        return None
    if suffix == ".tsv":
        cells = {cell.strip() for cell in first.split("\t")}
        return None if {"source", "target"} <= cells else ParallelFormat.TSV
    return None


def read_review_items(path: Path, spec: LabelingSpec, *, complete: bool = True) -> list[ItemRow]:
    """A review's items from a table or a parallel corpus file; ``complete=False`` for
    challenge pairs that join other pairs (``core.labeling.items.with_challenges``)."""
    fmt = parallel_format(path)
    if fmt is None:
        return read_items(path, spec, complete=complete)
    rows: list[dict[str, object]] = []
    lines: list[int] = []
    for chunk in read_pairs([path], fmt):
        for source, target, line in zip(chunk.src, chunk.tgt, chunk.lines, strict=True):
            rows.append({"id": str(int(line)), "source": source, "target": target})
            lines.append(int(line))
    return parse_items(rows, spec, source=str(path), complete=complete, lines=lines)


PAIR_EXAMPLE = '{"source": "Good morning.", "target": "Guten Morgen."}'


def pairs_from_json(
    pairs: object, *, source: str = "pairs", chunk_size: int = DEFAULT_CHUNK
) -> list[PairChunk]:
    """The pairs of a JSON document, checked whole before any is stored: ``pairs[N-1]`` is
    line N, and a bad one is named by its index and line."""
    if not isinstance(pairs, list) or not pairs:
        raise ImportFailed(
            f"{source}: expected a non-empty list of pairs like {PAIR_EXAMPLE}",
            line=None,
            field=source,
        )
    src: list[str] = []
    tgt: list[str] = []
    for index, pair in enumerate(pairs):
        where, line = f"{source}[{index}]", index + 1
        if not isinstance(pair, dict):
            raise ImportFailed(
                f"{where}: a JSON {type(pair).__name__}, not an object like {PAIR_EXAMPLE}",
                line=line,
            )
        unknown = sorted(str(key) for key in set(pair) - {"source", "target"})
        if unknown:
            raise ImportFailed(
                f"{where}: unknown field(s) {', '.join(unknown)}; a pair has source and target",
                line=line,
            )
        for key in ("source", "target"):
            if not isinstance(pair.get(key), str):
                raise ImportFailed(
                    f"{where}: {key} missing or not text; a pair is like {PAIR_EXAMPLE}",
                    line=line,
                    column=key,
                )
        src.append(pair["source"])
        tgt.append(pair["target"])
    return [
        PairChunk(
            src[start : start + chunk_size],
            tgt[start : start + chunk_size],
            np.arange(start + 1, start + 1 + len(src[start : start + chunk_size]), dtype=np.int64),
        )
        for start in range(0, len(src), chunk_size)
    ]


def reviewed_record(pair: Mapping[str, Any]) -> dict[str, Any]:
    """One reviewed pair as JSON: ``id, src, tgt, score, mean, rank, ratings`` and, for a
    removed pair, ``reason`` (the pair's fields as ``services.review_reports.ReviewedPair``)."""

    def rounded(value: object) -> float | None:
        return None if value is None else round(float(str(value)), 4)

    record: dict[str, Any] = {
        "id": pair["item"],
        "src": pair["source"],
        "tgt": pair["target"],
        "score": rounded(pair["score"]),
        "mean": rounded(pair["mean"]),
        "rank": pair["rank"],
        "ratings": pair["ratings"],
    }
    if not pair["keep"]:
        record["reason"] = pair["reason"]
    return record


def write_reviewed_jsonl(pairs: Iterable[Mapping[str, Any]], handle: IO[str]) -> int:
    count = 0
    for pair in pairs:
        handle.write(json.dumps(reviewed_record(pair), ensure_ascii=False) + "\n")
        count += 1
    return count


def write_reviewed(
    pairs: Sequence[Mapping[str, Any]],
    fmt: OutputFormat,
    handles: Sequence[IO[str]],
    *,
    src_lang: str | None = None,
    tgt_lang: str | None = None,
) -> int:
    """Write pairs in ``fmt``: JSONL with scores, or a parallel corpus (Moses takes two
    handles, source then target). Returns the pairs written."""
    if fmt is OutputFormat.JSONL:
        return write_reviewed_jsonl(pairs, handles[0])
    writer: PairWriter
    if fmt is OutputFormat.MOSES:
        writer = MosesPairWriter(handles[0], handles[1])
    elif fmt is OutputFormat.TMX:
        writer = TmxPairWriter(handles[0], src_lang or "src", tgt_lang or "tgt")
    else:
        writer = TsvPairWriter(handles[0], neutralise=True)  # an export people may open
    if pairs:
        writer.write(
            [str(p["source"]) for p in pairs],
            [str(p["target"]) for p in pairs],
            list(range(1, len(pairs) + 1)),
            [None] * len(pairs),
        )
    writer.close()
    return len(pairs)
