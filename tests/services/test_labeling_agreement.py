"""The workers' agreement in a labeling campaign's report: Krippendorff's α of the kept answers
to non-control items, the same number as the `krippendorff` package gives for those answers."""

from __future__ import annotations

from collections.abc import Sequence

import krippendorff
import numpy as np
import pytest

from crowdset.core.labeling.spec import LabelingSpec, parse_labeling_spec
from crowdset.services.labeling_reports import agreement_of
from crowdset.storage.models import Judgment

LABELS = [{"name": n, "description": n} for n in ("pos", "neg", "neutral")]


def spec_of_type(kind: str) -> LabelingSpec:
    base = {"name": "A", "instructions": "Judge it.", "price_per_judgment": "0.10"}
    if kind == "classify":
        return parse_labeling_spec(base | {"type": "classify", "labels": LABELS})
    rubric = ["awful", "poor", "fair", "good", "great"]
    return parse_labeling_spec(base | {"type": "rate", "rubric": rubric})


def judgments(
    answers: Sequence[tuple[int, int, object]], *, kept: bool = True, gold: bool = False
) -> list[Judgment]:
    return [
        Judgment(item_id=item, worker_id=worker, answer=answer, kept=kept, gold=gold)
        for item, worker, answer in answers
    ]


def matrix(answers: list[tuple[int, int, object]], code: dict[object, float]) -> np.ndarray:
    """Workers × items, NaN where a worker did not answer (the package's input)."""
    workers = sorted({w for _, w, _ in answers})
    items = sorted({i for i, _, _ in answers})
    data = np.full((len(workers), len(items)), np.nan)
    for item, worker, answer in answers:
        data[workers.index(worker), items.index(item)] = code[answer]
    return data


def crowd(seed: int, values: list[object]) -> list[tuple[int, int, object]]:
    rng = np.random.default_rng(seed)
    truth = rng.choice(len(values), size=30)
    answers = []
    for item in range(30):
        for worker in rng.choice(8, size=3, replace=False):
            right = rng.random() < 0.75
            answers.append(
                (item, int(worker), values[truth[item] if right else rng.integers(len(values))])
            )
    return answers


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_labels_give_the_package_s_nominal_alpha(seed: int) -> None:
    answers = crowd(seed, ["pos", "neg", "neutral"])
    found = agreement_of(spec_of_type("classify"), judgments(answers))
    assert found is not None and found.level == "nominal"
    expected = krippendorff.alpha(
        matrix(answers, {"pos": 0, "neg": 1, "neutral": 2}), level_of_measurement="nominal"
    )
    assert found.alpha == pytest.approx(expected, abs=1e-12)
    assert found.low <= found.alpha <= found.high
    assert (found.items, found.workers) == (30, len({w for _, w, _ in answers}))


def test_ratings_give_the_package_s_interval_alpha() -> None:
    answers = crowd(3, [1, 2, 3, 4, 5])
    found = agreement_of(spec_of_type("rate"), judgments(answers))
    assert found is not None and found.level == "interval"
    expected = krippendorff.alpha(
        matrix(answers, {v: float(v) for v in range(1, 6)}), level_of_measurement="interval"
    )
    assert found.alpha == pytest.approx(expected, abs=1e-12)


def test_controls_and_dropped_answers_do_not_count() -> None:
    answers = crowd(4, ["pos", "neg"])
    counted = agreement_of(spec_of_type("classify"), judgments(answers))
    noise = [(100 + n, w, "pos" if w % 2 else "neg") for n in range(5) for w in range(4)]
    with_noise = judgments(answers) + judgments(noise, gold=True) + judgments(noise, kept=False)
    assert agreement_of(spec_of_type("classify"), with_noise) == counted


def test_nothing_to_agree_on_yet_is_none() -> None:
    one_each = [(item, item, "pos") for item in range(5)]
    assert agreement_of(spec_of_type("classify"), judgments(one_each)) is None
    unanimous = [(item, worker, "pos") for item in range(5) for worker in range(3)]
    assert agreement_of(spec_of_type("classify"), judgments(unanimous)) is None
