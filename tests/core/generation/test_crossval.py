"""Cross-validation of accepted queries (SPEC §2) on small synthetic campaigns.

Three intents with distinct vocabularies (lights, weather, music), written by honest workers,
plus queries whose label was swapped to a wrong intent.
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest

from crowdset.core.generation.crossval import (
    CrossValidationReport,
    OutOfFold,
    cross_validate,
    masked_text,
    report_disputes,
)
from crowdset.core.generation.model import AnnotatedQuery, Span
from crowdset.errors import InvalidInput

TEMPLATES: dict[str, tuple[list[str], list[str]]] = {
    "SwitchLights": (
        [
            "turn on the lights in the {}",
            "switch off the lamp in the {}",
            "please dim the {} lights",
            "lights on in the {} now",
            "can you brighten the {} lamps",
            "switch the {} lights off please",
        ],
        ["kitchen", "living room", "bedroom", "garage", "hallway", "bathroom", "attic"],
    ),
    "GetWeather": (
        [
            "what is the weather in {} tomorrow",
            "will it rain in {} this weekend",
            "how hot will it be in {} today",
            "forecast for {} please",
            "is it sunny in {} right now",
            "tell me the temperature in {}",
        ],
        ["Paris", "Berlin", "Lagos", "Lima", "Osaka", "Denver", "Cairo"],
    ),
    "PlayMusic": (
        [
            "play some songs by {}",
            "put on the latest album of {}",
            "I want to hear {} tracks",
            "start a playlist of {} music",
            "play my favourite {} song",
            "shuffle music from {}",
        ],
        ["Miles Davis", "Adele", "Queen", "Bach", "Rihanna", "Nirvana", "Shakira"],
    ),
}
INTENTS = tuple(TEMPLATES)


def make_query(intent: str, rng: np.random.Generator, worker: str, query_id: int) -> AnnotatedQuery:
    templates, values = TEMPLATES[intent]
    template = templates[int(rng.integers(len(templates)))]
    value = values[int(rng.integers(len(values)))]
    start = template.index("{}")
    text = template.format(value)
    slot = {"SwitchLights": "room", "GetWeather": "city", "PlayMusic": "artist"}[intent]
    span = Span(start, start + len(value), slot, slot)
    return AnnotatedQuery(text, intent, (span,), worker=worker, query_id=query_id)


def make_campaign(
    per_intent: int = 40, workers: int = 6, seed: int = 7
) -> tuple[list[AnnotatedQuery], set[int]]:
    """Honest queries, then 4 whose label is swapped to the next intent (their ids returned)."""
    rng = np.random.default_rng(seed)
    queries = [
        make_query(intent, rng, f"honest{n % workers}", len(INTENTS) * n + k)
        for n in range(per_intent)
        for k, intent in enumerate(INTENTS)
    ]
    swapped = {3, 11, 52, 100}
    for i in swapped:
        query = queries[i]
        wrong = INTENTS[(INTENTS.index(query.intent) + 1) % len(INTENTS)]
        queries[i] = replace(query, intent=wrong)
    return queries, swapped


def with_careless_worker(queries: list[AnnotatedQuery]) -> list[AnnotatedQuery]:
    """Add a worker with 12 queries, 8 of them labelled with the wrong intent."""
    rng = np.random.default_rng(99)
    added = []
    for n in range(12):
        intent = INTENTS[n % len(INTENTS)]
        query = make_query(intent, rng, "careless", 1000 + n)
        if n < 8:
            query = replace(query, intent=INTENTS[(n + 1) % len(INTENTS)])
        added.append(query)
    return queries + added


def test_cross_validate_flags_the_mislabelled_queries() -> None:
    queries, swapped = make_campaign()
    report = cross_validate(queries)
    assert {f.query_id for f in report.flagged} == swapped
    for flag in report.flagged:
        original = INTENTS[(INTENTS.index(flag.intent) - 1) % len(INTENTS)]
        assert flag.predicted_intent == original
        assert flag.probability >= 0.5
        assert flag.text == queries[flag.index].text
    assert report.scored == len(queries)
    assert report.folds == 5
    assert report.flag_rate == pytest.approx(len(swapped) / len(queries))
    assert report.notes == ()


def test_cross_validate_reports_the_careless_worker_only() -> None:
    queries, _ = make_campaign()
    report = cross_validate(with_careless_worker(queries))
    assert [w.worker for w in report.abnormal_workers] == ["careless"]
    careless = report.workers[0]
    assert (careless.worker, careless.queries) == ("careless", 12)
    assert 6 <= careless.flagged <= 8  # of the 8 mislabelled; a few may fool the model
    assert careless.share == pytest.approx(careless.flagged / 12)
    honest = [w for w in report.workers if w.worker.startswith("honest")]
    assert len(honest) == 6
    assert all(not w.abnormal and w.p_value > 0.01 for w in honest)


def test_cross_validate_is_deterministic_given_rng() -> None:
    queries, _ = make_campaign()
    queries = with_careless_worker(queries)
    first = cross_validate(queries, rng=3)
    assert cross_validate(queries, rng=3) == first
    assert cross_validate(queries, rng=np.random.default_rng(3)) == first


def test_cross_validate_with_a_single_intent_disputes_nothing() -> None:
    queries, _ = make_campaign()
    lights = [q for q in queries if q.intent == "SwitchLights"]
    report = cross_validate(lights)
    assert report == CrossValidationReport(
        flagged=(),
        workers=report.workers,
        scored=0,
        flag_rate=0.0,
        folds=0,
        notes=("fewer than two intents with two queries or more: nothing can be disputed",),
    )
    assert all(w.queries == 0 or not w.abnormal for w in report.workers)


def test_cross_validate_skips_single_query_intents_and_lowers_folds() -> None:
    queries, _ = make_campaign()
    rng = np.random.default_rng(5)
    music = [q for q in queries if q.intent == "PlayMusic"][:3]
    lone = make_query("PlayMusic", rng, "honest0", 500)
    queries = [q for q in queries if q.intent != "PlayMusic"] + music
    queries.append(replace(lone, intent="OrderPizza"))
    report = cross_validate(queries)
    assert report.folds == 3
    assert report.scored == len(queries) - 1
    assert report.notes == (
        "not scored, a single query each: 'OrderPizza'",
        "folds lowered from 5 to 3: an intent has 3 queries",
    )
    assert all(f.intent != "OrderPizza" for f in report.flagged)


def out_of_fold(
    flags_per_worker: dict[str, tuple[int, int]],
) -> tuple[list[AnnotatedQuery], OutOfFold]:
    """Queries whose out-of-fold prediction disputes exactly ``flagged`` of each worker's
    ``queries`` with probability 0.9, for testing the worker report alone."""
    queries: list[AnnotatedQuery] = []
    predicted: list[str] = []
    for worker, (n, flagged) in flags_per_worker.items():
        for k in range(n):
            queries.append(AnnotatedQuery(f"q{len(queries)}", "A", worker=worker))
            predicted.append("B" if k < flagged else "A")
    scores = OutOfFold(
        scored=tuple(range(len(queries))),
        predicted=tuple(predicted),
        probability=(0.9,) * len(queries),
        folds=5,
    )
    return queries, scores


def test_report_disputes_binomial_p_values() -> None:
    # campaign rate 5 / 100 = 0.05; P(X ≥ 4 | n=10, p=0.05) = 0.0010285
    workers = {"w0": (10, 4)} | {f"w{i}": (10, 1 if i == 1 else 0) for i in range(1, 10)}
    queries, scores = out_of_fold(workers)
    report = report_disputes(queries, scores, correction="none")
    assert report.flag_rate == pytest.approx(0.05)
    top = report.workers[0]
    assert top.worker == "w0"
    assert top.p_value == pytest.approx(0.0010285, rel=1e-4)
    assert top.abnormal
    assert report.workers[1].worker == "w1"
    assert report.workers[1].p_value == pytest.approx(1 - 0.95**10)
    assert [w.worker for w in report.abnormal_workers] == ["w0"]
    # Bonferroni over the 10 workers tested: 0.0010285 ≥ 0.01 / 10
    corrected = report_disputes(queries, scores)  # Bonferroni by default
    assert corrected.abnormal_workers == ()
    assert corrected.workers[0].p_value == top.p_value


def test_report_disputes_needs_min_queries() -> None:
    queries, scores = out_of_fold({"few": (5, 5), "many": (95, 0)})
    report = report_disputes(queries, scores)
    few = next(w for w in report.workers if w.worker == "few")
    assert few.p_value == pytest.approx(0.05**5)
    assert not few.abnormal
    assert report_disputes(queries, scores, min_queries=5).abnormal_workers[0].worker == "few"


def test_report_disputes_ignores_unnamed_workers_and_low_probabilities() -> None:
    queries, scores = out_of_fold({"": (10, 10), "w": (10, 0)})
    assert [w.worker for w in report_disputes(queries, scores).workers] == ["w"]
    assert report_disputes(queries, scores, confidence=0.95).flagged == ()


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        pytest.param({"folds": 1}, "folds", id="one-fold"),
        pytest.param({"confidence": 0.0}, "confidence", id="confidence-zero"),
        pytest.param({"confidence": 1.5}, "confidence", id="confidence-above-one"),
        pytest.param({"alpha": 1.0}, "alpha", id="alpha-one"),
        pytest.param({"min_queries": 0}, "min_queries", id="min-queries-zero"),
    ],
)
def test_cross_validate_rejects_bad_settings(kwargs: dict[str, float], field: str) -> None:
    queries, _ = make_campaign()
    with pytest.raises(InvalidInput, match=field) as error:
        cross_validate(queries, **kwargs)  # type: ignore[arg-type]
    assert error.value.fields["field"] == field


@pytest.mark.parametrize(
    ("placeholders", "expected"),
    [
        pytest.param("none", "play Adele and Queen now", id="none"),
        pytest.param("generic", "play  __value__  and  __value__  now", id="generic"),
        pytest.param("slot", "play  __artist__  and  __band__  now", id="slot"),
    ],
)
def test_masked_text(placeholders: str, expected: str) -> None:
    query = AnnotatedQuery(
        "play Adele and Queen now",
        "PlayMusic",
        (Span(15, 20, "band", "artist"), Span(5, 10, "artist", "artist")),
    )
    assert masked_text(query, placeholders) == expected  # type: ignore[arg-type]


def test_empty_campaign() -> None:
    report = cross_validate([])
    assert (report.flagged, report.workers, report.scored, report.folds) == ((), (), 0, 0)
    assert math.isclose(report.flag_rate, 0.0)
