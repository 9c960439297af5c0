"""One simple model per NLU task, and ``evaluate`` to score a training set on Snips' validate set.

- Intent: crowdset's own cross-validation classifier (``intent_pipeline``: word 1–2-gram and
  ``char_wb`` 2–5-gram TF-IDF into a logistic regression), one model over all intents.
- Slots: a linear-chain CRF (sklearn-crfsuite, L-BFGS, c1 = c2 = 0.1, 100 iterations) over BIO
  tags, one per intent, as the Snips benchmark trained and measured slot filling separately per
  intent: a validate query is tagged by the CRF of its *true* intent, so slot figures do not
  depend on the intent classifier. Features per token: lower-cased word, 2- and 3-letter
  suffixes, shape (``Xxxx`` → ``Xx``, ``12`` → ``d``), is-digit, is-title, and the lower-cased
  words and shapes at ±1, ±2.

Tokens are ``\\w+`` runs and single other non-space characters, with their offsets; a predicted
slot runs from its first token's start to its last token's end (an ``I-`` tag without a matching
``B-`` opens a slot). Gold spans whose edges fall inside a token (6 of the 1,794 validate spans,
where workers glued two words: ``one pmnear``) cannot be matched.

Slot metric: a predicted slot is correct when a gold slot of the same query has the same name and
the same character span (exact match), each gold slot matched at most once; precision =
correct / predicted, recall = correct / gold, F1 their harmonic mean, per intent and
micro-averaged over all validate queries. The Snips benchmark's README describes per-slot
precision and recall on the validate set with the same denominators (its recalls are exact
fractions of the gold counts); for providers that returned values without spans it accepted any
entity of the right type, so its figures for those are optimistic. With no prediction, precision
is 0 (Snips writes NaN).

Importable as ``from bench.snips_replay.models import evaluate`` from the repository root, and
needs sklearn-crfsuite (``bash bench/snips_replay/setup.sh``, then ``.bench-venv-snips``).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from crowdset.core.generation.crossval import intent_pipeline
from crowdset.core.generation.model import AnnotatedQuery, Span

TOKEN = re.compile(r"\w+|[^\w\s]")
Token = tuple[str, int, int]  # text, start, end
Features = dict[str, str | bool | float]


def tokenize(text: str) -> list[Token]:
    return [(m.group(), m.start(), m.end()) for m in TOKEN.finditer(text)]


def _shape(word: str) -> str:
    shape = re.sub(r"[A-Z]", "X", word)
    shape = re.sub(r"[a-z]", "x", shape)
    shape = re.sub(r"\d", "d", shape)
    return re.sub(r"(.)\1+", r"\1", shape)  # collapse runs: Xxxxx → Xx


def token_features(tokens: Sequence[Token], i: int) -> Features:
    word = tokens[i][0]
    features: Features = {
        "bias": 1.0,
        "lower": word.lower(),
        "suffix2": word[-2:].lower(),
        "suffix3": word[-3:].lower(),
        "shape": _shape(word),
        "is_digit": word.isdigit(),
        "is_title": word.istitle(),
    }
    for offset in (-2, -1, 1, 2):
        j = i + offset
        if 0 <= j < len(tokens):
            features[f"{offset:+d}:lower"] = tokens[j][0].lower()
            features[f"{offset:+d}:shape"] = _shape(tokens[j][0])
        else:
            features[f"{offset:+d}:edge"] = True  # before the start or past the end
    return features


def bio_tags(query: AnnotatedQuery, tokens: Sequence[Token]) -> list[str]:
    """``B-slot``/``I-slot``/``O`` per token: a token belongs to the span it overlaps."""
    tags = ["O"] * len(tokens)
    for span in query.spans:
        inside = [
            i for i, (_, start, end) in enumerate(tokens) if start < span.end and end > span.start
        ]
        for n, i in enumerate(inside):
            tags[i] = ("B-" if n == 0 else "I-") + span.slot
    return tags


def spans_from_tags(tokens: Sequence[Token], tags: Sequence[str]) -> tuple[Span, ...]:
    spans: list[Span] = []
    current: list[Any] | None = None  # [slot, start, end]
    for (_, start, end), tag in zip(tokens, tags, strict=True):
        if tag.startswith("I-") and current is not None and current[0] == tag[2:]:
            current[2] = end
            continue
        if current is not None:
            spans.append(Span(current[1], current[2], current[0], current[0]))
            current = None
        if tag != "O":
            current = [tag[2:], start, end]
    if current is not None:
        spans.append(Span(current[1], current[2], current[0], current[0]))
    return tuple(spans)


@dataclass
class SlotTagger:
    """A linear-chain CRF over BIO tags for one intent's slots."""

    c1: float = 0.1
    c2: float = 0.1
    max_iterations: int = 100
    crf_: Any = field(default=None, init=False)

    def fit(self, queries: Sequence[AnnotatedQuery]) -> SlotTagger:
        """Train on ``queries``; with none, or none that has a slot, the tagger predicts none."""
        self.crf_ = None
        if not any(q.spans for q in queries):
            return self
        try:
            import sklearn_crfsuite
        except ImportError as error:  # the project's .venv has no CRF: use .bench-venv-snips
            raise ImportError(
                "sklearn-crfsuite is missing: run `bash bench/snips_replay/setup.sh` and use "
                ".bench-venv-snips/bin/python"
            ) from error
        sequences, labels = [], []
        for query in queries:
            tokens = tokenize(query.text)
            sequences.append([token_features(tokens, i) for i in range(len(tokens))])
            labels.append(bio_tags(query, tokens))
        self.crf_ = sklearn_crfsuite.CRF(
            algorithm="lbfgs",
            c1=self.c1,
            c2=self.c2,
            max_iterations=self.max_iterations,
            all_possible_transitions=True,
        )
        self.crf_.fit(sequences, labels)
        return self

    def predict(self, texts: Sequence[str]) -> list[tuple[Span, ...]]:
        if self.crf_ is None:
            return [() for _ in texts]
        tokenized = [tokenize(text) for text in texts]
        tags = self.crf_.predict([[token_features(t, i) for i in range(len(t))] for t in tokenized])
        return [spans_from_tags(t, tag) for t, tag in zip(tokenized, tags, strict=True)]


