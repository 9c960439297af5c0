"""Cross-validation of a generation campaign's accepted queries (SPEC §2).

An intent classifier trained out-of-fold on the accepted queries flags those whose intent it
confidently disputes (ambiguous queries, for requester review), and the workers whose share of
flagged queries is abnormal are reported (candidates for blacklisting).

Model: TF-IDF of word 1–2-grams and ``char_wb`` 2–5-grams (sublinear tf) feeding a multinomial
logistic regression; every query is scored by a model that never saw it
(``cross_val_predict(method="predict_proba")`` over stratified folds). A query is *flagged* when
the predicted intent differs from its intent with probability ≥ ``confidence``.

Worker report: with ``p0`` the campaign's flag rate (flagged / scored), a worker with ``n``
scored queries of which ``k`` are flagged gets the one-sided binomial p-value
``P(X ≥ k | X ~ Bin(n, p0))``; they are *abnormal* when ``n ≥ min_queries`` and the p-value is
below ``alpha``, divided by the number of workers tested (``n ≥ min_queries``) under the default
Bonferroni correction (``correction="none"`` keeps ``alpha`` as it is).

Defaults (``placeholders="generic"``, ``confidence=0.6``) come from the generation replay
(bench/snips_replay/replay.py, docs/benchmarks.md): there a careless worker's wrong-intent query
always carries the values the task asked for — values of the intent it claims — so the values
argue *for* the false label. Masking them with one generic placeholder let the classifier judge
the phrasing: 87% of the wrong-intent queries that slipped through validation flagged at 1.5% of
good ones, against 53% at 1.2% with the values left in (confidence 0.6; 81% / 1.1% at 0.7).

Measured before on real queries relabelled at random (bench/snips_replay/crossval_check.py:
queries of 7 intents dealt to workers of 30, 3% relabelled to a wrong intent at random, one
careless worker with 12 of 30 relabelled, 5 seeds), where the values belong to the *true*
intent and so help, the values left in did better:

- ``confidence=0.8``, ``c=100``: 96% of relabelled queries flagged and 1.0% of correct ones with
  300 queries per intent; 82% and 0.6% with 50 per intent (``c=10`` fell to 67% there). The
  correct queries flagged are mostly truly ambiguous (``play Another Time`` labelled
  SearchCreativeWork) or mislabelled in the source data.
- Bonferroni: no honest worker reported in any campaign (0.2–1.2 per 70-worker campaign
  without it), and the careless worker reported in every one.
- With slot values left in the text (``placeholders="none"``); a generic placeholder doubled
  the share of correct queries flagged at the same recall there, and a placeholder per slot
  name caught only 6–17%: slot names are named after the intent a task asks for, which is the
  very label under check.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import numpy as np

from crowdset.core.generation.model import AnnotatedQuery
from crowdset.errors import InvalidInput

if TYPE_CHECKING:
    from sklearn.pipeline import Pipeline

# scikit-learn and scipy.stats are imported where they are used: together they take over a
# second to import, and every command line and server start imports this module.

Placeholders = Literal["none", "generic", "slot"]
Correction = Literal["none", "bonferroni"]


@dataclass(frozen=True)
class FlaggedQuery:
    """A query whose intent the out-of-fold classifier confidently disputes."""

    index: int  # position in the sequence given to ``cross_validate``
    query_id: int | None
    text: str
    intent: str
    predicted_intent: str
    probability: float  # of ``predicted_intent``
    worker: str


@dataclass(frozen=True)
class WorkerFlags:
    """One worker's share of flagged queries and how unlikely it is at the campaign's rate."""

    worker: str
    queries: int  # scored queries written by the worker
    flagged: int
    share: float  # flagged / queries
    p_value: float  # one-sided binomial P(X ≥ flagged) at the campaign's flag rate, uncorrected
    abnormal: bool


@dataclass(frozen=True)
class CrossValidationReport:
    """What ``cross_validate`` found; ``notes`` say what could not be checked and why."""

    flagged: tuple[FlaggedQuery, ...]  # by decreasing probability, then index
    workers: tuple[WorkerFlags, ...]  # every named worker, by p-value then worker id
    scored: int  # queries that were scored out-of-fold
    flag_rate: float  # flagged / scored (0 when nothing was scored)
    folds: int  # folds used (0 when nothing was scored)
    notes: tuple[str, ...] = ()

    @property
    def abnormal_workers(self) -> tuple[WorkerFlags, ...]:
        """The candidates for blacklisting."""
        return tuple(w for w in self.workers if w.abnormal)


@dataclass(frozen=True)
class OutOfFold:
    """Each scored query's most probable intent under a model that never saw it."""

    scored: tuple[int, ...]  # positions of the scored queries in the input sequence
    predicted: tuple[str, ...]  # most probable intent, per scored query
    probability: tuple[float, ...]  # its probability
    folds: int
    notes: tuple[str, ...] = ()


