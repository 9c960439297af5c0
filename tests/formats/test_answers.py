"""Answer files: CSV, TSV, JSONL and Parquet in, results out, with named errors."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from crowdset.errors import ImportFailed, InvalidInput
from crowdset.formats.answers import (
    match_labels,
    parse_column_mapping,
    read_answers,
    read_table,
    write_table,
)

ROWS = pd.DataFrame(
    {"question": ["007", "007", "q2"], "worker": ["ann", "bob", "ann"], "answer": [1, 0, 1]}
)
MAPPING = {"task": "question", "label": "answer"}


def _write(path: Path, frame: pd.DataFrame) -> Path:
    if path.suffix == ".csv":
        frame.to_csv(path, index=False)
    elif path.suffix == ".tsv":
        frame.to_csv(path, index=False, sep="\t")
    elif path.suffix == ".jsonl":
        path.write_text("".join(json.dumps(row) + "\n" for row in frame.to_dict("records")))
    else:
        frame.to_parquet(path, index=False)
    return path


@pytest.mark.parametrize("suffix", [".csv", ".tsv", ".jsonl", ".parquet"])
def test_read_answers_maps_columns(tmp_path: Path, suffix: str) -> None:
    path = _write(tmp_path / f"answers{suffix}", ROWS)
    frame = read_answers(path, MAPPING)
    assert list(frame.columns) == ["task", "worker", "label"]
    assert frame["task"].tolist() == ["007", "007", "q2"]  # ids stay text, zeros kept
    assert frame["worker"].tolist() == ["ann", "bob", "ann"]
    assert [str(label) for label in frame["label"]] == ["1", "0", "1"]


def test_csv_labels_are_text_jsonl_labels_keep_their_type(tmp_path: Path) -> None:
    csv = read_answers(_write(tmp_path / "a.csv", ROWS), MAPPING)
    jsonl = read_answers(_write(tmp_path / "a.jsonl", ROWS), MAPPING)
    assert csv["label"].tolist() == ["1", "0", "1"]
    assert jsonl["label"].tolist() == [1, 0, 1]


def test_missing_column_names_it_and_the_columns_present(tmp_path: Path) -> None:
    path = _write(tmp_path / "answers.csv", ROWS)
    with pytest.raises(InvalidInput) as caught:
        read_answers(path, {"task": "question"})
    message = str(caught.value)
    assert "has no column for label" in message
    assert "columns present: question, worker, answer" in message
    assert "--columns task=question,worker=worker,label=answer" in message
    assert caught.value.fields["missing"] == ["label"]


def test_missing_mapped_column_names_the_file_column(tmp_path: Path) -> None:
    path = _write(tmp_path / "answers.csv", ROWS)
    with pytest.raises(InvalidInput, match="has no column for task \\(as 'item'\\)"):
        read_answers(path, {"task": "item", "label": "answer"})


def test_empty_cell_reports_its_line(tmp_path: Path) -> None:
    path = tmp_path / "answers.csv"
    path.write_text("question,worker,answer\nq1,ann,1\nq1,,0\n")
    with pytest.raises(ImportFailed, match="line 3 has no worker") as caught:
        read_answers(path, MAPPING)
    assert caught.value.fields["line"] == 3


def test_bad_jsonl_line_reports_its_number(tmp_path: Path) -> None:
    path = tmp_path / "answers.jsonl"
    path.write_text('{"task": "q1", "worker": "a", "label": 1}\n{"task": "q2",\n')
    with pytest.raises(ImportFailed, match="line 2 is not valid JSON") as caught:
        read_answers(path)
    assert caught.value.fields["line"] == 2


def test_jsonl_line_must_be_an_object(tmp_path: Path) -> None:
    path = tmp_path / "answers.jsonl"
    path.write_text('["q1", "a", 1]\n')
    with pytest.raises(ImportFailed, match="line 1 must be a JSON object"):
        read_answers(path)


@pytest.mark.parametrize(
    ("name", "message"),
    [("answers.xlsx", "use one of .csv, .tsv, .jsonl, .parquet"), ("nope.csv", "file not found")],
    ids=["unknown-extension", "missing-file"],
)
def test_unreadable_paths(tmp_path: Path, name: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        read_answers(tmp_path / name)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("task=question,worker=worker,label=answer",
         {"task": "question", "worker": "worker", "label": "answer"}),
        (" task = question , label=answer ", {"task": "question", "label": "answer"}),
        ("", {}),
        (None, {}),
    ],
    ids=["all-three", "spaces", "empty", "none"],
)  # fmt: skip
def test_parse_column_mapping(text: str | None, expected: dict[str, str]) -> None:
    assert parse_column_mapping(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("task:question", "expects NAME=COLUMN pairs separated by commas"),
        ("task=", "could not read 'task='"),
        ("item=question", "maps 'item', which is not one of task, worker, label"),
        ("task=a,task=b", "maps 'task' twice"),
    ],
    ids=["colon", "no-column", "unknown-key", "twice"],
)
def test_parse_column_mapping_explains_bad_syntax(text: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        parse_column_mapping(text)


@pytest.mark.parametrize("suffix", [".csv", ".tsv", ".jsonl", ".parquet"])
def test_write_table_round_trip(tmp_path: Path, suffix: str) -> None:
    result = pd.DataFrame(
        {"task": ["q1", "q2"], "label": ["cat", "dog"], "confidence": [0.75, np.nan]}
    )
    path = tmp_path / f"labels{suffix}"
    write_table(result, path)
    back = read_table(path)
    assert list(back.columns) == ["task", "label", "confidence"]
    assert back["task"].tolist() == ["q1", "q2"]
    assert back["label"].tolist() == ["cat", "dog"]
    confidence = pd.to_numeric(back["confidence"])
    assert confidence[0] == 0.75
    assert np.isnan(confidence[1])  # empty for CSV/TSV, null for JSONL/Parquet


def test_write_table_needs_an_existing_folder(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="does not exist"):
        write_table(pd.DataFrame({"a": [1]}), tmp_path / "missing" / "out.csv")


def test_match_labels() -> None:
    assert match_labels(pd.Series(["1", "0"]), pd.Series([0, 1]), what="gold").tolist() == [1, 0]
    assert match_labels(pd.Series([1, 0]), pd.Series(["0", "1"]), what="gold").tolist() == [
        "1",
        "0",
    ]
    with pytest.raises(InvalidInput, match="gold must be numbers"):
        match_labels(pd.Series(["cat"]), pd.Series([0, 1]), what="gold")
