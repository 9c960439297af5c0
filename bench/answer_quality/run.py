"""The answer-quality model (SPEC §6.7) on simulated signals: how many answers of each kind
it flags. Issue #15, must-show 2.

    .venv/bin/python bench/answer_quality/run.py [--answers 20000] [--seed 1]

No public data set of keystroke logs for query writing ships here, so the signals are drawn
from stated models (below); the numbers measure the rules against those models, not people.

- **honest**: time on task log-normal around the campaign's typical 45 s (σ 0.5 in log space:
  a fifth of writers take under 30 s); every character typed plus 0–5 corrections; key
  intervals' coefficient of variation uniform in 0.35–1.1 (people's typing is uneven); 5 %
  paste one required value into what they type.
- **fast honest**: the fastest decile of honest writers, σ 0.5 around 15 s.
- **paster**: pastes a fluent answer 2–8 s after the offer, types 0–3 keys (the dry-run's).
- **patient paster**: pastes, then waits as long as an honest writer before sending.
- **script typist**: a program types every character at a steady pace (cv 0.02–0.1) in honest
  time.
- **retyper**: a person who types a machine's answer by hand at a human pace: invisible to
  these signals by construction, listed to say so.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable

import numpy as np

from crowdset.core.generation.answer_quality import AnswerSignals, flags_of

TYPICAL_SECONDS = 45.0


def _chars(rng: np.random.Generator) -> int:
    return int(rng.integers(18, 70))


def honest(rng: np.random.Generator, centre: float = TYPICAL_SECONDS) -> AnswerSignals:
    chars = _chars(rng)
    seconds = centre * float(rng.lognormal(0.0, 0.5))
    keys = chars + int(rng.integers(0, 6))
    pastes = 0
    if rng.random() < 0.05:
        pastes, keys = 1, keys - int(rng.integers(4, 12))
    return AnswerSignals(chars, seconds, pastes, keys, float(rng.uniform(0.35, 1.1)))


def fast_honest(rng: np.random.Generator) -> AnswerSignals:
    return honest(rng, centre=15.0)


def paster(rng: np.random.Generator) -> AnswerSignals:
    return AnswerSignals(_chars(rng), float(rng.uniform(2, 8)), 1, int(rng.integers(0, 4)), None)


def patient_paster(rng: np.random.Generator) -> AnswerSignals:
    base = honest(rng)
    return AnswerSignals(base.chars, base.seconds_on_task, 1, int(rng.integers(0, 4)), None)


def script_typist(rng: np.random.Generator) -> AnswerSignals:
    base = honest(rng)
    return AnswerSignals(
        base.chars, base.seconds_on_task, 0, base.chars, float(rng.uniform(0.02, 0.1))
    )


def retyper(rng: np.random.Generator) -> AnswerSignals:
    return honest(rng)


KINDS: dict[str, tuple[bool, Callable[[np.random.Generator], AnswerSignals]]] = {
    "honest": (True, honest),
    "fast honest": (True, fast_honest),
    "paster": (False, paster),
    "patient paster": (False, patient_paster),
    "script typist": (False, script_typist),
    "retyper (invisible)": (False, retyper),
}


def wilson(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    if n == 0:
        return 0.0, 1.0
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--answers", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    print(f"{args.answers:,} answers per kind, seed {args.seed}, typical {TYPICAL_SECONDS:.0f} s\n")
    print("| answers | honest | flagged | 95% interval | pasted | too fast | machine rhythm |")
    print("|---|---|---|---|---|---|---|")
    for name, (is_honest, draw) in KINDS.items():
        counts = {"pasted": 0, "too_fast": 0, "machine_rhythm": 0}
        flagged = 0
        for _ in range(args.answers):
            flags = flags_of(draw(rng), typical_seconds=TYPICAL_SECONDS)
            flagged += bool(flags)
            for flag in flags:
                counts[flag] += 1
        low, high = wilson(flagged, args.answers)
        n = args.answers
        print(
            f"| {name} | {'yes' if is_honest else 'no'} | {flagged / n:.2%} | "
            f"{low:.2%}–{high:.2%} | {counts['pasted'] / n:.2%} | {counts['too_fast'] / n:.2%} "
            f"| {counts['machine_rhythm'] / n:.2%} |"
        )


if __name__ == "__main__":
    main()
