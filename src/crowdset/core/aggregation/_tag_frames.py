"""Tag frames: crowd BIO sequences as integer codes, and the shape every span aggregator shares.

A tag frame has one row per (sequence, worker) with the columns ``sequence`` (any hashable id),
``worker`` and ``tags`` (the worker's BIO tag for every token of the sequence, a list). Every
row of a sequence has as many tags as the sequence has tokens. Tags are factorised once over
all tokens of all sequences, so the models work on flat NumPy arrays: one row per token
(sequences one after another) and one entry per (token, worker) label.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Self

import numpy as np
import pandas as pd
from scipy import sparse

from crowdset.core.aggregation._frames import (
    FloatArray,
    IntArray,
    factorize,
    require_columns,
)
from crowdset.core.aggregation.sequences import (
    Span,
    bio_tags,
    repair_bio,
    split_tag,
    tags_to_spans,
)
from crowdset.errors import InvalidInput

SEQUENCE = "sequence"
WORKER = "worker"
TAGS = "tags"
POSITION = "position"
TAG = "tag"
TAG_COLUMNS: tuple[str, str, str] = (SEQUENCE, WORKER, TAGS)
EPS = 1e-300  # floor of probabilities before a log


@dataclass(frozen=True)
class TagAnswers:
    """Crowd tag sequences as codes.

    Tokens are numbered over all sequences, sequence ``s`` holding tokens ``offsets[s]`` to
    ``offsets[s] + lengths[s]``; label ``i`` says that ``worker[i]`` gave tag ``tag[i]`` to
    token ``token[i]``. ``tags`` is ``O`` then ``B-X, I-X`` per type, sorted; ``sequences`` and
    ``workers`` keep the order of first appearance. ``words`` (optional) is each token's code
    in ``vocabulary``, for models that read the text.
    """

    lengths: IntArray
    token: IntArray
    worker: IntArray
    tag: IntArray
    sequences: pd.Index[Any]
    workers: pd.Index[Any]
    tags: pd.Index[Any]
    words: IntArray | None = None
    vocabulary: pd.Index[Any] | None = None

    @property
    def offsets(self) -> IntArray:
        offsets: IntArray = np.concatenate([[0], np.cumsum(self.lengths)[:-1]]).astype(np.intp)
        return offsets

    @property
    def n_tokens(self) -> int:
        return int(self.lengths.sum())

    @property
    def n_sequences(self) -> int:
        return len(self.sequences)

    @property
    def n_workers(self) -> int:
        return len(self.workers)

    @property
    def n_tags(self) -> int:
        return len(self.tags)

    @property
    def n_labels(self) -> int:
        return int(self.token.size)


TagData = pd.DataFrame | TagAnswers
"""What a span aggregator fits on: a ``sequence, worker, tags`` frame, or its codes."""


def encode_tags(data: object, tokens: pd.Series[Any] | None = None) -> TagAnswers:
    """Validate a tag frame and factorise it; ``tokens`` (sequence → list of token strings)
    adds the words.

    Raises ``InvalidInput`` for a missing column, an empty frame or cell, a ``tags`` cell that
    is not a list of BIO tags, rows of one sequence with different lengths, or a worker who
    tagged a sequence twice.
    """
    if isinstance(data, TagAnswers):
        if data.n_labels == 0:
            raise InvalidInput("tag answers have no rows: there is nothing to aggregate.")
        return data if tokens is None else _with_words(data, tokens)
    frame = require_columns(data, TAG_COLUMNS, what="tags")
    sequence, sequences = factorize(frame[SEQUENCE], sort=False)
    worker, workers = factorize(frame[WORKER], sort=False)
    pairs = sequence.astype(np.int64) * max(len(workers), 1) + worker
    if np.unique(pairs).size != pairs.size:
        seen = pd.Series(pairs).duplicated().to_numpy()
        first = int(np.flatnonzero(seen)[0])
        raise InvalidInput(
            f"worker {workers[worker[first]]!r} tagged sequence {sequences[sequence[first]]!r} "
            f"more than once (index {frame.index[first]!r}); keep one row per sequence and "
            "worker.",
            sequence=str(sequences[sequence[first]]),
        )
    rows = frame[TAGS].tolist()
    row_lengths = np.empty(len(rows), dtype=np.intp)
    for i, row in enumerate(rows):
        if isinstance(row, str) or not isinstance(row, Sequence | np.ndarray):
            raise InvalidInput(
                f"tags must be a list of BIO tags per row; index {frame.index[i]!r} has "
                f"{type(row).__name__} {row!r}.",
            )
        row_lengths[i] = len(row)
    lengths = np.zeros(len(sequences), dtype=np.intp)
    lengths[sequence] = row_lengths
    bad = lengths[sequence] != row_lengths
    if bad.any() or (row_lengths == 0).any():
        first = int(np.flatnonzero(bad | (row_lengths == 0))[0])
        name = sequences[sequence[first]]
        raise InvalidInput(
            f"the rows of sequence {name!r} have different numbers of tags (index "
            f"{frame.index[first]!r} has {row_lengths[first]}); every worker tags every token, "
            "and a sequence has at least one token.",
            sequence=str(name),
        )
    flat = pd.Index(np.concatenate([np.asarray(row, dtype=object) for row in rows]))
    distinct = flat.unique()
    types: list[str] = []
    for tag in distinct:
        if not isinstance(tag, str):
            raise InvalidInput(f"tags must be strings; found {tag!r}.")
        types.append(split_tag(tag)[1])
    tags = pd.Index(bio_tags(kind for kind in types if kind), name=TAG)
    offsets = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.intp)
    token = np.repeat(offsets[sequence], row_lengths) + _ranges(row_lengths)
    answers = TagAnswers(
        lengths=lengths,
        token=token.astype(np.intp),
        worker=np.repeat(worker, row_lengths).astype(np.intp),
        tag=tags.get_indexer(flat).astype(np.intp),
        sequences=sequences.rename(SEQUENCE),
        workers=workers.rename(WORKER),
        tags=tags,
    )
    return answers if tokens is None else _with_words(answers, tokens)


def _ranges(lengths: IntArray) -> IntArray:
    """``0..n-1`` for each ``n`` of ``lengths``, concatenated."""
    ends = np.cumsum(lengths)
    positions: IntArray = np.arange(int(ends[-1]) if ends.size else 0) - np.repeat(
        ends - lengths, lengths
    )
    return positions


def _with_words(answers: TagAnswers, tokens: pd.Series[Any]) -> TagAnswers:
    """``answers`` with each token's word code, from ``tokens``: sequence → token strings."""
    if not isinstance(tokens, pd.Series):
        raise InvalidInput(
            f"tokens must be a pandas Series sequence → list of token strings; got "
            f"{type(tokens).__name__}."
        )
    aligned = tokens.reindex(answers.sequences)
    words: list[Any] = []
    for name, row, length in zip(answers.sequences, aligned, answers.lengths, strict=True):
        if not isinstance(row, Sequence | np.ndarray) or len(row) != length:
            got = "none" if not isinstance(row, Sequence | np.ndarray) else f"{len(row)}"
            raise InvalidInput(
                f"sequence {name!r} has {length} tags per worker but {got} tokens; give "
                "every sequence its tokens, one per tag.",
                sequence=str(name),
            )
        words.extend(row)
    codes, vocabulary = factorize(pd.Series(words, dtype=object), sort=False)
    return TagAnswers(
        lengths=answers.lengths,
        token=answers.token,
        worker=answers.worker,
        tag=answers.tag,
        sequences=answers.sequences,
        workers=answers.workers,
        tags=answers.tags,
        words=codes,
        vocabulary=vocabulary,
    )


