"""The items a labeling campaign judges, validated row by row (pure: rows in, items out).

Each row has an ``id`` (optional: the row number), exactly one of ``text`` or ``image`` (a URL,
or a ``data:`` URL the file reader made from a local image) and optionally ``gold``: the known
answer that makes the item a gold (challenge) item. A review's rows are sentence pairs:
``source`` and ``target`` instead of ``text``, and may come from an imported corpus with
challenge pairs beside it (``with_challenges``). Every error names the row and the column.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from crowdset.core.labeling.spec import Answer, LabelingSpec
from crowdset.errors import ImportFailed

MAX_ITEMS = 1_000_000
MAX_ID_CHARS = 200  # the database column's width
MAX_TEXT_CHARS = 20_000  # an item's text, a pair's source or target
MAX_IMAGE_CHARS = 4_000_000  # an image URL, or a data: URL made from a local file
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
    rows: Iterable[Mapping[str, object]],
    spec: LabelingSpec,
    *,
    source: str = "items",
    complete: bool = True,
    lines: Sequence[int] | None = None,
) -> list[ItemRow]:
    """Validate every row; the first bad one fails the whole import (nothing half-imported).

    ``complete=False`` checks the rows only, not the set (a review's challenge pairs, all gold,
    join a corpus's pairs in ``with_challenges``). ``lines`` are the rows' line numbers in their
    file, for the errors (by default, row N is line N)."""
    items: list[ItemRow] = []
    seen: set[str] = set()
    for number, row in enumerate(rows, start=1):
        line = number if lines is None else int(lines[number - 1])

        def fail(message: str, column: str | None = None, n: int = line) -> ImportFailed:
            where = f"row {n}" + (f", column {column!r}" if column else "")
            return ImportFailed(f"{source}: {where}: {message}", line=n, column=column)

        unknown = sorted(set(row) - set(ITEM_COLUMNS))
        if unknown:
            raise fail(
                f"unknown column(s) {', '.join(unknown)}; items have {', '.join(ITEM_COLUMNS)}"
            )
        for column, cap in (
            ("id", MAX_ID_CHARS),
            ("text", MAX_TEXT_CHARS),
            ("source", MAX_TEXT_CHARS),
            ("target", MAX_TEXT_CHARS),
            ("image", MAX_IMAGE_CHARS),
        ):
            cell = row.get(column)
            if isinstance(cell, str) and "\x00" in cell:
                raise fail("the text holds a NUL character (\\u0000): remove it", column)
            if isinstance(cell, str) and len(cell) > cap:
                raise fail(
                    f"{len(cell):,} characters is over the limit of {cap:,}: shorten it", column
                )
        external = row.get("id")
        external_id = str(line) if _blank(external) else str(external).strip()
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
    if complete:
        check_item_set(items, spec, source=source)
    return items


def check_item_set(items: Sequence[ItemRow], spec: LabelingSpec, *, source: str) -> None:
    """What holds of a campaign's items as a whole: some to label, and gold when the spec
    asks for it."""
    if not items:
        raise ImportFailed(f"{source}: no items", line=None)
    if len(items) > MAX_ITEMS:
        raise ImportFailed(f"{source}: a campaign takes at most {MAX_ITEMS:,} items", line=None)
    if not any(item.gold is None for item in items):
        raise ImportFailed(f"{source}: every item is gold; add items to label", line=None)
    if spec.gold.share > 0 and not any(item.gold is not None for item in items):
        what = (
            "challenge pairs, rows with their known stars in a gold column (a challenges "
            "file beside the pairs)"
            if spec.type == "review"
            else "a gold column (known answers)"
        )
        raise ImportFailed(
            f"{source}: gold.share is {spec.gold.share} but no item has a gold answer; add "
            f"{what} or set gold.share: 0",
            line=None,
            column="gold",
        )


def with_challenges(
    pairs: Sequence[ItemRow],
    challenges: Sequence[ItemRow],
    spec: LabelingSpec,
    *,
    source: str,
) -> list[ItemRow]:
    """A review's items: sentence pairs (an imported corpus's, or a parallel file's) and the
    challenge pairs given beside them. Ids are unique across both."""
    if spec.type != "review":
        raise ImportFailed(
            f"{source}: a corpus's sentence pairs are reviewed by a review campaign (type: "
            f"review); a {spec.type} campaign takes an items table with text or image",
            line=None,
        )
    ids = {pair.external_id for pair in pairs}
    for number, challenge in enumerate(challenges, start=1):
        if challenge.external_id in ids:
            raise ImportFailed(
                f"{source}: challenge row {number}: id {challenge.external_id!r} is also a "
                "pair's id (a corpus pair's id is its input line); give the challenge pairs "
                "ids of their own, such as chk-1",
                line=number,
                column="id",
            )
        ids.add(challenge.external_id)
    items = [*pairs, *challenges]
    check_item_set(items, spec, source=source)
    return items
