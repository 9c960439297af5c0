"""Span aggregation on real crowd sequence labels: token majority vote, token Dawid–Skene and
HMM-Crowd against expert gold, on CoNLL-2003 NER tagged by MTurk workers (Rodrigues et al.
2014) and on PICO "Participants" spans in medical abstracts (Nguyen et al. 2017).

Run in the project's own environment, BLAS on one thread:

    OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 \\
        .venv/bin/python bench/truth_inference/spans.py

Data, relative to the repository root (``--conll`` and ``--pico`` override them):
``../shared/data/conll2003-ner-mturk/<subset>`` (``answers.txt``: a token and 47 workers' BIO
tags per line, ``?`` where a worker did not tag the sentence; ``ground_truth.txt``: the CoNLL
tags) and ``../shared/data/pico-crowd-spans`` (``annotations/acl17-test``: per-worker character
spans, the medical student's gold spans, and the authors' own aggregations; ``docs/``: the
abstracts). CoNLL uses the data's tokens; PICO texts are cut with crowdset's ``words`` tokenizer
(words and punctuation), each worker's spans (which may overlap) are merged and widened to whole
tokens, and the gold spans likewise, so every method is scored on the same tokens.

Scores: CoNLL entity-level precision / recall / F1 (exact start, end and type; CoNLL's
``conlleval`` reading of BIO). PICO: the same on token spans, plus token-level and
character-level P/R/F1 (a token or character counts when it is inside some span; the data's
README gives the authors' aggregations at character level). Only ``fit`` is timed, in CPU
seconds (``time.process_time``), median of ``--runs`` runs, on data already in memory.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from collections import Counter
from collections.abc import Callable, Iterator
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from crowdset.aggregation import (
    HMMCrowd,
    Span,
    SpanAggregator,
    SpanMajorityVote,
    TokenDawidSkene,
    entity_f1,
    spans_to_tags,
    tags_to_spans,
    tokenize,
)

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
CONLL = ROOT / ".." / "shared" / "data" / "conll2003-ner-mturk"
PICO = ROOT / ".." / "shared" / "data" / "pico-crowd-spans"
PICO_LABEL = "P"

# Copied from the data's README.md files (computed there by whoever staged the data, on these
# very files; not rerun here unless a "measured" row says so).
README_FIGURES: dict[str, list[dict[str, Any]]] = {
    "conll-random15": [
        {
            "method": "token majority vote, ties to the first most common (README)",
            "precision": 0.802,
            "recall": 0.543,
            "f1": 0.648,
        },
        {"method": "per-worker F1, mean / median (README)", "f1": "0.565 / 0.563"},
    ],
    "conll-small": [
        {
            "method": "token majority vote, ties to the first most common (README)",
            "precision": 0.818,
            "recall": 0.655,
            "f1": 0.728,
        },
        {
            "method": "upstream mv.txt of Rodrigues et al. (README)",
            "precision": 0.826,
            "recall": 0.697,
            "f1": 0.756,
        },
    ],
    "pico-acl17-test": [
        {
            "method": "upstream MajorityVote, character level (README)",
            "precision": 0.864,
            "recall": 0.609,
            "f1": 0.715,
        },
        {
            "method": "upstream DawidSkene, character level (README)",
            "precision": 0.776,
            "recall": 0.740,
            "f1": 0.758,
        },
        {
            "method": "upstream HMMCrowd, character level (README)",
            "precision": 0.609,
            "recall": 0.844,
            "f1": 0.707,
        },
    ],
}

Model = Callable[[], SpanAggregator]
MODELS: dict[str, Model] = {
    "span-mv": SpanMajorityVote,
    "token-ds": TokenDawidSkene,
    "hmm": HMMCrowd,
}


# --- data -----------------------------------------------------------------------------------


def _blocks(path: Path) -> Iterator[list[list[str]]]:
    """Sentences of a CoNLL-like file: lists of whitespace-split lines."""
    sentence: list[list[str]] = []
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            fields = line.split()
            if fields:
                sentence.append(fields)
            elif sentence:
                yield sentence
                sentence = []
    if sentence:
        yield sentence


def load_conll(folder: Path) -> dict[str, Any]:
    """The crowd frame, the words and the gold spans of one CoNLL MTurk subset."""
    answers = list(_blocks(folder / "answers.txt"))
    gold = list(_blocks(folder / "ground_truth.txt"))
    assert len(answers) == len(gold), "answers and ground truth are not aligned"
    rows, words, first_most_common = [], {}, []
    for s, sentence in enumerate(answers):
        words[s] = [fields[0] for fields in sentence]
        for worker in range(1, len(sentence[0])):
            tags = [fields[worker] for fields in sentence]
            if tags[0] != "?":
                rows.append((s, f"w{worker}", tags))
        # the README's reference rule: Counter.most_common over workers in column order
        first_most_common.append(
            tags_to_spans(
                [
                    Counter(f for f in fields[1:] if f != "?").most_common(1)[0][0]
                    for fields in sentence
                ]
            )
        )
    return {
        "frame": pd.DataFrame(rows, columns=["sequence", "worker", "tags"]),
        "words": pd.Series(words),
        "gold": [tags_to_spans([fields[1] for fields in sentence]) for sentence in gold],
        "references": {
            "token majority vote, ties to the first most common (the README's rule, run here)": (
                first_most_common
            )
        },
    }


def _jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def load_pico(folder: Path, fit_on: tuple[str, ...] = ("acl17-test",)) -> dict[str, Any]:
    """The crowd frame and words of the ``fit_on`` splits; gold and the authors' aggregations of
    acl17-test as token spans (``bounds`` and ``texts`` keep what character scores need)."""
    split = folder / "annotations" / "acl17-test"
    gold = {
        r["docid"]: r["Participants"].get("MedicalStudent", [])
        for r in _jsonl(split / "PICO-annos-professional.json")
    }
    upstream = {
        r["docid"]: r["Participants"] for r in _jsonl(split / "PICO-annos-crowdsourcing-agg.json")
    }
    crowd: dict[str, dict[str, list[list[int]]]] = {}
    for name in fit_on:
        for r in _jsonl(folder / "annotations" / name / "PICO-annos-crowdsourcing.json"):
            crowd[r["docid"]] = r["Participants"]
    docids = sorted(gold)
    texts = {d: (folder / "docs" / f"{d}.txt").read_text(encoding="utf-8") for d in crowd}
    bounds = {d: tokenize(texts[d], "words") for d in crowd}

    def token_spans(d: str, spans: list[list[int]]) -> list[Span]:
        chars = [Span(start, end, PICO_LABEL) for start, end in spans]
        return tags_to_spans(spans_to_tags(chars, bounds[d], merge_overlaps=True))

    rows = []
    for d, by_worker in crowd.items():
        for worker, spans in by_worker.items():
            chars = [Span(start, end, PICO_LABEL) for start, end in spans]
            rows.append((d, worker, spans_to_tags(chars, bounds[d], merge_overlaps=True)))
    names = ("MajorityVote", "DawidSkene", "HMMCrowd")
    references = {
        f"upstream {name} (the authors' output, rescored here)": [
            token_spans(d, upstream.get(d, {}).get(name, [])) for d in docids
        ]
        for name in names
    }
    return {
        "frame": pd.DataFrame(rows, columns=["sequence", "worker", "tags"]),
        "words": pd.Series({d: [texts[d][a:b] for a, b in bounds[d]] for d in crowd}),
        "gold": [token_spans(d, gold[d]) for d in docids],
        "references": references,
        "sequences": docids,
        "bounds": bounds,
        "raw_gold": [gold[d] for d in docids],
        "raw_upstream": {
            name: [upstream.get(d, {}).get(name, []) for d in docids] for name in names
        },
    }


# --- scores ---------------------------------------------------------------------------------


def _prf(tp: int, fp: int, fn: int) -> dict[str, float]:
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1}


def entity_scores(gold: list[list[Span]], predicted: list[list[Span]]) -> dict[str, Any]:
    s = entity_f1(gold, predicted)
    return {
        "precision": s.precision,
        "recall": s.recall,
        "f1": s.f1,
        "tp": s.true_positives,
        "fp": s.false_positives,
        "fn": s.false_negatives,
    }


def token_scores(gold: list[list[Span]], predicted: list[list[Span]]) -> dict[str, float]:
    """Tokens inside some span (of any label), micro-averaged."""
    tp = fp = fn = 0
    for truth, guess in zip(gold, predicted, strict=True):
        t = {i for s in truth for i in range(s.start, s.end)}
        g = {i for s in guess for i in range(s.start, s.end)}
        tp, fp, fn = tp + len(t & g), fp + len(g - t), fn + len(t - g)
    return _prf(tp, fp, fn)


def char_scores(gold: list[list[Any]], predicted: list[list[Any]]) -> dict[str, float]:
    """Characters inside some span, micro-averaged (spans as (start, end, …) offsets)."""
    tp = fp = fn = 0
    for truth, guess in zip(gold, predicted, strict=True):
        t = {i for s in truth for i in range(s[0], s[1])}
        g = {i for s in guess for i in range(s[0], s[1])}
        tp, fp, fn = tp + len(t & g), fp + len(g - t), fn + len(t - g)
    return _prf(tp, fp, fn)


# --- runs -----------------------------------------------------------------------------------


def _predicted(model: SpanAggregator, sequences: list[Any]) -> list[list[Span]]:
    return [list(model.spans_.get(s, [])) for s in sequences]


def measure(name: str, data: dict[str, Any], runs: int) -> list[dict[str, Any]]:
    frame, words, gold = data["frame"], data["words"], data["gold"]
    sequences = data.get("sequences", list(range(len(gold))))
    rows, predictions = [], {}
    for method, make in MODELS.items():
        seconds = []
        for _ in range(runs):
            model = make()
            start = time.process_time()
            model.fit(frame, words)
            seconds.append(time.process_time() - start)
        predicted = predictions[method] = _predicted(model, sequences)
        row = {
            "set": name,
            "method": method,
            **entity_scores(gold, predicted),
            "cpu_s_median": statistics.median(seconds),
            "cpu_s": seconds,
            "iterations": getattr(model, "n_iter_", None),
        }
        if "bounds" in data:
            row |= _pico_extra(data, predicted)
        rows.append(row)
        print(json.dumps(row), flush=True)
    data["bootstrap"] = paired_bootstrap(gold, predictions["hmm"], predictions["token-ds"])
    print(json.dumps({"set": name, "hmm − token-ds": data["bootstrap"]}), flush=True)
    for method, predicted in (
        data["references"].items() if data.get("references_here", True) else ()
    ):
        row = {"set": name, "method": method, **entity_scores(gold, predicted)}
        if "bounds" in data:
            raw = method.split()[1] if method.startswith("upstream") else None
            row |= _pico_extra(data, predicted, data["raw_upstream"][raw] if raw else None)
        rows.append(row)
        print(json.dumps(row), flush=True)
    return rows


def paired_bootstrap(
    gold: list[list[Span]],
    first: list[list[Span]],
    second: list[list[Span]],
    resamples: int = 2000,
    seed: int = 0,
) -> dict[str, Any]:
    """Entity F1 of ``first`` minus ``second``, with a 95 % percentile interval from resampling
    the sequences (the same resample for both), and each F1's bootstrap standard error."""

    def counts(predicted: list[list[Span]]) -> np.ndarray:
        rows = []
        for truth, guess in zip(gold, predicted, strict=True):
            hits = len(set(truth) & set(guess))
            rows.append((hits, len(set(guess)) - hits, len(set(truth)) - hits))
        return np.array(rows, dtype=np.float64)

    def f1(c: np.ndarray) -> np.ndarray:  # c: (tp, fp, fn) in the last axis, summed
        tp, fp, fn = c[..., 0], c[..., 1], c[..., 2]
        scores: np.ndarray = 2 * tp / np.maximum(2 * tp + fp + fn, 1)
        return scores

    a, b = counts(first), counts(second)
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, len(gold), size=(resamples, len(gold)))
    fa, fb = f1(a[picks].sum(axis=1)), f1(b[picks].sum(axis=1))
    low, high = np.percentile(fa - fb, [2.5, 97.5])
    return {
        "f1_difference": float(f1(a.sum(axis=0)) - f1(b.sum(axis=0))),
        "ci95": [float(low), float(high)],
        "se_first": float(fa.std()),
        "se_second": float(fb.std()),
        "resamples": resamples,
        "seed": seed,
    }


