from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response, status

from crowdset.api.deps import ContextDep, IdempotencyKeyDep, allowed
from crowdset.api.pagination import PAGED_RESPONSES, PageDep
from crowdset.api.params import Id
from crowdset.api.routes.wallet import balances_public, transaction_public
from crowdset.api.schemas import (
    BalancesPublic,
    IssueBody,
    PasswordReset,
    TransactionPublic,
    UserPublic,
    VerificationPublic,
)
from crowdset.core.permissions import Action, Role
from crowdset.services import accounts, ledger
from crowdset.services.accounts import Principal

router = APIRouter(prefix="/operator", tags=["operator"])
Issuer = Annotated[Principal, Depends(allowed(Action.ISSUE_CREDITS))]
Verifier = Annotated[Principal, Depends(allowed(Action.VERIFY_LEDGER))]
Reader = Annotated[Principal, Depends(allowed(Action.READ_ANY_ACCOUNT))]
Manager = Annotated[Principal, Depends(allowed(Action.MANAGE_USERS))]


@router.post("/issue", status_code=status.HTTP_201_CREATED, response_model=TransactionPublic)
def issue(
    body: IssueBody, ctx: ContextDep, caller: Issuer, key: IdempotencyKeyDep, response: Response
) -> TransactionPublic:
    """Create credits for a user (``issuance → available``)."""
    tx = ledger.issue_credits(
        ctx, caller.user_id, body.user_id, body.amount, memo=body.memo, idempotency_key=key
    )
    return transaction_public(tx, response)


@router.get("/ledger/verify", response_model=VerificationPublic)
def verify(ctx: ContextDep, caller: Verifier) -> VerificationPublic:
    """Recompute the hash chain and every balance; ``ok`` is false on any tampering."""
    report = ledger.verify(ctx)
    return VerificationPublic(
        ok=report.ok,
        transactions=report.transactions,
        postings=report.postings,
        accounts=report.accounts,
        head_hash=report.head_hash,
        first_bad_seq=report.first_bad_seq,
        problems=report.problems,
    )


@router.get("/users", response_model=list[UserPublic], responses=PAGED_RESPONSES)
def list_users(
    ctx: ContextDep,
    caller: Reader,
    page: PageDep,
    role: Annotated[Role | None, Query(description="Only users with this role.")] = None,
    q: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=200,
            description="Only those whose e-mail or display name contains it.",
        ),
    ] = None,
) -> list[UserPublic]:
    """Every user, oldest first; `role` and `q` (a part of the e-mail or display name, any
    case) filter them. Paged: `limit` and `cursor`, the next page in the `Link` and
    `X-Next-Cursor` headers."""
    found = accounts.list_users(ctx, role, matching=q, after=page.after, limit=page.fetch)
    return [UserPublic.model_validate(u) for u in page.rows(found, key=lambda u: u.id)]


@router.post("/users/{user_id}/deactivate", response_model=UserPublic)
def deactivate(user_id: Id, ctx: ContextDep, caller: Manager) -> UserPublic:
    """The user can no longer log in; their web sessions end and their tokens are revoked."""
    return UserPublic.model_validate(accounts.set_active(ctx, user_id, active=False))


@router.post("/users/{user_id}/reactivate", response_model=UserPublic)
def reactivate(user_id: Id, ctx: ContextDep, caller: Manager) -> UserPublic:
    """The user may log in again (with new tokens: the old ones stay revoked)."""
    return UserPublic.model_validate(accounts.set_active(ctx, user_id, active=True))


@router.post("/users/{user_id}/password", response_model=UserPublic)
def reset_password(
    user_id: Id, body: PasswordReset, ctx: ContextDep, caller: Manager
) -> UserPublic:
    """Set the user's password; their web sessions end and their tokens are revoked."""
    return UserPublic.model_validate(accounts.reset_password(ctx, user_id, body.new_password))


@router.get("/users/{user_id}/balances", response_model=BalancesPublic)
def user_balances(user_id: Id, ctx: ContextDep, caller: Reader) -> BalancesPublic:
    accounts.get_user(ctx, user_id)  # 404 for an unknown user
    return balances_public(ctx, ledger.balances(ctx, user_id))
