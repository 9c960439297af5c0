"""The rules' fast paths give what the plain Python or regular-expression version gives.

Numbers, markup and duplicates are found with NumPy shortcuts (see each module's docstring);
each test here compares one shortcut with the straightforward version it replaces.
"""

from __future__ import annotations

import random
import re
import unicodedata
from collections import defaultdict

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from crowdset.core.filtering import Decider, PairChunk, Pipeline
from crowdset.core.filtering.chunk import SideText
from crowdset.core.filtering.rules.duplicates import Duplicate, SeenKeys, normalise_all
from crowdset.core.filtering.rules.entities import (
    _NUMBER,
    _SEPARATORS,
    _TRAILING,
    _URL_PREFIX,
    _URLS,
    SameEntities,
    _emails,
)
from crowdset.core.filtering.rules.markup import _MARKUP, Markup
from crowdset.core.filtering.unicode_tables import DIGIT, LETTER, SPACE, UPPER, char_classes

# pieces that exercise numbers (separators, groups of three, leading zeros, long and non-ASCII
# digits), e-mails, URLs, markup, line breaks and characters above the BMP
PIECES = [
    *"0123456789",
    *".,' \u00a0\u202f\u2009\n\t<>&;/@-_:",
    *"abcXYZéß",
    " 123",
    "1 234 567",
    "0001",
    "9" * 19,
    "\u0663\u0664",
    "\U0001d7d9",
    "\U0001f600",
    "a.b@c.de",
    "http://x.org/a.",
    "www.y.com",
    "<b>",
    "</a >",
    "&amp;",
    "&#12;",
]
texts = st.lists(st.sampled_from(PIECES), max_size=25).map("".join)
pairs = st.lists(st.tuples(texts, texts), max_size=8)


def reference_entities(rule: SameEntities, texts: list[str]) -> dict[int, set[tuple[str, str]]]:
    """Entities as found by running every pattern over the text (the plain version)."""
    found: dict[int, set[tuple[str, str]]] = defaultdict(set)
    for i, text in enumerate(texts):
        if rule.numbers:
            for match in _NUMBER.finditer(text):
                value = match.group().translate(_SEPARATORS).lstrip("0")
                if len(value) >= rule.min_digits:
                    found[i].add(("number", value))
        if rule.emails:
            for start, end, _ in _emails(text):
                found[i].add(("email", text[start:end].rstrip(_TRAILING).lower()))
        if rule.urls:
            for pattern in _URLS:
                for match in pattern.finditer(text):
                    value = _URL_PREFIX.sub("", match.group().rstrip(_TRAILING).lower())
                    found[i].add(("url", value))
    return found


@settings(max_examples=300, deadline=None)
@given(pairs=pairs, min_digits=st.integers(0, 5), numbers=st.booleans())
def test_same_entities_matches_the_patterns(
    pairs: list[tuple[str, str]], min_digits: int, numbers: bool
) -> None:
    rule = SameEntities(min_digits=min_digits, numbers=numbers)
    scores = rule.score(PairChunk.of(pairs))
    src = reference_entities(rule, [s for s, _ in pairs])
    tgt = reference_entities(rule, [t for _, t in pairs])
    for i in range(len(pairs)):
        left, right = src.get(i, set()), tgt.get(i, set())
        assert scores["unmatched"][i] == len(left ^ right)
        assert scores["only_src"][i] == (sorted(left - right) if left != right else None)
        assert scores["only_tgt"][i] == (sorted(right - left) if left != right else None)


@settings(max_examples=200, deadline=None)
@given(pairs=pairs)
def test_markup_matches_finditer(pairs: list[tuple[str, str]]) -> None:
    scores = Markup().score(PairChunk.of(pairs))
    # finditer over the sides joined by line breaks, as the rule always counted
    for side, texts_ in (("src", [s for s, _ in pairs]), ("tgt", [t for _, t in pairs])):
        joined = "\n".join(texts_)
        offsets = np.cumsum([0] + [len(t) + 1 for t in texts_])
        expected = np.zeros(len(texts_), dtype=np.int64)
        for match in _MARKUP.finditer(joined):
            expected[np.searchsorted(offsets, match.start(), side="right") - 1] += 1
        assert scores[side].tolist() == expected.tolist()


