"""Automatic checks before validation (SPEC §2): each reason, and several at once."""

from __future__ import annotations

import random

import pytest

from crowdset.core.generation.checks import (
    CheckReason,
    CheckRules,
    check_query,
    count_words,
    normalise_for_comparison,
)
from crowdset.core.generation.model import CheckFailure, SlotValue
from crowdset.errors import InvalidInput

LIVING_ROOM = SlotValue("room", "room_type", "living room")
RULES = CheckRules()


def reasons(failures: list[CheckFailure]) -> list[str]:
    return [failure.reason for failure in failures]


def test_a_good_query_passes() -> None:
    text = "please switch on the lamps in the Living Room"
    references = ["turn on the lights in the living room", "lights on in the kitchen"]
    assert check_query(text, [LIVING_ROOM], references, CheckRules(language="en")) == []


@pytest.mark.parametrize("text", ["", "   ", "\n\t"], ids=["empty", "spaces", "blank-lines"])
def test_empty_answer_reports_only_empty(text: str) -> None:
    failures = check_query(text, [LIVING_ROOM], ["x y z"], CheckRules(language="en"))
    assert reasons(failures) == ["empty"]
    assert failures[0].message == "Write a query: the answer is empty"


def test_missing_value_names_the_value_for_the_worker() -> None:
    failures = check_query("turn on the lights in the kitchen", [LIVING_ROOM], [], RULES)
    assert failures == [
        CheckFailure(
            "missing_value",
            "Include “living room” in your query",
            {"slot": "room", "entity": "room_type", "value": "living room"},
        )
    ]


def test_required_values_match_case_and_space_insensitively() -> None:
    text = "turn on the lights in the LIVING    ROOM"
    assert check_query(text, [LIVING_ROOM], [], RULES) == []


def test_each_missing_value_is_one_failure_in_the_order_required() -> None:
    required = [SlotValue("a", "city", "Paris"), SlotValue("b", "city", "Lyon"), LIVING_ROOM]
    failures = check_query("a train from Paris please", required, [], RULES)
    assert reasons(failures) == ["missing_value", "missing_value"]
    assert [failure.details["value"] for failure in failures] == ["Lyon", "living room"]


def test_identical_required_values_must_both_appear() -> None:
    required = [SlotValue("from", "city", "Paris"), SlotValue("to", "city", "Paris")]
    assert reasons(check_query("a train to Paris tomorrow", required, [], RULES)) == [
        "missing_value"
    ]
    assert check_query("from Paris to Paris again", required, [], RULES) == []


def test_too_short() -> None:
    failures = check_query("lights on", [], [], RULES)
    assert reasons(failures) == ["too_short"]
    assert failures[0].message == "Too short: write at least 3 words (you wrote 2)"
    assert failures[0].details == {"words": 2, "min_words": 3, "max_words": 40}


def test_too_long() -> None:
    failures = check_query(" ".join(["word"] * 41), [], [], RULES)
    assert reasons(failures) == ["too_long"]
    assert failures[0].message == "Too long: write at most 40 words (you wrote 41)"


def test_length_bounds_are_inclusive() -> None:
    rules = CheckRules(min_words=2, max_words=4)
    assert check_query("lights on", [], [], rules) == []
    assert check_query("turn the lights on", [], [], rules) == []
    assert reasons(check_query("turn all the lights on", [], [], rules)) == ["too_long"]


def test_punctuation_alone_is_not_a_word() -> None:
    assert count_words("lights , on !") == 2
    assert count_words("it's 10:30 — wake me") == 4
    assert count_words("") == 0


def test_near_duplicate_says_neither_which_query_nor_how_close() -> None:
    """SPEC §6.7: naming the reference and the score would tell a paraphraser how little to
    change."""
    references = ["what's the weather in Paris", "Turn on the lights in the living room."]
    failures = check_query(
        "TURN ON the lights in the living room!!", [LIVING_ROOM], references, RULES
    )
    assert reasons(failures) == ["near_duplicate"]
    assert failures[0].message == "Too close to an existing query: write it in your own words"
    assert "living room" not in failures[0].message
    assert failures[0].details == {}


def test_near_duplicate_catches_small_edits_but_not_rephrasings() -> None:
    references = ["turn on the lights in the living room"]
    edited = "turn on the light in the living room"
    rephrased = "could you switch the living room lamps on"
    assert reasons(check_query(edited, [LIVING_ROOM], references, RULES)) == ["near_duplicate"]
    assert check_query(rephrased, [LIVING_ROOM], references, RULES) == []


