"""Review attackers (SPEC §4, §6.5): each account takes a package (its deposit held), rates its
pairs by its strategy, and takes another, until nobody can take one. Answers are
:class:`crowdset.sim.attackers.labeling.Answering`'s; a package passed is work accepted, a
package forfeited is work rejected.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from crowdset.errors import DomainError
from crowdset.services import labeling, offers, review_reports
from crowdset.services.accounts import Principal
from crowdset.services.context import Context
from crowdset.sim.attackers.crowd import Account, SimClock, skip
from crowdset.sim.attackers.labeling import Answering, Given


class ReviewAttack:
    def __init__(
        self, ctx: Context, owner: Principal, campaign_id: int, answering: Answering
    ) -> None:
        self.ctx, self.owner, self.campaign_id, self.answering = ctx, owner, campaign_id, answering
        self.given: list[Given] = []
        self.ratings = 0

    def _rate_package(self, account: Account, size: int) -> None:
        for _ in range(size * 3):  # a package's pairs, and room for offers it skips
            offer = offers.next_offer(self.ctx, account.user_id, self.campaign_id)
            if offer is None:
                return
            if offer.kind != "label":  # a revision: not this crowd's work
                skip(self.ctx, account, offer.id)
                continue
            account.saw(offer.id)
            key, stars = self.answering.answer(account, offer)
            seconds = self.answering.seconds(account)
            account.seconds += seconds
            try:
                labeling.submit_label(
                    self.ctx, account.user_id, offer.id, stars, seconds_on_task=seconds
                )
            except DomainError:  # withdrawn or expired meanwhile
                return
            self.given.append(Given(account, key, stars))
            self.ratings += 1

    def run(
        self,
        clock: SimClock,
        crowd: Sequence[Account],
        rng: np.random.Generator,
        *,
        until: float,
        on_work: Callable[[], None] | None = None,
    ) -> bool:
        """Rounds in which every account, in random order, takes a package and rates it; a
        round takes a package's modelled time. True after a round in which nobody could take
        one; False at ``until`` modelled seconds."""
        review = self.answering.spec.review
        assert review is not None
        while clock.elapsed < until:
            took = False
            for index in rng.permutation(len(crowd)):
                account = crowd[int(index)]
                try:
                    package = labeling.take_package(self.ctx, account.user_id, self.campaign_id)
                except DomainError:  # nothing left for them, revoked, or no credits to hold
                    continue
                took = True
                self._rate_package(account, package.size)
            clock.advance(review.package_size * self.answering.seconds_per_task())
            if on_work is not None:
                on_work()
            if not took:
                return True
        return False

    def tally(self, crowd: Sequence[Account]) -> None:
        """A package passed is accepted work, a forfeited one rejected (open or submitted
        packages are not judged)."""
        by_name = {a.pseudonym: a for a in crowd}
        for package in review_reports.packages(self.ctx, self.owner, self.campaign_id):
            account = by_name.get(package.worker)
            if account is None:
                continue
            if package.status == "passed":
                account.accepted += 1
            elif package.status == "forfeited":
                account.rejected += 1
