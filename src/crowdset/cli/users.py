from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from crowdset.cli.common import console, context_from
from crowdset.core.permissions import Role
from crowdset.services import accounts

user_app = typer.Typer(no_args_is_help=True, help="Accounts.\n\nExample: crowdset user list")
token_app = typer.Typer(
    no_args_is_help=True, help="API tokens.\n\nExample: crowdset token create ann@example.org"
)


@user_app.command("create")
def create(
    typer_ctx: typer.Context,
    email: Annotated[str, typer.Argument(help="Login email.")],
    role: Annotated[Role, typer.Option(help="requester, worker or operator.")] = Role.WORKER,
    name: Annotated[str, typer.Option(help="Display name.")] = "",
    password: Annotated[
        str,
        typer.Option(
            prompt=True,
            hide_input=True,
            confirmation_prompt=True,
            envvar="CROWDSET_NEW_PASSWORD",
            help="At least 10 characters.",
        ),
    ] = "",
) -> None:
    """Create an account (asks for the password unless --password or CROWDSET_NEW_PASSWORD).

    Example: crowdset user create ann@example.org --role requester --name "Ann"
    """
    ctx = context_from(typer_ctx)
    user = accounts.create_user(
        ctx, email=email, password=password, role=role.value, display_name=name
    )
    console.print(f"[green]✓[/] created {user.role.value} #{user.id} {user.email}")


@user_app.command("list")
def list_users(
    typer_ctx: typer.Context,
    role: Annotated[Role | None, typer.Option(help="Only this role.")] = None,
) -> None:
    """List accounts.

    Example: crowdset user list --role worker
    """
    ctx = context_from(typer_ctx)
    table = Table("id", "email", "role", "pseudonym", "active")
    for user in accounts.list_users(ctx, role):
        table.add_row(
            str(user.id),
            user.email,
            user.role.value,
            user.pseudonym,
            "yes" if user.is_active else "no",
        )
    console.print(table)


@token_app.command("create")
def create_token(
    typer_ctx: typer.Context,
    email: Annotated[str, typer.Argument(help="Whose token.")],
    name: Annotated[str, typer.Option(help="A label to recognise it by.")] = "cli",
    days: Annotated[int | None, typer.Option(help="Lifetime (setting: token_ttl_days).")] = None,
) -> None:
    """Create an API token; it is printed once and stored only as a hash.

    Example: crowdset token create ann@example.org --name laptop --days 30
    """
    ctx = context_from(typer_ctx)
    user = accounts.find_user(ctx, email)
    created = accounts.create_token(ctx, user.id, name=name, days=days)
    console.print(f"token for {user.email} (expires {created.token.expires_at:%Y-%m-%d}):")
    console.print(created.secret, markup=False, highlight=False)


@token_app.command("list")
def list_tokens(typer_ctx: typer.Context, email: str) -> None:
    """List a user's tokens (never their secrets).

    Example: crowdset token list ann@example.org
    """
    ctx = context_from(typer_ctx)
    user = accounts.find_user(ctx, email)
    table = Table("id", "name", "prefix", "expires", "revoked")
    for token in accounts.list_tokens(ctx, user.id):
        table.add_row(
            str(token.id),
            token.name,
            token.prefix + "…",
            f"{token.expires_at:%Y-%m-%d}",
            f"{token.revoked_at:%Y-%m-%d}" if token.revoked_at else "",
        )
    console.print(table)


@token_app.command("revoke")
def revoke_token(typer_ctx: typer.Context, email: str, token_id: int) -> None:
    """Revoke a token: it stops working at once.

    Example: crowdset token revoke ann@example.org 3
    """
    ctx = context_from(typer_ctx)
    user = accounts.find_user(ctx, email)
    accounts.revoke_token(ctx, user.id, token_id)
    console.print(f"[green]✓[/] token {token_id} revoked")


def register(root: typer.Typer) -> None:
    """Add these commands to the main application."""
    root.add_typer(user_app, name="user")
    root.add_typer(token_app, name="token")
