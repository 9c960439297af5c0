"""Linear-chain inference over many sequences at once: forward–backward and Viterbi.

Sequences are stored one after another (token ``offsets[s] + t`` is position ``t`` of sequence
``s``). Sorted from the longest down, the sequences still running at position ``t`` are a
prefix of that order, so each step is one vectorised operation over them and the Python loop
runs over positions (the longest sequence's length), never over sequences.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from crowdset.core.aggregation._frames import FloatArray, IntArray


@dataclass(frozen=True)
class Posteriors:
    """What forward–backward gives: ``tokens`` (each token's posterior over states),
    ``transitions`` (expected count of each ``[previous, next]`` pair), ``starts`` (expected
    count of each first state) and ``log_likelihood`` of the observations."""

    tokens: FloatArray
    transitions: FloatArray
    starts: FloatArray
    log_likelihood: float


@dataclass(frozen=True)
class Chains:
    """The position-major schedule of a set of sequences of ``lengths``."""

    offsets: IntArray  # first token of each sequence, longest sequence first
    running: IntArray  # running[t]: how many sequences have a position t
    n_tokens: int

    @classmethod
    def build(cls, lengths: IntArray) -> Chains:
        order = np.argsort(-lengths, kind="stable")
        offsets = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.intp)[order]
        longest = int(lengths.max())
        at_most = np.cumsum(np.bincount(lengths, minlength=longest + 1))  # lengths ≤ t
        running = (lengths.size - at_most[:longest]).astype(np.intp)
        return cls(offsets=offsets, running=running, n_tokens=int(lengths.sum()))

    def at(self, t: int) -> IntArray:
        """Tokens at position ``t`` of the sequences running there (longest first)."""
        tokens: IntArray = self.offsets[: self.running[t]] + t
        return tokens

    def forward_backward(
        self, log_emissions: FloatArray, start: FloatArray, transitions: FloatArray
    ) -> Posteriors:
        """Posteriors of an HMM with initial probabilities ``start`` and ``transitions``
        ``[previous, next]``, given each token's log-emission per state.

        Rabiner's scaled recursions (*A Tutorial on Hidden Markov Models*, Proc. IEEE 77(2),
        1989): ``alpha`` is normalised at every position, and the log-likelihood is the sum of
        the logs of the normalisers. Emissions are shifted by their maximum per token before
        ``exp`` (a token seen by many workers has a likelihood far below the smallest float).
        """
        shift = log_emissions.max(axis=1, keepdims=True)
        emit = np.exp(log_emissions - shift)
        alpha = np.empty_like(emit)
        log_scale = float(shift.sum())
        first = self.at(0)
        scores = start * emit[first]
        norms = scores.sum(axis=1, keepdims=True)
        alpha[first] = scores / norms
        log_scale += float(np.log(norms).sum())
        for t in range(1, self.running.size):
            now = self.at(t)
            scores = (alpha[now - 1] @ transitions) * emit[now]
            norms = scores.sum(axis=1, keepdims=True)
            alpha[now] = scores / norms
            log_scale += float(np.log(norms).sum())

        beta = np.ones_like(emit)
        pairs = np.zeros_like(transitions)
        for t in range(self.running.size - 1, 0, -1):
            now = self.at(t)
            weighted = emit[now] * beta[now]
            back = weighted @ transitions.T  # Σ_next transitions[previous, next] · weighted
            before = alpha[now - 1]
            norms = (before * back).sum(axis=1, keepdims=True)
            # pair posteriors: alpha[t-1](i) · A(i, j) · e_t(j) β_t(j), normalised per sequence
            pairs += transitions * ((before / norms).T @ weighted)
            beta[now - 1] = back / norms
        tokens = alpha * beta
        tokens /= tokens.sum(axis=1, keepdims=True)
        return Posteriors(tokens, pairs, tokens[first].sum(axis=0), log_scale)

    def viterbi(
        self, log_emissions: FloatArray, log_start: FloatArray, log_transitions: FloatArray
    ) -> IntArray:
        """The most probable state of each token, jointly per sequence (ties: lowest state).

        ``log_start`` and ``log_transitions`` may hold ``-inf`` for forbidden states and
        moves; the path avoids them whenever any path does.
        """
        n_states = log_start.size
        first = self.at(0)
        delta = log_start + log_emissions[first]  # longest first, one row per sequence
        back = np.zeros((self.n_tokens, n_states), dtype=np.intp)
        for t in range(1, self.running.size):
            now = self.at(t)
            scores = delta[: now.size, :, np.newaxis] + log_transitions[np.newaxis]
            best = scores.argmax(axis=1)
            back[now] = best
            delta[: now.size] = (
                np.take_along_axis(scores, best[:, np.newaxis, :], axis=1)[:, 0, :]
                + log_emissions[now]
            )
        path = np.empty(self.n_tokens, dtype=np.intp)
        state = np.zeros(first.size, dtype=np.intp)
        running = [*self.running.tolist(), 0]
        for t in range(self.running.size - 1, -1, -1):
            now = self.at(t)
            ending = slice(running[t + 1], running[t])  # sequences whose last position is t
            state[ending] = delta[ending].argmax(axis=1)
            path[now] = state[: now.size]
            if t:
                state[: now.size] = back[now, state[: now.size]]
        return path
