"""Every route called as anonymous, worker, requester and operator (a table, not ad-hoc asserts).

A new route fails ``test_every_route_is_in_the_table`` until its row is added here."""

from __future__ import annotations

import itertools
import re

import pytest
from fastapi.testclient import TestClient

from crowdset.api.app import create_app
from crowdset.settings import Settings
from tests.api.conftest import Caller

ROLES = ("anonymous", "worker", "requester", "operator")

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
    ("GET", "/api/v1/tokens", None, (401, 200, 200, 200)),
    ("POST", "/api/v1/tokens", {"name": "extra"}, (401, 201, 201, 201)),
    ("DELETE", "/api/v1/tokens/{own_token}", None, (401, 200, 200, 200)),
    ("GET", "/api/v1/balances", None, (401, 200, 200, 200)),
    ("GET", "/api/v1/ledger/history", None, (401, 200, 200, 200)),
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


@pytest.mark.parametrize(("method", "path", "body", "role", "expected"), CASES)
def test_route_status_by_role(
    client: TestClient,
    callers: dict[str, Caller],
    method: str,
    path: str,
    body: dict[str, object] | None,
    role: str,
    expected: int,
) -> None:
    caller = callers[role]
    values = {"role": role, "worker_id": str(callers["worker"].user_id), "own_token": "0"}
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
