"""SQLAlchemy 2 models. The Alembic history in ``migrations/`` must match these (tested)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UtcDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC timestamps on both databases (SQLite stores them naive: UTC is added
    back on the way out, so comparisons never mix naive and aware values)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("timestamps must be timezone-aware (UTC)")
        return value.astimezone(UTC) if value is not None else None

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    display_name: Mapped[str] = mapped_column(String(120))
    role: Mapped[str] = mapped_column(String(20))
    password_hash: Mapped[str] = mapped_column(String(255))
    pseudonym: Mapped[str] = mapped_column(String(32), unique=True)
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())

    __table_args__ = (
        CheckConstraint("role in ('requester', 'worker', 'operator')", name="role_known"),
    )

    tokens: Mapped[list[ApiToken]] = relationship(back_populates="user")


class WorkerDemographics(Base):
    """Opt-in, self-reported; stored apart from ``users`` and shown only in aggregate."""

    __tablename__ = "worker_demographics"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    age_band: Mapped[str | None] = mapped_column(String(20))
    gender: Mapped[str | None] = mapped_column(String(40))
    country: Mapped[str | None] = mapped_column(String(2))
    languages: Mapped[list[str]] = mapped_column(JSON, default=list)
    education: Mapped[str | None] = mapped_column(String(40))
    consented_at: Mapped[datetime] = mapped_column(UtcDateTime())


class ApiToken(Base):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    prefix: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime())

    user: Mapped[User] = relationship(back_populates="tokens")


class WebSession(Base):
    """A web login. The browser holds only a random secret (signed in its cookie); this row,
    found by the secret's hash, says whose it is and whether it still counts."""

    __tablename__ = "web_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    last_seen_at: Mapped[datetime] = mapped_column(UtcDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    user_agent: Mapped[str] = mapped_column(String(200))
    address: Mapped[str] = mapped_column(String(64))


class LoginThrottle(Base):
    """Failed logins counted per key (``account:<email>`` or ``address:<ip>``)."""

    __tablename__ = "login_throttles"

    key: Mapped[str] = mapped_column(String(400), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer)
    last_failure_at: Mapped[datetime] = mapped_column(UtcDateTime())
    blocked_until: Mapped[datetime | None] = mapped_column(UtcDateTime())


class LedgerAccount(Base):
    """One account; ``balance`` is a cache always derivable from the postings."""

    __tablename__ = "ledger_accounts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(80), unique=True)
    owner_kind: Mapped[str] = mapped_column(String(16))
    owner_id: Mapped[int | None] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))
    balance: Mapped[int] = mapped_column(BigInteger, default=0)

    __table_args__ = (Index("ix_ledger_accounts_owner", "owner_kind", "owner_id"),)


class LedgerTransaction(Base):
    """Append-only; ``hash = sha256(prev_hash ‖ canonical_json)`` (SPEC §1)."""

    __tablename__ = "ledger_transactions"

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    kind: Mapped[str] = mapped_column(String(32))
    memo: Mapped[str] = mapped_column(Text, default="")
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    idempotency_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    request_fingerprint: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)
    # Decision record 0006: chained per stream; "" is the legacy stream (positioned by seq).
    stream: Mapped[str] = mapped_column(String(40), default="")
    stream_seq: Mapped[int] = mapped_column(BigInteger, default=0)

    postings: Mapped[list[LedgerPosting]] = relationship(
        back_populates="transaction", order_by="LedgerPosting.id"
    )

    __table_args__ = (Index("ix_ledger_transactions_stream", "stream", "stream_seq"),)


class LedgerPosting(Base):
    __tablename__ = "ledger_postings"

    # SQLite auto-increments only an INTEGER primary key; PostgreSQL gets a 64-bit one.
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    transaction_seq: Mapped[int] = mapped_column(ForeignKey("ledger_transactions.seq"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("ledger_accounts.id"), index=True)
    amount: Mapped[int] = mapped_column(BigInteger)

    __table_args__ = (CheckConstraint("amount <> 0", name="amount_nonzero"),)

    transaction: Mapped[LedgerTransaction] = relationship(back_populates="postings")
    account: Mapped[LedgerAccount] = relationship()


class LedgerHead(Base):
    """One row: the tip of the global chain of seals (decision record 0006). Only the seal
    step locks it; payments never do."""

    __tablename__ = "ledger_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_seq: Mapped[int] = mapped_column(BigInteger, default=0)
    last_hash: Mapped[str] = mapped_column(String(64))

    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)


