"""Importing parallel corpora into the database: all pairs or nothing (SPEC §4)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crowdset.core.filtering import Pipeline, default_rules, requested_rules, with_languages
from crowdset.errors import ImportFailed
from crowdset.formats.parallel import ParallelFormat, read_pairs
from crowdset.formats.parallel_run import filter_chunks
from crowdset.formats.parallel_writers import JsonlPairWriter
from crowdset.services import corpora
from crowdset.services.accounts import Principal
from crowdset.services.context import Context
from crowdset.storage.models import Corpus, CorpusPair

GOOD = "".join(f"Sentence number {n}.\tSatz Nummer {n}.\n" for n in range(1, 41))


def _rows(ctx: Context) -> tuple[int, int]:
    def count(session: Session) -> tuple[int, int]:
        corpora_ = session.execute(select(func.count()).select_from(Corpus)).scalar_one()
        pairs = session.execute(select(func.count()).select_from(CorpusPair)).scalar_one()
        return int(corpora_), int(pairs)

    return ctx.db.run(count, readonly=True)


def _import(ctx: Context, viewer: Principal, paths: list[Path], fmt: ParallelFormat) -> None:
    corpora.import_corpus(
        ctx,
        viewer,
        read_pairs(paths, fmt, chunk_size=7),  # small chunks: earlier ones are inserted first
        name="news",
        origin=", ".join(map(str, paths)),
    )


def test_a_good_import_keeps_every_pair_with_its_line(
    ctx: Context, requester: Principal, tmp_path: Path
) -> None:
    path = tmp_path / "good.tsv"
    path.write_text(GOOD, encoding="utf-8")
    _import(ctx, requester, [path], ParallelFormat.TSV)
    (view,) = corpora.list_corpora(ctx, requester)
    assert view.pairs == 40
    items = corpora.review_items(ctx, requester, view.id)
    assert (items[4].external_id, items[4].text, items[4].target) == (
        "5",
        "Sentence number 5.",
        "Satz Nummer 5.",
    )


@pytest.mark.parametrize(
    ("case", "line"),
    [("mixed_encodings", 23), ("missing_tab", 31), ("unequal_moses", 41)],
)
def test_a_malformed_import_names_the_line_and_leaves_the_database_as_it_was(
    ctx: Context, requester: Principal, tmp_path: Path, case: str, line: int
) -> None:
    good = tmp_path / "first.tsv"
    good.write_text(GOOD, encoding="utf-8")
    _import(ctx, requester, [good], ParallelFormat.TSV)
    before = _rows(ctx)
    lines = GOOD.splitlines(keepends=True)
    if case == "mixed_encodings":
        path = tmp_path / "mixed.tsv"
        lines[22] = "Caf\u00e9 au lait.\tMilchkaffee.\n"
        body = (
            "".join(lines)
            .encode("utf-8")
            .replace("Caf\u00e9".encode(), "Caf\u00e9".encode("latin-1"))
        )
        path.write_bytes(body)
        paths, fmt = [path], ParallelFormat.TSV
    elif case == "missing_tab":
        path = tmp_path / "tabless.tsv"
        lines[30] = "A sentence without its translation.\n"
        path.write_text("".join(lines), encoding="utf-8")
        paths, fmt = [path], ParallelFormat.TSV
    else:
        source, target = tmp_path / "news.en", tmp_path / "news.de"
        source.write_text("".join(f"Sentence {n}.\n" for n in range(1, 42)), encoding="utf-8")
        target.write_text("".join(f"Satz {n}.\n" for n in range(1, 41)), encoding="utf-8")
        paths, fmt = [source, target], ParallelFormat.MOSES
    with pytest.raises(ImportFailed) as failure:
        _import(ctx, requester, paths, fmt)
    assert failure.value.fields["line"] == line
    assert f"{line}" in str(failure.value)
    assert _rows(ctx) == before  # nothing half-imported


REVIEW_PAIRS = Path(__file__).parents[2] / "examples" / "review-pairs.tsv"


def test_an_import_through_the_filters_stores_what_corpus_filter_keeps(
    ctx: Context, requester: Principal
) -> None:
    view = corpora.import_corpus(
        ctx,
        requester,
        read_pairs([REVIEW_PAIRS], ParallelFormat.TSV, chunk_size=7),
        name="news",
        origin=REVIEW_PAIRS.name,
        source_lang="en",
        target_lang="de",
        filters=default_rules(),
    )
    # the same file through `crowdset corpus filter`'s runner, written as JSONL with lines
    pipeline = Pipeline(with_languages(default_rules(), "en", "de"))
    written = io.StringIO()
    expected = filter_chunks(
        read_pairs([REVIEW_PAIRS], ParallelFormat.TSV), pipeline, JsonlPairWriter(written)
    )
    kept_lines = [json.loads(row)["line"] for row in written.getvalue().splitlines()]
    assert (view.pairs, len(kept_lines)) == (35, 35)  # the walk-through's 35 of 40
    stored = corpora.review_items(ctx, requester, view.id)
    assert [int(item.external_id) for item in stored] == kept_lines
    assert view.filter_report == expected.to_dict()
    assert view.filter_report is not None
    assert (view.filter_report["total"], view.filter_report["kept"]) == (40, 35)
    duplicate = next(r for r in view.filter_report["rules"] if r["name"] == "duplicate")
    assert duplicate["removed"] == 1
    assert duplicate["examples"] == [{"line": 23, "reason": "duplicate of line 6"}]
    (listed,) = corpora.list_corpora(ctx, requester)
    assert listed.filter_report == view.filter_report  # stored, not only returned


def test_an_import_the_filters_empty_fails_and_keeps_nothing(
    ctx: Context, requester: Principal, tmp_path: Path
) -> None:
    path = tmp_path / "copies.tsv"
    path.write_text("".join(f"Hello number {n} here.\tHello number {n} here.\n" for n in range(9)))
    before = _rows(ctx)
    with pytest.raises(ImportFailed, match="the filters removed all 9 pairs"):
        corpora.import_corpus(
            ctx,
            requester,
            read_pairs([path], ParallelFormat.TSV),
            name="copies",
            origin=path.name,
            filters=default_rules(),
        )
    assert _rows(ctx) == before


def test_the_filters_check_the_corpus_languages(
    ctx: Context, requester: Principal, tmp_path: Path
) -> None:
    english = "The committee will publish its annual report on the regional economy next week."
    german = "Der Ausschuss wird nächste Woche seinen Jahresbericht zur Wirtschaft vorlegen."
    path = tmp_path / "swapped.tsv"
    path.write_text(f"{english}\t{german}\n{german}\t{english}\n", encoding="utf-8")
    view = corpora.import_corpus(
        ctx,
        requester,
        read_pairs([path], ParallelFormat.TSV),
        name="swapped",
        origin=path.name,
        source_lang="en",
        target_lang="de",
        filters=requested_rules("- language: {}"),
    )
    assert view.pairs == 1
    assert view.filter_report is not None
    (language,) = view.filter_report["rules"]
    assert language["examples"] == [
        {"line": 2, "reason": "language src=de (expected en), tgt=en (expected de)"}
    ]
