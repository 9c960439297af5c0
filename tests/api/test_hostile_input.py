"""Issue 17: no input gets a 500. Ids past the database's range, deep documents, coerced
amounts, NUL characters and oversized items each get a 422 (or a 404) that names the limit, on
both databases."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from crowdset.api.app import create_app
from crowdset.api.params import DB_BIGINT_MAX, DB_INT_MAX
from crowdset.core.documents import MAX_DEPTH
from crowdset.settings import Settings
from tests.api.conftest import Caller
from tests.api.test_labeling_api import SIMPLE, SIMPLE_ITEMS, with_items

API = "/api/v1"
DEEP = "[" * 50_000 + "]" * 50_000
BOUNDARIES = (0, -1, DB_INT_MAX, DB_INT_MAX + 1, 2**63 - 1, 2**63, 10**30)


def _openapi() -> dict[str, Any]:
    document: dict[str, Any] = create_app(Settings(database_url="sqlite:///:memory:")).openapi()
    return document


def _integer_parameters() -> list[tuple[str, str, str, dict[str, Any]]]:
    found = []
    for path, operations in _openapi()["paths"].items():
        for method, operation in operations.items():
            for parameter in operation.get("parameters", []):
                schema = parameter["schema"]
                options = schema.get("anyOf", [schema])
                for option in options:
                    if option.get("type") == "integer":
                        found.append((method.upper(), path, parameter["name"], option))
    return found


def test_every_integer_parameter_is_bounded_to_the_database_range() -> None:
    unbounded = [
        f"{method} {path} {name}"
        for method, path, name, schema in _integer_parameters()
        if schema.get("maximum", 2**64) > (DB_INT_MAX if name.endswith("_id") else DB_BIGINT_MAX)
    ]
    assert unbounded == []


def _request_for(path: str, name: str, value: int) -> str:
    url = re.sub(r"\{" + name + r"\}", str(value), path)
    return re.sub(r"\{[^}]+\}", "1", url)


@pytest.mark.parametrize("role", ["worker", "requester", "operator"])
def test_boundary_ids_on_every_route_never_answer_500(
    client: TestClient, callers: dict[str, Caller], role: str
) -> None:
    """Walks the OpenAPI document: each integer parameter of each route gets each boundary."""
    caller = callers[role]
    headers = dict(caller.headers, **{"Idempotency-Key": "boundary"})
    for method, path, name, schema in _integer_parameters():
        for value in BOUNDARIES:
            url = API + _request_for(path, name, value)
            if schema is not None and f"{{{name}}}" not in path:
                url = API + _request_for(path, "", 1) + f"?{name}={value}"
            response = client.request(method, url, headers=headers, json={})
            assert response.status_code < 500, (method, url, response.text)
            if value > DB_INT_MAX or (value < 1 and name.endswith("_id")):
                assert response.status_code in (401, 403, 404, 422), (method, url)


@pytest.mark.parametrize(
    "path", ["/campaigns/9223372036854775808", "/campaigns/99999999999999999999999"]
)
def test_an_id_past_the_database_range_is_a_422_naming_the_parameter(
    client: TestClient, callers: dict[str, Caller], path: str
) -> None:
    response = client.get(API + path, headers=callers["requester"].headers)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["errors"][0]["field"] == "path.campaign_id"
    assert str(DB_INT_MAX) in response.json()["detail"]


def test_an_id_in_a_body_past_the_database_range_is_a_422(
    client: TestClient, callers: dict[str, Caller]
) -> None:
    operator = callers["operator"]
    headers = dict(operator.headers, **{"Idempotency-Key": "issue-huge"})
    response = client.post(
        f"{API}/operator/issue", json={"user_id": 2**63, "amount": 1}, headers=headers
    )
    assert response.status_code == 422
    review = with_items(SIMPLE) | {"corpus_id": 2**63}
    response = client.post(f"{API}/campaigns", json=review, headers=callers["requester"].headers)
    assert response.status_code == 422
    assert "corpus_id" in response.json()["detail"]


@pytest.mark.parametrize("path", ["/campaigns", "/campaigns/estimate", "/corpora"])
def test_a_deeply_nested_json_body_is_a_422_naming_the_limit(
    client: TestClient, callers: dict[str, Caller], path: str
) -> None:
    response = client.post(
        API + path,
        content=DEEP,
        headers=dict(callers["requester"].headers, **{"Content-Type": "application/json"}),
    )
    assert response.status_code == 422
    assert response.json()["limit"] == MAX_DEPTH
    assert f"limit of {MAX_DEPTH}" in response.json()["detail"]


def test_a_deeply_nested_yaml_spec_is_a_422_naming_the_limit(
    client: TestClient, callers: dict[str, Caller]
) -> None:
    nested = "name: x\nitems:\n" + "".join("  " * i + "- \n" for i in range(1, 200))
    for body in (DEEP, nested, "a: " + DEEP):
        response = client.post(
            f"{API}/campaigns",
            content=body,
            headers=dict(callers["requester"].headers, **{"Content-Type": "application/yaml"}),
        )
        assert response.status_code == 422, body[:40]
        assert f"limit of {MAX_DEPTH}" in response.json()["detail"]


def test_a_deep_document_as_text_plain_is_still_refused(
    client: TestClient, callers: dict[str, Caller]
) -> None:
    response = client.post(
        f"{API}/campaigns",
        content=DEEP,
        headers=dict(callers["requester"].headers, **{"Content-Type": "text/plain"}),
    )
    assert response.status_code == 422


def test_deep_corpus_filters_are_a_422_naming_the_limit(
    client: TestClient, callers: dict[str, Caller]
) -> None:
    body = {"name": "n", "pairs": [{"source": "a", "target": "b"}], "filters": DEEP}
    response = client.post(f"{API}/corpora", json=body, headers=callers["requester"].headers)
    assert response.status_code == 422
    assert f"limit of {MAX_DEPTH}" in response.json()["detail"]
    files = {"file": ("pairs.tsv", b"a\tb\n")}
    response = client.post(
        f"{API}/corpora",
        files=files,
        data={"name": "n", "filters": DEEP},
        headers=callers["requester"].headers,
    )
    assert response.status_code == 422
    assert f"limit of {MAX_DEPTH}" in response.json()["detail"]


@pytest.mark.parametrize("amount", [True, "1", 1.0, "1.0", 1.5, None, 10**15 + 1, 0, -1])
@pytest.mark.parametrize("path", ["/stake", "/unstake", "/wallet/deposit", "/wallet/withdraw"])
def test_an_amount_is_a_json_integer_nothing_else(
    client: TestClient, callers: dict[str, Caller], path: str, amount: object
) -> None:
    headers = dict(callers["worker"].headers, **{"Idempotency-Key": f"{path}-{amount!r}"})
    response = client.post(API + path, json={"amount": amount}, headers=headers)
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == "amount"


@pytest.mark.parametrize("text", ["x\u0000y", "\u0000"])
def test_a_nul_character_in_a_text_is_a_422(
    client: TestClient, callers: dict[str, Caller], text: str
) -> None:
    items = [dict(SIMPLE_ITEMS[0], text=text), *SIMPLE_ITEMS[1:]]
    response = client.post(
        f"{API}/campaigns", json=with_items(SIMPLE, items), headers=callers["requester"].headers
    )
    assert response.status_code == 422
    assert "NUL" in response.json()["detail"]
    response = client.post(
        f"{API}/corpora",
        json={"name": "n", "pairs": [{"source": text, "target": "b"}]},
        headers=callers["requester"].headers,
    )
    assert response.status_code == 422


def test_an_oversized_item_is_a_422_naming_the_limit(
    client: TestClient, callers: dict[str, Caller]
) -> None:
    items = [dict(SIMPLE_ITEMS[0], text="x" * 9_000_000), *SIMPLE_ITEMS[1:]]
    response = client.post(
        f"{API}/campaigns", json=with_items(SIMPLE, items), headers=callers["requester"].headers
    )
    assert response.status_code == 422
    assert "over the limit of 20,000" in response.json()["detail"]
    assert response.json()["column"] == "text"
