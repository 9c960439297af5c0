"""Admission tickets for an asking worker (SPEC §1, §6.6): how many new offers their tickets
allow now. The rule and its reasons are :mod:`crowdset.core.selection`'s (``ticket``,
``ticket_slots``, ``tickets_won``); this module reads what it needs — the campaign's launch, the
asker's last hold — and the key.

The key comes from the ``session_secret`` setting (which several processes share), so every
process draws the same ticket for an account and a slot; without one, a fixed key. A worker
who could compute tickets would still win no more of them: knowing the key tells when to ask,
not how to win more often.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy.orm import Session

from crowdset.core import selection
from crowdset.services.context import Context
from crowdset.settings import Settings
from crowdset.storage import admission_store
from crowdset.storage.models import Campaign

FIXED_KEY = b"crowdset admission tickets"


def admission_key(settings: Settings) -> bytes:
    """The tickets' hash key: derived from ``session_secret`` (never the secret itself)."""
    secret = settings.session_secret
    base = secret.get_secret_value().encode() if secret is not None else FIXED_KEY
    return hashlib.blake2b(base, person=b"admission", digest_size=32).digest()


def tickets_won(
    session: Session,
    ctx: Context,
    campaign: Campaign,
    asker: int,
    chance: float,
    *,
    task_seconds: float,
    most: int,
) -> int:
    """The asker's winning tickets now, up to ``most``: each allows one new offer. ``chance``
    is their ``selection.admission_chance``; ``task_seconds`` the campaign's modelled task
    time, whose pacing interval is a ticket's slot (the wait ``offers.ask_again_after``
    tells)."""
    if chance <= 0 or most <= 0:
        return 0
    now = ctx.now()
    pacing = selection.pacing_seconds(task_seconds)
    origin = campaign.launched_at or campaign.created_at

    def slot(moment: datetime) -> int:
        return selection.slot_of((moment - origin).total_seconds(), pacing)

    hold = admission_store.last_hold(session, campaign.id, asker, now)
    if hold is None:
        slots = selection.ticket_slots(slot(now))
    else:
        made, ended = hold
        held = (slot(made), slot(ended) if ended is not None else None)
        slots = selection.ticket_slots(slot(now), held)
    key = admission_key(ctx.settings)
    return selection.tickets_won(
        chance, slots, lambda s: selection.ticket(key, campaign.id, asker, s), most=most
    )