def test_near_duplicate_threshold_is_configurable() -> None:
    references = ["turn on the lights in the living room"]
    text = "turn on all lights in the living room"
    assert (
        check_query(text, [LIVING_ROOM], references, CheckRules(near_duplicate_similarity=99)) == []
    )
    assert reasons(
        check_query(text, [LIVING_ROOM], references, CheckRules(near_duplicate_similarity=80))
    ) == ["near_duplicate"]


def test_punctuation_alone_is_no_near_duplicate() -> None:
    rules = CheckRules(min_words=1)
    assert reasons(check_query("?! …", [], ["!!!"], rules)) == ["too_short"]


def test_normalise_for_comparison() -> None:
    assert normalise_for_comparison("  Turn ON, the\tlights!! ") == "turn on the lights"
    assert normalise_for_comparison("Straße (Köln)") == "strasse köln"


@pytest.mark.parametrize(
    "text",
    [
        "Est-ce que tu peux allumer la lumière du salon, s'il te plaît ? Merci beaucoup.",
        "Kannst du bitte das Licht im Wohnzimmer einschalten? Es ist schon sehr dunkel hier.",
    ],
    ids=["french", "german"],
)
def test_another_language_is_refused(text: str) -> None:
    failures = check_query(text, [], [], CheckRules(language="en", max_words=40))
    assert reasons(failures) == ["wrong_language"]
    assert failures[0].details["expected"] == "en"
    assert failures[0].details["detected"] in {"fr", "de"}
    assert "campaign's language (en)" in failures[0].message


def test_a_short_english_query_is_accepted() -> None:
    assert check_query("lights on please", [], [], CheckRules(language="en")) == []


def test_an_unsure_identification_is_not_refused() -> None:
    # names only: CLD2 cannot tell ("un"), which must pass
    assert check_query("Tahquamenon Falls Gibsland", [], [], CheckRules(language="en")) == []


def test_language_check_is_skipped_without_a_language() -> None:
    text = "Kannst du bitte das Licht im Wohnzimmer einschalten? Es ist schon sehr dunkel hier."
    assert check_query(text, [], [], CheckRules(language=None)) == []


def test_withdrawn_codes_compare_with_current_ones() -> None:
    text = "Kan du slå på lyset i stua? Det er veldig mørkt her nå, takk skal du ha for hjelpen."
    # CLD2 names Norwegian "nb"/"no"; a campaign in "nb" must accept it
    assert "wrong_language" not in reasons(check_query(text, [], [], CheckRules(language="nb")))
    assert "wrong_language" not in reasons(check_query(text, [], [], CheckRules(language="no")))


def test_all_failures_are_reported_together_in_a_fixed_order() -> None:
    references = ["Licht an"]
    failures = check_query("Licht an", [LIVING_ROOM], references, CheckRules(language="en"))
    assert reasons(failures) == ["missing_value", "too_short", "near_duplicate"]
    german = "Bitte schalte das Licht in der Küche ein, es ist schon dunkel geworden heute Abend."
    failures = check_query(german, [LIVING_ROOM], [german], CheckRules(language="en", max_words=5))
    assert reasons(failures) == ["missing_value", "too_long", "near_duplicate", "wrong_language"]


def test_reasons_are_the_documented_codes() -> None:
    assert {reason.value for reason in CheckReason} == {
        "empty",
        "missing_value",
        "too_short",
        "too_long",
        "near_duplicate",
        "wrong_language",
        "blocked",
    }


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"min_words": 0}, "min_words"),
        ({"min_words": 5, "max_words": 4}, "min_words"),
        ({"near_duplicate_similarity": 0}, "near_duplicate_similarity"),
        ({"near_duplicate_similarity": 101}, "near_duplicate_similarity"),
        ({"language": " "}, "language"),
    ],
    ids=["min-zero", "min-above-max", "similarity-zero", "similarity-above-100", "blank-language"],
)
def test_rules_are_validated(kwargs: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        CheckRules(**kwargs)  # type: ignore[arg-type]
    assert caught.value.fields["field"] == field


def test_two_thousand_references_per_intent() -> None:
    """Speed sanity, not a timed assertion: one intent's worth of accepted queries."""
    rng = random.Random(7)
    words = ["turn", "switch", "on", "off", "the", "lights", "lamp", "in", "living", "room", "now"]
    references = [" ".join(rng.choices(words, k=rng.randint(4, 12))) for _ in range(2_000)]
    references.append("could you dim the lamp in the living room")
    for _ in range(50):
        failures = check_query(
            "could you dim the lamps in the living room", [LIVING_ROOM], references, RULES
        )
        assert reasons(failures) == ["near_duplicate"]
