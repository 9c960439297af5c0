"""Named queries for parallel corpora. Never commits: services do."""

from __future__ import annotations

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from crowdset.core.filtering import PairChunk
from crowdset.errors import NotFound
from crowdset.storage.models import Corpus, CorpusPair


def add_chunk(session: Session, corpus_id: int, chunk: PairChunk) -> None:
    if not chunk.src:
        return
    session.execute(
        insert(CorpusPair),
        [
            {"corpus_id": corpus_id, "line": int(line), "source": source, "target": target}
            for source, target, line in zip(chunk.src, chunk.tgt, chunk.lines, strict=True)
        ],
    )


def corpus(session: Session, corpus_id: int) -> Corpus:
    found = session.get(Corpus, corpus_id)
    if found is None:
        raise NotFound(f"no corpus has id {corpus_id}", corpus_id=corpus_id)
    return found


def corpora(
    session: Session,
    owner_id: int | None = None,
    *,
    name_contains: str | None = None,
    after: int | None = None,
    limit: int | None = None,
) -> list[Corpus]:
    """Corpora in id order, of one owner, whose name contains ``name_contains`` (any case);
    ``limit`` of them with an id above ``after``."""
    statement = select(Corpus).order_by(Corpus.id)
    if owner_id is not None:
        statement = statement.where(Corpus.owner_id == owner_id)
    if name_contains:
        statement = statement.where(Corpus.name.icontains(name_contains, autoescape=True))
    if after is not None:
        statement = statement.where(Corpus.id > after)
    return list(session.execute(statement.limit(limit)).scalars())


def pairs(session: Session, corpus_id: int, *, limit: int | None = None) -> list[CorpusPair]:
    statement = select(CorpusPair).where(CorpusPair.corpus_id == corpus_id).order_by(CorpusPair.id)
    if limit is not None:
        statement = statement.limit(limit)
    return list(session.execute(statement).scalars())


def pair_count(session: Session) -> int:
    return int(session.execute(select(func.count()).select_from(CorpusPair)).scalar_one())
