"""The payment rail (issue 17): how credits enter and leave from outside the platform.

``payments_rail = "simulated"`` (the demo, tests): users deposit and withdraw through a pretend
rail that mints and burns credits against ``platform:issuance``. ``"disabled"`` (the default,
for a real deployment until a real rail exists): deposits and withdrawals are refused, and
credits enter only through an operator's issuance, recorded with the operator's id as the
transaction's actor.
"""

from __future__ import annotations

from crowdset.errors import RuleViolation
from crowdset.services import ledger
from crowdset.services.context import Context
from crowdset.storage.ledger_store import PostedTransaction


def rail_enabled(ctx: Context) -> bool:
    return ctx.settings.payments_rail == "simulated"


def _require_rail(ctx: Context, what: str) -> None:
    if not rail_enabled(ctx):
        raise RuleViolation(
            f"{what} is off on this instance (payments_rail is disabled): credits enter only "
            "through an operator's issuance; ask an operator",
            field="payments_rail",
        )


def deposit(
    ctx: Context, user_id: int, amount: int, *, idempotency_key: str | None = None
) -> PostedTransaction:
    """Top up from the simulated rail, when it is on."""
    _require_rail(ctx, "depositing")
    return ledger.deposit(ctx, user_id, amount, idempotency_key=idempotency_key)


def withdraw(
    ctx: Context, user_id: int, amount: int, *, idempotency_key: str | None = None
) -> PostedTransaction:
    """Pay out to the simulated rail, when it is on."""
    _require_rail(ctx, "withdrawing")
    return ledger.withdraw(ctx, user_id, amount, idempotency_key=idempotency_key)
