"""Review campaigns from the command line (SPEC §4), over a real database: the example review
is created from its pairs file or from an imported corpus, a simulated crowd reviews it, and
its packages and kept and removed pairs are written out.

``test_the_review_walk_through`` is issue #6's must-show 4: through the simulated crowd, a
spamming reviewer's package forfeits its deposit and that reviewer ends with less than they
were given, every honest reviewer ends with more, the ledger verifies, and the pool payout
adds up to the budget to the minor unit; forfeited rewards are paid to the re-raters, not
withheld (SPEC §6.5). It checks the database, not only what is printed.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from crowdset.core.permissions import Role
from crowdset.services import accounts, campaigns, ledger, review_reports
from crowdset.services.context import Context, open_context
from crowdset.settings import Settings
from tests.cli.test_campaign_cli import REQUESTER, Cli

EXAMPLES = Path(__file__).parents[2] / "examples"
REVIEW = EXAMPLES / "review.yaml"
PAIRS = EXAMPLES / "review-pairs.tsv"
CHALLENGES = EXAMPLES / "review-challenges.jsonl"
TRUTH = EXAMPLES / "review-truth.csv"
GRANT = 200_00  # sim.reviewers' grant, in minor units


@pytest.fixture
def cli(database_url: str) -> Cli:
    """The CLI, with a requester holding 200 credits."""
    run = Cli(database_url)
    run("user", "create", REQUESTER, "--role", "requester", "--password", "correct horse")
    run("ledger", "issue", REQUESTER, "200")
    return run


@pytest.fixture
def services(database_url: str) -> Iterator[Context]:
    """The services on the CLI's database, to check what the commands stored."""
    ctx = open_context(Settings(database_url=database_url))
    yield ctx
    ctx.db.dispose()


def test_the_example_review_from_its_pairs_file(cli: Cli) -> None:
    estimate = cli("campaign", "estimate", REVIEW, "--items", PAIRS, "--challenges", CHALLENGES)
    # W = 3 · 40 · 0.5 / 0.9 = 66.67 minutes: a pool of 66.67 credits at 1 credit a minute,
    # the 5 % reserve on top (3.50) and in it the challenge ratings of probation (10 for each
    # of 10 reviewers at ½ minute: 50.00; budget 120.17), plus the 10 % fee (12.02)
    assert "120.17 credit" in estimate.output and "132.19 credit" in estimate.output
    created = cli(
        "campaign", "create", REVIEW, "--items", PAIRS, "--challenges", CHALLENGES,
        "--as", REQUESTER,
    ).output  # fmt: skip
    assert "created (draft, review, 40 pairs and 6 challenge pairs)" in created
    assert "launching moves 132.19 credit into escrow" in created
    cli("campaign", "launch", "1")
    no_band = cli("campaign", "revise", "1", code=2)
    assert "has no revision band: set review.revision_band" in no_band.stderr
    no_gold = cli("campaign", "create", REVIEW, "--items", PAIRS, "--as", REQUESTER, code=2)
    assert "gold.share is 0.1 but no item has a gold answer; add challenge pairs" in (
        no_gold.stderr
    )


@pytest.mark.parametrize(
    ("name", "text"),
    [
        pytest.param(
            "pairs.jsonl",
            '{"src": "The cat sleeps.", "tgt": "Die Katze schläft."}\n'
            '{"src": "It rains.", "tgt": "Es regnet."}\n',
            id="jsonl-src-tgt",
        ),
        pytest.param(
            "pairs.tsv",
            "id\tsource\ttarget\tgold\nc1\tThe cat sleeps.\tDie Katze schläft.\t5\n"
            "c2\tIt rains.\tEs regnet.\t\n",
            id="tsv-table",
        ),
        pytest.param(
            "pairs.csv",
            "source,target\nThe cat sleeps.,Die Katze schläft.\nIt rains.,Es regnet.\n",
            id="csv-table",
        ),
    ],
)
def test_a_review_reads_parallel_files_and_tables(
    cli: Cli, tmp_path: Path, name: str, text: str
) -> None:
    spec = tmp_path / "review.yaml"
    spec.write_text(
        "name: Small review\ntype: review\ninstructions: Rate it.\ngold: {share: 0}\n",
        encoding="utf-8",
    )
    items = tmp_path / name
    items.write_text(text, encoding="utf-8")
    created = cli("campaign", "create", spec, "--items", items, "--as", REQUESTER).output
    gold = 1 if "gold" in text else 0
    assert f"created (draft, review, {2 - gold} pairs and {gold} challenge pairs)" in created


