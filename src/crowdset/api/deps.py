"""``Annotated`` dependencies: the context, the caller, and role checks (one place: core)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Header, Request, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from crowdset.core.permissions import Action, authorize
from crowdset.errors import InvalidInput, Unauthenticated
from crowdset.services import accounts, login_throttle
from crowdset.services.accounts import Principal
from crowdset.services.context import Context

_bearer = HTTPBearer(auto_error=False, description="An API token: `crowdset token create`.")


def get_context(request: Request) -> Context:
    context: Context = request.app.state.context
    return context


ContextDep = Annotated[Context, Depends(get_context)]


def optional_principal(
    ctx: ContextDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal | None:
    if credentials is None:
        return None
    return accounts.authenticate_token(ctx, credentials.credentials)


def current_principal(
    principal: Annotated[Principal | None, Depends(optional_principal)],
) -> Principal:
    if principal is None:
        raise Unauthenticated(
            "this route needs an API token: send the header `Authorization: Bearer <token>`"
        )
    return principal


OptionalPrincipalDep = Annotated[Principal | None, Depends(optional_principal)]
PrincipalDep = Annotated[Principal, Depends(current_principal)]


def allowed(action: Action) -> Callable[[Principal], Principal]:
    """A dependency that returns the caller once ``authorize`` lets ``action`` through."""

    def check(principal: PrincipalDep) -> Principal:
        authorize(principal.role, action)
        return principal

    return check


def idempotency_key(
    key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            description="Required on money-moving calls: a retry with the same key moves "
            "money once.",
        ),
    ] = None,
) -> str:
    if key is None or not key.strip():
        raise InvalidInput(
            "money-moving requests need an Idempotency-Key header: send a fresh UUID per "
            "operation and reuse it only to retry that operation",
            field="Idempotency-Key",
        )
    return key


IdempotencyKeyDep = Annotated[str, Depends(idempotency_key)]


def submission_key(
    key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            description="Recommended: a fresh UUID per answer. A retry with the same key is "
            "answered as the first call was (header `Idempotent-Replayed: true`) and applied "
            "once; the same key with another request is refused (409).",
        ),
    ] = None,
) -> str | None:
    """The optional ``Idempotency-Key`` of a submission (the money routes require theirs)."""
    return key


SubmissionKeyDep = Annotated[str | None, Depends(submission_key)]


def mark_replayed(response: Response, replayed: bool, status_code: int | None = None) -> None:
    """A replayed answer says so, as the money routes do (and is a 200 where the first call
    created something)."""
    if replayed:
        response.headers["Idempotent-Replayed"] = "true"
        if status_code is not None:
            response.status_code = status_code


def client_address(request: Request, ctx: ContextDep) -> str:
    """The client's address, as the login throttle counts it (see ``trust_forwarded_for``)."""
    return login_throttle.client_address(
        request.client.host if request.client else None,
        request.headers.get("x-forwarded-for"),
        trust_forwarded=ctx.settings.trust_forwarded_for,
    )


ClientAddressDep = Annotated[str, Depends(client_address)]
