"""Rules for user accounts: what a valid email, password and demographic answer look like."""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass

from crowdset.core.permissions import Role
from crowdset.errors import InvalidInput

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MIN_PASSWORD_LENGTH = 10

AGE_BANDS = ("18-24", "25-34", "35-44", "45-54", "55-64", "65+")
GENDERS = ("woman", "man", "non-binary", "other")
EDUCATION_LEVELS = ("none", "secondary", "vocational", "bachelor", "master", "doctorate")
LANGUAGE_CODE = re.compile(r"^[a-z]{2,3}$")
COUNTRY_CODE = re.compile(r"^[A-Z]{2}$")


def check_email(email: str) -> str:
    email = email.strip().lower()
    if not EMAIL.match(email) or len(email) > 320:
        raise InvalidInput(
            f"email {email!r} is not an address: write it like name@example.org", field="email"
        )
    return email


MAX_PASSWORD_LENGTH = 200
MIN_DISTINCT_CHARACTERS = 5


def check_password(
    password: str, *, email: str = "", common: Collection[str] = (), field: str = "password"
) -> str:
    """Long enough, not a run of a few characters, not on the list of ``common`` (breached)
    passwords, and not the e-mail address or its name part."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(
            f"password is {len(password)} characters long: use at least {MIN_PASSWORD_LENGTH}",
            field=field,
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        raise InvalidInput(
            f"password is {len(password)} characters long: use at most {MAX_PASSWORD_LENGTH}",
            field=field,
        )
    if "\x00" in password:
        raise InvalidInput("password holds a NUL character: remove it", field=field)
    if len(set(password)) < MIN_DISTINCT_CHARACTERS:
        raise InvalidInput(
            f"password uses fewer than {MIN_DISTINCT_CHARACTERS} different characters: "
            "choose one that is harder to guess, like a few unrelated words",
            field=field,
        )
    lowered = password.lower()
    if lowered in common:
        raise InvalidInput(
            "password is on the list of common passwords that attackers try first: choose "
            "another, like a few unrelated words",
            field=field,
        )
    name = email.lower().split("@")[0]
    if email and (email.lower() in lowered or (len(name) >= 4 and name in lowered)):
        raise InvalidInput(
            "password contains your e-mail address or its name: choose one that does not",
            field=field,
        )
    return password


def check_role(role: str) -> Role:
    try:
        return Role(role)
    except ValueError:
        known = ", ".join(r.value for r in Role)
        raise InvalidInput(f"role {role!r} is unknown: use one of {known}", field="role") from None


@dataclass(frozen=True)
class Demographics:
    """Self-reported and opt-in (SPEC §3 Targeting); every field may stay empty."""

    age_band: str | None = None
    gender: str | None = None
    country: str | None = None
    languages: tuple[str, ...] = ()
    education: str | None = None


def _one_of(field: str, value: str | None, allowed: Iterable[str]) -> str | None:
    if value in (None, ""):
        return None
    allowed = tuple(allowed)
    if value not in allowed:
        raise InvalidInput(
            f"{field} {value!r} is not offered: choose one of {', '.join(allowed)} "
            "or leave it empty",
            field=field,
        )
    return value


def check_demographics(
    *,
    age_band: str | None,
    gender: str | None,
    country: str | None,
    languages: Iterable[str],
    education: str | None,
) -> Demographics:
    country = (country or "").strip().upper() or None
    if country is not None and not COUNTRY_CODE.match(country):
        raise InvalidInput(
            f"country {country!r} is not a two-letter ISO 3166 code such as US or DE",
            field="country",
        )
    codes = tuple(sorted({code.strip().lower() for code in languages if code.strip()}))
    for code in codes:
        if not LANGUAGE_CODE.match(code):
            raise InvalidInput(
                f"language {code!r} is not an ISO 639 code such as en or fr", field="languages"
            )
    return Demographics(
        age_band=_one_of("age_band", age_band, AGE_BANDS),
        gender=_one_of("gender", gender, GENDERS),
        country=country,
        languages=codes,
        education=_one_of("education", education, EDUCATION_LEVELS),
    )
