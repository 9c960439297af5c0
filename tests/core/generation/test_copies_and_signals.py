"""Copies judged on templates and the answer-quality model (SPEC §6.7)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from crowdset.core.generation.answer_quality import (
    AnswerFlag,
    AnswerSignals,
    flags_of,
    is_blocked,
    is_marked,
    read_answer,
    too_fast_under,
)
from crowdset.core.generation.copies import (
    CopyKind,
    CopyRules,
    is_near_copy,
    judge_copy,
    near_copies,
    seed_template,
    template_of,
)
from crowdset.core.generation.model import Span

SEED = seed_template("turn on the lights in the [room:living room]")
RULES = CopyRules(max_template_repeats=3)
WORDS = st.sampled_from(["turn", "lights", "on", "off", "the", "in", "please", "dim", "lamp"])


def test_a_template_replaces_values_by_slot_names() -> None:
    text = "Turn on the KITCHEN lights, please!"
    assert template_of(text, [Span(12, 19, "room", "room")]) == "turn on the <room> lights please"
    assert SEED == "turn on the lights in the <room>"


def test_a_value_swap_and_a_word_added_is_a_copy_of_the_seed() -> None:
    swapped = template_of("turn on the lights in the garage", [Span(26, 32, "room", "room")])
    assert swapped == SEED
    assert judge_copy(swapped + " please", seeds=[SEED], own=[], others=[], rules=RULES) is (
        CopyKind.SEED
    )
    # two words on a seven-word query are a rewrite, not a copy
    assert judge_copy("could you " + SEED, seeds=[SEED], own=[], others=[], rules=RULES) is None


def test_short_templates_are_copies_only_when_equal() -> None:
    assert not is_near_copy("lights on", "lights off")
    assert not is_near_copy("lights on", "lights on please")
    assert is_near_copy("lights on", "lights on")


def test_own_templates_are_not_repeated_and_others_are_capped() -> None:
    mine = "switch the <room> lamp on for me now"
    assert judge_copy(mine, seeds=[SEED], own=[mine], others=[], rules=RULES) is CopyKind.OWN
    assert CopyKind.OWN.is_copying and not CopyKind.REPEATED.is_copying
    assert judge_copy(mine, seeds=[SEED], own=[], others=[mine] * 2, rules=RULES) is None
    assert judge_copy(mine, seeds=[SEED], own=[], others=[mine] * 3, rules=RULES) is (
        CopyKind.REPEATED
    )


@given(st.lists(WORDS, min_size=1, max_size=12), st.lists(WORDS, min_size=1, max_size=12))
def test_near_copy_is_symmetric_and_reflexive(a: list[str], b: list[str]) -> None:
    first, second = " ".join(a), " ".join(b)
    assert is_near_copy(first, first)
    assert is_near_copy(first, second) == is_near_copy(second, first)


@given(st.lists(WORDS, min_size=4, max_size=12), WORDS, st.integers(min_value=0))
def test_one_word_added_to_four_or_more_is_a_copy(words: list[str], word: str, at: int) -> None:
    edited = list(words)
    edited.insert(at % (len(words) + 1), word)
    assert near_copies(" ".join(edited), [" ".join(words)]) == [0]


def test_answer_flags() -> None:
    typed = AnswerSignals(chars=40, seconds_on_task=40, paste_events=0, keys=43, interval_cv=0.6)
    assert flags_of(typed, typical_seconds=45) == ()
    pasted_value = AnswerSignals(40, 40, paste_events=1, keys=30, interval_cv=0.6)
    assert flags_of(pasted_value, typical_seconds=45) == ()  # typed most of it
    pasted = AnswerSignals(40, 4, paste_events=1, keys=0)
    assert flags_of(pasted, typical_seconds=45) == (AnswerFlag.PASTED, AnswerFlag.TOO_FAST)
    script = AnswerSignals(40, 40, keys=40, interval_cv=0.03)
    assert flags_of(script, typical_seconds=45) == (AnswerFlag.MACHINE_RHYTHM,)
    unmeasured = AnswerSignals(chars=40)
    assert flags_of(unmeasured, typical_seconds=45) == ()
    assert too_fast_under(200, 45) == 25.0  # 200 characters cannot be typed in 9 s


@given(
    st.floats(min_value=0.01, max_value=0.99),
    st.integers(min_value=1, max_value=400),
    st.floats(min_value=0, max_value=600),
    st.integers(min_value=0, max_value=5),
)
def test_a_flag_only_lowers_the_probability_of_good_work(
    accuracy: float, chars: int, seconds: float, pastes: int
) -> None:
    signals = AnswerSignals(chars, seconds, pastes, keys=0)
    reading = read_answer(signals, typical_seconds=45, worker_accuracy=accuracy)
    assert 0 <= reading.quality <= 1
    if reading.flagged:
        assert reading.quality < accuracy
        assert is_marked(reading, "flag") and is_blocked(reading, "block")
        assert not is_marked(reading, "allow") and not is_blocked(reading, "flag")
    else:
        assert abs(reading.quality - accuracy) < 1e-9
