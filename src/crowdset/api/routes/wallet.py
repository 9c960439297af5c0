from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response, status

from crowdset.api.deps import ContextDep, IdempotencyKeyDep, allowed
from crowdset.api.pagination import PAGED_RESPONSES, PageDep
from crowdset.api.params import Seq
from crowdset.api.schemas import AmountBody, BalancesPublic, PostingPublic, TransactionPublic
from crowdset.api.schemas_newcomers import EarningsPublic, earnings_public
from crowdset.core.permissions import Action
from crowdset.services import campaign_stats, ledger, payments
from crowdset.services.accounts import Principal
from crowdset.services.context import Context
from crowdset.services.ledger import Balances
from crowdset.storage.ledger_store import PostedTransaction

router = APIRouter(tags=["wallet"])
ReadOwn = Annotated[Principal, Depends(allowed(Action.READ_OWN_ACCOUNT))]
MoveOwn = Annotated[Principal, Depends(allowed(Action.MOVE_OWN_MONEY))]
Staker = Annotated[Principal, Depends(allowed(Action.STAKE))]


def balances_public(ctx: Context, found: Balances) -> BalancesPublic:
    return BalancesPublic(
        available=found.available,
        staked=found.staked,
        locked=found.locked,
        deposit=found.deposit,
        pending=found.pending,
        total=found.total,
        currency=ctx.settings.currency_name,
        decimals=ctx.settings.currency_decimals,
    )


def transaction_public(
    tx: PostedTransaction, response: Response | None = None
) -> TransactionPublic:
    if response is not None and tx.replayed:
        response.status_code = status.HTTP_200_OK  # the first call's result, not a new one
        response.headers["Idempotent-Replayed"] = "true"
    return TransactionPublic(
        seq=tx.seq,
        kind=tx.kind,
        memo=tx.memo,
        created_at=tx.created_at,
        postings=[PostingPublic(account=a, amount=n) for a, n in tx.postings],
        hash=tx.hash,
        replayed=tx.replayed,
    )


@router.get("/balances", response_model=BalancesPublic)
def get_balances(ctx: ContextDep, caller: ReadOwn) -> BalancesPublic:
    """Your available, staked, locked, deposit and pending balances in minor units."""
    return balances_public(ctx, ledger.balances(ctx, caller.user_id))


@router.get("/earnings", response_model=EarningsPublic)
def get_earnings(ctx: ContextDep, caller: ReadOwn) -> EarningsPublic:
    """What you earned, settled and pending, and the hourly rate it makes over your task time
    and your onboarding time (tutorials and qualifiers, SPEC §3), paid or not."""
    return earnings_public(campaign_stats.worker_earnings(ctx, caller.user_id))


@router.get("/ledger/history", response_model=list[TransactionPublic], responses=PAGED_RESPONSES)
def get_history(
    ctx: ContextDep,
    caller: ReadOwn,
    page: PageDep,
    before_seq: Annotated[
        Seq | None,
        Query(description="Older than this `seq` (kept for old clients; `cursor` wins)."),
    ] = None,
) -> list[TransactionPublic]:
    """Transactions touching your accounts, newest first. Paged: `limit` and `cursor`, the
    next page in the `Link` and `X-Next-Cursor` headers (or ``before_seq``, the last `seq`
    you have)."""
    before = page.after if page.cursor is not None else before_seq
    found = ledger.history(ctx, caller.user_id, limit=page.limit, before_seq=before)
    if len(found) == page.limit:  # the service reads 500 rows at most: the next one apart
        found += ledger.history(ctx, caller.user_id, limit=1, before_seq=found[-1].seq)
    return [transaction_public(tx) for tx in page.rows(found, key=lambda tx: tx.seq)]


@router.post(
    "/wallet/deposit", status_code=status.HTTP_201_CREATED, response_model=TransactionPublic
)
def deposit(
    body: AmountBody, ctx: ContextDep, caller: MoveOwn, key: IdempotencyKeyDep, response: Response
) -> TransactionPublic:
    """Top up from the **simulated** payment rail (no real money moves in this build); refused
    (422) where the `payments_rail` setting is `disabled`, the default."""
    tx = payments.deposit(ctx, caller.user_id, body.amount, idempotency_key=key)
    return transaction_public(tx, response)


@router.post(
    "/wallet/withdraw", status_code=status.HTTP_201_CREATED, response_model=TransactionPublic
)
def withdraw(
    body: AmountBody, ctx: ContextDep, caller: MoveOwn, key: IdempotencyKeyDep, response: Response
) -> TransactionPublic:
    """Pay out to the **simulated** payment rail (no real money moves in this build); refused
    (422) where the `payments_rail` setting is `disabled`, the default."""
    tx = payments.withdraw(ctx, caller.user_id, body.amount, idempotency_key=key)
    return transaction_public(tx, response)


@router.post("/stake", status_code=status.HTTP_201_CREATED, response_model=TransactionPublic)
def stake(
    body: AmountBody, ctx: ContextDep, caller: Staker, key: IdempotencyKeyDep, response: Response
) -> TransactionPublic:
    """Move credits from available to staked; your offer share grows with ln(1 + stake)."""
    return transaction_public(
        ledger.stake(ctx, caller.user_id, body.amount, idempotency_key=key), response
    )


@router.post("/unstake", status_code=status.HTTP_201_CREATED, response_model=TransactionPublic)
def unstake(
    body: AmountBody, ctx: ContextDep, caller: Staker, key: IdempotencyKeyDep, response: Response
) -> TransactionPublic:
    """Move unlocked stake back to available (locked stake stays until unlocked)."""
    return transaction_public(
        ledger.unstake(ctx, caller.user_id, body.amount, idempotency_key=key), response
    )
