"""The API's parameter types (defined in :mod:`crowdset.core.ids`, shared with the web pages)."""

from crowdset.core.ids import DB_BIGINT_MAX, DB_INT_MAX, Id, Index, Seq

__all__ = ["DB_BIGINT_MAX", "DB_INT_MAX", "Id", "Index", "Seq"]
