"""``crowdset aggregate`` through a small Typer app, as the real CLI registers it."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import typer
from typer.testing import CliRunner, Result

from crowdset.cli.aggregate import register
from crowdset.errors import ImportFailed, InvalidInput

ANSWERS = pd.DataFrame(
    [
        ("q1", "ann", "cat"), ("q1", "bob", "cat"), ("q1", "cy", "dog"),
        ("q2", "ann", "dog"), ("q2", "bob", "dog"), ("q2", "cy", "dog"),
        ("q3", "ann", "cat"), ("q3", "bob", "dog"), ("q3", "cy", "cat"),
    ],
    columns=["question", "worker", "answer"],
)  # fmt: skip
COLUMNS = "task=question,worker=worker,label=answer"


def _app() -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def main() -> None:
        """Test shell."""

    register(app)
    return app


def _invoke(*args: str) -> Result:
    return CliRunner().invoke(_app(), ["aggregate", *args])


@pytest.fixture
def answers_csv(tmp_path: Path) -> Path:
    path = tmp_path / "answers.csv"
    ANSWERS.to_csv(path, index=False)
    return path


@pytest.mark.parametrize("method", ["mv", "wmv", "ds", "ods", "glad", "mace"])
def test_label_methods_write_task_label_confidence(
    answers_csv: Path, tmp_path: Path, method: str
) -> None:
    out = tmp_path / "labels.csv"
    result = _invoke(str(answers_csv), "--method", method, "--columns", COLUMNS, "-o", str(out))
    assert result.exit_code == 0, result.output
    labels = pd.read_csv(out)
    assert list(labels.columns) == ["task", "label", "confidence"]
    assert labels.set_index("task")["label"].to_dict() == {"q1": "cat", "q2": "dog", "q3": "cat"}
    assert labels["confidence"].between(0.5, 1.0).all()
    assert "written to" in result.output


@pytest.mark.parametrize("method", ["mean", "zmean"])
def test_rating_methods(tmp_path: Path, method: str) -> None:
    ratings = tmp_path / "ratings.jsonl"
    pd.DataFrame(
        {"task": ["p1", "p1", "p2", "p2"], "worker": ["a", "b", "a", "b"], "label": [4, 2, 5, 3]}
    ).to_json(ratings, orient="records", lines=True)
    out = tmp_path / "scores.parquet"
    result = _invoke(str(ratings), "--method", method, "-o", str(out))
    assert result.exit_code == 0, result.output
    scores = pd.read_parquet(out).set_index("task")
    assert scores["label"]["p2"] > scores["label"]["p1"]
    assert scores["confidence"].isna().all()
    if method == "mean":
        assert scores["label"].to_dict() == {"p1": 3.0, "p2": 4.0}


def test_mean_with_weights(tmp_path: Path) -> None:
    ratings = tmp_path / "ratings.csv"
    ratings.write_text("task,worker,label\np1,a,4\np1,b,1\n")
    weights = tmp_path / "weights.tsv"
    weights.write_text("worker\tweight\na\t2\nb\t1\n")
    out = tmp_path / "scores.csv"
    result = _invoke(str(ratings), "--method", "mean", "--weights", str(weights), "-o", str(out))
    assert result.exit_code == 0, result.output
    assert pd.read_csv(out)["label"].tolist() == [3.0]


def test_gold_clamps_known_labels(answers_csv: Path, tmp_path: Path) -> None:
    gold = tmp_path / "truth.csv"
    gold.write_text("question,truth\nq3,dog\n")
    out = tmp_path / "labels.jsonl"
    result = _invoke(
        str(answers_csv), "--columns", COLUMNS, "--gold", str(gold),
        "--gold-columns", "task=question,label=truth", "-o", str(out),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    labels = pd.read_json(out, lines=True).set_index("task")
    assert labels.loc["q3", "label"] == "dog"
    assert labels.loc["q3", "confidence"] == 1.0


def test_wmv_with_weights_file(answers_csv: Path, tmp_path: Path) -> None:
    weights = tmp_path / "weights.csv"
    weights.write_text("worker,weight\nann,1\nbob,5\ncy,1\n")
    out = tmp_path / "labels.csv"
    result = _invoke(
        str(answers_csv), "-m", "wmv", "--columns", COLUMNS, "--weights", str(weights),
        "-o", str(out),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert pd.read_csv(out).set_index("task")["label"]["q3"] == "dog"  # bob outweighs the rest


def test_missing_column_is_named(answers_csv: Path, tmp_path: Path) -> None:
    result = _invoke(str(answers_csv), "-o", str(tmp_path / "out.csv"))
    error = result.exception
    assert isinstance(error, InvalidInput)
    assert "has no column for task, label" in str(error)
    assert "columns present: question, worker, answer" in str(error)


def test_bad_columns_syntax_is_explained(answers_csv: Path, tmp_path: Path) -> None:
    result = _invoke(str(answers_csv), "--columns", "task:question", "-o", str(tmp_path / "o.csv"))
    error = result.exception
    assert isinstance(error, InvalidInput)
    assert "--columns expects NAME=COLUMN pairs separated by commas" in str(error)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-m", "glad", "--gold", "truth.csv"], "--gold works with ds, ods, not glad"),
        (["-m", "ds", "--weights", "w.csv"], "--weights works with mean, wmv, not ds"),
        (["-m", "mean"], "ratings must be numbers"),
    ],
    ids=["gold-with-glad", "weights-with-ds", "mean-of-categories"],
)
def test_option_misuse_is_explained(
    answers_csv: Path, tmp_path: Path, args: list[str], message: str
) -> None:
    result = _invoke(str(answers_csv), "--columns", COLUMNS, *args, "-o", str(tmp_path / "o.csv"))
    error = result.exception
    assert isinstance(error, InvalidInput)
    assert message in str(error)


def test_empty_cell_reports_the_line(tmp_path: Path) -> None:
    path = tmp_path / "answers.csv"
    path.write_text("task,worker,label\nq1,ann,1\nq1,bob,\n")
    result = _invoke(str(path), "-o", str(tmp_path / "out.csv"))
    assert isinstance(result.exception, ImportFailed)
    assert "line 3 has no label" in str(result.exception)


def test_help_ends_with_an_example() -> None:
    result = CliRunner().invoke(_app(), ["aggregate", "--help"])
    assert result.exit_code == 0
    text = " ".join(line.strip() for line in result.output.splitlines() if line.strip())
    assert text.endswith(
        "Example: crowdset aggregate answers.csv --method ds --columns "
        "task=question,label=answer -o labels.csv"
    )


def test_parquet_in_and_out(tmp_path: Path) -> None:
    answers = tmp_path / "answers.parquet"
    ANSWERS.to_parquet(answers, index=False)
    out = tmp_path / "labels.parquet"
    result = _invoke(str(answers), "--columns", COLUMNS, "-o", str(out))
    assert result.exit_code == 0, result.output
    labels = pd.read_parquet(out)
    assert list(labels.columns) == ["task", "label", "confidence"]
    assert labels.set_index("task")["label"].to_dict() == {"q1": "cat", "q2": "dog", "q3": "cat"}
    assert labels["confidence"].between(0.5, 1.0).all()


def test_parquet_labels_keep_their_type_and_ids_become_text(tmp_path: Path) -> None:
    answers = tmp_path / "answers.parquet"
    pd.DataFrame(
        {"task": [7, 7, 7, 8, 8, 8], "worker": [1, 2, 3, 1, 2, 3], "label": [1, 1, 0, 0, 0, 1]}
    ).to_parquet(answers, index=False)
    out = tmp_path / "labels.csv"
    result = _invoke(str(answers), "--method", "mv", "-o", str(out))
    assert result.exit_code == 0, result.output
    assert out.read_text().splitlines()[:3] == [
        "task,label,confidence",
        "7,1,0.6666666666666666",
        "8,0,0.6666666666666666",
    ]


@pytest.mark.parametrize("suffix", [".csv", ".tsv", ".parquet", ".jsonl"])
def test_every_format_gives_the_same_labels(tmp_path: Path, suffix: str) -> None:
    source = tmp_path / f"answers{suffix}"
    if suffix == ".parquet":
        ANSWERS.to_parquet(source, index=False)
    elif suffix == ".jsonl":
        ANSWERS.to_json(source, orient="records", lines=True)
    else:
        ANSWERS.to_csv(source, index=False, sep="," if suffix == ".csv" else "\t")
    out = tmp_path / f"labels{suffix}"
    result = _invoke(str(source), "--columns", COLUMNS, "-o", str(out))
    assert result.exit_code == 0, result.output
    if suffix == ".parquet":
        labels = pd.read_parquet(out)
    elif suffix == ".jsonl":
        labels = pd.read_json(out, lines=True)
    else:
        labels = pd.read_csv(out, sep="," if suffix == ".csv" else "\t")
    assert labels["task"].tolist() == ["q1", "q2", "q3"]
    assert labels["label"].tolist() == ["cat", "dog", "cat"]


def test_csv_output_quotes_only_what_needs_it(tmp_path: Path) -> None:
    answers = tmp_path / "answers.csv"
    answers.write_text('task,worker,label\n"a, b",w1,x\n"a, b",w2,x\nplain,w1,"say ""hi"""\n')
    out = tmp_path / "labels.csv"
    result = _invoke(str(answers), "-m", "mv", "-o", str(out))
    assert result.exit_code == 0, result.output
    assert pd.read_csv(out)["task"].tolist() == ["a, b", "plain"]
    assert pd.read_csv(out)["label"].tolist() == ["x", 'say "hi"']
    assert out.read_text().splitlines()[0] == "task,label,confidence"


def test_empty_parquet_cell_reports_the_row(tmp_path: Path) -> None:
    answers = tmp_path / "answers.parquet"
    pd.DataFrame({"task": ["q1", "q1"], "worker": ["a", None], "label": ["x", "y"]}).to_parquet(
        answers, index=False
    )
    result = _invoke(str(answers), "-o", str(tmp_path / "out.csv"))
    assert isinstance(result.exception, ImportFailed)
    assert "line 2 has no worker" in str(result.exception)


def test_answers_without_rows_are_refused(tmp_path: Path) -> None:
    answers = tmp_path / "answers.csv"
    answers.write_text("task,worker,label\n")
    result = _invoke(str(answers), "-o", str(tmp_path / "out.csv"))
    assert isinstance(result.exception, InvalidInput)
    assert "nothing to aggregate" in str(result.exception)
