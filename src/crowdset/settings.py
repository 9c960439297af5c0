"""All configuration in one class, built explicitly and passed in (no module globals).

Sources, highest first: keyword arguments, environment variables ``CROWDSET_*``, a TOML config
file (``CROWDSET_CONFIG`` or ``./crowdset.toml`` when present), then the defaults below.
"""

from __future__ import annotations

import os
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

DEFAULT_DATABASE_URL = "sqlite:///./.crowdset/crowdset.db"


def _config_file() -> Path | None:
    named = os.environ.get("CROWDSET_CONFIG")
    if named:
        return Path(named)
    local = Path("crowdset.toml")
    return local if local.is_file() else None


class Settings(BaseSettings):
    """Settings of one crowdset instance. Every field is documented in docs/settings.md."""

    model_config = SettingsConfigDict(env_prefix="CROWDSET_", extra="forbid", frozen=True)

    database_url: str = Field(
        DEFAULT_DATABASE_URL,
        description="SQLAlchemy URL: sqlite:///path or postgresql+psycopg://user@host/db.",
    )
    database_pool_size: int = Field(
        5,
        ge=1,
        le=500,
        description="PostgreSQL connections each process keeps open (docs/settings.md: "
        "processes × (pool size + overflow) must fit the server's max_connections).",
    )
    database_max_overflow: int = Field(
        5, ge=0, le=500, description="Connections a process may open beyond the pool at peaks."
    )
    database_pool_timeout_seconds: float = Field(
        5.0,
        gt=0,
        le=300,
        description="How long a request waits for a free connection before it is answered "
        "503 with Retry-After.",
    )
    fair_hourly_wage: int = Field(
        60, gt=0, description="Credits per hour of work: 1 credit pays one minute at 60."
    )
    currency_name: str = Field("credit", min_length=1, description="Name of the unit shown.")
    currency_decimals: int = Field(
        2, ge=0, le=6, description="Minor units per credit as a power of ten (2: 1 credit = 100)."
    )
    bias_min_group_size: int = Field(
        10,
        ge=2,
        le=1000,
        description="Workers a demographic group needs before a requester sees any number "
        "about it (bias reports); smaller groups are suppressed.",
    )
    platform_fee_share: Decimal = Field(
        Decimal("0.10"), ge=0, lt=1, description="Share of a campaign's work cost taken as fee."
    )
    reserve_share: Decimal = Field(
        Decimal("0.05"),
        ge=0,
        lt=1,
        description="Share of a review budget held as reserve, priced on top of the pool.",
    )
    token_ttl_days: int = Field(90, gt=0, description="Default lifetime of a new API token.")
    max_request_bytes: int = Field(
        10 * 1024 * 1024, gt=0, description="Largest request body the API accepts."
    )
    password_hash_time_cost: int = Field(
        3, ge=1, le=20, description="argon2id passes per password hash (OWASP: at least 2)."
    )
    password_hash_memory_kib: int = Field(
        65536, ge=8, description="argon2id memory per password hash, in KiB (default 64 MiB)."
    )
    host: str = Field("127.0.0.1", description="Address `crowdset serve` binds to.")
    port: int = Field(8000, gt=0, lt=65536, description="Port `crowdset serve` listens on.")
    session_secret: SecretStr | None = Field(
        None,
        min_length=32,
        description="Key that signs web session cookies; unset: a random key per process "
        "(sessions end on restart). Set one shared key when several processes serve.",
    )
    session_lifetime_minutes: int = Field(
        480, ge=1, le=43_200, description="A web login lasts this long; then log in again."
    )
    session_idle_minutes: int = Field(
        120,
        ge=1,
        le=43_200,
        description="A web login unused for this long ends; the next request asks to log in.",
    )
    login_free_failures: int = Field(
        5,
        ge=1,
        le=1000,
        description="Wrong passwords allowed per account and per client address before "
        "logins from them wait (429 with Retry-After), the wait doubling with each failure.",
    )
    login_max_delay_seconds: int = Field(
        900, ge=1, le=86_400, description="The longest wait a run of wrong passwords earns."
    )
    trust_forwarded_for: bool = Field(
        False,
        description="Take the client address from the last X-Forwarded-For entry (set it "
        "only behind a reverse proxy that writes that header; otherwise clients could pick "
        "their own address and dodge the login throttle).",
    )
    payments_rail: Literal["simulated", "disabled"] = Field(
        "disabled",
        description="simulated: users deposit and withdraw through a pretend rail (demos "
        "and tests); disabled: credits enter only through operator issuance.",
    )
    ledger_anchor_file: Path | None = Field(
        None,
        description="Append-only file that `crowdset ledger anchor` (and the server, every "
        "ledger_anchor_minutes) appends the ledger head to; keep it off the database host.",
    )
    ledger_anchor_minutes: int = Field(
        60, ge=1, le=10_080, description="How often the server anchors the ledger head."
    )
    session_cookie_secure: bool = Field(
        True,
        description="Send the session cookie over HTTPS only (browsers also accept it on "
        "http://localhost). Turn off only for plain-HTTP tests on another host.",
    )

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, value: str) -> str:
        if not value.startswith(("sqlite", "postgresql")):
            raise ValueError(
                f"database_url {value!r} is not supported: use sqlite:///PATH or "
                "postgresql+psycopg://USER@HOST/DB"
            )
        return value

    @property
    def database_kind(self) -> str:
        return "postgresql" if self.database_url.startswith("postgresql") else "sqlite"

    @property
    def minor_per_unit(self) -> int:
        return int(10**self.currency_decimals)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        config = _config_file()
        if config is not None:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=config))
        return tuple(sources)


def load_settings(**overrides: Any) -> Settings:
    """Build settings from the environment and config file, with explicit overrides on top."""
    return Settings(**overrides)