class LedgerStream(Base):
    """The tip of one stream's chain (``campaign:3``, ``user:7``, ``platform``, ``""``).
    Appending to a stream locks its row: streams append in parallel."""

    __tablename__ = "ledger_streams"

    stream: Mapped[str] = mapped_column(String(40), primary_key=True)
    last_seq: Mapped[int] = mapped_column(BigInteger, default=0)
    last_hash: Mapped[str] = mapped_column(String(64))


class LedgerSeal(Base):
    """One link of the global chain: ``hash = sha256(prev_hash ‖ canonical_json)`` over the
    stream heads it anchors (``LedgerSealHead``)."""

    __tablename__ = "ledger_seals"

    number: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)


class LedgerSealHead(Base):
    """A stream head anchored by a seal."""

    __tablename__ = "ledger_seal_heads"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    seal_number: Mapped[int] = mapped_column(ForeignKey("ledger_seals.number"), index=True)
    stream: Mapped[str] = mapped_column(String(40))
    stream_seq: Mapped[int] = mapped_column(BigInteger)
    hash: Mapped[str] = mapped_column(String(64))

    __table_args__ = (Index("ix_ledger_seal_heads_stream", "stream", "stream_seq"),)


class LedgerBalanceDelta(Base):
    """On PostgreSQL, what a posting adds to a platform account's cached balance until the
    seal step folds it in: appends insert here instead of updating one hot row."""

    __tablename__ = "ledger_balance_deltas"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("ledger_accounts.id"), index=True)
    amount: Mapped[int] = mapped_column(BigInteger)


# --- campaigns (SPEC §2) ---------------------------------------------------------------------


class Campaign(Base):
    """One campaign; ``spec`` is the validated spec as submitted (JSON)."""

    __tablename__ = "campaigns"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    requester_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20))
    spec: Mapped[dict[str, object]] = mapped_column(JSON, deferred=True)  # large: read on demand
    spec_digest: Mapped[str] = mapped_column(String(64))  # sha256 of the canonical spec JSON
    escrow_funded: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    launched_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())

    __table_args__ = (
        CheckConstraint(
            "status in ('draft', 'pilot', 'running', 'paused', 'closed')", name="status_known"
        ),
    )


class CampaignEvent(Base):
    """What happened to a campaign and when: lifecycle, blacklisting, funds running short."""

    __tablename__ = "campaign_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    kind: Mapped[str] = mapped_column(String(40))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    detail: Mapped[dict[str, object]] = mapped_column(JSON, default=dict)


class CampaignWorker(Base):
    """A worker as seen by one campaign: presence, blacklisting, track record."""

    __tablename__ = "campaign_workers"

    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), primary_key=True)
    worker_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    last_seen_at: Mapped[datetime] = mapped_column(UtcDateTime())
    blacklisted: Mapped[bool] = mapped_column(default=False)
    successes: Mapped[int] = mapped_column(Integer, default=0)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    # labeling campaigns (SPEC §3): the onboarding gates and the live quality model
    tutorial_done: Mapped[bool] = mapped_column(default=False)
    tutorial_answered: Mapped[int] = mapped_column(Integer, default=0)
    qualifier_attempts: Mapped[int] = mapped_column(Integer, default=0)
    qualifier_score: Mapped[float | None] = mapped_column()
    qualified: Mapped[bool] = mapped_column(default=False)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    quality_correct: Mapped[float] = mapped_column(default=0.0)
    quality_wrong: Mapped[float] = mapped_column(default=0.0)
    answers: Mapped[int] = mapped_column(Integer, default=0)
    gold_answers: Mapped[int] = mapped_column(Integer, default=0)
    gold_correct: Mapped[int] = mapped_column(Integer, default=0)
    # onboarding time (SPEC §3, §6.6): seconds on the tutorial and qualifier, when the last
    # step was answered (the server's measure), and what its pay earned (minor units)
    onboarding_seconds: Mapped[float] = mapped_column(default=0.0)
    onboarding_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    onboarding_paid: Mapped[int] = mapped_column(BigInteger, default=0)


