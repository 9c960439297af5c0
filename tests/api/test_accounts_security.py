"""Issue 17 over the API: login throttling (429 + Retry-After, no hash for a throttled try),
password rules, password change, operator reset and deactivation ending tokens, log out
everywhere, one message for every token failure."""

from __future__ import annotations

import dataclasses
from unittest import mock

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from crowdset.api.app import create_app
from crowdset.services import accounts, login_throttle
from crowdset.services.context import Context
from crowdset.settings import Settings
from crowdset.storage.models import LedgerTransaction
from tests.api.conftest import Caller
from tests.conftest import FakeClock

API = "/api/v1"


def _login(client: TestClient, password: str, **headers: str) -> int:
    body = {"email": "worker@api.test", "password": password}
    return client.post(f"{API}/auth/token", json=body, headers=headers).status_code


def test_repeated_wrong_passwords_get_429_with_retry_after_and_no_hash(
    ctx: Context, client: TestClient, callers: dict[str, Caller], clock: FakeClock
) -> None:
    free = ctx.settings.login_free_failures
    assert [_login(client, f"guess number {i}") for i in range(free)] == [401] * free
    with mock.patch.object(accounts, "_hasher") as hasher:
        response = client.post(
            f"{API}/auth/token", json={"email": "worker@api.test", "password": "correct horse"}
        )
        hasher.assert_not_called()  # a throttled attempt costs no argon2 hash
    assert response.status_code == 429
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "too_many_attempts"
    wait = int(response.headers["retry-after"])
    assert wait == response.json()["retry_after"] == 1
    clock.advance(seconds=wait)
    assert _login(client, "yet another guess") == 401
    assert (
        client.post(
            f"{API}/auth/token", json={"email": "worker@api.test", "password": "correct horse"}
        ).json()["retry_after"]
        == 2
    )  # the wait doubles with each failure
    clock.advance(seconds=2)
    assert _login(client, "correct horse") == 201  # the right password after the wait


def test_the_address_is_throttled_across_accounts(
    ctx: Context, client: TestClient, callers: dict[str, Caller]
) -> None:
    free = ctx.settings.login_free_failures
    for i in range(free):
        body = {"email": f"nobody{i}@api.test", "password": "spraying passwords"}
        assert client.post(f"{API}/auth/token", json=body).status_code == 401
    assert _login(client, "correct horse") == 429


def test_sign_ups_that_hit_taken_addresses_are_throttled_like_wrong_passwords(
    ctx: Context, client: TestClient, callers: dict[str, Caller]
) -> None:
    """Probing which e-mail addresses have accounts is as slow as guessing passwords, and the
    refusal neither names the address nor makes its owner wait."""
    free = ctx.settings.login_free_failures
    body = {"email": "worker@api.test", "password": "a long new password"}
    for _ in range(free):
        response = client.post(f"{API}/users", json=body)
        assert response.status_code == 409
        assert "worker@api.test" not in response.text
    refused = client.post(f"{API}/users", json={**body, "email": "someone.new@api.test"})
    assert refused.status_code == 429
    assert int(refused.headers["retry-after"]) >= 1
    other_client = TestClient(client.app, client=("10.9.9.9", 50000))
    body = {"email": "worker@api.test", "password": "correct horse"}
    assert other_client.post(f"{API}/auth/token", json=body).status_code == 201


def test_the_forwarded_address_counts_only_when_trusted() -> None:
    assert login_throttle.client_address("10.0.0.1", "1.2.3.4", trust_forwarded=False) == (
        "10.0.0.1"
    )
    assert (
        login_throttle.client_address("10.0.0.1", "6.6.6.6, 1.2.3.4", trust_forwarded=True)
        == "1.2.3.4"
    )


@pytest.mark.parametrize(
    ("failures", "wait"), [(1, 0), (4, 0), (5, 1), (6, 2), (9, 16), (40, 900), (10**6, 900)]
)
def test_delay_after(failures: int, wait: int) -> None:
    assert login_throttle.delay_after(failures, free=5, most=900) == wait


@pytest.mark.parametrize(
    ("password", "says"),
    [
        ("aaaaaaaaaaaa", "different characters"),
        ("password1234", "common passwords"),
        ("qwertyuiop", "common passwords"),
        ("newcomer@api.test!", "e-mail"),
        ("newcomer-rocks-1", "e-mail"),
        ("short", "at least 10"),
    ],
)
def test_weak_passwords_are_refused_at_sign_up(
    client: TestClient, password: str, says: str
) -> None:
    body = {"email": "newcomer@api.test", "password": password}
    response = client.post(f"{API}/users", json=body)
    assert response.status_code == 422
    assert says in response.json()["detail"]


def test_change_password_needs_the_current_one(
    client: TestClient, callers: dict[str, Caller]
) -> None:
    worker = callers["worker"].headers
    wrong = {"current_password": "not my password", "new_password": "a brand new passphrase"}
    response = client.post(f"{API}/me/password", json=wrong, headers=worker)
    assert response.status_code == 422
    assert response.json()["field"] == "current_password"
    right = {"current_password": "correct horse", "new_password": "a brand new passphrase"}
    assert client.post(f"{API}/me/password", json=right, headers=worker).status_code == 204
    assert _login(client, "a brand new passphrase") == 201
    assert _login(client, "correct horse") == 401


