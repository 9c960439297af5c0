"""Deciding stateful rules (duplicates) in input order, and each pair's final verdict."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from crowdset.core.filtering.pipeline import KEPT, ChunkVerdict, Pipeline
from crowdset.core.filtering.rules.duplicates import SeenKeys


@dataclass
class Decisions:
    """Final verdicts for one chunk."""

    lines: NDArray[np.int64]
    rule: NDArray[np.int16]
    """Index of the rule that removed each pair (the first it failed), or ``KEPT``."""
    reasons: dict[int, list[tuple[int, str]]]
    """Pair index → ``(rule index, reason)`` for every failure found, in rule order."""
    failures: NDArray[np.bool_] | None
    """With ``all_reasons``: every rule's failures, duplicates included."""

    @property
    def kept(self) -> NDArray[np.bool_]:
        kept: NDArray[np.bool_] = self.rule == KEPT
        return kept


class Decider:
    """Holds the keys seen so far; must see the chunks in input order, in one process."""

    def __init__(self, pipeline: Pipeline) -> None:
        self.pipeline = pipeline
        self._seen = {
            index: SeenKeys() for index, rule in enumerate(pipeline.rules) if rule.stateful
        }

    def decide(self, verdict: ChunkVerdict) -> Decisions:
        rules = self.pipeline.rules
        final = verdict.failed.copy()
        failures = None if verdict.failures is None else verdict.failures.copy()
        reasons = verdict.reasons
        for index, seen in self._seen.items():
            rule = rules[index]
            # a pair removed by an earlier rule never reached this one: it is not a copy to
            # keep, but with all_reasons it is still counted when it repeats one
            reached = (final == KEPT) | (final > index)
            checked = np.arange(len(verdict)) if failures is not None else np.flatnonzero(reached)
            earlier = seen.check_all(
                verdict.keys[index][checked], verdict.lines[checked], reached[checked]
            )
            duplicate_of = np.zeros(len(verdict), dtype=np.int64)
            duplicate_of[checked] = earlier
            for i in checked[earlier > 0].tolist():
                if reached[i]:
                    final[i] = index
                if failures is not None:
                    failures[index, i] = True
                entries = reasons.setdefault(i, [])
                entries.append((index, rule.reason({"duplicate_of": duplicate_of}, i)))
                entries.sort()
        return Decisions(verdict.lines, final, reasons, failures)
