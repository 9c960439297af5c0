"""Demo data for ``make run``: an operator, a requester and two workers with credits, a small
running generation campaign and a small running labeling campaign."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from crowdset.core.generation.spec import parse_spec
from crowdset.core.labeling.items import parse_items
from crowdset.core.labeling.spec import parse_labeling_spec
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


def seed_demo(ctx: Context, *, controls: bool = True) -> list[DemoLogin]:
    """Create the demo users once (idempotent) and a fresh token for each on every call.

    ``controls=False`` launches the demo generation campaign without validation controls, so
    that a scripted walk-through (the browser tests) sees each validator get the query it
    waits for rather than a control, which looks the same by design."""
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
            _demo_campaign(ctx, user, controls=controls)
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


DEMO_LABELING: dict[str, Any] = {
    "name": "Review sentiment (demo)",
    "type": "classify",
    "instructions": "Read the product review and pick its sentiment.",
    "labels": [
        {"name": "positive", "description": "The reviewer is happy with the product"},
        {"name": "negative", "description": "The reviewer is unhappy with the product"},
        {"name": "neutral", "description": "Neither, or both in equal measure"},
    ],
    "price_per_judgment": "0.20",
    "seconds_per_judgment": 10,
    "overlap": {"min": 2, "max": 4, "confidence": 0.9},
    "gold": {"share": 0.1},
    "tutorial": [
        {
            "text": "Works perfectly, I use it every day.",
            "answer": "positive",
            "explanation": "Daily use and 'perfectly' say the reviewer is happy.",
        },
        {
            "text": "Stopped working after a week and support never answered.",
            "answer": "negative",
            "explanation": "A broken product and no support: unhappy.",
        },
    ],
    "qualifier": {
        "pass_mark": 0.5,
        "questions": [
            {"text": "Great value for the price.", "answer": "positive"},
            {"text": "Arrived broken.", "answer": "negative"},
        ],
    },
}
DEMO_REVIEWS = (
    ("Exactly what I needed, fast delivery.", "positive"),
    ("The battery dies within an hour.", "negative"),
    ("It is a cable. It connects things.", "neutral"),
    ("Beautiful colour and very sturdy.", None),
    ("Too small, and the return was a hassle.", None),
    ("Does the job, nothing special.", None),
    ("My kids love it!", None),
    ("Cheap plastic that cracked on day one.", None),
    ("Okay for the price, would not buy again.", None),
    ("Setup took two minutes, works great.", None),
    ("The manual is in a language I cannot read.", None),
    ("Fits my phone perfectly.", None),
)


def _demo_campaign(ctx: Context, requester: UserView, *, controls: bool) -> None:
    viewer = Principal(user_id=requester.id, role=Role.REQUESTER, email=requester.email)
    if campaigns.list_campaigns(ctx, viewer):
        return  # the demo campaigns exist (or the requester has made their own)
    document = DEMO_CAMPAIGN if controls else {**DEMO_CAMPAIGN, "mechanism": {"control_share": 0}}
    view = campaigns.create_campaign(ctx, viewer, parse_spec(document, source="demo"))
    campaigns.launch(ctx, viewer, view.id)
    spec = parse_labeling_spec(DEMO_LABELING, source="demo")
    rows = [{"text": text, "gold": gold} for text, gold in DEMO_REVIEWS]
    view = campaigns.create_campaign(ctx, viewer, spec, parse_items(rows, spec, source="demo"))
    campaigns.launch(ctx, viewer, view.id)
