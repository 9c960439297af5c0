"""Due process (SPEC §6, issue #14): what a worker is told about their pending pay, when a
control may be shown, and how an upheld appeal moves the money back.

- **When pending pay settles**: it moves to ``available`` once the posterior's lower bound
  clears the bar (:func:`controls_to_release` counts the right control answers still needed,
  if every next one is right), else when the campaign closes.
- **Retired controls**: a control's content is shown to the worker who failed it only once
  it has been shown to ``control_max_views`` workers (:func:`control_retired`): a live control
  never leaks.
- **One appeal**, ``MAX_APPEAL_CHARS`` at most; the campaign's requester or an operator decides.
  A denial is final. An upheld appeal (:func:`reversal_plan`) gives back the whole fine
  (``fines → available``) and the whole claw-back: from the campaign's escrow up to what it
  holds, the rest from the requester's ``available`` (a closed campaign refunded the clawed-back
  pay to the requester, so the requester holds it). When the two together fall short the
  decision is refused, nothing moves, and the message names the shortfall: a reversal is all
  or nothing, so an upheld appeal always means the worker got everything back.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from crowdset.core import ledger
from crowdset.core.ledger import (
    AccountKind,
    Posting,
    TransactionDraft,
    TransactionKind,
    user_account,
)
from crowdset.core.mechanism.evidence import TrackRecord
from crowdset.core.quality import WorkerQuality
from crowdset.errors import InsufficientFunds, InvalidInput

MAX_APPEAL_CHARS = 2000
MAX_NOTE_CHARS = 2000
RELEASE_HORIZON = 1000  # beyond this many right answers "when it settles" says: at close


class AppealStatus(StrEnum):
    NONE = "none"  # not appealed (yet)
    OPEN = "open"  # appealed, awaiting the requester or an operator
    UPHELD = "upheld"  # the money came back and the worker is reinstated
    DENIED = "denied"  # final


def check_text(text: str, *, field: str, limit: int, what: str) -> str:
    """The trimmed text, 1 to ``limit`` characters, or ``InvalidInput`` naming ``field``."""
    trimmed = text.strip()
    if not trimmed:
        raise InvalidInput(
            f"{what} is empty: write why, in at most {limit} characters", field=field
        )
    if len(trimmed) > limit:
        raise InvalidInput(
            f"{what} has {len(trimmed)} characters, more than the {limit} allowed: shorten it",
            field=field,
            length=len(trimmed),
            limit=limit,
        )
    return trimmed


def control_retired(views: int, max_views: int) -> bool:
    """SPEC §6.1: a control shown to ``control_max_views`` workers is retired; only then may
    its content be shown to a worker who failed it."""
    return views >= max_views


def controls_to_release(
    record: TrackRecord, *, bar: float, confidence: float, horizon: int = RELEASE_HORIZON
) -> int | None:
    """How many more right control answers release the worker's pending pay: the least ``n``
    with the lower bound of ``Beta(a + correct + n, b + wrong)`` at ``confidence`` ≥ ``bar``
    (0 when it already clears, and a first control is all that is missing when none was
    answered yet). ``None`` when more than ``horizon`` are needed: the pay settles at close."""

    def clears(n: int) -> bool:
        quality = WorkerQuality(record.correct + n, record.wrong, record.prior)
        return quality.quantile(1.0 - confidence) >= bar

    if clears(0):
        return 0 if record.controls > 0 else 1
    if not clears(horizon):
        return None
    low, high = 0, horizon  # clears(high) and not clears(low): the lower bound grows with n
    while high - low > 1:
        middle = (low + high) // 2
        if clears(middle):
            high = middle
        else:
            low = middle
    return high


@dataclass(frozen=True)
class Reversal:
    """What an upheld appeal moves, in minor units."""

    fine: int  # platform fines → worker available
    from_escrow: int  # campaign escrow → worker available
    from_requester: int  # requester available → worker available

    @property
    def clawed_back(self) -> int:
        return self.from_escrow + self.from_requester


def reversal_plan(
    *, fine: int, clawed_back: int, escrow: int, requester_available: int, fines_held: int
) -> Reversal:
    """Split an upheld appeal's reversal over the accounts that hold the money; refuse with
    ``InsufficientFunds`` (naming the shortfall and the fix) when they cannot cover it all."""
    if fine > fines_held:
        raise InsufficientFunds(
            f"the platform fines account holds {fines_held} but the fine to give back is "
            f"{fine}: an operator must issue the difference before the appeal can be upheld",
            needed=fine,
            balance=fines_held,
        )
    from_escrow = min(max(escrow, 0), clawed_back)
    rest = clawed_back - from_escrow
    if rest > requester_available:
        short = rest - requester_available
        raise InsufficientFunds(
            f"giving back the clawed-back pay of {clawed_back} needs {rest} beyond the "
            f"{from_escrow} left in the campaign's escrow, but the requester has "
            f"{requester_available} available: deposit {short} more, then uphold the appeal",
            needed=rest,
            balance=requester_available,
            shortfall=short,
        )
    return Reversal(fine=fine, from_escrow=from_escrow, from_requester=rest)


def reversal_drafts(
    plan: Reversal, *, worker_id: int, campaign_id: int, requester_id: int, memo: str
) -> list[TransactionDraft]:
    """The ledger transactions of ``plan`` (none for a sanction that moved no money)."""
    drafts: list[TransactionDraft] = []
    if plan.fine:
        drafts.append(ledger.reverse_fine(worker_id, plan.fine, f"{memo}: fine returned"))
    if plan.from_escrow:
        drafts.append(
            ledger.reverse_claw_back(
                worker_id, campaign_id, plan.from_escrow, f"{memo}: pay returned from escrow"
            )
        )
    if plan.from_requester:
        amount = plan.from_requester
        drafts.append(
            TransactionDraft(
                TransactionKind.REVERSE,
                (
                    Posting(user_account(requester_id, AccountKind.AVAILABLE), -amount),
                    Posting(user_account(worker_id, AccountKind.AVAILABLE), amount),
                ),
                f"{memo}: pay returned by the requester (escrow already refunded or spent)",
            )
        )
    return drafts
