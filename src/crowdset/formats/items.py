"""Reading a labeling campaign's items file: CSV, TSV, JSONL or Parquet (by extension).

Image items may name a local file (relative to the items file); it is embedded as a ``data:``
URL so the campaign does not depend on the requester's disk. Validation is the core's
(``core.labeling.items.parse_items``); this module only reads.
"""

from __future__ import annotations

import base64
import mimetypes
from pathlib import Path
from typing import Any

from crowdset.core.labeling.items import ItemRow, parse_items
from crowdset.core.labeling.spec import LabelingSpec
from crowdset.errors import ImportFailed
from crowdset.formats.answers import read_table

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


def read_items(path: Path, spec: LabelingSpec) -> list[ItemRow]:
    frame = read_table(path)
    rows: list[dict[str, Any]] = [
        {str(k): v for k, v in row.items()} for row in frame.to_dict(orient="records")
    ]
    for number, row in enumerate(rows, start=1):
        image = row.get("image")
        if isinstance(image, str) and image.strip():
            row["image"] = _embedded(image.strip(), path.parent, number)
    return parse_items(rows, spec, source=str(path))
