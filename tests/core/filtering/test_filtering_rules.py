"""Worked values for each machine filter of SPEC §4 (one test per rule, named like it)."""

from __future__ import annotations

import numpy as np
import pytest

from crowdset.core.filtering import PairChunk, Pipeline
from crowdset.core.filtering.rule import Rule
from crowdset.core.filtering.rules.alphabetic import Alphabetic
from crowdset.core.filtering.rules.duplicates import Duplicate, NearDuplicate, normalise_all
from crowdset.core.filtering.rules.edit_distance import EditDistance
from crowdset.core.filtering.rules.entities import SameEntities
from crowdset.core.filtering.rules.language import LanguageId, detect
from crowdset.core.filtering.rules.length import LengthRatio, TokenCount
from crowdset.core.filtering.rules.markup import Markup
from crowdset.core.filtering.rules.script import ScriptMatch


def verdicts(rule: Rule, pairs: list[tuple[str, str]]) -> tuple[list[bool], dict[int, str]]:
    scores = rule.score(PairChunk.of(pairs))
    return rule.accept(scores).tolist(), rule.explain(scores)


def test_length_ratio() -> None:
    pairs = [("a" * 10, "b" * 10), ("a" * 31, "b" * 10), ("a" * 4, "b" * 10), ("a" * 5, "b" * 10)]
    accepted, reasons = verdicts(LengthRatio(), pairs)
    # 1.0 in, 3.1 out, 0.4 out (the bound is strict), 0.5 in
    assert accepted == [True, False, False, True]
    assert reasons[1] == "length_ratio=3.10 not in (0.4, 2.5)"
    assert reasons[2] == "length_ratio=0.40 not in (0.4, 2.5)"


def test_length_ratio_empty_sides() -> None:
    scores = LengthRatio().score(PairChunk.of([("abc", ""), ("", "")]))
    assert scores["ratio"].tolist() == [np.inf, 1.0]


def test_length_ratio_refuses_unordered_bounds() -> None:
    with pytest.raises(ValueError, match="min < max"):
        LengthRatio(min=3, max=2)


def test_token_count() -> None:
    pairs = [
        ("one two three", "eins zwei drei"),
        ("one two", "eins zwei drei"),
        ("w " * 79, "w " * 79),
        ("w " * 80, "w " * 3),
        ("  spaced\tout \n words  ", "a b c"),
    ]
    accepted, reasons = verdicts(TokenCount(), pairs)
    assert accepted == [True, False, True, False, True]
    assert reasons[1] == "token_count src=2 not in (2, 80)"
    assert reasons[3] == "token_count src=80 not in (2, 80)"


def test_token_count_matches_str_split() -> None:
    texts = ["", " ", "a", " a  b ", "a\u00a0b", "x\u3000y z", "\ta\nb\r"]
    scores = TokenCount().score(PairChunk.of([(t, t) for t in texts]))
    assert scores["src"].tolist() == [len(t.split()) for t in texts]


def test_same_entities() -> None:
    pairs = [
        ("Call 555 1234 in 1990.", "Ruf 555 1234 an, 1990."),
        ("It cost 1,000.50 dollars", "Es kostete 1.000,50 Dollar"),
        ("Founded in 1990", "Gegründet 1991"),
        ("Write to a.b@example.com now", "Schreib jetzt"),
        ("See http://www.example.org/x.", "Siehe www.example.org/x"),
        ("Only 12 items", "Nur 13 Artikel"),
    ]
    accepted, reasons = verdicts(SameEntities(), pairs)
    # small numbers (fewer than min_digits=3 digits) are often written out: not compared
    assert accepted == [True, True, False, False, True, True]
    assert reasons[2] == "same_entities: number 1990 only in src; number 1991 only in tgt"
    assert reasons[3] == "same_entities: email a.b@example.com only in src"


def test_same_entities_switches() -> None:
    pairs = [("Founded in 1990", "Gegründet 1991")]
    assert verdicts(SameEntities(numbers=False), pairs)[0] == [True]
    assert verdicts(SameEntities(min_digits=5), pairs)[0] == [True]


def test_edit_distance() -> None:
    pairs = [
        ("Hello world", "hello world"),
        ("The cat sat on the mat", "Die Katze saß auf der Matte"),
        ("Barcelona 2024", "Barcelona 2025"),
    ]
    accepted, reasons = verdicts(EditDistance(), pairs)
    assert accepted == [False, True, False]
    assert reasons[0] == "edit_distance=0.00 <= 0.1 (near copy)"
    assert reasons[2] == "edit_distance=0.07 <= 0.1 (near copy)"


def test_language() -> None:
    english = "This is clearly an English sentence about the weather today."
    german = "Das ist eindeutig ein deutscher Satz über das Wetter heute."
    rule = LanguageId(src="en", tgt="de")
    accepted, reasons = verdicts(rule, [(english, german), (english, english), ("OK", "Ja")])
    # the last one is too short for CLD2: unknown, accepted by default
    assert accepted == [True, False, True]
    assert reasons[1] == "language tgt=en (expected de)"
    strict = LanguageId(src="en", tgt="de", accept_unknown=False)
    assert verdicts(strict, [("OK", "Ja")])[0] == [False]


def test_language_without_expected_languages_flags_untranslated() -> None:
    english = "This is clearly an English sentence about the weather today."
    german = "Das ist eindeutig ein deutscher Satz über das Wetter heute."
    accepted, reasons = verdicts(LanguageId(), [(english, german), (english, english)])
    assert accepted == [True, False]
    assert reasons[1] == "language src=tgt=en (untranslated)"


