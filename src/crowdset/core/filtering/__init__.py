"""Corpus filtering (SPEC §4): machine filters over sentence pairs, pure and vectorised.

Layers: :mod:`.chunk` (pairs as arrays) → :mod:`.rules` (one filter per module) →
:mod:`.pipeline` (rules in order, per chunk, any process) → :mod:`.decide` (duplicates, in input
order, one process) → :mod:`.report` (counts per rule). :mod:`.config` validates pipeline YAML.
"""

from crowdset.core.filtering.chunk import PairChunk
from crowdset.core.filtering.config import (
    RULES,
    default_rules,
    load_rules,
    parse_rules,
    requested_rules,
    with_languages,
)
from crowdset.core.filtering.decide import Decider, Decisions
from crowdset.core.filtering.pipeline import KEPT, ChunkVerdict, Pipeline
from crowdset.core.filtering.report import FilterReport, RuleCount
from crowdset.core.filtering.rule import Rule, Scores

__all__ = [
    "KEPT",
    "RULES",
    "ChunkVerdict",
    "Decider",
    "Decisions",
    "FilterReport",
    "PairChunk",
    "Pipeline",
    "Rule",
    "RuleCount",
    "Scores",
    "default_rules",
    "load_rules",
    "parse_rules",
    "requested_rules",
    "with_languages",
]
