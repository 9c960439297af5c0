"""Pure ledger rules: drafts balance, money never goes negative, the chain detects tampering."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crowdset.core import ledger
from crowdset.core.ledger import (
    GENESIS_HASH,
    AccountKind,
    AccountRef,
    ChainedTransaction,
    OwnerKind,
    Posting,
    TransactionDraft,
    TransactionKind,
    platform_account,
    user_account,
    verify_chain,
)
from crowdset.errors import InsufficientFunds, InvalidInput

ISSUANCE = platform_account(AccountKind.ISSUANCE)


def test_account_keys_round_trip() -> None:
    for ref in (
        user_account(7, AccountKind.LOCKED),
        ledger.escrow_account(3),
        platform_account(AccountKind.FINES),
    ):
        assert AccountRef.parse(ref.key) == ref
    assert user_account(7, AccountKind.AVAILABLE).key == "user:7:available"
    assert platform_account(AccountKind.FEES).key == "platform:fees"


@pytest.mark.parametrize(
    ("owner", "owner_id", "kind"),
    [
        pytest.param(OwnerKind.USER, 1, AccountKind.ESCROW, id="user-escrow"),
        pytest.param(OwnerKind.CAMPAIGN, 1, AccountKind.AVAILABLE, id="campaign-available"),
        pytest.param(OwnerKind.PLATFORM, 1, AccountKind.FEES, id="platform-with-id"),
        pytest.param(OwnerKind.USER, None, AccountKind.STAKED, id="user-without-id"),
    ],
)
def test_account_kinds_belong_to_their_owner(
    owner: OwnerKind, owner_id: int | None, kind: AccountKind
) -> None:
    with pytest.raises(InvalidInput):
        AccountRef(owner, owner_id, kind)


def test_draft_must_sum_to_zero() -> None:
    a, b = user_account(1, AccountKind.AVAILABLE), user_account(1, AccountKind.STAKED)
    with pytest.raises(InvalidInput, match="sum to 5"):
        TransactionDraft(TransactionKind.STAKE, (Posting(a, -5), Posting(b, 10)))


@pytest.mark.parametrize("amount", [0, -3, 2.5, True], ids=["zero", "negative", "float", "bool"])
def test_amounts_are_positive_integers(amount: object) -> None:
    with pytest.raises(InvalidInput, match="positive whole number"):
        ledger.stake(1, amount)  # type: ignore[arg-type]


def test_pay_with_fee_moves_both_from_escrow() -> None:
    draft = ledger.pay(campaign_id=4, worker_id=9, amount=100, fee=10)
    assert draft.deltas() == {
        ledger.escrow_account(4): -110,
        user_account(9, AccountKind.AVAILABLE): 100,
        platform_account(AccountKind.FEES): 10,
    }


def test_apply_refuses_overdraft_and_names_the_account() -> None:
    balances = {user_account(1, AccountKind.AVAILABLE): 50}
    with pytest.raises(InsufficientFunds, match=r"user:1:available holds 50.*short by 20"):
        ledger.apply(balances, ledger.stake(1, 70))


def test_issuance_alone_may_go_negative() -> None:
    after = ledger.apply({}, ledger.issue(1, 500))
    assert after[ISSUANCE] == -500
    assert after[user_account(1, AccountKind.AVAILABLE)] == 500


def _chain(drafts: list[TransactionDraft]) -> tuple[list[ChainedTransaction], dict[str, int]]:
    chain: list[ChainedTransaction] = []
    balances: dict[str, int] = {}
    prev = GENESIS_HASH
    for seq, draft in enumerate(drafts, start=1):
        tx = ChainedTransaction(
            seq=seq,
            kind=draft.kind.value,
            memo=draft.memo,
            created_at=f"2026-01-01T00:00:{seq:02d}.000000+00:00",
            actor_id=None,
            idempotency_key=None,
            postings=tuple((p.account.key, p.amount) for p in draft.postings),
            prev_hash=prev,
        )
        tx = dataclasses.replace(tx, hash=tx.compute_hash())
        chain.append(tx)
        prev = tx.hash
        for key, amount in tx.postings:
            balances[key] = balances.get(key, 0) + amount
    return chain, balances


DRAFTS = [ledger.issue(1, 100), ledger.stake(1, 60), ledger.lock(1, 20), ledger.unstake(1, 10)]


def test_verify_chain_accepts_an_intact_chain() -> None:
    chain, balances = _chain(DRAFTS)
    report = verify_chain(chain, balances, (4, chain[-1].hash))
    assert report.ok, report.problems
    assert (report.transactions, report.postings, report.accounts) == (4, 8, 4)


@pytest.mark.parametrize(
    "change",
    [
        pytest.param({"memo": "edited"}, id="memo"),
        pytest.param({"kind": "issue"}, id="kind"),
        pytest.param({"created_at": "2026-01-01T00:00:00.000000+00:00"}, id="time"),
        pytest.param({"actor_id": 5}, id="actor"),
        pytest.param(
            {"postings": (("user:1:available", -70), ("user:1:staked", 70))}, id="amounts"
        ),
    ],
)
def test_verify_chain_names_the_first_tampered_transaction(change: dict[str, object]) -> None:
    chain, balances = _chain(DRAFTS)
    chain[1] = dataclasses.replace(chain[1], **change)  # type: ignore[arg-type]
    report = verify_chain(chain, balances)
    assert not report.ok
    assert report.first_bad_seq == 2


def test_verify_chain_detects_a_deleted_transaction() -> None:
    chain, balances = _chain(DRAFTS)
    del chain[2]
    report = verify_chain(chain, balances)
    assert report.first_bad_seq == 4
    assert any("link broken" in p for p in report.problems)


def test_verify_chain_detects_a_wrong_cached_balance() -> None:
    chain, balances = _chain(DRAFTS)
    balances["user:1:staked"] += 1
    report = verify_chain(chain, balances)
    assert report.problems == ["account user:1:staked: cached balance 31 but postings give 30"]


@given(st.lists(st.integers(min_value=1, max_value=10**12), min_size=1, max_size=20))
def test_every_draft_sums_to_zero(amounts: list[int]) -> None:
    for amount in amounts:
        for draft in (
            ledger.issue(1, amount),
            ledger.stake(1, amount),
            ledger.pay(2, 1, amount, fee=amount // 7 or 0),
            ledger.forfeit_deposit(1, amount),
        ):
            assert sum(p.amount for p in draft.postings) == 0
