"""Labeling results written as CSV, TSV, JSONL and Parquet (``formats.items``)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from crowdset.formats.items import results_frame, results_text, write_results

ROW = {
    "item": "a",
    "text": "fine",
    "image": None,
    "status": "settled",
    "answer": ["neg", "pos"],
    "confidence": 0.95,
    "judgments": 3,
    "score": None,
    "mean": None,
}


def test_multi_label_answers_are_joined_in_csv_and_lists_in_jsonl() -> None:
    csv_text = results_text([ROW], "csv")
    assert csv_text.splitlines() == [
        "item,text,image,status,answer,confidence,judgments",
        "a,fine,,settled,neg|pos,0.95,3",
    ]
    (line,) = results_text([ROW], "jsonl").splitlines()
    assert json.loads(line)["answer"] == ["neg", "pos"]


def test_rating_columns_appear_when_some_item_has_them() -> None:
    rated = ROW | {"answer": "4", "score": 3.8, "mean": 4.0}
    frame = results_frame([rated, ROW | {"answer": None}], "csv")
    assert list(frame.columns)[-2:] == ["score", "mean"]


@pytest.mark.parametrize("suffix", [".csv", ".tsv", ".jsonl", ".parquet"])
def test_write_results_round_trips(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"results{suffix}"
    assert write_results([ROW, ROW | {"item": "b", "answer": []}], path) == 2
    if suffix == ".parquet":
        back = pd.read_parquet(path)
    elif suffix == ".jsonl":
        back = pd.read_json(path, lines=True)
    else:
        back = pd.read_csv(path, sep="\t" if suffix == ".tsv" else ",")
    assert list(back["item"]) == ["a", "b"]
    first = back["answer"][0]
    assert (first if suffix in (".csv", ".tsv") else list(first)) == (
        "neg|pos" if suffix in (".csv", ".tsv") else ["neg", "pos"]
    )
