"""HTTP behaviour: problem+json errors, field messages, size limits, idempotent retries, tokens."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from crowdset.services import accounts
from crowdset.services.context import Context
from tests.api.conftest import Caller
from tests.conftest import FakeClock

PROBLEM = "application/problem+json"


def test_health_names_the_database(client: TestClient, ctx: Context) -> None:
    response = client.get("/api/v1/health")
    assert response.status_code == 200
    assert response.json()["database"] == ctx.db.kind
    assert response.json()["status"] == "ok"


def test_bad_body_is_a_422_problem_naming_the_field(
    client: TestClient, callers: dict[str, Caller]
) -> None:
    response = client.post(
        "/api/v1/stake",
        json={"amount": "lots"},
        headers=callers["worker"].headers | {"Idempotency-Key": "x"},
    )
    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM
    problem = response.json()
    assert problem["code"] == "invalid_input"
    assert problem["errors"][0]["field"] == "amount"
    assert problem["detail"].startswith("amount:")


@pytest.mark.parametrize(
    "body",
    [
        pytest.param("{not json", id="broken-json"),
        pytest.param("[]", id="wrong-shape"),
        pytest.param('{"amount": 5, "extra": 1}', id="unknown-field"),
        pytest.param('{"amount": -5}', id="negative"),
        pytest.param('{"amount": 1e400}', id="huge"),
    ],
)
def test_bad_input_never_gives_500(
    client: TestClient, callers: dict[str, Caller], body: str
) -> None:
    headers = callers["worker"].headers | {
        "Idempotency-Key": "bad",
        "Content-Type": "application/json",
    }
    response = client.post("/api/v1/stake", content=body, headers=headers)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == PROBLEM


def test_domain_errors_carry_their_code(client: TestClient, callers: dict[str, Caller]) -> None:
    response = client.post(
        "/api/v1/wallet/withdraw",
        json={"amount": 10**9},
        headers=callers["worker"].headers | {"Idempotency-Key": "too-much"},
    )
    assert response.status_code == 422
    assert response.json()["code"] == "insufficient_funds"
    assert "short by" in response.json()["detail"]


def test_money_moving_calls_need_an_idempotency_key(
    client: TestClient, callers: dict[str, Caller]
) -> None:
    response = client.post("/api/v1/stake", json={"amount": 5}, headers=callers["worker"].headers)
    assert response.status_code == 422
    assert "Idempotency-Key" in response.json()["detail"]


def test_retried_request_moves_money_once(client: TestClient, callers: dict[str, Caller]) -> None:
    headers = callers["worker"].headers | {"Idempotency-Key": "retry-me"}
    first = client.post("/api/v1/stake", json={"amount": 250}, headers=headers)
    second = client.post("/api/v1/stake", json={"amount": 250}, headers=headers)
    assert (first.status_code, second.status_code) == (201, 200)
    assert second.headers["Idempotent-Replayed"] == "true"
    assert first.json()["seq"] == second.json()["seq"]
    balances = client.get("/api/v1/balances", headers=callers["worker"].headers).json()
    assert (balances["staked"], balances["available"]) == (250, 10_000 - 250)
    clash = client.post("/api/v1/stake", json={"amount": 1}, headers=headers)
    assert clash.status_code == 409
    assert clash.json()["code"] == "idempotency_conflict"


def test_operator_issue_retry_pays_once(client: TestClient, callers: dict[str, Caller]) -> None:
    headers = callers["operator"].headers | {"Idempotency-Key": "grant-1"}
    body = {"user_id": callers["worker"].user_id, "amount": 700}
    for _ in range(3):
        assert client.post("/api/v1/operator/issue", json=body, headers=headers).is_success
    balances = client.get("/api/v1/balances", headers=callers["worker"].headers).json()
    assert balances["available"] == 10_700


def test_oversized_body_is_refused_before_reading(
    client: TestClient, callers: dict[str, Caller], ctx: Context
) -> None:
    size = ctx.settings.max_request_bytes + 1
    response = client.post(
        "/api/v1/tokens",
        content=b"x" * size,
        headers=callers["worker"].headers | {"Content-Type": "application/json"},
    )
    assert response.status_code == 413
    assert response.json()["code"] == "too_large"


def test_unknown_route_is_a_404_problem(client: TestClient) -> None:
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.headers["content-type"] == PROBLEM


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        pytest.param("Bearer cs_forged", "not valid", id="unknown"),
        pytest.param("Basic abc", "needs an API token", id="wrong-scheme"),
    ],
)
def test_bad_tokens_are_401(client: TestClient, header: str, reason: str) -> None:
    response = client.get("/api/v1/me", headers={"Authorization": header})
    assert response.status_code == 401
    assert reason in response.json()["detail"]


def test_token_expires(
    client: TestClient, callers: dict[str, Caller], clock: FakeClock, ctx: Context
) -> None:
    assert client.get("/api/v1/me", headers=callers["worker"].headers).status_code == 200
    clock.advance(days=ctx.settings.token_ttl_days + 1)
    response = client.get("/api/v1/me", headers=callers["worker"].headers)
    assert response.status_code == 401
    assert "expired" in response.json()["detail"]


def test_revoked_token_stops_working(client: TestClient, callers: dict[str, Caller]) -> None:
    made = client.post("/api/v1/tokens", json={"name": "laptop"}, headers=callers["worker"].headers)
    secret, token_id = made.json()["token"], made.json()["info"]["id"]
    mine = {"Authorization": f"Bearer {secret}"}
    assert client.get("/api/v1/me", headers=mine).status_code == 200
    assert client.delete(f"/api/v1/tokens/{token_id}", headers=mine).status_code == 200
    detail = client.get("/api/v1/me", headers=mine).json()["detail"]
    assert detail == accounts.INVALID_TOKEN  # one message for every failure (#17)
    listed = client.get("/api/v1/tokens", headers=callers["worker"].headers).json()
    assert all("token" not in item for item in listed)  # secrets are never listed


def test_other_users_tokens_cannot_be_revoked(
    client: TestClient, callers: dict[str, Caller]
) -> None:
    made = client.post("/api/v1/tokens", json={}, headers=callers["worker"].headers)
    token_id = made.json()["info"]["id"]
    response = client.delete(f"/api/v1/tokens/{token_id}", headers=callers["requester"].headers)
    assert response.status_code == 404


def test_login_with_wrong_password_says_nothing_about_the_account(client: TestClient) -> None:
    for email in ("worker@api.test", "nobody@api.test"):
        response = client.post(
            "/api/v1/auth/token", json={"email": email, "password": "wrong password"}
        )
        assert response.status_code == 401
        assert response.json()["detail"] == "email or password is wrong"


def test_signup_errors_name_the_field(client: TestClient) -> None:
    response = client.post("/api/v1/users", json={"email": "not-an-email", "password": "x" * 12})
    assert response.status_code == 422
    assert response.json()["field"] == "email"
    short = client.post("/api/v1/users", json={"email": "a@b.org", "password": "short"})
    assert "at least 10" in short.json()["detail"]
    ok = client.post("/api/v1/users", json={"email": "a@b.org", "password": "long enough"})
    again = client.post("/api/v1/users", json={"email": "A@b.org", "password": "long enough"})
    assert (ok.status_code, again.status_code) == (201, 409)


def test_demographics_are_opt_in_and_validated(
    client: TestClient, callers: dict[str, Caller]
) -> None:
    headers = callers["worker"].headers
    assert client.get("/api/v1/me/demographics", headers=headers).json() is None
    bad = client.put("/api/v1/me/demographics", json={"age_band": "12"}, headers=headers)
    assert bad.status_code == 422
    assert bad.json()["field"] == "age_band"
    body = {"age_band": "25-34", "gender": "woman", "country": "us", "languages": ["EN", "fr"]}
    saved = client.put("/api/v1/me/demographics", json=body, headers=headers).json()
    assert (saved["country"], saved["languages"]) == ("US", ["en", "fr"])
    client.delete("/api/v1/me/demographics", headers=headers)
    assert client.get("/api/v1/me/demographics", headers=headers).json() is None
