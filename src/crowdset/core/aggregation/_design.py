"""The sparse answer design shared by the EM models whose per-answer terms depend only on
the (worker, answered label) pair: Dawid–Skene, one-coin Dawid–Skene and MACE."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import sparse

from crowdset.core.aggregation._frames import Answers, FloatArray, IntArray


@dataclass(frozen=True)
class AnswerDesign:
    """Sparse incidence of answers, built once per fit so that each EM step is two products.

    A *pair* is one observed (worker, answered label) combination; ``task_pair[t, p]`` counts
    the answers of task ``t`` that are pair ``p``. Only observed pairs are stored, so memory
    stays ``O(answers)`` even with many workers and labels.
    """

    answers: Answers
    task_pair: Any  # scipy.sparse CSR, n_tasks × n_pairs
    pair_task: Any  # its transpose, CSR
    worker_pair: Any  # CSR, n_workers × n_pairs, 1 where the pair is the worker's
    pair_worker: IntArray
    pair_label: IntArray
    pair_size: FloatArray  # answers per pair

    @classmethod
    def build(cls, answers: Answers) -> AnswerDesign:
        n_labels = answers.n_labels
        pair_ids, pair = np.unique(answers.worker * n_labels + answers.label, return_inverse=True)
        n_pairs = pair_ids.size
        ones = np.ones(answers.n_answers)
        task_pair = sparse.csr_matrix(
            (ones, (answers.task, pair)), shape=(answers.n_tasks, n_pairs)
        )
        pair_worker = (pair_ids // n_labels).astype(np.intp)
        worker_pair = sparse.csr_matrix(
            (np.ones(n_pairs), (pair_worker, np.arange(n_pairs))),
            shape=(answers.n_workers, n_pairs),
        )
        return cls(
            answers=answers,
            task_pair=task_pair,
            pair_task=task_pair.T.tocsr(),
            worker_pair=worker_pair,
            pair_worker=pair_worker,
            pair_label=(pair_ids % n_labels).astype(np.intp),
            pair_size=np.bincount(pair, minlength=n_pairs).astype(np.float64),
        )

    def log_likelihoods(self, log_errors: FloatArray) -> FloatArray:
        """``Σ_answers log e_w[answered, c]`` per task and true label ``c`` (n_tasks × K).

        The likelihood of a task is a product over its answers, which underflows for tasks
        with many answers; its log is a sum, computed as one sparse product. Returned in
        column-major order, where the per-row reductions of the E-step are fastest.
        """
        result: FloatArray = np.asfortranarray(self.task_pair @ log_errors)
        return result

    def confusion_counts(self, probas: FloatArray) -> FloatArray:
        """Expected count of each pair under each true label (n_pairs × K)."""
        result: FloatArray = np.asarray(self.pair_task @ probas)
        return result

    def per_worker_totals(self, per_pair: FloatArray) -> FloatArray:
        """Sum of pair rows per worker (n_workers × K)."""
        result: FloatArray = np.asarray(self.worker_pair @ per_pair)
        return result
