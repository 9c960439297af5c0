"""Running a filter pipeline over a streamed corpus, on every core, writing atomically.

The reading process parses chunks and sends them to worker processes that score them
(:meth:`Pipeline.evaluate`, pure); results come back in input order, and the reading process
alone decides duplicates (:class:`Decider`), so deduplication is exact across chunks and
workers. At most ``2 × workers`` chunks are in flight, so memory stays bounded whatever the
corpus size. Output goes to ``*.part`` files renamed into place only when the whole input was
read: an input error leaves nothing half-written.
"""

from __future__ import annotations

import gc
import multiprocessing
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import IO

import numpy as np

from crowdset.core.filtering import (
    ChunkVerdict,
    Decider,
    Decisions,
    FilterReport,
    PairChunk,
    Pipeline,
)
from crowdset.formats.parallel_writers import PairWriter, RejectedWriter

ProgressCallback = Callable[[FilterReport], None]

_worker_pipeline: Pipeline | None = None


def _init_worker(pipeline: Pipeline) -> None:
    global _worker_pipeline  # one pipeline per worker process, set once at start
    _worker_pipeline = pipeline


def _evaluate(chunk: PairChunk) -> ChunkVerdict:
    assert _worker_pipeline is not None, "worker started without _init_worker"
    return _worker_pipeline.evaluate(chunk)


def _hash_probe() -> int:
    return hash(("crowdset", "duplicate-keys"))


def _verdicts(
    chunks: Iterable[PairChunk], pipeline: Pipeline, workers: int
) -> Iterator[tuple[PairChunk, ChunkVerdict]]:
    if workers <= 1:
        for chunk in chunks:
            yield chunk, pipeline.evaluate(chunk)
        return
    # fork, not spawn: duplicate keys are hash() values, equal only in processes that share
    # the parent's hash seed (checked below); forking also skips re-importing in each worker
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(
        max_workers=workers, mp_context=context, initializer=_init_worker, initargs=(pipeline,)
    ) as pool:
        if pool.submit(_hash_probe).result() != _hash_probe():
            raise RuntimeError("worker processes hash differently; run with workers=1")
        pending: deque[tuple[PairChunk, Future[ChunkVerdict]]] = deque()
        for chunk in chunks:
            pending.append((chunk, pool.submit(_evaluate, chunk)))
            if len(pending) > 2 * workers:
                done, future = pending.popleft()
                yield done, future.result()
        while pending:
            done, future = pending.popleft()
            yield done, future.result()


@contextmanager
def _fewer_collections(first_generation: int = 50_000) -> Iterator[None]:
    """Collect garbage less often while filtering, and skip what existed before.

    Every chunk allocates many short-lived lists and tuples, and Python's default collects its
    youngest generation every 700 of them, walking the survivors again and again (about 3% of a
    run). Objects that exist before (modules, the pipeline) are frozen: collections skip them,
    and forked workers do not copy the pages collections would touch. Both are undone after.
    """
    thresholds = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(max(first_generation, thresholds[0]), *thresholds[1:])
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()


def filter_chunks(
    chunks: Iterable[PairChunk],
    pipeline: Pipeline,
    kept: PairWriter,
    rejected: RejectedWriter | None = None,
    *,
    workers: int = 1,
    on_progress: ProgressCallback | None = None,
) -> FilterReport:
    """Filter every chunk, write kept and rejected pairs, and return the per-rule report."""
    with _fewer_collections():
        return _filter_chunks(chunks, pipeline, kept, rejected, workers, on_progress)


def decided_chunks(
    chunks: Iterable[PairChunk], pipeline: Pipeline, report: FilterReport, *, workers: int = 1
) -> Iterator[tuple[PairChunk, ChunkVerdict, Decisions]]:
    """Each chunk with its verdict and final decisions, in input order; ``report`` counts them.

    Duplicates are decided here, in this process, so the chunks must come in input order.
    """
    decider = Decider(pipeline)
    for chunk, verdict in _verdicts(chunks, pipeline, workers):
        decisions = decider.decide(verdict)
        report.add(decisions)
        yield chunk, verdict, decisions


def kept_chunks(
    chunks: Iterable[PairChunk], pipeline: Pipeline, report: FilterReport
) -> Iterator[PairChunk]:
    """The pairs the pipeline keeps, chunk by chunk, with their input lines.

    One process, and the garbage collector left as it is: this runs inside the server.
    """
    for chunk, _, decisions in decided_chunks(chunks, pipeline, report):
        yield chunk.take(np.flatnonzero(decisions.kept))


def _filter_chunks(
    chunks: Iterable[PairChunk],
    pipeline: Pipeline,
    kept: PairWriter,
    rejected: RejectedWriter | None,
    workers: int,
    on_progress: ProgressCallback | None,
) -> FilterReport:
    report = FilterReport.for_rules(pipeline.names, all_reasons=pipeline.all_reasons)
    names = pipeline.names
    for chunk, verdict, decisions in decided_chunks(chunks, pipeline, report, workers=workers):
        keep = np.flatnonzero(decisions.kept)
        src, tgt = chunk.src, chunk.tgt
        if len(keep) == len(chunk):
            kept_src, kept_tgt = src, tgt
        else:
            kept_src = list(map(src.__getitem__, keep.tolist()))
            kept_tgt = list(map(tgt.__getitem__, keep.tolist()))
        kept.write(
            kept_src,
            kept_tgt,
            chunk.lines[keep].tolist(),
            [verdict.scores.get(i) for i in keep.tolist()]
            if pipeline.with_scores
            else [None] * len(keep),
        )
        if rejected is not None:
            drop = np.flatnonzero(~decisions.kept).tolist()
            rejected.write(
                [src[i] for i in drop],
                [tgt[i] for i in drop],
                chunk.lines[drop].tolist(),
                [[(names[k], why) for k, why in decisions.reasons[i]] for i in drop],
                all_reasons=pipeline.all_reasons,
            )
        if on_progress is not None:
            on_progress(report)
    kept.close()
    return report


@contextmanager
def atomic_outputs(paths: Sequence[Path]) -> Iterator[list[IO[str]]]:
    """Text files written as ``NAME.part`` and renamed to ``NAME`` only if no error occurred."""
    parts = [path.with_name(path.name + ".part") for path in paths]
    handles: list[IO[str]] = []
    try:
        for part in parts:
            handles.append(part.open("w", encoding="utf-8", newline="\n"))
        yield handles
    except BaseException:
        for handle in handles:
            handle.close()
        for part in parts:
            part.unlink(missing_ok=True)
        raise
    for handle in handles:
        handle.close()
    for part, path in zip(parts, paths, strict=True):
        part.replace(path)


def count_lines(paths: Sequence[Path], block_bytes: int = 1 << 22) -> int:
    """Lines in the first file, read in binary blocks (for a progress total, ~1 GB/s)."""
    total = 0
    with paths[0].open("rb") as handle:
        while block := handle.read(block_bytes):
            total += block.count(b"\n")
    return total
