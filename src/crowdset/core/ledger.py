"""Ledger rules of SPEC §1: accounts, double-entry transactions, the hash chain.

Pure: builds and checks transactions; the storage layer records them. Amounts are integers in
minor units (1 credit = 10**currency_decimals minor units); a float never touches money.

Every operation of the SPEC is one function here returning a ``TransactionDraft``: ``issue``,
``deposit``/``withdraw`` (simulated payment rails), ``stake``, ``unstake``, ``lock``, ``unlock``,
``forfeit``, ``fund_escrow``, ``pay`` (one payee) and ``settle`` (several), ``refund``,
``hold_deposit``, ``release_deposit``, ``forfeit_deposit``; and the mechanism's (SPEC §6):
``earn`` (escrow → pending), ``release`` (pending → available), ``claw_back`` (pending →
escrow), ``fine`` (bond → fines) and the reversals of an upheld appeal.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from crowdset.errors import InsufficientFunds, InvalidInput

GENESIS_HASH = "0" * 64


class OwnerKind(StrEnum):
    USER = "user"
    CAMPAIGN = "campaign"
    PLATFORM = "platform"


class AccountKind(StrEnum):
    # per owner (user)
    AVAILABLE = "available"
    STAKED = "staked"
    LOCKED = "locked"
    DEPOSIT = "deposit"  # package deposits held (SPEC §1 "Deposits"), not payment-rail top-ups
    PENDING = "pending"  # earned, not yet released (SPEC §6.3)
    # per campaign
    ESCROW = "escrow"
    # platform
    ISSUANCE = "issuance"
    RESERVE = "reserve"
    FEES = "fees"
    FINES = "fines"


USER_ACCOUNT_KINDS = frozenset(
    {
        AccountKind.AVAILABLE,
        AccountKind.STAKED,
        AccountKind.LOCKED,
        AccountKind.DEPOSIT,
        AccountKind.PENDING,
    }
)
CAMPAIGN_ACCOUNT_KINDS = frozenset({AccountKind.ESCROW})
PLATFORM_ACCOUNT_KINDS = frozenset(
    {AccountKind.ISSUANCE, AccountKind.RESERVE, AccountKind.FEES, AccountKind.FINES}
)
_KINDS_BY_OWNER = {
    OwnerKind.USER: USER_ACCOUNT_KINDS,
    OwnerKind.CAMPAIGN: CAMPAIGN_ACCOUNT_KINDS,
    OwnerKind.PLATFORM: PLATFORM_ACCOUNT_KINDS,
}


class TransactionKind(StrEnum):
    ISSUE = "issue"
    DEPOSIT = "deposit"  # simulated payment rail: money in
    WITHDRAW = "withdraw"  # simulated payment rail: money out
    STAKE = "stake"
    UNSTAKE = "unstake"
    LOCK = "lock"
    UNLOCK = "unlock"
    FORFEIT = "forfeit"
    FUND_ESCROW = "fund_escrow"
    PAY = "pay"
    REFUND = "refund"
    HOLD_DEPOSIT = "hold_deposit"
    RELEASE_DEPOSIT = "release_deposit"
    FORFEIT_DEPOSIT = "forfeit_deposit"
    EARN = "earn"  # escrow → pending (SPEC §6.3)
    RELEASE = "release"  # pending → available
    CLAW_BACK = "claw_back"  # pending → escrow, at revocation
    FINE = "fine"  # staked / locked / deposit → fines, at revocation
    REVERSE = "reverse"  # an upheld appeal undoes a fine or a claw-back


@dataclass(frozen=True, order=True)
class AccountRef:
    """Names one account: ``user:7:available``, ``campaign:3:escrow``, ``platform:fees``."""

    owner: OwnerKind
    owner_id: int | None
    kind: AccountKind

    def __post_init__(self) -> None:
        if self.kind not in _KINDS_BY_OWNER[self.owner]:
            raise InvalidInput(
                f"account kind {self.kind.value!r} does not belong to a {self.owner.value}",
                kind=self.kind.value,
            )
        if (self.owner is OwnerKind.PLATFORM) != (self.owner_id is None):
            raise InvalidInput("platform accounts have no owner id; all others need one")

    @property
    def key(self) -> str:
        if self.owner_id is None:
            return f"{self.owner.value}:{self.kind.value}"
        return f"{self.owner.value}:{self.owner_id}:{self.kind.value}"

    @classmethod
    def parse(cls, key: str) -> AccountRef:
        parts = key.split(":")
        if len(parts) == 2:
            return cls(OwnerKind(parts[0]), None, AccountKind(parts[1]))
        return cls(OwnerKind(parts[0]), int(parts[1]), AccountKind(parts[2]))

    @property
    def may_go_negative(self) -> bool:
        """SPEC §1: no account but ``issuance`` ever goes negative."""
        return self.kind is AccountKind.ISSUANCE


def user_account(user_id: int, kind: AccountKind) -> AccountRef:
    return AccountRef(OwnerKind.USER, user_id, kind)


def escrow_account(campaign_id: int) -> AccountRef:
    return AccountRef(OwnerKind.CAMPAIGN, campaign_id, AccountKind.ESCROW)


def platform_account(kind: AccountKind) -> AccountRef:
    return AccountRef(OwnerKind.PLATFORM, None, kind)


@dataclass(frozen=True)
class Posting:
    account: AccountRef
    amount: int  # positive credits the account, negative debits it


@dataclass(frozen=True)
class TransactionDraft:
    """A balanced set of postings, checked on construction."""

    kind: TransactionKind
    postings: tuple[Posting, ...]
    memo: str = ""

    def __post_init__(self) -> None:
        if len(self.postings) < 2:
            raise InvalidInput("a transaction needs at least two postings")
        for posting in self.postings:
            if isinstance(posting.amount, bool) or not isinstance(posting.amount, int):
                raise InvalidInput(f"amounts are integers in minor units, got {posting.amount!r}")
            if posting.amount == 0:
                raise InvalidInput(f"a posting to {posting.account.key} moves nothing")
        total = sum(p.amount for p in self.postings)
        if total != 0:
            raise InvalidInput(f"postings of a {self.kind.value} sum to {total}, not 0")

    def deltas(self) -> dict[AccountRef, int]:
        out: dict[AccountRef, int] = {}
        for posting in self.postings:
            out[posting.account] = out.get(posting.account, 0) + posting.amount
        return out


def _positive(amount: int, what: str = "amount") -> int:
    if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
        raise InvalidInput(
            f"{what} must be a positive whole number of minor units, got {amount!r}",
            field=what,
            value=amount,
        )
    return amount


def _move(
    kind: TransactionKind, source: AccountRef, target: AccountRef, amount: int, memo: str = ""
) -> TransactionDraft:
    amount = _positive(amount)
    return TransactionDraft(kind, (Posting(source, -amount), Posting(target, amount)), memo)


def issue(user_id: int, amount: int, memo: str = "") -> TransactionDraft:
    """Operator creates credits: ``issuance → user available``."""
    issuance = platform_account(AccountKind.ISSUANCE)
    target = user_account(user_id, AccountKind.AVAILABLE)
    return _move(TransactionKind.ISSUE, issuance, target, amount, memo)


def deposit(user_id: int, amount: int, rail_reference: str = "") -> TransactionDraft:
    """Money in from the (simulated) payment rail: ``issuance → user available``."""
    issuance = platform_account(AccountKind.ISSUANCE)
    target = user_account(user_id, AccountKind.AVAILABLE)
    memo = f"simulated payment rail {rail_reference}".strip()
    return _move(TransactionKind.DEPOSIT, issuance, target, amount, memo)


def withdraw(user_id: int, amount: int, rail_reference: str = "") -> TransactionDraft:
    """Money out to the (simulated) payment rail: ``user available → issuance``."""
    source = user_account(user_id, AccountKind.AVAILABLE)
    issuance = platform_account(AccountKind.ISSUANCE)
    memo = f"simulated payment rail {rail_reference}".strip()
    return _move(TransactionKind.WITHDRAW, source, issuance, amount, memo)


def stake(user_id: int, amount: int) -> TransactionDraft:
    """``available → staked``."""
    return _move(
        TransactionKind.STAKE,
        user_account(user_id, AccountKind.AVAILABLE),
        user_account(user_id, AccountKind.STAKED),
        amount,
    )


def unstake(user_id: int, amount: int) -> TransactionDraft:
    """``staked → available``; locked stake cannot be withdrawn (it sits in ``locked``)."""
    return _move(
        TransactionKind.UNSTAKE,
        user_account(user_id, AccountKind.STAKED),
        user_account(user_id, AccountKind.AVAILABLE),
        amount,
    )


def lock(user_id: int, amount: int, memo: str = "") -> TransactionDraft:
    """Lock rule: ``staked → locked`` until the worker's streak unlocks it."""
    return _move(
        TransactionKind.LOCK,
        user_account(user_id, AccountKind.STAKED),
        user_account(user_id, AccountKind.LOCKED),
        amount,
        memo,
    )


