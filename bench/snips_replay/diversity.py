"""How varied a set of queries is, to set the accepted set beside the same number of original
Snips queries (issue #15):

- **distinct bigrams per query**: the distinct word bigrams of the set (lower-cased,
  whitespace-split, within a query) over its number of queries; also on the templates (values
  delexicalised to ``<slot>``), where the values' own bigrams do not count;
- **repeated templates**: the share of queries whose template (core ``template_of``: the
  normalised text with each value replaced by ``<slot>``) recurs in the set within its intent.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Sequence

import numpy as np

from crowdset.core.generation.copies import template_of
from crowdset.core.generation.model import AnnotatedQuery


def _bigrams(words: list[str]) -> set[tuple[str, str]]:
    return set(itertools.pairwise(words))


def distinct_bigrams_per_query(queries: Sequence[AnnotatedQuery], *, templates: bool) -> float:
    found: set[tuple[str, str]] = set()
    for query in queries:
        text = template_of(query.text, query.spans) if templates else query.text.lower()
        found |= _bigrams(text.split())
    return len(found) / len(queries) if queries else 0.0


def repeated_template_share(queries: Sequence[AnnotatedQuery]) -> float:
    keys = [(q.intent, template_of(q.text, q.spans)) for q in queries]
    counts = Counter(keys)
    return sum(counts[key] > 1 for key in keys) / len(keys) if keys else 0.0


def measure(queries: Sequence[AnnotatedQuery]) -> dict[str, float]:
    return {
        "queries": len(queries),
        "distinct_bigrams_per_query": distinct_bigrams_per_query(queries, templates=False),
        "distinct_template_bigrams_per_query": distinct_bigrams_per_query(queries, templates=True),
        "repeated_template_share": repeated_template_share(queries),
    }


def same_size(
    original: Sequence[AnnotatedQuery], like: Sequence[AnnotatedQuery], rng: np.random.Generator
) -> list[AnnotatedQuery]:
    """A random subset of ``original`` with as many queries per intent as ``like`` has."""
    wanted = Counter(q.intent for q in like)
    subset: list[AnnotatedQuery] = []
    for intent, count in sorted(wanted.items()):
        mine = [q for q in original if q.intent == intent]
        picked = rng.choice(len(mine), size=min(count, len(mine)), replace=False)
        subset += [mine[int(i)] for i in sorted(picked)]
    return subset