def intent_pipeline(c: float = 100.0) -> Pipeline:
    """The intent classifier: word and character TF-IDF into a logistic regression.

    ``c`` is the inverse regularisation strength. Weak regularisation keeps the out-of-fold
    probabilities confident on small campaigns, where ``c=1`` or ``c=10`` left most
    mislabelled queries below ``confidence=0.8`` (measured on Snips, see the module docstring).
    """
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import FeatureUnion, Pipeline

    features = FeatureUnion(
        [
            (
                "words",
                TfidfVectorizer(
                    analyzer="word",
                    ngram_range=(1, 2),
                    sublinear_tf=True,
                    token_pattern=r"(?u)\b\w+\b",
                ),
            ),
            ("chars", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True)),
        ]
    )
    return Pipeline(
        [("features", features), ("classifier", LogisticRegression(C=c, max_iter=2000))]
    )


def masked_text(query: AnnotatedQuery, placeholders: Placeholders) -> str:
    """The query's text with each slot value replaced by ``__value__`` (``generic``) or
    ``__<slot>__`` (``slot``); unchanged for ``none``."""
    if placeholders == "none" or not query.spans:
        return query.text
    parts: list[str] = []
    position = 0
    for span in sorted(query.spans):
        if span.start < position:  # overlapping spans: keep the first
            continue
        parts.append(query.text[position : span.start])
        parts.append(" __value__ " if placeholders == "generic" else f" __{span.slot}__ ")
        position = span.end
    parts.append(query.text[position:])
    return "".join(parts)


def _check(confidence: float, alpha: float, min_queries: int) -> None:
    if not 0.0 < confidence <= 1.0:
        raise InvalidInput(
            f"confidence must be in (0, 1], got {confidence}: it is the least predicted "
            "probability that disputes a query's intent",
            field="confidence",
            value=confidence,
        )
    if not 0.0 < alpha < 1.0:
        raise InvalidInput(f"alpha must be in (0, 1), got {alpha}", field="alpha", value=alpha)
    if min_queries < 1:
        raise InvalidInput(
            f"min_queries must be at least 1, got {min_queries}",
            field="min_queries",
            value=min_queries,
        )


def _worker_flags(
    queries: Sequence[AnnotatedQuery],
    scored: Sequence[int],
    flagged_indices: set[int],
    *,
    alpha: float,
    min_queries: int,
    correction: Correction,
) -> tuple[WorkerFlags, ...]:
    from scipy.stats import binomtest

    totals: Counter[str] = Counter()
    flags: Counter[str] = Counter()
    for i in scored:
        worker = queries[i].worker
        if worker:
            totals[worker] += 1
            flags[worker] += i in flagged_indices
    rate = len(flagged_indices) / len(scored) if scored else 0.0
    tested = sum(1 for n in totals.values() if n >= min_queries)
    level = alpha / tested if correction == "bonferroni" and tested else alpha
    rows = []
    for worker, n in totals.items():
        k = flags[worker]
        # P(X ≥ 0) = 1; with rate 0 nobody is flagged, so k = 0 too
        p_value = 1.0 if k == 0 else float(binomtest(k, n, rate, alternative="greater").pvalue)
        rows.append(
            WorkerFlags(
                worker=worker,
                queries=n,
                flagged=k,
                share=k / n,
                p_value=p_value,
                abnormal=n >= min_queries and p_value < level,
            )
        )
    return tuple(sorted(rows, key=lambda w: (w.p_value, w.worker)))


