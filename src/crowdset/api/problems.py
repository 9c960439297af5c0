"""The one mapping from errors to ``application/problem+json`` (RFC 9457)."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from crowdset.core.documents import validation_message
from crowdset.errors import DomainError

PROBLEM_JSON = "application/problem+json"
log = logging.getLogger(__name__)


_RESERVED = frozenset({"type", "title", "status", "detail", "code"})


def problem(status: int, title: str, detail: str, code: str, **extra: Any) -> JSONResponse:
    body: dict[str, Any] = {
        **extra,
        "type": f"urn:crowdset:error:{code}",
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
    }
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON)


def _jsonable(fields: dict[str, Any]) -> dict[str, Any]:
    # a field named like a member of the problem itself is kept under another name
    return {
        (f"{k}_" if k in _RESERVED else k): v
        if isinstance(v, str | int | float | bool | list | dict | None)
        else str(v)
        for k, v in fields.items()
    }


async def _domain_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, DomainError)
    if error.status >= 500:
        log.error("%s: %s", error.code, error.message)
    fields = _jsonable(error.fields)
    response = problem(error.status, error.title, error.message, error.code, **fields)
    if isinstance(error.fields.get("retry_after"), int):  # 429: how long to wait
        response.headers["Retry-After"] = str(error.fields["retry_after"])
    return response


async def _validation_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    errors = [
        {
            "field": ".".join(str(part) for part in item["loc"] if part != "body"),
            "message": validation_message(item),
            "type": item["type"],
        }
        for item in error.errors()
    ]
    first = errors[0] if errors else {"field": "", "message": "invalid request"}
    detail = f"{first['field'] or 'request'}: {first['message']}"
    if len(errors) > 1:
        detail += f" (and {len(errors) - 1} more)"
    return problem(422, "Invalid input", detail, "invalid_input", errors=errors)


async def _http_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, StarletteHTTPException)
    code = {404: "not_found", 405: "method_not_allowed", 413: "too_large"}.get(
        error.status_code, "http_error"
    )
    response = problem(error.status_code, str(error.detail), str(error.detail), code)
    response.headers.update(error.headers or {})  # a 405 says which methods are allowed
    return response


async def _out_of_range(request: Request, error: Exception) -> JSONResponse:
    """A last guard: a number no database column holds (ids are bounded where they are read,
    so this answers only what slipped past that)."""
    log.warning("number out of range on %s: %s", request.url.path, error)
    return problem(
        422,
        "Invalid input",
        "a number in the request is out of the range the database stores: send a smaller one",
        "invalid_input",
    )


def install(app: FastAPI) -> None:
    app.add_exception_handler(DomainError, _domain_error)
    app.add_exception_handler(OverflowError, _out_of_range)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
