"""``crowdset bias``: do groups of workers answer differently? (a bias report of an answer file)."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from crowdset.cli.common import console
from crowdset.errors import ImportFailed, InvalidInput

if TYPE_CHECKING:
    pass

# NumPy, SciPy, pandas and pyarrow load when the command runs, not for `crowdset bias --help`.


class LevelOption(StrEnum):
    """What the labels are, as typed on the command line."""

    RATINGS = "ratings"
    LABELS = "labels"


class OutputFormat(StrEnum):
    TABLE = "table"
    JSON = "json"


COLUMN_KEYS = ("task", "worker", "label", "group")
COLUMNS_EXAMPLE = "task=item,worker=rater,label=score,group=gender"

HELP = "\n\n".join(
    [
        "Bias report of an answer file: do groups of workers (a worker attribute such as "
        "gender or age) answer differently on the same items?",
        "ANSWERS is a .csv, .tsv, .jsonl or .parquet file with one answer per row (task, "
        "worker, label, group), read as `crowdset aggregate` reads it; the group column must "
        "be the same on all of a worker's rows. Each group is compared with the workers of "
        "the other reported groups. --level ratings (numeric labels): the group's mean and "
        "distribution, the difference of item-centred ratings (rating minus the item's "
        "mean), Cohen's d and Cliff's delta over pairs of answers to the same item. --level "
        "labels: each label's share, the item-adjusted risk difference and the "
        "Mantel-Haenszel odds ratio over items. P-values come from --permutations shuffles "
        "of the groups among the workers, Holm-corrected over all comparisons; 95% "
        "intervals from --bootstrap resamples of the workers. Groups with fewer than "
        "--min-group-size workers are suppressed: named, never counted, and left out of "
        "every number. A worker's repeated answers to an item are ignored (the first "
        "counts). --plot writes an SVG of the group means (ratings) or risk differences "
        "(labels) with their intervals.",
    ]
)

EXAMPLE = (
    "Example: crowdset bias ratings.csv --columns "
    "task=item,worker=rater,label=score,group=gender --plot bias.svg"
)

TOP_ITEMS = 10


def register(app: typer.Typer) -> None:
    """Add the ``bias`` command to ``app``."""
    app.command("bias", help=HELP, epilog=EXAMPLE)(bias)


def bias(
    answers: Annotated[
        Path,
        typer.Argument(
            metavar="ANSWERS",
            help="Answer file: .csv, .tsv, .jsonl or .parquet.",
            show_default=False,
        ),
    ],
    columns: Annotated[
        str | None,
        typer.Option(
            help="Your column names, e.g. task=item,worker=rater,label=score,group=gender.",
            show_default=False,
        ),
    ] = None,
    level: Annotated[
        LevelOption, typer.Option(help="Numeric ratings, or categories.")
    ] = LevelOption.RATINGS,
    min_group_size: Annotated[
        int, typer.Option(help="Workers a group needs to be reported; smaller ones suppressed.")
    ] = 10,
    permutations: Annotated[
        int, typer.Option(help="Shuffles of the groups among the workers for the p-values.")
    ] = 2000,
    bootstrap: Annotated[
        int, typer.Option(help="Resamples of the workers for the 95% intervals; 0: none.")
    ] = 1000,
    seed: Annotated[int, typer.Option(help="Random seed of the permutations and resamples.")] = 0,
    output: Annotated[
        OutputFormat, typer.Option("--format", help="Tables, or JSON.")
    ] = OutputFormat.TABLE,
    plot: Annotated[
        Path | None,
        typer.Option(help="Write a plot of the groups here (.svg).", show_default=False),
    ] = None,
) -> None:
    from crowdset.core.bias import BiasLevel, bias_report, grouped_answers, worker_groups
    from crowdset.formats.answer_codes import read_answer_codes
    from crowdset.formats.answers import parse_column_mapping
    from crowdset.formats.bias_report import bias_json

    if min_group_size < 2:
        raise InvalidInput(
            f"--min-group-size must be at least 2 (a group of one is a person); got "
            f"{min_group_size}."
        )
    if permutations < 1:
        raise InvalidInput(f"--permutations must be at least 1; got {permutations}.")
    if bootstrap < 0:
        raise InvalidInput(f"--bootstrap must be 0 (none) or more; got {bootstrap}.")
    if plot is not None:
        check_plot_path(plot)
    mapping = parse_column_mapping(columns, COLUMN_KEYS)
    group_column = mapping.pop("group", "group")
    codes = read_answer_codes(answers, mapping)
    group, group_names = _read_groups(answers, group_column)
    chosen = BiasLevel(level.value)
    values = _numeric_labels(codes.labels, answers) if chosen is BiasLevel.RATINGS else None
    data = grouped_answers(
        codes.task,
        codes.worker,
        codes.label,
        worker_groups(
            codes.worker,
            group,
            codes.n_workers,
            worker_names=list(codes.workers),
            group_names=group_names,
        ),
        level=chosen,
        values=values,
        n_tasks=codes.n_tasks,
        n_labels=codes.n_labels,
        min_group_size=min_group_size,
    )
    report = bias_report(
        data, permutations=permutations, resamples=bootstrap, rng=seed, top_items=TOP_ITEMS
    )
    if data.values is None:
        labels = [str(label) for label in codes.labels]
    else:
        labels = [f"{value:g}" for value in data.values]
    result = bias_json(report, group_column, group_names, labels, list(codes.tasks), seed)
    if plot is not None:
        write_bias_svg(plot, result, answers.name)
    if output is OutputFormat.JSON:
        import json

        typer.echo(json.dumps(result, indent=2, ensure_ascii=False))
        return
    print_bias_tables(result, f"crowdset bias {answers.name}", plot)


def check_plot_path(path: Path) -> None:
    if path.suffix.lower() != ".svg":
        raise InvalidInput(
            f"--plot writes SVG (drawn by crowdset itself, no plotting library needed); "
            f"{str(path)!r} has extension {path.suffix!r}. Name the file with .svg, e.g. "
            "--plot bias.svg.",
            path=str(path),
        )
    if not path.parent.is_dir():
        raise InvalidInput(
            f"cannot write {str(path)!r}: folder {str(path.parent)!r} does not exist.",
            path=str(path),
        )


def _read_groups(path: Path, column: str) -> tuple[Any, list[str]]:
    """Each row's group code (groups sorted by name) and the group names, from ``column``.

    The rows are those of :func:`crowdset.formats.answer_codes.read_answer_codes`; groups
    are read as text. A missing column or an empty cell is refused like an answer column.
    """
    import numpy as np
    import pandas as pd

    from crowdset.formats.answers import file_format, read_answers

    fmt = file_format(path)
    if fmt == "jsonl":
        try:
            text = read_answers(path, {"group": column}, ("group",))["group"].astype(str)
        except InvalidInput as error:
            raise _missing_group(path, column, error.fields.get("present", [])) from None
        codes, names = pd.factorize(text, sort=True)
        return codes.astype(np.intp), [str(name) for name in names]
    import pyarrow as pa
    import pyarrow.compute as pc

    table = _group_table(path, column, fmt)
    values = table.column(0)
    if values.null_count:
        first = pc.index(pc.is_null(values), True).as_py()
        line = first + (1 if fmt == "parquet" else 2)
        raise ImportFailed(
            f"{str(path)!r} line {line} has no group (column {column!r}; "
            f"{values.null_count} row(s) like it); fill or drop them.",
            path=str(path),
            line=line,
        )
    if not pa.types.is_string(values.type) and not pa.types.is_large_string(values.type):
        values = pc.cast(values, pa.string())
    codes, names = pd.factorize(values.to_numpy(zero_copy_only=False), sort=True)
    return codes.astype(np.intp), [str(name) for name in names]


def _group_table(path: Path, column: str, fmt: str) -> Any:
    """The one column ``column`` of a CSV, TSV or Parquet file, as a pyarrow table."""
    import csv

    import pyarrow as pa
    import pyarrow.csv as pa_csv
    import pyarrow.parquet as pq

    try:
        if fmt == "parquet":
            present = pq.read_schema(path).names
            if column not in present:
                raise _missing_group(path, column, present)
            return pq.read_table(path, columns=[column], use_threads=False)
        delimiter = "," if fmt == "csv" else "\t"
        with path.open(encoding="utf-8-sig", newline="") as lines:
            present = next(csv.reader(lines, delimiter=delimiter), [])
        if column not in present:
            raise _missing_group(path, column, present)
        return pa_csv.read_csv(
            path,
            read_options=pa_csv.ReadOptions(use_threads=False, block_size=1 << 24),
            parse_options=pa_csv.ParseOptions(delimiter=delimiter),
            convert_options=pa_csv.ConvertOptions(
                include_columns=[column],
                column_types={column: pa.string()},
                strings_can_be_null=True,
                quoted_strings_can_be_null=True,
                null_values=[""],
            ),
        )
    except (pa.ArrowException, UnicodeDecodeError, OSError) as error:
        raise ImportFailed(f"cannot read {str(path)!r}: {error}", path=str(path)) from error


def _missing_group(path: Path, column: str, present: list[str]) -> InvalidInput:
    looked = "group" if column == "group" else f"group (as {column!r})"
    return InvalidInput(
        f"{str(path)!r} has no column for {looked}; columns present: "
        f"{', '.join(present) or 'none'}. Name the column holding each worker's group with "
        f"--columns, e.g. --columns {COLUMNS_EXAMPLE}.",
        missing=["group"],
        present=present,
    )


def _numeric_labels(labels: Any, path: Path) -> Any:
    """The number each label stands for; ``InvalidInput`` naming the first that is none."""
    import numpy as np
    import pandas as pd

    numbers = pd.to_numeric(pd.Series(labels, dtype=object), errors="coerce").astype(float)
    bad = ~np.isfinite(numbers.to_numpy())
    if bad.any():
        first = labels[int(np.flatnonzero(bad)[0])]
        raise InvalidInput(
            f"--level ratings needs numeric labels; {str(path)!r} has label {first!r} "
            f"({int(bad.sum())} of {len(labels)} distinct labels are not finite numbers). "
            "Use --level labels for categories, or map the labels to numbers.",
            label=str(first),
        )
    return numbers.to_numpy()


def _shown(value: float | None, digits: int = 3, sign: str = "") -> str:
    return "–" if value is None else f"{value:{sign}.{digits}f}"


def _with_interval(value: float | None, pair: list[float | None] | None, sign: str = "+") -> str:
    text = _shown(value, sign=sign)
    if pair is None:
        return text
    return f"{text} [{_shown(pair[0], sign=sign)}, {_shown(pair[1], sign=sign)}]"


def _p(value: float | None) -> str:
    return "–" if value is None else f"{value:.4f}"


def print_bias_tables(result: dict[str, Any], source: str, plot: Path | None) -> None:
    from rich.table import Table

    ratings = result["level"] == "ratings"
    summary = Table(
        title=f"{source} by {result['group_column']} --level {result['level']}",
        show_header=False,
    )
    for name, count in result["counts"].items():
        summary.add_row(name.replace("_", " "), f"{count:,}")
    suppressed = result["suppressed_groups"]
    summary.add_row(
        "suppressed groups",
        (", ".join(suppressed) if suppressed else "none")
        + f" (fewer than {result['min_group_size']} workers: not counted anywhere)",
    )
    boot = result["bootstrap"]
    summary.add_row(
        "tests",
        f"{result['permutations']:,} permutations of the groups among the workers (seed "
        f"{result['seed']}), Holm-corrected; * p < {result['significance']:g}"
        + ("" if boot is None else f"; {boot['resamples']:,} worker resamples for intervals"),
    )
    if plot is not None:
        summary.add_row("plot", str(plot))
    console.print(summary)

    labels = list(result["groups"][0]["distribution"]) if result["groups"] else []
    groups = Table("group", "workers", "answers", title="Groups")
    if ratings:
        groups.add_column("mean [95% interval]")
        groups.add_column("sd")
    groups.add_column("distribution (" + " / ".join(labels) + ")")
    for row in result["groups"]:
        answers = max(row["answers"], 1)
        shares = " / ".join(f"{count / answers:.0%}" for count in row["distribution"].values())
        cells = [row["group"], f"{row['workers']:,}", f"{row['answers']:,}"]
        if ratings:
            cells += [_with_interval(row["mean"], row["mean_interval"], ""), _shown(row["sd"])]
        groups.add_row(*cells, shares)
    console.print(groups)

    if ratings:
        table = Table(
            "group vs rest", "difference", "Cohen's d", "Cliff's delta", "p", "p (Holm)",
            title="Each group against the rest",
            caption="of item-centred ratings (rating minus the item's mean); Cliff's delta "
            "over pairs of answers to the same item; [95% interval]",
        )  # fmt: skip
        for row in result["comparisons"]:
            table.add_row(
                row["group"],
                _with_interval(row["difference"], row["difference_interval"]),
                _with_interval(row["cohen_d"], row["cohen_d_interval"]),
                _with_interval(row["cliffs_delta"], row["cliffs_delta_interval"]),
                _p(row["p_value"]),
                _p(row["p_holm"]) + (" *" if row["significant"] else ""),
            )
    else:
        table = Table(
            "group vs rest", "label", "share", "rest", "risk diff.", "odds ratio", "p",
            "p (Holm)", title="Each group against the rest, per label",
            caption="risk difference: item-adjusted; odds ratio: Mantel-Haenszel over items; "
            "[95% interval]",
        )  # fmt: skip
        for row in result["comparisons"]:
            table.add_row(
                row["group"],
                row["label"],
                f"{row['share']:.1%}",
                f"{row['rest_share']:.1%}",
                _with_interval(row["risk_difference"], row["risk_difference_interval"]),
                _with_interval(row["odds_ratio"], row["odds_ratio_interval"], ""),
                _p(row["p_value"]),
                _p(row["p_holm"]) + (" *" if row["significant"] else ""),
            )
    console.print(table)

    value = "mean" if ratings else "share"
    items = Table(
        "item", "gap", *([] if ratings else ["label"]), f"groups ({value}, answers)",
        title="Items with the largest gaps between groups",
    )  # fmt: skip
    for row in result["items"]:
        described = ", ".join(
            f"{entry['group']} {_shown(entry[value], 2)} ({entry['answers']})"
            for entry in row["groups"]
        )
        items.add_row(
            row["item"], _shown(row["gap"], 2), *([] if ratings else [row["label"]]), described
        )
    console.print(items)


def write_bias_svg(path: Path, result: dict[str, Any], source: str) -> None:
    from crowdset.formats.bias_report import bias_svg

    path.write_text(bias_svg(result, f"{source}: by {result['group_column']}"), "utf-8")