def unlock(user_id: int, amount: int, memo: str = "") -> TransactionDraft:
    """``locked → staked``."""
    return _move(
        TransactionKind.UNLOCK,
        user_account(user_id, AccountKind.LOCKED),
        user_account(user_id, AccountKind.STAKED),
        amount,
        memo,
    )


def forfeit(user_id: int, amount: int, memo: str = "") -> TransactionDraft:
    """A worker who fails again while locked loses the stake: ``locked → fines``."""
    return _move(
        TransactionKind.FORFEIT,
        user_account(user_id, AccountKind.LOCKED),
        platform_account(AccountKind.FINES),
        amount,
        memo,
    )


def fund_escrow(requester_id: int, campaign_id: int, amount: int) -> TransactionDraft:
    """Launch: ``requester available → campaign escrow``."""
    return _move(
        TransactionKind.FUND_ESCROW,
        user_account(requester_id, AccountKind.AVAILABLE),
        escrow_account(campaign_id),
        amount,
    )


def pay(
    campaign_id: int, worker_id: int, amount: int, fee: int = 0, memo: str = ""
) -> TransactionDraft:
    """``escrow → worker available`` plus, when ``fee`` > 0, ``escrow → platform fees``."""
    return settle(campaign_id, [(worker_id, amount)], fee, memo)


