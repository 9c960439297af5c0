"""The machine filters on a corpus upload (SPEC §4) on the Corpora page: the box ticked runs the
default pipeline and stores only the kept pairs, the list shows "kept K of N" and what each rule
removed with its first example; a pasted pipeline runs instead of the default; a bad pipeline
is shown at its box with nothing stored; unticked, every pair is stored as before."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from crowdset.services import corpora
from crowdset.services.context import Context
from tests.web.conftest import Browser, People, principal
from tests.web.html import Element, error_at, field_value, parse

PAIRS = [  # line → (source, target); line 4 repeats line 1, line 5 is one word a side
    ("The train leaves at eight.", "Der Zug fährt um acht ab."),
    ("The museum is closed today.", "Das Museum ist heute geschlossen."),
    ("We need more time.", "Wir brauchen mehr Zeit."),
    ("The train leaves at eight.", "Der Zug fährt um acht ab."),
    ("Hello.", "Hallo."),
    ("Turn left at the light.", "Biegen Sie an der Ampel links ab."),
]
TSV = "".join(f"{source}\t{target}\n" for source, target in PAIRS).encode()
IDLE_RULES = [  # the default rules that remove none of PAIRS
    "near_duplicate",
    "length_ratio",
    "alphabetic",
    "markup",
    "same_entities",
    "edit_distance",
    "script",
    "language",
]


def _upload(requester: Browser, tsv: bytes = TSV, **form: str) -> Any:
    sent = {"name": "news", "source_lang": "en", "target_lang": "de"} | form
    files = {"file": ("news.tsv", tsv, "text/tab-separated-values")}
    return requester.post("/corpora", sent, token_from="/corpora", files=files)


def _stored(ctx: Context, people: People) -> list[tuple[str, str | None, str | None]]:
    """Each stored pair of the requester's only corpus: (input line, source, target)."""
    viewer = principal(ctx, people.requester)
    [corpus] = corpora.list_corpora(ctx, viewer)
    return [
        (row.external_id, row.text, row.target)
        for row in corpora.review_items(ctx, viewer, corpus.id)
    ]


def _rule_rows(page: Element, corpus_id: int) -> list[list[str]]:
    table = page.by_id(f"filter-rules-{corpus_id}")
    return [
        [cell.text for cell in row.children if isinstance(cell, Element)]
        for row in table.find_all("tr")[1:]
    ]


def test_the_ticked_box_stores_the_kept_pairs_and_the_list_shows_what_each_rule_removed(
    ctx: Context, people: People, as_role: Callable[[str], Browser]
) -> None:
    requester = as_role("requester")
    form = requester.page("/corpora").by_id("corpus-form")
    assert form.by_id("run_filters").attrs["type"] == "checkbox"
    assert "checked" not in form.by_id("run_filters").attrs  # off unless ticked
    assert field_value(form, "filters") == ""
    assert "examples/filters.yaml" in form.by_id("filters-hint").text

    made = _upload(requester, run_filters="yes")
    assert (made.status_code, made.headers["location"]) == (303, "/corpora"), made.text[:500]
    listed = requester.get("/corpora").text
    assert "Corpus 1 “news”: 4 of 6 pairs kept by the machine filters and imported." in listed

    assert _stored(ctx, people) == [
        ("1", *PAIRS[0]),
        ("2", *PAIRS[1]),
        ("3", *PAIRS[2]),
        ("6", *PAIRS[5]),
    ]
    [corpus] = corpora.list_corpora(ctx, principal(ctx, people.requester))
    assert corpus.pairs == 4
    assert corpus.filter_report is not None
    assert (corpus.filter_report["total"], corpus.filter_report["kept"]) == (6, 4)

    page = parse(listed)
    row = page.by_id("corpora").find_all("tr", class_="filtered")[0]
    assert [cell.text for cell in row.find_all("td")][:4] == [
        "news (1)",
        "en → de",
        "4 kept 4 of 6",
        "news.tsv",
    ]
    assert page.by_id("corpus-kept-1").text == "kept 4 of 6"
    report = page.by_id("filter-report-1")
    assert report.tag == "details" and "open" not in report.attrs  # compact until opened
    assert report.find_all("summary")[0].text == "Machine filters: 2 of 6 pairs removed"
    assert _rule_rows(page, 1) == [
        ["duplicate", "1", "16.7%", "line 4: duplicate of line 1"],
        ["token_count", "1", "16.7%", "line 5: token_count src=1, tgt=1 not in (2, 80)"],
    ]
    bars = report.find_all("rect", class_="share-fill")
    assert [bar.attrs["width"] for bar in bars] == ["16.67", "16.67"]  # removed / read
    idle = page.by_id("filter-idle-1")
    assert idle.text.startswith("Removed nothing:")
    assert [code.text for code in idle.find_all("code")] == IDLE_RULES