def _pico_extra(
    data: dict[str, Any], predicted: list[list[Span]], raw: list[list[Any]] | None = None
) -> dict[str, Any]:
    """Token and character scores; ``raw``: the authors' own character spans, scored as they
    are (the README's figures) besides widened to tokens."""
    chars = [
        [(data["bounds"][d][s.start][0], data["bounds"][d][s.end - 1][1]) for s in spans]
        for d, spans in zip(data["sequences"], predicted, strict=True)
    ]
    extra = {
        "token": token_scores(data["gold"], predicted),
        "char": char_scores(data["raw_gold"], chars),
    }
    if raw is not None:
        extra["char_raw"] = char_scores(data["raw_gold"], raw)
    return extra


def sensitivity(data: dict[str, Any]) -> list[dict[str, Any]]:
    """Other hyper-parameters, to show how much the defaults matter; never used to choose them
    (that would be fitting to the gold)."""
    frame, words, gold = data["frame"], data["words"], data["gold"]
    sequences = data.get("sequences", list(range(len(gold))))
    variants: list[tuple[str, dict[str, Any], SpanAggregator]] = []
    for strength in (0.1, 5.0, 20.0):
        variants.append(
            ("token-ds", {"prior_strength": strength}, TokenDawidSkene(prior_strength=strength))
        )
        variants.append(("hmm", {"prior_strength": strength}, HMMCrowd(prior_strength=strength)))
    variants += [
        ("hmm", {"n_iter": 0}, HMMCrowd(n_iter=0)),
        ("hmm", {"n_iter": 5}, HMMCrowd(n_iter=5)),
        ("hmm", {"n_iter": 100}, HMMCrowd(n_iter=100)),
        ("hmm", {"n_iter": 100, "init_iter": 100}, HMMCrowd(n_iter=100, init_iter=100)),
        ("hmm", {"word_prior": None}, HMMCrowd(word_prior=None)),
        ("hmm", {"word_prior": 0.001}, HMMCrowd(word_prior=0.001)),
        ("hmm", {"decoding": "posterior"}, HMMCrowd(decoding="posterior")),
        ("hmm", {"transition_prior": 10.0}, HMMCrowd(transition_prior=10.0)),
    ]
    rows = []
    for method, params, model in variants:
        model.fit(frame, words)
        scores = entity_scores(gold, _predicted(model, sequences))
        rows.append({"set": data["name"], "method": method, "params": params, **scores})
        print(json.dumps(rows[-1]), flush=True)
    return rows