@dataclass
class IntentClassifier:
    """crowdset's intent pipeline over all intents; a single intent is predicted as such."""

    c: float = 100.0
    model_: Any = field(default=None, init=False)
    only_: str | None = field(default=None, init=False)

    def fit(self, queries: Sequence[AnnotatedQuery]) -> IntentClassifier:
        intents = {q.intent for q in queries}
        if not intents:
            raise ValueError("no training query: an intent classifier needs at least one")
        self.only_ = next(iter(intents)) if len(intents) == 1 else None
        self.model_ = None
        if self.only_ is None:
            self.model_ = intent_pipeline(self.c).fit(
                [q.text for q in queries], [q.intent for q in queries]
            )
        return self

    def predict(self, texts: Sequence[str]) -> list[str]:
        if self.only_ is not None:
            return [self.only_] * len(texts)
        return [str(label) for label in self.model_.predict(list(texts))]


def _prf(tp: int, predicted: int, gold: int) -> dict[str, float | int]:
    precision = tp / predicted if predicted else 0.0
    recall = tp / gold if gold else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "correct": tp,
        "predicted": predicted,
        "gold": gold,
    }


def slot_matches(gold: Sequence[Span], predicted: Sequence[Span]) -> int:
    """Exact matches of (slot, start, end), each gold span counted at most once."""
    remaining = Counter((s.slot, s.start, s.end) for s in gold)
    hits = 0
    for span in predicted:
        key = (span.slot, span.start, span.end)
        if remaining[key] > 0:
            remaining[key] -= 1
            hits += 1
    return hits


def evaluate(train: list[AnnotatedQuery], validate: list[AnnotatedQuery]) -> dict[str, Any]:
    """Train both models on ``train`` and score them on ``validate``.

    Returns ``intent_accuracy`` (over all validate queries) and ``intent_accuracy_by_intent``;
    ``slots`` (per intent: precision, recall, f1, correct, predicted, gold) and ``slots_micro``
    (the same over all validate queries); ``train_size`` (training queries per intent). An
    intent of ``validate`` with no training query gets no slot prediction (recall 0).
    """
    texts = [q.text for q in validate]
    predicted_intents = IntentClassifier().fit(train).predict(texts)
    correct_by_intent: Counter[str] = Counter()
    total_by_intent: Counter[str] = Counter()
    for query, predicted in zip(validate, predicted_intents, strict=True):
        total_by_intent[query.intent] += 1
        correct_by_intent[query.intent] += predicted == query.intent
    intents = sorted(total_by_intent)
    slots: dict[str, dict[str, float | int]] = {}
    totals = [0, 0, 0]
    for intent in intents:
        tagger = SlotTagger().fit([q for q in train if q.intent == intent])
        gold_queries = [q for q in validate if q.intent == intent]
        predictions = tagger.predict([q.text for q in gold_queries])
        tp = sum(slot_matches(q.spans, p) for q, p in zip(gold_queries, predictions, strict=True))
        n_predicted = sum(len(p) for p in predictions)
        n_gold = sum(len(q.spans) for q in gold_queries)
        slots[intent] = _prf(tp, n_predicted, n_gold)
        totals = [totals[0] + tp, totals[1] + n_predicted, totals[2] + n_gold]
    return {
        "intent_accuracy": sum(correct_by_intent.values()) / len(validate) if validate else 0.0,
        "intent_accuracy_by_intent": {
            intent: correct_by_intent[intent] / total_by_intent[intent] for intent in intents
        },
        "slots": slots,
        "slots_micro": _prf(*totals),
        "train_size": dict(sorted(Counter(q.intent for q in train).items())),
    }