class WorkerTrack(Base):
    """SPEC §6: what is known of one worker on one track (write, vote, label, rate) of one
    campaign — the posterior's weighted counts, the plain counts shown as evidence, and the
    money the mechanism moved for it (minor units)."""

    __tablename__ = "worker_tracks"

    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), primary_key=True)
    worker_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    track: Mapped[str] = mapped_column(String(8), primary_key=True)
    correct: Mapped[float] = mapped_column(default=0.0)
    wrong: Mapped[float] = mapped_column(default=0.0)
    controls: Mapped[int] = mapped_column(Integer, default=0)
    controls_failed: Mapped[int] = mapped_column(Integer, default=0)
    decisions: Mapped[int] = mapped_column(Integer, default=0)
    decisions_failed: Mapped[int] = mapped_column(Integer, default=0)
    earned: Mapped[int] = mapped_column(BigInteger, default=0)
    pending: Mapped[int] = mapped_column(BigInteger, default=0)
    released: Mapped[int] = mapped_column(BigInteger, default=0)
    clawed_back: Mapped[int] = mapped_column(BigInteger, default=0)
    fined: Mapped[int] = mapped_column(BigInteger, default=0)
    cost_of_failures: Mapped[int] = mapped_column(BigInteger, default=0)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # pending pay is held until this many units of accepted work (a bounty's or a paid
    # onboarding's first run, SPEC §6.6); 0: nothing held
    release_after: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = (
        CheckConstraint("track in ('write', 'vote', 'label', 'rate')", name="track_known"),
        Index("ix_worker_tracks_worker", "worker_id"),
    )


class Sanction(Base):
    """A revocation with its fine (SPEC §6.4), its reason and evidence, and the worker's one
    appeal (due process): an upheld appeal reverses the money through the ledger."""

    __tablename__ = "sanctions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    worker_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    track: Mapped[str] = mapped_column(String(8))
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    reason: Mapped[str] = mapped_column(Text)
    evidence: Mapped[dict[str, object]] = mapped_column(JSON, default=dict)
    fine: Mapped[int] = mapped_column(BigInteger, default=0)
    clawed_back: Mapped[int] = mapped_column(BigInteger, default=0)
    appeal_status: Mapped[str] = mapped_column(String(8), default="none")
    appeal_text: Mapped[str | None] = mapped_column(Text)
    appealed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    decision_note: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        CheckConstraint(
            "appeal_status in ('none', 'open', 'upheld', 'denied')", name="appeal_status_known"
        ),
    )


class WorkerStanding(Base):
    """The lock rule's state per worker (SPEC §1); the stake itself lives in the ledger."""

    __tablename__ = "worker_standing"

    worker_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    generation_locked: Mapped[bool] = mapped_column(default=False)
    generation_streak: Mapped[int] = mapped_column(Integer, default=0)
    validation_locked: Mapped[bool] = mapped_column(default=False)
    validation_streak: Mapped[int] = mapped_column(Integer, default=0)


class GenerationTask(Base):
    """A unit of writing work: one query for an intent with the values to include."""

    __tablename__ = "generation_tasks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    intent: Mapped[str] = mapped_column(String(80))
    slot_values: Mapped[list[dict[str, str]]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16))  # open | done
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())

    __table_args__ = (
        CheckConstraint("status in ('open', 'done')", name="status_known"),
        Index("ix_generation_tasks_campaign_status", "campaign_id", "status"),
    )