def test_character_classes_match_python() -> None:
    classes = char_classes(np.arange(0x10000, dtype=np.uint32)).tolist()
    digits = {m.start() for m in re.finditer(r"\d", "".join(map(chr, range(0x10000))))}
    for cp, bits in enumerate(classes):
        char = chr(cp)
        category = unicodedata.category(char)
        assert bool(bits & LETTER) == (category[0] in "LM"), hex(cp)
        assert bool(bits & UPPER) == (category in ("Lu", "Lt")), hex(cp)
        assert bool(bits & SPACE) == char.isspace(), hex(cp)
        assert bool(bits & DIGIT) == (cp in digits), hex(cp)  # what \d matches
    # above the BMP: digits as \d has them (mathematical digits, other scripts'); letters from
    # the script table only (CJK extensions), as before
    high = [0x1D7D9, 0x104A0, 0x1F600, 0x20000, 0x1D400]
    bits = char_classes(np.array(high, dtype=np.uint32)).tolist()
    assert [bool(b & DIGIT) for b in bits] == [True, True, False, False, False]
    assert [bool(b & LETTER) for b in bits] == [False, False, False, True, False]


def test_normalise_all_above_the_bmp() -> None:
    texts_ = ["\U0001f600 Ab", "\U00020000x", "ÀÉ 12", "\ud800a", "Ω"]
    side = PairChunk.of([(t, t) for t in texts_]).src_side
    assert normalise_all(side) == ["ab", "\U00020000x", "àé", "a", "ω"]


def test_side_text_offsets() -> None:
    side = SideText(["ab", "", "c d"])
    assert side.joined == "ab\n\nc d\n"
    assert side.starts.tolist() == [0, 3, 4]
    assert side.ends.tolist() == [2, 3, 7]
    assert side.count_per_segment(side.spaces).tolist() == [0, 0, 1]
    assert side.owners([0, 2, 3, 5]).tolist() == [0, 0, 1, 2]


def test_seen_keys_check_all_is_check_pair_by_pair() -> None:
    rng = random.Random(7)
    for trial in range(300):
        all_reached = trial % 2 == 0  # the fast path: every pair reached the rule
        one, many = SeenKeys(), SeenKeys()
        line = 1
        for _ in range(3):
            n = rng.randint(0, 20)
            keys = np.array([rng.randint(0, 6) for _ in range(n)], dtype=np.int64)
            reached = np.array(
                [rng.random() < 0.7 or all_reached for _ in range(n)], dtype=np.bool_
            )
            lines = np.arange(line, line + n, dtype=np.int64)
            line += n
            expected = [
                one.check(int(k), int(at), register=bool(r))
                for k, at, r in zip(keys, lines, reached, strict=True)
            ]
            assert many.check_all(keys, lines, reached).tolist() == expected
            assert len(many) == len(one)


def test_numbers_beyond_int64_and_other_digits() -> None:
    pairs = [
        ("1" * 25, "1" * 25),
        ("1" * 25, "1" * 24),
        ("\u0661\u0662\u0663\u0664", "1234"),
        ("0000000000000000000000012", "12 and 012"),
    ]
    scores = SameEntities().score(PairChunk.of(pairs))
    # 25 and 24 ones differ; Arabic-Indic digits are other digits than ASCII ones; leading
    # zeros are dropped, leaving 12, too short
    assert scores["unmatched"].tolist() == [0, 2, 2, 0]


def test_chunks_numbered_alike_still_find_their_duplicates() -> None:
    # PairChunk.of numbers every chunk from 1 unless told otherwise
    pipeline = Pipeline([Duplicate()])
    decider = Decider(pipeline)
    pair = [("a b c", "x y z")]
    decider.decide(pipeline.evaluate(PairChunk.of(pair)))
    decisions = decider.decide(pipeline.evaluate(PairChunk.of(pair)))
    assert decisions.reasons[0] == [(0, "duplicate of line 1")]
