"""Dawid–Skene on tokens: one confusion matrix over BIO tags per worker, fitted by EM."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Self

import numpy as np
import pandas as pd
from scipy.special import logsumexp

from crowdset.core.aggregation._frames import FloatArray, normalize_log_rows
from crowdset.core.aggregation._tag_frames import (
    TAG,
    WORKER,
    CrowdDesign,
    SpanAggregator,
    TagAnswers,
    TagData,
    confusion_pseudo_counts,
    encode_tags,
    log_dirichlet,
    normalize,
    vote_counts,
)
from crowdset.errors import InvalidInput


@dataclass(frozen=True)
class TokenFit:
    """What token-level EM leaves: posteriors per token, tag priors, confusions
    (``n_workers × true × answered``) and the objective per iteration."""

    probas: FloatArray
    priors: FloatArray
    confusions: FloatArray
    history: list[float]


def check_iterations(n_iter: int, tol: float, *, name: str = "n_iter") -> None:
    """``InvalidInput`` unless ``n_iter >= 1`` and ``tol >= 0``."""
    if n_iter < 1:
        raise InvalidInput(f"{name} must be at least 1; got {n_iter}.")
    if tol < 0:
        raise InvalidInput(f"tol must be 0 or more (e.g. 1e-6); got {tol}.")


def confusion_m_step(design: CrowdDesign, probas: FloatArray, pseudo: FloatArray) -> FloatArray:
    """MAP confusion matrices: expected counts plus the prior's pseudo-counts, normalised per
    worker and true tag."""
    return normalize(design.confusion_counts(probas) + pseudo[np.newaxis], axis=2)


def token_em(design: CrowdDesign, pseudo: FloatArray, n_iter: int, tol: float) -> TokenFit:
    """EM for Dawid–Skene with Dirichlet priors over the tokens of ``design``.

    Starts from the vote shares; the tag priors get one pseudo-count per tag. Stops after
    ``n_iter`` E-steps or when the MAP objective (log-likelihood of the labels plus the log
    prior densities) gains less than ``tol`` per label.
    """
    answers = design.answers
    probas = normalize(vote_counts(answers))
    history: list[float] = []
    ones = np.ones(answers.n_tags)
    for _ in range(n_iter):
        priors = normalize(probas.sum(axis=0) + ones)
        confusions = confusion_m_step(design, probas, pseudo)
        log_joint = design.log_likelihoods(np.log(confusions)) + np.log(priors)
        loss = float(logsumexp(log_joint, axis=1).sum())
        loss += sum(log_dirichlet(pseudo, matrix) for matrix in confusions)
        loss += log_dirichlet(ones, priors)
        probas = normalize_log_rows(log_joint, overwrite=True)
        history.append(loss)
        if len(history) > 1 and history[-1] - history[-2] < tol * answers.n_labels:
            break
    return TokenFit(probas, priors, confusions, history)


def errors_frame(answers: TagAnswers, confusions: FloatArray) -> pd.DataFrame:
    """Confusions as crowd-kit's ``errors_``: index ``(worker, answered tag)``, one column per
    true tag, each worker's columns summing to 1."""
    n_workers, n_tags = answers.n_workers, answers.n_tags
    values = confusions.transpose(0, 2, 1).reshape(n_workers * n_tags, n_tags)
    index = pd.MultiIndex.from_product([answers.workers, answers.tags], names=[WORKER, TAG])
    return pd.DataFrame(values, index=index, columns=answers.tags)


def skills_series(
    answers: TagAnswers, confusions: FloatArray, priors: FloatArray
) -> pd.Series[float]:
    """Each worker's expected token accuracy ``Σ_k p_k e_w[k, k]``."""
    diagonal = np.diagonal(confusions, axis1=1, axis2=2)
    return pd.Series(diagonal @ priors, index=answers.workers, name="skill")


@dataclass(eq=False)
class TokenDawidSkene(SpanAggregator):
    """**Token Dawid–Skene**: each token's true tag is a class, each worker a confusion matrix
    ``e_w[true, answered]`` over the BIO tags; EM over every token a worker tagged.

    A. P. Dawid and A. M. Skene, *Maximum Likelihood Estimation of Observer Error-Rates Using
    the EM Algorithm*, JRSS C 28(1), 1979; applied to tokens as the "DS" baseline of A. T.
    Nguyen et al., *Aggregating and Predicting Sequence Labels from Crowd Annotations*,
    ACL 2017.

    Each worker's matrix has a Dirichlet prior of ``prior_strength`` virtual answers per true
    tag, ``prior_accuracy`` of them correct (the defaults, 1 and 0.9, are the pseudo-counts of
    Nguyen et al.'s code): a worker with few labels starts as mostly correct rather than as
    whatever their few labels say. The posteriors start at the vote shares; each token's tag is
    its most probable one, repaired to valid BIO (an ``I-X`` after anything but ``X`` becomes
    ``B-X``). Tokens are independent here: :class:`HMMCrowd` adds the order of the tags.

    Fitted, besides those of :class:`SpanAggregator`: ``priors_`` (Series tag → prior),
    ``errors_`` (index ``(worker, answered tag)``, one column per true tag), ``skills_`` (each
    worker's expected token accuracy), ``loss_history_`` (the MAP objective per iteration) and
    ``n_iter_``.
    """

    n_iter: int = 100
    tol: float = 1e-6
    prior_accuracy: float = 0.9
    prior_strength: float = 1.0

    priors_: pd.Series[float] = field(init=False, repr=False)
    errors_: pd.DataFrame = field(init=False, repr=False)
    skills_: pd.Series[float] = field(init=False, repr=False)
    loss_history_: list[float] = field(init=False, repr=False)
    n_iter_: int = field(init=False, repr=False)

    def fit(self, data: TagData, tokens: pd.Series[Any] | None = None) -> Self:
        """Run EM on a ``sequence, worker, tags`` frame (``tokens`` is accepted and unused)."""
        check_iterations(self.n_iter, self.tol)
        answers = encode_tags(data)
        pseudo = confusion_pseudo_counts(answers.n_tags, self.prior_accuracy, self.prior_strength)
        result = token_em(CrowdDesign.build(answers), pseudo, self.n_iter, self.tol)
        codes = result.probas.argmax(axis=1)
        self._set_result(answers, codes, result.probas)
        self.priors_ = pd.Series(result.priors, index=answers.tags, name="prior")
        self.errors_ = errors_frame(answers, result.confusions)
        self.skills_ = skills_series(answers, result.confusions, result.priors)
        self.loss_history_ = result.history
        self.n_iter_ = len(result.history)
        return self
