from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response, status

from crowdset.api.deps import ClientAddressDep, ContextDep, OptionalPrincipalDep, allowed
from crowdset.api.schemas import (
    DemographicsBody,
    LoggedOut,
    PasswordChange,
    PasswordLogin,
    TokenCreated,
    TokenPublic,
    UserCreate,
    UserPublic,
)
from crowdset.core.permissions import Action, authorize_user_creation
from crowdset.services import accounts
from crowdset.services.accounts import Principal

router = APIRouter(tags=["users"])
ReadOwn = Annotated[Principal, Depends(allowed(Action.READ_OWN_ACCOUNT))]
EditDemographics = Annotated[Principal, Depends(allowed(Action.EDIT_DEMOGRAPHICS))]


@router.post("/users", response_model=UserPublic, status_code=status.HTTP_201_CREATED)
def create_user(
    body: UserCreate, ctx: ContextDep, caller: OptionalPrincipalDep, address: ClientAddressDep
) -> UserPublic:
    """Sign up as a worker (no token needed), or, as an operator, create any account. Sign-ups
    that hit a taken address count against the client address like wrong passwords (429)."""
    authorize_user_creation(caller.role if caller else None, body.role)
    user = accounts.create_user(
        ctx,
        email=body.email,
        password=body.password,
        role=body.role.value,
        display_name=body.display_name,
        address=None if caller else address,
    )
    return UserPublic.model_validate(user)


@router.post("/auth/token", response_model=TokenCreated, status_code=status.HTTP_201_CREATED)
def login(body: PasswordLogin, ctx: ContextDep, address: ClientAddressDep) -> TokenCreated:
    """Exchange email and password for a new API token. After repeated wrong passwords for the
    account or from the address, attempts wait: 429 with `Retry-After`."""
    user = accounts.authenticate_password(ctx, body.email, body.password, address=address)
    created = accounts.create_token(ctx, user.id, name=body.token_name, days=body.days)
    return TokenCreated(token=created.secret, info=TokenPublic.model_validate(created.token))


@router.get("/me", response_model=UserPublic)
def me(ctx: ContextDep, caller: ReadOwn) -> UserPublic:
    return UserPublic.model_validate(accounts.get_user(ctx, caller.user_id))


@router.get("/me/demographics", response_model=DemographicsBody | None)
def get_demographics(ctx: ContextDep, caller: EditDemographics) -> DemographicsBody | None:
    """Your opt-in answers, or null when you have not given any."""
    found = accounts.get_demographics(ctx, caller.user_id)
    if found is None:
        return None
    return DemographicsBody(
        age_band=found.age_band,
        gender=found.gender,
        country=found.country,
        languages=list(found.languages),
        education=found.education,
    )


@router.put("/me/demographics", response_model=DemographicsBody)
def put_demographics(
    body: DemographicsBody, ctx: ContextDep, caller: EditDemographics
) -> DemographicsBody:
    """Opt in (or change your answers). Shown to requesters only in aggregate."""
    saved = accounts.set_demographics(ctx, caller.user_id, **body.model_dump())
    return DemographicsBody(
        age_band=saved.age_band,
        gender=saved.gender,
        country=saved.country,
        languages=list(saved.languages),
        education=saved.education,
    )


@router.delete("/me/demographics", status_code=status.HTTP_204_NO_CONTENT)
def delete_demographics(ctx: ContextDep, caller: EditDemographics) -> Response:
    """Opt out: your answers are deleted."""
    accounts.withdraw_demographics(ctx, caller.user_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/me/password", status_code=status.HTTP_204_NO_CONTENT)
def change_password(body: PasswordChange, ctx: ContextDep, caller: ReadOwn) -> Response:
    """Change your password, proving the current one. Your web sessions end (tokens stay)."""
    accounts.change_password(ctx, caller.user_id, body.current_password, body.new_password)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/me/logout-everywhere", response_model=LoggedOut)
def logout_everywhere(ctx: ContextDep, caller: ReadOwn) -> LoggedOut:
    """End every web session and revoke every API token of yours, this one included."""
    sessions, tokens = accounts.log_out_everywhere(ctx, caller.user_id)
    return LoggedOut(sessions_ended=sessions, tokens_revoked=tokens)
