"""Weighted review with real raters: SPEC §4 reviewer weights on MLQE-PE's human DA ratings.

Issue #6. Runs in the project's environment (no peer library):

    .venv/bin/python bench/weighted_review/review.py            # one setting (defaults below)
    .venv/bin/python bench/weighted_review/review.py --sweep    # spam 0/10/20/30 %, R = 3 and 5
    .venv/bin/python bench/weighted_review/review.py --sweep --table   # re-print results/sweep.json

The Markdown table goes to stdout, a per-run log to stderr, and everything (per seed too) to
``--out`` (JSON; the same table as Markdown beside it, ``.md``).

**Data.** All 14,000 direct-assessment pairs of ``../shared/data/parallel/mlqe-pe`` (7
language pairs, dev + test; read with quoting disabled). Each pair carries its 3 (ru-en) or 6
individual human ratings on the 0–100 DA scale in the ``scores`` column.

**Stars.** A 0–100 rating becomes 1–5 stars in bins of 20: ``stars = min(5, 1 + ⌊s / 20⌋)``,
i.e. 0–19 → 1, 20–39 → 2, 40–59 → 3, 60–79 → 4, 80–100 → 5.

**Truth.** The mean of *all* real ratings of a pair, on the 0–100 scale. Rankings and top-k·P
are taken on it directly (Spearman is rank-based, so the scale does not matter). A challenge
pair's known answer is that mean converted to stars with the same bins.

**Reviewer crowd** (``simulate``, one per seed): ``--reviewers`` reviewers (default 100), of
which ``round(spam_share · N)`` are spammers, ``round(careless_share · N)`` careless, the rest
honest. Every pair gets R reviews from R distinct reviewers drawn uniformly (so every kind does
the same amount of work on average).

- *honest*: the star value of one of the pair's real ratings. The R reviews of a pair take
  distinct real ratings in random order (a pair's real raters are different people); with
  R = 5 on ru-en's 3 ratings, reviews 4 and 5 re-use ratings 1 and 2 of that order. MLQE-PE
  gives no rater identities, so an honest reviewer is a different real rater on every pair.
- *careless*: half of them are *noisy* (the honest star ± 1 or 2, each of −2, −1, +1, +2
  equally likely, clipped to 1–5), half are *lazy* (one constant star, drawn per reviewer from
  3, 4, 5, on every pair).
- *spammer*: uniform 1–5 stars, independent of the pair.

**Challenge pairs.** ``--challenge-share`` (5 %) of the pairs, drawn at random, are challenge
pairs with the known answer above; reviewers review them like any other pair, without knowing
which they are. A challenge answer is **wrong when it is more than 1 star from the known
answer** (``|answer − known| > 1``), so honest reviewers fail some too (real raters disagree).
Challenge pairs are left out of the aggregation and of the evaluation; each reviewer's number of
wrong challenge answers goes to ``ReviewerWeightedScore.fit(..., wrong_challenges=...)``.

**Methods** (all from ``crowdset.aggregation``, on the same ``task, worker, label`` frame):

- *weighted*: ``ReviewerWeightedScore`` — SPEC §4 score ``Σ a_n·s_n / Σ a_n`` with reviewer
  weights ``a_n`` in [0.8, 1.2], mean 1, iterated to a fixed point;
- *mean*: ``WeightedMeanRating`` without weights (the plain mean);
- *z-mean*: ``RaterNormalisedMean`` (per-reviewer z-scores);
- *mean, ties by z-mean*: the plain mean with equal means ordered by the z-mean, a tie-breaker
  that uses no reviewer weights (the plain mean's top-k·P cut falls inside a tie group);
- *all-honest mean* (a ceiling, not a method): the plain mean of the stars these same R
  reviews would have had if every reviewer were honest.

**Metrics**, on the non-challenge pairs. With P = ``--keep-share`` (0.3) and k of them, keep the
top k·P pairs by each method's score and by the truth; *overlap* = |chosen ∩ truth top| /
|truth top| (random choice: P). Ties are broken at random (a plain mean of 3 star ratings has
only 13 possible values, so its top-k·P ends inside a tie group), for the truth as well.
*Spearman*: rank correlation of the score with the truth over all evaluated pairs. Weights:
min, max and mean of the fitted weights, and their mean per reviewer kind. Every number is the
median over ``--repeats`` seeds (``--seed``, ``--seed`` + 1, …); the weighted − mean overlap
difference is also given per seed (min, max, seeds where weighted is ahead). Diagnostics: the
number of pairs tied at the plain mean's cut, and the share of the weighted score's top-k·P
whose plain mean lies below that cut (a real reordering rather than a tie-break).
"""