def vote_counts(answers: TagAnswers) -> FloatArray:
    """Each tag's number of votes per token: ``n_tokens × n_tags``."""
    cell = answers.token * answers.n_tags + answers.tag
    counts = np.bincount(cell, minlength=answers.n_tokens * answers.n_tags)
    shaped: FloatArray = counts.astype(np.float64).reshape(answers.n_tokens, answers.n_tags)
    return shaped


def confusion_pseudo_counts(n_tags: int, accuracy: float, strength: float) -> FloatArray:
    """Dirichlet pseudo-counts of a worker's confusion matrix ``[true, answered]``: per true
    tag, ``strength`` virtual answers, ``accuracy`` of them correct, the rest spread evenly."""
    if not 0.0 < accuracy < 1.0:
        raise InvalidInput(f"prior_accuracy must be between 0 and 1 (e.g. 0.9); got {accuracy}.")
    if strength <= 0.0:
        raise InvalidInput(f"prior_strength must be above 0 (e.g. 1.0); got {strength}.")
    if n_tags == 1:
        return np.full((1, 1), strength)
    off = strength * (1.0 - accuracy) / (n_tags - 1)
    counts = np.full((n_tags, n_tags), off)
    np.fill_diagonal(counts, strength * accuracy)
    return counts


@dataclass(frozen=True)
class CrowdDesign:
    """Sparse incidence matrices for the two sums every confusion model makes, as one sparse
    product each instead of a loop: per token, the sum over its labels; per (worker, answered
    tag), the sum over that worker's labels."""

    answers: TagAnswers
    by_token: Any  # scipy CSR, n_tokens × n_labels
    by_pair: Any  # scipy CSR, (n_workers · n_tags) × n_labels

    @classmethod
    def build(cls, answers: TagAnswers) -> CrowdDesign:
        n = answers.n_labels
        ones = np.ones(n)
        labels = np.arange(n)
        by_token = sparse.csr_matrix((ones, (answers.token, labels)), shape=(answers.n_tokens, n))
        pair = answers.worker * answers.n_tags + answers.tag
        by_pair = sparse.csr_matrix(
            (ones, (pair, labels)), shape=(answers.n_workers * answers.n_tags, n)
        )
        return cls(answers, by_token, by_pair)

    def log_likelihoods(self, log_confusions: FloatArray) -> FloatArray:
        """``Σ_{labels of token t} log e_w[k, answered]`` for each token ``t`` and true tag
        ``k``; ``log_confusions`` is ``n_workers × true × answered``."""
        a = self.answers
        per_label = log_confusions[a.worker, :, a.tag]  # n_labels × n_tags
        summed: FloatArray = np.asarray(self.by_token @ per_label)
        return summed

    def confusion_counts(self, probas: FloatArray) -> FloatArray:
        """Expected counts ``Σ_{labels of w answering l} q_t[k]``: ``n_workers × true ×
        answered`` from token posteriors ``probas`` (``n_tokens × n_tags``)."""
        a = self.answers
        per_pair = np.asarray(self.by_pair @ probas[a.token])  # (w, answered) × true
        counts: FloatArray = per_pair.reshape(a.n_workers, a.n_tags, a.n_tags).transpose(0, 2, 1)
        return counts