def test_deactivation_revokes_every_token_at_once_and_reactivation_needs_new_ones(
    client: TestClient, callers: dict[str, Caller]
) -> None:
    worker, operator = callers["worker"], callers["operator"]
    assert client.get(f"{API}/me", headers=worker.headers).status_code == 200
    path = f"{API}/operator/users/{worker.user_id}"
    response = client.post(f"{path}/deactivate", headers=operator.headers)
    assert response.status_code == 200 and response.json()["is_active"] is False
    refused = client.get(f"{API}/me", headers=worker.headers)
    assert refused.status_code == 401
    assert refused.json()["detail"] == accounts.INVALID_TOKEN
    assert _login(client, "correct horse") == 401
    client.post(f"{path}/reactivate", headers=operator.headers)
    assert client.get(f"{API}/me", headers=worker.headers).status_code == 401  # still revoked
    assert _login(client, "correct horse") == 201


def test_an_operator_reset_revokes_tokens_and_sets_the_password(
    client: TestClient, callers: dict[str, Caller]
) -> None:
    worker, operator = callers["worker"], callers["operator"]
    body = {"new_password": "handed over in person"}
    path = f"{API}/operator/users/{worker.user_id}/password"
    assert client.post(path, json=body, headers=operator.headers).status_code == 200
    assert client.get(f"{API}/me", headers=worker.headers).status_code == 401
    assert _login(client, "handed over in person") == 201
    weak = client.post(path, json={"new_password": "password1234"}, headers=operator.headers)
    assert weak.status_code == 422


def test_log_out_everywhere_revokes_every_token(
    client: TestClient, callers: dict[str, Caller]
) -> None:
    worker = callers["worker"].headers
    other = client.post(f"{API}/tokens", json={"name": "laptop"}, headers=worker).json()["token"]
    response = client.post(f"{API}/me/logout-everywhere", headers=worker)
    assert response.json() == {"sessions_ended": 0, "tokens_revoked": 2}
    for headers in (worker, {"Authorization": f"Bearer {other}"}):
        assert client.get(f"{API}/me", headers=headers).status_code == 401


def test_token_failures_share_one_message(
    ctx: Context, client: TestClient, callers: dict[str, Caller], clock: FakeClock
) -> None:
    worker = callers["worker"]
    assert worker.user_id is not None
    short = accounts.create_token(ctx, worker.user_id, days=1).secret
    revoked = accounts.create_token(ctx, worker.user_id)
    accounts.revoke_token(ctx, worker.user_id, revoked.token.id)
    clock.advance(days=2)
    messages = {
        client.get(f"{API}/me", headers={"Authorization": f"Bearer {secret}"}).json()["detail"]
        for secret in (short, revoked.secret, "cs_made-up")
    }
    assert messages == {accounts.INVALID_TOKEN}


@pytest.mark.parametrize("path", ["/wallet/deposit", "/wallet/withdraw"])
def test_a_disabled_payment_rail_refuses_deposits_and_withdrawals(
    ctx: Context, callers: dict[str, Caller], path: str
) -> None:
    settings = ctx.settings.model_copy(update={"payments_rail": "disabled"})
    production = dataclasses.replace(ctx, settings=settings)
    with TestClient(create_app(settings, production)) as client:
        headers = dict(callers["worker"].headers, **{"Idempotency-Key": f"rail-{path}"})
        response = client.post(f"{API}{path}", json={"amount": 10**15}, headers=headers)
        assert response.status_code == 422
        assert response.json()["field"] == "payments_rail"
        assert client.get(f"{API}/balances", headers=headers).json()["available"] == 10_000


def test_issuance_records_the_operator(
    ctx: Context, client: TestClient, callers: dict[str, Caller]
) -> None:
    operator, worker = callers["operator"], callers["worker"]
    headers = dict(operator.headers, **{"Idempotency-Key": "issue-1"})
    body = {"user_id": worker.user_id, "amount": 500, "memo": "grant"}
    assert client.post(f"{API}/operator/issue", json=body, headers=headers).status_code == 201

    def actor(session: Session) -> int | None:
        return session.execute(
            select(LedgerTransaction.actor_id).order_by(LedgerTransaction.seq.desc()).limit(1)
        ).scalar_one()

    assert ctx.db.run(actor, readonly=True) == operator.user_id


def test_the_production_default_rail_is_disabled() -> None:
    assert Settings.model_fields["payments_rail"].default == "disabled"


def test_an_idempotency_conflict_reveals_nothing_of_the_first_request(
    client: TestClient, callers: dict[str, Caller]
) -> None:
    headers = dict(callers["worker"].headers, **{"Idempotency-Key": "once"})
    assert client.post(f"{API}/stake", json={"amount": 10}, headers=headers).status_code == 201
    clash = client.post(f"{API}/stake", json={"amount": 11}, headers=headers)
    assert clash.status_code == 409
    assert set(clash.json()) == {"type", "title", "status", "detail", "code"}
