"""The items a labeling campaign judges, validated row by row (pure: rows in, items out).

Each row has an ``id`` (optional: the row number), exactly one of ``text`` or ``image`` (a URL,
or a ``data:`` URL the file reader made from a local image) and optionally ``gold``: the known
answer that makes the item a gold (challenge) item. A review's rows are sentence pairs:
``source`` and ``target`` instead of ``text``. Every error names the row and the column.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from crowdset.core.labeling.spec import Answer, LabelingSpec
from crowdset.errors import ImportFailed

MAX_ITEMS = 1_000_000
ITEM_COLUMNS = ("id", "text", "image", "source", "target", "gold")


@dataclass(frozen=True)
class ItemRow:
    external_id: str
    text: str | None  # a review's pair: the source sentence
    image: str | None
    gold: Answer | None
    target: str | None = None  # a review's pair: the translation


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or value == ""


def parse_items(
    rows: Iterable[Mapping[str, object]], spec: LabelingSpec, *, source: str = "items"
) -> list[ItemRow]:
    """Validate every row; the first bad one fails the whole import (nothing half-imported)."""
    items: list[ItemRow] = []
    seen: set[str] = set()
    for number, row in enumerate(rows, start=1):

        def fail(message: str, column: str | None = None, n: int = number) -> ImportFailed:
            where = f"row {n}" + (f", column {column!r}" if column else "")
            return ImportFailed(f"{source}: {where}: {message}", line=n, column=column)

        unknown = sorted(set(row) - set(ITEM_COLUMNS))
        if unknown:
            raise fail(
                f"unknown column(s) {', '.join(unknown)}; items have {', '.join(ITEM_COLUMNS)}"
            )
        external = row.get("id")
        external_id = str(number) if _blank(external) else str(external).strip()
        if external_id in seen:
            raise fail(f"id {external_id!r} is used twice", "id")
        seen.add(external_id)
        text = None if _blank(row.get("text")) else str(row["text"])
        image = None if _blank(row.get("image")) else str(row["image"]).strip()
        target = None
        if spec.type == "review":
            for column in ("source", "target"):
                if _blank(row.get(column)):
                    raise fail("a review's item is a sentence pair: source and target", column)
            if text is not None or image is not None:
                raise fail("a review's item is a sentence pair: use source and target, not text")
            text, target = str(row["source"]), str(row["target"])
        elif not _blank(row.get("source")) or not _blank(row.get("target")):
            raise fail(f"source and target are for review campaigns; a {spec.type} item has text")
        if (text is None) == (image is None):
            raise fail("an item has exactly one of text or image")
        if image is not None and not image.startswith(("http://", "https://", "data:image/")):
            raise fail(
                f"image must be an http(s) URL or an image file, got {image[:80]!r}", "image"
            )
        gold: Answer | None = None
        if not _blank(row.get("gold")):
            try:
                gold = spec.answer(row["gold"])
            except ValueError as error:
                raise fail(str(error), "gold") from None
        items.append(ItemRow(external_id, text, image, gold, target))
        if len(items) > MAX_ITEMS:
            raise fail(f"a campaign takes at most {MAX_ITEMS:,} items")
    if not items:
        raise ImportFailed(f"{source}: no items", line=None)
    if not any(item.gold is None for item in items):
        raise ImportFailed(f"{source}: every item is gold; add items to label", line=None)
    if spec.gold.share > 0 and not any(item.gold is not None for item in items):
        raise ImportFailed(
            f"{source}: gold.share is {spec.gold.share} but no item has a gold answer; add a "
            "gold column (known answers) or set gold.share: 0",
            line=None,
            column="gold",
        )
    return items
