"""Request and response shapes of corpora and review campaigns (SPEC §4): imported corpora, a
review's packages (the requester's view and the reviewer's), and its reviewed pairs.

Nothing a reviewer receives tells a challenge pair from any other: a package carries no pair,
its pairs come as offers (``OfferPublic``), which carry no item id."""

from __future__ import annotations

from datetime import datetime

from pydantic import ConfigDict, Field

from crowdset.api.schemas import Schema
from crowdset.services.corpora import CorpusView
from crowdset.services.labeling import PackageView
from crowdset.services.review_reports import MyPackage, PackageRow, ReviewedPair


class RemovedExample(Schema):
    line: int = Field(description="The pair's input line.")
    reason: str


class RuleReportPublic(Schema):
    # the stored report also has `failing`, which only `corpus filter --all-reasons` fills
    model_config = ConfigDict(from_attributes=True, extra="ignore")

    name: str = Field(description="The rule, as named in pipeline YAML.")
    removed: int = Field(description="Pairs it removed (the first rule they failed).")
    examples: list[RemovedExample]


class FilterReportPublic(Schema):
    total: int = Field(description="Pairs read.")
    kept: int
    removed: int
    rules: list[RuleReportPublic]


class CorpusPublic(Schema):
    id: int
    name: str
    source_lang: str | None
    target_lang: str | None
    origin: str = Field(description="The file(s) it came from, or `request body`.")
    pairs: int = Field(description="Pairs stored (those the filters kept, when they ran).")
    created_at: datetime
    filter_report: FilterReportPublic | None = Field(
        description="When the machine filters ran on import: pairs read and kept, and what "
        "each rule removed, with examples."
    )


def corpus_public(found: CorpusView) -> CorpusPublic:
    return CorpusPublic.model_validate(found)


class PackagePublic(Schema):
    """A package as the review's requester sees it."""

    id: int
    worker: str = Field(description="The reviewer's pseudonymous id.")
    status: str = Field(description="open, submitted (waiting for references), passed, forfeited.")
    size: int = Field(description="Pairs in the package, challenge pairs included.")
    rated: int
    reward: int = Field(description="Nominal share of the pool (minor units), paid at close.")
    deposit: int = Field(description="Held while the package is open: 1.5 × the reward.")
    error: float | None = Field(description="RMS stars off the references, once judged.")
    references: int | None = Field(description="Pairs that had a reference when judged.")
    created_at: datetime
    due_at: datetime
    judged_at: datetime | None


def package_public(found: PackageRow) -> PackagePublic:
    return PackagePublic.model_validate(found)


class MyPackagePublic(Schema):
    """A package as its reviewer sees it: no pair, so nothing tells a challenge apart."""

    id: int
    campaign_id: int
    campaign_name: str
    status: str = Field(description="open, submitted (waiting for references), passed, forfeited.")
    size: int = Field(description="Pairs to rate; they come as your offers (`/work/next`).")
    rated: int
    reward: int = Field(description="Nominal share of the pool (minor units), paid at close.")
    deposit: int = Field(description="Held until the package is judged; lost above the bar.")
    error: float | None = Field(description="Once judged: RMS stars off the references.")
    created_at: datetime
    due_at: datetime
    judged_at: datetime | None


def my_package_public(found: MyPackage) -> MyPackagePublic:
    return MyPackagePublic.model_validate(found)


class TakenPackagePublic(Schema):
    id: int
    campaign_id: int
    status: str
    size: int = Field(description="Pairs to rate; they come as your offers (`/work/next`).")
    reward: int = Field(description="Nominal share of the pool (minor units), paid at close.")
    deposit: int = Field(description="Held now; returned unless the package's error is too high.")
    due_at: datetime


def taken_package_public(found: PackageView) -> TakenPackagePublic:
    return TakenPackagePublic.model_validate(found)


class ReviewedPairPublic(Schema):
    item: str = Field(description="Your id of the pair; a corpus pair's is its input line.")
    source: str
    target: str
    score: float | None = Field(description="SPEC §4's reviewer-weighted score.")
    mean: float | None = Field(description="The plain mean of the kept ratings.")
    rank: int | None = Field(description="1 is the best score.")
    ratings: int
    keep: bool = Field(description="Among the top k·P pairs.")
    reason: str | None = Field(description="Why a removed pair is removed.")


def reviewed_pair_public(found: ReviewedPair) -> ReviewedPairPublic:
    return ReviewedPairPublic.model_validate(found)


class PairBody(Schema):
    source: str = Field(max_length=100_000)
    target: str = Field(max_length=100_000)


class CorpusBody(Schema):
    """A corpus sent as JSON (the OpenAPI shape; the route reads it itself, so that a bad pair
    is named by its line: `pairs[0]` is line 1)."""

    name: str = Field(min_length=1, max_length=200)
    source_lang: str | None = Field(None, max_length=16)
    target_lang: str | None = Field(None, max_length=16)
    pairs: list[PairBody] = Field(min_length=1)
    filters: str | None = Field(
        None,
        description="Run the machine filters on the way in and store only the kept pairs: "
        "`default` for the default pipeline (examples/filters.yaml), or a pipeline as YAML.",
    )


class RevisionPublic(Schema):
    sent: int = Field(description="Pairs sent to revision now.")


class RevisionBody(Schema):
    target: str = Field(min_length=1, max_length=5000, description="The edited translation.")