from __future__ import annotations

import argparse
import ast
import csv
import json
import platform
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy.stats import rankdata, spearmanr

from crowdset.aggregation import RaterNormalisedMean, ReviewerWeightedScore, WeightedMeanRating

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
DATA = ROOT.parent / "shared" / "data" / "parallel" / "mlqe-pe" / "direct-assessments"
STAR_BIN = 20  # 0–19 → 1 star, …, 80–100 → 5 stars
WRONG_IF_OFF_BY_MORE_THAN = 1  # a challenge answer is wrong when |answer − known| > 1
NOISE = np.array([-2, -1, 1, 2])  # a noisy careless reviewer's offset from the honest star
LAZY_STARS = np.array([3, 4, 5])  # a lazy careless reviewer's constant star
SWEEP_SPAM = (0.0, 0.1, 0.2, 0.3)
SWEEP_R = (3, 5)
METHODS = ("weighted", "mean", "z-mean", "mean, ties by z-mean", "all-honest mean")
TIE_STEP = 0.01  # below the smallest gap between plain means of ≤ 50 stars (1/50 = 0.02)
KINDS = ("honest", "careless", "spammer")

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]


def to_stars(scores: NDArray[Any]) -> IntArray:
    """0–100 DA scores → 1–5 stars in bins of 20 (100 is 5 stars)."""
    stars: IntArray = np.minimum(5, 1 + np.asarray(scores, dtype=np.int64) // STAR_BIN)
    return stars


@dataclass(frozen=True)
class Pairs:
    """The DA pairs: real ratings padded to the widest panel, their count, truth, language."""

    ratings: IntArray  # (n_pairs, max raters), 0–100; padding is -1
    count: IntArray  # raters per pair
    truth: FloatArray  # mean of all real ratings, 0–100
    language: NDArray[np.str_]

    @property
    def size(self) -> int:
        return int(self.count.size)


def load_pairs(root: Path = DATA) -> Pairs:
    """Every ``direct-assessments/{dev,test}/*.tsv`` with its ``scores`` lists."""
    rows: list[list[int]] = []
    languages: list[str] = []
    files = sorted(root.glob("*/*.tsv"))
    if not files:
        sys.exit(f"no MLQE-PE direct-assessment files under {root}")
    for path in files:
        language = path.name.split(".")[1]  # dev.ende.df.short.tsv → ende
        with path.open(encoding="utf-8", newline="") as handle:
            for record in csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE):
                scores = ast.literal_eval(record["scores"])
                rows.append([int(s) for s in scores])
                languages.append(language)
    width = max(len(r) for r in rows)
    ratings = np.full((len(rows), width), -1, dtype=np.int64)
    for i, r in enumerate(rows):
        ratings[i, : len(r)] = r
    count = np.array([len(r) for r in rows], dtype=np.int64)
    truth = np.where(ratings >= 0, ratings, 0).sum(axis=1) / count
    return Pairs(ratings, count, truth.astype(np.float64), np.array(languages))


@dataclass(frozen=True)
class Setting:
    spam_share: float
    careless_share: float
    reviews_per_pair: int
    reviewers: int
    challenge_share: float
    keep_share: float


@dataclass(frozen=True)
class Simulation:
    frame: pd.DataFrame  # task, worker, label (stars) on the non-challenge pairs
    honest_frame: pd.DataFrame  # the same reviews had every reviewer been honest
    wrong_challenges: pd.Series[Any]  # reviewer → wrong challenge answers
    challenge_answers: IntArray  # per reviewer
    kind: NDArray[np.str_]  # per reviewer
    evaluated: IntArray  # the non-challenge pair indices


