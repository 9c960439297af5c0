"""Session cookies, their expiry, log out, and CSRF protection of every form."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from urllib.parse import quote

from fastapi.testclient import TestClient

from crowdset.api.app import create_app
from crowdset.services import ledger
from crowdset.services.context import Context
from crowdset.web.sessions import Signer
from tests.conftest import FakeClock
from tests.web.conftest import Browser, People
from tests.web.html import parse


def _cookie_header(response_headers: list[str]) -> str:
    found = [h for h in response_headers if h.startswith("__Host-crowdset=")]
    assert found, response_headers
    return found[-1]


def test_login_sets_a_signed_secure_http_only_same_site_cookie(
    people: People, web: Browser
) -> None:
    response = web.login("worker@web.test")
    cookie = _cookie_header(response.headers.get_list("set-cookie"))
    attributes = [part.strip() for part in cookie.split(";")]
    assert {"HttpOnly", "SameSite=Lax", "Secure", "Path=/", "Max-Age=28800"} <= set(attributes)
    assert "Domain" not in cookie  # __Host- cookies are pinned to this host
    value = attributes[0].split("=", 1)[1]
    payload, mac = value.split(".")
    assert payload and mac


def test_a_plain_http_instance_drops_the_secure_flag_and_the_host_prefix(
    ctx: Context, people: People
) -> None:
    settings = ctx.settings.model_copy(update={"session_cookie_secure": False})
    with TestClient(create_app(settings, ctx)) as client:  # http://testserver
        response = client.get("/login")
        cookie = response.headers["set-cookie"]
        assert cookie.startswith("crowdset_session=") and "Secure" not in cookie
        token = parse(response.text).find_all("meta", name="csrf-token")[0].attrs["content"]
        logged_in = client.post(
            "/login",
            data={
                "csrf_token": token,
                "email": "worker@web.test",
                "password": "correct horse battery",
            },
            follow_redirects=False,
        )
        assert logged_in.headers["location"] == "/work"
        assert client.get("/wallet").status_code == 200


def test_the_session_expires_after_its_lifetime(
    people: People, web: Browser, clock: FakeClock
) -> None:
    web.login("worker@web.test")
    for _ in range(4):  # in use all along: the idle limit (120 minutes) never comes
        clock.advance(minutes=100)
        assert web.get("/wallet", follow_redirects=False).status_code == 200
    clock.advance(minutes=79)
    assert web.get("/wallet", follow_redirects=False).status_code == 200
    clock.advance(minutes=2)
    response = web.get("/wallet", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=" + quote("/wallet", safe="")
    login_page = parse(web.get(response.headers["location"]).text)
    assert "Your session expired after 480 minutes: log in again." in login_page.text
    assert web.get("/wallet", follow_redirects=False).status_code == 303  # still logged out


def test_the_login_page_returns_to_the_page_asked_for_but_never_to_another_site(
    people: People, web: Browser
) -> None:
    response = web.get("/earnings", follow_redirects=False)
    assert response.headers["location"] == "/login?next=%2Fearnings"
    form = {"email": "worker@web.test", "password": "correct horse battery", "next": "/earnings"}
    assert web.post("/login", form).headers["location"] == "/earnings"
    other = Browser(TestClient(web.client.app, base_url="https://testserver"))
    form["next"] = "//evil.example/steal"
    assert other.post("/login", form).headers["location"] == "/work"


def test_a_forged_or_altered_cookie_counts_as_no_session(people: People, web: Browser) -> None:
    response = web.login("worker@web.test")
    real = _cookie_header(response.headers.get_list("set-cookie")).split(";")[0].split("=", 1)[1]
    payload, mac = real.split(".")
    altered = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    altered["uid"] = people.operator
    altered_payload = base64.urlsafe_b64encode(json.dumps(altered).encode()).decode().rstrip("=")
    forged = Signer(b"not the instance's key").dumps({"uid": people.operator, "iat": 2e9})
    for value in (f"{altered_payload}.{mac}", forged, "garbage"):
        web.client.cookies.clear()
        web.client.cookies.set("__Host-crowdset", value)
        response = web.get("/operator", follow_redirects=False)
        assert response.status_code == 303, value
        assert response.headers["location"].startswith("/login")


def test_log_out_ends_the_session(people: People, web: Browser) -> None:
    web.login("worker@web.test")
    response = web.post("/logout", token_from="/wallet")
    assert response.headers["location"] == "/"
    assert "You are logged out." in web.get("/").text
    assert web.get("/wallet", follow_redirects=False).status_code == 303


def test_logging_in_gives_a_new_form_token(people: People, web: Browser) -> None:
    before = web.token("/login")
    web.login("worker@web.test")
    after = web.token("/wallet")
    assert before != after
    refused = web.post("/wallet/deposit", {"amount": "5"}, token=before)
    assert refused.status_code == 403


def test_a_form_without_the_sessions_token_is_refused_and_changes_nothing(
    ctx: Context, people: People, as_role: Callable[[str], Browser]
) -> None:
    worker = as_role("worker")
    stranger = as_role("worker_b")
    before = ledger.balances(ctx, people.worker)
    for token in ("", "forged-token", stranger.token("/wallet")):
        response = worker.post("/wallet/stake", {"amount": "10"}, token=token)
        assert response.status_code == 403, token
        assert "This form was not sent from a page of this site" in response.text
    missing = worker.client.post("/wallet/stake", data={"amount": "10"}, follow_redirects=False)
    assert missing.status_code == 403
    assert ledger.balances(ctx, people.worker) == before
    assert worker.post("/wallet/stake", {"amount": "10"}, token_from="/wallet").status_code == 303
    assert ledger.balances(ctx, people.worker).staked == before.staked + 1000


def test_the_login_form_itself_needs_the_token(people: People, web: Browser) -> None:
    response = web.client.post(
        "/login",
        data={"email": "worker@web.test", "password": "correct horse battery"},
        follow_redirects=False,
    )
    assert response.status_code == 403
    assert web.get("/wallet", follow_redirects=False).status_code == 303  # not logged in


def test_pages_carry_security_headers(web: Browser) -> None:
    response = web.get("/")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["x-content-type-options"] == "nosniff"


def test_unknown_addresses_are_a_web_404_and_unknown_api_addresses_stay_problem_json(
    web: Browser,
) -> None:
    page = web.get("/no-such-page")
    assert page.status_code == 404 and "There is no page at this address." in page.text
    api = web.get("/api/v1/no-such-route")
    assert api.status_code == 404
    assert api.headers["content-type"] == "application/problem+json"
    assert web.get("/api/v1/stake").status_code == 405  # a route with another method
