"""The one error tree of crowdset. No HTTP here: adapters map these once.

    DomainError                   code            HTTP  CLI exit
    ├── InvalidInput              invalid_input    422   2
    │   ├── SpecInvalid           spec_invalid     422   2
    │   └── ImportFailed          import_failed    422   2
    ├── NotFound                  not_found        404   3
    ├── Conflict                  conflict         409   4
    │   └── IdempotencyConflict   idempotency_conflict 409 4
    ├── RuleViolation             rule_violation   422   5
    │   ├── InsufficientFunds     insufficient_funds 422 5
    │   └── UnderPriced           under_priced     422   5
    ├── Unauthenticated           unauthenticated  401   6
    │   └── TooManyAttempts       too_many_attempts 429  6
    ├── Forbidden                 forbidden        403   6
    ├── LedgerCorrupt             ledger_corrupt   500   7
    └── Unavailable               unavailable      503   8

Every error carries a stable ``code`` (documented in docs/errors.md), a message that says what
was wrong, the offending value and the fix, and keyword ``fields`` that adapters pass through
(for example ``field="intents[0].slots"`` or ``floor=12``).
"""

from __future__ import annotations

from typing import Any, ClassVar


class DomainError(Exception):
    """Base of every error a user can cause or see."""

    code: ClassVar[str] = "domain_error"
    status: ClassVar[int] = 400  # a hint for HTTP adapters; the core never reads it
    exit_code: ClassVar[int] = 1
    title: ClassVar[str] = "Request failed"

    def __init__(self, message: str, **fields: Any) -> None:
        super().__init__(message)
        self.message = message
        self.fields: dict[str, Any] = fields

    def __str__(self) -> str:
        return self.message


class InvalidInput(DomainError):
    """Input that cannot be parsed or fails validation; ``fields['errors']`` may list each field."""

    code = "invalid_input"
    status = 422
    exit_code = 2
    title = "Invalid input"


class SpecInvalid(InvalidInput):
    """A campaign or pipeline spec that does not validate; names the field path."""

    code = "spec_invalid"
    title = "Invalid specification"


class ImportFailed(InvalidInput):
    """An import that was rejected whole; ``fields['line']`` names the first bad line."""

    code = "import_failed"
    title = "Import failed"


class AnswerRefused(InvalidInput):
    """A worker's answer failed an automatic check; ``fields['reasons']`` names each one."""

    code = "answer_refused"
    title = "Answer refused by an automatic check"


class NotFound(DomainError):
    code = "not_found"
    status = 404
    exit_code = 3
    title = "Not found"


class Conflict(DomainError):
    code = "conflict"
    status = 409
    exit_code = 4
    title = "Conflict"


class IdempotencyConflict(Conflict):
    """An idempotency key reused with a different request."""

    code = "idempotency_conflict"
    title = "Idempotency key reused"


class RuleViolation(DomainError):
    """A well-formed request that a rule of the SPEC forbids."""

    code = "rule_violation"
    status = 422
    exit_code = 5
    title = "Not allowed by the rules"


class InsufficientFunds(RuleViolation):
    code = "insufficient_funds"
    title = "Insufficient funds"


class UnderPriced(RuleViolation):
    """A price below the fair-wage floor; ``fields['floor']`` is the computed floor."""

    code = "under_priced"
    title = "Price below the fair-wage floor"


class Unauthenticated(DomainError):
    code = "unauthenticated"
    status = 401
    exit_code = 6
    title = "Authentication required"


class Forbidden(DomainError):
    code = "forbidden"
    status = 403
    exit_code = 6
    title = "Forbidden"


class TooManyAttempts(Unauthenticated):
    """Logins refused for a while after repeated wrong passwords; ``retry_after`` seconds."""

    code = "too_many_attempts"
    status = 429
    title = "Too many attempts"


class LedgerCorrupt(DomainError):
    """Verification found a broken hash chain or a balance that does not match its postings."""

    code = "ledger_corrupt"
    status = 500
    exit_code = 7
    title = "Ledger verification failed"


class Unavailable(DomainError):
    """The database cannot serve the request now — every pooled connection busy, the
    connection lost, the server refusing clients — and nothing was applied; retry after
    ``fields['retry_after']`` seconds (with the same ``Idempotency-Key``)."""

    code = "unavailable"
    status = 503
    exit_code = 8
    title = "Service unavailable"


def all_error_classes() -> list[type[DomainError]]:
    """Every class of the tree, base first (used by the docs test and the adapters)."""
    seen: list[type[DomainError]] = []
    stack: list[type[DomainError]] = [DomainError]
    while stack:
        cls = stack.pop(0)
        seen.append(cls)
        stack.extend(cls.__subclasses__())
    return seen
