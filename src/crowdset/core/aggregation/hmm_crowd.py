"""HMM-Crowd: a hidden Markov chain of true tags, each emitting the workers' tags (and the word)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, Self

import numpy as np
import pandas as pd
from scipy import sparse

from crowdset.core.aggregation._chains import Chains, Posteriors
from crowdset.core.aggregation._frames import FloatArray, IntArray
from crowdset.core.aggregation._tag_frames import (
    TAG,
    CrowdDesign,
    SpanAggregator,
    TagAnswers,
    TagData,
    confusion_pseudo_counts,
    encode_tags,
    log_dirichlet,
    normalize,
)
from crowdset.core.aggregation.sequences import allowed_transitions
from crowdset.core.aggregation.token_ds import (
    check_iterations,
    confusion_m_step,
    errors_frame,
    skills_series,
    token_em,
)
from crowdset.errors import InvalidInput

Decoding = Literal["viterbi", "posterior"]


@dataclass(frozen=True)
class _Parameters:
    start: FloatArray  # n_tags
    transitions: FloatArray  # previous × next
    confusions: FloatArray  # n_workers × true × answered
    words: FloatArray | None  # n_tags × vocabulary, or None without the text


@dataclass(frozen=True)
class _Priors:
    start: FloatArray
    transitions: FloatArray
    confusions: FloatArray
    word: float | None

    def log_density(self, params: _Parameters) -> float:
        total = log_dirichlet(self.start, params.start)
        total += log_dirichlet(self.transitions, params.transitions)
        total += sum(log_dirichlet(self.confusions, matrix) for matrix in params.confusions)
        if params.words is not None and self.word:
            total += self.word * float(np.log(params.words).sum())
        return total


@dataclass(eq=False)
class HMMCrowd(SpanAggregator):
    """**HMM-Crowd**: the true tags of a sequence form a Markov chain; at each token the true
    tag emits every worker's tag through that worker's confusion matrix, and, when the text is
    given, the token's word. EM with forward–backward fits the start and transition
    probabilities, the confusions and the word emissions; Viterbi (or the posteriors) decodes.

    A. T. Nguyen, B. C. Wallace, J. J. Li, A. Nenkova and M. Lease, *Aggregating and
    Predicting Sequence Labels from Crowd Annotations*, ACL 2017; forward–backward as in
    L. R. Rabiner, *A Tutorial on Hidden Markov Models*, Proc. IEEE 77(2), 1989.

    As in Nguyen et al.'s released code, the parameters start from ``init_iter`` iterations of
    token-level Dawid–Skene (:class:`TokenDawidSkene`, same confusion prior), whose posteriors
    give the first counts of starts, transitions, confusions and words, and EM then runs
    ``n_iter`` steps (each an E-step by forward–backward and an M-step), stopping sooner if the
    MAP objective gains less than ``tol`` per label; a last E-step gives the posteriors of the
    final parameters. The defaults, 5 and 1, are that code's (``hmm.py``: ``dw_em=5``,
    ``--emsteps 1``); EM run on to convergence (``n_iter=100``) scored lower on the benchmark
    sets of docs/benchmarks.md, whose sensitivity table shows both.

    Transitions that BIO forbids (``O → I-X``, ``B-X → I-Y``, starting on ``I-X``) are fixed
    at 0, so Viterbi paths are valid BIO. Priors, as pseudo-counts added to the expected counts
    (MAP-EM): each worker's confusions as in :class:`TokenDawidSkene` (``prior_strength``
    virtual answers per true tag, ``prior_accuracy`` of them correct); ``transition_prior`` per
    allowed start and transition; ``word_prior`` per (tag, word) pair (add-one smoothing at 1.0;
    ``None`` ignores the text).

    Fitted, besides those of :class:`SpanAggregator` (``probas_`` are the forward–backward
    posteriors): ``start_`` (Series tag → probability), ``transitions_`` (DataFrame previous
    tag × next tag), ``errors_`` and ``skills_`` as in :class:`TokenDawidSkene`,
    ``log_likelihood_`` (of the workers' tags and words, at the end), ``loss_history_`` (the
    MAP objective at each E-step) and ``n_iter_`` (the EM steps run).
    """

    n_iter: int = 1
    init_iter: int = 5
    tol: float = 1e-6
    prior_accuracy: float = 0.9
    prior_strength: float = 1.0
    transition_prior: float = 1.0
    word_prior: float | None = 1.0
    decoding: Decoding = "viterbi"

    start_: pd.Series[float] = field(init=False, repr=False)
    transitions_: pd.DataFrame = field(init=False, repr=False)
    errors_: pd.DataFrame = field(init=False, repr=False)
    skills_: pd.Series[float] = field(init=False, repr=False)
    log_likelihood_: float = field(init=False, repr=False)
    loss_history_: list[float] = field(init=False, repr=False)
    n_iter_: int = field(init=False, repr=False)

    def fit(self, data: TagData, tokens: pd.Series[Any] | None = None) -> Self:
        """Run EM on a ``sequence, worker, tags`` frame; ``tokens`` (sequence → list of token
        strings) adds the word emissions."""
        self._check()
        answers = encode_tags(data, tokens)
        design = CrowdDesign.build(answers)
        chains = Chains.build(answers.lengths)
        allowed, allowed_start = allowed_transitions(answers.tags.tolist())
        words = answers.words if self.word_prior is not None else None
        word_matrix = None if words is None else _word_matrix(words)
        priors = _Priors(
            start=np.where(allowed_start, self.transition_prior, 0.0),
            transitions=np.where(allowed, self.transition_prior, 0.0),
            confusions=confusion_pseudo_counts(
                answers.n_tags, self.prior_accuracy, self.prior_strength
            ),
            word=self.word_prior,
        )

        initial = token_em(design, priors.confusions, self.init_iter, self.tol)
        first = chains.at(0)
        following = np.flatnonzero(np.isin(np.arange(answers.n_tokens), first, invert=True))
        expected = Posteriors(
            tokens=initial.probas,
            transitions=initial.probas[following - 1].T @ initial.probas[following],
            starts=initial.probas[first].sum(axis=0),
            log_likelihood=0.0,
        )
        params = self._m_step(design, expected, priors, word_matrix, allowed, allowed_start)
        self.loss_history_ = []
        history = self.loss_history_
        for step in range(self.n_iter + 1):
            log_emissions = _log_emissions(design, params, words)
            expected = chains.forward_backward(log_emissions, params.start, params.transitions)
            history.append(expected.log_likelihood + priors.log_density(params))
            converged = step > 0 and history[-1] - history[-2] < self.tol * answers.n_labels
            if converged or step == self.n_iter:
                break  # the posteriors and the decoding below go with these parameters
            params = self._m_step(design, expected, priors, word_matrix, allowed, allowed_start)

        if self.decoding == "viterbi":
            with np.errstate(divide="ignore"):  # forbidden moves: log 0 = -inf
                codes = chains.viterbi(
                    log_emissions, np.log(params.start), np.log(params.transitions)
                )
        else:
            codes = expected.tokens.argmax(axis=1)
        self._set_result(answers, codes, expected.tokens)
        self._set_parameters(answers, params, expected)
        return self

    def _check(self) -> None:
        check_iterations(self.init_iter, self.tol, name="init_iter")
        if self.n_iter < 0:
            raise InvalidInput(f"n_iter must be 0 or more (e.g. 1); got {self.n_iter}.")
        if self.transition_prior <= 0:
            raise InvalidInput(
                f"transition_prior must be above 0 (e.g. 1.0); got {self.transition_prior}."
            )
        if self.word_prior is not None and self.word_prior <= 0:
            raise InvalidInput(
                f"word_prior must be above 0 (e.g. 1.0), or None to ignore the text; got "
                f"{self.word_prior}."
            )
        if self.decoding not in ("viterbi", "posterior"):
            raise InvalidInput(f"decoding must be 'viterbi' or 'posterior'; got {self.decoding!r}.")

    def _m_step(
        self,
        design: CrowdDesign,
        expected: Posteriors,
        priors: _Priors,
        word_matrix: Any,
        allowed: Any,
        allowed_start: Any,
    ) -> _Parameters:
        start = normalize(np.where(allowed_start, expected.starts + priors.start, 0.0))
        transitions = normalize(np.where(allowed, expected.transitions + priors.transitions, 0.0))
        confusions = confusion_m_step(design, expected.tokens, priors.confusions)
        words = None
        if word_matrix is not None and priors.word is not None:
            counts = np.asarray(word_matrix @ expected.tokens).T  # tags × vocabulary
            words = normalize(counts + priors.word)
        return _Parameters(start, transitions, confusions, words)

    def _set_parameters(
        self, answers: TagAnswers, params: _Parameters, expected: Posteriors
    ) -> None:
        tags = answers.tags
        self.start_ = pd.Series(params.start, index=tags, name="start")
        self.transitions_ = pd.DataFrame(
            params.transitions,
            index=tags.rename(f"previous {TAG}"),
            columns=tags.rename(f"next {TAG}"),
        )
        self.errors_ = errors_frame(answers, params.confusions)
        priors = expected.tokens.mean(axis=0)
        self.skills_ = skills_series(answers, params.confusions, priors)
        self.log_likelihood_ = expected.log_likelihood
        self.n_iter_ = len(self.loss_history_) - 1


def _word_matrix(words: IntArray) -> Any:
    """Sparse ``vocabulary × n_tokens`` incidence of each token's word."""
    n = words.size
    return sparse.csr_matrix((np.ones(n), (words, np.arange(n))), shape=(int(words.max()) + 1, n))


def _log_emissions(design: CrowdDesign, params: _Parameters, words: IntArray | None) -> FloatArray:
    """Each token's log-probability of its workers' tags (and its word) per true tag."""
    log_emissions = design.log_likelihoods(np.log(params.confusions))
    if params.words is not None and words is not None:
        log_emissions += np.log(params.words).T[words]
    return log_emissions