def out_of_fold_intents(
    queries: Sequence[AnnotatedQuery],
    *,
    folds: int = 5,
    rng: np.random.Generator | int = 0,
    placeholders: Placeholders = "generic",
    c: float = 100.0,
) -> OutOfFold:
    """Score every query with the intent classifier trained on the other folds.

    ``folds`` is lowered to the size of the smallest intent when that intent has fewer queries;
    intents with a single query cannot be scored out-of-fold (no model would know the intent)
    and are left out, with a note; with fewer than two intents left nothing is scored.
    Deterministic given ``rng`` (it only seeds the fold split).
    """
    if folds < 2:
        raise InvalidInput(
            f"folds must be at least 2 to score queries out-of-fold, got {folds}",
            field="folds",
            value=folds,
        )
    notes: list[str] = []
    counts = Counter(q.intent for q in queries)
    single = sorted(intent for intent, n in counts.items() if n < 2)
    if single:
        notes.append(
            "not scored, a single query each: " + ", ".join(repr(intent) for intent in single)
        )
    scored = [i for i, q in enumerate(queries) if counts[q.intent] >= 2]
    intents = sorted({queries[i].intent for i in scored})
    if len(intents) < 2:
        notes.append("fewer than two intents with two queries or more: nothing can be disputed")
        return OutOfFold(scored=(), predicted=(), probability=(), folds=0, notes=tuple(notes))
    smallest = min(counts[intent] for intent in intents)
    used_folds = min(folds, smallest)
    if used_folds < folds:
        notes.append(
            f"folds lowered from {folds} to {used_folds}: an intent has {smallest} queries"
        )

    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    generator = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    seed = int(generator.integers(0, 2**31 - 1))
    texts = [masked_text(queries[i], placeholders) for i in scored]
    labels = np.array([queries[i].intent for i in scored])
    split = StratifiedKFold(n_splits=used_folds, shuffle=True, random_state=seed)
    probabilities = cross_val_predict(
        intent_pipeline(c), texts, labels, cv=split, method="predict_proba"
    )
    classes = np.array(intents)  # cross_val_predict orders columns by sorted class label
    best = probabilities.argmax(axis=1)
    return OutOfFold(
        scored=tuple(scored),
        predicted=tuple(str(intent) for intent in classes[best]),
        probability=tuple(float(p) for p in probabilities[np.arange(len(scored)), best]),
        folds=used_folds,
        notes=tuple(notes),
    )


def report_disputes(
    queries: Sequence[AnnotatedQuery],
    out_of_fold: OutOfFold,
    *,
    confidence: float = 0.6,
    alpha: float = 0.01,
    min_queries: int = 10,
    correction: Correction = "bonferroni",
) -> CrossValidationReport:
    """Flag the scored queries whose predicted intent differs from theirs with probability
    ≥ ``confidence``, and test each worker's share of flags (see the module docstring)."""
    _check(confidence, alpha, min_queries)
    flagged = [
        FlaggedQuery(
            index=index,
            query_id=queries[index].query_id,
            text=queries[index].text,
            intent=queries[index].intent,
            predicted_intent=predicted,
            probability=probability,
            worker=queries[index].worker,
        )
        for index, predicted, probability in zip(
            out_of_fold.scored, out_of_fold.predicted, out_of_fold.probability, strict=True
        )
        if predicted != queries[index].intent and probability >= confidence
    ]
    flagged.sort(key=lambda f: (-f.probability, f.index))
    scored = len(out_of_fold.scored)
    return CrossValidationReport(
        flagged=tuple(flagged),
        workers=_worker_flags(
            queries,
            out_of_fold.scored,
            {f.index for f in flagged},
            alpha=alpha,
            min_queries=min_queries,
            correction=correction,
        ),
        scored=scored,
        flag_rate=len(flagged) / scored if scored else 0.0,
        folds=out_of_fold.folds,
        notes=out_of_fold.notes,
    )


def cross_validate(
    queries: Sequence[AnnotatedQuery],
    *,
    folds: int = 5,
    confidence: float = 0.6,
    rng: np.random.Generator | int = 0,
    placeholders: Placeholders = "generic",
    alpha: float = 0.01,
    min_queries: int = 10,
    correction: Correction = "bonferroni",
    c: float = 100.0,
) -> CrossValidationReport:
    """Flag the queries whose intent an out-of-fold classifier confidently disputes, and the
    workers with an abnormal share of flagged queries (SPEC §2, cross-validation).

    ``out_of_fold_intents`` then ``report_disputes``: a caller that wants to try several
    ``confidence`` values can keep the first step's result. Queries with an empty ``worker``
    are scored but belong to no worker. Deterministic given ``rng``.
    """
    _check(confidence, alpha, min_queries)
    out_of_fold = out_of_fold_intents(queries, folds=folds, rng=rng, placeholders=placeholders, c=c)
    return report_disputes(
        queries,
        out_of_fold,
        confidence=confidence,
        alpha=alpha,
        min_queries=min_queries,
        correction=correction,
    )
