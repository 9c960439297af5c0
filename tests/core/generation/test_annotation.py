"""Automatic slot annotation (SPEC §2): locating required values and parsing inline seeds."""

from __future__ import annotations

import itertools
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crowdset.core.generation.annotation import (
    annotate,
    find_value,
    missing_values,
    parse_inline,
)
from crowdset.core.generation.model import SlotValue, Span
from crowdset.errors import InvalidInput


def value(text: str, slot: str = "room", entity: str = "room_type") -> SlotValue:
    return SlotValue(slot, entity, text)


def found(text: str, needle: str, **kwargs: object) -> str | None:
    """The original text ``find_value`` points at, to read tests at a glance."""
    where = find_value(text, needle, **kwargs)  # type: ignore[arg-type]
    return None if where is None else text[where[0] : where[1]]


# ------------------------------------------------------------------------------ find_value


@pytest.mark.parametrize(
    ("text", "needle", "expected"),
    [
        ("turn on the Kitchen lights", "kitchen", (12, 19)),
        ("TURN ON THE KITCHEN LIGHTS", "Kitchen", (12, 19)),
        ("lights in the living   room please", "living room", (14, 27)),
        ("lights in the living\troom", "  Living \n Room ", (14, 25)),
        ("kitchen lights", "kitchen", (0, 7)),
        ("lights in the kitchen", "kitchen", (14, 21)),
        ("lights in the kitchen, please", "kitchen", (14, 21)),
        ("lights in the (kitchen)", "kitchen", (15, 22)),
        ("«kitchen»", "kitchen", (1, 8)),
    ],
    ids=[
        "lower",
        "upper",
        "spaces-in-text",
        "spaces-in-value",
        "at-start",
        "at-end",
        "comma-after",
        "parentheses",
        "guillemets",
    ],
)
def test_find_value_case_space_and_punctuation(
    text: str, needle: str, expected: tuple[int, int]
) -> None:
    assert find_value(text, needle) == expected


def test_find_value_prefers_a_whole_word_to_an_earlier_inside_word_match() -> None:
    text = "a party for art lovers"
    assert find_value(text, "art") == (12, 15)


def test_find_value_falls_back_to_an_inside_word_match() -> None:
    assert found("a party tonight", "art") == "art"
    assert find_value("a party tonight", "art") == (3, 6)


def test_find_value_inside_word_fallback_covers_scripts_without_spaces() -> None:
    text = "打开客厅的灯"
    assert found(text, "客厅") == "客厅"


def test_find_value_casefolds_unicode() -> None:
    assert found("Café de Flore", "CAFÉ") == "Café"
    assert found("ein Haus in der Straße", "STRASSE") == "Straße"
    assert found("in der STRASSE", "straße") == "STRASSE"
    assert found("ΟΔΟΣ", "οδος") == "ΟΔΟΣ"  # final sigma casefolds like any sigma


def test_find_value_offsets_index_the_original_text_after_expansions() -> None:
    # "ß" folds to two characters: offsets after it must still point into the original text
    text = "Straße   nach  Berlin"
    assert find_value(text, "berlin") == (15, 21)
    assert find_value(text, "nach berlin") == (9, 21)


def test_find_value_never_matches_half_of_a_folded_character() -> None:
    assert find_value("ß", "s") is None
    assert find_value("groß", "gros") is None


def test_find_value_does_not_match_across_a_missing_space() -> None:
    assert find_value("the livingroom", "living room") is None


def test_find_value_skips_taken_spans() -> None:
    text = "from Paris to Paris"
    assert find_value(text, "paris") == (5, 10)
    assert find_value(text, "paris", taken=[(5, 10)]) == (14, 19)
    assert find_value(text, "paris", taken=[(5, 10), (12, 16)]) is None


def test_find_value_of_an_empty_value_is_none() -> None:
    assert find_value("anything", "") is None
    assert find_value("anything", "   ") is None


# -------------------------------------------------------------------------------- annotate


