"""Parallel-corpus readers and writers: round trips, chunking, and exact line numbers on errors."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crowdset.core.filtering import PairChunk
from crowdset.errors import ImportFailed
from crowdset.formats.parallel import (
    ParallelFormat,
    iter_lines,
    read_jsonl,
    read_moses,
    read_pairs,
    read_tsv,
)
from crowdset.formats.parallel_tmx import read_tmx
from crowdset.formats.parallel_writers import (
    JsonlPairWriter,
    MosesPairWriter,
    TmxPairWriter,
    TsvPairWriter,
)

Pairs = list[tuple[str, str]]


def pairs_of(chunks: list[PairChunk]) -> Pairs:
    return [pair for chunk in chunks for pair in zip(chunk.src, chunk.tgt, strict=True)]


def lines_of(chunks: list[PairChunk]) -> list[int]:
    return [line for chunk in chunks for line in chunk.lines.tolist()]


# TSV and Moses cannot hold line breaks (nor TSV tabs); a leading byte-order mark would be read
# as one. XML cannot hold most control characters. JSONL holds any text.
_LINE_TEXT = st.text(
    st.characters(exclude_characters="\t\n\r\ufeff", exclude_categories=["Cs"]), max_size=30
)
_XML_TEXT = st.text(
    st.characters(exclude_categories=("Cs", "Cc"), exclude_characters="\ufffe\uffff")
    | st.sampled_from("\t\n\r"),
    max_size=30,
)
_ANY_TEXT = st.text(max_size=30)
_HYPOTHESIS = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def _write(path: Path, writer_cls: type, pairs: Pairs, *extra: str) -> None:
    with path.open("w", encoding="utf-8", newline="\n") as handle:
        writer = writer_cls(handle, *extra)
        writer.write(
            [s for s, _ in pairs],
            [t for _, t in pairs],
            list(range(len(pairs))),
            [None] * len(pairs),
        )
        writer.close()


@_HYPOTHESIS
@given(pairs=st.lists(st.tuples(_LINE_TEXT, _LINE_TEXT), max_size=12))
def test_tsv_round_trip(tmp_path: Path, pairs: Pairs) -> None:
    path = tmp_path / "c.tsv"
    _write(path, TsvPairWriter, pairs)
    assert pairs_of(list(read_tsv(path, chunk_size=5))) == pairs


@_HYPOTHESIS
@given(pairs=st.lists(st.tuples(_LINE_TEXT | st.just("a\tb"), _LINE_TEXT), max_size=12))
def test_moses_round_trip(tmp_path: Path, pairs: Pairs) -> None:
    src, tgt = tmp_path / "c.en", tmp_path / "c.de"
    with src.open("w", encoding="utf-8") as s, tgt.open("w", encoding="utf-8") as t:
        writer = MosesPairWriter(s, t)
        writer.write([a for a, _ in pairs], [b for _, b in pairs], [], [])
    # Moses files may hold tabs, unlike TSV
    assert pairs_of(list(read_moses(src, tgt, chunk_size=5))) == pairs


@_HYPOTHESIS
@given(pairs=st.lists(st.tuples(_ANY_TEXT, _ANY_TEXT), max_size=12))
def test_jsonl_round_trip(tmp_path: Path, pairs: Pairs) -> None:
    path = tmp_path / "c.jsonl"
    _write(path, JsonlPairWriter, pairs)
    chunks = list(read_jsonl(path, chunk_size=5))
    assert pairs_of(chunks) == pairs
    assert lines_of(chunks) == list(range(1, len(pairs) + 1))


@_HYPOTHESIS
@given(pairs=st.lists(st.tuples(_XML_TEXT, _XML_TEXT), max_size=12))
def test_tmx_round_trip(tmp_path: Path, pairs: Pairs) -> None:
    path = tmp_path / "c.tmx"
    _write(path, TmxPairWriter, pairs, "en", "de")
    assert pairs_of(list(read_tmx(path, src_lang="en", tgt_lang="de", chunk_size=5))) == pairs


def test_writers_replace_breaks_the_format_cannot_hold() -> None:
    tsv, moses_src, moses_tgt = io.StringIO(), io.StringIO(), io.StringIO()
    TsvPairWriter(tsv).write(["a\tb", "c\nd"], ["e\r\nf", "g"], [1, 2], [None, None])
    MosesPairWriter(moses_src, moses_tgt).write(["a\tb", "c\nd"], ["e", "g"], [1, 2], [])
    assert tsv.getvalue() == "a b\te  f\nc d\tg\n"
    assert moses_src.getvalue() == "a\tb\nc d\n"


def test_jsonl_writer_includes_line_and_scores() -> None:
    out = io.StringIO()
    JsonlPairWriter(out).write(["a"], ["b"], [7], [{"length_ratio": {"ratio": 1.0}}])
    assert out.getvalue() == (
        '{"line": 7, "src": "a", "tgt": "b", "scores": {"length_ratio": {"ratio": 1.0}}}\n'
    )


def test_iter_lines_across_small_blocks_keeps_numbers(tmp_path: Path) -> None:
    path = tmp_path / "f.txt"
    path.write_bytes("\ufeffé1\r\nline2\nthird line\nlast".encode())
    blocks = list(iter_lines(path, block_bytes=4))
    assert [line for _, lines in blocks for line in lines] == ["é1", "line2", "third line", "last"]
    starts = [first for first, _ in blocks]
    sizes = [len(lines) for _, lines in blocks]
    assert starts == [1 + sum(sizes[:k]) for k in range(len(sizes))]


def test_tsv_columns_and_header(tmp_path: Path) -> None:
    path = tmp_path / "c.tsv"
    path.write_text("id\ten\tde\n1\tHello\tHallo\n2\tBye\tTschüss\n", encoding="utf-8")
    chunks = list(read_tsv(path, columns=(2, 3), header=True))
    assert pairs_of(chunks) == [("Hello", "Hallo"), ("Bye", "Tschüss")]
    assert lines_of(chunks) == [2, 3]


def _import_error(call: object) -> ImportFailed:
    with pytest.raises(ImportFailed) as caught:
        list(call())  # type: ignore[operator]
    return caught.value


def test_tsv_missing_tab_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "c.tsv"
    path.write_text("a\tb\nc\td\ne f\ng\th\n", encoding="utf-8")
    error = _import_error(lambda: read_tsv(path))
    assert error.fields["line"] == 3
    assert str(error) == (
        f"{path}:3: 1 tab-separated column(s), expected 2 like line 1; a tab is missing on this "
        "line (sentences cannot contain tabs in TSV)"
    )


def test_tsv_extra_tab_far_into_the_file(tmp_path: Path) -> None:
    path = tmp_path / "c.tsv"
    path.write_text("a\tb\n" * 70_000 + "a\tb\tc\n", encoding="utf-8")
    error = _import_error(lambda: read_tsv(path))
    assert error.fields["line"] == 70_001
    assert "there is an extra tab" in str(error)


def test_tsv_too_few_columns_for_the_selection(tmp_path: Path) -> None:
    path = tmp_path / "c.tsv"
    path.write_text("a\tb\n", encoding="utf-8")
    error = _import_error(lambda: read_tsv(path, columns=(3, 4)))
    assert error.fields["line"] == 1
    assert "columns 3 and 4 were asked for" in str(error)


def test_bad_encoding_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "c.tsv"
    path.write_bytes("ok\tgut\nüber\tover\n".encode() + "caf\xe9\tcafe\n".encode("latin-1"))
    error = _import_error(lambda: read_tsv(path))
    assert error.fields["line"] == 3
    assert error.fields["column"] == 4
    assert "not valid UTF-8 (byte 0xe9 at column 4)" in str(error)
    assert "iconv" in str(error)


def test_moses_unequal_files_names_the_line(tmp_path: Path) -> None:
    src, tgt = tmp_path / "c.en", tmp_path / "c.de"
    src.write_text("a\nb\nc\n", encoding="utf-8")
    tgt.write_text("x\ny\n", encoding="utf-8")
    error = _import_error(lambda: read_moses(src, tgt))
    assert error.fields["line"] == 3
    assert error.fields["file"] == str(src)
    assert str(error).startswith(f"{src}:3: no partner line, {tgt} has only 2 lines")
    error = _import_error(lambda: read_moses(tgt, src))
    assert error.fields == {"file": str(src), "line": 3, "other_file": str(tgt)}


def test_moses_empty_lines_are_empty_sentences(tmp_path: Path) -> None:
    src, tgt = tmp_path / "c.en", tmp_path / "c.de"
    src.write_text("a\n\nc\n", encoding="utf-8")
    tgt.write_text("x\ny\n\n", encoding="utf-8")
    assert pairs_of(list(read_moses(src, tgt))) == [("a", "x"), ("", "y"), ("c", "")]


@pytest.mark.parametrize(
    ("content", "line", "message"),
    [
        pytest.param(
            '{"src": "a", "tgt": "b"}\n{"src": "a", "tgt": \n',
            2,
            "not valid JSON",
            id="broken-json",
        ),
        pytest.param(
            '{"src": "a", "tgt": "b"}\n\n["a", "b"]\n',
            3,
            "a JSON list, not an object",
            id="not-object",
        ),
        pytest.param('{"src": "a"}\n', 1, "field(s) tgt missing or not text", id="missing-key"),
        pytest.param('{"src": "a", "tgt": 3}\n', 1, "field(s) tgt missing", id="not-text"),
        pytest.param('{"src": "\\ud800", "tgt": "b"}\n', 1, "lone surrogate", id="surrogate"),
    ],
)
def test_jsonl_errors_name_the_line(tmp_path: Path, content: str, line: int, message: str) -> None:
    path = tmp_path / "c.jsonl"
    path.write_text(content, encoding="utf-8")
    error = _import_error(lambda: read_jsonl(path))
    assert error.fields["line"] == line
    assert message in str(error)


_TMX_HEAD = '<?xml version="1.0"?>\n<tmx version="1.4"><header srclang="en"/>\n<body>\n'


def test_tmx_reads_inline_markup_and_lines(tmp_path: Path) -> None:
    path = tmp_path / "c.tmx"
    path.write_text(
        _TMX_HEAD + '<tu>\n<tuv xml:lang="en-GB"><seg>Press <bpt i="1">&lt;b&gt;</bpt>OK'
        '<ept i="1">&lt;/b&gt;</ept> now</seg></tuv>\n'
        '<tuv xml:lang="de-DE"><seg>Drücken Sie <hi>OK</hi></seg></tuv>\n</tu>\n'
        '<tu><tuv lang="EN"><seg>Yes</seg></tuv><tuv lang="de"><seg>Ja</seg></tuv></tu>\n'
        "</body></tmx>\n",
        encoding="utf-8",
    )
    chunks = list(read_tmx(path))
    assert pairs_of(chunks) == [("Press OK now", "Drücken Sie OK"), ("Yes", "Ja")]
    assert lines_of(chunks) == [4, 8]


def test_tmx_broken_xml_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "c.tmx"
    path.write_text(
        _TMX_HEAD + '<tu><tuv xml:lang="en"><seg>a</seg></tuv>\n<tuv xml:lang="de"><seg>b</tuv>'
        "</tu>\n</body></tmx>\n",
        encoding="utf-8",
    )
    error = _import_error(lambda: read_tmx(path))
    assert error.fields["line"] == 5
    assert "broken XML (mismatched tag" in str(error)


def test_tmx_unit_without_the_language_names_its_line(tmp_path: Path) -> None:
    path = tmp_path / "c.tmx"
    path.write_text(
        _TMX_HEAD + '<tu><tuv xml:lang="en"><seg>a</seg></tuv><tuv xml:lang="de"><seg>b</seg>'
        '</tuv></tu>\n<tu><tuv xml:lang="en"><seg>a</seg></tuv>\n<tuv xml:lang="fr"><seg>b'
        "</seg></tuv></tu>\n</body></tmx>\n",
        encoding="utf-8",
    )
    error = _import_error(lambda: read_tmx(path, tgt_lang="de"))
    assert error.fields["line"] == 5
    assert "<tu> has no segment in de (it has en, fr)" in str(error)


def test_tmx_truncated_file(tmp_path: Path) -> None:
    path = tmp_path / "c.tmx"
    path.write_text(_TMX_HEAD + '<tu><tuv xml:lang="en"><seg>a', encoding="utf-8")
    error = _import_error(lambda: read_tmx(path))
    assert error.fields["line"] == 4
    assert "check the file is complete" in str(error)


def test_read_pairs_checks_the_number_of_files(tmp_path: Path) -> None:
    path = tmp_path / "c.tsv"
    path.write_text("a\tb\n", encoding="utf-8")
    with pytest.raises(ImportFailed, match="format moses reads 2 file"):
        read_pairs([path], ParallelFormat.MOSES)


def test_missing_file(tmp_path: Path) -> None:
    error = _import_error(lambda: read_tsv(tmp_path / "nope.tsv"))
    assert "cannot open" in str(error)
