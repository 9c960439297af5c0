"""``crowdset corpus import`` and ``corpus list``: a corpus goes into the database whole, or
the command names the bad line and the database keeps what it had."""

from __future__ import annotations

from pathlib import Path

import pytest

from crowdset.core.filtering import default_rules
from crowdset.core.permissions import Role
from crowdset.formats.parallel import ParallelFormat, read_pairs
from crowdset.services import accounts, corpora
from crowdset.services.accounts import Principal
from crowdset.services.context import open_context
from crowdset.settings import Settings
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


def test_list_says_what_the_filters_kept_of_a_corpus_filtered_on_import(
    cli: Cli, database_url: str
) -> None:
    # filtering on import is a web and REST option; the list shows its outcome
    pairs = Path(__file__).parents[2] / "examples" / "review-pairs.tsv"
    ctx = open_context(Settings(database_url=database_url))
    try:
        user = accounts.find_user(ctx, REQUESTER)
        owner = Principal(user_id=user.id, role=Role.REQUESTER, email=user.email)
        corpora.import_corpus(
            ctx,
            owner,
            read_pairs([pairs], ParallelFormat.TSV),
            name="filtered",
            origin=pairs.name,
            source_lang="en",
            target_lang="de",
            filters=default_rules(),
        )
    finally:
        ctx.db.dispose()
    cli("corpus", "import", pairs, "--name", "whole", "--as", REQUESTER)
    rows = cli("corpus", "list", "--as", REQUESTER).output.splitlines()
    filtered = next(row for row in rows if "filtered" in row and "review-pairs" in row)
    whole = next(row for row in rows if "whole" in row)
    assert "kept 35 of 40" in filtered
    assert "kept" not in whole and "│ no " in whole