def test_a_pasted_pipeline_runs_instead_of_the_default(
    ctx: Context, people: People, as_role: Callable[[str], Browser]
) -> None:
    requester = as_role("requester")
    pipeline = "- token_count: {min: 2, max: 80}\n"  # no duplicate rule: line 4 stays
    made = _upload(requester, filters=pipeline)  # the box unticked: the text is enough
    assert made.status_code == 303, made.text[:500]
    assert "“news”: 5 of 6 pairs kept by the machine filters" in requester.get("/corpora").text
    assert [line for line, _, _ in _stored(ctx, people)] == ["1", "2", "3", "4", "6"]
    page = requester.page("/corpora")
    assert page.by_id("corpus-kept-1").text == "kept 5 of 6"
    assert _rule_rows(page, 1) == [
        ["token_count", "1", "16.7%", "line 5: token_count src=1, tgt=1 not in (2, 80)"]
    ]
    assert not page.has_id("filter-idle-1")  # its only rule removed a pair


@pytest.mark.parametrize(
    ("pipeline", "words"),
    [
        pytest.param(
            "- duplicate: {}\n- length_ratio: {maxx: 3}\n",
            "filters: [1].length_ratio.maxx: unknown setting 'maxx' for rule 'length_ratio'; "
            "did you mean 'max'?",
            id="unknown-setting",
        ),
        pytest.param(
            "- duplicates: {}\n",
            "filters: [0]: unknown rule 'duplicates'; did you mean 'duplicate'?",
            id="unknown-rule",
        ),
        pytest.param("- duplicate: {\n", "filters: line 2: not valid YAML", id="bad-yaml"),
    ],
)
def test_a_bad_pipeline_is_shown_at_its_box_and_nothing_is_stored(
    ctx: Context,
    people: People,
    as_role: Callable[[str], Browser],
    pipeline: str,
    words: str,
) -> None:
    requester = as_role("requester")
    response = _upload(requester, run_filters="yes", filters=pipeline)
    assert response.status_code == 422, response.text[:500]
    page = parse(response.text)
    assert words in error_at(page, "filters"), error_at(page, "filters")
    assert page.by_id("filters").attrs.get("autofocus") == ""
    assert not page.has_id("file-error")
    # what was typed and ticked comes back to fix
    assert field_value(page, "filters") == pipeline
    assert "checked" in page.by_id("run_filters").attrs
    assert (field_value(page, "name"), field_value(page, "source_lang")) == ("news", "en")
    assert corpora.list_corpora(ctx, principal(ctx, people.requester)) == []


def test_filters_that_remove_every_pair_store_nothing(
    ctx: Context, people: People, as_role: Callable[[str], Browser]
) -> None:
    requester = as_role("requester")
    one_word = b"Hello.\tHallo.\nThanks.\tDanke.\n"
    response = _upload(requester, one_word, run_filters="yes")
    assert response.status_code == 422, response.text[:500]
    assert "news.tsv: the filters removed all 2 pairs; nothing to import" in error_at(
        parse(response.text), "file"
    )
    assert corpora.list_corpora(ctx, principal(ctx, people.requester)) == []


def test_a_language_the_filters_refuse_is_shown_at_its_field(
    ctx: Context, people: People, as_role: Callable[[str], Browser]
) -> None:
    requester = as_role("requester")
    response = _upload(requester, run_filters="yes", source_lang="english")
    assert response.status_code == 422, response.text[:500]
    assert "no script known for language 'english'" in error_at(parse(response.text), "source_lang")
    assert corpora.list_corpora(ctx, principal(ctx, people.requester)) == []


def test_unticked_every_pair_is_stored_and_no_report_is_shown(
    ctx: Context, people: People, as_role: Callable[[str], Browser]
) -> None:
    requester = as_role("requester")
    made = _upload(requester, filters="  \n")  # a blank box is no pipeline
    assert made.status_code == 303, made.text[:500]
    listed = requester.get("/corpora").text
    assert "Corpus 1 “news”: 6 pairs imported." in listed
    assert "kept by the machine filters" not in listed
    assert [line for line, _, _ in _stored(ctx, people)] == ["1", "2", "3", "4", "5", "6"]
    [corpus] = corpora.list_corpora(ctx, principal(ctx, people.requester))
    assert (corpus.pairs, corpus.filter_report) == (6, None)
    page = parse(listed)
    assert not page.find_all("details", class_="filter-report")
    assert not page.find_all("tr", class_="filtered")
    [row] = page.by_id("corpora").find_all("tr")[1:]
    assert [cell.text for cell in row.find_all("td")][:3] == ["news (1)", "en → de", "6"]
