"""A form as the page shows it: what was typed and the errors at each field.

Domain errors name the field they are about (``field="email"``); :meth:`Form.fail` puts the
message there, or at a default field when the error names none, so every refusal appears next
to the input it concerns and what was typed is shown again.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from starlette.datastructures import FormData

from crowdset.core.money import format_amount
from crowdset.errors import DomainError, InsufficientFunds
from crowdset.settings import Settings


@dataclass
class Form:
    """``values`` re-fill the inputs; ``errors`` maps a field to its messages."""

    values: dict[str, str] = field(default_factory=dict)
    errors: dict[str, list[str]] = field(default_factory=dict)
    names: frozenset[str] = frozenset()  # every field of the form, typed back or not

    @classmethod
    def of(cls, posted: FormData, names: Iterable[str], *, keep_secrets: bool = False) -> Form:
        """The typed values of ``names``; passwords are never sent back to the browser."""
        names = tuple(names)
        values = {}
        for name in names:
            value = posted.get(name)
            if isinstance(value, str) and (keep_secrets or "password" not in name):
                values[name] = value
        return cls(values, names=frozenset(names))

    @classmethod
    def with_key(cls, **values: str) -> Form:
        """A fresh form for a money-moving action, with a new idempotency key: a form sent
        twice (a double click, a reload) moves money once."""
        return cls({"idempotency_key": str(uuid.uuid4()), **values})

    def value(self, name: str) -> str:
        return self.values.get(name, "")

    def error(self, name: str, message: str) -> None:
        self.errors.setdefault(name, []).append(message)

    def fail(
        self,
        error: DomainError,
        settings: Settings,
        *,
        default: str,
        fields: Mapping[str, str] | None = None,
    ) -> None:
        """Show ``error`` at the field it names (renamed through ``fields``), else at
        ``default``."""
        named = error.fields.get("field")
        target = default
        if isinstance(named, str):
            known = named in self.names or named in self.values
            target = (fields or {}).get(named, named if known else default)
        self.error(target, message_of(error, settings))

    def renew_key(self) -> None:
        self.values["idempotency_key"] = str(uuid.uuid4())

    @property
    def invalid(self) -> bool:
        return bool(self.errors)

    @property
    def first_error(self) -> str | None:
        """The field that takes the focus when the page comes back with errors."""
        return next(iter(self.errors), None)


def message_of(error: DomainError, settings: Settings) -> str:
    """The error's message; a shortfall is said in credits rather than minor units."""
    if isinstance(error, InsufficientFunds) and {"balance", "needed"} <= error.fields.keys():
        balance, needed = int(error.fields["balance"]), int(error.fields["needed"])
        account = str(error.fields.get("account", "")).rsplit(":", 1)[-1] or "account"

        def show(minor: int) -> str:
            return format_amount(minor, settings.currency_decimals, settings.currency_name)

        return (
            f"Your {account} balance is {show(balance)} but this needs {show(needed)}: "
            f"short by {show(needed - balance)}."
        )
    return error.message
