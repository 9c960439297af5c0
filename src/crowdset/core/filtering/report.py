"""The per-rule report of a filtering run: how many pairs each rule removed, with examples."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from crowdset.core.filtering.decide import Decisions

EXAMPLES_PER_RULE = 3


@dataclass
class RuleCount:
    name: str
    removed: int = 0
    """Pairs this rule removed (it was the first rule they failed)."""
    failing: int | None = None
    """With ``all_reasons``: pairs this rule rejects, whatever other rules say."""
    examples: list[tuple[int, str]] = field(default_factory=list)
    """``(line, reason)`` of the first pairs it removed."""


@dataclass
class FilterReport:
    rules: list[RuleCount]
    total: int = 0
    kept: int = 0

    @classmethod
    def for_rules(cls, names: list[str], *, all_reasons: bool = False) -> FilterReport:
        return cls([RuleCount(name, failing=0 if all_reasons else None) for name in names])

    @property
    def removed(self) -> int:
        return self.total - self.kept

    def add(self, decisions: Decisions) -> None:
        self.total += len(decisions.rule)
        self.kept += int(decisions.kept.sum())
        counts = np.bincount(decisions.rule[decisions.rule >= 0], minlength=len(self.rules))
        for index, count in enumerate(counts.tolist()):
            self.rules[index].removed += count
        if decisions.failures is not None:
            for index, count in enumerate(decisions.failures.sum(axis=1).tolist()):
                self.rules[index].failing = (self.rules[index].failing or 0) + count
        for i in np.flatnonzero(decisions.rule >= 0).tolist():
            index = int(decisions.rule[i])
            examples = self.rules[index].examples
            if len(examples) < EXAMPLES_PER_RULE:
                reason = next(r for k, r in decisions.reasons[i] if k == index)
                examples.append((int(decisions.lines[i]), reason))

    def to_dict(self) -> dict[str, Any]:
        return {
            "total": self.total,
            "kept": self.kept,
            "removed": self.removed,
            "rules": [
                {
                    "name": rule.name,
                    "removed": rule.removed,
                    "failing": rule.failing,
                    "examples": [{"line": line, "reason": r} for line, r in rule.examples],
                }
                for rule in self.rules
            ],
        }
