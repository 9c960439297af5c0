"""Managed quality of SPEC §3: the live worker-quality model and its revocation rule, the
guarantee tracked with a Wilson interval, and dynamic overlap under the one-coin model.

Pure functions and frozen values; the labeling campaigns call them and store the results.

- **Live worker-quality model.** A worker's accuracy in one campaign has a Beta posterior,
  ``Beta(a + correct, b + wrong)``, from gold answers (weight 1) and agreement with settled
  consensus (weight ``CONSENSUS_WEIGHT`` = 0.5): :class:`WorkerQuality`. Access is revoked
  as soon as the worker is confidently below the campaign's bar: :func:`should_revoke`.
  This is the one model of quality: SPEC §6's track record (``core.mechanism.TrackRecord``,
  one per worker × campaign × track) keeps its counts, controls at ``CONTROL_WEIGHT`` and
  confident decisions at ``DECISION_WEIGHT``, and decides with it.
- **Guarantee.** "95 % correct to spec" is tracked with the Wilson score interval of the
  checked labels (gold items and audits): :func:`wilson_interval`, :func:`guarantee_check`.
- **Dynamic overlap.** An item's posterior over classes from its judgments
  (:func:`item_posterior`) decides whether it needs another one
  (:func:`needs_more_judgments`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from enum import StrEnum

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import betainc, betaincinv, ndtri

from crowdset.errors import InvalidInput

FloatArray = NDArray[np.float64]

DEFAULT_PRIOR = (2.0, 1.0)  # Beta(2, 1): mean 2/3, worth 3 answers; see WorkerQuality
GOLD_WEIGHT = 1.0  # a gold answer counts as one full answer
CONSENSUS_WEIGHT = 0.5  # agreement with settled consensus counts half; see WorkerQuality
MIN_ANSWERS = 10.0  # evidence (in gold-answer equivalents) before revocation may trigger
ACCURACY_FLOOR = 1e-6  # accuracies are clipped to [1e-6, 1 − 1e-6] in item_posterior


def _check_open_unit(value: float, name: str) -> None:
    if not 0.0 < value < 1.0:
        raise InvalidInput(
            f"{name} must lie strictly between 0 and 1, got {value!r}", field=name, value=value
        )


# --------------------------------------------------------------------------------------------
# Live worker-quality model


@dataclass(frozen=True)
class WorkerQuality:
    """The posterior of one worker's accuracy in one campaign: ``Beta(a + correct, b + wrong)``.

    ``correct`` and ``wrong`` are *weighted* counts (floats), built with :meth:`updated`:

    - a **gold answer** counts ``GOLD_WEIGHT = 1``: its truth is known;
    - **agreement with the consensus** of an item counts ``CONSENSUS_WEIGHT = 0.5``
      (``correct`` when the worker's label equals the consensus label, ``wrong`` otherwise).
      The campaign should only count items whose consensus is settled (posterior ≥ its target),
      and never the item's gold. Half weight because consensus is evidence, not truth: it is
      wrong on some items, and the worker's own answer helped make it, which biases agreement
      upwards; two consensus checks count as one gold answer. (Updating a Beta with a weighted
      count is a tempered likelihood: each observation's likelihood raised to ``weight``.)

    The default prior ``Beta(2, 1)`` (``DEFAULT_PRIOR``) has mean 2/3 and the weight of three
    answers. It is mildly optimistic because workers reach a campaign through its qualifier,
    and it makes the revocation rule robust at the start: under ``Beta(1, 1)`` a single wrong
    first answer already puts the 95 % upper bound (0.776) below a bar of 0.8, whereas under
    ``Beta(2, 1)`` one wrong answer leaves it at 0.865 and a worker exactly half right is
    revoked after 5 answers (2 of 5) when nothing else holds the rule back.
    """

    correct: float = 0.0
    wrong: float = 0.0
    prior: tuple[float, float] = DEFAULT_PRIOR

    def __post_init__(self) -> None:
        a, b = self.prior
        if not (a > 0 and b > 0 and math.isfinite(a) and math.isfinite(b)):
            raise InvalidInput(
                f"prior must be two finite numbers > 0 (the Beta's a, b), got {self.prior!r}",
                field="prior",
                value=self.prior,
            )
        if not (self.correct >= 0 and self.wrong >= 0):
            raise InvalidInput(
                f"correct and wrong must be ≥ 0, got correct={self.correct!r}, "
                f"wrong={self.wrong!r}",
                field="correct" if not self.correct >= 0 else "wrong",
            )

    @property
    def alpha(self) -> float:
        """The posterior's first shape parameter, ``a + correct``."""
        return self.prior[0] + self.correct

    @property
    def beta(self) -> float:
        """The posterior's second shape parameter, ``b + wrong``."""
        return self.prior[1] + self.wrong

    @property
    def evidence(self) -> float:
        """``correct + wrong``: the answers seen, in gold-answer equivalents."""
        return self.correct + self.wrong

    def posterior_mean(self) -> float:
        """``(a + correct) / (a + b + correct + wrong)``."""
        return self.alpha / (self.alpha + self.beta)

    def credible_interval(self, level: float = 0.95) -> tuple[float, float]:
        """The equal-tailed credible interval: the posterior's ``(1 − level)/2`` and
        ``(1 + level)/2`` quantiles. For ``level ≥ 0.5`` it contains the posterior mean (for
        priors with ``a, b ≥ 0.5``; checked by a property test).

        The quantiles are ``scipy.special.betaincinv``, the function ``scipy.stats.beta.ppf``
        evaluates, called directly: about 90× faster (3 µs against 280 µs per call), which
        matters when every answer of a campaign re-checks its worker.
        """
        _check_open_unit(level, "level")
        tail = (1.0 - level) / 2.0
        return self.quantile(tail), self.quantile(1.0 - tail)

    def quantile(self, q: float) -> float:
        """The posterior's ``q`` quantile (``beta.ppf(q, a + correct, b + wrong)``)."""
        return float(betaincinv(self.alpha, self.beta, q))

    def upper_bound(self, confidence: float = 0.95) -> float:
        """The upper end of the one-sided credible interval ``[0, u]`` at ``confidence``:
        ``P(accuracy ≤ u) = confidence``."""
        _check_open_unit(confidence, "confidence")
        return self.quantile(confidence)

    def prob_at_least(self, bar: float) -> float:
        """``P(accuracy ≥ bar)`` under the posterior (what the requester's event shows)."""
        if not 0.0 <= bar <= 1.0:
            raise InvalidInput(f"bar must lie in [0, 1], got {bar!r}", field="bar", value=bar)
        # 1 − I_bar(α, β) = I_{1−bar}(β, α), computed directly to keep small tails accurate
        return float(betainc(self.beta, self.alpha, 1.0 - bar))

    def updated(self, correct: bool, weight: float = GOLD_WEIGHT) -> WorkerQuality:
        """The quality after one more answer: ``correct`` (or ``wrong``) grows by ``weight``.

        ``weight`` is ``GOLD_WEIGHT`` (1) for a gold answer and ``CONSENSUS_WEIGHT`` (0.5) for
        agreement with a settled consensus; any finite ``weight ≥ 0`` is accepted.
        """
        if not (weight >= 0 and math.isfinite(weight)):
            raise InvalidInput(
                f"weight must be a finite number ≥ 0, got {weight!r}; use GOLD_WEIGHT (1.0) "
                f"for gold answers and CONSENSUS_WEIGHT (0.5) for consensus agreement",
                field="weight",
                value=weight,
            )
        if correct:
            return replace(self, correct=self.correct + weight)
        return replace(self, wrong=self.wrong + weight)


def should_revoke(
    quality: WorkerQuality,
    bar: float,
    confidence: float = 0.95,
    min_answers: float = MIN_ANSWERS,
) -> bool:
    """The revocation rule of SPEC §3: is the worker confidently below the campaign's bar?

    Revoke **if and only if** all three hold:

    1. ``quality.evidence ≥ min_answers`` (``correct + wrong``, in gold-answer equivalents;
       default 10);
    2. ``quality.wrong > 0`` (a worker who has never been wrong is never revoked: there is no
       evidence against them, only the prior);
    3. ``quality.upper_bound(confidence) < bar``, i.e. the upper end of the one-sided
       credible interval at ``confidence`` lies below the bar, which is the same as
       ``P(accuracy ≥ bar) < 1 − confidence`` under ``Beta(a + correct, b + wrong)``.

    Checked after every update, so it triggers as soon as the evidence allows. More wrong
    answers never lift a revocation; more correct answers can (the campaign decides whether a
    revoked worker ever comes back; this function only judges the record).

    How it behaves (prior Beta(2, 1), bar 0.8, confidence 0.95, gold answers only, simulated
    over 200 answers): a spammer right half of the time is revoked after a median of 10
    answers, 95 % of them within 22; a worker whose record is exactly half right is revoked
    at the 10th answer. A worker at 0.95 is practically never revoked, at 0.9 in about 0.6 %
    of cases; one exactly at the bar in about a quarter of cases, because the rule is checked
    after every answer (sequential testing): the confidence is Bayesian, not a frequentist
    error rate under repeated looks, and ``min_answers`` is what keeps that early rate down.
    """
    if not 0.0 < bar <= 1.0:
        raise InvalidInput(f"bar must lie in (0, 1], got {bar!r}", field="bar", value=bar)
    _check_open_unit(confidence, "confidence")
    if not min_answers >= 0:
        raise InvalidInput(
            f"min_answers must be ≥ 0, got {min_answers!r}", field="min_answers", value=min_answers
        )
    if quality.evidence < min_answers or quality.wrong <= 0:
        return False
    return quality.upper_bound(confidence) < bar


# --------------------------------------------------------------------------------------------
# Guarantee tracking


def wilson_interval(successes: int, trials: int, confidence: float = 0.95) -> tuple[float, float]:
    """The Wilson score interval for a binomial proportion (E. B. Wilson, *Probable Inference,
    the Law of Succession, and Statistical Inference*, JASA 22(158), 209–212, 1927)::

        p̂ = s/n, z = Φ⁻¹(1 − (1 − confidence)/2)
        centre = (p̂ + z²/2n) / (1 + z²/n)
        half   = z·√(p̂(1 − p̂)/n + z²/4n²) / (1 + z²/n)
        (low, high) = (centre − half, centre + half)

    ``8/10`` at 95 % gives ``(0.490, 0.943)``. It stays inside ``[0, 1]``, contains ``p̂``
    and is sensible at ``p̂ = 0`` or 1, unlike the normal (Wald) interval. With no trials it
    is ``(0, 1)``: nothing is known. ``statsmodels`` (which has it) is not a dependency; the
    closed form is checked against ``scipy.stats.binomtest(...).proportion_ci("wilson")``.
    """
    if trials < 0 or not 0 <= successes <= trials:
        raise InvalidInput(
            f"need 0 ≤ successes ≤ trials, got successes={successes!r}, trials={trials!r}",
            field="successes",
            successes=successes,
            trials=trials,
        )
    _check_open_unit(confidence, "confidence")
    if trials == 0:
        return 0.0, 1.0
    z = float(ndtri(1.0 - (1.0 - confidence) / 2.0))
    n = float(trials)
    p = successes / n
    z2 = z * z
    denominator = 1.0 + z2 / n
    centre = (p + z2 / (2.0 * n)) / denominator
    half = z * math.sqrt(p * (1.0 - p) / n + z2 / (4.0 * n * n)) / denominator
    # at p̂ = 0 (or 1) the bound is exactly 0 (or 1); say so rather than trust the rounding
    low = 0.0 if successes == 0 else max(0.0, min(p, centre - half))
    high = 1.0 if successes == trials else min(1.0, max(p, centre + half))
    return low, high


class GuaranteeStatus(StrEnum):
    """Where a campaign's stated target stands, from the Wilson interval of checked labels."""

    MET = "met"  # low ≥ target: confidently at or above the target
    AT_RISK = "at_risk"  # high < target: confidently below it
    UNDECIDED = "undecided"  # the interval straddles the target: check more labels


@dataclass(frozen=True)
class GuaranteeCheck:
    """The guarantee's state: the pooled counts, their Wilson interval and the status."""

    status: GuaranteeStatus
    correct: int
    checked: int
    low: float
    high: float
    target: float
    confidence: float


def guarantee_check(
    gold_correct: int,
    gold_checked: int,
    audit_correct: int = 0,
    audit_checked: int = 0,
    *,
    target: float = 0.95,
    confidence: float = 0.95,
) -> GuaranteeCheck:
    """Track "``target`` correct to spec" (SPEC §3, pilot and guarantee).

    A checked label is a delivered label compared with the truth: the aggregated label of a
    gold item against its known answer, or an audited label against the auditor's verdict.
    Gold and audits are pooled (``correct = gold_correct + audit_correct``, likewise
    ``checked``) into the Wilson interval ``(low, high)`` at ``confidence``, and

    - ``MET`` when ``low ≥ target``;
    - ``AT_RISK`` when ``high < target``;
    - ``UNDECIDED`` otherwise (including when nothing has been checked yet).
    """
    _check_open_unit(target, "target")
    for name, ok, n in (
        ("gold", gold_correct, gold_checked),
        ("audit", audit_correct, audit_checked),
    ):
        if n < 0 or not 0 <= ok <= n:
            raise InvalidInput(
                f"need 0 ≤ {name}_correct ≤ {name}_checked, got {name}_correct={ok!r}, "
                f"{name}_checked={n!r}",
                field=f"{name}_correct",
            )
    correct = gold_correct + audit_correct
    checked = gold_checked + audit_checked
    low, high = wilson_interval(correct, checked, confidence)
    if low >= target:
        status = GuaranteeStatus.MET
    elif high < target:
        status = GuaranteeStatus.AT_RISK
    else:
        status = GuaranteeStatus.UNDECIDED
    return GuaranteeCheck(status, correct, checked, low, high, target, confidence)


# --------------------------------------------------------------------------------------------
# Dynamic overlap


def item_posterior(
    labels: ArrayLike,
    worker_accuracies: ArrayLike,
    n_classes: int,
    prior: ArrayLike | None = None,
) -> FloatArray:
    """An item's posterior over its ``n_classes`` classes from its judgments, under the
    **one-coin model**: worker ``j`` answers the true class with probability ``p_j`` (their
    accuracy) and each of the ``K − 1`` other classes with probability ``(1 − p_j)/(K − 1)``::

        P(c | labels) ∝ π_c · Π_j  (p_j  if l_j = c  else  (1 − p_j)/(K − 1))

    ``labels`` are class codes ``0 … K−1``, one per judgment, paired with
    ``worker_accuracies``; ``prior`` ``π`` defaults to uniform (it is normalised). A worker at
    ``1/K`` carries no information; one below ``1/K`` counts against the class they chose.
    Accuracies are clipped to ``[1e-6, 1 − 1e-6]`` so that no single answer has probability
    0 and vetoes all the others.

    The product underflows for long records, so it is summed in log space: every judgment
    adds ``log((1 − p_j)/(K − 1))`` to all classes, and ``log p_j − log((1 − p_j)/(K − 1))``
    more to its own (one ``bincount``); the max-shift trick normalises.
    """
    if n_classes < 2:
        raise InvalidInput(
            f"n_classes must be ≥ 2, got {n_classes!r}", field="n_classes", value=n_classes
        )
    codes = np.asarray(labels)
    accuracy = np.asarray(worker_accuracies, dtype=np.float64)
    if codes.ndim != 1 or accuracy.shape != codes.shape:
        raise InvalidInput(
            f"labels and worker_accuracies must be 1-D and of equal length, got shapes "
            f"{codes.shape} and {accuracy.shape}",
            field="worker_accuracies",
        )
    if codes.size and (
        not np.issubdtype(codes.dtype, np.integer) or codes.min() < 0 or codes.max() >= n_classes
    ):
        raise InvalidInput(
            f"labels must be integer class codes in 0…{n_classes - 1}, got {codes.tolist()!r}",
            field="labels",
        )
    if not np.all((accuracy >= 0.0) & (accuracy <= 1.0)):
        raise InvalidInput(
            f"worker_accuracies must lie in [0, 1], got {accuracy.tolist()!r}",
            field="worker_accuracies",
        )
    if prior is None:
        log_posterior = np.zeros(n_classes)
    else:
        weights = np.asarray(prior, dtype=np.float64)
        if weights.shape != (n_classes,) or not (
            np.all(weights >= 0) and np.all(np.isfinite(weights)) and weights.sum() > 0
        ):
            raise InvalidInput(
                f"prior must be {n_classes} finite numbers ≥ 0 with a positive sum, "
                f"got {np.asarray(prior).tolist()!r}",
                field="prior",
            )
        with np.errstate(divide="ignore"):  # a class with prior 0 gets log 0 = −inf
            log_posterior = np.log(weights / weights.sum())
    p = np.clip(accuracy, ACCURACY_FLOOR, 1.0 - ACCURACY_FLOOR)
    log_right = np.log(p)
    log_wrong = np.log1p(-p) - math.log(n_classes - 1)
    log_posterior = log_posterior + log_wrong.sum()
    log_posterior += np.bincount(
        codes.astype(np.intp), weights=log_right - log_wrong, minlength=n_classes
    )
    shifted = np.exp(log_posterior - log_posterior.max())
    result: FloatArray = shifted / shifted.sum()
    return result


def needs_more_judgments(
    posterior: ArrayLike,
    judgments: int,
    target_confidence: float,
    max_overlap: int,
    min_overlap: int,
) -> bool:
    """Dynamic overlap (SPEC §3): does the item need one more judgment?

    Yes **if and only if** ``judgments < min_overlap``, or ``judgments < max_overlap`` and
    the item's most probable class has ``max(posterior) < target_confidence``. The minimum
    comes first (a campaign may insist on two opinions however confident the first), the
    maximum caps the cost of items the crowd cannot settle.
    """
    probas = np.asarray(posterior, dtype=np.float64)
    if probas.ndim != 1 or probas.size < 2 or not np.all(probas >= 0):
        raise InvalidInput(
            f"posterior must be a 1-D array of class probabilities ≥ 0, got {probas.tolist()!r}",
            field="posterior",
        )
    if not math.isclose(float(probas.sum()), 1.0, rel_tol=1e-6):
        raise InvalidInput(
            f"posterior must sum to 1, got a sum of {float(probas.sum())!r}", field="posterior"
        )
    if not 0.0 < target_confidence <= 1.0:
        raise InvalidInput(
            f"target_confidence must lie in (0, 1], got {target_confidence!r}",
            field="target_confidence",
            value=target_confidence,
        )
    if not 1 <= min_overlap <= max_overlap:
        raise InvalidInput(
            f"need 1 ≤ min_overlap ≤ max_overlap, got min_overlap={min_overlap!r}, "
            f"max_overlap={max_overlap!r}",
            field="min_overlap",
        )
    if judgments < 0:
        raise InvalidInput(
            f"judgments must be ≥ 0, got {judgments!r}", field="judgments", value=judgments
        )
    if judgments < min_overlap:
        return True
    if judgments >= max_overlap:
        return False
    return bool(probas.max() < target_confidence)
