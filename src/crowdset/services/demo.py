"""Demo data for ``make run``: an operator, a requester and two workers with credits, and a
small running generation campaign."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from crowdset.core.generation.spec import parse_spec
from crowdset.core.permissions import Role
from crowdset.errors import NotFound
from crowdset.services import accounts, campaigns, ledger
from crowdset.services.accounts import Principal, UserView
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
        if role is Role.REQUESTER:
            _demo_campaign(ctx, user)
    return logins


DEMO_CAMPAIGN: dict[str, Any] = {
    "name": "Smart lights (demo)",
    "language": "en",
    "intents": [
        {
            "name": "SwitchLightOn",
            "description": "Switch the lights on",
            "target": 10,
            "slots": [{"name": "room", "values": ["living room", "kitchen", "bedroom"]}],
            "seeds": [
                "turn on the lights in the [room:living room]",
                "switch the [room:kitchen] light on please",
            ],
        },
        {
            "name": "SwitchLightOff",
            "description": "Switch the lights off",
            "target": 10,
            "slots": [{"name": "room", "values": ["living room", "kitchen", "bedroom"]}],
            "seeds": ["turn off the lights in the [room:bedroom]", "lights off please"],
        },
    ],
    "prices": {"per_query": "0.80", "per_vote": "0.20"},
    "min_stake": 10,
    "max_slots_per_task": 1,
    "checks": {"min_words": 2},
}
"""A small running campaign, so that a fresh instance has work to offer (see
examples/smart-lights.yaml for the full example)."""


def _demo_campaign(ctx: Context, requester: UserView) -> None:
    viewer = Principal(user_id=requester.id, role=Role.REQUESTER, email=requester.email)
    if campaigns.list_campaigns(ctx, viewer):
        return  # the demo campaign exists (or the requester has made their own)
    view = campaigns.create_campaign(ctx, viewer, parse_spec(DEMO_CAMPAIGN, source="demo"))
    campaigns.launch(ctx, viewer, view.id)
