"""A labeling campaign's items file in, its results out: CSV, TSV, JSONL or Parquet (by
extension).

Image items may name a local file (relative to the items file); it is embedded as a ``data:``
URL so the campaign does not depend on the requester's disk. Validation is the core's
(``core.labeling.items.parse_items``); this module only reads and writes.

Results have one row per item: ``item, text, image, status, answer, confidence, judgments`` and,
where some item has them, ``target, score, mean, rank, keep`` (ratings and reviews). A
multi-label answer is a list in JSONL and Parquet and its labels joined by ``|`` in CSV and TSV
(the same form the items' ``gold`` column takes).
"""

from __future__ import annotations

import base64
import io
import mimetypes
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from crowdset.core.labeling.items import ItemRow, parse_items
from crowdset.core.labeling.spec import LabelingSpec
from crowdset.errors import ImportFailed
from crowdset.formats.answers import Format, file_format, read_table, write_table
from crowdset.formats.cells import neutralise_frame

MAX_IMAGE_BYTES = 2 * 1024 * 1024


def _embedded(image: str, base: Path, row: int) -> str:
    if image.startswith(("http://", "https://", "data:")):
        return image
    path = (base / image).resolve()
    kind, _ = mimetypes.guess_type(path.name)
    if not path.is_file() or not (kind or "").startswith("image/"):
        raise ImportFailed(
            f"row {row}, column 'image': {image!r} is neither an http(s) URL nor an image file",
            line=row,
            column="image",
        )
    data = path.read_bytes()
    if len(data) > MAX_IMAGE_BYTES:
        raise ImportFailed(
            f"row {row}, column 'image': {image!r} is {len(data):,} bytes; the limit is "
            f"{MAX_IMAGE_BYTES:,}",
            line=row,
            column="image",
        )
    return f"data:{kind};base64,{base64.b64encode(data).decode()}"


def read_items(path: Path, spec: LabelingSpec, *, complete: bool = True) -> list[ItemRow]:
    frame = read_table(path)
    rows: list[dict[str, Any]] = [
        {str(k): v for k, v in row.items()} for row in frame.to_dict(orient="records")
    ]
    for number, row in enumerate(rows, start=1):
        image = row.get("image")
        if isinstance(image, str) and image.strip():
            row["image"] = _embedded(image.strip(), path.parent, number)
    return parse_items(rows, spec, source=str(path), complete=complete)


RESULT_COLUMNS = ("item", "text", "image", "status", "answer", "confidence", "judgments")
OPTIONAL_COLUMNS = ("target", "score", "mean", "rank", "keep")


def results_frame(rows: Iterable[Mapping[str, object]], fmt: Format) -> pd.DataFrame:
    """One row per item; an optional column only when some item has a value in it."""
    records = [dict(row) for row in rows]
    columns = list(RESULT_COLUMNS) + [
        name for name in OPTIONAL_COLUMNS if any(row.get(name) is not None for row in records)
    ]
    if fmt in ("csv", "tsv"):
        for row in records:
            answer = row.get("answer")
            if isinstance(answer, list | tuple):
                row["answer"] = "|".join(str(a) for a in answer)
    return pd.DataFrame.from_records(records, columns=columns)


def write_results(rows: Iterable[Mapping[str, object]], path: Path) -> int:
    """Write the results in the format of ``path``'s extension; returns the rows written."""
    frame = results_frame(rows, file_format(path))
    write_table(frame, path)
    return len(frame)


def results_text(rows: Iterable[Mapping[str, object]], fmt: Literal["csv", "jsonl"]) -> str:
    """The results as CSV or JSONL text (for a download)."""
    frame = results_frame(rows, fmt)
    buffer = io.StringIO()
    if fmt == "csv":
        neutralise_frame(frame).to_csv(buffer, index=False)
    else:
        frame.to_json(buffer, orient="records", lines=True, force_ascii=False)
    return buffer.getvalue()
