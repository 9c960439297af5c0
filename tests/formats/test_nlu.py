"""NLU exports (SPEC §2): Snips dataset JSON, Rasa YAML, JSONL; their readers and round trips."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyarrow import json as pa_json

from crowdset.core.generation.model import AnnotatedQuery, Span
from crowdset.errors import ImportFailed, InvalidInput
from crowdset.formats.nlu import (
    NLU_FORMATS,
    NluFormat,
    load_json_lenient,
    read_dataset,
    read_jsonl,
    read_rasa,
    read_snips,
    snips_dataset,
    write_dataset,
)

BENCHMARK = Path("/work/shared/data/snips-nlu-benchmark/2017-06-custom-intent-engines")

LIGHTS = AnnotatedQuery(
    "turn on the lights in the living room",
    "SwitchLightOn",
    (Span(26, 37, "room", "room"),),
    worker="w-3f2a",
    votes_for=3,
    votes_against=0,
    query_id=17,
)
FLIGHT = AnnotatedQuery(
    "fly from Paris to Lyon tomorrow",
    "BookFlight",
    (
        Span(9, 14, "from", "city"),
        Span(18, 22, "to", "city"),
        Span(23, 31, "date", "snips/datetime"),
    ),
    worker="w-77c1",
    votes_for=2,
    votes_against=1,
    query_id=18,
)
DARK = AnnotatedQuery("it is dark in the kitchen", "SwitchLightOn", (Span(18, 25, "room", "room"),))


def key(query: AnnotatedQuery) -> tuple[str, str, tuple[Span, ...]]:
    return query.text, query.intent, query.spans


def write(queries: list[AnnotatedQuery], fmt: NluFormat) -> str:
    buffer = io.StringIO()
    assert write_dataset(queries, fmt, buffer, language="en") == len(queries)
    return buffer.getvalue()


def read_back(text: str, fmt: NluFormat) -> list[AnnotatedQuery]:
    return read_dataset(io.StringIO(text), fmt)


def grouped(queries: list[AnnotatedQuery]) -> list[tuple[str, str, tuple[Span, ...]]]:
    """Snips and Rasa group queries by intent, in order of each intent's first query."""
    order = list(dict.fromkeys(query.intent for query in queries))
    return [key(q) for intent in order for q in queries if q.intent == intent]


# ------------------------------------------------------------------------------------- Snips


def test_snips_dataset_structure() -> None:
    dataset = snips_dataset([LIGHTS, FLIGHT, DARK], language="en")
    assert dataset["language"] == "en"
    assert list(dataset["intents"]) == ["SwitchLightOn", "BookFlight"]
    assert dataset["intents"]["BookFlight"]["utterances"] == [
        {
            "data": [
                {"text": "fly from "},
                {"text": "Paris", "entity": "city", "slot_name": "from"},
                {"text": " to "},
                {"text": "Lyon", "entity": "city", "slot_name": "to"},
                {"text": " "},
                {"text": "tomorrow", "entity": "snips/datetime", "slot_name": "date"},
            ]
        }
    ]
    # builtin entities get no entry; custom ones list their distinct values in order
    assert dataset["entities"] == {
        "room": {
            "data": [
                {"value": "living room", "synonyms": []},
                {"value": "kitchen", "synonyms": []},
            ],
            "use_synonyms": True,
            "automatically_extensible": True,
            "matching_strictness": 1.0,
        },
        "city": {
            "data": [{"value": "Paris", "synonyms": []}, {"value": "Lyon", "synonyms": []}],
            "use_synonyms": True,
            "automatically_extensible": True,
            "matching_strictness": 1.0,
        },
    }


def test_snips_round_trip() -> None:
    text = write([LIGHTS, FLIGHT, DARK], "snips")
    assert json.loads(text)["language"] == "en"
    assert grouped(read_back(text, "snips")) == grouped([LIGHTS, FLIGHT, DARK])


