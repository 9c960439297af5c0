"""Issue #4 in a real browser: Debian's chromium, driven by Playwright, against the real app.

One app per module (a fresh SQLite file with the demo data); the browser fixtures (``person``,
``shots``) are in ``tests/web/conftest.py``. Each test stands alone on the demo
data; the main one follows the people using it: a worker signs up and writes a query, three
validators accept it, the requester watches the dashboard and downloads the export.
Screenshots of the main pages go to ``$CROWDSET_SCREENSHOTS`` (``make screenshots`` sets
docs/screenshots) or to a temporary folder.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from crowdset.core.permissions import Role
from crowdset.services import accounts, ledger
from crowdset.services.demo import DEMO_PASSWORD, seed_demo
from crowdset.storage.models import Query
from tests.web.browser import PHONE, LiveServer, log_in, serve, shoot

pytestmark = pytest.mark.browser

WRITER = "new.worker@example.org"
THIRD_VALIDATOR = "validator3@example.org"


@pytest.fixture(scope="module")
def live(
    chromium: str, tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path
) -> Iterator[LiveServer]:
    for server in serve(tmp_path_factory.mktemp("live") / "crowdset.db", sqlite_template):
        seed_demo(server.ctx, controls=False)  # each validator sees the query, not a control
        third = accounts.create_user(
            server.ctx, email=THIRD_VALIDATOR, password=DEMO_PASSWORD, role=Role.WORKER.value
        )
        ledger.issue_credits(server.ctx, None, third.id, 50_000)
        ledger.stake(server.ctx, third.id, 20_000)  # the demo workers' stake: never outdrawn
        yield server


def notice(page: Page) -> str:
    return page.locator(".notice").first.inner_text()


def query_for(intent: str, values: list[str]) -> str:
    verb = "off" if "off" in intent.lower() else "on"
    where = " ".join(f"in the {value}" for value in values)
    return " ".join(f"could you please switch {verb} every lamp {where} before dinner".split())


CHARTS_DRAWN = """() => ["chart-progress", "chart-acceptance", "chart-cost"].every(
    (id) => window.Chart && Chart.getChart(document.getElementById(id)))"""


def test_landing_page_shows_the_demo_campaign_and_logins(
    person: Callable[..., Page], shots: Path
) -> None:
    page = person()
    page.goto("/")
    expect(page.get_by_role("heading", name="Demo logins")).to_be_visible()
    expect(page.get_by_text("requester@demo.crowdset")).to_be_visible()
    expect(page.get_by_text(DEMO_PASSWORD)).to_be_visible()
    expect(page.get_by_role("heading", name="Smart lights (demo)")).to_be_visible()
    shoot(page, shots, "landing")


def test_a_worker_signs_up_stakes_writes_a_query_and_three_validators_accept_it(
    person: Callable[..., Page], live: LiveServer, shots: Path
) -> None:
    # sign up: a bad form first, then the real one
    worker = person()
    worker.goto("/signup")
    worker.get_by_label("Email address").fill(WRITER)
    worker.get_by_label("Name shown to you").fill("Nina")
    worker.get_by_label("Password", exact=True).fill("a long password")
    worker.get_by_label("Password again").fill("another password")
    worker.get_by_role("button", name="Create my worker account").click()
    expect(worker.locator("#password_again-error")).to_contain_text("The two passwords differ")
    expect(worker.get_by_label("Email address")).to_have_value(WRITER)
    expect(worker.get_by_label("Name shown to you")).to_have_value("Nina")
    expect(worker.get_by_label("Password again")).to_be_focused()
    shoot(worker, shots, "signup-error")
    worker.get_by_label("Password", exact=True).fill("a long password")
    worker.get_by_label("Password again").fill("a long password")
    worker.get_by_role("button", name="Create my worker account").click()
    expect(worker).to_have_url(re.compile(r"/wallet$"))
    expect(worker.locator("#balance-available")).to_have_text("0.00 credit")

    # the operator issues credits to the new worker
    operator = person()
    log_in(operator, "operator@demo.crowdset")
    expect(operator).to_have_url(re.compile(r"/operator$"))
    expect(operator.locator("#ledger-verdict")).to_contain_text("check out")
    operator.get_by_label("Email of the account").fill(WRITER)
    operator.get_by_label("Amount").fill("250")
    operator.get_by_label("Memo").fill("welcome bonus")
    operator.get_by_role("button", name="Issue").click()
    expect(operator.locator(".notice-ok")).to_contain_text(f"Issued 250 to {WRITER}")
    shoot(operator, shots, "operator-ledger")

    # the worker stakes (a bad amount first)
    worker.reload()
    expect(worker.locator("#balance-available")).to_have_text("250.00 credit")
    worker.get_by_label("Amount to stake").fill("twenty")
    worker.get_by_role("button", name="Stake", exact=True).click()
    expect(worker.locator("#stake-amount-error")).to_contain_text("is not a number")
    expect(worker.get_by_label("Amount to stake")).to_have_value("twenty")
    # the demo workers' stake: the campaign requires 44 (SPEC §6.4), and an equal weight is
    # admitted at every ask
    worker.get_by_label("Amount to stake").fill("200")
    worker.get_by_role("button", name="Stake", exact=True).click()
    expect(worker.locator(".notice-ok")).to_have_text("Staked 200.")
    expect(worker.locator("#balance-staked")).to_have_text("200.00 credit")
    shoot(worker, shots, "wallet")

    # get an offer, take it, write: refused first, then accepted by the checks
    worker.get_by_role("link", name="Get work").click()
    worker.get_by_role("button", name="Get an offer").click()
    expect(worker.get_by_role("heading", name="Write a query")).to_be_visible()
    worker.get_by_role("button", name="Take this task").click()
    box = worker.get_by_label("Your query")
    expect(box).to_be_visible()
    intent = worker.locator("dl.facts dd").first.inner_text()
    values = worker.locator("[data-required-value]").evaluate_all(
        "marks => marks.map(m => m.dataset.requiredValue)"
    )
    hint = worker.locator("#value-hint")
    if values:
        box.fill("switch it please")
        expect(hint).to_contain_text("Still missing")
    box.fill("lights")
    worker.get_by_role("button", name="Send for validation").click()
    expect(worker.locator("#refusal")).to_contain_text("Too short: write at least 2 words")
    expect(worker.locator("#text-error")).to_contain_text("automatic check refused")
    expect(box).to_have_value("lights")
    shoot(worker, shots, "task-refused")
    query = query_for(intent, values)
    box.fill(query)
    expect(hint).to_contain_text("Every required value is in your query." if values else "")
    box.dispatch_event("paste")  # an answer-quality signal the page counts
    expect(worker.locator("[data-pastes]")).to_have_value("1")
    shoot(worker, shots, "task-write")
    worker.get_by_role("button", name="Send for validation").click()
    expect(worker.locator(".notice-ok")).to_contain_text("Sent to validation")
    seconds, pastes = live.ctx.db.run(
        lambda session: session.execute(
            select(Query.seconds_on_task, Query.paste_events).where(Query.text == query)
        ).one(),
        readonly=True,
    )
    assert seconds is not None and seconds > 0 and pastes == 1

    # the requester watches the dashboard: the query went to validation marked, since the
    # page saw a paste and no typing (SPEC §6.7)
    requester = person()
    log_in(requester, "requester@demo.crowdset")
    requester.get_by_role("link", name="Smart lights (demo)").click()
    expect(requester.locator("#recent-queries")).to_contain_text(query)
    expect(requester.locator("#recent-queries .answer-mark")).to_contain_text("marked: pasted")
    expect(requester.locator("#accepted-total")).to_have_text("0 / 20")

    # three validators vote, blind
    for number, email in enumerate(
        ("worker@demo.crowdset", "worker2@demo.crowdset", THIRD_VALIDATOR)
    ):
        validator = person()
        log_in(validator, email)
        validator.get_by_role("button", name="Get an offer").click()
        expect(validator.get_by_role("heading", name="Judge a query")).to_be_visible()
        expect(validator.locator("#query-to-judge")).to_have_text(query)
        expect(validator.locator("#answer-mark")).to_contain_text("Marked: pasted")
        expect(validator.get_by_text(WRITER)).to_have_count(0)  # blind: no author
        validator.get_by_role("button", name="Take this task").click()
        for question in ("intent_ok", "natural_ok", "spelling_ok", "values_ok"):
            validator.locator(f"input[name={question}][value=yes]").check()
        if number == 0:
            shoot(validator, shots, "vote")
        validator.get_by_role("button", name="Send my vote").click()
        expect(validator.locator(".notice-ok")).to_contain_text("Vote recorded")

    # the dashboard updates by itself (htmx), then the requester downloads the export
    expect(requester.locator("#accepted-total")).to_have_text("1 / 20", timeout=20_000)
    expect(requester.locator("#recent-queries")).to_contain_text("accepted")
    requester.wait_for_function(CHARTS_DRAWN)  # drawn again from the swapped-in numbers
    assert (
        requester.evaluate(
            "Chart.getChart(document.getElementById('chart-progress')).data.datasets[1].data.at(-1)"
        )
        == 1
    )  # the accepted line ends at the accepted query
    shoot(requester, shots, "dashboard")
    for export in ("jsonl", "snips"):
        with requester.expect_download() as download_info:
            requester.locator(f"#export-{export}").click()
        download = download_info.value
        text = Path(download.path()).read_text()
        if export == "jsonl":
            record = json.loads(text.splitlines()[0])
            assert record["text"] == query
            assert record["votes"] == {"for": 3, "against": 0}
            assert record["worker"].startswith("w")
        else:
            assert query.split()[0] in text and '"intents"' in text

    # the writer was paid: earnings and an hourly rate
    worker.goto("/earnings")
    # earned into pending (SPEC §6.3): released when the writer's quality is established
    expect(worker.locator("#earned-pending")).to_have_text("0.80 credit")
    expect(worker.locator("#earned")).to_have_text("0.00 credit")
    expect(worker.locator("#hourly-rate-pending")).to_contain_text("/hour")
    expect(worker.locator("#lock-status")).to_have_text("Your stake is not locked.")
    shoot(worker, shots, "earnings")


def test_forms_show_errors_at_the_field_and_keep_what_was_typed(
    person: Callable[..., Page], shots: Path
) -> None:
    page = person()
    page.goto("/login")
    page.get_by_label("Email address").fill("requester@demo.crowdset")
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Log in").click()
    expect(page.locator("#password-error")).to_contain_text("Email or password is wrong")
    expect(page.get_by_label("Email address")).to_have_value("requester@demo.crowdset")
    expect(page.get_by_label("Password")).to_have_attribute("aria-invalid", "true")

    log_in(page, "requester@demo.crowdset")
    page.goto("/campaigns/new")
    bad_spec = "name: Weather\nlanguage: en\nintents:\n  - name: GetWeather\n    target: 0\n"
    page.get_by_label("Or paste the spec").fill(bad_spec)
    page.locator("#spec-form").get_by_role("button", name="Check the cost").click()
    errors = page.locator("#spec-error")
    expect(errors).to_contain_text("intents[0].description: this field is required")
    expect(errors).to_contain_text("intents[0].target: Input should be greater than 0")
    expect(errors).to_contain_text("prices: this field is required")
    expect(page.get_by_label("Or paste the spec")).to_have_value(bad_spec)
    expect(page.get_by_label("Or paste the spec")).to_be_focused()

    guided = page.locator("#guided-form")
    guided.get_by_label("Campaign name").fill("Weather")
    guided.get_by_label("Price per accepted query").fill("0.10")
    guided.get_by_role("button", name="Check the cost").click()
    expect(page.locator("#per_query-error")).to_contain_text("below the fair-wage floor of 0.75")
    expect(page.get_by_label("Campaign name")).to_have_value("Weather")
    expect(page.get_by_label("Price per accepted query")).to_have_value("0.10")
    shoot(page, shots, "campaign-new-errors")
    page.get_by_label("Price per accepted query").fill("0.80")
    page.locator("#guided-form").get_by_role("button", name="Check the cost").click()
    expect(page.locator("#wage-floor")).to_contain_text("against a floor of 0.75 credit")
    expect(page.locator("#estimate-total")).to_contain_text("credit")
    shoot(page, shots, "campaign-cost")


def test_csrf_session_expiry_and_other_peoples_pages(
    person: Callable[..., Page], live: LiveServer
) -> None:
    page = person()
    log_in(page, "worker2@demo.crowdset")
    user = accounts.find_user(live.ctx, "worker2@demo.crowdset")
    before = ledger.balances(live.ctx, user.id)

    # a form on another site cannot act for the logged-in worker
    page.goto("about:blank")
    page.set_content(
        f'<form method="post" action="{live.url}/wallet/stake">'
        '<input name="amount" value="5"><button>go</button></form>'
    )
    with page.expect_navigation():
        page.get_by_role("button", name="go").click()
    # SameSite=Lax: the cross-site POST came without the session, so it acted for nobody
    # (the redirect to log in, a top-level GET, then found the session and went home)
    expect(page).to_have_url(re.compile(r"/work$"))
    expect(page.locator(".notice-ok")).to_have_count(0)
    # nor can a script of this origin without the form token
    page.goto("/wallet")
    status = page.evaluate(
        """async () => (await fetch('/wallet/stake', {method: 'POST',
             headers: {'Content-Type': 'application/x-www-form-urlencoded'},
             body: 'amount=5&csrf_token=guessed'})).status"""
    )
    assert status == 403
    assert ledger.balances(live.ctx, user.id) == before

    # a worker on a requester's and the operator's pages
    response = page.goto("/campaigns/1")
    assert response is not None and response.status == 403
    expect(page.get_by_role("heading", name="Not allowed")).to_be_visible()
    response = page.goto("/operator")
    assert response is not None and response.status == 403

    # the session ends after its lifetime, by the server's clock
    live.clock.offset = timedelta(minutes=live.ctx.settings.session_lifetime_minutes + 1)
    try:
        page.goto("/wallet")
        expect(page).to_have_url(re.compile(r"/login\?next=%2Fwallet$"))
        expect(page.locator(".notice-error")).to_contain_text("Your session expired")
    finally:
        live.clock.offset = timedelta(0)
    log_in(page, "worker2@demo.crowdset")
    page.goto("/login?next=%2Fwallet")
    expect(page).to_have_url(re.compile(r"/wallet$"))


def test_keyboard_focus_and_a_phone_sized_screen(person: Callable[..., Page], shots: Path) -> None:
    page = person(PHONE)
    log_in(page, "worker@demo.crowdset")
    page.goto("/work")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    expect(skip).to_be_focused()
    assert skip.evaluate("e => getComputedStyle(e).outlineStyle") != "none"
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.textContent.trim()")
    assert focused == "Get an offer", focused
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the page scrolls sideways: {width}px"
    shoot(page, shots, "phone-work")
    page.goto("/wallet")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shoot(page, shots, "phone-wallet")


def test_operator_sees_workers_and_can_blacklist(
    person: Callable[..., Page], live: LiveServer, shots: Path
) -> None:
    page = person()
    log_in(page, "operator@demo.crowdset")
    page.get_by_role("link", name="Workers").click()
    walt = accounts.find_user(live.ctx, "worker@demo.crowdset")
    row = page.locator("#workers tr", has_text=walt.pseudonym)
    expect(row).to_contain_text("worker@demo.crowdset")
    expect(row).to_contain_text("200.00 credit")  # the demo stake
    page.get_by_label("Pseudonymous id").fill("wnobody")
    page.get_by_label("Campaign").select_option(label="#1 Smart lights (demo) (running)")
    page.get_by_role("button", name="Blacklist").click()
    expect(page.locator("#blacklist-worker-error")).to_contain_text("no worker has the id")
    expect(page.get_by_label("Pseudonymous id")).to_have_value("wnobody")
    expect(page.get_by_label("Campaign")).to_have_value("1")
    shoot(page, shots, "operator-workers")
