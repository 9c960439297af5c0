"""Every page and form called as anonymous, worker, requester and operator (a table), and
people reaching pages that belong to someone else.

A new page fails ``test_every_page_is_in_the_table`` until its row is added here."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
import yaml
from fastapi.routing import APIRoute

from crowdset.core.generation.spec import parse_spec
from crowdset.services import accounts, campaigns, offers
from crowdset.services.context import Context
from crowdset.web.routes import (
    account,
    collusion,
    corpora,
    dry_runs,
    due_process,
    labeling,
    labeling_campaigns,
    operator,
    public,
    work,
)
from crowdset.web.routes import campaigns as campaign_pages
from tests.web.conftest import (
    LABELING_SPEC,
    REVIEW_SPEC,
    TINY_SPEC,
    Browser,
    People,
    corpus_of,
    label_offer,
    labeling_campaign,
    principal,
    query_for,
    review_campaign,
    running_campaign,
    write_offer,
)

ROLES = ("anonymous", "worker", "requester", "operator")
OK, LOGIN, FORBIDDEN = "ok", "login", "forbidden"
ALL = (OK, OK, OK, OK)
MEMBERS = (LOGIN, OK, OK, OK)
WORKER = (LOGIN, OK, FORBIDDEN, FORBIDDEN)
RUNNER = (LOGIN, FORBIDDEN, OK, OK)
OPERATOR = (LOGIN, FORBIDDEN, FORBIDDEN, OK)
MONEY = (LOGIN, OK, OK, FORBIDDEN)
ANONYMOUS_ONLY = (OK, "home", "home", "home")

YES = dict.fromkeys(("intent_ok", "natural_ok", "spelling_ok", "values_ok"), "yes")

# (method, path, form) → expected outcome for anonymous, worker, requester, operator
TABLE: list[tuple[str, str, dict[str, str] | None, tuple[str, str, str, str]]] = [
    ("GET", "/", None, ALL),
    ("GET", "/login", None, ANONYMOUS_ONLY),
    ("POST", "/login", {"email": "worker@web.test", "password": "wrong password"}, ALL),
    ("POST", "/logout", {}, ALL),
    ("GET", "/signup", None, ANONYMOUS_ONLY),
    ("POST", "/signup", {"email": "new@web.test", "password": "x", "password_again": "x"}, ALL),
    ("GET", "/profile", None, MEMBERS),
    ("POST", "/profile/demographics", {"country": "DE", "consent": "yes"}, WORKER),
    ("POST", "/profile/demographics/withdraw", {}, WORKER),
    (
        "POST",
        "/profile/password",
        {"current_password": "not it", "new_password": "a brand new passphrase"},
        MEMBERS,
    ),
    ("POST", "/profile/logout-everywhere", {}, MEMBERS),
    ("GET", "/docs", None, ALL),  # the API reference (Swagger UI from /static)
    ("GET", "/wallet", None, MEMBERS),
    ("POST", "/wallet/stake", {"amount": "1"}, WORKER),
    ("POST", "/wallet/unstake", {"amount": "1"}, WORKER),
    ("POST", "/wallet/deposit", {"amount": "1"}, MONEY),
    ("GET", "/earnings", None, WORKER),
    ("GET", "/work", None, WORKER),
    ("POST", "/work/next", {}, WORKER),
    ("GET", "/work/offers/{offer}", None, WORKER),
    ("POST", "/work/offers/{offer}/accept", {}, WORKER),
    ("POST", "/work/offers/{offer}/query", {"text": "{query}"}, WORKER),
    ("POST", "/work/offers/{offer}/vote", YES, WORKER),
    ("POST", "/work/offers/{offer}/skip", {}, WORKER),
    ("POST", "/work/offers/{label_offer}/label", {"answer": "pos"}, WORKER),
    # a label offer is no revise offer: the worker is let in and the form refused (422)
    ("POST", "/work/offers/{label_offer}/revision", {"target": "x"}, WORKER),
    ("GET", "/labeling", None, WORKER),
    ("GET", "/labeling/{labeling}", None, WORKER),
    ("GET", "/labeling/{labeling}/tutorial/{first}", None, WORKER),
    ("POST", "/labeling/{labeling}/tutorial/{first}", {"answer": "pos"}, WORKER),
    ("GET", "/labeling/{labeling}/qualifier", None, WORKER),
    ("POST", "/labeling/{labeling}/qualifier", {"answer-0": "pos", "answer-1": "neg"}, WORKER),
    ("POST", "/labeling/{labeling}/next", {}, WORKER),
    ("POST", "/labeling/{review}/packages", {}, WORKER),
    ("GET", "/campaigns", None, RUNNER),
    ("GET", "/campaigns/new", None, RUNNER),
    ("POST", "/campaigns/new", {"source": "spec", "spec": "{spec}", "action": "create"}, RUNNER),
    (
        "POST",
        "/campaigns/new",
        {"source": "labeling", "labeling_spec": "{labeling_spec}", "action": "estimate"},
        RUNNER,
    ),
    ("GET", "/campaigns/{campaign}", None, RUNNER),
    ("GET", "/campaigns/{campaign}/live", None, RUNNER),
    ("GET", "/campaigns/{campaign}/export/jsonl", None, RUNNER),
    ("GET", "/campaigns/{labeling}", None, RUNNER),
    ("GET", "/campaigns/{labeling}/live", None, RUNNER),
    ("GET", "/campaigns/{labeling}/results/csv", None, RUNNER),
    ("POST", "/campaigns/{labeling}/audit", {"item": "r1", "verdict": "correct"}, RUNNER),
    ("GET", "/campaigns/{review}", None, RUNNER),
    ("GET", "/campaigns/{review}/live", None, RUNNER),
    ("GET", "/campaigns/{review}/pairs/kept/jsonl", None, RUNNER),
    ("GET", "/campaigns/{review}/pairs/removed/jsonl", None, RUNNER),
    ("GET", "/corpora", None, RUNNER),
    ("POST", "/corpora", {"name": "news"}, RUNNER),
    ("GET", "/corpora/review", None, RUNNER),
    (
        "POST",
        "/corpora/review",
        {"corpus": "{corpus}", "review_spec": "{review_spec}", "action": "estimate"},
        RUNNER,
    ),
    ("POST", "/campaigns/{pilot}/accept-pilot", {}, RUNNER),
    ("POST", "/campaigns/{draft}/launch", {}, RUNNER),
    ("POST", "/campaigns/{campaign}/pause", {}, RUNNER),
    ("POST", "/campaigns/{campaign}/resume", {}, RUNNER),
    ("POST", "/campaigns/{campaign}/close", {}, RUNNER),
    ("POST", "/campaigns/{campaign}/escrow", {"amount": "1"}, RUNNER),
    ("POST", "/campaigns/{campaign}/cross-validation", {}, RUNNER),
    ("POST", "/campaigns/{campaign}/blacklist", {"worker": "{pseudonym}"}, RUNNER),
    ("GET", "/campaigns/{campaign}/collusion", None, RUNNER),
    (
        "POST",
        "/campaigns/{campaign}/collusion/exclude",
        {"workers": "{pseudonym}", "confirm": "yes"},  # in no flagged group: refused, 422
        RUNNER,
    ),
    ("GET", "/operator", None, OPERATOR),
    ("POST", "/operator/issue", {"email": "worker@web.test", "amount": "1"}, OPERATOR),
    ("GET", "/operator/workers", None, OPERATOR),
    (
        "POST",
        "/operator/blacklist",
        {"worker": "{pseudonym}", "campaign_id": "{campaign}"},
        OPERATOR,
    ),
    ("GET", "/quality", None, WORKER),
    ("GET", "/sanctions", None, MEMBERS),
    ("GET", "/sanctions/{sanction}", None, MEMBERS),  # the worker's, on the requester's campaign
    ("POST", "/sanctions/{sanction}/appeal", {"text": "wrong"}, WORKER),
    ("POST", "/sanctions/{sanction}/decision", {"decision": "deny", "note": "no"}, RUNNER),
    # a dry-run's page and its refreshed part: requesters and operators (no such run: 404)
    ("GET", "/dry-runs/{dry_run}", None, (LOGIN, FORBIDDEN, "status 404", "status 404")),
    ("GET", "/dry-runs/{dry_run}/status", None, (LOGIN, FORBIDDEN, "status 404", "status 404")),
]
HOMES = {"worker": "/work", "requester": "/campaigns", "operator": "/operator"}


def _outcome(method: str, role: str, status: int, location: str) -> str:
    if status == 303 and location.startswith("/login"):
        return LOGIN
    if method == "GET" and status == 303 and location == HOMES.get(role):
        return "home"
    if status == 403:
        return FORBIDDEN
    if status in (200, 303, 422):  # 422: allowed in, the form itself refused
        return OK
    return f"status {status}"


@pytest.mark.parametrize(
    ("method", "path", "form", "expected"),
    TABLE,
    ids=[f"{method} {path}" for method, path, _, _ in TABLE],
)
def test_page_outcome_by_role(
    ctx: Context,
    people: People,
    as_role: Callable[[str], Browser],
    method: str,
    path: str,
    form: dict[str, str] | None,
    expected: tuple[str, str, str, str],
) -> None:
    outcomes = {}
    for role in ROLES:
        campaign = running_campaign(ctx, people.requester)
        draft = campaigns.create_campaign(
            ctx, principal(ctx, people.requester), parse_spec(TINY_SPEC)
        ).id
        offer = write_offer(ctx, campaign, people.worker)
        values = {
            "campaign": str(campaign),
            "draft": str(draft),
            "offer": str(offer),
            "query": query_for(ctx, people.worker, offer),
            "spec": yaml.safe_dump(TINY_SPEC),
            "pseudonym": accounts.get_user(ctx, people.worker).pseudonym,
            "dry_run": "unknown",
        }
        if "{label" in path or "{pilot}" in path or "labeling" in str(form):
            values |= _labeling_values(ctx, people)
        if "{review}" in path or "{corpus}" in str(form):
            values |= {
                "review": str(review_campaign(ctx, people.requester)),
                "corpus": str(corpus_of(ctx, people.requester)),
                "review_spec": yaml.safe_dump(REVIEW_SPEC),
            }
        if "{sanction}" in path:
            values["sanction"] = str(_sanction(ctx, people))
        browser = as_role(role)
        address = path.format(**values)
        if method == "GET":
            response = browser.get(address, follow_redirects=False)
        else:
            filled = {k: v.format(**values) for k, v in (form or {}).items()}
            response = browser.post(address, filled)
        outcomes[role] = _outcome(
            method, role, response.status_code, response.headers.get("location", "")
        )
    assert tuple(outcomes[role] for role in ROLES) == expected, outcomes


def _labeling_values(ctx: Context, people: People) -> dict[str, str]:
    """A labeling campaign with its onboarding, a pilot, and a label offer for the worker."""
    plain: dict[str, Any] = {"tutorial": [], "qualifier": None, "gold": {"share": 0}}
    return {
        "labeling": str(labeling_campaign(ctx, people.requester)),
        "pilot": str(labeling_campaign(ctx, people.requester, pilot={"units": 5}, **plain)),
        "label_offer": str(
            label_offer(ctx, labeling_campaign(ctx, people.requester, **plain), people.worker)
        ),
        "labeling_spec": yaml.safe_dump(LABELING_SPEC),
        "first": "0",
    }


def _sanction(ctx: Context, people: People) -> int:
    """A sanction of the worker's on a new campaign of the requester's."""
    from tests.services.test_due_process import launched, revoke

    return revoke(ctx, launched(ctx, principal(ctx, people.requester)), people.worker)


def _shape(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "{}", path)


def test_every_page_is_in_the_table() -> None:
    served = {
        (method, _shape(route.path))
        for module in (
            account,
            campaign_pages,
            collusion,
            corpora,
            dry_runs,
            due_process,
            labeling,
            labeling_campaigns,
            operator,
            public,
            work,
        )
        for route in module.router.routes
        if isinstance(route, APIRoute)
        for method in route.methods or ()
    }
    # the table exports one format; the route takes any of them
    tabled = {
        (method, _shape(path.replace("/jsonl", "/{format}").replace("/csv", "/{format}")))
        for method, path, _, _ in TABLE
    }
    assert served == tabled


# --- someone else's pages ---------------------------------------------------------------------


def test_a_requester_cannot_reach_another_requesters_campaign(
    ctx: Context, people: People, as_role: Callable[[str], Browser]
) -> None:
    campaign = running_campaign(ctx, people.requester)
    other = as_role("requester_b")
    for address in (
        f"/campaigns/{campaign}",
        f"/campaigns/{campaign}/live",
        f"/campaigns/{campaign}/export/snips",
    ):
        response = other.get(address)
        assert response.status_code == 404, address
        assert f"no campaign has id {campaign}" in response.text
    for action in ("pause", "close", "cross-validation"):
        assert other.post(f"/campaigns/{campaign}/{action}").status_code == 404, action
    assert campaign not in [
        c.id for c in campaigns.list_campaigns(ctx, principal(ctx, people.requester_b))
    ]
    assert (
        campaigns.get_campaign(ctx, principal(ctx, people.requester), campaign).status == "running"
    )
    listed = other.page("/campaigns")
    assert not listed.find_all("a", href=f"/campaigns/{campaign}")


def test_a_worker_cannot_reach_another_workers_offer(
    ctx: Context, people: People, as_role: Callable[[str], Browser]
) -> None:
    campaign = running_campaign(ctx, people.requester)
    offer = write_offer(ctx, campaign, people.worker)
    other = as_role("worker_b")
    response = other.get(f"/work/offers/{offer}")
    assert response.status_code == 404
    assert f"no offer has id {offer}" in response.text
    text = query_for(ctx, people.worker, offer)
    assert other.post(f"/work/offers/{offer}/query", {"text": text}).status_code == 404
    assert other.post(f"/work/offers/{offer}/skip").status_code == 404
    assert offers.get_offer(ctx, people.worker, offer).status == "open"


def test_workers_and_requesters_stay_out_of_each_others_and_the_operators_pages(
    ctx: Context, people: People, as_role: Callable[[str], Browser]
) -> None:
    campaign = running_campaign(ctx, people.requester)
    worker, requester = as_role("worker"), as_role("requester")
    for address in (f"/campaigns/{campaign}", "/campaigns", "/operator", "/operator/workers"):
        response = worker.get(address)
        assert response.status_code == 403, address
        assert "a worker may not" in response.text
    for address in ("/work", "/earnings", "/operator"):
        response = requester.get(address)
        assert response.status_code == 403, address
        assert "a requester may not" in response.text


def test_a_labeling_campaign_and_its_offers_stay_with_their_owners(
    ctx: Context, people: People, as_role: Callable[[str], Browser]
) -> None:
    campaign = labeling_campaign(ctx, people.requester, tutorial=[], qualifier=None)
    other = as_role("requester_b")
    for address in (
        f"/campaigns/{campaign}",
        f"/campaigns/{campaign}/live",
        f"/campaigns/{campaign}/results/csv",
    ):
        response = other.get(address)
        assert response.status_code == 404, address
        assert f"no campaign has id {campaign}" in response.text
    audit = other.post(f"/campaigns/{campaign}/audit", {"item": "r1", "verdict": "wrong"})
    assert audit.status_code == 404
    for action in ("accept-pilot", "pause", "close"):
        assert other.post(f"/campaigns/{campaign}/{action}").status_code == 404, action
    offer = label_offer(ctx, campaign, people.worker)
    worker_b = as_role("worker_b")
    assert worker_b.get(f"/work/offers/{offer}").status_code == 404
    assert worker_b.post(f"/work/offers/{offer}/label", {"answer": "pos"}).status_code == 404
    assert offers.get_offer(ctx, people.worker, offer).status == "open"
