"""Shared parameter types: every id the API and the web pages read, in a path, a query or a
body, is an ``Id``.

Ids are bounded to the database's integer range (the ``INTEGER`` primary keys: 32 bits on
PostgreSQL), so an id no row can have is refused with a 422 naming the parameter instead of
reaching the database driver (an ``OverflowError`` on SQLite past 2⁶³). The bounds are in the
OpenAPI document, so clients and schemathesis see them.
"""

from __future__ import annotations

from typing import Annotated

from annotated_types import Ge, Le

DB_INT_MAX = 2**31 - 1
"""The largest id a row can have: PostgreSQL's ``INTEGER`` (SQLite's is larger)."""

Id = Annotated[int, Ge(1), Le(DB_INT_MAX)]
"""A row id: 1 … 2³¹ − 1."""

Index = Annotated[int, Ge(0), Le(DB_INT_MAX)]
"""A position in a list: 0 … 2³¹ − 1."""

DB_BIGINT_MAX = 2**63 - 1
"""The largest ``BIGINT``: ledger sequence numbers and amounts."""

Seq = Annotated[int, Ge(1), Le(DB_BIGINT_MAX)]
"""A ledger transaction's sequence number."""
