"""Parallel corpora in the database (SPEC §4 import): all pairs or nothing.

An import streams the reader's chunks into one transaction; a malformed line anywhere (bad
encoding, a missing tab, unequal Moses files, broken TMX or JSONL) raises ``ImportFailed`` with
its line number and the transaction rolls back, so the database is as it was. An import may run
the machine filters on the way in: then only the kept pairs are stored, each with its input
line, and the per-rule report is stored with the corpus.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from crowdset.core.filtering import FilterReport, PairChunk, Pipeline, Rule, with_languages
from crowdset.core.labeling.items import ItemRow, with_challenges
from crowdset.core.labeling.spec import LabelingSpec
from crowdset.core.permissions import Action, Role, authorize
from crowdset.errors import Conflict, ImportFailed, InvalidInput, NotFound
from crowdset.formats.parallel_run import kept_chunks
from crowdset.services import campaigns
from crowdset.services.accounts import Principal
from crowdset.services.campaigns import CampaignView
from crowdset.services.context import Context
from crowdset.storage import corpus_store as store
from crowdset.storage.models import Corpus


@dataclass(frozen=True)
class CorpusView:
    id: int
    name: str
    source_lang: str | None
    target_lang: str | None
    origin: str
    pairs: int
    created_at: datetime
    filter_report: dict[str, Any] | None = None
    """When the machine filters ran on import: :meth:`FilterReport.to_dict` (pairs read, kept,
    and per rule how many it removed, with examples)."""


def _view(corpus: Corpus) -> CorpusView:
    return CorpusView(
        corpus.id,
        corpus.name,
        corpus.source_lang,
        corpus.target_lang,
        corpus.origin,
        corpus.pairs,
        corpus.created_at,
        corpus.filter_report,
    )


def import_corpus(
    ctx: Context,
    viewer: Principal,
    chunks: Iterable[PairChunk],
    *,
    name: str,
    origin: str,
    source_lang: str | None = None,
    target_lang: str | None = None,
    on_chunk: Callable[[int], None] | None = None,
    filters: Sequence[Rule] | None = None,
) -> CorpusView:
    """Store every pair the reader yields, in one transaction; ``on_chunk(pairs)`` reports
    progress. Nothing is kept if any line is malformed.

    With ``filters`` (a pipeline, e.g. :func:`~crowdset.core.filtering.default_rules`), only
    the pairs they keep are stored; language rules without languages take the corpus's.
    """
    authorize(viewer.role, Action.RUN_CAMPAIGNS)
    name = name.strip()
    if not 1 <= len(name) <= 200:
        raise InvalidInput("a corpus name has 1 to 200 characters", field="name")

    stream = iter(chunks)
    report: FilterReport | None = None
    if filters is not None:
        languages = with_languages(filters, source_lang, target_lang, source="corpus languages")
        pipeline = Pipeline(languages)
        report = FilterReport.for_rules(pipeline.names)
        stream = kept_chunks(stream, pipeline, report)
    started = False

    def work(session: Session) -> CorpusView:
        nonlocal started
        if started:  # a retried transaction cannot re-read a stream: say so, keep nothing
            raise Conflict("the import met a concurrent write and was rolled back; run it again")
        started = True
        corpus = Corpus(
            owner_id=viewer.user_id,
            name=name,
            source_lang=source_lang,
            target_lang=target_lang,
            origin=origin[:500],
            pairs=0,
            created_at=ctx.now(),
        )
        session.add(corpus)
        session.flush()
        read = 0  # pairs read so far, for progress (more than stored when filtering)
        for chunk in stream:
            store.add_chunk(session, corpus.id, chunk)
            corpus.pairs += len(chunk.src)
            if on_chunk is not None:
                now = report.total if report is not None else corpus.pairs
                on_chunk(now - read)
                read = now
        if report is not None:
            corpus.filter_report = report.to_dict()
            if corpus.pairs == 0 and report.total:
                raise ImportFailed(
                    f"{origin}: the filters removed all {report.total:,} pairs; nothing to "
                    "import (see which rules with `crowdset corpus filter`)",
                    file=origin,
                    line=None,
                )
        if corpus.pairs == 0:
            raise ImportFailed(f"{origin}: no sentence pairs", file=origin, line=None)
        return _view(corpus)

    return ctx.db.run(work)


def _visible(session: Session, viewer: Principal, corpus_id: int) -> Corpus:
    corpus = store.corpus(session, corpus_id)
    if viewer.role is not Role.OPERATOR and corpus.owner_id != viewer.user_id:
        raise NotFound(f"no corpus has id {corpus_id}", corpus_id=corpus_id)
    return corpus


def list_corpora(
    ctx: Context,
    viewer: Principal,
    *,
    name_contains: str | None = None,
    after: int | None = None,
    limit: int | None = None,
) -> list[CorpusView]:
    """The viewer's corpora (an operator's: all) in id order, whose name contains
    ``name_contains`` (any case); ``limit`` of them with an id above ``after``."""
    authorize(viewer.role, Action.RUN_CAMPAIGNS)
    mine = None if viewer.role is Role.OPERATOR else viewer.user_id

    def work(session: Session) -> list[CorpusView]:
        found = store.corpora(session, mine, name_contains=name_contains, after=after, limit=limit)
        return [_view(c) for c in found]

    return ctx.db.run(work, readonly=True)


def get_corpus(ctx: Context, viewer: Principal, corpus_id: int) -> CorpusView:
    authorize(viewer.role, Action.RUN_CAMPAIGNS)
    return ctx.db.run(lambda s: _view(_visible(s, viewer, corpus_id)), readonly=True)


def review_items(ctx: Context, viewer: Principal, corpus_id: int) -> list[ItemRow]:
    """The corpus's pairs as the items of a review campaign (ids are the input lines)."""
    authorize(viewer.role, Action.RUN_CAMPAIGNS)

    def work(session: Session) -> list[ItemRow]:
        _visible(session, viewer, corpus_id)
        return [
            ItemRow(str(p.line), p.source, None, None, p.target)
            for p in store.pairs(session, corpus_id)
        ]

    return ctx.db.run(work, readonly=True)


def create_review(
    ctx: Context,
    viewer: Principal,
    spec: LabelingSpec,
    corpus_id: int,
    challenges: list[ItemRow] | None = None,
) -> CampaignView:
    """A draft review campaign over every pair of an imported corpus, with the challenge pairs
    (rows with a gold star) given beside it. The corpus stays as it is: its pairs are copied."""
    pairs = review_items(ctx, viewer, corpus_id)
    items = with_challenges(pairs, challenges or [], spec, source=f"corpus {corpus_id}")
    return campaigns.create_campaign(ctx, viewer, spec, items)
