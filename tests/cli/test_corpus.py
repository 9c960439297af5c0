"""``crowdset corpus filter`` end to end on files it makes, through a bare Typer app."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from crowdset.cli.corpus import register
from crowdset.errors import ImportFailed, SpecInvalid

GOOD = [
    ("The weather is very nice today.", "Das Wetter ist heute sehr schön."),
    ("We will meet again next week.", "Wir sehen uns nächste Woche wieder."),
    ("Please close the door behind you.", "Bitte schließen Sie die Tür hinter sich."),
]
BAD = [
    ("Hi", "Hallo"),  # token_count
    ("The weather is very nice today.", "Das Wetter ist heute sehr schön."),  # duplicate
    ("Our shop opened in 1990 in Berlin.", "Unser Laden eröffnete 1991 in Berlin."),  # numbers
]


@pytest.fixture
def app() -> typer.Typer:
    app = typer.Typer()
    register(app)
    return app


def write_tsv(path: Path, pairs: list[tuple[str, str]]) -> Path:
    path.write_text("".join(f"{s}\t{t}\n" for s, t in pairs), encoding="utf-8")
    return path


def test_filter_tsv(app: typer.Typer, tmp_path: Path) -> None:
    corpus = write_tsv(tmp_path / "in.tsv", GOOD + BAD)
    result = CliRunner().invoke(
        app,
        ["corpus", "filter", str(corpus), "-o", str(tmp_path / "kept.tsv"),
         "--rejected", str(tmp_path / "rejected.jsonl"), "--src-lang", "en", "--tgt-lang", "de",
         "--report", str(tmp_path / "report.json"), "--workers", "1"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert (tmp_path / "kept.tsv").read_text(encoding="utf-8").splitlines() == [
        f"{s}\t{t}" for s, t in GOOD
    ]
    rejected = [json.loads(line) for line in (tmp_path / "rejected.jsonl").read_text().splitlines()]
    assert [(r["line"], r["rule"]) for r in rejected] == [
        (4, "token_count"),
        (5, "duplicate"),
        (6, "same_entities"),
    ]
    assert rejected[1]["reason"] == "duplicate of line 1"
    assert "Kept 3 of 6 pairs" in result.output
    assert "same_entities" in result.output
    report = json.loads((tmp_path / "report.json").read_text())
    assert (report["total"], report["kept"]) == (6, 3)


def test_filter_moses_to_jsonl_with_scores(app: typer.Typer, tmp_path: Path) -> None:
    src, tgt = tmp_path / "c.en", tmp_path / "c.de"
    src.write_text("".join(s + "\n" for s, _ in GOOD + BAD), encoding="utf-8")
    tgt.write_text("".join(t + "\n" for _, t in GOOD + BAD), encoding="utf-8")
    config = tmp_path / "filters.yaml"
    config.write_text("- duplicate:\n- token_count: {min: 2}\n", encoding="utf-8")
    out = tmp_path / "kept.jsonl"
    result = CliRunner().invoke(
        app,
        ["corpus", "filter", str(src), str(tgt), "-o", str(out), "--config", str(config),
         "--workers", "1"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    kept = [json.loads(line) for line in out.read_text().splitlines()]
    assert [k["line"] for k in kept] == [1, 2, 3, 6]
    assert kept[0]["scores"] == {"token_count": {"src": 6, "tgt": 6}}


def test_filter_moses_output_files(app: typer.Typer, tmp_path: Path) -> None:
    corpus = write_tsv(tmp_path / "in.tsv", GOOD)
    result = CliRunner().invoke(
        app,
        ["corpus", "filter", str(corpus), "-o", str(tmp_path / "clean"), "--to", "moses",
         "--src-lang", "en", "--tgt-lang", "de", "--workers", "1"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert (tmp_path / "clean.de").read_text(encoding="utf-8").splitlines() == [t for _, t in GOOD]


def test_workers_and_chunks_do_not_change_the_result(app: typer.Typer, tmp_path: Path) -> None:
    # duplicates far apart, in different chunks handled by different worker processes
    pairs = [(f"Sentence number {w} is here.", f"Satz Nummer {w} ist hier.") for w in "abcdefgh"]
    corpus = write_tsv(tmp_path / "in.tsv", pairs * 3 + BAD)
    outputs = []
    for workers, chunk in (("1", "1000"), ("2", "3")):
        kept = tmp_path / f"kept-{workers}.tsv"
        rejected = tmp_path / f"rejected-{workers}.jsonl"
        result = CliRunner().invoke(
            app,
            ["corpus", "filter", str(corpus), "-o", str(kept), "--rejected", str(rejected),
             "--workers", workers, "--chunk-size", chunk, "--all-reasons"],
        )  # fmt: skip
        assert result.exit_code == 0, result.output
        outputs.append((kept.read_text(), rejected.read_text()))
    assert outputs[0] == outputs[1]
    assert len(outputs[0][0].splitlines()) == 9  # a-h once, and the weather pair


def test_malformed_input_raises_and_leaves_no_output(app: typer.Typer, tmp_path: Path) -> None:
    corpus = tmp_path / "in.tsv"
    corpus.write_text("a b c\td e f\n" * 20 + "no tab here\n", encoding="utf-8")
    kept, rejected = tmp_path / "kept.tsv", tmp_path / "rejected.jsonl"
    result = CliRunner().invoke(
        app,
        ["corpus", "filter", str(corpus), "-o", str(kept), "--rejected", str(rejected),
         "--workers", "1", "--chunk-size", "5"],
    )  # fmt: skip
    assert isinstance(result.exception, ImportFailed)
    assert result.exception.fields["line"] == 21
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.tsv"]


def test_bad_config_raises_spec_invalid(app: typer.Typer, tmp_path: Path) -> None:
    corpus = write_tsv(tmp_path / "in.tsv", GOOD)
    config = tmp_path / "filters.yaml"
    config.write_text("- token_count: {minimum: 3}\n", encoding="utf-8")
    result = CliRunner().invoke(
        app,
        ["corpus", "filter", str(corpus), "-o", str(tmp_path / "k.tsv"), "--config", str(config)],
    )
    assert isinstance(result.exception, SpecInvalid)
    assert result.exception.fields["field"] == "[0].token_count.minimum"


@pytest.mark.parametrize("command", ["filter", "import"])
def test_a_missing_input_is_a_usage_error_not_a_traceback(
    app: typer.Typer, tmp_path: Path, command: str
) -> None:
    extra = ["-o", str(tmp_path / "k.tsv")] if command == "filter" else ["--name", "n", "--as", "a"]
    result = CliRunner().invoke(
        app, ["corpus", command, str(tmp_path / "absent.tsv"), *extra], terminal_width=200
    )
    assert result.exit_code == 2, result.output
    assert "does not exist" in result.output
    assert list(tmp_path.iterdir()) == []


def test_bad_columns_option(app: typer.Typer, tmp_path: Path) -> None:
    corpus = write_tsv(tmp_path / "in.tsv", GOOD)
    result = CliRunner().invoke(
        app, ["corpus", "filter", str(corpus), "-o", str(tmp_path / "k.tsv"), "--columns", "3"]
    )
    assert result.exit_code == 2
    assert "expected two 1-based column numbers" in result.output


def test_shipped_example_pipeline_is_valid_and_the_default() -> None:
    from crowdset.core.filtering import default_rules, load_rules

    example = Path(__file__).parents[2] / "examples" / "filters.yaml"
    assert load_rules(example.read_text(encoding="utf-8")) == default_rules()
