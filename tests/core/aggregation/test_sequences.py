"""Span aggregation: BIO ↔ spans, entity F1, chain inference, and the three span aggregators on
synthetic crowds of good, noisy and spamming workers."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crowdset.aggregation import (
    HMMCrowd,
    Span,
    SpanAggregator,
    SpanMajorityVote,
    TokenDawidSkene,
    encode_tags,
    entity_f1,
    repair_bio,
    spans_to_tags,
    tags_to_spans,
    token_spans_to_chars,
    tokenize,
)
from crowdset.core.aggregation._chains import Chains
from crowdset.core.aggregation.sequences import allowed_transitions, bio_tags, is_valid_bio
from crowdset.errors import InvalidInput

FAST = settings(max_examples=40, deadline=None)
TYPES = ("LOC", "PER")
TAGS = bio_tags(TYPES)  # O, B-LOC, I-LOC, B-PER, I-PER
MODELS: dict[str, Callable[[], SpanAggregator]] = {
    "span-mv": SpanMajorityVote,
    "token-ds": TokenDawidSkene,
    "hmm": HMMCrowd,
    "hmm-posterior": lambda: HMMCrowd(decoding="posterior"),
}

any_tags = st.lists(st.sampled_from(TAGS), min_size=1, max_size=12)


@st.composite
def valid_bio(draw: st.DrawFn) -> list[str]:
    return repair_bio(draw(any_tags))


# --- tokens, spans and tags ---------------------------------------------------------------


def test_tokenize_whitespace_and_words() -> None:
    text = "Ann lives in New York."
    assert tokenize(text) == [(0, 3), (4, 9), (10, 12), (13, 16), (17, 22)]
    assert tokenize(text, "words")[-2:] == [(17, 21), (21, 22)]  # "York", "."
    assert tokenize("   ") == []


@pytest.mark.parametrize(
    ("tags", "spans"),
    [
        (["O", "B-PER", "I-PER", "O"], [Span(1, 3, "PER")]),
        (["B-PER", "B-PER"], [Span(0, 1, "PER"), Span(1, 2, "PER")]),
        (["I-PER", "I-PER", "O"], [Span(0, 2, "PER")]),  # conlleval: I after O starts a span
        (["B-PER", "I-LOC"], [Span(0, 1, "PER"), Span(1, 2, "LOC")]),
        (["O", "O"], []),
        (["B-LOC", "I-LOC"], [Span(0, 2, "LOC")]),  # a span may end the sequence
    ],
    ids=["inside", "adjacent", "i-after-o", "i-of-other-type", "none", "at-end"],
)
def test_tags_to_spans(tags: list[str], spans: list[Span]) -> None:
    assert tags_to_spans(tags) == spans


def test_bad_tag_is_named() -> None:
    with pytest.raises(InvalidInput, match="'X-PER' is not a BIO tag"):
        tags_to_spans(["O", "X-PER"])


@given(valid_bio())
@FAST
def test_tags_spans_chars_round_trip(tags: list[str]) -> None:
    text = " ".join(f"w{i}" for i in range(len(tags)))
    bounds = tokenize(text)
    chars = token_spans_to_chars(tags_to_spans(tags), bounds)
    assert spans_to_tags(chars, bounds) == tags


@given(any_tags)
@FAST
def test_repair_keeps_the_spans_and_makes_valid_bio(tags: list[str]) -> None:
    repaired = repair_bio(tags)
    assert is_valid_bio(repaired)
    assert tags_to_spans(repaired) == tags_to_spans(tags)
    assert repair_bio(repaired) == repaired


def test_spans_are_widened_to_whole_tokens() -> None:
    bounds = tokenize("Ann lives in New York.")
    assert spans_to_tags([Span(1, 2, "PER"), Span(14, 19, "LOC")], bounds) == [
        "B-PER", "O", "O", "B-LOC", "I-LOC",
    ]  # fmt: skip
    assert spans_to_tags([Span(3, 4, "PER")], bounds) == ["O"] * 5  # only a space: dropped


def test_overlapping_spans_are_an_error_or_merged() -> None:
    bounds = tokenize("a b c d")
    overlapping = [Span(0, 3, "X"), Span(2, 5, "X")]
    with pytest.raises(InvalidInput, match=r"spans \(0, 3, 'X'\) and \(2, 5, 'X'\) overlap"):
        spans_to_tags(overlapping, bounds)
    assert spans_to_tags(overlapping, bounds, merge_overlaps=True) == ["B-X", "I-X", "I-X", "O"]
    with pytest.raises(InvalidInput, match="have different labels but share a token"):
        spans_to_tags([Span(0, 3, "X"), Span(2, 5, "Y")], bounds, merge_overlaps=True)
    # no shared character, but one token after widening: one span
    assert spans_to_tags([Span(0, 1, "X"), Span(2, 3, "X")], tokenize("ab cd")) == ["B-X", "O"]


@pytest.mark.parametrize(
    ("gold", "predicted", "expected"),
    [
        ([[Span(0, 2, "PER")]], [[Span(0, 2, "PER")]], (1.0, 1.0, 1.0)),
        ([[Span(0, 2, "PER")]], [[Span(0, 1, "PER")]], (0.0, 0.0, 0.0)),  # boundary
        ([[Span(0, 2, "PER")]], [[Span(0, 2, "LOC")]], (0.0, 0.0, 0.0)),  # type
        (
            [[Span(0, 1, "PER"), Span(3, 5, "LOC")], [Span(0, 1, "LOC")]],
            [[Span(0, 1, "PER")], [Span(0, 1, "LOC"), Span(2, 3, "PER")]],
            (2 / 3, 2 / 3, 2 / 3),
        ),
        ([[]], [[]], (0.0, 0.0, 0.0)),
    ],
    ids=["exact", "wrong-boundary", "wrong-type", "micro-average", "empty"],
)
def test_entity_f1(
    gold: list[list[Span]], predicted: list[list[Span]], expected: tuple[float, ...]
) -> None:
    scores = entity_f1(gold, predicted)
    assert (scores.precision, scores.recall, scores.f1) == pytest.approx(expected)


def test_entity_f1_counts_and_misaligned_input() -> None:
    scores = entity_f1([[Span(0, 1, "A"), Span(2, 3, "A")]], [[Span(0, 1, "A"), Span(5, 6, "A")]])
    assert (scores.true_positives, scores.false_positives, scores.false_negatives) == (1, 1, 1)
    with pytest.raises(InvalidInput, match="gold has 1 sequences but predicted has 0"):
        entity_f1([[]], [])


def test_allowed_transitions_forbid_inside_without_begin() -> None:
    allowed, start = allowed_transitions(TAGS)
    names = {tag: i for i, tag in enumerate(TAGS)}
    assert not start[names["I-PER"]] and start[names["B-PER"]] and start[names["O"]]
    assert allowed[names["B-PER"], names["I-PER"]] and allowed[names["I-PER"], names["I-PER"]]
    assert not allowed[names["O"], names["I-PER"]]
    assert not allowed[names["B-LOC"], names["I-PER"]]


# --- chain inference against brute force --------------------------------------------------


def _brute_force(
    emissions: np.ndarray, start: np.ndarray, transitions: np.ndarray
) -> tuple[np.ndarray, float, tuple[int, ...]]:
    """Token posteriors, log-likelihood and best path of one sequence, by enumeration."""
    length, k = emissions.shape
    posteriors = np.zeros((length, k))
    total, best = 0.0, -1.0
    best_path: tuple[int, ...] = ()
    for path in itertools.product(range(k), repeat=length):
        p = start[path[0]] * emissions[0, path[0]]
        for t in range(1, length):
            p *= transitions[path[t - 1], path[t]] * emissions[t, path[t]]
        total += p
        posteriors[np.arange(length), path] += p
        if p > best:
            best, best_path = p, path
    return posteriors / total, float(np.log(total)), best_path


def test_forward_backward_and_viterbi_match_enumeration() -> None:
    rng = np.random.default_rng(3)
    lengths = np.array([3, 1, 5, 4])
    k = 3
    emissions = rng.uniform(0.05, 1.0, (int(lengths.sum()), k))
    start = rng.dirichlet(np.ones(k))
    transitions = rng.dirichlet(np.ones(k), size=k)
    transitions[0, 2] = 0.0  # a forbidden move
    transitions /= transitions.sum(axis=1, keepdims=True)
    chains = Chains.build(lengths)
    found = chains.forward_backward(np.log(emissions), start, transitions)
    with np.errstate(divide="ignore"):
        path = chains.viterbi(np.log(emissions), np.log(start), np.log(transitions))
    log_likelihood = 0.0
    offsets = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    for offset, length in zip(offsets, lengths, strict=True):
        rows = slice(offset, offset + length)
        posteriors, log_p, best = _brute_force(emissions[rows], start, transitions)
        np.testing.assert_allclose(found.tokens[rows], posteriors, atol=1e-12)
        assert tuple(path[rows]) == best
        log_likelihood += log_p
    assert found.log_likelihood == pytest.approx(log_likelihood)
    assert found.transitions.sum() == pytest.approx(float((lengths - 1).sum()))
    assert found.transitions[0, 2] == 0.0


# --- tag frames -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([("s", "a", ["O", "B-X"]), ("s", "b", ["O"])], "different numbers of tags"),
        ([("s", "a", ["O"]), ("s", "a", ["O"])], "tagged sequence 's' more than once"),
        ([("s", "a", ["O", "PER"])], "'PER' is not a BIO tag"),
        ([("s", "a", "O B-X")], "tags must be a list of BIO tags"),
        ([("s", "a", [])], "at least one token"),
    ],
    ids=["lengths", "twice", "bad-tag", "string", "empty"],
)
def test_bad_tag_frames_are_explained(rows: list[tuple[Any, ...]], message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        encode_tags(pd.DataFrame(rows, columns=["sequence", "worker", "tags"]))


def test_missing_column_is_named() -> None:
    with pytest.raises(InvalidInput, match="missing column"):
        encode_tags(pd.DataFrame({"sequence": ["s"], "worker": ["a"]}))


# --- synthetic crowds -----------------------------------------------------------------------


def _truth(rng: np.random.Generator, n: int) -> list[list[str]]:
    """Sentences of 6–15 tokens; an entity of 1–3 tokens starts at a free token w.p. 0.15."""
    sentences = []
    for _ in range(n):
        tags: list[str] = []
        length = int(rng.integers(6, 16))
        while len(tags) < length:
            if rng.random() < 0.15:
                kind = str(rng.choice(TYPES))
                size = int(rng.integers(1, 4))
                tags += ["B-" + kind] + ["I-" + kind] * (size - 1)
            else:
                tags.append("O")
        sentences.append(tags[:length])
    return sentences


def simulate(
    seed: int, *, n: int = 150, good: int = 4, noisy: int = 4, spammers: int = 4, per: int = 5
) -> tuple[pd.DataFrame, list[list[str]]]:
    """A crowd of ``good`` workers (each token right w.p. 0.9), ``noisy`` ones (0.65) and
    ``spammers`` (a random tag for every token, ``O`` half the time); every sentence is tagged
    by ``per`` workers drawn at random. Wrong tags are drawn uniformly among the others."""
    rng = np.random.default_rng(seed)
    accuracy = [0.9] * good + [0.65] * noisy + [0.0] * spammers
    truth = _truth(rng, n)
    rows = []
    for s, tags in enumerate(truth):
        for w in rng.choice(len(accuracy), size=per, replace=False):
            given_tags = []
            for tag in tags:
                if accuracy[w] == 0.0:
                    given_tags.append("O" if rng.random() < 0.5 else str(rng.choice(TAGS[1:])))
                elif rng.random() < accuracy[w]:
                    given_tags.append(tag)
                else:
                    given_tags.append(str(rng.choice([t for t in TAGS if t != tag])))
            rows.append((f"s{s}", f"w{w}", given_tags))
    return pd.DataFrame(rows, columns=["sequence", "worker", "tags"]), truth


def _f1(model: SpanAggregator, truth: list[list[str]]) -> float:
    predicted = [model.spans_[f"s{s}"] for s in range(len(truth))]
    return entity_f1([tags_to_spans(t) for t in truth], predicted).f1


def _accuracy(model: SpanAggregator, truth: list[list[str]]) -> float:
    predicted = np.concatenate([model.tags_[f"s{s}"] for s in range(len(truth))])
    return float((predicted == np.concatenate(truth)).mean())


@pytest.mark.parametrize("name", ["token-ds", "hmm"])
def test_recovers_the_truth_from_a_mixed_crowd(name: str) -> None:
    data, truth = simulate(0)
    model = MODELS[name]().fit(data)
    assert _accuracy(model, truth) > 0.93
    assert _f1(model, truth) > 0.7
    skills = model.skills_  # type: ignore[attr-defined]
    good, spammer = skills[[f"w{i}" for i in range(4)]], skills[[f"w{i}" for i in range(8, 12)]]
    assert good.min() > spammer.max()


def test_hmm_beats_token_ds_when_errors_ignore_the_order() -> None:
    # workers err token by token while true spans are contiguous: the chain knows better
    data, truth = simulate(0)
    assert _f1(HMMCrowd().fit(data), truth) > _f1(TokenDawidSkene().fit(data), truth) + 0.05


@pytest.mark.parametrize("name", ["token-ds", "hmm"])
def test_beats_majority_vote_when_spammers_are_many(name: str) -> None:
    data, truth = simulate(1, good=3, noisy=2, spammers=9, per=6)
    vote = _f1(SpanMajorityVote().fit(data), truth)
    assert _f1(MODELS[name]().fit(data), truth) > vote + 0.1


def test_hmm_uses_the_words() -> None:
    data, truth = simulate(2, good=2, noisy=6, spammers=4)
    words = pd.Series(
        {f"s{s}": [t if t == "O" else f"Name{s}" for t in tags] for s, tags in enumerate(truth)}
    )
    words = words.map(lambda ws: ["the" if w == "O" else w for w in ws])
    with_words = HMMCrowd().fit(data, words)
    assert with_words.spans_.index.equals(pd.Index([f"s{s}" for s in range(len(truth))]))
    assert _f1(with_words, truth) >= _f1(HMMCrowd(word_prior=None).fit(data), truth)


@pytest.mark.parametrize(
    "model", [TokenDawidSkene(), HMMCrowd(n_iter=100)], ids=["token-ds", "hmm-to-convergence"]
)
def test_objective_never_decreases(model: TokenDawidSkene | HMMCrowd) -> None:
    data, _ = simulate(4)
    history = np.array(model.fit(data).loss_history_)
    assert history.size >= 3
    assert (np.diff(history) >= -1e-6 * np.abs(history[:-1])).all()


@st.composite
def crowds(draw: st.DrawFn) -> pd.DataFrame:
    """Any tags, valid BIO or not, from 1–4 workers on 1–4 sequences."""
    rows = []
    for s in range(draw(st.integers(1, 4))):
        length = draw(st.integers(1, 6))
        workers = draw(st.lists(st.integers(0, 3), min_size=1, max_size=4, unique=True))
        for w in workers:
            tags = draw(st.lists(st.sampled_from(TAGS), min_size=length, max_size=length))
            rows.append((s, f"w{w}", tags))
    return pd.DataFrame(rows, columns=["sequence", "worker", "tags"])


@pytest.mark.parametrize("name", list(MODELS))
@given(data=crowds())
@FAST
def test_output_is_always_valid_bio(name: str, data: pd.DataFrame) -> None:
    model = MODELS[name]().fit(data)
    for sequence, tags, spans in zip(model.tags_.index, model.tags_, model.spans_, strict=True):
        assert is_valid_bio(tags)
        assert len(tags) == len(data.loc[data["sequence"] == sequence, "tags"].iloc[0])
        assert spans == tags_to_spans(tags)
    np.testing.assert_allclose(model.probas_.sum(axis=1), 1.0)
    assert model.confidences_.between(0.0, 1.0 + 1e-12).all()


@pytest.mark.parametrize("name", list(MODELS))
@given(tags=st.lists(valid_bio(), min_size=1, max_size=4), workers=st.integers(1, 4))
@FAST
def test_unanimous_workers_are_followed(name: str, tags: list[list[str]], workers: int) -> None:
    # One worker alone does not identify HMM-Crowd: a confusion matrix learned from a handful of
    # tokens can explain their tags as another tag sequence the chain finds likelier.
    workers = max(workers, 2) if name.startswith("hmm") else workers
    rows = [(s, f"w{w}", t) for s, t in enumerate(tags) for w in range(workers)]
    data = pd.DataFrame(rows, columns=["sequence", "worker", "tags"])
    assert MODELS[name]().fit(data).tags_.tolist() == tags


@pytest.mark.parametrize("name", list(MODELS))
def test_renaming_workers_and_sequences_changes_nothing(name: str) -> None:
    data, _ = simulate(5, n=40)
    renamed = data.assign(
        sequence="x" + data["sequence"], worker=data["worker"].map(lambda w: w[::-1] + "!")
    )
    first = MODELS[name]().fit(data).tags_
    second = MODELS[name]().fit(renamed).tags_
    assert first.tolist() == second.tolist()


def test_span_majority_vote_ties_go_to_outside() -> None:
    data = pd.DataFrame(
        [("s", "a", ["B-PER", "O"]), ("s", "b", ["O", "O"])],
        columns=["sequence", "worker", "tags"],
    )
    assert SpanMajorityVote().fit(data).tags_["s"] == ["O", "O"]


@pytest.mark.parametrize(
    ("model", "message"),
    [
        (TokenDawidSkene(n_iter=0), "n_iter must be at least 1"),
        (TokenDawidSkene(prior_accuracy=1.0), "prior_accuracy must be between 0 and 1"),
        (HMMCrowd(word_prior=0.0), "word_prior must be above 0"),
        (HMMCrowd(n_iter=-1), "n_iter must be 0 or more"),
        (HMMCrowd(init_iter=0), "init_iter must be at least 1"),
        (HMMCrowd(transition_prior=0.0), "transition_prior must be above 0"),
        (TokenDawidSkene(prior_strength=0.0), "prior_strength must be above 0"),
    ],
    ids=[
        "n_iter",
        "prior_accuracy",
        "word_prior",
        "hmm-n_iter",
        "init_iter",
        "transition_prior",
        "prior_strength",
    ],
)
def test_bad_hyper_parameters_are_explained(model: SpanAggregator, message: str) -> None:
    data, _ = simulate(6, n=5)
    with pytest.raises(InvalidInput, match=message):
        model.fit(data)


def test_hmm_parameters_are_distributions() -> None:
    data, _ = simulate(7, n=60)
    model = HMMCrowd().fit(data)
    np.testing.assert_allclose(model.transitions_.sum(axis=1), 1.0)
    assert model.start_.sum() == pytest.approx(1.0)
    assert model.start_["I-PER"] == 0.0 and model.transitions_.loc["O", "I-LOC"] == 0.0
    by_worker = model.errors_.groupby(level="worker").sum()
    np.testing.assert_allclose(by_worker.to_numpy(), 1.0)
    assert model.n_iter_ == 1 and len(model.loss_history_) == 2