def settle(
    campaign_id: int, payouts: Sequence[tuple[int, int]], fee: int = 0, memo: str = ""
) -> TransactionDraft:
    """Several payments of one decision in one transaction: ``escrow → each worker's
    available`` plus ``escrow → platform fees``. ``payouts`` are ``(worker_id, amount)``."""
    return _payout(TransactionKind.PAY, AccountKind.AVAILABLE, campaign_id, payouts, fee, memo)


def _payout(
    kind: TransactionKind,
    into: AccountKind,
    campaign_id: int,
    payouts: Sequence[tuple[int, int]],
    fee: int,
    memo: str,
) -> TransactionDraft:
    if not payouts:
        raise InvalidInput("a settlement needs at least one payout", field="payouts")
    escrow = escrow_account(campaign_id)
    by_worker: dict[int, int] = {}
    for worker_id, amount in payouts:
        by_worker[worker_id] = by_worker.get(worker_id, 0) + _positive(amount)
    total = sum(by_worker.values())
    postings = [Posting(escrow, -total)]
    postings += [
        Posting(user_account(worker_id, into), amount)
        for worker_id, amount in sorted(by_worker.items())
    ]
    if fee:
        fee = _positive(fee, "fee")
        postings += [Posting(escrow, -fee), Posting(platform_account(AccountKind.FEES), fee)]
    return TransactionDraft(kind, tuple(postings), memo)


def refund(campaign_id: int, requester_id: int, amount: int) -> TransactionDraft:
    """Close: what is left in escrow goes back: ``escrow → requester available``."""
    return _move(
        TransactionKind.REFUND,
        escrow_account(campaign_id),
        user_account(requester_id, AccountKind.AVAILABLE),
        amount,
    )


def hold_deposit(user_id: int, amount: int, memo: str = "") -> TransactionDraft:
    """Taking a package: ``available → deposit``."""
    return _move(
        TransactionKind.HOLD_DEPOSIT,
        user_account(user_id, AccountKind.AVAILABLE),
        user_account(user_id, AccountKind.DEPOSIT),
        amount,
        memo,
    )


def release_deposit(user_id: int, amount: int, memo: str = "") -> TransactionDraft:
    """A package scored well enough: ``deposit → available``."""
    return _move(
        TransactionKind.RELEASE_DEPOSIT,
        user_account(user_id, AccountKind.DEPOSIT),
        user_account(user_id, AccountKind.AVAILABLE),
        amount,
        memo,
    )


