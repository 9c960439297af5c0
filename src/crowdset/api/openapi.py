"""The OpenAPI document declares what the API really answers (issue 17): every error status a
route can answer, as ``application/problem+json`` with the ``Problem`` schema (docs/errors.md),
and the download formats a ``format`` parameter selects. FastAPI's default 422 body
(``HTTPValidationError``) is replaced: our 422 is a problem too.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

PROBLEM_JSON = "application/problem+json"
PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "description": "RFC 9457 problem details; `code` is stable (docs/errors.md). Problems name "
    "what was wrong in more fields (`field`, `errors`, `limit`, `retry_after`, …).",
    "type": "object",
    "required": ["type", "title", "status", "detail", "code"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "code": {"type": "string"},
    },
    "additionalProperties": True,
}
# What any route may answer besides its success: a body that does not parse (400), the
# caller's token (401), role (403), a
# missing or foreign object or address (404), a state or idempotency conflict (409), a body too
# large (413), bad input or a broken rule (422), throttled logins (429), a database that cannot
# serve now (503).
ERRORS = {
    "400": "The body could not be parsed (a broken form or multipart body).",
    "401": "No token, or one that is not valid.",
    "403": "Your role may not do this.",
    "404": "Not found (or not yours).",
    "409": "Conflicts with the current state, or an Idempotency-Key reused for another request.",
    "413": "The body is larger than max_request_bytes.",
    "422": "Invalid input, or a rule of the specification forbids it.",
    "429": "Too many attempts: wait Retry-After seconds.",
    "503": "The database cannot serve now: retry after Retry-After seconds.",
}
DOWNLOADS = {
    "csv": "text/csv",
    "tsv": "text/tab-separated-values",
    "jsonl": "application/jsonl",
}


def _downloads(operation: dict[str, Any]) -> list[str]:
    for parameter in operation.get("parameters", []):
        if parameter.get("name") == "format":
            schema = parameter.get("schema", {})
            values = schema.get("enum") or [
                v for option in schema.get("anyOf", []) for v in option.get("enum", [])
            ]
            return [DOWNLOADS[v] for v in values if v in DOWNLOADS]
    return []


def complete(document: dict[str, Any]) -> dict[str, Any]:
    """Add the problem responses and download types to every operation of ``document``."""
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    schemas["Problem"] = PROBLEM_SCHEMA
    schemas.pop("HTTPValidationError", None)
    schemas.pop("ValidationError", None)
    problem = {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}}
    for operations in document.get("paths", {}).values():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            for status, description in ERRORS.items():
                responses[status] = {"description": description, "content": problem}
            for status, response in responses.items():
                if status.startswith("2"):
                    content = response.setdefault("content", {})
                    for media_type in _downloads(operation):
                        content.setdefault(media_type, {"schema": {"type": "string"}})
    return document


def install(app: FastAPI) -> None:
    """Serve the completed document at the app's ``openapi_url``."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = complete(
                get_openapi(
                    title=app.title,
                    version=app.version,
                    description=app.description,
                    routes=app.routes,
                )
            )
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
