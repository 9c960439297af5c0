"""Answer files in, aggregated results out: CSV, TSV, JSONL and Parquet, chosen by extension.

Reading maps the file's own column names onto ``task, worker, label`` (``--columns
task=question,worker=worker,label=answer``), checks the columns up front and reports empty cells
and malformed lines with their line numbers. Task and worker ids are read as text (``007``
stays ``007``); labels keep their type in JSONL and Parquet and are text in CSV and TSV.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from crowdset.errors import ImportFailed, InvalidInput
from crowdset.formats.cells import neutralise_frame

Format = Literal["csv", "tsv", "jsonl", "parquet"]
FORMATS: dict[str, Format] = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".jsonl": "jsonl",
    ".parquet": "parquet",
}
ANSWER_COLUMNS = ("task", "worker", "label")
ID_COLUMNS = frozenset({"task", "worker"})
COLUMNS_EXAMPLE = "task=question,worker=worker,label=answer"


def file_format(path: Path) -> Format:
    """The format of ``path`` from its extension; ``InvalidInput`` for any other."""
    try:
        return FORMATS[path.suffix.lower()]
    except KeyError:
        raise InvalidInput(
            f"cannot tell the format of {str(path)!r} from its extension {path.suffix!r}; "
            f"use one of {', '.join(FORMATS)}.",
            path=str(path),
        ) from None


def parse_column_mapping(
    text: str | None, keys: Sequence[str] = ANSWER_COLUMNS, *, option: str = "--columns"
) -> dict[str, str]:
    """Parse ``"task=question,worker=worker,label=answer"`` into ``{"task": "question", …}``.

    Keys must be among ``keys``; unmapped keys keep their own name.
    """
    if text is None or not text.strip():
        return {}
    mapping: dict[str, str] = {}
    for item in text.split(","):
        key, sep, column = (part.strip() for part in item.partition("="))
        if not sep or not key or not column:
            raise InvalidInput(
                f"{option} expects NAME=COLUMN pairs separated by commas, e.g. "
                f"{option} {COLUMNS_EXAMPLE}; could not read {item.strip()!r}.",
                option=option,
            )
        if key not in keys:
            raise InvalidInput(
                f"{option} maps {key!r}, which is not one of {', '.join(keys)}; "
                f"e.g. {option} {COLUMNS_EXAMPLE}.",
                option=option,
            )
        if key in mapping:
            raise InvalidInput(f"{option} maps {key!r} twice.", option=option)
        mapping[key] = column
    return mapping


def read_table(path: Path) -> pd.DataFrame:
    """Every column of an answer-like file; CSV and TSV cells are read as text."""
    fmt = file_format(path)
    if not path.is_file():
        raise InvalidInput(f"file not found: {str(path)!r}.", path=str(path))
    try:
        if fmt in ("csv", "tsv"):
            return pd.read_csv(
                path,
                sep="," if fmt == "csv" else "\t",
                dtype=str,
                keep_default_na=False,
                na_values=[""],
            )
        if fmt == "parquet":
            return pd.read_parquet(path)
    except (ValueError, UnicodeDecodeError, OSError) as error:  # pandas and pyarrow parse errors
        raise ImportFailed(f"cannot read {str(path)!r}: {error}", path=str(path)) from error
    return _read_jsonl(path)


def _read_jsonl(path: Path) -> pd.DataFrame:
    records: list[dict[str, Any]] = []
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as error:
                raise ImportFailed(
                    f"{str(path)!r} line {number} is not valid JSON: {error.msg}.",
                    path=str(path),
                    line=number,
                ) from error
            if not isinstance(record, dict):
                raise ImportFailed(
                    f"{str(path)!r} line {number} must be a JSON object, not "
                    f"{type(record).__name__}.",
                    path=str(path),
                    line=number,
                )
            records.append(record)
    return pd.DataFrame.from_records(records)


def read_answers(
    path: Path,
    mapping: Mapping[str, str] | None = None,
    columns: Sequence[str] = ANSWER_COLUMNS,
    *,
    option: str = "--columns",
) -> pd.DataFrame:
    """Read ``path`` into a frame with exactly ``columns`` (renamed through ``mapping``).

    A missing column raises ``InvalidInput`` naming it, the file column it was looked for and
    the columns present; an empty cell raises ``ImportFailed`` with its line number (header =
    line 1 for CSV/TSV; JSONL counts records).
    """
    mapping = dict(mapping or {})
    table = read_table(path)
    source = {name: mapping.get(name, name) for name in columns}
    missing = [name for name in columns if source[name] not in table.columns]
    if missing:
        looked = ", ".join(
            name if source[name] == name else f"{name} (as {source[name]!r})" for name in missing
        )
        present = ", ".join(str(column) for column in table.columns) or "none"
        raise InvalidInput(
            f"{str(path)!r} has no column for {looked}; columns present: {present}. "
            f"Map yours with {option}, e.g. {option} {COLUMNS_EXAMPLE}.",
            missing=missing,
            present=[str(column) for column in table.columns],
        )
    frame = table.loc[:, [source[name] for name in columns]]
    frame.columns = pd.Index(list(columns))
    blank = frame.isna().to_numpy().any(axis=1)
    if blank.any():
        first = int(blank.argmax())
        line = first + 2 if file_format(path) in ("csv", "tsv") else first + 1
        empty = [name for name in columns if pd.isna(frame.iloc[first][name])]
        raise ImportFailed(
            f"{str(path)!r} line {line} has no {' / '.join(empty)} "
            f"({int(blank.sum())} row(s) like it); fill or drop them.",
            path=str(path),
            line=line,
        )
    for name in ID_COLUMNS.intersection(columns):
        frame[name] = frame[name].astype(str)
    return frame.reset_index(drop=True)


def match_labels(values: pd.Series[Any], like: pd.Series[Any], *, what: str) -> pd.Series[Any]:
    """``values`` converted to the type of ``like`` (labels read from different formats)."""
    if pd.api.types.is_numeric_dtype(like) and not pd.api.types.is_bool_dtype(like):
        try:
            return pd.to_numeric(values)
        except (TypeError, ValueError) as error:
            raise InvalidInput(
                f"{what} must be numbers like the answers' labels: {error}."
            ) from error
    return values.astype(str)


def write_table(frame: pd.DataFrame, path: Path) -> None:
    """Write ``frame`` (no index) in the format of ``path``'s extension."""
    fmt = file_format(path)
    if not path.parent.is_dir():
        raise InvalidInput(
            f"cannot write {str(path)!r}: folder {str(path.parent)!r} does not exist.",
            path=str(path),
        )
    if fmt == "csv":
        neutralise_frame(frame).to_csv(path, index=False)
    elif fmt == "tsv":
        neutralise_frame(frame).to_csv(path, index=False, sep="\t")
    elif fmt == "jsonl":
        frame.to_json(path, orient="records", lines=True, force_ascii=False)
    else:
        frame.to_parquet(path, index=False)