def forfeit_deposit(user_id: int, amount: int, memo: str = "") -> TransactionDraft:
    """A package whose error exceeds the limit: ``deposit → fines``."""
    return _move(
        TransactionKind.FORFEIT_DEPOSIT,
        user_account(user_id, AccountKind.DEPOSIT),
        platform_account(AccountKind.FINES),
        amount,
        memo,
    )


def earn(
    campaign_id: int, payouts: Sequence[tuple[int, int]], fee: int = 0, memo: str = ""
) -> TransactionDraft:
    """SPEC §6.3: pay is earned per task into the worker's ``pending`` account: ``escrow →
    each worker's pending`` plus ``escrow → platform fees``."""
    return _payout(TransactionKind.EARN, AccountKind.PENDING, campaign_id, payouts, fee, memo)


def release(user_id: int, amount: int, memo: str = "") -> TransactionDraft:
    """Pending pay whose worker cleared the bar (or a campaign closed): ``pending →
    available``."""
    return _move(
        TransactionKind.RELEASE,
        user_account(user_id, AccountKind.PENDING),
        user_account(user_id, AccountKind.AVAILABLE),
        amount,
        memo,
    )


def claw_back(user_id: int, campaign_id: int, amount: int, memo: str = "") -> TransactionDraft:
    """A revoked worker's pending pay goes back to the campaign: ``pending → escrow``."""
    return _move(
        TransactionKind.CLAW_BACK,
        user_account(user_id, AccountKind.PENDING),
        escrow_account(campaign_id),
        amount,
        memo,
    )


FINE_SOURCES = (AccountKind.STAKED, AccountKind.LOCKED, AccountKind.DEPOSIT, AccountKind.AVAILABLE)


def fine(user_id: int, amounts: Mapping[AccountKind, int], memo: str = "") -> TransactionDraft:
    """SPEC §6.4: a fine from the worker's bond (``staked``, ``locked``, ``deposit``, and
    ``available`` last) to ``platform fines``; ``amounts`` says how much from each."""
    postings: list[Posting] = []
    for kind, amount in sorted(amounts.items()):
        if kind not in FINE_SOURCES:
            raise InvalidInput(f"a fine cannot be taken from {kind.value}", kind=kind.value)
        if amount:
            postings.append(Posting(user_account(user_id, kind), -_positive(amount)))
    total = -sum(p.amount for p in postings)
    postings.append(Posting(platform_account(AccountKind.FINES), _positive(total, "fine")))
    return TransactionDraft(TransactionKind.FINE, tuple(postings), memo)


def reverse_fine(user_id: int, amount: int, memo: str = "") -> TransactionDraft:
    """An upheld appeal: the fine comes back to the worker's ``available``."""
    return _move(
        TransactionKind.REVERSE,
        platform_account(AccountKind.FINES),
        user_account(user_id, AccountKind.AVAILABLE),
        amount,
        memo,
    )


def reverse_claw_back(
    user_id: int, campaign_id: int, amount: int, memo: str = ""
) -> TransactionDraft:
    """An upheld appeal: clawed-back pay goes from the escrow to the worker's ``available``."""
    return _move(
        TransactionKind.REVERSE,
        escrow_account(campaign_id),
        user_account(user_id, AccountKind.AVAILABLE),
        amount,
        memo,
    )


def apply(balances: Mapping[AccountRef, int], draft: TransactionDraft) -> dict[AccountRef, int]:
    """Balances after ``draft``; raises ``InsufficientFunds`` naming the first short account."""
    after: dict[AccountRef, int] = {}
    for account, delta in sorted(draft.deltas().items()):
        new = balances.get(account, 0) + delta
        if new < 0 and not account.may_go_negative:
            have = balances.get(account, 0)
            raise InsufficientFunds(
                f"{account.key} holds {have} but the {draft.kind.value} needs {-delta}: "
                f"short by {-new}",
                account=account.key,
                balance=have,
                needed=-delta,
            )
        after[account] = new
    return after


# --- the hash chains ------------------------------------------------------------------------
#
# Decision record 0006: transactions are chained per *stream* (one per campaign, one per user
# for what touches no campaign), so payments of different campaigns append in parallel. A
# *seal* later anchors the heads of every stream that moved into one global chain of seals.
# Transactions written before streams existed sit in the legacy stream ``""``, whose position
# is the global ``seq`` and whose canonical JSON has no stream fields (their hashes still hold).

