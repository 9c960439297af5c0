"""Answer files read with pyarrow straight into integer codes, and results written with pyarrow.

``crowdset aggregate`` on millions of answers spent more time reading the file into Python
strings, factorising the same strings again in every model and writing through pandas than
in the truth inference itself. Here CSV, TSV and Parquet are read by pyarrow (one thread: the
models run on one), only the three answer columns are parsed, and each column is
dictionary-encoded once into the codes of :class:`~crowdset.core.aggregation.Answers`: tasks
and workers in order of first appearance, labels sorted, as ``encode_answers`` gives them.
JSONL keeps the pandas reader of :mod:`crowdset.formats.answers` (its errors name the line).

The columns, errors and types are those of :func:`crowdset.formats.answers.read_answers`:
task and worker ids are text, CSV and TSV labels are text, Parquet labels keep their type, a
missing column is named with the columns present, an empty cell with its line number.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from crowdset.core.aggregation import Answers, encode_answers
from crowdset.errors import ImportFailed, InvalidInput
from crowdset.formats.answers import (
    ANSWER_COLUMNS,
    COLUMNS_EXAMPLE,
    ID_COLUMNS,
    file_format,
    read_answers,
    write_table,
)


def read_answer_codes(
    path: Path, mapping: Mapping[str, str] | None = None, *, option: str = "--columns"
) -> Answers:
    """The answers of ``path`` as integer codes, columns renamed through ``mapping``."""
    fmt = file_format(path)
    if fmt == "jsonl":
        return encode_answers(read_answers(path, mapping, option=option))
    table = read_answer_table(path, mapping, option=option)
    if table.num_rows == 0:
        raise InvalidInput(f"{str(path)!r} has no answers: there is nothing to aggregate.")
    task, tasks = _codes(table.column("task"), sort=False)
    worker, workers = _codes(table.column("worker"), sort=False)
    label, labels = _codes(table.column("label"), sort=True)
    return Answers(
        task=task,
        worker=worker,
        label=label,
        tasks=tasks.rename("task"),
        workers=workers.rename("worker"),
        labels=labels.rename("label"),
    )


def read_answer_table(
    path: Path, mapping: Mapping[str, str] | None = None, *, option: str = "--columns"
) -> pa.Table:
    """The columns ``task, worker, label`` of a CSV, TSV or Parquet file as a pyarrow table.

    Only those columns are parsed. Raises ``InvalidInput`` for a missing column (naming the
    columns present) and ``ImportFailed`` for an unreadable file or an empty cell (with its
    line: the header is line 1 of a CSV or TSV file, a Parquet file counts rows from 1).
    """
    fmt = file_format(path)
    if not path.is_file():
        raise InvalidInput(f"file not found: {str(path)!r}.", path=str(path))
    source = {name: dict(mapping or {}).get(name, name) for name in ANSWER_COLUMNS}
    try:
        if fmt == "parquet":
            present = pq.read_schema(path).names
            _require(path, source, present, option)
            table = pq.read_table(path, columns=list(source.values()), use_threads=False)
        else:
            delimiter = "," if fmt == "csv" else "\t"
            present = _header(path, delimiter)
            _require(path, source, present, option)
            table = pa_csv.read_csv(
                path,
                read_options=pa_csv.ReadOptions(use_threads=False, block_size=1 << 24),
                parse_options=pa_csv.ParseOptions(delimiter=delimiter),
                convert_options=pa_csv.ConvertOptions(
                    include_columns=list(source.values()),
                    column_types=dict.fromkeys(source.values(), pa.string()),
                    strings_can_be_null=True,
                    quoted_strings_can_be_null=True,
                    null_values=[""],
                ),
            )
    except (pa.ArrowException, UnicodeDecodeError, OSError) as error:
        raise ImportFailed(f"cannot read {str(path)!r}: {error}", path=str(path)) from error
    table = table.select(list(source.values())).rename_columns(list(ANSWER_COLUMNS))
    _refuse_empty_cells(path, table, first_line=2 if fmt != "parquet" else 1)
    for name in ID_COLUMNS:
        column = table.column(name)
        if not pa.types.is_string(column.type) and not pa.types.is_large_string(column.type):
            index = table.schema.get_field_index(name)
            table = table.set_column(index, name, pc.cast(column, pa.string()))
    return table


def _header(path: Path, delimiter: str) -> list[str]:
    with path.open(encoding="utf-8-sig", newline="") as lines:
        return next(csv.reader(lines, delimiter=delimiter), [])


def _require(path: Path, source: Mapping[str, str], present: list[str], option: str) -> None:
    missing = [name for name in ANSWER_COLUMNS if source[name] not in present]
    if not missing:
        return
    looked = ", ".join(
        name if source[name] == name else f"{name} (as {source[name]!r})" for name in missing
    )
    raise InvalidInput(
        f"{str(path)!r} has no column for {looked}; columns present: "
        f"{', '.join(present) or 'none'}. Map yours with {option}, e.g. {option} "
        f"{COLUMNS_EXAMPLE}.",
        missing=missing,
        present=present,
    )


def _refuse_empty_cells(path: Path, table: pa.Table, *, first_line: int) -> None:
    if not any(column.null_count for column in table.columns):
        return
    blank = pc.or_(
        pc.or_(pc.is_null(table.column(0)), pc.is_null(table.column(1))),
        pc.is_null(table.column(2)),
    )
    first = pc.index(blank, True).as_py()
    empty = [name for name in ANSWER_COLUMNS if not table.column(name)[first].is_valid]
    line = first + first_line
    raise ImportFailed(
        f"{str(path)!r} line {line} has no {' / '.join(empty)} "
        f"({pc.sum(blank).as_py()} row(s) like it); fill or drop them.",
        path=str(path),
        line=line,
    )


def _codes(column: pa.ChunkedArray, *, sort: bool) -> tuple[Any, pd.Index[Any]]:
    """Integer codes and the unique values (in order of appearance, or sorted)."""
    encoded = pc.dictionary_encode(column).combine_chunks()
    codes = encoded.indices.to_numpy().astype(np.intp)
    values = encoded.dictionary
    if sort and len(values) > 1:
        order = pc.sort_indices(values).to_numpy()
        rank = np.empty(order.size, dtype=np.intp)
        rank[order] = np.arange(order.size, dtype=np.intp)
        codes = rank[codes]
        values = values.take(pa.array(order))
    return codes, pd.Index(values.to_pandas())


def write_results(frame: pd.DataFrame, path: Path) -> None:
    """Write a result frame (no index) in the format of ``path``'s extension.

    CSV, TSV and Parquet go through pyarrow (a column of text from pyarrow is not turned into
    Python strings first); JSONL, and columns pyarrow cannot type (labels of mixed types),
    through :func:`crowdset.formats.answers.write_table`.
    """
    fmt = file_format(path)
    if fmt == "jsonl" or not path.parent.is_dir():
        write_table(frame, path)  # it also names the missing folder
        return
    try:
        table = pa.Table.from_pandas(frame, preserve_index=False)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        write_table(frame, path)
        return
    if fmt == "parquet":
        pq.write_table(table, path)
        return
    _write_delimited(table, path, "," if fmt == "csv" else "\t")


def _write_delimited(table: pa.Table, path: Path, delimiter: str) -> None:
    """CSV or TSV quoted only where a value needs it, as pandas and the csv module write.

    pyarrow quotes every text value, or none (refusing a value with a delimiter, quote or line
    break in it): none is tried first, every text value quoted only when that fails.
    """
    with path.open("w", encoding="utf-8", newline="") as header:
        csv.writer(header, delimiter=delimiter, lineterminator="\n").writerow(table.column_names)
    for quoting in ("none", "needed"):
        with path.open("ab") as sink:
            start = sink.tell()
            try:
                pa_csv.write_csv(
                    table,
                    sink,
                    write_options=pa_csv.WriteOptions(
                        include_header=False, delimiter=delimiter, quoting_style=quoting
                    ),
                )
                return
            except pa.ArrowInvalid:
                sink.truncate(start)
