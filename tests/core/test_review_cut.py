"""A review's cut (SPEC §4): ``k·P`` kept, the cut score, and the reason for every pair left
out; and a review's items, a corpus's pairs with challenge pairs beside them."""

from __future__ import annotations

import pytest

from crowdset.core.labeling.cut import Cut, cut_of, keep_count, removal_reason
from crowdset.core.labeling.items import ItemRow, parse_items, with_challenges
from crowdset.core.labeling.spec import parse_labeling_spec
from crowdset.errors import ImportFailed


@pytest.mark.parametrize(
    ("pairs", "share", "kept"),
    [(200, 0.3, 60), (35, 0.4, 14), (5, 0.3, 2), (3, 0.5, 2), (1, 0.3, 0), (52, 0.3, 16)],
    ids=["200x0.3", "35x0.4", "half-up", "1.5-up", "none", "52x0.3"],
)
def test_keep_count(pairs: int, share: float, kept: int) -> None:
    assert keep_count(pairs, share) == kept


def test_cut_of() -> None:
    assert cut_of([4.5, 3.1, 5.0], ranked=10, keep=3) == Cut(keep=3, ranked=10, score=3.1)
    assert cut_of([], ranked=2, keep=0) == Cut(keep=0, ranked=2, score=None)


@pytest.mark.parametrize(
    ("rank", "score", "cut", "reason"),
    [
        pytest.param(
            140,
            2.333,
            Cut(60, 200, 3.1),
            "rank 140 of 200, score 2.33 below the cut score 3.10 (keep top 60)",
            id="below",
        ),
        pytest.param(
            61,
            3.1004,
            Cut(60, 200, 3.1),
            "rank 61 of 200, score 3.10 ties the cut score 3.10 but ranks below the kept "
            "pairs (keep top 60)",
            id="tie",
        ),
        pytest.param(
            None, None, Cut(60, 200, 3.1), "not rated: no kept rating reached it", id="nr"
        ),
        pytest.param(
            1,
            4.0,
            Cut(0, 1, None),
            "rank 1 of 1, score 4.00: the review keeps no pair (keep top 0)",
            id="keeps-none",
        ),
    ],
)
def test_removal_reason(rank: int | None, score: float | None, cut: Cut, reason: str) -> None:
    assert removal_reason(rank, score, cut) == reason


REVIEW = parse_labeling_spec(
    {"name": "r", "type": "review", "instructions": "Rate.", "gold": {"share": 0.1}, "review": {}}
)
PAIRS = [ItemRow(str(n), f"Sentence {n}.", None, None, f"Satz {n}.") for n in (1, 2, 3)]


def test_with_challenges_joins_a_corpus_and_its_challenge_pairs() -> None:
    rows = [{"id": "chk-1", "source": "Good.", "target": "Gut.", "gold": 5}]
    challenges = parse_items(rows, REVIEW, complete=False)  # all gold: fine beside pairs
    items = with_challenges(PAIRS, challenges, REVIEW, source="corpus 1")
    assert [(i.external_id, i.gold) for i in items] == [
        ("1", None), ("2", None), ("3", None), ("chk-1", "5")
    ]  # fmt: skip
    with pytest.raises(ImportFailed, match="every item is gold"):
        parse_items(rows, REVIEW)


@pytest.mark.parametrize(
    ("challenges", "spec", "words"),
    [
        pytest.param([], REVIEW, "gold.share is 0.1 but no item has a gold answer", id="no-gold"),
        pytest.param(
            [ItemRow("2", "Good.", None, "5", "Gut.")],
            REVIEW,
            "challenge row 1: id '2' is also a pair's id",
            id="clash",
        ),
        pytest.param(
            [],
            parse_labeling_spec(
                {
                    "name": "c",
                    "type": "rate",
                    "instructions": "x",
                    "price_per_judgment": 1,
                    "rubric": list("abcde"),
                    "gold": {"share": 0},
                }
            ),
            "reviewed by a review campaign (type: review); a rate campaign takes",
            id="not-a-review",
        ),
    ],
)
def test_with_challenges_refuses(challenges: list[ItemRow], spec: object, words: str) -> None:
    with pytest.raises(ImportFailed, match=words.replace("(", r"\(").replace(")", r"\)")):
        with_challenges(PAIRS, challenges, spec, source="corpus 1")  # type: ignore[arg-type]


def test_parse_items_names_the_file_line() -> None:
    rows = [{"source": "a b", "target": "c d"}, {"source": "e f", "target": ""}]
    with pytest.raises(ImportFailed, match=r"pairs.tsv: row 7, column 'target'") as raised:
        parse_items(rows, REVIEW, source="pairs.tsv", lines=[3, 7])
    assert raised.value.fields["line"] == 7