LEGACY_STREAM = ""


def stream_of(draft: TransactionDraft) -> str:
    """The stream a transaction is chained in: ``campaign:<id>`` when it touches a campaign's
    escrow, else ``user:<id>`` of the lowest user it touches, else ``platform``."""
    campaigns = sorted(
        p.account.owner_id or 0 for p in draft.postings if p.account.owner is OwnerKind.CAMPAIGN
    )
    if campaigns:
        return f"campaign:{campaigns[0]}"
    users = sorted(
        p.account.owner_id or 0 for p in draft.postings if p.account.owner is OwnerKind.USER
    )
    if users:
        return f"user:{users[0]}"
    return "platform"


@dataclass(frozen=True)
class ChainedTransaction:
    """What the chain hashes: every stored field of a transaction and its postings.

    ``prev_hash`` is the hash of the previous transaction *of the same stream*;
    ``stream_seq`` its position there (1, 2, 3 …; the global ``seq`` in the legacy stream).
    """

    seq: int
    kind: str
    memo: str
    created_at: str  # ISO 8601, UTC, microseconds
    actor_id: int | None
    idempotency_key: str | None
    postings: tuple[tuple[str, int], ...]  # (account key, amount), in any order
    prev_hash: str = GENESIS_HASH
    hash: str = field(default="", compare=False)
    stream: str = LEGACY_STREAM
    stream_seq: int = 0  # 0: the legacy stream, positioned by ``seq``

    @property
    def position(self) -> int:
        return self.stream_seq if self.stream != LEGACY_STREAM else self.seq

    def canonical_json(self) -> bytes:
        body: dict[str, object] = {
            "seq": self.seq,
            "kind": self.kind,
            "memo": self.memo,
            "created_at": self.created_at,
            "actor_id": self.actor_id,
            "idempotency_key": self.idempotency_key,
            "postings": sorted([key, amount] for key, amount in self.postings),
        }
        if self.stream != LEGACY_STREAM:
            body["stream"] = self.stream
            body["stream_seq"] = self.stream_seq
        return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()

    def compute_hash(self) -> str:
        """SPEC §1: ``sha256(prev_hash ‖ canonical_json)``."""
        return chain_hash(self.prev_hash, self.canonical_json())


def chain_hash(prev_hash: str, canonical: bytes) -> str:
    return hashlib.sha256(prev_hash.encode("ascii") + canonical).hexdigest()


@dataclass(frozen=True)
class Seal:
    """One link of the global chain: the heads ``(stream, stream_seq, hash)`` of every stream
    that moved since the previous seal. ``hash = sha256(prev_hash ‖ canonical_json)``."""

    number: int
    created_at: str  # ISO 8601, UTC, microseconds
    heads: tuple[tuple[str, int, str], ...]
    prev_hash: str = GENESIS_HASH
    hash: str = field(default="", compare=False)

    def canonical_json(self) -> bytes:
        body = {
            "seal": self.number,
            "created_at": self.created_at,
            "heads": sorted([stream, seq, digest] for stream, seq, digest in self.heads),
        }
        return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()

    def compute_hash(self) -> str:
        return chain_hash(self.prev_hash, self.canonical_json())


@dataclass
class VerificationReport:
    transactions: int = 0
    postings: int = 0
    accounts: int = 0
    head_hash: str = GENESIS_HASH  # the last seal's hash; without seals, the legacy stream's
    streams: int = 0
    seals: int = 0
    unsealed: int = 0  # transactions no seal covers yet (verified by their stream chain alone)
    problems: list[str] = field(default_factory=list)
    first_bad_seq: int | None = None

    @property
    def ok(self) -> bool:
        return not self.problems