class Query(Base):
    """A query a worker wrote that passed the automatic checks."""

    __tablename__ = "queries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"))
    task_id: Mapped[int] = mapped_column(ForeignKey("generation_tasks.id"), index=True)
    worker_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    intent: Mapped[str] = mapped_column(String(80))
    text: Mapped[str] = mapped_column(Text)
    slot_values: Mapped[list[dict[str, str]]] = mapped_column(JSON)
    spans: Mapped[list[dict[str, object]]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16))
    round: Mapped[int] = mapped_column(Integer, default=1)
    paid: Mapped[bool] = mapped_column(default=False)
    submitted_at: Mapped[datetime] = mapped_column(UtcDateTime())
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    seconds_on_task: Mapped[float | None] = mapped_column()
    paste_events: Mapped[int] = mapped_column(Integer, default=0)
    flagged_intent: Mapped[str | None] = mapped_column(String(80))
    flag_probability: Mapped[float | None] = mapped_column()
    # SPEC §6.7: the query delexicalised (copies are judged on it) and the answer-quality
    # model's reading of its signals (flags: pasted, too_fast, machine_rhythm)
    template: Mapped[str | None] = mapped_column(Text)
    answer_flags: Mapped[str | None] = mapped_column(String(80))
    answer_quality: Mapped[float | None] = mapped_column()
    typing: Mapped[dict[str, float] | None] = mapped_column(JSON)
    # SPEC §6.1: a validation control — 'good' or 'bad' (its known verdict) — shown to at most
    # control_max_views validators; status 'control' for made-up known-bad ones
    control: Mapped[str | None] = mapped_column(String(8))
    control_views: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = (
        CheckConstraint(
            "status in ('validating', 'accepted', 'rejected', 'unvalidated', 'control')",
            name="status_known",
        ),
        Index("ix_queries_campaign_status", "campaign_id", "status"),
        Index("ix_queries_campaign_template", "campaign_id", "template"),
    )


class Vote(Base):
    """One validator's blind verdict on a query (SPEC §2)."""

    __tablename__ = "votes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    query_id: Mapped[int] = mapped_column(ForeignKey("queries.id"), index=True)
    worker_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    round: Mapped[int] = mapped_column(Integer)
    valid: Mapped[bool] = mapped_column()
    intent_ok: Mapped[bool] = mapped_column()
    natural_ok: Mapped[bool] = mapped_column()
    spelling_ok: Mapped[bool] = mapped_column()
    values_ok: Mapped[bool] = mapped_column()
    comment: Mapped[str] = mapped_column(Text, default="")
    agreed: Mapped[bool | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())

    __table_args__ = (Index("uq_votes_query_worker", "query_id", "worker_id", unique=True),)


class Offer(Base):
    """A unit of work offered to one drawn worker; it expires and is re-drawn (SPEC §1)."""

    __tablename__ = "offers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"))
    worker_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(8))  # write | vote | label | revise
    task_id: Mapped[int | None] = mapped_column(ForeignKey("generation_tasks.id"))
    query_id: Mapped[int | None] = mapped_column(ForeignKey("queries.id"))
    item_id: Mapped[int | None] = mapped_column(ForeignKey("label_items.id"))
    package_id: Mapped[int | None] = mapped_column(ForeignKey("review_packages.id"))
    status: Mapped[str] = mapped_column(String(12))
    refusals: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime())
    accepted_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime())

    __table_args__ = (
        CheckConstraint("kind in ('write', 'vote', 'label', 'revise')", name="kind_known"),
        CheckConstraint(
            "status in ('open', 'accepted', 'done', 'skipped', 'expired', 'withdrawn')",
            name="status_known",
        ),
        Index("ix_offers_campaign_status", "campaign_id", "status"),
        Index("ix_offers_worker_status", "worker_id", "status"),
        Index("ix_offers_item_status", "item_id", "status"),  # offers out per item (0012)
    )


# --- labeling campaigns (SPEC §3) -------------------------------------------------------------