def test_snips_reader_accepts_the_parsed_object_and_a_path(tmp_path: Path) -> None:
    dataset = snips_dataset([FLIGHT], language="fr")
    assert [key(q) for q in read_snips(dataset)] == [key(FLIGHT)]
    path = tmp_path / "dataset.json"
    path.write_text(json.dumps(dataset), encoding="utf-8")
    assert [key(q) for q in read_snips(path)] == [key(FLIGHT)]
    assert [key(q) for q in read_snips(str(path))] == [key(FLIGHT)]


def test_snips_reader_reads_the_benchmark_layout() -> None:
    benchmark = {
        "GetWeather": [
            {
                "data": [
                    {"text": "Will there be "},
                    {"text": "fog", "entity": "condition_description"},
                    {"text": " in "},
                    {"text": "Tahquamenon Falls State Park", "entity": "geographic_poi"},
                    {"text": "?\n"},
                ]
            }
        ]
    }
    (query,) = read_snips(benchmark)
    assert query.text == "Will there be fog in Tahquamenon Falls State Park?"  # line end dropped
    assert query.intent == "GetWeather"
    assert query.spans == (
        Span(14, 17, "condition_description", "condition_description"),
        Span(21, 49, "geographic_poi", "geographic_poi"),
    )


def test_snips_reader_normalises_line_breaks_and_shifts_spans() -> None:
    dataset = {
        "GetWeather": [
            {
                "data": [
                    {"text": "\n  weather\nin "},
                    {"text": "Paris", "entity": "city"},
                    {"text": " \t"},
                ]
            }
        ]
    }
    (query,) = read_snips(dataset)
    assert query.text == "weather in Paris"
    assert query.spans == (Span(11, 16, "city", "city"),)
    assert write([query], "jsonl")  # whatever a reader returns can be written again


@pytest.mark.parametrize(
    ("obj", "words"),
    [
        ([], "expected a JSON object"),
        ({"GetWeather": {"data": []}}, "must be a list"),
        ({"intents": {"GetWeather": {"utterances": [{"text": "x"}]}}}, "an utterance is an"),
        ({"GetWeather": [{"data": [{"entity": "city"}]}]}, "chunk 1"),
        ({"GetWeather": [{"data": [{"text": "x", "entity": 3}]}]}, "non-empty strings"),
        ({"GetWeather": [{"data": [{"text": "  "}]}]}, "no text"),
    ],
    ids=["not-object", "not-list", "no-data", "no-text", "bad-entity", "blank"],
)
def test_snips_reader_errors(obj: Any, words: str) -> None:
    with pytest.raises(ImportFailed, match=words):
        read_snips(obj)


def test_load_json_lenient_reads_cesu8_surrogate_pairs(tmp_path: Path) -> None:
    path = tmp_path / "cesu.json"
    # 🍕 (U+1F355) stored as two UTF-8-encoded surrogates, as in train_PlayMusic_full.json
    path.write_bytes(
        b'{"PlayMusic": [{"data": [{"text": "pizza \xed\xa0\xbc\xed\xbd\x95 song"}]}]}'
    )
    assert load_json_lenient(path) == {"PlayMusic": [{"data": [{"text": "pizza 🍕 song"}]}]}
    assert read_snips(path)[0].text == "pizza 🍕 song"


def test_load_json_lenient_refuses_other_encodings_with_the_line(tmp_path: Path) -> None:
    path = tmp_path / "latin1.json"
    path.write_bytes(b'{\n"a":\n"caf\xe9"}')
    with pytest.raises(ImportFailed, match=r"latin1\.json:3: not valid UTF-8") as caught:
        load_json_lenient(path)
    assert caught.value.fields["line"] == 3