def test_annotate_places_longer_values_first() -> None:
    text = "fly from New York to York"
    york, new_york = value("York", "to", "city"), value("New York", "from", "city")
    assert annotate(text, [york, new_york]) == (
        Span(9, 17, "from", "city"),
        Span(21, 25, "to", "city"),
    )


def test_annotate_identical_values_for_two_slots_land_on_two_occurrences() -> None:
    text = "a ticket from paris to Paris"
    spans = annotate(text, [value("Paris", "from", "city"), value("Paris", "to", "city")])
    assert spans == (Span(14, 19, "from", "city"), Span(23, 28, "to", "city"))


def test_annotate_repeated_value_takes_the_first_whole_word_occurrence() -> None:
    text = "kitchenette lights, kitchen lights, kitchen"
    assert annotate(text, [value("kitchen")]) == (Span(20, 27, "room", "room_type"),)


def test_annotate_overlapping_values_keep_the_longer_one() -> None:
    text = "weather in New York City"
    city, state = value("York City", "city", "city"), value("New York", "state", "state")
    assert annotate(text, [city, state]) == (Span(15, 24, "city", "city"),)
    assert missing_values(text, [city, state]) == [state]


def test_annotate_is_sorted_by_start_and_leaves_missing_values_out() -> None:
    text = "play jazz in the kitchen"
    values = [value("kitchen"), value("bathroom"), value("jazz", "genre", "genre")]
    assert annotate(text, values) == (
        Span(5, 9, "genre", "genre"),
        Span(17, 24, "room", "room_type"),
    )
    assert missing_values(text, values) == [value("bathroom")]


def test_annotate_value_inside_another_word() -> None:
    art = value("art", "topic", "topic")
    assert annotate("a party at the art gallery", [art]) == (Span(15, 18, "topic", "topic"),)
    assert annotate("a party tonight", [art]) == (Span(3, 6, "topic", "topic"),)
    assert missing_values("a party tonight", [art]) == []  # present, though inside a word


def test_annotate_unicode_and_offsets_into_the_original() -> None:
    city = SlotValue("city", "city", "KÖLN")
    street = SlotValue("street", "street", "strasse")
    assert annotate("Große  Straße in Köln", [city, street]) == (
        Span(7, 13, "street", "street"),
        Span(17, 21, "city", "city"),
    )


def test_annotate_with_no_values() -> None:
    assert annotate("anything", []) == ()
    assert missing_values("anything", []) == []


_WORDS = st.sampled_from(["on", "the", "lights", "in", "kitchen", "Paris", "art", "party"])
_SEPARATORS = st.sampled_from([" ", "  ", ", ", " (", ") ", "\t"])


@st.composite
def texts_with_values(draw: st.DrawFn) -> tuple[str, list[SlotValue]]:
    words = draw(st.lists(_WORDS, min_size=1, max_size=12))
    text = words[0]
    for word in words[1:]:
        text += draw(_SEPARATORS) + word
    values = [
        SlotValue(f"s{i}", "e", draw(st.sampled_from([word, word.upper(), f"{word} "])))
        for i, word in enumerate(draw(st.lists(_WORDS, max_size=4)))
    ]
    return text, values


@settings(max_examples=200, deadline=None)
@given(case=texts_with_values())
def test_annotate_properties(case: tuple[str, list[SlotValue]]) -> None:
    text, values = case
    spans = annotate(text, values)
    missing = missing_values(text, values)
    assert len(spans) + len(missing) == len(values)
    assert list(spans) == sorted(spans, key=lambda span: span.start)
    for before, after in itertools.pairwise(spans):
        assert before.end <= after.start
    by_slot = {v.slot: v for v in values}
    for span in spans:
        assert text[span.start : span.end].casefold() == by_slot[span.slot].value.strip().casefold()
    # a value whose word occurs at least as often as it is required is never missing
    words = [word.casefold() for word in re.findall(r"\w+", text)]
    for v in values:
        folded = v.value.strip().casefold()
        needed = sum(1 for w in values if w.value.strip().casefold() == folded)
        if words.count(folded) >= needed:
            assert v not in missing


