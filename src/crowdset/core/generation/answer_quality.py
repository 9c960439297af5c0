"""The answer-quality model (SPEC §3 rows 14 and 43, §6.7): per written answer, what its
signals say and the probability that it is the worker's own good work.

Signals, as the task page measures them (``static/task.js``) or an API client sends them:
seconds on task, paste events, keystrokes typed and the spread of the intervals between them
(coefficient of variation). Three flags:

- ``pasted``: a paste, and fewer keys typed than half the answer's characters (pasting one
  required value into a query one typed is not flagged);
- ``too_fast``: less time than reading the task and typing the answer can take — under
  ``FAST_FRACTION`` of the campaign's typical time, or under the answer's characters at
  ``FASTEST_CHARS_PER_SECOND`` (a fast typist's sustained speed);
- ``machine_rhythm``: at least ``RHYTHM_MIN_KEYS`` keys at near-constant intervals (a script
  typing; people's key intervals vary by half their mean or more);
- ``copied``: the template is a near-copy of another worker's query (edit distance to known
  texts, :mod:`copies`): a paraphraser's value swap, or a coincidence, which validators judge.

The probability combines the worker's accuracy (the prior: what their record says) with a
likelihood ratio per flag (naive Bayes). The ratios are set from the published anchors the
issue cites, not learned here: behaviour-based checks report ~98.7 % accuracy at ~0.6 % false
flags, i.e. a flag is about 1/20 as likely on good work as on bad.

What it cannot see: a person who retypes a machine's answer at a human pace, or a script that
types with a human's rhythm. Validators and the copy rules (:mod:`copies`) remain the check
for those.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

PastePolicy = Literal["allow", "flag", "block"]

FAST_FRACTION = 0.2  # of the campaign's typical seconds per query
FASTEST_CHARS_PER_SECOND = 8.0  # ~95 words a minute, sustained
MIN_SECONDS = 2.0  # reading the task alone takes this long
RHYTHM_MIN_KEYS = 20
RHYTHM_MAX_CV = 0.12  # people: 0.4–1.2 on short texts
TYPED_SHARE = 0.5  # of the answer's characters, typed rather than pasted

LIKELIHOOD_RATIO = {"pasted": 0.05, "too_fast": 0.1, "machine_rhythm": 0.05, "copied": 0.3}


class AnswerFlag(StrEnum):
    PASTED = "pasted"
    TOO_FAST = "too_fast"
    MACHINE_RHYTHM = "machine_rhythm"
    COPIED = "copied"


@dataclass(frozen=True)
class AnswerSignals:
    chars: int  # characters of the answer as submitted
    seconds_on_task: float | None = None  # None: not measured (no script on the page)
    paste_events: int = 0
    keys: int | None = None  # keystrokes typed; None: not measured
    interval_cv: float | None = None  # std/mean of the intervals between keystrokes
    copies_another: bool = False  # its template near-copies another worker's query


@dataclass(frozen=True)
class AnswerReading:
    flags: tuple[AnswerFlag, ...]
    quality: float  # probability that the answer is the worker's own good work

    @property
    def flagged(self) -> bool:
        return bool(self.flags)

    @property
    def flags_text(self) -> str | None:
        return ",".join(self.flags) or None


def too_fast_under(chars: int, typical_seconds: float) -> float:
    """Seconds below which an answer of ``chars`` characters is implausibly fast."""
    return max(MIN_SECONDS, chars / FASTEST_CHARS_PER_SECOND, FAST_FRACTION * typical_seconds)


def flags_of(signals: AnswerSignals, *, typical_seconds: float) -> tuple[AnswerFlag, ...]:
    flags: list[AnswerFlag] = []
    typed_enough = signals.keys is not None and signals.keys >= TYPED_SHARE * signals.chars
    if signals.paste_events > 0 and not typed_enough:
        flags.append(AnswerFlag.PASTED)
    if signals.seconds_on_task is not None and signals.seconds_on_task < too_fast_under(
        signals.chars, typical_seconds
    ):
        flags.append(AnswerFlag.TOO_FAST)
    if (
        signals.keys is not None
        and signals.keys >= RHYTHM_MIN_KEYS
        and signals.interval_cv is not None
        and signals.interval_cv < RHYTHM_MAX_CV
    ):
        flags.append(AnswerFlag.MACHINE_RHYTHM)
    if signals.copies_another:
        flags.append(AnswerFlag.COPIED)
    return tuple(flags)


def read_answer(
    signals: AnswerSignals, *, typical_seconds: float, worker_accuracy: float
) -> AnswerReading:
    """The flags the signals raise and the probability that the answer is good."""
    flags = flags_of(signals, typical_seconds=typical_seconds)
    prior = min(max(worker_accuracy, 1e-6), 1 - 1e-6)
    log_odds = math.log(prior / (1 - prior)) + sum(math.log(LIKELIHOOD_RATIO[f]) for f in flags)
    return AnswerReading(flags, 1 / (1 + math.exp(-log_odds)))


def is_blocked(reading: AnswerReading, policy: PastePolicy) -> bool:
    return policy == "block" and reading.flagged


def is_marked(reading: AnswerReading, policy: PastePolicy) -> bool:
    """Shown to validators and the requester as flagged."""
    return policy != "allow" and reading.flagged
