"""``crowdset agreement`` on small answer files: JSON checked against the core, errors."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import typer
from typer.testing import CliRunner, Result

from crowdset.cli.agreement import register
from crowdset.cli.main import app as crowdset_app
from crowdset.core.agreement import Level, krippendorff_alpha, reliability_data
from crowdset.errors import ImportFailed, InvalidInput

COLUMNS = "task=item,worker=rater,label=score"


def _ratings(rows: int = 12, raters: int = 5, seed: int = 0) -> pd.DataFrame:
    """Ratings 1-5 of ``rows`` items by ``raters`` raters, mostly near each item's level."""
    rng = np.random.default_rng(seed)
    level = rng.integers(1, 6, rows)
    noise = rng.integers(-1, 2, (rows, raters))
    records = [
        (f"i{i}", f"r{r}", int(np.clip(level[i] + noise[i, r], 1, 5)))
        for i in range(rows)
        for r in range(raters)
        if (i + r) % 4 != 3  # some answers missing
    ]
    return pd.DataFrame(records, columns=["item", "rater", "score"])


def _app() -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def main() -> None:
        """Test shell."""

    register(app)
    return app


def _invoke(*args: str) -> Result:
    return CliRunner().invoke(_app(), ["agreement", *args])


def _json(*args: str) -> dict[str, Any]:
    result = _invoke(*args, "--format", "json")
    assert result.exit_code == 0, result.output
    parsed: dict[str, Any] = json.loads(result.output)
    return parsed


@pytest.fixture
def ratings_csv(tmp_path: Path) -> Path:
    path = tmp_path / "ratings.csv"
    _ratings().to_csv(path, index=False)
    return path


def _core_alpha(frame: pd.DataFrame, level: Level) -> float:
    unit, _ = pd.factorize(frame["item"])
    worker, _ = pd.factorize(frame["rater"])
    label, labels = pd.factorize(frame["score"], sort=True)
    data = reliability_data(unit, worker, label, values=np.asarray(labels, dtype=float))
    return krippendorff_alpha(data, level)


@pytest.mark.parametrize("level", ["nominal", "ordinal", "interval"])
def test_json_report(ratings_csv: Path, level: str) -> None:
    report = _json(
        str(ratings_csv), "--columns", COLUMNS, "--level", level, "--bootstrap", "200",
        "--min-shared", "6",
    )  # fmt: skip
    assert report["level"] == level
    assert report["krippendorff_alpha"] == pytest.approx(_core_alpha(_ratings(), Level(level)))
    low, high = report["alpha_interval"]
    assert low < report["krippendorff_alpha"] < high
    assert report["bootstrap"] == {"resamples": 200, "confidence": 0.95, "seed": 0, "undefined": 0}
    assert isinstance(report["fleiss_kappa"], float)
    assert report["pairwise_cohen_kappa"]["pairs"] == 10  # any two raters share 6 or 9 items
    assert report["pairwise_cohen_kappa"]["min_shared"] == 6
    assert report["counts"] == {
        "items": 12, "workers": 5, "answers": 45, "pairable_items": 12,
        "pairable_answers": 45, "repeated_answers": 0,
    }  # fmt: skip
    assert [row["label"] for row in report["per_label"]] == ["1", "2", "3", "4", "5"]
    assert sum(row["pairable_answers"] for row in report["per_label"]) == 45
    assert sorted(row["worker"] for row in report["per_worker"]) == ["r0", "r1", "r2", "r3", "r4"]
    assert all(row["answers"] == 9 for row in report["per_worker"])


def test_the_seed_fixes_the_interval(ratings_csv: Path) -> None:
    args = (str(ratings_csv), "--columns", COLUMNS, "--bootstrap", "300")
    first, again = _json(*args, "--seed", "5"), _json(*args, "--seed", "5")
    assert first == again
    assert _json(*args, "--seed", "6")["alpha_interval"] != first["alpha_interval"]


def test_no_bootstrap_and_min_shared(ratings_csv: Path) -> None:
    report = _json(str(ratings_csv), "--columns", COLUMNS, "--bootstrap", "0", "--min-shared", "20")
    assert report["alpha_interval"] is None and report["bootstrap"] is None
    assert report["pairwise_cohen_kappa"]["pairs"] == 0
    assert report["pairwise_cohen_kappa"]["mean"] is None  # NaN is written as null
    assert all(row["mean_cohen_kappa"] is None for row in report["per_worker"])


