"""Every route called as anonymous, worker, requester and operator (a table, not ad-hoc asserts).

A new route fails ``test_every_route_is_in_the_table`` until its row is added here."""

from __future__ import annotations

import itertools
import re

import pytest
from fastapi.testclient import TestClient

from crowdset.api.app import create_app
from crowdset.core.permissions import Role
from crowdset.services import accounts
from crowdset.services.accounts import Principal
from crowdset.services.context import Context
from crowdset.settings import Settings
from tests.api.conftest import Caller
from tests.api.test_campaigns_api import (
    GOOD_QUERY,
    TINY_SPEC,
    draft_campaign,
    running_campaign,
    vote_offer,
    write_offer,
)
from tests.api.test_labeling_api import (
    GATED,
    PILOT,
    QUIZ,
    SIMPLE,
    label_offer,
    labeling_campaign,
    settled_item,
    with_items,
)
from tests.api.test_review_api import CHALLENGES, PAIRS, REVIEW, corpus_of, review_campaign
from tests.services.test_due_process import launched, revoke

ROLES = ("anonymous", "worker", "requester", "operator")
YES: dict[str, object] = dict.fromkeys(
    ("intent_ok", "natural_ok", "spelling_ok", "values_ok"), True
)

# (method, path, body) → expected status for anonymous, worker, requester, operator
TABLE: list[tuple[str, str, dict[str, object] | None, tuple[int, int, int, int]]] = [
    ("GET", "/api/v1/health", None, (200, 200, 200, 200)),
    (
        "POST",
        "/api/v1/users",
        {"email": "new-{role}@t.org", "password": "long enough pw", "role": "worker"},
        (201, 403, 403, 201),
    ),
    (
        "POST",
        "/api/v1/users",
        {"email": "req-{role}@t.org", "password": "long enough pw", "role": "requester"},
        (403, 403, 403, 201),
    ),
    (
        "POST",
        "/api/v1/auth/token",
        {"email": "worker@api.test", "password": "correct horse"},
        (201, 201, 201, 201),
    ),
    ("GET", "/api/v1/me", None, (401, 200, 200, 200)),
    ("GET", "/api/v1/me/demographics", None, (401, 200, 403, 403)),
    ("PUT", "/api/v1/me/demographics", {"country": "DE"}, (401, 200, 403, 403)),
    ("DELETE", "/api/v1/me/demographics", None, (401, 204, 403, 403)),
    (
        "POST",
        "/api/v1/me/password",
        {"current_password": "correct horse", "new_password": "a brand new passphrase"},
        (401, 204, 204, 204),
    ),
    ("POST", "/api/v1/me/logout-everywhere", None, (401, 200, 200, 200)),
    ("GET", "/api/v1/tokens", None, (401, 200, 200, 200)),
    ("POST", "/api/v1/tokens", {"name": "extra"}, (401, 201, 201, 201)),
    ("DELETE", "/api/v1/tokens/{own_token}", None, (401, 200, 200, 200)),
    ("GET", "/api/v1/balances", None, (401, 200, 200, 200)),
    ("GET", "/api/v1/ledger/history", None, (401, 200, 200, 200)),
    ("GET", "/api/v1/earnings", None, (401, 200, 200, 200)),
    ("POST", "/api/v1/wallet/deposit", {"amount": 5}, (401, 201, 201, 403)),
    ("POST", "/api/v1/wallet/withdraw", {"amount": 5}, (401, 201, 201, 403)),
    ("POST", "/api/v1/stake", {"amount": 5}, (401, 201, 403, 403)),
    ("POST", "/api/v1/unstake", {"amount": 5}, (401, 422, 403, 403)),  # worker: nothing staked
    (
        "POST",
        "/api/v1/operator/issue",
        {"user_id": "{worker_id}", "amount": 5},
        (401, 403, 403, 201),
    ),
    ("GET", "/api/v1/operator/ledger/verify", None, (401, 403, 403, 200)),
    ("GET", "/api/v1/operator/users", None, (401, 403, 403, 200)),
    ("GET", "/api/v1/operator/users/{worker_id}/balances", None, (401, 403, 403, 200)),
    ("POST", "/api/v1/operator/users/{worker_id}/deactivate", None, (401, 403, 403, 200)),
    ("POST", "/api/v1/operator/users/{worker_id}/reactivate", None, (401, 403, 403, 200)),
    (
        "POST",
        "/api/v1/operator/users/{worker_id}/password",
        {"new_password": "another fine passphrase"},
        (401, 403, 403, 200),
    ),
    # Campaigns: requesters run their own ({draft_id}, {running_id} belong to the requester),
    # operators see every campaign.
    ("POST", "/api/v1/campaigns", TINY_SPEC, (401, 403, 201, 201)),
    ("POST", "/api/v1/campaigns/estimate", TINY_SPEC, (401, 403, 200, 200)),
    ("GET", "/api/v1/campaigns", None, (401, 403, 200, 200)),
    ("GET", "/api/v1/campaigns/{draft_id}", None, (401, 403, 200, 200)),
    ("POST", "/api/v1/campaigns/{draft_id}/launch", None, (401, 403, 200, 200)),
    ("POST", "/api/v1/campaigns/{running_id}/pause", None, (401, 403, 200, 200)),
    ("POST", "/api/v1/campaigns/{running_id}/resume", None, (401, 403, 409, 409)),  # not paused
    ("POST", "/api/v1/campaigns/{running_id}/close", None, (401, 403, 200, 200)),
    ("GET", "/api/v1/campaigns/{running_id}/progress", None, (401, 403, 200, 200)),
    ("GET", "/api/v1/campaigns/{running_id}/events", None, (401, 403, 200, 200)),
    ("GET", "/api/v1/campaigns/{running_id}/export", None, (401, 403, 200, 200)),
    ("POST", "/api/v1/campaigns/{running_id}/cross-validation", None, (401, 403, 200, 200)),
    ("GET", "/api/v1/campaigns/{running_id}/collusion", None, (401, 403, 200, 200)),
    (
        "POST",
        "/api/v1/campaigns/{running_id}/collusion/exclude",
        {"workers": ["{worker_pseudonym}"]},  # not flagged: nothing to exclude
        (401, 403, 422, 422),
    ),
    (
        "POST",
        "/api/v1/campaigns/{running_id}/blacklist",
        {"worker": "{worker_pseudonym}"},
        (401, 403, 200, 200),
    ),
    ("POST", "/api/v1/campaigns/{running_id}/escrow", {"amount": 5}, (401, 403, 200, 200)),
    # Labeling campaigns (SPEC §3): the same owner rules.
    ("POST", "/api/v1/campaigns", with_items(SIMPLE), (401, 403, 201, 201)),
    ("POST", "/api/v1/campaigns/estimate", SIMPLE | {"item_count": 10}, (401, 403, 200, 200)),
    ("GET", "/api/v1/campaigns/{labeling_id}", None, (401, 403, 200, 200)),
    ("GET", "/api/v1/campaigns/{labeling_id}/report", None, (401, 403, 200, 200)),
    ("GET", "/api/v1/campaigns/{labeling_id}/results", None, (401, 403, 200, 200)),
    # no worker shared a demographic: fewer than two groups to compare (422)
    ("GET", "/api/v1/campaigns/{labeling_id}/bias", None, (401, 403, 422, 422)),
    (
        "POST",
        "/api/v1/campaigns/{settled_id}/audits",
        {"item": "{settled_item}", "correct": True},
        (401, 403, 204, 204),
    ),
    ("POST", "/api/v1/campaigns/{pilot_id}/accept-pilot", None, (401, 403, 200, 200)),
    # Corpora and reviews (SPEC §4): a requester's corpora are theirs, an operator sees all.
    ("GET", "/api/v1/corpora", None, (401, 403, 200, 200)),
    ("POST", "/api/v1/corpora", {"name": "corpus {role}", "pairs": PAIRS}, (401, 403, 201, 201)),
    (
        "POST",
        "/api/v1/campaigns",
        REVIEW | {"corpus_id": "{corpus_id}", "items": CHALLENGES},
        (401, 403, 201, 201),
    ),
    (
        "POST",
        "/api/v1/campaigns/estimate",
        REVIEW | {"corpus_id": "{corpus_id}"},
        (401, 403, 200, 200),
    ),
    ("GET", "/api/v1/campaigns/{review_id}/packages", None, (401, 403, 200, 200)),
    ("GET", "/api/v1/campaigns/{review_id}/pairs", None, (401, 403, 200, 200)),
    # the review has no revision band: a caller who may ask is told so (422)
    ("POST", "/api/v1/campaigns/{review_id}/revision", None, (401, 403, 422, 422)),
    # Work: workers only. {write_offer} and {vote_offer} are the worker's own offers.
    ("GET", "/api/v1/work/next", None, (401, 204, 403, 403)),  # no campaign runs: ask later
    ("GET", "/api/v1/work/standing", None, (401, 200, 403, 403)),
    ("GET", "/api/v1/work/bounties", None, (401, 200, 403, 403)),
    ("GET", "/api/v1/work/offers/{write_offer}", None, (401, 200, 403, 403)),
    ("POST", "/api/v1/work/offers/{write_offer}/accept", None, (401, 200, 403, 403)),
    ("POST", "/api/v1/work/offers/{write_offer}/skip", None, (401, 204, 403, 403)),
    ("POST", "/api/v1/work/offers/{write_offer}/query", {"text": GOOD_QUERY}, (401, 201, 403, 403)),
    ("POST", "/api/v1/work/offers/{vote_offer}/vote", YES, (401, 204, 403, 403)),
    ("GET", "/api/v1/work/labeling", None, (401, 200, 403, 403)),
    ("GET", "/api/v1/work/campaigns/{gated_id}/onboarding", None, (401, 200, 403, 403)),
    (
        "POST",
        "/api/v1/work/campaigns/{gated_id}/tutorial/{index}",
        {"answer": "pos"},
        (401, 200, 403, 403),
    ),
    (
        "POST",
        "/api/v1/work/campaigns/{quiz_id}/qualifier",
        {"answers": ["pos"]},
        (401, 200, 403, 403),
    ),
    ("GET", "/api/v1/work/offers/{label_offer}", None, (401, 200, 403, 403)),
    ("POST", "/api/v1/work/offers/{label_offer}/label", {"answer": "pos"}, (401, 204, 403, 403)),
    ("POST", "/api/v1/work/campaigns/{review_id}/packages", None, (401, 201, 403, 403)),
    ("GET", "/api/v1/work/packages", None, (401, 200, 403, 403)),
    # a label offer is not a revise offer: a worker who may ask is told so (422)
    ("POST", "/api/v1/work/offers/{label_offer}/revision", {"target": "x"}, (401, 422, 403, 403)),
    ("GET", "/api/v1/me/quality", None, (401, 200, 403, 403)),
    ("GET", "/api/v1/sanctions", None, (401, 200, 200, 200)),
    # the worker's sanction on the requester's campaign
    ("GET", "/api/v1/sanctions/{sanction_id}", None, (401, 200, 200, 200)),
    ("POST", "/api/v1/sanctions/{sanction_id}/appeal", {"text": "why"}, (401, 200, 403, 403)),
    # no appeal yet: a requester or operator who may decide is told so (409)
    (
        "POST",
        "/api/v1/sanctions/{sanction_id}/decision",
        {"decision": "deny", "note": "no"},
        (401, 403, 409, 409),
    ),
    # the dry-run: requesters and operators; an incomplete spec is refused before anything runs
    ("POST", "/api/v1/sim/attack", {"spec": "name: Lights"}, (401, 403, 422, 422)),
    ("GET", "/api/v1/sim/attack/{dry_run}", None, (401, 403, 404, 404)),  # no such run
]

