"""The pipeline: first failing rule wins, every reason on request, duplicates across chunks."""

from __future__ import annotations

import numpy as np
from rapidfuzz.distance import Levenshtein

from crowdset.core.filtering import (
    KEPT,
    Decider,
    FilterReport,
    PairChunk,
    Pipeline,
    default_rules,
    with_languages,
)
from crowdset.core.filtering.rules.duplicates import Duplicate, NearDuplicate
from crowdset.core.filtering.rules.edit_distance import EditDistance
from crowdset.core.filtering.rules.length import LengthRatio, TokenCount

GOOD = ("The weather is very nice today.", "Das Wetter ist heute sehr schön.")
SHORT = ("Hi", "Hallo")
LONG_RATIO = ("A b c", "Ein sehr viel längerer Satz als der erste")


def run(pipeline: Pipeline, chunks: list[PairChunk]) -> FilterReport:
    decider = Decider(pipeline)
    report = FilterReport.for_rules(pipeline.names, all_reasons=pipeline.all_reasons)
    for chunk in chunks:
        report.add(decider.decide(pipeline.evaluate(chunk)))
    return report


def test_first_failing_rule_wins() -> None:
    pipeline = Pipeline([TokenCount(), LengthRatio()])
    # "Hi"/"Hallo" fails both rules; only token_count, the first, is blamed
    verdict = pipeline.evaluate(PairChunk.of([GOOD, SHORT, LONG_RATIO]))
    assert verdict.failed.tolist() == [KEPT, 0, 1]
    assert verdict.reasons[1] == [(0, "token_count src=1, tgt=1 not in (2, 80)")]


def test_all_reasons_counts_every_rule() -> None:
    pipeline = Pipeline([TokenCount(), LengthRatio()], all_reasons=True)
    report = run(pipeline, [PairChunk.of([GOOD, SHORT, ("Hi", "Hallo, wie geht es dir")])])
    # both short pairs also fail length_ratio: 2/5 = 0.4 is outside (0.4, 2.5) and 2/22 too
    assert [(r.name, r.removed, r.failing) for r in report.rules] == [
        ("token_count", 2, 2),
        ("length_ratio", 0, 2),
    ]
    assert report.total == 3 and report.kept == 1


def test_duplicates_are_found_across_chunks() -> None:
    pipeline = Pipeline([Duplicate(), TokenCount()])
    first = PairChunk.of([GOOD, SHORT], first_line=1)
    second = PairChunk.of([SHORT, GOOD], first_line=3)
    decider = Decider(pipeline)
    decider.decide(pipeline.evaluate(first))
    decisions = decider.decide(pipeline.evaluate(second))
    # SHORT on line 2 was the first copy (dedup runs before token_count): line 3 repeats it
    assert decisions.rule.tolist() == [0, 0]
    assert decisions.reasons[1] == [(0, "duplicate of line 1")]


def test_pair_removed_before_dedup_is_not_a_first_copy() -> None:
    pipeline = Pipeline([TokenCount(), Duplicate()])
    chunk = PairChunk.of([SHORT, SHORT, GOOD, GOOD])
    decisions = Decider(pipeline).decide(pipeline.evaluate(chunk))
    assert decisions.rule.tolist() == [0, 0, KEPT, 1]
    assert decisions.reasons[3] == [(1, "duplicate of line 3")]


def test_all_reasons_keeps_the_same_pairs() -> None:
    pairs = [GOOD, SHORT, SHORT, GOOD, ("the weather is very nice today", GOOD[1]), LONG_RATIO]
    rules = [TokenCount(), Duplicate(), NearDuplicate(), LengthRatio()]
    plain = Decider(Pipeline(rules)).decide(Pipeline(rules).evaluate(PairChunk.of(pairs)))
    every = Pipeline(rules, all_reasons=True)
    full = Decider(every).decide(every.evaluate(PairChunk.of(pairs)))
    assert plain.rule.tolist() == full.rule.tolist() == [KEPT, 0, 0, 1, 2, 3]
    assert full.failures is not None
    # copies count against pairs that reached the rule: the first SHORT never did
    assert full.failures[1].tolist() == [False, False, False, True, False, False]
    assert full.failures[0].tolist() == [False, True, True, False, False, False]


def test_report_examples_and_dict() -> None:
    report = run(Pipeline([TokenCount()]), [PairChunk.of([GOOD, SHORT], first_line=10)])
    assert report.to_dict() == {
        "total": 2,
        "kept": 1,
        "removed": 1,
        "rules": [
            {
                "name": "token_count",
                "removed": 1,
                "failing": None,
                "examples": [{"line": 11, "reason": "token_count src=1, tgt=1 not in (2, 80)"}],
            }
        ],
    }


def test_scores_for_kept_pairs() -> None:
    pipeline = Pipeline([TokenCount(), LengthRatio()], with_scores=True)
    verdict = pipeline.evaluate(PairChunk.of([SHORT, GOOD]))
    assert verdict.scores == {
        1: {"token_count": {"src": 6, "tgt": 6}, "length_ratio": {"ratio": 0.9688}}
    }


def test_written_scores_are_exact_where_the_verdict_alone_may_stop_early() -> None:
    # EditDistance lets RapidFuzz stop once a distance exceeds ``min`` (reported as 1.0);
    # the scores written out for kept pairs must be the real distances
    pairs = [GOOD, ("Hello world", "hello world")]
    quick = Pipeline([EditDistance()]).evaluate(PairChunk.of(pairs))
    scored = Pipeline([EditDistance()], with_scores=True).evaluate(PairChunk.of(pairs))
    assert quick.failed.tolist() == scored.failed.tolist() == [KEPT, 0]
    assert quick.reasons == scored.reasons
    distance = scored.scores[0]["edit_distance"]["distance"]
    expected = Levenshtein.normalized_distance(GOOD[0].lower(), GOOD[1].lower())
    assert distance == round(expected, 4)
    assert 0.1 < distance < 1.0


def test_default_pipeline_on_a_mixed_chunk() -> None:
    pipeline = Pipeline(with_languages(default_rules(), "en", "de"))
    pairs = [
        GOOD,
        GOOD,
        SHORT,
        ("Visit us in 1990 for the fair.", "Besuchen Sie uns 1991 zur Messe."),
        ("<p>Welcome to our shop</p>", "Willkommen in unserem Geschäft"),
        ("This sentence was not translated at all.", "This sentence was not translated at all!"),
    ]
    report = run(pipeline, [PairChunk.of(pairs)])
    removed = {rule.name: rule.removed for rule in report.rules if rule.removed}
    assert removed == {
        "duplicate": 1,
        "token_count": 1,
        "same_entities": 1,
        "markup": 1,
        "edit_distance": 1,
    }
    assert report.kept == 1


def test_empty_chunk() -> None:
    pipeline = Pipeline(default_rules())
    verdict = pipeline.evaluate(PairChunk([], [], np.zeros(0, dtype=np.int64)))
    assert len(Decider(pipeline).decide(verdict).rule) == 0
