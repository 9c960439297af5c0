from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, status

from crowdset.api.deps import ContextDep, allowed
from crowdset.api.pagination import PAGED_RESPONSES, PageDep
from crowdset.api.params import Id
from crowdset.api.schemas import TokenCreate, TokenCreated, TokenPublic
from crowdset.core.permissions import Action
from crowdset.services import accounts
from crowdset.services.accounts import Principal

router = APIRouter(prefix="/tokens", tags=["tokens"])
ManageTokens = Annotated[Principal, Depends(allowed(Action.MANAGE_OWN_TOKENS))]


@router.get("", response_model=list[TokenPublic], responses=PAGED_RESPONSES)
def list_tokens(ctx: ContextDep, caller: ManageTokens, page: PageDep) -> list[TokenPublic]:
    """Your tokens (never their secrets), oldest first. Paged: `limit` and `cursor`, the next
    page in the `Link` and `X-Next-Cursor` headers."""
    found = accounts.list_tokens(ctx, caller.user_id, after=page.after, limit=page.fetch)
    return [TokenPublic.model_validate(t) for t in page.rows(found, key=lambda t: t.id)]


@router.post("", response_model=TokenCreated, status_code=status.HTTP_201_CREATED)
def create_token(body: TokenCreate, ctx: ContextDep, caller: ManageTokens) -> TokenCreated:
    """A new token for yourself; the secret is in this response only."""
    created = accounts.create_token(ctx, caller.user_id, name=body.name, days=body.days)
    return TokenCreated(token=created.secret, info=TokenPublic.model_validate(created.token))


@router.delete("/{token_id}", response_model=TokenPublic)
def revoke_token(token_id: Id, ctx: ContextDep, caller: ManageTokens) -> TokenPublic:
    """Revoke one of your tokens; it stops working at once."""
    return TokenPublic.model_validate(accounts.revoke_token(ctx, caller.user_id, token_id))
