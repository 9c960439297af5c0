"""``crowdset corpus import`` and ``corpus list``: a corpus goes into the database whole, or
the command names the bad line and the database keeps what it had."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.test_campaign_cli import REQUESTER, Cli


@pytest.fixture
def cli(database_url: str) -> Cli:
    run = Cli(database_url)
    run("user", "create", REQUESTER, "--role", "requester", "--password", "correct horse")
    return run


def test_import_moses_files_then_list_them(cli: Cli, tmp_path: Path) -> None:
    source, target = tmp_path / "news.en", tmp_path / "news.de"
    source.write_text("".join(f"Sentence {n}.\n" for n in range(1, 31)), encoding="utf-8")
    target.write_text("".join(f"Satz {n}.\n" for n in range(1, 31)), encoding="utf-8")
    done = cli(
        "corpus",
        "import",
        source,
        target,
        "--name",
        "news",
        "--src-lang",
        "en",
        "--tgt-lang",
        "de",
        "--as",
        REQUESTER,
    ).output
    assert "corpus 1 'news': 30 pairs imported" in done
    listed = cli("corpus", "list", "--as", REQUESTER).output
    assert "news" in listed and "en→de" in listed and "30" in listed


def test_a_missing_tab_fails_with_its_line_and_keeps_nothing(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "bad.tsv"
    lines = [f"Sentence {n}.\tSatz {n}.\n" for n in range(1, 21)]
    lines[13] = "no tab on this line\n"
    path.write_text("".join(lines), encoding="utf-8")
    failed = cli("corpus", "import", path, "--name", "bad", "--as", REQUESTER, code=2)
    assert ":14:" in failed.stderr or "line 14" in failed.stderr
    assert "bad" not in cli("corpus", "list", "--as", REQUESTER).output.split("Corpora")[-1]
