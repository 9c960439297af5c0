"""Public truth-inference API: ``from crowdset.aggregation import DawidSkene``.

A thin re-export of :mod:`crowdset.core.aggregation` (its ``__all__`` is the one list of public
names); see docs/concepts/aggregation.md.
"""

from crowdset.core.aggregation import *  # noqa: F403
from crowdset.core.aggregation import __all__ as __all__
