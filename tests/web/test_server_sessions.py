"""Issue 17: web sessions live in the database. Logging out ends a session for every copy of
its cookie; "log out everywhere", a password change, an operator's reset and a deactivation
end them too; idle sessions end; wrong passwords are throttled on the login page."""

from __future__ import annotations

from collections.abc import Callable

from crowdset.services import accounts
from crowdset.services.context import Context
from tests.conftest import FakeClock
from tests.web.conftest import PASSWORD, Browser, People
from tests.web.html import parse


def _cookie(web: Browser) -> dict[str, str]:
    return {"__Host-crowdset": web.client.cookies["__Host-crowdset"]}


def test_a_cookie_saved_before_logout_no_longer_opens_the_wallet(
    people: People, open_browser: Callable[[], Browser]
) -> None:
    web = open_browser()
    web.login("worker@web.test")
    saved = _cookie(web)
    assert web.post("/logout", token_from="/wallet").status_code == 303
    thief = open_browser()
    thief.client.cookies.update(saved)
    response = thief.get("/wallet", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login")
    staked = thief.client.post(
        "/wallet/stake", data={"amount": "1", "csrf_token": "x"}, follow_redirects=False
    )
    assert staked.status_code in (303, 403)


def test_the_cookie_holds_only_an_opaque_session_id(people: People, web: Browser) -> None:
    web.login("worker@web.test")
    value = web.client.cookies["__Host-crowdset"]
    assert "worker" not in value and str(people.worker) not in value.split(".")[0][:4]


def test_log_out_everywhere_ends_every_session_of_the_user(
    people: People, open_browser: Callable[[], Browser]
) -> None:
    first, second = open_browser(), open_browser()
    first.login("worker@web.test")
    second.login("worker@web.test")
    profile = first.page("/profile")
    assert len(profile.by_id("sessions").find_all("tr")) == 3  # a header and two sessions
    assert first.post("/profile/logout-everywhere", token_from="/profile").status_code == 303
    for browser in (first, second):
        response = browser.get("/wallet", follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"].startswith("/login")


def test_an_idle_session_ends(people: People, web: Browser, clock: FakeClock) -> None:
    web.login("worker@web.test")
    clock.advance(minutes=121)
    response = web.get("/wallet", follow_redirects=False)
    assert response.status_code == 303
    login_page = parse(web.get(response.headers["location"]).text)
    assert "ended after 120 minutes without activity" in login_page.text


def test_changing_the_password_needs_the_current_one_and_logs_out_the_others(
    ctx: Context, people: People, open_browser: Callable[[], Browser]
) -> None:
    here, there = open_browser(), open_browser()
    here.login("worker@web.test")
    there.login("worker@web.test")
    wrong = here.post(
        "/profile/password",
        {"current_password": "not it at all", "new_password": "a brand new passphrase"},
        token_from="/profile",
    )
    assert wrong.status_code == 422
    assert "current_password is wrong" in parse(wrong.text).text
    common = here.post(
        "/profile/password",
        {"current_password": PASSWORD, "new_password": "password1234"},
        token_from="/profile",
    )
    assert common.status_code == 422
    assert "common passwords" in parse(common.text).text
    done = here.post(
        "/profile/password",
        {"current_password": PASSWORD, "new_password": "a brand new passphrase"},
        token_from="/profile",
    )
    assert done.status_code == 303
    assert here.get("/wallet", follow_redirects=False).status_code == 200
    assert there.get("/wallet", follow_redirects=False).status_code == 303
    assert accounts.authenticate_password(ctx, "worker@web.test", "a brand new passphrase")


def test_deactivation_and_reset_by_an_operator_end_sessions_at_once(
    ctx: Context, people: People, open_browser: Callable[[], Browser]
) -> None:
    web = open_browser()
    web.login("worker@web.test")
    accounts.reset_password(ctx, people.worker, "set by the operator")
    assert web.get("/wallet", follow_redirects=False).status_code == 303
    web.login("worker@web.test", "set by the operator")
    accounts.set_active(ctx, people.worker, active=False)
    assert web.get("/wallet", follow_redirects=False).status_code == 303
    refused = web.post(
        "/login",
        {"email": "worker@web.test", "password": "set by the operator"},
        token_from="/login",
    )
    assert refused.status_code == 422


def test_wrong_passwords_on_the_login_page_are_throttled(
    ctx: Context, people: People, web: Browser, clock: FakeClock
) -> None:
    free = ctx.settings.login_free_failures
    for _ in range(free):
        response = web.post(
            "/login", {"email": "worker@web.test", "password": "wrong guess!"}, token_from="/login"
        )
        assert response.status_code == 422
    refused = web.post(
        "/login", {"email": "worker@web.test", "password": PASSWORD}, token_from="/login"
    )
    assert refused.status_code == 429
    assert int(refused.headers["retry-after"]) >= 1
    assert "too many wrong passwords" in parse(refused.text).text.lower()
    clock.advance(seconds=int(refused.headers["retry-after"]))
    web.login("worker@web.test")


def test_an_id_past_the_database_range_in_a_page_address_is_a_404(
    people: People, as_role: Callable[[str], Browser]
) -> None:
    requester = as_role("requester")
    for path in ("/campaigns/9223372036854775808", "/campaigns/99999999999999999999999"):
        assert requester.get(path).status_code == 404


def test_the_api_reference_is_served_from_this_site_under_the_pages_csp(web: Browser) -> None:
    response = web.get("/docs")
    assert response.status_code == 200
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert response.headers["x-frame-options"] == "DENY"
    scripts = [s.attrs.get("src", "") for s in parse(response.text).find_all("script")]
    assert scripts == ["/static/swagger-ui-bundle.js", "/static/swagger-init.js"]
    assert "cdn" not in response.text.lower() and "<script>" not in response.text
    for path in [*scripts, "/static/swagger-ui.css"]:
        assert web.get(path).status_code == 200
    assert web.get("/redoc").status_code == 404
