"""Every agreement statistic of one answer set at once, as ``crowdset agreement`` shows it."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from crowdset.core.agreement.alpha import (
    BootstrapInterval,
    alpha_bootstrap,
    alpha_without_each_worker,
    krippendorff_alpha,
    label_alpha,
)
from crowdset.core.agreement.data import FloatArray, IntArray, Level, ReliabilityData
from crowdset.core.agreement.kappa import (
    MIN_SHARED,
    PairwiseKappa,
    fleiss_kappa,
    pairwise_cohen_kappa,
)
from crowdset.errors import InvalidInput


@dataclass(frozen=True, eq=False)
class AgreementReport:
    """Krippendorff's α at ``level`` (with its bootstrap interval unless none was asked for),
    Fleiss' κ, Cohen's κ per pair of workers, α per label (that label against the rest) and,
    per worker, α without that worker and its mean Cohen's κ with the others.

    Fleiss' and Cohen's κ and the per-label α treat labels as categories whatever the level.
    Arrays are indexed by label code (``label_*``) and worker code (``worker_*``).
    """

    level: Level
    alpha: float
    interval: BootstrapInterval | None
    fleiss_kappa: float
    pairwise: PairwiseKappa
    label_alpha: FloatArray
    label_answers: IntArray  # pairable answers with each label
    worker_answers: IntArray  # answers kept per worker (pairable or not)
    worker_alpha_without: FloatArray
    worker_mean_kappa: FloatArray
    worker_pairs: IntArray  # pairs with a defined κ the mean is taken over
    units: int
    workers: int
    answers: int
    pairable_units: int
    pairable_answers: int
    repeated: int  # answers dropped: the worker had already answered the unit


def agreement_report(
    data: ReliabilityData,
    level: Level = Level.NOMINAL,
    *,
    min_shared: int = MIN_SHARED,
    resamples: int = 1000,
    confidence: float = 0.95,
    rng: np.random.Generator | int | None = None,
) -> AgreementReport:
    """All the statistics of :class:`AgreementReport`; ``resamples=0`` skips the bootstrap.

    Raises ``InvalidInput`` when no unit has two answers, or when every pairable answer has
    the same value (α is then 0/0: there is no variation to agree on).
    """
    level = Level(level)
    alpha = krippendorff_alpha(data, level)
    units = data.pairable
    if np.isnan(alpha):
        raise InvalidInput(
            f"all {int(units.n)} answers on units answered two or more times have the same "
            "label: Krippendorff's alpha is undefined when nothing varies (0/0).",
            pairable_answers=int(units.n),
        )
    interval = (
        alpha_bootstrap(data, level, resamples=resamples, confidence=confidence, rng=rng)
        if resamples > 0
        else None
    )
    pairwise = pairwise_cohen_kappa(data, min_shared=min_shared)
    mean_kappa, pairs = pairwise.per_worker(data.n_workers)
    return AgreementReport(
        level=level,
        alpha=alpha,
        interval=interval,
        fleiss_kappa=fleiss_kappa(data),
        pairwise=pairwise,
        label_alpha=label_alpha(data),
        label_answers=units.marginals.astype(np.intp),
        worker_answers=np.bincount(data.worker, minlength=data.n_workers).astype(np.intp),
        worker_alpha_without=alpha_without_each_worker(data, level),
        worker_mean_kappa=mean_kappa,
        worker_pairs=pairs,
        units=data.n_units,
        workers=data.n_workers,
        answers=data.n_answers,
        pairable_units=units.n_units,
        pairable_answers=int(units.n),
        repeated=data.repeated,
    )
