"""Ledger anchors (issue 17): the chain proves the ledger was not edited since its head was
seen, but someone who can write the database could rewind it — delete the newest
transactions, fix the cached balances, move the head back — and the chain would verify. An
anchor is the global head (its position, its hash, the time) written outside the database, to
an append-only file; ``verify_anchors`` fails when the chain no longer holds an anchored head.

The file holds one JSON object a line: ``{"seq": 41, "hash": "…", "at": "2026-12-07T…Z"}``.
``seq`` and ``hash`` are the global head as ``ledger_store.recorded_head`` gives it.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from crowdset.core.ledger import GENESIS_HASH
from crowdset.errors import InvalidInput
from crowdset.services import ledger
from crowdset.services.context import Context
from crowdset.storage import ledger_store, models


@dataclass(frozen=True)
class Anchor:
    seq: int
    hash: str
    at: str


def anchor_file(ctx: Context, path: Path | None = None) -> Path:
    found = path or ctx.settings.ledger_anchor_file
    if found is None:
        raise InvalidInput(
            "no anchor file: set ledger_anchor_file (CROWDSET_LEDGER_ANCHOR_FILE) or name one "
            "with --file",
            field="ledger_anchor_file",
        )
    return found


def _link_hash(session: Session, seq: int) -> str | None:
    """The hash of link ``seq`` of the global chain (``None``: the chain has no such link)."""
    if seq == 0:
        return GENESIS_HASH
    # the global chain: seals where the ledger seals its streams, else the transactions
    model: Any = getattr(models, "LedgerSeal", None) or models.LedgerTransaction
    row = session.get(model, seq)
    return None if row is None else str(row.hash)


def anchor(ctx: Context, path: Path | None = None) -> Anchor:
    """Append the ledger's current global head to the anchor file (made if missing) and flush
    it to disk. A ledger that seals its streams is sealed first, so the head covers every
    transaction so far."""
    target = anchor_file(ctx, path)
    seal = getattr(ledger, "seal", None)
    if callable(seal):
        seal(ctx)
    seq, digest = ctx.db.run(ledger_store.recorded_head, readonly=True)
    made = Anchor(seq=int(seq), hash=str(digest), at=ctx.now().isoformat())
    with target.open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(asdict(made), sort_keys=True) + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    return made


def read_anchors(path: Path) -> list[Anchor]:
    """Every anchor of the file, in order; a bad line is named."""
    if not path.is_file():
        raise InvalidInput(f"anchor file {str(path)!r} does not exist", field="anchors")
    found = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            found.append(Anchor(seq=int(data["seq"]), hash=str(data["hash"]), at=str(data["at"])))
        except (ValueError, KeyError, TypeError):
            raise InvalidInput(
                f"anchor file {str(path)!r} line {number} is not an anchor "
                '({"seq": …, "hash": …, "at": …})',
                field="anchors",
                line=number,
            ) from None
    return found


def verify_anchors(ctx: Context, anchors: list[Anchor]) -> list[str]:
    """Problems, one per anchored head the chain no longer holds (empty: every one is held)."""

    def work(session: Session) -> list[str]:
        head_seq, _ = ledger_store.recorded_head(session)
        problems = []
        for found in anchors:
            if found.seq > head_seq:
                problems.append(
                    f"anchored head {found.seq} (at {found.at}) is past the chain's head "
                    f"{head_seq}: the ledger was rewound"
                )
            elif _link_hash(session, found.seq) != found.hash:
                problems.append(
                    f"the chain no longer holds the head anchored at {found.at} (link "
                    f"{found.seq}, hash {found.hash[:12]}…): the ledger was rewound or rewritten"
                )
        return problems

    return ctx.db.run(work, readonly=True)