def normalize(counts: FloatArray, axis: int = -1) -> FloatArray:
    """``counts`` divided by their sums along ``axis`` (rows of zeros stay zeros)."""
    totals = counts.sum(axis=axis, keepdims=True)
    result: FloatArray = counts / np.where(totals > 0, totals, 1.0)
    return result


def log_dirichlet(pseudo: FloatArray, probabilities: FloatArray) -> float:
    """``Σ pseudo · log p``: the log-density of the Dirichlet prior whose pseudo-counts are
    ``pseudo``, up to a constant (what MAP-EM adds to the log-likelihood it increases)."""
    mask = pseudo > 0
    return float((pseudo[mask] * np.log(np.maximum(probabilities[mask], EPS))).sum())


class SpanAggregator(ABC):
    """Infers one valid BIO tag sequence per sequence from crowd tag sequences.

    Fitted attributes: ``tags_`` (Series, index ``sequence``: the list of tags, valid BIO),
    ``spans_`` (Series, index ``sequence``: its token spans ``(start, end, label)``, end
    exclusive), ``probas_`` (DataFrame, index ``(sequence, position)``, one column per tag:
    each token's posterior) and ``confidences_`` (Series, same index: the posterior of the tag
    chosen for the token).
    """

    tags_: pd.Series[Any]
    spans_: pd.Series[Any]
    probas_: pd.DataFrame
    confidences_: pd.Series[float]

    @abstractmethod
    def fit(self, data: TagData, tokens: pd.Series[Any] | None = None) -> Self:
        """Learn from a tag frame with columns ``sequence, worker, tags``; ``tokens``
        (sequence → list of token strings) is read by the models that use the words."""

    def fit_predict(self, data: TagData, tokens: pd.Series[Any] | None = None) -> pd.Series[Any]:
        """Fit, then return ``tags_``: the inferred tags per sequence."""
        return self.fit(data, tokens).tags_

    def _set_result(self, answers: TagAnswers, codes: IntArray, probas: FloatArray) -> None:
        """Store the decoded tag ``codes`` (one per token; repaired to valid BIO) and the
        token posteriors."""
        names = np.asarray(answers.tags, dtype=object)
        sequence_of_token = np.repeat(np.arange(answers.n_sequences), answers.lengths)
        index = pd.MultiIndex.from_arrays(
            [answers.sequences.take(sequence_of_token), _ranges(answers.lengths)],
            names=[SEQUENCE, POSITION],
        )
        tag_lists: list[list[str]] = []
        for start, length in zip(answers.offsets, answers.lengths, strict=True):
            tag_lists.append(repair_bio(names[codes[start : start + length]].tolist()))
        repaired = answers.tags.get_indexer(
            pd.Index([tag for tags in tag_lists for tag in tags], dtype=object)
        )
        chosen = probas[np.arange(answers.n_tokens), repaired]
        self.tags_ = pd.Series(tag_lists, index=answers.sequences, name=TAGS, dtype=object)
        spans: list[list[Span]] = [tags_to_spans(tags) for tags in tag_lists]
        self.spans_ = pd.Series(spans, index=answers.sequences, name="spans", dtype=object)
        self.probas_ = pd.DataFrame(probas, index=index, columns=answers.tags)
        self.confidences_ = pd.Series(chosen, index=index, name="confidence")