def _versions() -> dict[str, str]:
    found = {"python": platform.python_version(), "machine": platform.machine()}
    for package in ("crowdset", "numpy", "scipy", "pandas"):
        try:
            found[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            found[package] = "not installed"
    return found


def _describe(data: dict[str, Any]) -> dict[str, int]:
    frame = data["frame"]
    return {
        "sequences": int(frame["sequence"].nunique()),
        "annotations": len(frame),
        "workers": int(frame["worker"].nunique()),
        "tokens": int(data["words"].map(len).sum()),
        "gold_spans": sum(len(spans) for spans in data["gold"]),
    }


def table(results: dict[str, Any]) -> str:
    lines = []
    for name, info in results["sets"].items():
        pico = name.startswith("pico")
        scored = (
            " (fitted on all four splits, scored on acl17-test)"
            if name == "pico-all-splits"
            else ""
        )
        lines += [
            "",
            f"**{name}** ({info['sequences']:,} texts, {info['tokens']:,} tokens, "
            f"{info['annotations']:,} annotations by {info['workers']} workers, "
            f"{info['gold_spans']:,} gold spans){scored}",
            "",
            "| method | entity P | entity R | entity F1 | "
            + ("token F1 | char P | char R | char F1 | " if pico else "")
            + f"fit CPU s (median of {results['runs']}) | iterations |",
            "|---|---:|---:|---:|" + ("---:|---:|---:|---:|" if pico else "") + "---:|---:|",
        ]
        for r in (r for r in results["measured"] if r["set"] == name):
            seconds = "—" if "cpu_s_median" not in r else f"{r['cpu_s_median']:.2f}"
            steps = r.get("iterations") or "—"
            cells = f"| {r['method']} | {r['precision']:.3f} | {r['recall']:.3f} | {r['f1']:.3f} | "
            if pico:
                char = r.get("char_raw", r["char"])
                cells += (
                    f"{r['token']['f1']:.3f} | {char['precision']:.3f} | {char['recall']:.3f} "
                    f"| {char['f1']:.3f} | "
                )
            lines.append(cells + f"{seconds} | {steps} |")
        boot = results.get("bootstrap_hmm_minus_token_ds", {}).get(name)
        if boot:
            low, high = boot["ci95"]
            lines.append(
                f"| hmm − token-ds, entity F1 (paired bootstrap, 95 %) | "
                f"{boot['f1_difference']:+.3f} [{low:+.3f}, {high:+.3f}] |"
                + " |"
                * (8 if pico else 4)
            )
        for r in README_FIGURES.get(name, []):
            p = r.get("precision")
            if pico:
                lines.append(
                    f"| *README:* {r['method']} | — | — | — | — | {p:.3f} | {r['recall']:.3f} "
                    f"| {r['f1']:.3f} | — | — |"
                )
            else:
                scores = (
                    f"{p:.3f} | {r['recall']:.3f} | {r['f1']:.3f}" if p else f"— | — | {r['f1']}"
                )
                lines.append(f"| *README:* {r['method']} | {scores} | — | — |")
    if results.get("sensitivity"):
        lines += [
            "",
            "| set | method | setting | entity P | entity R | entity F1 |",
            "|---|---|---|---:|---:|---:|",
        ]
        for r in results["sensitivity"]:
            setting = ", ".join(f"{k}={v}" for k, v in r["params"].items())
            lines.append(
                f"| {r['set']} | {r['method']} | {setting} | {r['precision']:.3f} "
                f"| {r['recall']:.3f} | {r['f1']:.3f} |"
            )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--conll", type=Path, default=CONLL)
    parser.add_argument("--conll-subsets", nargs="*", default=["random15", "small"])
    parser.add_argument("--pico", type=Path, default=PICO)
    parser.add_argument("--no-pico", action="store_true", help="CoNLL only")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--out", type=Path, default=HERE / "results" / "spans.json")
    parser.add_argument("--table", action="store_true", help="only print the table of --out")
    args = parser.parse_args()
    if args.table:
        print(table(json.loads(args.out.read_text())))
        return
    sets: dict[str, dict[str, Any]] = {}
    for subset in args.conll_subsets:
        sets[f"conll-{subset}"] = load_conll(args.conll / subset) | {"name": f"conll-{subset}"}
    if not args.no_pico:
        sets["pico-acl17-test"] = load_pico(args.pico) | {"name": "pico-acl17-test"}
        every = ("train", "dev", "test", "acl17-test")
        sets["pico-all-splits"] = load_pico(args.pico, every) | {
            "name": "pico-all-splits",
            "references_here": False,  # the same rows as pico-acl17-test's
        }
    results: dict[str, Any] = {
        "data": {
            "conll": os.path.relpath(args.conll, ROOT),
            "pico": None if args.no_pico else os.path.relpath(args.pico, ROOT),
        },
        "runs": args.runs,
        "versions": _versions(),
        "sets": {name: _describe(data) for name, data in sets.items()},
        "measured": [row for name, data in sets.items() for row in measure(name, data, args.runs)],
        "bootstrap_hmm_minus_token_ds": {name: data["bootstrap"] for name, data in sets.items()},
        # the 4,740-document fit is left out of the sweep: 14 more fits of up to a minute each
        "sensitivity": [
            row
            for name, data in sets.items()
            if name != "pico-all-splits"
            for row in sensitivity(data)
        ],
        "readme_figures": README_FIGURES,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=1) + "\n")
    print(table(results))


if __name__ == "__main__":
    main()
