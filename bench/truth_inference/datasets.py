"""Benchmark data: the truth-inference sets in /work/shared/data/truth-inference, and synthetic
crowds. Every pitfall listed in that folder's README.md is handled here, once, for both
libraries (they always receive the same frame).

- ``d_jn-product``: the third part of each question id equals the truth (``988_1500_0``), so
  questions are re-keyed to ``A_B`` before anything sees them.
- ``s4_Relevance``: exact duplicate rows are dropped; where a worker still has several answers
  to one question, the first in file order is kept; accuracy is measured on the 4,460 tasks
  that have a truth.
- ``snow2008``: ``!amt_worker_ids`` is the worker, ``orig_id`` the task, ``response`` the label;
  the truth is the ``gold`` column.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

DATA = Path(os.environ.get("TRUTH_INFERENCE_DATA", "/work/shared/data/truth-inference"))


@dataclass(frozen=True)
class Dataset:
    name: str
    answers: pd.DataFrame  # task, worker, label
    truth: pd.Series  # task → true label (only the tasks that have one)
    numeric: bool = False
    note: str = ""


def _zheng(folder: str) -> tuple[pd.DataFrame, pd.Series]:
    answers = pd.read_csv(DATA / folder / "answer.csv", dtype={"question": str, "worker": str})
    truth = pd.read_csv(DATA / folder / "truth.csv", dtype={"question": str})
    answers = answers.rename(columns={"question": "task", "answer": "label"})
    return answers, truth.set_index("question")["truth"].rename_axis("task")


def _rekey_product(ids: pd.Series) -> pd.Series:
    """``988_1500_0`` → ``988_1500``: drop the label leak in d_jn-product's question ids."""
    return ids.str.rsplit("_", n=1).str[0]


def load(name: str) -> Dataset:
    """One benchmark set by its folder name (``snow2008/rte`` for the Snow files)."""
    if name.startswith("snow2008/"):
        kind = name.split("/", 1)[1]
        raw = pd.read_csv(DATA / "snow2008" / f"{kind}.standardized.tsv", sep="\t", dtype=str)
        answers = pd.DataFrame(
            {
                "task": raw["orig_id"],
                "worker": raw["!amt_worker_ids"],
                "label": raw["response"].astype(int),
            }
        )
        truth = raw.groupby("orig_id")["gold"].first().astype(int).rename_axis("task")
        return Dataset(name, answers, truth)
    answers, truth = _zheng(name)
    note = ""
    if name == "d_jn-product":
        answers["task"] = _rekey_product(answers["task"])
        truth.index = _rekey_product(truth.index.to_series())
        note = "question ids re-keyed to A_B (label leak)"
    if name == "s4_Relevance":
        before = len(answers)
        answers = answers.drop_duplicates().drop_duplicates(["task", "worker"], keep="first")
        note = f"{before - len(answers):,} repeated answers dropped; scored on tasks with truth"
    answers = answers.reset_index(drop=True)
    return Dataset(name, answers, truth, numeric=name == "f201_Emotion_FULL", note=note)


CLASSIFICATION_SETS = [
    "d_Duck_Identification",
    "d_jn-product",
    "s4_Dog_data",
    "s4_Relevance",
    "snow2008/rte",
    "snow2008/temp",
    "snow2008/wsd",
]
NUMERIC_SETS = ["f201_Emotion_FULL"]


def _next_prime(n: int) -> int:
    def is_prime(k: int) -> bool:
        return k > 1 and all(k % d for d in range(2, int(k**0.5) + 1))

    while not is_prime(n):
        n += 1
    return n


def synthetic(
    n_tasks: int, overlap: int, n_classes: int, spammers: float = 0.2, seed: int = 0
) -> tuple[pd.DataFrame, pd.Series]:
    """A crowd with ``spammers`` share of uniform random answerers; the others are right with
    a probability drawn from U(0.6, 0.95) and otherwise pick a wrong class uniformly.

    About 50 answers per worker (the worker count is the next prime ≥ ``n_tasks·overlap/50``
    and ≥ 50). Each task gets ``overlap`` distinct workers: ``(start + j·step) mod W`` with a
    random start and step, distinct because ``W`` is prime.
    """
    rng = np.random.default_rng(seed)
    n_workers = _next_prime(max(50, n_tasks * overlap // 50, overlap + 1))
    truth = rng.integers(0, n_classes, n_tasks)
    spam = rng.random(n_workers) < spammers
    accuracy = np.where(spam, 1.0 / n_classes, rng.uniform(0.6, 0.95, n_workers))
    start = rng.integers(0, n_workers, n_tasks)
    step = rng.integers(1, n_workers, n_tasks)
    worker = (start[:, None] + np.arange(overlap)[None, :] * step[:, None]) % n_workers
    task = np.repeat(np.arange(n_tasks), overlap)
    worker = worker.ravel()
    true = truth[task]
    right = rng.random(task.size) < accuracy[worker]
    wrong = (true + rng.integers(1, max(n_classes, 2), task.size)) % n_classes
    random_label = rng.integers(0, n_classes, task.size)
    label = np.where(spam[worker], random_label, np.where(right, true, wrong))
    answers = pd.DataFrame(
        {
            "task": np.char.add("t", task.astype(str)),
            "worker": np.char.add("w", worker.astype(str)),
            "label": label,
        }
    )
    ids = pd.Index(np.char.add("t", np.arange(n_tasks).astype(str)), name="task")
    return answers, pd.Series(truth, index=ids, name="truth")
