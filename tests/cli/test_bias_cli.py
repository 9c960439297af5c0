"""``crowdset bias`` on small answer files: JSON, tables, the plot, every format, errors."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import typer
from typer.testing import CliRunner, Result

from crowdset.cli.bias import register
from crowdset.cli.main import app as crowdset_app
from crowdset.errors import ImportFailed, InvalidInput

COLUMNS = "task=item,worker=rater,label=score,group=gender"
FAST = ("--permutations", "200", "--bootstrap", "100")


def _ratings(seed: int = 0) -> pd.DataFrame:
    """Ratings 1–5 of 60 items by 12 raters of group 'harsh' (one point higher), 12 of
    'mild' and 3 of 'tiny' (below the minimum group size of 10)."""
    rng = np.random.default_rng(seed)
    level = rng.normal(2.5, 1.0, 60)
    records = []
    for group, size, shift in (("harsh", 12, 1.0), ("mild", 12, 0.0), ("tiny", 3, -2.0)):
        for r in range(size):
            for item in rng.choice(60, size=25, replace=False):
                score = int(np.clip(np.rint(level[item] + shift + rng.normal(0, 0.7)), 1, 5))
                records.append((f"i{item}", f"{group}-{r}", score, group))
    return pd.DataFrame(records, columns=["item", "rater", "score", "gender"])


def _app() -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def main() -> None:
        """Test shell."""

    register(app)
    return app


def _invoke(*args: str) -> Result:
    return CliRunner().invoke(_app(), ["bias", *args], terminal_width=200)


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


def test_json_report(ratings_csv: Path) -> None:
    report = _json(str(ratings_csv), "--columns", COLUMNS, *FAST)
    assert report["level"] == "ratings"
    assert report["group_column"] == "gender"
    assert report["suppressed_groups"] == ["tiny"]
    assert report["bootstrap"] == {"resamples": 100, "confidence": 0.95}
    assert report["counts"]["workers"] == 24 and report["counts"]["answers"] == 24 * 25
    harsh, mild = report["groups"]
    assert (harsh["group"], harsh["workers"], harsh["answers"]) == ("harsh", 12, 300)
    assert list(harsh["distribution"]) == ["1", "2", "3", "4", "5"]
    assert sum(harsh["distribution"].values()) == 300
    assert harsh["mean"] > mild["mean"]
    low, high = harsh["mean_interval"]
    assert low < harsh["mean"] < high
    first, second = report["comparisons"]
    assert first["group"] == "harsh" and first["versus"] == "rest"
    assert first["difference"] > 0.5 and first["cohen_d"] > 0.5 and first["cliffs_delta"] > 0.3
    assert first["significant"] and first["p_holm"] < 0.05
    assert second["difference"] == pytest.approx(-first["difference"])
    assert report["items"] and {"item", "gap", "groups"} <= set(report["items"][0])
    assert {entry["group"] for item in report["items"] for entry in item["groups"]} <= {
        "harsh", "mild",
    }  # fmt: skip


def test_a_suppressed_group_is_only_named(ratings_csv: Path) -> None:
    # the tiny group's answers leave no trace: the report is that of the file without them
    report = _json(str(ratings_csv), "--columns", COLUMNS, *FAST)
    without = ratings_csv.with_name("without.csv")
    frame = _ratings()
    frame[frame["gender"] != "tiny"].to_csv(without, index=False)
    alone = _json(str(without), "--columns", COLUMNS, *FAST)
    assert alone["suppressed_groups"] == []
    assert {**report, "suppressed_groups": []} == alone
    assert json.dumps(report).count("tiny") == 1


def test_labels_level(ratings_csv: Path) -> None:
    report = _json(str(ratings_csv), "--columns", COLUMNS, "--level", "labels", *FAST)
    assert report["level"] == "labels"
    assert "mean" not in report["groups"][0]
    assert len(report["comparisons"]) == 2 * 5
    five = next(c for c in report["comparisons"] if c["group"] == "harsh" and c["label"] == "5")
    assert five["risk_difference"] > 0 and five["odds_ratio"] > 1 and five["share"] > 0
    assert "label" in report["items"][0]


def test_the_seed_fixes_the_report(ratings_csv: Path) -> None:
    args = (str(ratings_csv), "--columns", COLUMNS, "--permutations", "100", "--bootstrap", "50")
    first, again = _json(*args, "--seed", "3"), _json(*args, "--seed", "3")
    assert first == again
    assert _json(*args, "--seed", "4")["comparisons"] != first["comparisons"]


def test_min_group_size_and_no_bootstrap(ratings_csv: Path) -> None:
    report = _json(
        str(ratings_csv), "--columns", COLUMNS, "--min-group-size", "3", "--bootstrap", "0",
        "--permutations", "50",
    )  # fmt: skip
    assert report["suppressed_groups"] == [] and len(report["groups"]) == 3
    assert report["bootstrap"] is None
    assert report["groups"][0]["mean_interval"] is None
    assert report["comparisons"][0]["difference_interval"] is None


@pytest.mark.parametrize("suffix", [".tsv", ".parquet", ".jsonl"])
def test_other_formats_give_the_same_report(ratings_csv: Path, tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"ratings{suffix}"
    frame = _ratings()
    if suffix == ".tsv":
        frame.to_csv(path, sep="\t", index=False)
    elif suffix == ".parquet":
        frame.to_parquet(path, index=False)
    else:
        frame.to_json(path, orient="records", lines=True)
    args = ("--columns", COLUMNS, "--permutations", "50", "--bootstrap", "20")
    assert _json(str(path), *args) == _json(str(ratings_csv), *args)


def test_table_output(ratings_csv: Path) -> None:
    result = _invoke(str(ratings_csv), "--columns", COLUMNS, *FAST)
    assert result.exit_code == 0, result.output
    for text in ("by gender", "Groups", "Each group against the rest", "Cliff's",
                 "largest gaps", "harsh", "tiny (fewer than 10 workers"):  # fmt: skip
        assert text in result.output
    labels = _invoke(str(ratings_csv), "--columns", COLUMNS, "--level", "labels", *FAST)
    assert labels.exit_code == 0, labels.output
    assert "odds ratio" in labels.output


@pytest.mark.parametrize("level", ["ratings", "labels"])
def test_plot_is_written(ratings_csv: Path, tmp_path: Path, level: str) -> None:
    plot = tmp_path / "bias.svg"
    result = _invoke(str(ratings_csv), "--columns", COLUMNS, "--level", level, *FAST,
                     "--plot", str(plot))  # fmt: skip
    assert result.exit_code == 0, result.output
    svg = ET.fromstring(plot.read_text())
    assert svg.tag == "{http://www.w3.org/2000/svg}svg"
    texts = [element.text or "" for element in svg.iter("{http://www.w3.org/2000/svg}text")]
    circles = list(svg.iter("{http://www.w3.org/2000/svg}circle"))
    assert len(circles) == (2 if level == "ratings" else 10)
    assert any(text.startswith("harsh") for text in texts)
    assert not any("tiny" in text for text in texts)


def test_the_main_command_lists_bias(ratings_csv: Path) -> None:
    result = CliRunner().invoke(
        crowdset_app, ["bias", str(ratings_csv), "--columns", COLUMNS, "--format", "json",
                       "--permutations", "20", "--bootstrap", "0"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["groups"][0]["group"] == "harsh"


GOOD = "item,rater,score,gender\n" + "".join(
    f"i{i},r{r},{1 + (i + r) % 5},{'ab'[r % 2]}\n" for i in range(4) for r in range(4)
)


@pytest.mark.parametrize(
    ("content", "args", "error", "message"),
    [
        (GOOD.replace(",gender", ",sex"), [], InvalidInput,
         "has no column for group \\(as 'gender'\\); columns present: item, rater, score, sex. "
         "Name the column .* --columns task=item,worker=rater,label=score,group=gender"),
        (GOOD.replace("i0,r0,1,a", "i0,r0,1,b"), [], InvalidInput,
         "worker 'r0' has answers in group 'b' and in group 'a' \\(1 worker\\(s\\) like it\\)"),
        (GOOD.replace("i0,r0,1,a", "i0,r0,1,"), [], ImportFailed, "line 2 has no group"),
        (GOOD.replace("i0,r0,1,a", "i0,r0,bad,a"), [], InvalidInput,
         "--level ratings needs numeric labels; .* has label 'bad'"),
        (GOOD, ["--min-group-size", "3"], InvalidInput,
         "0 group\\(s\\) of 2 have that many"),
        (GOOD, ["--min-group-size", "1"], InvalidInput, "--min-group-size must be at least 2"),
        (GOOD, ["--permutations", "0"], InvalidInput, "--permutations must be at least 1"),
        (GOOD, ["--bootstrap", "-1"], InvalidInput, "--bootstrap must be 0"),
        (GOOD, ["--plot", "bias.png"], InvalidInput, "--plot writes SVG .* '.png'"),
        (GOOD, ["--plot", "nowhere/bias.svg"], InvalidInput, "folder 'nowhere' does not exist"),
        (GOOD, ["--columns", "task=item,wrong=rater"], InvalidInput,
         "not one of task, worker, label, group"),
    ],
    ids=["missing-group", "two-groups", "empty-group", "words", "too-small", "min-1",
         "no-permutations", "negative-bootstrap", "png", "missing-folder", "bad-columns"],
)  # fmt: skip
def test_errors_are_explained(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    content: str,
    args: list[str],
    error: type[Exception],
    message: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "answers.csv"
    path.write_text(content)
    # the last of a repeated option counts: each case's own options come after these
    defaults = ["--columns", COLUMNS, "--min-group-size", "2", "--permutations", "10"]
    result = _invoke(str(path), *defaults, "--bootstrap", "0", *args)
    assert isinstance(result.exception, error), result.output
    assert re.search(message, str(result.exception)), str(result.exception)


def test_missing_group_column_in_jsonl(tmp_path: Path) -> None:
    path = tmp_path / "answers.jsonl"
    _ratings().drop(columns="gender").to_json(path, orient="records", lines=True)
    result = _invoke(str(path), "--columns", COLUMNS)
    assert isinstance(result.exception, InvalidInput), result.output
    assert "has no column for group (as 'gender')" in str(result.exception)