def test_review_input_errors_name_the_fix(cli: Cli, tmp_path: Path) -> None:
    bad = tmp_path / "bad.tsv"
    bad.write_text("One.\tEins.\nTwo.\tZwei.\nno tab here\n", encoding="utf-8")
    failed = cli("campaign", "create", REVIEW, "--items", bad, "--as", REQUESTER, code=2)
    assert f"{bad}:3:" in failed.stderr and "a tab is missing" in failed.stderr
    cli("corpus", "import", PAIRS, "--name", "news", "--as", REQUESTER)
    both = cli(
        "campaign", "create", REVIEW, "--corpus", "1", "--items", PAIRS, "--as", REQUESTER, code=2
    )
    assert "--corpus ID or --items FILE, not both" in both.stderr
    both_estimated = cli(
        "campaign", "estimate", REVIEW, "--corpus", "1", "--items", PAIRS, "--as", REQUESTER,
        code=2,
    )  # fmt: skip
    assert "--corpus ID or --items FILE, not both" in both_estimated.stderr
    no_owner = cli("campaign", "estimate", REVIEW, "--corpus", "1", code=2)
    assert "pass --as EMAIL" in no_owner.stderr
    clash = tmp_path / "clash.jsonl"
    clash.write_text('{"id": "7", "source": "a b", "target": "c d", "gold": 5}\n')
    clashed = cli(
        "campaign", "create", REVIEW, "--corpus", "1", "--challenges", clash, "--as", REQUESTER,
        code=2,
    )  # fmt: skip
    assert "id '7' is also a pair's id" in clashed.stderr
    sentiment = EXAMPLES / "sentiment.yaml"
    classify = cli("campaign", "create", sentiment, "--corpus", "1", "--as", REQUESTER, code=2)
    assert "reviewed by a review campaign (type: review)" in classify.stderr
    generate = cli(
        "campaign", "create", EXAMPLES / "smart-lights.yaml", "--corpus", "1", "--as", REQUESTER,
        code=2,
    )  # fmt: skip
    assert "--corpus is for labeling campaigns" in generate.stderr
    generation_estimate = cli(
        "campaign", "estimate", EXAMPLES / "smart-lights.yaml", "--items", PAIRS, code=2
    )
    assert "--items is for labeling campaigns" in generation_estimate.stderr
    missing = cli("campaign", "create", REVIEW, "--as", REQUESTER, code=2)
    assert "pass --corpus ID (an imported corpus) or --items FILE" in missing.stderr
    other = cli("corpus", "list", "--as", REQUESTER).output
    assert "news" in other
    unknown = cli("campaign", "create", REVIEW, "--corpus", "9", "--as", REQUESTER, code=3)
    assert "no corpus has id 9" in unknown.stderr


