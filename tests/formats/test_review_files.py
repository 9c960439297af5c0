"""A review's files (SPEC §4): items from a parallel corpus file or a table, a corpus sent as
JSON, and kept and removed pairs written out (and read back)."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from crowdset.core.labeling.spec import parse_labeling_spec
from crowdset.errors import ImportFailed
from crowdset.formats.parallel import ParallelFormat, read_jsonl, read_tsv
from crowdset.formats.parallel_writers import OutputFormat
from crowdset.formats.review import (
    pairs_from_json,
    parallel_format,
    read_review_items,
    write_reviewed,
    write_reviewed_jsonl,
)

REVIEW = parse_labeling_spec(
    {"name": "r", "type": "review", "instructions": "Rate.", "gold": {"share": 0}, "review": {}}
)
TMX = """<?xml version="1.0" encoding="UTF-8"?>
<tmx version="1.4"><header srclang="en"/><body>
<tu><tuv xml:lang="en"><seg>One.</seg></tuv><tuv xml:lang="de"><seg>Eins.</seg></tuv></tu>
<tu><tuv xml:lang="en"><seg>Two.</seg></tuv><tuv xml:lang="de"><seg>Zwei.</seg></tuv></tu>
</body></tmx>
"""


@pytest.mark.parametrize(
    ("name", "text", "fmt", "ids"),
    [
        pytest.param(
            "p.tsv", "One.\tEins.\nTwo.\tZwei.\n", ParallelFormat.TSV, ["1", "2"], id="tsv"
        ),
        pytest.param(
            "p.jsonl",
            '{"src": "One.", "tgt": "Eins."}\n\n{"src": "Two.", "tgt": "Zwei."}\n',
            ParallelFormat.JSONL,
            ["1", "3"],  # a pair's id is its line; blank lines are skipped
            id="jsonl",
        ),
        pytest.param("p.tmx", TMX, ParallelFormat.TMX, None, id="tmx"),
        pytest.param(
            "p.tsv",
            "id\tsource\ttarget\na\tOne.\tEins.\nb\tTwo.\tZwei.\n",
            None,
            ["a", "b"],
            id="tsv-table",
        ),
        pytest.param(
            "p.jsonl",
            '{"source": "One.", "target": "Eins."}\n{"source": "Two.", "target": "Zwei."}\n',
            None,
            ["1", "2"],
            id="jsonl-table",
        ),
        pytest.param(
            "p.csv", "source,target\nOne.,Eins.\nTwo.,Zwei.\n", None, ["1", "2"], id="csv-table"
        ),
    ],
)
def test_a_review_reads_parallel_files_and_tables(
    tmp_path: Path, name: str, text: str, fmt: ParallelFormat | None, ids: list[str] | None
) -> None:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    assert parallel_format(path) is fmt
    items = read_review_items(path, REVIEW)
    assert [(i.text, i.target) for i in items] == [("One.", "Eins."), ("Two.", "Zwei.")]
    if ids is not None:
        assert [i.external_id for i in items] == ids


def test_an_empty_sentence_names_its_line(tmp_path: Path) -> None:
    path = tmp_path / "p.jsonl"
    path.write_text('{"src": "One.", "tgt": "Eins."}\n\n{"src": "Two.", "tgt": ""}\n')
    with pytest.raises(ImportFailed, match=r"p.jsonl: row 3, column 'target'"):
        read_review_items(path, REVIEW)


def test_pairs_from_json() -> None:
    (chunk,) = pairs_from_json([{"source": "A b.", "target": "C d."}, {"source": "", "target": ""}])
    assert (chunk.src, chunk.tgt, list(chunk.lines)) == (["A b.", ""], ["C d.", ""], [1, 2])
    chunks = pairs_from_json([{"source": "x", "target": "y"}] * 5, chunk_size=2)
    assert [list(c.lines) for c in chunks] == [[1, 2], [3, 4], [5]]
    with pytest.raises(ImportFailed, match=r"pairs\[1\]: target missing") as raised:
        pairs_from_json([{"source": "x", "target": "y"}, {"source": "x", "target": 3}])
    assert (raised.value.fields["line"], raised.value.fields["column"]) == (2, "target")


PAIRS: list[dict[str, Any]] = [
    {"item": "4", "source": "Good\tone.", "target": "Gut.", "score": 4.81234, "mean": 5.0,
     "rank": 1, "ratings": 3, "keep": True, "reason": None},
    {"item": "9", "source": "Bad.", "target": "Falsch.", "score": 1.2, "mean": 1.0, "rank": 2,
     "ratings": 3, "keep": False, "reason": "rank 2 of 2, score 1.20 below the cut score 4.81 "
     "(keep top 1)"},
]  # fmt: skip


def test_reviewed_pairs_round_trip_through_the_corpus_readers(tmp_path: Path) -> None:
    jsonl = tmp_path / "kept.jsonl"
    with jsonl.open("w", encoding="utf-8") as handle:
        assert write_reviewed_jsonl(PAIRS, handle) == 2
    records = [json.loads(line) for line in jsonl.read_text(encoding="utf-8").splitlines()]
    assert records[0] == {
        "id": "4", "src": "Good\tone.", "tgt": "Gut.", "score": 4.8123, "mean": 5.0, "rank": 1,
        "ratings": 3,
    }  # fmt: skip
    assert records[1]["reason"].startswith("rank 2 of 2")
    (again,) = read_jsonl(jsonl)  # a kept JSONL file is a parallel corpus again
    assert again.src == ["Good\tone.", "Bad."]
    tsv = tmp_path / "kept.tsv"
    with tsv.open("w", encoding="utf-8") as handle:
        write_reviewed(PAIRS, OutputFormat.TSV, [handle])
    (read,) = read_tsv(tsv)
    assert read.src == ["Good one.", "Bad."]  # TSV cannot hold a tab: it became a space
    source, target = io.StringIO(), io.StringIO()
    write_reviewed(PAIRS[:1], OutputFormat.MOSES, [source, target])
    assert (source.getvalue(), target.getvalue()) == ("Good\tone.\n", "Gut.\n")
    tmx = io.StringIO()
    write_reviewed(PAIRS, OutputFormat.TMX, [tmx], src_lang="en", tgt_lang="de")
    assert 'xml:lang="de"' in tmx.getvalue() and "Falsch." in tmx.getvalue()