@settings(max_examples=200, deadline=None)
@given(
    before=st.text(max_size=20),
    needle=st.text(min_size=1, max_size=10).filter(lambda s: s.strip() != ""),
    after=st.text(max_size=20),
)
def test_find_value_finds_any_inserted_value(before: str, needle: str, after: str) -> None:
    text = before + needle + after
    where = find_value(text, needle)
    assert where is not None
    start, end = where
    assert " ".join(text[start:end].split()).casefold() == " ".join(needle.split()).casefold()


# ---------------------------------------------------------------------------- parse_inline


def test_parse_inline_plain_text_and_triples() -> None:
    text, spans = parse_inline("turn on the lights in the [room:living room]")
    assert text == "turn on the lights in the living room"
    assert spans == ((26, 37, "room"),)
    assert text[26:37] == "living room"


def test_parse_inline_several_slots_and_colons_in_values() -> None:
    text, spans = parse_inline("wake me at [time:10:30] in [ room : the kitchen ]!")
    assert text == "wake me at 10:30 in the kitchen!"
    assert spans == ((11, 16, "time"), (20, 31, "room"))


def test_parse_inline_escapes() -> None:
    text, spans = parse_inline(r"play \[live\] by [artist:Guns \[N\] Roses] from C:\dir \\")
    assert text == "play [live] by Guns [N] Roses from C:\\dir \\"
    assert spans == ((15, 29, "artist"),)
    assert text[15:29] == "Guns [N] Roses"


def test_parse_inline_without_annotations() -> None:
    assert parse_inline("just text") == ("just text", ())
    assert parse_inline("") == ("", ())


@pytest.mark.parametrize(
    ("example", "offset", "words"),
    [
        ("lights in the [room:kitchen", 14, "never closed"),
        ("lights in the room:kitchen]", 26, "without a matching"),
        ("lights in the [:kitchen]", 14, "without a slot name"),
        ("lights in the [  :kitchen]", 14, "without a slot name"),
        ("lights in the [room:]", 14, "empty value for slot 'room'"),
        ("lights in the [room:   ]", 14, "empty value"),
        ("lights in the [kitchen]", 14, "without ':'"),
        ("lights in [room:the [big] kitchen]", 20, "nested '['"),
    ],
    ids=[
        "unclosed",
        "unopened",
        "no-slot",
        "blank-slot",
        "no-value",
        "blank-value",
        "no-colon",
        "nested",
    ],
)
def test_parse_inline_errors_point_at_the_offset(example: str, offset: int, words: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_inline(example)
    assert caught.value.fields["offset"] == offset
    assert f"at offset {offset}" in caught.value.message
    assert words in caught.value.message


_PLAIN = st.text(st.characters(exclude_characters="[]\\"), max_size=8)
_SLOT = st.text(
    st.characters(exclude_characters="[]\\:", exclude_categories=["Z", "Cc"]),
    min_size=1,
    max_size=6,
)
_VALUE = st.text(st.characters(exclude_categories=["Z", "Cc"]), min_size=1, max_size=8)


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("[", "\\[").replace("]", "\\]")


@settings(max_examples=200, deadline=None)
@given(
    parts=st.lists(st.tuples(_PLAIN, _SLOT, _VALUE), max_size=4),
    tail=_PLAIN,
)
def test_parse_inline_round_trip(parts: list[tuple[str, str, str]], tail: str) -> None:
    example, expected_text, expected = "", "", []
    for plain, slot, val in parts:
        example += plain + f"[{slot}:{_escape(val)}]"
        expected_text += plain
        expected.append((len(expected_text), len(expected_text) + len(val), slot))
        expected_text += val
    example += tail
    expected_text += tail
    assert parse_inline(example) == (expected_text, tuple(expected))
