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
        """The incidence matrices in ``O(answers)``: no sort of the answers, no COO step.

        At millions of answers the products of each EM step dominate a fit, and they are bound
        by memory, not arithmetic: the matrices are built once, the transpose is a view.
        """
        n_labels, n_answers = answers.n_labels, answers.n_answers
        pair_ids, pair = _pair_codes(answers.worker * n_labels + answers.label, answers)
        n_pairs = pair_ids.size
        order = _task_order(answers.task)
        indptr = np.zeros(answers.n_tasks + 1, dtype=np.int64)
        np.cumsum(np.bincount(answers.task, minlength=answers.n_tasks), out=indptr[1:])
        index_type = np.int32 if max(n_pairs, n_answers) < 2**31 else np.int64
        indices = (pair if order is None else pair[order]).astype(index_type)
        task_pair = sparse.csr_matrix(
            (np.ones(n_answers), indices, indptr.astype(index_type)),
            shape=(answers.n_tasks, n_pairs),
        )
        pair_worker = (pair_ids // n_labels).astype(np.intp)
        worker_start = np.zeros(answers.n_workers + 1, dtype=np.int64)
        np.cumsum(np.bincount(pair_worker, minlength=answers.n_workers), out=worker_start[1:])
        worker_pair = sparse.csr_matrix(  # pairs are numbered in worker order
            (np.ones(n_pairs), np.arange(n_pairs), worker_start),
            shape=(answers.n_workers, n_pairs),
        )
        return cls(
            answers=answers,
            task_pair=task_pair,
            pair_task=task_pair.T,  # CSC: the product scatters by pair, reading tasks in order
            worker_pair=worker_pair,
            pair_worker=pair_worker,
            pair_label=(pair_ids % n_labels).astype(np.intp),
            pair_size=np.bincount(pair, minlength=n_pairs).astype(np.float64),
        )

    def log_likelihoods(self, log_errors: FloatArray, out: FloatArray | None = None) -> FloatArray:
        """``Σ_answers log e_w[answered, c]`` per task and true label ``c`` (n_tasks × K).

        The likelihood of a task is a product over its answers, which underflows for tasks
        with many answers; its log is a sum, computed as sparse products. Returned in
        column-major order, where the per-row reductions of the E-step are fastest; written
        into ``out`` (column-major, n_tasks × K) when given.
        """
        return _columnwise(self.task_pair, log_errors, out)

    def confusion_counts(self, probas: FloatArray) -> FloatArray:
        """Expected count of each pair under each true label (n_pairs × K, column-major)."""
        return _columnwise(self.pair_task, probas)

    def per_worker_totals(self, per_pair: FloatArray) -> FloatArray:
        """Sum of pair rows per worker (n_workers × K)."""
        result: FloatArray = np.asarray(self.worker_pair @ per_pair)
        return result


def _pair_codes(keys: IntArray, answers: Answers) -> tuple[IntArray, IntArray]:
    """The observed ``worker · n_labels + label`` keys, sorted, and each answer's index in them.

    ``np.unique`` sorts every answer (superlinear); the keys are bounded integers, so a table
    of flags over their range gives the same codes in linear time when that range is not much
    larger than the answers.
    """
    size = answers.n_workers * answers.n_labels
    if size > 8 * keys.size + 1024:
        ids, inverse = np.unique(keys, return_inverse=True)
        return ids, inverse.astype(np.intp, copy=False)
    present = np.zeros(size, dtype=bool)
    present[keys] = True
    ids = np.flatnonzero(present)
    code = np.cumsum(present, dtype=np.intp) - 1
    return ids, code[keys]


def _task_order(task: IntArray) -> IntArray | None:
    """The answers in task order (stable), or None when they already are."""
    if task.size < 2 or bool((task[1:] >= task[:-1]).all()):
        return None
    order: IntArray = np.argsort(task, kind="stable")
    return order


def _columnwise(matrix: Any, dense: FloatArray, out: FloatArray | None = None) -> FloatArray:
    """``matrix @ dense`` one column at a time, returned in column-major order.

    With millions of answers the dense operand outgrows the CPU caches and each product waits
    on memory: a column of it is 1/K of the size, and a K-column product (scipy's
    ``csr_matvecs``) took twice as long as K one-column products at 5 million answers.
    """
    result = np.empty((dense.shape[1], matrix.shape[0])) if out is None else out.T
    for column in range(dense.shape[1]):
        result[column] = matrix @ np.ascontiguousarray(dense[:, column])
    transposed: FloatArray = result.T
    return transposed
