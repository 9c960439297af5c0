"""``crowdset aggregate --method bt|crowdbt`` on comparison files made here."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import typer
from typer.testing import CliRunner, Result

from crowdset.cli.aggregate import register
from crowdset.errors import ImportFailed, InvalidInput

ORDER = ["gold", "silver", "bronze", "tin"]


def _comparisons() -> pd.DataFrame:
    """Three honest workers rank ORDER; a fourth, 'troll', always says the reverse."""
    rows = []
    for worker in ["ann", "bob", "cy", "troll"]:
        for a, strong in enumerate(ORDER):
            for weak in ORDER[a + 1 :]:
                pair = (weak, strong) if worker == "troll" else (strong, weak)
                rows.append((worker, *pair))
    return pd.DataFrame(rows, columns=["user", "chosen", "other"])


MAPPING = "winner=chosen,loser=other,worker=user"


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
def comparisons_csv(tmp_path: Path) -> Path:
    path = tmp_path / "comparisons.csv"
    _comparisons().to_csv(path, index=False)
    return path


@pytest.mark.parametrize("method", ["bt", "crowdbt"])
def test_pairwise_methods_write_item_score_stderr_rank(
    comparisons_csv: Path, tmp_path: Path, method: str
) -> None:
    out = tmp_path / "ranking.csv"
    result = _invoke(str(comparisons_csv), "-m", method, "--columns", MAPPING, "-o", str(out))
    assert result.exit_code == 0, result.output
    ranking = pd.read_csv(out)
    assert list(ranking.columns) == ["item", "score", "stderr", "rank"]
    assert ranking["item"].tolist() == ORDER  # strongest first
    assert ranking["rank"].tolist() == [1, 2, 3, 4]
    assert ranking["score"].is_monotonic_decreasing
    assert (ranking["stderr"] > 0).all()
    assert "written to" in result.output


def test_crowdbt_reads_the_contrarian_reversed(comparisons_csv: Path, tmp_path: Path) -> None:
    out = tmp_path / "ranking.csv"
    result = _invoke(str(comparisons_csv), "-m", "crowdbt", "--columns", MAPPING, "-o", str(out))
    assert result.exit_code == 0, result.output
    assert "workers read reversed" in result.output
    line = next(text for text in result.output.splitlines() if "reversed" in text)
    assert "│ 1 " in line
    # with the troll read reversed, the crowd is unanimous: scores spread further than BT's
    bt_out = tmp_path / "bt.csv"
    _invoke(str(comparisons_csv), "-m", "bt", "--columns", MAPPING, "-o", str(bt_out))
    crowd, plain = pd.read_csv(out)["score"], pd.read_csv(bt_out)["score"]
    assert crowd.max() - crowd.min() > plain.max() - plain.min()


def test_bt_needs_no_worker_column(tmp_path: Path) -> None:
    path = tmp_path / "pairs.tsv"
    path.write_text("winner\tloser\nb\ta\nb\tc\na\tc\n")
    out = tmp_path / "ranking.jsonl"
    result = _invoke(str(path), "-m", "bt", "-o", str(out))
    assert result.exit_code == 0, result.output
    assert pd.read_json(out, lines=True)["item"].tolist() == ["b", "a", "c"]


def test_parquet_items_become_text(tmp_path: Path) -> None:
    path = tmp_path / "comparisons.parquet"
    pd.DataFrame({"winner": [3, 3, 2], "loser": [1, 2, 1], "worker": [7, 8, 7]}).to_parquet(
        path, index=False
    )
    out = tmp_path / "ranking.parquet"
    result = _invoke(str(path), "-m", "crowdbt", "-o", str(out))
    assert result.exit_code == 0, result.output
    assert pd.read_parquet(out)["item"].tolist() == ["3", "2", "1"]


def test_missing_columns_are_named_with_the_pairwise_mapping(
    comparisons_csv: Path, tmp_path: Path
) -> None:
    result = _invoke(
        str(comparisons_csv), "-m", "crowdbt", "--columns", "winner=chosen",
        "-o", str(tmp_path / "o.csv"),
    )  # fmt: skip
    error = result.exception
    assert isinstance(error, InvalidInput)
    assert "has no column for loser, worker; columns present: user, chosen, other" in str(error)
    assert "--columns winner=" in str(error)


def test_a_mapped_column_that_is_absent_is_named(comparisons_csv: Path, tmp_path: Path) -> None:
    result = _invoke(
        str(comparisons_csv), "-m", "bt", "--columns", "winner=best,loser=other",
        "-o", str(tmp_path / "o.csv"),
    )  # fmt: skip
    assert isinstance(result.exception, InvalidInput)
    assert "has no column for winner (as 'best')" in str(result.exception)


def test_label_columns_are_refused_for_pairwise(comparisons_csv: Path, tmp_path: Path) -> None:
    result = _invoke(
        str(comparisons_csv), "-m", "bt", "--columns", "task=chosen", "-o", str(tmp_path / "o.csv")
    )
    assert isinstance(result.exception, InvalidInput)
    assert "maps 'task', which is not one of winner, loser, worker" in str(result.exception)


def test_an_item_compared_with_itself_is_refused_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "comparisons.csv"
    path.write_text("winner,loser,worker\na,b,w1\nc,c,w1\nb,b,w2\n")
    result = _invoke(str(path), "-m", "crowdbt", "-o", str(tmp_path / "o.csv"))
    assert isinstance(result.exception, InvalidInput)
    assert "line 3 compares item 'c' with itself (2 row(s) like it)" in str(result.exception)


@pytest.mark.parametrize(
    ("text", "message"),
    [("", "is empty"), ("winner,loser,worker\n", "has no comparisons")],
    ids=["empty-file", "header-only"],
)
def test_files_without_comparisons_are_refused(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "comparisons.csv"
    path.write_text(text)
    result = _invoke(str(path), "-m", "bt", "-o", str(tmp_path / "o.csv"))
    assert isinstance(result.exception, InvalidInput)
    assert message in str(result.exception)


def test_empty_cell_reports_the_line(tmp_path: Path) -> None:
    path = tmp_path / "comparisons.csv"
    path.write_text("winner,loser,worker\na,b,w1\na,,w2\n")
    result = _invoke(str(path), "-m", "crowdbt", "-o", str(tmp_path / "o.csv"))
    assert isinstance(result.exception, ImportFailed)
    assert "line 3 has no loser" in str(result.exception)


def test_gold_is_refused_for_pairwise(comparisons_csv: Path, tmp_path: Path) -> None:
    result = _invoke(
        str(comparisons_csv), "-m", "bt", "--columns", MAPPING, "--gold", "truth.csv",
        "-o", str(tmp_path / "o.csv"),
    )  # fmt: skip
    assert isinstance(result.exception, InvalidInput)
    assert "--gold works with ds, ods, not bt" in str(result.exception)
