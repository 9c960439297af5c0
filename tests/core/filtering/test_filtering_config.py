"""Pipeline YAML: defaults, strict validation, errors that name the bad field and the fix."""

from __future__ import annotations

import pytest

from crowdset.core.filtering import (
    RULES,
    default_rules,
    load_rules,
    requested_rules,
    with_languages,
)
from crowdset.core.filtering.rules.language import LanguageId
from crowdset.core.filtering.rules.length import LengthRatio
from crowdset.core.filtering.rules.script import ScriptMatch
from crowdset.errors import SpecInvalid


def test_defaults_are_the_spec_thresholds() -> None:
    rules = {rule.name: rule for rule in default_rules()}
    assert list(rules) == list(RULES)
    assert rules["length_ratio"].model_dump() == {"min": 0.4, "max": 2.5}
    assert rules["token_count"].model_dump() == {"min": 2, "max": 80}


def test_load_rules_reads_settings_in_order() -> None:
    rules = load_rules("- token_count: {min: 1}\n- length_ratio:\n    max: 3\n- duplicate:\n")
    assert [rule.name for rule in rules] == ["token_count", "length_ratio", "duplicate"]
    assert rules[1] == LengthRatio(max=3)


def test_empty_document_means_defaults() -> None:
    assert load_rules("") == default_rules()


@pytest.mark.parametrize(
    ("text", "field", "message"),
    [
        pytest.param(
            "- lenght_ratio: {}",
            "[0]",
            "filters.yaml: [0]: unknown rule 'lenght_ratio'; did you mean 'length_ratio'?",
            id="unknown-rule",
        ),
        pytest.param(
            "- token_count: {}\n- length_ratio: {maxx: 3}",
            "[1].length_ratio.maxx",
            "filters.yaml: [1].length_ratio.maxx: unknown setting 'maxx' for rule "
            "'length_ratio'; did you mean 'max'? known settings: min, max",
            id="unknown-setting",
        ),
        pytest.param(
            "- length_ratio: {max: lots}",
            "[0].length_ratio.max",
            "filters.yaml: [0].length_ratio.max: Input should be a valid number, unable to "
            "parse string as a number (got 'lots')",
            id="bad-value",
        ),
        pytest.param(
            "- length_ratio: {min: 3, max: 2}",
            "[0].length_ratio",
            "filters.yaml: [0].length_ratio: need 0 <= min < max, got min=3.0",
            id="bad-bounds",
        ),
        pytest.param(
            "length_ratio: {}",
            "(top level)",
            "filters.yaml: (top level): expected a list of rules, got dict",
            id="not-a-list",
        ),
        pytest.param(
            "- duplicate:\n- duplicate:",
            "[1]",
            "filters.yaml: [1]: rule 'duplicate' is listed twice (also at [0])",
            id="listed-twice",
        ),
        pytest.param(
            "- token_count: 3",
            "[0].token_count",
            "filters.yaml: [0].token_count: settings must be a mapping",
            id="settings-not-mapping",
        ),
        pytest.param(
            "- {token_count: {}, length_ratio: {}}",
            "[0]",
            "filters.yaml: [0]: each rule must be a mapping with exactly one key",
            id="two-rules-in-one-item",
        ),
        pytest.param(
            "- script: {tgt: xx}",
            "[0].script.tgt",
            "filters.yaml: [0].script.tgt: no script known for language 'xx'",
            id="unknown-language",
        ),
        pytest.param(
            "- language: {src: english}",
            "[0].language.src",
            "filters.yaml: [0].language.src: CLD2 cannot identify language 'english'; "
            "did you mean 'en' (English)? use an ISO 639 code it knows (aa, ab,",
            id="language-by-name",
        ),
        pytest.param(
            "- language: {src: en, tgt: deu}",
            "[0].language.tgt",
            "filters.yaml: [0].language.tgt: CLD2 cannot identify language 'deu'; use an ISO "
            "639 code",  # no hint: the closest code, 'eu', is Basque
            id="language-three-letter-code",
        ),
        pytest.param(
            "- length_ratio: {min: [}",
            "line 1",
            "filters.yaml: line 1: not valid YAML",
            id="yaml-syntax",
        ),
    ],
)
def test_invalid_pipeline_names_the_field(text: str, field: str, message: str) -> None:
    with pytest.raises(SpecInvalid) as caught:
        load_rules(text)
    assert caught.value.fields["field"] == field
    assert str(caught.value).startswith(message)


def test_with_languages_fills_only_missing_languages() -> None:
    rules = with_languages([LanguageId(src="fr"), ScriptMatch(), LengthRatio()], "en", "de")
    assert rules[0] == LanguageId(src="fr", tgt="de")
    assert rules[1] == ScriptMatch(src="en", tgt="de")
    assert rules[2] == LengthRatio()


@pytest.mark.parametrize("code", ["en", "de", "pt-BR", "zh-Hant", "iw", "he", "nb", "fil", "EN"])
def test_the_language_rule_takes_the_codes_cld2_reports(code: str) -> None:
    assert load_rules(f"- language: {{src: {code}}}") == [LanguageId(src=code)]


def test_with_languages_refuses_unknown_language() -> None:
    with pytest.raises(SpecInvalid, match="no script known for language 'qq'"):
        with_languages([ScriptMatch()], "qq", None)


def test_an_imports_filters_setting() -> None:
    assert requested_rules(None) is None
    assert requested_rules("  \n") is None  # no filtering: the corpus is stored whole
    assert requested_rules(" default\n") == default_rules()
    assert requested_rules("- duplicate: {}\n- length_ratio: {max: 3}") == [
        RULES["duplicate"](),
        LengthRatio(max=3),
    ]
    with pytest.raises(SpecInvalid, match=r"filters: \[0\]: unknown rule 'nope'"):
        requested_rules("- nope: {}")
