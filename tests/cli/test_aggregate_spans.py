"""``crowdset aggregate --method span-mv|token-ds|hmm`` on span annotations in JSON Lines."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner, Result

from crowdset.cli.aggregate import register
from crowdset.errors import ImportFailed, InvalidInput

TEXT = "Ann lives in New York."
OTHER = "Bob met Ann."
PER, LOC = {"start": 0, "end": 3, "label": "PER"}, {"start": 13, "end": 21, "label": "LOC"}
ANNOTATIONS: list[dict[str, Any]] = [
    {"text": TEXT, "worker": "w1", "spans": [PER, LOC]},
    {"text": TEXT, "worker": "w2", "spans": [PER, {"start": 13, "end": 16, "label": "LOC"}]},
    {"text": TEXT, "worker": "w3", "spans": [LOC]},
    {"text": OTHER, "worker": "w1", "spans": [PER, {"start": 8, "end": 11, "label": "PER"}]},
    {"text": OTHER, "worker": "w2", "spans": []},
    {"text": OTHER, "worker": "w3", "spans": [PER, {"start": 8, "end": 11, "label": "PER"}]},
]


def _app() -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def main() -> None:
        """Test shell."""

    register(app)
    return app


def _invoke(*args: str) -> Result:
    return CliRunner().invoke(_app(), ["aggregate", *args])


def _write(path: Path, records: list[Any]) -> Path:
    path.write_text("".join(json.dumps(record) + "\n" for record in records), encoding="utf-8")
    return path


def _read(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


@pytest.mark.parametrize("method", ["span-mv", "token-ds", "hmm"])
def test_span_methods_write_one_line_per_text(tmp_path: Path, method: str) -> None:
    source, out = _write(tmp_path / "spans.jsonl", ANNOTATIONS), tmp_path / "out.jsonl"
    result = _invoke(str(source), "--method", method, "-o", str(out))
    assert result.exit_code == 0, result.output
    first, second = _read(out)
    assert first["text"] == TEXT and second["text"] == OTHER
    assert [(s["start"], s["end"], s["label"]) for s in first["spans"]] == [
        (0, 3, "PER"), (13, 21, "LOC"),
    ]  # fmt: skip
    assert [(s["start"], s["end"]) for s in second["spans"]] == [(0, 3), (8, 11)]
    assert all(0.5 <= s["confidence"] <= 1.0 for s in first["spans"] + second["spans"])
    tokens = first["tokens"]
    words = [TEXT[t["start"] : t["end"]] for t in tokens]
    assert words == ["Ann", "lives", "in", "New", "York", "."]
    assert [t["tag"] for t in tokens] == ["B-PER", "O", "O", "B-LOC", "I-LOC", "O"]
    assert "written to" in result.output and "texts" in result.output


def test_columns_map_other_keys_and_whitespace_tokens(tmp_path: Path) -> None:
    renamed = [
        {"sentence": a["text"], "annotator": a["worker"], "entities": a["spans"]}
        for a in ANNOTATIONS
    ]
    source, out = _write(tmp_path / "spans.jsonl", renamed), tmp_path / "out.jsonl"
    columns = "text=sentence,worker=annotator,spans=entities"
    args = ["--columns", columns, "--tokens", "whitespace", "-o", str(out)]
    result = _invoke(str(source), "-m", "token-ds", *args)
    assert result.exit_code == 0, result.output
    loc = _read(out)[0]["spans"][1]
    assert TEXT[loc["start"] : loc["end"]] == "New York."  # the whole whitespace token


def test_labels_are_optional(tmp_path: Path) -> None:
    records = [{"text": "a b c", "worker": w, "spans": [{"start": 2, "end": 3}]} for w in "xyz"]
    source, out = _write(tmp_path / "spans.jsonl", records), tmp_path / "out.jsonl"
    assert _invoke(str(source), "-m", "span-mv", "-o", str(out)).exit_code == 0
    assert _read(out)[0]["spans"] == [{"start": 2, "end": 3, "label": "span", "confidence": 1.0}]


def test_overlaps_are_refused_unless_merged(tmp_path: Path) -> None:
    overlapping = [{"start": 0, "end": 5, "label": "X"}, {"start": 4, "end": 9, "label": "X"}]
    records = [{"text": "aaa bbb ccc", "worker": w, "spans": overlapping} for w in "xy"]
    source, out = _write(tmp_path / "spans.jsonl", records), tmp_path / "out.jsonl"
    error = _invoke(str(source), "-m", "hmm", "-o", str(out)).exception
    assert isinstance(error, InvalidInput)
    assert "line 1: spans (0, 5, 'X') and (4, 9, 'X') overlap" in str(error)
    assert "--merge-overlaps" in str(error)
    result = _invoke(str(source), "-m", "span-mv", "--merge-overlaps", "-o", str(out))
    assert result.exit_code == 0, result.output
    assert [(s["start"], s["end"]) for s in _read(out)[0]["spans"]] == [(0, 11)]


def _line(text: str = "a b", worker: Any = "w", spans: Any = None) -> dict[str, Any]:
    return {"text": text, "worker": worker, "spans": [] if spans is None else spans}


@pytest.mark.parametrize(
    ("records", "message"),
    [
        ([_line(), {"text": "a b", "spans": []}], "line 2 has no key for worker"),
        ([_line(spans=[{"start": 2, "end": 9}])], "span 0 [2, 9) is outside the text or empty"),
        ([_line(spans=[{"start": 1, "end": 1}])], "0 <= start < end <= 3"),
        ([_line(spans=[{"start": "0", "end": 1}])], "needs integer start and end"),
        ([_line(spans=[{"begin": 0, "end": 1}])], "must be an object with start and end"),
        ([_line(spans={"start": 0})], "'spans' must be a list"),
        ([_line(spans=[{"start": 0, "end": 1, "label": "a b"}])], "a label is a non-empty word"),
        ([_line(text="")], "'text' must be a non-empty string"),
        ([_line(), _line()], "line 2: worker 'w' already annotated this text on line 1"),
        ([_line(text="  ")], "has no tokens"),
        ([], "has no annotations"),
    ],
    ids=[
        "missing-key", "out-of-range", "empty-span", "string-offset", "no-start", "not-a-list",
        "label-with-space", "empty-text", "twice", "no-tokens", "empty-file",
    ],
)  # fmt: skip
def test_bad_annotations_are_explained(
    tmp_path: Path, records: list[dict[str, Any]], message: str
) -> None:
    source = _write(tmp_path / "spans.jsonl", records)
    error = _invoke(str(source), "-m", "token-ds", "-o", str(tmp_path / "out.jsonl")).exception
    assert isinstance(error, InvalidInput)
    assert message in str(error)


def test_malformed_json_names_the_line(tmp_path: Path) -> None:
    source = tmp_path / "spans.jsonl"
    source.write_text(json.dumps(_line()) + "\n{not json\n", encoding="utf-8")
    error = _invoke(str(source), "-m", "hmm", "-o", str(tmp_path / "out.jsonl")).exception
    assert isinstance(error, ImportFailed)
    assert "line 2 is not valid JSON" in str(error)


@pytest.mark.parametrize(
    ("source_name", "args", "message"),
    [
        ("spans.csv", ["-m", "hmm", "-o", "out.jsonl"], "read from JSON Lines (.jsonl)"),
        ("spans.jsonl", ["-m", "hmm", "-o", "out.csv"], "give --output a .jsonl name"),
        ("spans.jsonl", ["-m", "ds", "--tokens", "words", "-o", "o.csv"], "--tokens works with"),
        ("spans.jsonl", ["-m", "hmm", "--columns", "task=x", "-o", "o.jsonl"], "not one of text"),
    ],
    ids=["csv-in", "csv-out", "tokens-with-ds", "task-column"],
)
def test_option_misuse_is_explained(
    tmp_path: Path, source_name: str, args: list[str], message: str
) -> None:
    source = _write(tmp_path / source_name, ANNOTATIONS)
    args = [str(tmp_path / a) if a.startswith(("out.", "o.")) else a for a in args]
    error = _invoke(str(source), *args).exception
    assert isinstance(error, InvalidInput)
    assert message in str(error)