def test_language_detect_survives_lone_surrogate() -> None:
    assert detect("abc \ud800 def") == ("un", 0)


def test_script() -> None:
    rule = ScriptMatch(src="en", tgt="el")
    pairs = [
        ("Good morning", "Καλημέρα σας"),
        ("Good morning", "Good morning"),
        ("Good morning", "Καλημέρα, Athens Airport"),
        ("12345", "!!!"),
        ("Good morning", "Καλημέρα, good morning"),
        ("The Rods - Wild Dogs", "The Rods - Wild Dogs"),
    ]
    accepted, reasons = verdicts(rule, pairs)
    # Latin names in Greek text are left out (Athens Airport), lower-case Latin words are not
    # (8 of 19 letters Greek in the fifth), nor a side with no Greek at all; sides without
    # letters are left to `alphabetic`
    assert accepted == [True, False, True, True, False, False]
    assert reasons[1] == "script tgt=0.00 of letters in Greek < 0.8"
    assert reasons[4] == "script tgt=0.42 of letters in Greek < 0.8"


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("el", "Ανακαλύψτε τις νέες θήκες Trexta για το BlackBerry PlayBook"),
        ("el", "4x ΓΡΑΝΑΖΙ ΚΙΝΗΣΗΣ ΕΜΠΡΟΣ TRANSALP XL600V"),
        ("el", "Θήκη για iPhone 12 Pro: 2.500 τεμάχια, 19,90 € (-20%)!"),
        ("el", "Γράψτε στο info@example.gr ή δείτε το www.example.gr/shop"),
        ("bg", "Газов котел Auer Lelia 24 kW на цена 1 250 лв."),
        ("bg", "Дамска плетена шапка Pulcra Ogi S"),
        ("bg", "Raphael акрилни бои 350мл. — 3 броя"),
    ],
)
def test_script_leaves_numbers_punctuation_and_latin_names_out(language: str, text: str) -> None:
    scores = ScriptMatch(src="en", tgt=language).score(PairChunk.of([("A sentence.", text)]))
    assert scores["tgt"].tolist() == [1.0]


def test_script_still_counts_latin_words_and_latin_sides() -> None:
    rule = ScriptMatch(src="en", tgt="bg")
    pairs = [
        ("Posted December 7, 2015", "Posted December 7, 2015"),
        ("Vote for us", "Гласувайте за нас в bgtop"),
        ("Prices", "Цени в Sofia"),
    ]
    scores = rule.score(PairChunk.of(pairs))["tgt"]
    # no Cyrillic at all: names are not left out; 16 Cyrillic letters of 21; Sofia left out
    assert scores.round(2).tolist() == [0.0, 0.76, 1.0]
    # Latin sides keep every letter: a Greek word in English text counts against it
    english = ScriptMatch(src="en").score(PairChunk.of([("Ελλάδα Tourism", "x")]))["src"]
    assert english.round(2).tolist() == [0.54]


def test_script_refuses_unknown_language() -> None:
    with pytest.raises(ValueError, match="no script known for language 'xx'"):
        ScriptMatch(src="xx")


def test_alphabetic() -> None:
    pairs = [("Hello there", "Hallo da"), ("*** 12.50 € ***", "*** 12,50 € ***"), ("", "x")]
    accepted, reasons = verdicts(Alphabetic(), pairs)
    assert accepted == [True, False, False]
    assert reasons[1] == "alphabetic share src=0.00, tgt=0.00 < 0.5"
    assert reasons[2] == "alphabetic share src=0.00 < 0.5"


def test_markup() -> None:
    pairs = [
        ("<b>Bold</b> move", "Kühner Zug"),
        ("a < b and c > d", "a < b und c > d"),
        ("Fish &amp; chips", "Fisch und Pommes"),
        ("I <3 it", "Ich liebe es"),
    ]
    accepted, reasons = verdicts(Markup(), pairs)
    assert accepted == [False, True, False, True]
    assert reasons[0] == "markup src=2, tgt=0 > 0"


def test_duplicate() -> None:
    pipeline = Pipeline([Duplicate()])
    from crowdset.core.filtering import Decider

    chunk = PairChunk.of([("a b c", "x y z"), ("a b c", "x y z"), ("a b c", "x y Z")])
    decisions = Decider(pipeline).decide(pipeline.evaluate(chunk))
    assert decisions.kept.tolist() == [True, False, True]
    assert decisions.reasons[1] == [(0, "duplicate of line 1")]


def test_near_duplicate() -> None:
    pipeline = Pipeline([NearDuplicate()])
    from crowdset.core.filtering import Decider

    chunk = PairChunk.of(
        [
            ("Hello, world!", "Hallo, Welt!"),
            ("hello world 2", "HALLO WELT"),
            ("***", "---"),
            ("+++", "==="),
        ]
    )
    decisions = Decider(pipeline).decide(pipeline.evaluate(chunk))
    # letterless pairs keep their exact key, so they are not all duplicates of each other
    assert decisions.kept.tolist() == [True, False, True, True]
    assert decisions.reasons[1] == [(0, "near duplicate of line 1")]


def test_normalise_all() -> None:
    texts = ["Hello, World 2!", "", "ÉTÉ à l'Île", "12 34", "naïve café"]
    assert normalise_all(PairChunk.of([(t, t) for t in texts]).src_side) == [
        "helloworld",
        "",
        "étéàlîle",
        "",
        "naïvecafé",
    ]
