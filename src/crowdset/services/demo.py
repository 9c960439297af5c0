"""Demo accounts for ``make run``: an operator, a requester and two workers, with credits."""

from __future__ import annotations

from dataclasses import dataclass

from crowdset.core.permissions import Role
from crowdset.errors import NotFound
from crowdset.services import accounts, ledger
from crowdset.services.accounts import UserView
from crowdset.services.context import Context

DEMO_PASSWORD = "crowdset-demo"  # printed by `make run`; demo instances only
DEMO_USERS = (
    ("operator@demo.crowdset", Role.OPERATOR, "Olga Operator"),
    ("requester@demo.crowdset", Role.REQUESTER, "Rita Requester"),
    ("worker@demo.crowdset", Role.WORKER, "Walt Worker"),
    ("worker2@demo.crowdset", Role.WORKER, "Wanda Worker"),
)


@dataclass(frozen=True)
class DemoLogin:
    user: UserView
    password: str
    token: str


def seed_demo(ctx: Context) -> list[DemoLogin]:
    """Create the demo users once (idempotent) and a fresh token for each on every call."""
    logins: list[DemoLogin] = []
    operator_id: int | None = None
    for email, role, name in DEMO_USERS:
        try:
            user = accounts.find_user(ctx, email)
        except NotFound:
            user = accounts.create_user(
                ctx, email=email, password=DEMO_PASSWORD, role=role.value, display_name=name
            )
        if role is Role.OPERATOR:
            operator_id = user.id
        else:
            grant = 1_000 * ctx.settings.minor_per_unit  # 1,000 credits
            ledger.issue_credits(
                ctx,
                operator_id,
                user.id,
                grant,
                memo="demo credits",
                idempotency_key=f"demo-grant-{user.id}",
            )
        if role is Role.WORKER:
            ledger.stake(
                ctx,
                user.id,
                200 * ctx.settings.minor_per_unit,
                idempotency_key=f"demo-stake-{user.id}",
            )
        token = accounts.create_token(ctx, user.id, name="demo")
        logins.append(DemoLogin(user=user, password=DEMO_PASSWORD, token=token.secret))
    return logins
