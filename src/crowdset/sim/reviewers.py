"""Simulated reviewers of a review campaign (SPEC §4), going through the same services as
people: each takes a package (holding its deposit), rates the pairs that come as its offers,
and takes another, until no package can be taken. The pool is paid when the campaign closes.

- honest: the pair's true stars plus rounded Gaussian noise of ``honest_noise`` stars;
- spammer: stars drawn uniformly, after passing any onboarding honestly.

The crowd, its answers and the truth are ``sim.labelers``'; a review's offers carry no item id,
so the crowd recognises a pair by its two sentences.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from crowdset.core.labeling.items import ItemRow
from crowdset.core.labeling.spec import LabelingSpec
from crowdset.errors import Conflict, RuleViolation
from crowdset.services import labeling, ledger, offers
from crowdset.services.context import Context
from crowdset.sim.labelers import Labeler, LabelerMix, LabelingCrowd


def reviewer_mix(workers: int = 10, spammers: float = 0.2, *, grant: int = 200) -> LabelerMix:
    """Reviewers hold credits for their deposits and stake nothing: packages are taken, not
    drawn by stake."""
    return LabelerMix(workers=workers, spammers=spammers, grant=grant, stake=0)


@dataclass
class ReviewRun:
    rounds: int = 0
    packages: int = 0
    ratings: int = 0


def pairs_by_content(items: Sequence[ItemRow]) -> dict[tuple[str, str], str]:
    """(source, target) → the requester's id: how the crowd recognises an offer's pair."""
    return {(item.text or "", item.target or ""): item.external_id for item in items}


def run_review(
    ctx: Context,
    campaign_id: int,
    crowd: LabelingCrowd,
    spec: LabelingSpec,
    by_pair: Mapping[tuple[str, str], str],
    *,
    max_rounds: int = 1_000,
    on_rating: Callable[[int], None] | None = None,
) -> ReviewRun:
    """Rounds in which every reviewer, in random order, takes a package and rates all of it;
    the run ends after a round in which nobody could take one. ``on_rating`` gets the number
    of ratings so far (a progress bar)."""
    run = ReviewRun()
    for round_number in range(1, max_rounds + 1):
        run.rounds = round_number
        took = False
        for index in crowd.rng.permutation(len(crowd.labelers)):
            reviewer = crowd.labelers[int(index)]
            try:
                labeling.take_package(ctx, reviewer.user_id, campaign_id)
            except (Conflict, RuleViolation):  # nothing left for them, or no credits to hold
                continue
            took = True
            run.packages += 1
            while (offer := offers.next_offer(ctx, reviewer.user_id, campaign_id)) is not None:
                key = by_pair.get((offer.item_text or "", offer.item_target or ""))
                truth = crowd.truth.get(key) if key is not None else None
                stars = crowd.answer(spec, reviewer.kind, truth)
                labeling.submit_label(ctx, reviewer.user_id, offer.id, stars)
                run.ratings += 1
                if on_rating is not None:
                    on_rating(run.ratings)
        if not took:
            break
    return run


def net_income(ctx: Context, crowd: LabelingCrowd) -> list[tuple[Labeler, int]]:
    """Each reviewer with their balance now less their grant, in minor units (deposits still
    held count as theirs)."""
    return [
        (reviewer, ledger.balances(ctx, reviewer.user_id).total - reviewer.initial_total)
        for reviewer in crowd.labelers
    ]
