"""The filter pipeline of SPEC §4: rules applied in order, first failing rule wins.

:meth:`Pipeline.evaluate` is the pure, per-chunk half and can run in any worker process: by
default each rule scores only the pairs that passed the rules before it (the expensive language
identification comes last and sees the fewest pairs; rules that cost the same whatever the
number of pairs, :attr:`Rule.whole_chunk`, score the whole chunk and only the survivors' rows
are read); with ``all_reasons`` every rule scores
every pair so that the report counts each rule's failures independently. Stateful rules
(duplicates) are only keyed here; :class:`~crowdset.core.filtering.decide.Decider` rules on them
in input order.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from crowdset.core.filtering.chunk import PairChunk
from crowdset.core.filtering.rule import Rule, Scores

KEPT = -1
"""Rule index of a pair no rule rejected."""


@dataclass
class ChunkVerdict:
    """What the stateless rules said about one chunk, before duplicates are decided."""

    lines: NDArray[np.int64]
    failed: NDArray[np.int16]
    """Index (in ``Pipeline.rules``) of the first stateless rule each pair failed, or ``KEPT``."""
    reasons: dict[int, list[tuple[int, str]]]
    """Pair index → ``(rule index, reason)`` of its failures, in rule order."""
    keys: dict[int, NDArray[np.int64]]
    """Stateful rule index → one key per pair."""
    failures: NDArray[np.bool_] | None = None
    """With ``all_reasons``: ``failures[r, i]`` is true when stateless rule ``r`` rejects pair i."""
    scores: dict[int, dict[str, dict[str, Any]]] = field(default_factory=dict)
    """With ``with_scores``: pair index → rule name → score field → value, for survivors."""

    def __len__(self) -> int:
        return len(self.lines)


def _json_value(value: Any) -> Any:
    if isinstance(value, np.floating):
        return round(float(value), 4)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, float):
        return round(value, 4)
    return value


class Pipeline:
    """An ordered list of rules and how to run them."""

    def __init__(
        self, rules: Sequence[Rule], *, all_reasons: bool = False, with_scores: bool = False
    ) -> None:
        self.rules: tuple[Rule, ...] = tuple(
            rule.with_exact_scores() if with_scores else rule for rule in rules
        )
        self.all_reasons = all_reasons
        self.with_scores = with_scores

    @property
    def names(self) -> list[str]:
        return [rule.name for rule in self.rules]

    def evaluate(self, chunk: PairChunk) -> ChunkVerdict:
        """Score ``chunk`` with every stateless rule and key it for every stateful one."""
        n = len(chunk)
        verdict = ChunkVerdict(
            lines=chunk.lines,
            failed=np.full(n, KEPT, dtype=np.int16),
            reasons={},
            keys={},
        )
        if self.all_reasons:
            verdict.failures = np.zeros((len(self.rules), n), dtype=np.bool_)
        alive = np.arange(n, dtype=np.int64)
        subset = chunk  # the pairs of ``alive``, built only for rules that score per pair
        kept_scores: list[tuple[Rule, NDArray[np.int64], Scores]] = []
        for index, rule in enumerate(self.rules):
            if rule.stateful:
                verdict.keys[index] = rule.score(chunk)["key"]
                continue
            if self.all_reasons:
                scored = np.arange(n, dtype=np.int64)
                scores = rule.score(chunk)
            else:
                if len(alive) == 0:
                    break
                scored = alive
                if rule.whole_chunk or len(alive) == n:
                    # rules are pure per pair: scoring the rejected pairs too changes nothing
                    scores = rule.score(chunk)
                    if len(alive) < n:
                        scores = {key: values[alive] for key, values in scores.items()}
                else:
                    if len(subset) != len(alive):
                        subset = chunk.take(alive)
                    scores = rule.score(subset)
            accepted = rule.accept(scores)
            for j in np.flatnonzero(~accepted).tolist():
                pair = int(scored[j])
                verdict.reasons.setdefault(pair, []).append((index, rule.reason(scores, j)))
            rejected = scored[~accepted]
            first = rejected[verdict.failed[rejected] == KEPT]
            verdict.failed[first] = index
            if verdict.failures is not None:
                verdict.failures[index, rejected] = True
            if not self.all_reasons:
                alive = scored[accepted]
            if self.with_scores:
                kept_scores.append((rule, scored, scores))
        if self.with_scores:
            self._collect_scores(verdict, kept_scores)
        return verdict

    @staticmethod
    def _collect_scores(
        verdict: ChunkVerdict, kept_scores: list[tuple[Rule, NDArray[np.int64], Scores]]
    ) -> None:
        survivors = np.flatnonzero(verdict.failed == KEPT)
        for rule, scored, scores in kept_scores:
            # scored is sorted and holds every survivor, so searchsorted finds each one's row
            rows = np.searchsorted(scored, survivors)
            fields = {
                key: values for key, values in scores.items() if values.dtype != np.object_
            } | {
                key: values
                for key, values in scores.items()
                if values.dtype == np.object_ and all(isinstance(v, str) for v in values[:1])
            }
            for pair, row in zip(survivors.tolist(), rows.tolist(), strict=True):
                verdict.scores.setdefault(pair, {})[rule.name] = {
                    key: _json_value(values[row]) for key, values in fields.items()
                }