@pytest.mark.parametrize("suffix", [".tsv", ".parquet", ".jsonl"])
def test_other_formats_give_the_same_alpha(ratings_csv: Path, tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"ratings{suffix}"
    frame = _ratings()
    if suffix == ".tsv":
        frame.to_csv(path, sep="\t", index=False)
    elif suffix == ".parquet":
        frame.to_parquet(path, index=False)
    else:
        frame.to_json(path, orient="records", lines=True)
    args = ("--columns", COLUMNS, "--level", "interval", "--bootstrap", "0")
    assert _json(str(path), *args) == _json(str(ratings_csv), *args)


def test_labels_written_differently_are_one_number(tmp_path: Path) -> None:
    path = tmp_path / "ratings.csv"
    path.write_text("task,worker,label\na,x,1\na,y,1.0\nb,x,3\nb,y,3\nc,x,1\nc,y,3\n")
    report = _json(str(path), "--level", "ordinal", "--bootstrap", "0")
    assert [row["label"] for row in report["per_label"]] == ["1", "3"]
    same = pd.DataFrame(
        {"item": list("aabbcc"), "rater": list("xyxyxy"), "score": [1, 1, 3, 3, 1, 3]}
    )
    assert report["krippendorff_alpha"] == pytest.approx(_core_alpha(same, Level.ORDINAL))


def test_repeated_answers_are_counted_and_ignored(tmp_path: Path) -> None:
    path = tmp_path / "answers.csv"
    path.write_text(
        "task,worker,label\nq1,a,cat\nq1,b,cat\nq1,a,dog\nq2,a,dog\nq2,b,dog\nq3,c,cat\n"
    )
    report = _json(str(path), "--bootstrap", "0")
    assert report["krippendorff_alpha"] == pytest.approx(1.0)
    assert report["counts"] == {
        "items": 3, "workers": 3, "answers": 5, "pairable_items": 2,
        "pairable_answers": 4, "repeated_answers": 1,
    }  # fmt: skip


def test_table_output(ratings_csv: Path) -> None:
    result = _invoke(str(ratings_csv), "--columns", COLUMNS, "--level", "ordinal")
    assert result.exit_code == 0, result.output
    for text in ("Krippendorff's alpha", "95% interval", "Fleiss' kappa", "Per label", "r0"):
        assert text in result.output


@pytest.mark.parametrize(
    ("content", "args", "error", "message"),
    [
        (
            "task,worker,label\nq1,a,cat\nq1,b,dog\nq2,a,cat\nq2,b,cat\n",
            ["--level", "ordinal"],
            InvalidInput,
            "the ordinal level needs numeric labels; .* has label 'cat'",
        ),
        (
            "question,worker,answer\nq1,a,cat\n",
            [],
            InvalidInput,
            "has no column for task, label; columns present: question, worker, answer",
        ),
        (
            "task,worker,label\nq1,a,cat\nq2,b,dog\nq3,a,cat\n",
            [],
            InvalidInput,
            "no unit has answers from two or more workers",
        ),
        (
            "task,worker,label\nq1,a,cat\nq1,b,cat\nq2,a,cat\nq2,b,cat\n",
            [],
            InvalidInput,
            "undefined when nothing varies",
        ),
        ("task,worker,label\nq1,a,cat\nq1,,dog\n", [], ImportFailed, "line 3 has no worker"),
        ("task,worker,label\nq1,a,1\nq1,b,2\n", ["--bootstrap", "-1"], InvalidInput, "--bootstrap"),
        ("task,worker,label\nq1,a,1\nq1,b,2\n", ["--min-shared", "0"], InvalidInput, "at least 1"),
    ],
    ids=["ordinal-words", "missing-column", "no-pairable", "no-variation", "empty-cell",
         "negative-bootstrap", "min-shared"],
)  # fmt: skip
def test_errors_are_explained(
    tmp_path: Path, content: str, args: list[str], error: type[Exception], message: str
) -> None:
    path = tmp_path / "answers.csv"
    path.write_text(content)
    result = _invoke(str(path), *args)
    assert isinstance(result.exception, error), result.output
    assert re.search(message, str(result.exception)), str(result.exception)


def test_errors_become_a_message_and_exit_code_in_the_real_command(tmp_path: Path) -> None:
    path = tmp_path / "answers.txt"
    path.write_text("task,worker,label\n")
    result = CliRunner().invoke(crowdset_app, ["agreement", str(path)])
    assert result.exit_code == 2
    assert "invalid_input" in result.output and "cannot tell the format" in result.output
