"""Who may do what: the one table of role checks. Adapters ask ``authorize(role, action)``."""

from __future__ import annotations

from enum import StrEnum

from crowdset.errors import Forbidden


class Role(StrEnum):
    REQUESTER = "requester"
    WORKER = "worker"
    OPERATOR = "operator"


class Action(StrEnum):
    READ_OWN_ACCOUNT = "read_own_account"  # me, own balances, own ledger history
    MANAGE_OWN_TOKENS = "manage_own_tokens"
    MOVE_OWN_MONEY = "move_own_money"  # deposit / withdraw on the simulated rails
    STAKE = "stake"  # stake and unstake
    EDIT_DEMOGRAPHICS = "edit_demographics"
    CREATE_USERS = "create_users"  # any role
    MANAGE_USERS = "manage_users"  # deactivate, reactivate, reset a password
    ISSUE_CREDITS = "issue_credits"
    VERIFY_LEDGER = "verify_ledger"
    READ_ANY_ACCOUNT = "read_any_account"
    RUN_CAMPAIGNS = "run_campaigns"  # create, launch, pause, resume, close, export own campaigns
    READ_ANY_CAMPAIGN = "read_any_campaign"
    BLACKLIST_WORKERS = "blacklist_workers"
    DO_WORK = "do_work"  # take offers, write queries, vote


_EVERYONE = frozenset(Role)
PERMISSIONS: dict[Action, frozenset[Role]] = {
    Action.READ_OWN_ACCOUNT: _EVERYONE,
    Action.MANAGE_OWN_TOKENS: _EVERYONE,
    Action.MOVE_OWN_MONEY: frozenset({Role.REQUESTER, Role.WORKER}),
    Action.STAKE: frozenset({Role.WORKER}),
    Action.EDIT_DEMOGRAPHICS: frozenset({Role.WORKER}),
    Action.CREATE_USERS: frozenset({Role.OPERATOR}),
    Action.MANAGE_USERS: frozenset({Role.OPERATOR}),
    Action.ISSUE_CREDITS: frozenset({Role.OPERATOR}),
    Action.VERIFY_LEDGER: frozenset({Role.OPERATOR}),
    Action.READ_ANY_ACCOUNT: frozenset({Role.OPERATOR}),
    Action.RUN_CAMPAIGNS: frozenset({Role.REQUESTER, Role.OPERATOR}),
    Action.READ_ANY_CAMPAIGN: frozenset({Role.OPERATOR}),
    Action.BLACKLIST_WORKERS: frozenset({Role.REQUESTER, Role.OPERATOR}),
    Action.DO_WORK: frozenset({Role.WORKER}),
}


def authorize(role: Role, action: Action) -> None:
    """Raise ``Forbidden`` unless ``role`` may perform ``action``."""
    allowed = PERMISSIONS[action]
    if role not in allowed:
        names = ", ".join(sorted(r.value for r in allowed))
        raise Forbidden(
            f"a {role.value} may not {action.value.replace('_', ' ')}; "
            f"this needs the role: {names}",
            action=action.value,
            role=role.value,
        )


def authorize_user_creation(creator: Role | None, new_role: Role) -> None:
    """Anyone may sign up as a worker; only an operator creates requesters and operators."""
    if new_role is Role.WORKER and creator in (None, Role.OPERATOR):
        return
    if creator is Role.OPERATOR:
        return
    raise Forbidden(
        f"only an operator may create a {new_role.value} account; sign up as a worker instead",
        role=new_role.value,
    )