def test_load_json_lenient_names_the_line_of_a_syntax_error(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text('{\n  "a": 1,\n}\n', encoding="utf-8")
    with pytest.raises(ImportFailed, match=r"broken\.json:3: not valid JSON"):
        load_json_lenient(path)
    with pytest.raises(ImportFailed, match="cannot open"):
        load_json_lenient(tmp_path / "missing.json")


@pytest.mark.skipif(not BENCHMARK.exists(), reason="the Snips benchmark is not in shared/data")
def test_real_benchmark_file_reads_and_round_trips() -> None:
    queries = read_snips(BENCHMARK / "GetWeather" / "validate_GetWeather.json")
    assert len(queries) == 100
    assert {q.intent for q in queries} == {"GetWeather"}
    first = queries[0]
    assert first.text == "What will the weather be faraway from here?"
    assert [(first.value_of(s), s.slot) for s in first.spans] == [
        ("faraway", "spatial_relation"),
        ("here", "current_location"),
    ]
    for fmt in NLU_FORMATS:
        assert [key(q) for q in read_back(write(queries, fmt), fmt)] == [key(q) for q in queries]


@pytest.mark.skipif(not BENCHMARK.exists(), reason="the Snips benchmark is not in shared/data")
def test_real_cesu8_benchmark_file() -> None:
    queries = read_snips(BENCHMARK / "PlayMusic" / "train_PlayMusic_full.json")
    assert len(queries) == 2000
    assert any("🍕" in q.text for q in queries)


# -------------------------------------------------------------------------------------- Rasa


def test_rasa_output() -> None:
    assert write([LIGHTS, FLIGHT, DARK], "rasa") == (
        'version: "3.1"\n'
        "nlu:\n"
        "- intent: SwitchLightOn\n"
        "  examples: |\n"
        "    - turn on the lights in the [living room](room)\n"
        "    - it is dark in the [kitchen](room)\n"
        "- intent: BookFlight\n"
        "  examples: |\n"
        '    - fly from [Paris]{"entity": "city", "role": "from"} to '
        '[Lyon]{"entity": "city", "role": "to"} '
        '[tomorrow]{"entity": "snips/datetime", "role": "date"}\n'
    )


def test_rasa_output_is_yaml_rasa_can_load() -> None:
    data = yaml.safe_load(write([LIGHTS, FLIGHT], "rasa"))
    assert data["version"] == "3.1"
    assert [item["intent"] for item in data["nlu"]] == ["SwitchLightOn", "BookFlight"]
    assert data["nlu"][0]["examples"] == "- turn on the lights in the [living room](room)\n"


def test_rasa_round_trip() -> None:
    text = write([LIGHTS, FLIGHT, DARK], "rasa")
    assert grouped(read_back(text, "rasa")) == grouped([LIGHTS, FLIGHT, DARK])


def test_rasa_quotes_intent_names_yaml_would_misread() -> None:
    queries = [
        AnnotatedQuery("say yes to it", "yes"),
        AnnotatedQuery("play it loud", "Play: music #1"),
        AnnotatedQuery("the number one", "123"),
    ]
    text = write(queries, "rasa")
    assert '- intent: "yes"' in text
    assert [q.intent for q in read_back(text, "rasa")] == ["yes", "Play: music #1", "123"]


@pytest.mark.parametrize(
    "text",
    ["play [live] version", "a ] b [ c", "add [x] (now)", 'quote "this" #hash: colon'],
    ids=["brackets", "unbalanced", "space-before-paren", "yaml-specials"],
)
def test_rasa_literal_brackets_that_rasa_keeps_are_written_as_they_are(text: str) -> None:
    query = AnnotatedQuery(text, "Play")
    written = write([query], "rasa")
    assert f"    - {text}\n" in written
    assert [key(q) for q in read_back(written, "rasa")] == [key(query)]


@pytest.mark.parametrize(
    "query",
    [
        AnnotatedQuery("type [a](b) to link", "Docs"),
        AnnotatedQuery("type [a]{b} here", "Docs"),
        AnnotatedQuery("a [ before kitchen after", "Lights", (Span(11, 18, "room", "room"),)),
        AnnotatedQuery("play [live] now", "Play", (Span(5, 11, "version", "version"),)),
    ],
    ids=["link-markup", "dict-markup", "open-bracket-before-value", "bracket-in-value"],
)
def test_rasa_refuses_what_its_markup_cannot_say(query: AnnotatedQuery) -> None:
    with pytest.raises(InvalidInput, match="Rasa would read") as caught:
        write([query], "rasa")
    assert "export as JSONL or Snips" in caught.value.message
    write([query], "jsonl")  # the other formats hold it
    assert [key(q) for q in read_back(write([query], "snips"), "snips")] == [key(query)]


RASA_FILE = """\
version: "3.1"
nlu:
- synonym: living room
  examples: |
    - lounge
- intent: SwitchLightOn
  examples: |
    - turn on the [lounge](room:living room) lights

    - lights on in the [kitchen]{"entity": "room_type", "role": "room"}
    - lights on at [home][{"entity": "place"}]
- regex: zipcode
  examples: |
    - [0-9]{5}
- intent: Greet
  examples: |-
    - hello
"""


def test_rasa_reader_reads_every_annotation_form() -> None:
    queries = read_rasa(io.StringIO(RASA_FILE))
    assert [key(q) for q in queries] == [
        ("turn on the lounge lights", "SwitchLightOn", (Span(12, 18, "room", "room"),)),
        ("lights on in the kitchen", "SwitchLightOn", (Span(17, 24, "room", "room_type"),)),
        ("lights on at home", "SwitchLightOn", (Span(13, 17, "place", "place"),)),
        ("hello", "Greet", ()),
    ]


def test_rasa_reader_reads_a_path(tmp_path: Path) -> None:
    path = tmp_path / "nlu.yml"
    path.write_text(RASA_FILE, encoding="utf-8")
    assert len(read_rasa(path)) == 4
    assert len(read_dataset(str(path), "rasa")) == 4


@pytest.mark.parametrize(
    ("document", "words"),
    [
        ("nlu:\n- intent: A\n  examples: |\n    - fine\n    oops\n", "Rasa data:5: example lines"),
        (
            "nlu:\n- intent: A\n  examples: |\n    - [x]{oops}\n",
            "Rasa data:4: .* not a valid entity",
        ),
        (
            'nlu:\n- intent: A\n  examples: |\n    - [x][{"entity": "a"}, {"entity": "b"}]\n',
            "several entities",
        ),
        ('nlu:\n- intent: A\n  examples: |\n    - [x]{"role": "a"}\n', 'non-empty "entity"'),
        ("nlu:\n- intent: A\n  examples: [a, b]\n", "Rasa data:2: an intent item needs"),
        ("version: 3.1\n", "no 'nlu:' list"),
        ("nlu: [\n", "not valid YAML"),
    ],
    ids=["no-dash", "bad-dict", "list-of-two", "no-entity", "examples-list", "no-nlu", "yaml"],
)
def test_rasa_reader_errors_name_the_line(document: str, words: str) -> None:
    with pytest.raises(ImportFailed, match=words):
        read_rasa(io.StringIO(document))


# ------------------------------------------------------------------------------------- JSONL


def test_jsonl_records() -> None:
    lines = write([LIGHTS, DARK], "jsonl").splitlines()
    assert json.loads(lines[0]) == {
        "text": "turn on the lights in the living room",
        "intent": "SwitchLightOn",
        "spans": [
            {"start": 26, "end": 37, "slot": "room", "entity": "room", "value": "living room"}
        ],
        "worker": "w-3f2a",
        "votes": {"for": 3, "against": 0},
        "id": 17,
        "answer_flags": [],
    }
    assert list(json.loads(lines[1])) == [
        "text",
        "intent",
        "spans",
        "worker",
        "votes",
        "id",
        "answer_flags",
    ]


def test_jsonl_round_trip_keeps_every_field() -> None:
    queries = [LIGHTS, FLIGHT, DARK]
    assert read_back(write(queries, "jsonl"), "jsonl") == queries


def test_jsonl_loads_as_a_table_like_hugging_face_datasets(tmp_path: Path) -> None:
    # datasets' "json" builder reads JSON Lines with pyarrow.json: same parser, same schema
    path = tmp_path / "train.jsonl"
    write_dataset([LIGHTS, FLIGHT, DARK], "jsonl", path, language="en")
    table = pa_json.read_json(path)
    assert table.column_names == [
        "text",
        "intent",
        "spans",
        "worker",
        "votes",
        "id",
        "answer_flags",
    ]
    assert table.num_rows == 3
    assert table.column("spans").to_pylist()[1][2]["value"] == "tomorrow"
    assert table.column("id").to_pylist() == [17, 18, None]


def test_jsonl_reader_streams_from_a_path_and_skips_blank_lines(tmp_path: Path) -> None:
    path = tmp_path / "q.jsonl"
    path.write_text(
        '\ufeff{"text": "hello there", "intent": "Greet"}\n\n{"text": "bye", "intent": "Bye"}\n',
        encoding="utf-8",
    )
    reader = read_jsonl(path)
    assert next(reader) == AnnotatedQuery("hello there", "Greet")
    assert next(reader) == AnnotatedQuery("bye", "Bye")
    assert next(reader, None) is None


@pytest.mark.parametrize(
    ("line", "words"),
    [
        ("{oops", "not valid JSON"),
        ("[1]", "a JSON list, not an object"),
        ('{"text": "hi"}', "'intent' must be"),
        ('{"text": "hi", "intent": "A", "spans": {}}', "'spans' must be a list"),
        ('{"text": "hi", "intent": "A", "spans": [{"start": 0, "end": 9, "slot": "s"}]}', "<= 2"),
        ('{"text": "hi", "intent": "A", "spans": [{"start": 0, "end": 1}]}', "'slot'"),
        (
            '{"text": "hi", "intent": "A", "spans": [{"start": 0, "end": 1, "slot": "s", '
            '"value": "x"}]}',
            "value 'x' differs from the text at \\[0, 1\\): 'h'",
        ),
        (
            '{"text": "hi", "intent": "A", "spans": [{"start": 0, "end": 2, "slot": "a"}, '
            '{"start": 1, "end": 2, "slot": "b"}]}',
            "overlap",
        ),
        ('{"text": "hi", "intent": "A", "votes": {"for": "3"}}', "'votes'"),
        ('{"text": "hi", "intent": "A", "id": "x"}', "'id'"),
        ('{"text": " \\n ", "intent": "A"}', "'text' is empty"),
    ],
    ids=[
        "json",
        "not-object",
        "no-intent",
        "spans-not-list",
        "span-outside",
        "no-slot",
        "value-mismatch",
        "overlap",
        "votes",
        "id",
        "blank-text",
    ],
)
def test_jsonl_reader_errors_name_the_line(tmp_path: Path, line: str, words: str) -> None:
    path = tmp_path / "q.jsonl"
    path.write_text('{"text": "fine", "intent": "A"}\n' + line + "\n", encoding="utf-8")
    with pytest.raises(ImportFailed, match=f"q.jsonl:2(, spans\\[\\d\\])?: .*{words}"):
        list(read_jsonl(path))


def test_jsonl_reader_normalises_a_line_break_in_text() -> None:
    record = {
        "text": "lights\non in the kitchen\n",
        "intent": "A",
        "spans": [{"start": 17, "end": 24, "slot": "room", "value": "kitchen"}],
    }
    (query,) = read_back(json.dumps(record) + "\n", "jsonl")
    assert query.text == "lights on in the kitchen"
    assert query.value_of(query.spans[0]) == "kitchen"
    assert query.spans[0].entity == "room"  # a missing entity defaults to the slot


# ----------------------------------------------------------------------- the shared contract


@pytest.mark.parametrize("fmt", NLU_FORMATS)
@pytest.mark.parametrize(
    ("query", "words"),
    [
        (AnnotatedQuery("two\nlines", "A"), "text holds the control character U\\+000A"),
        (AnnotatedQuery("tab\there", "A"), "U\\+0009"),
        (AnnotatedQuery("para\u2029graph", "A"), "U\\+2029"),
        (AnnotatedQuery(" padded", "A"), "starts or ends with whitespace"),
        (AnnotatedQuery("", "A"), "text is empty"),
        (AnnotatedQuery("fine text", ""), "intent is empty"),
        (AnnotatedQuery("fine text", "A", (Span(5, 20, "s", "s"),)), "outside the text"),
        (AnnotatedQuery("fine text", "A", (Span(3, 3, "s", "s"),)), "is empty or outside"),
        (
            AnnotatedQuery("fine text", "A", (Span(0, 4, "a", "a"), Span(2, 6, "b", "b"))),
            "overlaps",
        ),
        (AnnotatedQuery("fine text", "A", (Span(0, 4, "", "a"),)), "slot is empty"),
    ],
    ids=[
        "newline",
        "tab",
        "separator",
        "padded",
        "empty",
        "no-intent",
        "outside",
        "empty-span",
        "overlap",
        "no-slot",
    ],
)
def test_writers_refuse_what_breaks_the_text_rules(
    fmt: NluFormat, query: AnnotatedQuery, words: str
) -> None:
    with pytest.raises(InvalidInput, match=f"query 2 .*{words}"):
        write([DARK, query], fmt)


def test_errors_name_the_query_id() -> None:
    bad = AnnotatedQuery("a\nb", "A", query_id=99)
    with pytest.raises(InvalidInput, match=r"query 1 \(id 99\) 'a\\nb'"):
        write([bad], "jsonl")


def test_writers_sort_spans() -> None:
    shuffled = AnnotatedQuery(FLIGHT.text, FLIGHT.intent, FLIGHT.spans[::-1])
    for fmt in NLU_FORMATS:
        assert [key(q) for q in read_back(write([shuffled], fmt), fmt)] == [key(FLIGHT)]


def test_write_dataset_to_a_path_is_all_or_nothing(tmp_path: Path) -> None:
    path = tmp_path / "out.jsonl"
    assert write_dataset([LIGHTS, DARK], "jsonl", path, language="en") == 2
    assert len(path.read_text(encoding="utf-8").splitlines()) == 2
    with pytest.raises(InvalidInput):
        write_dataset([LIGHTS, AnnotatedQuery("bad\n", "A")], "jsonl", path, language="en")
    assert len(path.read_text(encoding="utf-8").splitlines()) == 2  # the old file is kept
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.jsonl"]


def test_write_dataset_streams_jsonl_from_a_generator() -> None:
    def queries() -> Any:
        for i in range(1_000):
            yield AnnotatedQuery(f"query number {i}", "A", query_id=i)

    buffer = io.StringIO()
    assert write_dataset(queries(), "jsonl", buffer, language="en") == 1_000
    assert buffer.getvalue().count("\n") == 1_000


def test_write_dataset_refuses_an_unknown_format() -> None:
    with pytest.raises(InvalidInput, match="unknown NLU format 'csv'; choose one of snips, rasa"):
        write_dataset([LIGHTS], "csv", io.StringIO(), language="en")  # type: ignore[arg-type]
    with pytest.raises(InvalidInput, match="unknown NLU format"):
        read_dataset(io.StringIO(""), "csv")  # type: ignore[arg-type]


def test_empty_datasets() -> None:
    for fmt in NLU_FORMATS:
        assert read_back(write([], fmt), fmt) == []


# -------------------------------------------------------------------------------- properties

# everything a one-line query text may hold: no control characters, line or paragraph separators
_CHAR = st.characters(
    exclude_categories=["Cc", "Cs", "Zl", "Zp"], exclude_characters="\ufffe\uffff"
)
_BRACKETY = st.sampled_from(list("[](){}\"':#-\\ ")) | st.sampled_from(["é", "ß", "🍕", "中"])
_TEXT = st.text(_CHAR | _BRACKETY, min_size=1, max_size=30).filter(lambda t: t == t.strip())
_NAME = st.text(
    st.characters(
        exclude_categories=["Cc", "Cs", "Zl", "Zp", "Zs"], exclude_characters="\ufffe\uffff"
    )
    | st.sampled_from(list("_/:()")),
    min_size=1,
    max_size=8,
)


@st.composite
def queries(draw: st.DrawFn, text: st.SearchStrategy[str] = _TEXT) -> AnnotatedQuery:
    body = draw(text)
    cuts = sorted(draw(st.lists(st.integers(0, len(body)), unique=True, max_size=6)))
    spans = tuple(
        Span(start, end, draw(_NAME), draw(_NAME | st.just("snips/number")))
        for start, end in zip(cuts[::2], cuts[1::2], strict=False)
        if start < end
    )
    return AnnotatedQuery(
        body,
        draw(_NAME.filter(lambda name: name == name.strip())),
        spans,
        worker=draw(st.text(max_size=5)),
        votes_for=draw(st.integers(0, 9)),
        votes_against=draw(st.integers(0, 9)),
        query_id=draw(st.none() | st.integers(0, 10**9)),
    )


_HYPOTHESIS = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


@_HYPOTHESIS
@given(batch=st.lists(queries(), max_size=6))
def test_jsonl_round_trip_property(batch: list[AnnotatedQuery]) -> None:
    assert read_back(write(batch, "jsonl"), "jsonl") == batch


@_HYPOTHESIS
@given(batch=st.lists(queries(), max_size=6))
def test_snips_round_trip_property(batch: list[AnnotatedQuery]) -> None:
    assert grouped(read_back(write(batch, "snips"), "snips")) == grouped(batch)


@_HYPOTHESIS
@given(query=queries())
def test_rasa_round_trips_or_refuses(query: AnnotatedQuery) -> None:
    try:
        text = write([query], "rasa")
    except InvalidInput as error:
        assert "Rasa would read" in error.message
        return
    assert [key(q) for q in read_back(text, "rasa")] == [key(query)]


_PLAIN_TEXT = st.text(
    st.characters(exclude_categories=["Cc", "Cs", "Zl", "Zp"], exclude_characters="[]\ufffe\uffff"),
    min_size=1,
    max_size=30,
).filter(lambda t: t == t.strip())


@_HYPOTHESIS
@given(batch=st.lists(queries(_PLAIN_TEXT), max_size=6))
def test_rasa_always_writes_bracket_free_texts(batch: list[AnnotatedQuery]) -> None:
    plain = [
        AnnotatedQuery(
            q.text, q.intent, tuple(Span(s.start, s.end, s.slot, s.slot) for s in q.spans)
        )
        for q in batch
        if all(c.isalnum() or c in "_/" for s in q.spans for c in s.slot)
    ]
    assert grouped(read_back(write(plain, "rasa"), "rasa")) == grouped(plain)


@_HYPOTHESIS
@given(
    query=queries(),
    fmt=st.sampled_from(NLU_FORMATS),
    breaker=st.sampled_from(["\n", "\r", "\r\n", "\x85", "\u2028", "\x0b"]),
)
def test_line_breaks_are_always_refused(
    query: AnnotatedQuery, fmt: NluFormat, breaker: str
) -> None:
    cut = len(query.text) // 2
    broken = AnnotatedQuery(query.text[:cut] + breaker + query.text[cut:], query.intent)
    with pytest.raises(InvalidInput, match=r"control character|line"):
        write([broken], fmt)