def simulate(pairs: Pairs, setting: Setting, rng: np.random.Generator) -> Simulation:
    n, n_rev, r = pairs.size, setting.reviewers, setting.reviews_per_pair
    n_spam = round(setting.spam_share * n_rev)
    n_careless = round(setting.careless_share * n_rev)
    if n_spam + n_careless > n_rev or r > n_rev:
        sys.exit("spam + careless shares exceed the pool, or R exceeds the number of reviewers")
    kind = np.array(["spammer"] * n_spam + ["careless"] * n_careless, dtype=object)
    kind = np.concatenate([kind, np.array(["honest"] * (n_rev - n_spam - n_careless))])
    kind = rng.permutation(kind).astype(str)
    careless = np.flatnonzero(kind == "careless")
    lazy = np.zeros(n_rev, dtype=bool)
    lazy[rng.permutation(careless)[: careless.size // 2]] = True
    lazy_star = rng.choice(LAZY_STARS, size=n_rev)

    # R distinct reviewers per pair
    reviewer = np.argsort(rng.random((n, n_rev)), axis=1)[:, :r]
    # honest stars: the pair's real ratings in random order, cycled when R > raters
    keys = np.where(pairs.ratings >= 0, rng.random(pairs.ratings.shape), np.inf)
    order = np.argsort(keys, axis=1)
    column = np.arange(r)[None, :] % pairs.count[:, None]
    picked = np.take_along_axis(order, column, axis=1)
    honest = to_stars(np.take_along_axis(pairs.ratings, picked, axis=1))

    noisy = np.clip(honest + rng.choice(NOISE, size=honest.shape), 1, 5)
    spam = rng.integers(1, 6, size=honest.shape)
    who = kind[reviewer]
    stars = np.where(
        who == "honest",
        honest,
        np.where(who == "spammer", spam, np.where(lazy[reviewer], lazy_star[reviewer], noisy)),
    )

    challenge = np.zeros(n, dtype=bool)
    challenge[rng.choice(n, size=round(setting.challenge_share * n), replace=False)] = True
    known = to_stars(pairs.truth)
    wrong = np.abs(stars - known[:, None]) > WRONG_IF_OFF_BY_MORE_THAN
    wrong_count = np.bincount(
        reviewer[challenge].ravel(), weights=wrong[challenge].ravel(), minlength=n_rev
    )
    answered = np.bincount(reviewer[challenge].ravel(), minlength=n_rev)

    evaluated = np.flatnonzero(~challenge)
    task = np.repeat(evaluated, r)
    worker = reviewer[evaluated].ravel()
    frame = pd.DataFrame({"task": task, "worker": worker, "label": stars[evaluated].ravel()})
    honest_frame = frame.assign(label=honest[evaluated].ravel())
    workers = np.arange(n_rev)
    return Simulation(
        frame=frame,
        honest_frame=honest_frame,
        wrong_challenges=pd.Series(wrong_count, index=workers),
        challenge_answers=answered.astype(np.int64),
        kind=kind,
        evaluated=evaluated.astype(np.int64),
    )


def top_k(scores: FloatArray, k: int, rng: np.random.Generator) -> IntArray:
    """Positions of the k highest scores, ties broken at random."""
    order = np.lexsort((rng.random(scores.size), -scores))
    top: IntArray = order[:k].astype(np.int64)
    return top


def run_once(pairs: Pairs, setting: Setting, seed: int) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    sim = simulate(pairs, setting, rng)
    truth = pairs.truth[sim.evaluated]
    k = round(setting.keep_share * truth.size)
    truth_top = set(top_k(truth, k, rng).tolist())

    weighted = ReviewerWeightedScore().fit(sim.frame, wrong_challenges=sim.wrong_challenges)
    plain = WeightedMeanRating().fit(sim.frame).scores_
    zmean = RaterNormalisedMean().fit(sim.frame).scores_
    scores = {
        "weighted": weighted.scores_,
        "mean": plain,
        "z-mean": zmean,
        # the plain mean, its ties ordered by the z-mean: a tie-breaker with no reviewer weights
        "mean, ties by z-mean": plain + TIE_STEP * rankdata(zmean) / zmean.size,
        "all-honest mean": WeightedMeanRating().fit(sim.honest_frame).scores_,
    }
    methods: dict[str, dict[str, float]] = {}
    chosen_by: dict[str, IntArray] = {}
    for name, series in scores.items():
        score = series.reindex(sim.evaluated).to_numpy(dtype=np.float64)
        chosen_by[name] = top_k(score, k, rng)
        methods[name] = {
            "overlap": len(set(chosen_by[name].tolist()) & truth_top) / k,
            "spearman": float(spearmanr(score, truth).statistic),
        }
    # how the weighted top-k·P differs from the plain mean's: pairs it keeps from below the
    # plain mean's value at the cut (a real reordering), and the size of the tie group at the cut
    plain_score = plain.reindex(sim.evaluated).to_numpy(dtype=np.float64)
    cut = plain_score[chosen_by["mean"]].min()
    below_cut = float(np.mean(plain_score[chosen_by["weighted"]] < cut - 1e-9))
    tied_at_cut = int(np.sum(np.abs(plain_score - cut) <= 1e-9))
    weights = weighted.weights_.reindex(np.arange(setting.reviewers))
    by_kind = {
        kind: float(weights[sim.kind == kind].mean()) if (sim.kind == kind).any() else None
        for kind in KINDS
    }
    wrong = sim.wrong_challenges.to_numpy()
    wrong_share = {
        kind: float(wrong[sim.kind == kind].sum() / sim.challenge_answers[sim.kind == kind].sum())
        if (sim.kind == kind).any()
        else None
        for kind in KINDS
    }
    return {
        "seed": seed,
        "evaluated_pairs": int(truth.size),
        "challenge_pairs": int(pairs.size - truth.size),
        "k": k,
        "methods": methods,
        "weights": {
            "min": float(weights.min()),
            "max": float(weights.max()),
            "mean": float(weights.mean()),
            "by_kind": by_kind,
        },
        "wrong_challenge_share": wrong_share,
        "sigma": weighted.sigma_,
        "iterations": weighted.n_iter_,
        "weighted_top_below_mean_cut": below_cut,
        "mean_cut": float(cut),
        "pairs_tied_at_mean_cut": tied_at_cut,
    }


def median(values: list[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return statistics.median(present) if present else None


def summarise(runs: list[dict[str, Any]]) -> dict[str, Any]:
    diff = [r["methods"]["weighted"]["overlap"] - r["methods"]["mean"]["overlap"] for r in runs]
    return {
        "methods": {
            m: {
                metric: median([r["methods"][m][metric] for r in runs])
                for metric in ("overlap", "spearman")
            }
            for m in METHODS
        },
        "weights": {
            "min": min(r["weights"]["min"] for r in runs),
            "max": max(r["weights"]["max"] for r in runs),
            "mean": median([r["weights"]["mean"] for r in runs]),
            "by_kind": {k: median([r["weights"]["by_kind"][k] for r in runs]) for k in KINDS},
        },
        "wrong_challenge_share": {
            k: median([r["wrong_challenge_share"][k] for r in runs]) for k in KINDS
        },
        "weighted_minus_mean_overlap": {
            "median": statistics.median(diff),
            "min": min(diff),
            "max": max(diff),
            "seeds_ahead": sum(d > 0 for d in diff),
            "seeds_behind": sum(d < 0 for d in diff),
            "seeds": len(diff),
        },
        "weighted_top_below_mean_cut": median([r["weighted_top_below_mean_cut"] for r in runs]),
        "pairs_tied_at_mean_cut": median([r["pairs_tied_at_mean_cut"] for r in runs]),
    }


def fmt(value: float | None, digits: int = 3) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def markdown(results: dict[str, Any]) -> str:
    settings = results["settings"]
    first = settings[0]
    lines = [
        f"{results['pairs']:,} MLQE-PE pairs ({first['runs'][0]['challenge_pairs']:,} of them "
        f"challenge pairs, {first['runs'][0]['evaluated_pairs']:,} evaluated), "
        f"{results['reviewers']} reviewers, careless share {results['careless_share']:.0%}, "
        f"keep share P = {results['keep_share']:.0%} (k·P = {first['runs'][0]['k']:,}); "
        f"stars = min(5, 1 + ⌊DA/20⌋); truth = mean of all real DA ratings (0–100); "
        f"median of {results['repeats']} seeds.",
        "",
        "| R | spam | top-k·P overlap: weighted | mean | z-mean | mean, ties by z-mean "
        "| all-honest mean | Spearman: weighted | mean | z-mean | mean, ties by z-mean "
        "| all-honest mean | weighted − mean overlap (min … max; seeds ahead) |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for s in settings:
        m, d = s["summary"]["methods"], s["summary"]["weighted_minus_mean_overlap"]
        lines.append(
            f"| {s['reviews_per_pair']} | {s['spam_share']:.0%} | "
            + " | ".join(fmt(m[name]["overlap"]) for name in METHODS)
            + " | "
            + " | ".join(fmt(m[name]["spearman"]) for name in METHODS)
            + f" | {d['median']:+.3f} ({d['min']:+.3f} … {d['max']:+.3f}; "
            f"{d['seeds_ahead']}/{d['seeds']}) |"
        )
    lines += [
        "",
        "| R | spam | weight min | max | mean | mean weight: honest | careless | spammer "
        "| wrong challenge answers: honest | careless | spammer "
        "| pairs tied at the mean's cut | weighted top-k·P from below that cut |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for s in settings:
        w, c = s["summary"]["weights"], s["summary"]["wrong_challenge_share"]
        lines.append(
            f"| {s['reviews_per_pair']} | {s['spam_share']:.0%} | {fmt(w['min'])} | "
            f"{fmt(w['max'])} | {fmt(w['mean'], 4)} | "
            + " | ".join(fmt(w["by_kind"][k]) for k in KINDS)
            + " | "
            + " | ".join("—" if c[k] is None else f"{c[k]:.1%}" for k in KINDS)
            + f" | {s['summary']['pairs_tied_at_mean_cut']:,.0f} | "
            f"{s['summary']['weighted_top_below_mean_cut']:.2%} |"
        )
    lines += [
        "",
        "Weight min / max are over all seeds; the rest are medians. Wrong challenge answers: "
        "share of a kind's challenge answers more than 1 star from the known answer. "
        "Pairs tied at the mean's cut: evaluated pairs whose plain mean equals the lowest "
        "plain mean the plain mean's top-k·P keeps; from below that cut: share of the "
        "weighted score's top-k·P whose plain mean is lower than it (0 % means the weighted "
        "score only reorders the pairs inside that tie group).",
    ]
    return "\n".join(lines)


def run(args: argparse.Namespace) -> dict[str, Any]:
    started = time.perf_counter()
    pairs = load_pairs(args.data)
    print(f"loaded {pairs.size:,} pairs from {args.data}", file=sys.stderr)
    grid = (
        [(r, spam) for r in SWEEP_R for spam in SWEEP_SPAM]
        if args.sweep
        else [(args.reviews_per_pair, args.spam_share)]
    )
    settings = []
    for r, spam in grid:
        setting = Setting(
            spam_share=spam,
            careless_share=args.careless_share,
            reviews_per_pair=r,
            reviewers=args.reviewers,
            challenge_share=args.challenge_share,
            keep_share=args.keep_share,
        )
        runs = []
        for seed in range(args.seed, args.seed + args.repeats):
            t0 = time.perf_counter()
            result = run_once(pairs, setting, seed)
            runs.append(result)
            m = result["methods"]
            print(
                f"R={r} spam={spam:.0%} seed={seed}: overlap weighted "
                f"{m['weighted']['overlap']:.3f} mean {m['mean']['overlap']:.3f} z-mean "
                f"{m['z-mean']['overlap']:.3f} ({time.perf_counter() - t0:.1f} s, "
                f"{result['iterations']} iterations)",
                file=sys.stderr,
            )
        settings.append(
            {
                "reviews_per_pair": r,
                "spam_share": spam,
                "summary": summarise(runs),
                "runs": runs,
            }
        )
    return {
        "command": " ".join(["bench/weighted_review/review.py", *sys.argv[1:]]),
        "machine": f"{platform.platform()}, Python {platform.python_version()}",
        "pairs": pairs.size,
        "pairs_per_language": {
            str(lang): int(n)
            for lang, n in zip(*np.unique(pairs.language, return_counts=True), strict=True)
        },
        "star_mapping": "stars = min(5, 1 + floor(DA / 20)): 0-19 1, 20-39 2, 40-59 3, "
        "60-79 4, 80-100 5",
        "truth": "mean of all real DA ratings of the pair, 0-100 scale",
        "challenge_rule": "wrong when |answer - known| > 1 star; known = stars(truth)",
        "reviewers": args.reviewers,
        "careless_share": args.careless_share,
        "challenge_share": args.challenge_share,
        "keep_share": args.keep_share,
        "repeats": args.repeats,
        "first_seed": args.seed,
        "seconds": round(time.perf_counter() - started, 1),
        "settings": settings,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--seed", type=int, default=0, help="first seed")
    parser.add_argument("--repeats", type=int, default=5, help="seeds; medians are reported")
    parser.add_argument("--spam-share", type=float, default=0.2)
    parser.add_argument("--careless-share", type=float, default=0.1)
    parser.add_argument("--keep-share", type=float, default=0.3, help="P: share of pairs kept")
    parser.add_argument("--reviews-per-pair", type=int, default=3, help="R")
    parser.add_argument("--reviewers", type=int, default=100, help="size of the reviewer pool")
    parser.add_argument("--challenge-share", type=float, default=0.05)
    parser.add_argument(
        "--sweep", action="store_true", help="spam shares 0, 0.1, 0.2, 0.3 × R = 3 and 5"
    )
    parser.add_argument("--out", type=Path, help="JSON result (a .md table is written beside it)")
    parser.add_argument("--table", action="store_true", help="only print the table of --out")
    args = parser.parse_args()
    out: Path = args.out or HERE / "results" / ("sweep.json" if args.sweep else "review.json")
    if args.table:
        print(markdown(json.loads(out.read_text())))
        return
    results = run(args)
    table = markdown(results)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=1) + "\n")
    out.with_suffix(".md").write_text(f"`{results['command']}`\n\n{table}\n")
    print(table)


if __name__ == "__main__":
    main()