def verify_chain(
    transactions: Iterable[ChainedTransaction],
    cached_balances: Mapping[str, int],
    recorded_head: tuple[int, str] | None = None,
    *,
    stream_heads: Mapping[str, tuple[int, str]] | None = None,
    seals: Iterable[Seal] = (),
    recorded_seal: tuple[int, str] | None = None,
) -> VerificationReport:
    """Recompute every chain, the seals and every balance (SPEC §1 ``ledger verify``).

    ``transactions`` must come in ``seq`` order (within a stream, ``seq`` grows with the
    position). ``stream_heads`` are the recorded heads ``(stream_seq, hash)`` of each stream
    (``recorded_head`` is shorthand for the legacy stream's); ``seals`` come in order and each
    head they anchor must be the hash of that stream's transaction at that position. The
    first transaction whose hash, link, position, sum or seal is wrong is named in
    ``first_bad_seq``; balance mismatches and negatives are listed after it.
    """
    report = VerificationReport()
    derived: dict[str, int] = {}

    def flag(seq: int | None, problem: str) -> None:
        report.problems.append(problem)
        if seq is not None and report.first_bad_seq is None:
            report.first_bad_seq = seq

    anchored: dict[tuple[str, int], tuple[int, str]] = {}
    sealed_to: dict[str, int] = {}
    seal_hash = GENESIS_HASH
    for seal in seals:
        report.seals += 1
        if seal.prev_hash != seal_hash:
            flag(None, f"seal {seal.number}: link broken (prev_hash does not match)")
        if seal.compute_hash() != seal.hash:
            flag(None, f"seal {seal.number}: hash does not match its contents")
        for stream, position, digest in seal.heads:
            anchored[(stream, position)] = (seal.number, digest)
            sealed_to[stream] = max(sealed_to.get(stream, 0), position)
        seal_hash = seal.hash
    if recorded_seal is not None and recorded_seal[1] != seal_hash:
        flag(None, f"ledger head {recorded_seal[1][:12]}… is not the last seal's hash")

    last: dict[str, tuple[int, str]] = {}
    for tx in transactions:
        report.transactions += 1
        report.postings += len(tx.postings)
        position = tx.position
        prev_position, prev_hash = last.get(tx.stream, (0, GENESIS_HASH))
        if tx.prev_hash != prev_hash:
            flag(tx.seq, f"transaction {tx.seq}: link broken (prev_hash does not match)")
        elif tx.stream != LEGACY_STREAM and position != prev_position + 1:
            flag(tx.seq, f"transaction {tx.seq}: position {position} in {tx.stream} skips")
        if tx.compute_hash() != tx.hash:
            flag(tx.seq, f"transaction {tx.seq}: hash does not match its contents")
        total = sum(amount for _, amount in tx.postings)
        if total != 0:
            flag(tx.seq, f"transaction {tx.seq}: postings sum to {total}, not 0")
        anchor = anchored.pop((tx.stream, position), None)
        if anchor is not None and anchor[1] != tx.hash:
            flag(tx.seq, f"transaction {tx.seq}: seal {anchor[0]} anchored a different hash")
        for key, amount in tx.postings:
            derived[key] = derived.get(key, 0) + amount
        last[tx.stream] = (position, tx.hash)
        if position > sealed_to.get(tx.stream, 0):
            report.unsealed += 1
    for (stream, position), (number, _) in sorted(anchored.items()):
        flag(None, f"seal {number} anchors {stream or 'the legacy stream'} at {position}: missing")
    heads = dict(stream_heads or {})
    if recorded_head is not None:
        heads.setdefault(LEGACY_STREAM, recorded_head)
    for stream in sorted(heads):
        if last.get(stream, (0, GENESIS_HASH)) != heads[stream]:
            recorded = heads[stream]
            flag(
                recorded[0] if stream == LEGACY_STREAM else None,
                f"ledger head {recorded[1][:12]}… of {stream or 'the legacy stream'} "
                "is not its last hash",
            )
    if stream_heads is not None:
        for stream in sorted(set(last) - set(heads)):
            flag(None, f"stream {stream or 'legacy'} has transactions but no recorded head")
    report.streams = len(last)
    report.head_hash = seal_hash if report.seals else last.get(LEGACY_STREAM, (0, GENESIS_HASH))[1]
    for key in sorted(set(derived) | set(cached_balances)):
        cached, real = cached_balances.get(key, 0), derived.get(key, 0)
        if cached != real:
            flag(None, f"account {key}: cached balance {cached} but postings give {real}")
        if real < 0 and not AccountRef.parse(key).may_go_negative:
            flag(None, f"account {key}: negative balance {real}")
    report.accounts = len(set(derived) | set(cached_balances))
    return report