class LabelItem(Base):
    """One item to label or rate. ``gold`` (the known answer) never reaches a worker."""

    __tablename__ = "label_items"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"))
    external_id: Mapped[str] = mapped_column(String(200))
    text: Mapped[str | None] = mapped_column(Text)  # a pair's source, in a review
    target: Mapped[str | None] = mapped_column(Text)  # a pair's translation, in a review
    original_target: Mapped[str | None] = mapped_column(Text)  # before its revision
    revisions: Mapped[int] = mapped_column(Integer, default=0)
    image: Mapped[str | None] = mapped_column(Text)
    gold: Mapped[object | None] = mapped_column(JSON(none_as_null=True))
    status: Mapped[str] = mapped_column(String(12))  # open | settled
    judgments: Mapped[int] = mapped_column(Integer, default=0)
    answer: Mapped[object | None] = mapped_column(JSON(none_as_null=True))
    confidence: Mapped[float | None] = mapped_column()
    audit: Mapped[bool | None] = mapped_column()
    settled_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # SPEC §6.1: 'spec' gold from the requester, or 'consensus' gold promoted from a confident
    # decision; a control is retired after control_max_views workers saw it
    gold_source: Mapped[str | None] = mapped_column(String(10))
    control_views: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = (
        CheckConstraint("status in ('open', 'settled', 'revision')", name="status_known"),
        Index("ix_label_items_campaign_status", "campaign_id", "status"),
        Index("uq_label_items_campaign_external", "campaign_id", "external_id", unique=True),
    )


class Judgment(Base):
    """One worker's answer on one item. ``kept`` turns false when the worker is revoked
    before the item settled: the answer leaves the consensus and the item is re-queued."""

    __tablename__ = "judgments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"))
    item_id: Mapped[int] = mapped_column(ForeignKey("label_items.id"), index=True)
    worker_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    answer: Mapped[object] = mapped_column(JSON)
    gold: Mapped[bool] = mapped_column(default=False)
    correct: Mapped[bool | None] = mapped_column()
    kept: Mapped[bool] = mapped_column(default=True)
    package_id: Mapped[int | None] = mapped_column(ForeignKey("review_packages.id"), index=True)
    pilot: Mapped[bool] = mapped_column(default=False)
    seconds_on_task: Mapped[float | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())

    __table_args__ = (
        Index("ix_judgments_campaign_worker", "campaign_id", "worker_id"),
        Index("uq_judgments_item_worker", "item_id", "worker_id", unique=True),
    )


class ReviewPackage(Base):
    """A package of review work (SPEC §1, §4): taking it holds a deposit of
    ``deposit_factor`` × its nominal reward; an error above the bar forfeits the deposit,
    withholds the reward and sends its pairs back for review."""

    __tablename__ = "review_packages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    worker_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    status: Mapped[str] = mapped_column(String(12))
    size: Mapped[int] = mapped_column(Integer)
    reward: Mapped[int] = mapped_column(BigInteger)  # nominal, minor units
    deposit: Mapped[int] = mapped_column(BigInteger)
    error: Mapped[float | None] = mapped_column()
    reference_pairs: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    due_at: Mapped[datetime] = mapped_column(UtcDateTime())
    judged_at: Mapped[datetime | None] = mapped_column(UtcDateTime())

    __table_args__ = (
        CheckConstraint(
            "status in ('open', 'submitted', 'passed', 'forfeited')", name="status_known"
        ),
    )


# --- parallel corpora (SPEC §4) ---------------------------------------------------------------


class Corpus(Base):
    """A parallel corpus imported whole (all its pairs or none)."""

    __tablename__ = "corpora"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    source_lang: Mapped[str | None] = mapped_column(String(16))
    target_lang: Mapped[str | None] = mapped_column(String(16))
    origin: Mapped[str] = mapped_column(String(500))  # the file(s) it came from
    pairs: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    # the machine filters' per-rule report when they ran on import (FilterReport.to_dict())
    filter_report: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)


class CorpusPair(Base):
    """One sentence pair, with the input line on which it started."""

    __tablename__ = "corpus_pairs"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    corpus_id: Mapped[int] = mapped_column(ForeignKey("corpora.id"), index=True)
    line: Mapped[int] = mapped_column(BigInteger)
    source: Mapped[str] = mapped_column(Text)
    target: Mapped[str] = mapped_column(Text)


# --- idempotent requests (issue 16) -----------------------------------------------------------


class IdempotentRequest(Base):
    """A request sent with an ``Idempotency-Key`` that moves no money (a query, a vote, a
    label, a revision, a package taken): the key scoped to its caller, the request's
    fingerprint and what the first call answered, replayed to a retry. Money-moving calls
    keep theirs on the ledger transaction they post."""

    __tablename__ = "idempotent_requests"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    result: Mapped[Any] = mapped_column(JSON(none_as_null=True), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
