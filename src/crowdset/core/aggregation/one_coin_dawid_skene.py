"""One-coin Dawid–Skene: one accuracy per worker instead of a confusion matrix."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from crowdset.core.aggregation._design import AnswerDesign
from crowdset.core.aggregation._frames import FloatArray
from crowdset.core.aggregation.dawid_skene import EPS, DawidSkene


@dataclass(eq=False)
class OneCoinDawidSkene(DawidSkene):
    """**One-coin Dawid–Skene**: worker ``w`` is right with probability ``s_w``, else picks
    one of the ``K − 1`` wrong labels uniformly: ``e_w[l, c] = s_w`` if ``l = c`` else
    ``(1 − s_w)/(K − 1)``.

    Y. Zhang, X. Chen, D. Zhou and M. I. Jordan, *Spectral Methods Meet EM: A Provably Optimal
    Algorithm for Crowdsourcing*, JMLR 17, 2016 (the one-coin model of its §2).

    EM as in :class:`DawidSkene` (same majority-vote start, ``tol``, ``n_iter`` and objective,
    matching crowd-kit 1.4.2's ``OneCoinDawidSkene``); the M-step sets ``s_w`` to the mean
    posterior probability of the labels ``w`` gave, clipped to ``[1e-10, 1 − 1e-10]``.
    ``skills_`` holds ``s_w``. Gold labels (``fit(data, true_labels)``) are clamped as in
    :class:`DawidSkene`.
    """

    def _m_step(self, design: AnswerDesign, counts: FloatArray) -> FloatArray:
        answers = design.answers
        pairs = np.arange(design.pair_label.size)
        # Σ over a worker's answers of q_t[given label], and their number (rows of q sum to 1)
        given = np.bincount(
            design.pair_worker,
            weights=counts[pairs, design.pair_label],
            minlength=answers.n_workers,
        )
        done = np.bincount(design.pair_worker, weights=counts.sum(axis=1), minlength=given.size)
        skills = given / done
        skill = skills[design.pair_worker]
        wrong = (1.0 - skill) / max(answers.n_labels - 1, 1)
        errors = np.repeat(wrong[:, np.newaxis], answers.n_labels, axis=1)
        errors[pairs, design.pair_label] = skill
        clipped: FloatArray = np.clip(errors, EPS, 1.0 - EPS)
        return clipped

    def _skills(
        self, design: AnswerDesign, errors: FloatArray, priors: FloatArray
    ) -> pd.Series[float]:
        diagonal = errors[np.arange(design.pair_label.size), design.pair_label]
        pairs = np.bincount(design.pair_worker, minlength=design.answers.n_workers)
        skills = np.bincount(design.pair_worker, weights=diagonal, minlength=pairs.size) / pairs
        return pd.Series(skills, index=design.answers.workers, name="skill")
