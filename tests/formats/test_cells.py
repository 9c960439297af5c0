"""Issue 17: CSV and TSV exports neutralise cells a spreadsheet would run as formulas (OWASP);
numbers and the exact-text formats are untouched."""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
import pytest

from crowdset.formats.answers import write_table
from crowdset.formats.cells import neutralise
from crowdset.formats.items import results_text
from crowdset.formats.parallel_writers import OutputFormat
from crowdset.formats.review import write_reviewed

HOSTILE = ['=HYPERLINK("http://evil.example","x")', "+1+2", "-2+3", "@SUM(A1)", "\tx", "\rx"]


@pytest.mark.parametrize("text", HOSTILE)
def test_neutralise_prefixes_formula_starts(text: str) -> None:
    assert neutralise(text) == "'" + text


@pytest.mark.parametrize("value", ["plain", "a=b", "", 3, -1.5, None])
def test_neutralise_leaves_other_values(value: object) -> None:
    assert neutralise(value) == value


def test_results_csv_neutralises_item_ids_and_answers() -> None:
    rows = [{"item": text, "answer": text, "confidence": -0.5} for text in HOSTILE[:4]]
    frame = pd.read_csv(io.StringIO(results_text(rows, "csv")), keep_default_na=False)
    assert all(str(cell).startswith("'") for cell in frame["item"])
    assert list(frame["confidence"]) == [-0.5] * 4
    assert all(str(cell).startswith("'") for cell in frame["answer"])


@pytest.mark.parametrize("suffix", [".csv", ".tsv"])
def test_written_tables_neutralise_text_not_numbers(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"out{suffix}"
    write_table(pd.DataFrame({"text": ["=1+1", "fine"], "score": [-1, 2]}), path)
    read = pd.read_csv(path, sep="," if suffix == ".csv" else "\t")
    assert list(read["text"]) == ["'=1+1", "fine"]
    assert list(read["score"]) == [-1, 2]


def test_the_kept_pairs_tsv_export_neutralises_but_jsonl_keeps_the_text() -> None:
    pairs = [
        {
            "item": "p1",
            "source": "=cmd|' /C calc'!A0",
            "target": "- Hallo",
            "score": 4.0,
            "mean": 4.0,
            "rank": 1,
            "ratings": [4],
            "keep": True,
        }
    ]
    tsv, jsonl = io.StringIO(), io.StringIO()
    write_reviewed(pairs, OutputFormat.TSV, [tsv])
    write_reviewed(pairs, OutputFormat.JSONL, [jsonl])
    assert tsv.getvalue() == "'=cmd|' /C calc'!A0\t'- Hallo\n"
    assert "=cmd|' /C calc'!A0" in jsonl.getvalue() and "'=" not in jsonl.getvalue()
