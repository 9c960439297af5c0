"""Paging every list route one way (issue #18): ``limit`` and an opaque ``cursor`` in, the next
page out as headers.

A list route answers a plain JSON list, as it always did, so clients that read a list keep
working. Where more rows follow, the response says how to get them:

- ``Link: </api/v1/campaigns?limit=50&cursor=WzEyXQ>; rel="next"`` (RFC 8288): the same
  request, filters and all, with the cursor of the next page;
- ``X-Next-Cursor: WzEyXQ``: that cursor alone.

The last page has neither header. A cursor is the URL-safe base64 of the last row's sort key
(an id, a ledger ``seq``, a requester's item id), read back as that key: the next page is the
rows *after* it in the list's order (keyset paging: it stays right while rows are added). It
is opaque to clients; one that does not decode is refused with a 422 ``invalid_input``
naming ``cursor``. A cursor grants nothing: every page is read with the caller's own rights.

Routes ask the service for :attr:`Page.fetch` rows (``limit + 1``) after :attr:`Page.after`;
the extra row, when it comes, only tells that another page follows.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Annotated, TypeVar

from fastapi import Depends, Query, Request, Response

from crowdset.api.params import DB_BIGINT_MAX
from crowdset.errors import InvalidInput

T = TypeVar("T")
Key = int | str

DEFAULT_LIMIT = 50
MAX_LIMIT = 500
NEXT_PAGE_HEADERS = {
    "Link": {
        "description": 'The next page, `<URL>; rel="next"` (RFC 8288); absent on the last page.',
        "schema": {"type": "string"},
    },
    "X-Next-Cursor": {
        "description": "The `cursor` of the next page; absent on the last page.",
        "schema": {"type": "string"},
    },
}
PAGED_RESPONSES: dict[int | str, dict[str, object]] = {200: {"headers": NEXT_PAGE_HEADERS}}
"""``responses=`` for a paged route: the OpenAPI document names the two headers."""


def encode_cursor(key: Key) -> str:
    return base64.urlsafe_b64encode(json.dumps([key]).encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> Key:
    """The key a cursor carries; :class:`InvalidInput` for anything :func:`encode_cursor`
    cannot have written."""
    bad = InvalidInput(
        f"cursor {cursor!r} is not one this API gave out: send the `X-Next-Cursor` of the "
        "previous page unchanged, or leave `cursor` out for the first page",
        field="cursor",
    )
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        decoded = json.loads(raw.decode())
    except (binascii.Error, ValueError):  # UnicodeDecodeError and JSONDecodeError too
        raise bad from None
    if not (isinstance(decoded, list) and len(decoded) == 1):
        raise bad
    key = decoded[0]
    if isinstance(key, bool) or not isinstance(key, int | str):
        raise bad
    if isinstance(key, int) and not 0 <= key <= DB_BIGINT_MAX:
        raise bad  # no row has it, and the database driver could not even send it
    return key


@dataclass(frozen=True)
class Page:
    """One page's request (``limit``, ``cursor``) and the response whose headers name the next."""

    limit: int
    cursor: str | None
    request: Request
    response: Response

    @property
    def fetch(self) -> int:
        """How many rows to ask the service for: one more than fit, to learn if more follow."""
        return self.limit + 1

    @property
    def after(self) -> int | None:
        """The sort key (an id) this page starts after; ``None`` on the first page."""
        if self.cursor is None:
            return None
        key = decode_cursor(self.cursor)
        if not isinstance(key, int):
            raise InvalidInput(
                f"cursor {self.cursor!r} does not belong to this list: send the "
                "`X-Next-Cursor` this route gave, or leave `cursor` out for the first page",
                field="cursor",
            )
        return key

    def rows(self, found: Sequence[T], key: Callable[[T], Key]) -> list[T]:
        """The rows to answer (at most ``limit`` of ``found``); sets ``Link`` and
        ``X-Next-Cursor`` when ``found`` has a row past them."""
        shown = list(found[: self.limit])
        if len(found) > self.limit:
            cursor = encode_cursor(key(shown[-1]))
            url = self.request.url.include_query_params(cursor=cursor)
            self.response.headers["Link"] = f'<{url.path}?{url.query}>; rel="next"'
            self.response.headers["X-Next-Cursor"] = cursor
        return shown

    def of(self, everything: Sequence[T], key: Callable[[T], Key]) -> list[T]:
        """This page of a list already whole in memory (a report computed at once: ranks and
        scores need every row), keyed by ``key``, which is unique in the list."""
        start = 0
        if self.cursor is not None:
            after = decode_cursor(self.cursor)
            start = next((i + 1 for i, row in enumerate(everything) if key(row) == after), -1)
            if start < 0:
                raise InvalidInput(
                    f"cursor {self.cursor!r} points at no row of this list: send the "
                    "`X-Next-Cursor` this route gave, or leave `cursor` out for the first page",
                    field="cursor",
                )
        return self.rows(everything[start : start + self.fetch], key)


def page(
    request: Request,
    response: Response,
    limit: Annotated[
        int, Query(ge=1, le=MAX_LIMIT, description="Rows per page (default 50, at most 500).")
    ] = DEFAULT_LIMIT,
    cursor: Annotated[
        str | None,
        Query(
            max_length=200,
            description="Where the page starts: the `X-Next-Cursor` of the previous page "
            "(also in its `Link` header); leave it out for the first page.",
        ),
    ] = None,
) -> Page:
    return Page(limit=limit, cursor=cursor, request=request, response=response)


PageDep = Annotated[Page, Depends(page)]