CASES = [
    pytest.param(method, path, body, role, statuses[i], id=f"{method} {path} as {role}")
    for (method, path, body, statuses), (i, role) in itertools.product(TABLE, enumerate(ROLES))
]


def _fill(value: object, values: dict[str, str]) -> object:
    if isinstance(value, str):
        filled = value.format(**values)
        return int(filled) if filled.isdigit() and value.startswith("{") else filled
    if isinstance(value, dict):
        return {k: _fill(v, values) for k, v in value.items()}
    return value


def _values(
    ctx: Context, callers: dict[str, Caller], path: str, body: dict[str, object] | None
) -> dict[str, str]:
    """What the placeholders of a row stand for; campaigns and offers are made only when used."""
    worker, requester = callers["worker"].user_id, callers["requester"].user_id
    assert worker is not None and requester is not None
    values = {"worker_id": str(worker), "own_token": "0", "dry_run": "unknown"}
    if "{draft_id}" in path:
        values["draft_id"] = str(draft_campaign(ctx, requester))
    if "{running_id}" in path:
        values["running_id"] = str(running_campaign(ctx, requester))
    if "{write_offer}" in path:
        values["write_offer"] = str(write_offer(ctx, running_campaign(ctx, requester), worker))
    if "{vote_offer}" in path:
        values["vote_offer"] = str(vote_offer(ctx, running_campaign(ctx, requester), worker))
    if "{labeling_id}" in path:
        values["labeling_id"] = str(labeling_campaign(ctx, requester))
    if "{settled_id}" in path:
        settled_id, item = settled_item(ctx, requester)
        values |= {"settled_id": str(settled_id), "settled_item": item}
    for name, spec in (("pilot_id", PILOT), ("gated_id", GATED), ("quiz_id", QUIZ)):
        if "{" + name + "}" in path:
            values[name] = str(labeling_campaign(ctx, requester, spec))
    if "{index}" in path:
        values["index"] = "0"
    if "{label_offer}" in path:
        values["label_offer"] = str(label_offer(ctx, labeling_campaign(ctx, requester), worker))
    if "{corpus_id}" in str(body):
        values["corpus_id"] = str(corpus_of(ctx, requester))
    if "{review_id}" in path:
        values["review_id"] = str(review_campaign(ctx, requester))
    if "{sanction_id}" in path:
        owner = Principal(requester, Role.REQUESTER, "requester@api.test")
        values["sanction_id"] = str(revoke(ctx, launched(ctx, owner), worker))
    if "{worker_pseudonym}" in str(body):
        values["worker_pseudonym"] = accounts.get_user(ctx, worker).pseudonym
    return values