def test_the_review_walk_through(cli: Cli, services: Context, tmp_path: Path) -> None:
    """Filter, import, create from the corpus, simulate the crowd, close, export: the
    commands of docs/concepts/corpus-filtering.md."""
    clean = tmp_path / "clean.tsv"
    filtered = cli(
        "corpus", "filter", PAIRS, "-o", clean, "--rejected", tmp_path / "rejected.jsonl",
        "--src-lang", "en", "--tgt-lang", "de", "--workers", "1",
    ).output  # fmt: skip
    assert "Kept 35 of 40 pairs" in filtered
    imported = cli(
        "corpus", "import", clean, "--name", "news-en-de", "--src-lang", "en", "--tgt-lang", "de",
        "--as", REQUESTER,
    ).output  # fmt: skip
    assert "corpus 1 'news-en-de': 35 pairs imported" in imported
    estimate = cli("campaign", "estimate", REVIEW, "--corpus", "1", "--as", REQUESTER).output
    assert re.search(r"pairs to review\s*│\s*35\b", estimate), estimate
    escrow = re.search(r"escrow at launch\s*│\s*([\d.,]+ credit)", estimate)
    assert escrow, estimate
    created = cli(
        "campaign", "create", REVIEW, "--corpus", "1", "--challenges", CHALLENGES,
        "--as", REQUESTER, "--launch",
    ).output  # fmt: skip
    assert "created (draft, review, 35 pairs and 6 challenge pairs)" in created
    assert f"launching moves {escrow[1]} into escrow" in created
    assert "campaign 1 is running" in created

    worked = cli(
        "sim", "review", "1", "--workers", "10", "--spammers", "0.2", "--seed", "1",
        "--truth", TRUTH, "--close",
    ).output  # fmt: skip
    assert "Net income by kind" in worked and "ledger intact" in worked

    # Must-show 4, from the database.
    owner = campaigns.owner_of(services, 1)
    assert campaigns.get_campaign(services, owner, 1).status == "closed"
    events = campaigns.events(services, owner, 1)
    forfeits = [e.detail for e in events if e.kind == "package_forfeited"]
    reviewers = [
        u for u in accounts.list_users(services, Role.WORKER) if u.email.startswith("reviewer-")
    ]
    spammers = {u.pseudonym: u for u in reviewers if "spammer" in u.display_name}
    honest = [u for u in reviewers if "honest" in u.display_name]
    assert (len(spammers), len(honest)) == (2, 8)
    net = {u.pseudonym: ledger.balances(services, u.id).total - GRANT for u in reviewers}
    assert forfeits and {str(f["worker"]) for f in forfeits} <= set(spammers)
    for forfeit in forfeits:
        assert net[str(forfeit["worker"])] < 0, forfeit  # the spammer lost money
    assert all(net[u.pseudonym] > 0 for u in honest)
    assert ledger.verify(services).ok
    (paid,) = [
        {key: int(str(value)) for key, value in e.detail.items()}
        for e in events
        if e.kind == "pool_paid"
    ]
    assert paid["paid"] + paid["reserve"] + paid["withheld"] == paid["budget"]
    spent = paid["paid"] + paid["withheld"] + paid["reserve_used"] + paid["refunded"]
    assert spent == paid["budget"]
    assert paid["paid"] >= paid["pool"]  # forfeited rewards pay the re-raters, none withheld
    assert sum(max(n, 0) for p, n in net.items() if p not in spammers) <= paid["paid"]
    assert f"= budget {paid['budget'] / 100:.2f} credit" in worked

    packages = review_reports.packages(services, owner, 1)
    listed = cli("campaign", "packages", "1").output
    assert f"Campaign 1: {len(packages)} packages" in listed
    assert f"{len(forfeits)} forfeited" in listed and "forfeited" in worked

    kept, removed = tmp_path / "kept.jsonl", tmp_path / "removed.jsonl"
    written = cli("campaign", "pairs", "1", "-o", kept, "--removed", removed).output
    assert "14 kept pairs written" in written and "top 14 of 35" in written  # round(35 × 0.4)
    assert "21 removed pairs with their reasons" in written
    kept_rows = [json.loads(line) for line in kept.read_text(encoding="utf-8").splitlines()]
    removed_rows = [json.loads(line) for line in removed.read_text(encoding="utf-8").splitlines()]
    assert [r["rank"] for r in kept_rows] == list(range(1, 15))
    assert set(kept_rows[0]) == {"id", "src", "tgt", "score", "mean", "rank", "ratings"}
    cut = min(r["score"] for r in kept_rows)
    for row in removed_rows:
        assert row["score"] <= cut
        assert (
            row["reason"]
            == (
                f"rank {row['rank']} of 35, score {row['score']:.2f} below the cut score "
                f"{cut:.2f} (keep top 14)"
            )
            or "ties the cut score" in row["reason"]
        )
    with TRUTH.open(encoding="utf-8", newline="") as handle:
        truth = {(r["source"], r["target"]): int(r["truth"]) for r in csv.DictReader(handle)}
    stars = [truth[r["src"], r["tgt"]] for r in kept_rows]
    assert sum(stars) / len(stars) >= 4.5  # the kept pairs are the good translations

    moses = tmp_path / "kept"
    cli(
        "campaign", "pairs", "1", "-o", moses, "--to", "moses", "--src-lang", "en",
        "--tgt-lang", "de",
    )  # fmt: skip
    english = (tmp_path / "kept.en").read_text(encoding="utf-8").splitlines()
    assert english == [r["src"] for r in kept_rows]
    tsv = tmp_path / "kept.tsv"
    cli("campaign", "pairs", "1", "-o", tsv)
    assert tsv.read_text(encoding="utf-8").splitlines()[0] == (
        f"{kept_rows[0]['src']}\t{kept_rows[0]['tgt']}"
    )


def test_sim_review_refuses_other_campaigns(cli: Cli, tmp_path: Path) -> None:
    cli(
        "campaign", "create", REVIEW, "--items", PAIRS, "--challenges", CHALLENGES,
        "--as", REQUESTER,
    )  # fmt: skip
    draft = cli("sim", "review", "1", code=2)
    assert "campaign 1 is draft: launch or resume it first" in draft.stderr
    cli("campaign", "create", EXAMPLES / "smart-lights.yaml", "--as", REQUESTER)
    generation = cli("sim", "review", "2", code=2)
    assert "sim review simulates review campaigns; use `crowdset sim work 2`" in generation.stderr
    assert "packages and reviewed pairs belong to review campaigns" in (
        cli("campaign", "packages", "2", code=2).stderr
    )
    cli("campaign", "launch", "1")
    bad = tmp_path / "truth.csv"
    bad.write_text("pair,stars\nx,5\n", encoding="utf-8")
    refused = cli("sim", "review", "1", "--truth", bad, code=2)
    assert "a review's truth file has source, target and truth columns" in refused.stderr
