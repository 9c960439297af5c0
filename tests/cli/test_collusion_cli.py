"""``crowdset campaign collusion`` and ``exclude-group`` (SPEC §6.8, issue #15) over a real
database: the κ table, its JSON, and one flagged group excluded."""

from __future__ import annotations

import json

from crowdset.core.permissions import Role
from crowdset.services import accounts, ledger
from crowdset.services.accounts import Principal
from crowdset.services.context import Context
from tests.api.test_collusion_api import staked_workers
from tests.cli.test_campaign_cli import Cli
from tests.services.test_collusion import voted_crowd


def test_the_table_the_json_and_excluding_the_group(ctx: Context, database_url: str) -> None:
    user = accounts.create_user(ctx, email="r@cli.test", password="correct horse", role="requester")
    ledger.issue_credits(ctx, None, user.id, 1_000_000)
    crowd = voted_crowd(ctx, Principal(user.id, Role.REQUESTER, user.email), staked_workers(ctx))
    ring = crowd.pseudonyms(crowd.ring)
    cli = Cli(database_url)
    campaign = str(crowd.campaign_id)

    shown = cli("campaign", "collusion", campaign).output
    assert "κ table: vote answers of 9 workers on 40 items" in shown
    assert "36 pairs with at least 8 shared items tested" in shown
    assert "flagged at p ≤ 0.05 after holm and κ ≥ 0.6" in shown
    assert f"flagged group: {' '.join(sorted(ring))}" in shown
    assert "crowdset campaign exclude-group ID WORKER" in shown

    data = json.loads(cli("campaign", "collusion", campaign, "--format", "json").output)
    assert sorted(data["groups"][0]["workers"]) == sorted(ring) and len(data["pairs"]) == 36

    honest = crowd.pseudonyms(crowd.honest)
    refused = cli("campaign", "exclude-group", campaign, honest[0], code=5)
    assert "not in the same flagged group" in refused.stderr
    done = cli("campaign", "exclude-group", campaign, *ring, "--reason", "Plain to see.").output
    assert "6 tracks revoked" in done and "5 queries back in validation" in done
    assert "(excluded)" in cli("campaign", "collusion", campaign).output