@pytest.mark.parametrize(("method", "path", "body", "role", "expected"), CASES)
def test_route_status_by_role(
    ctx: Context,
    client: TestClient,
    callers: dict[str, Caller],
    method: str,
    path: str,
    body: dict[str, object] | None,
    role: str,
    expected: int,
) -> None:
    caller = callers[role]
    values = _values(ctx, callers, path, body)
    values["role"] = role
    if "{own_token}" in path:
        if caller.user_id is None:
            values["own_token"] = "1"
        else:
            made = client.post("/api/v1/tokens", json={"name": "to-revoke"}, headers=caller.headers)
            values["own_token"] = str(made.json()["info"]["id"])
    headers = dict(caller.headers, **{"Idempotency-Key": f"key-{role}-{method}-{path}"})
    response = client.request(
        method, path.format(**values), json=_fill(body, values), headers=headers
    )
    assert response.status_code == expected, response.text


def _shape(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "{}", path)


def test_every_route_is_in_the_table() -> None:
    app = create_app(Settings(database_url="sqlite:///:memory:"))
    served = {
        (method.upper(), _shape(path))
        for path, operations in app.openapi()["paths"].items()
        for method in operations
    }
    tabled = {(method, _shape(path)) for method, path, _, _ in TABLE}
    assert served == tabled
