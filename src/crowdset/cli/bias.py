"""``crowdset bias``: do groups of workers answer differently? (a bias report of an answer file)."""

from __future__ import annotations

import math
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from crowdset.cli.common import console
from crowdset.errors import ImportFailed, InvalidInput

if TYPE_CHECKING:
    from crowdset.core.bias import BiasReport

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
        _check_plot_path(plot)
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
    result = _as_dict(report, group_column, group_names, labels, list(codes.tasks), seed)
    if plot is not None:
        _write_svg(plot, result, answers)
    if output is OutputFormat.JSON:
        import json

        typer.echo(json.dumps(result, indent=2, ensure_ascii=False))
        return
    _print_tables(result, answers, plot)


def _check_plot_path(path: Path) -> None:
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


def _number(value: float) -> float | None:
    """A float for JSON: NaN (undefined) and infinities become null."""
    return float(value) if math.isfinite(value) else None


def _pair(interval: tuple[float, float] | None) -> list[float | None] | None:
    return None if interval is None else [_number(interval[0]), _number(interval[1])]


def _as_dict(
    report: BiasReport,
    group_column: str,
    group_names: list[str],
    labels: list[str],
    tasks: list[Any],
    seed: int,
) -> dict[str, Any]:
    from crowdset.core.bias import RatingComparison

    ratings = str(report.level) == "ratings"
    groups = []
    for summary in report.groups:
        row: dict[str, Any] = {
            "group": group_names[summary.group],
            "workers": summary.workers,
            "answers": summary.answers,
        }
        if ratings:
            row |= {
                "mean": _number(summary.mean),
                "mean_interval": _pair(summary.mean_interval),
                "sd": _number(summary.sd),
            }
        row["distribution"] = {
            label: int(count) for label, count in zip(labels, summary.counts, strict=True)
        }
        groups.append(row)
    comparisons: list[dict[str, Any]] = []
    for comparison in report.comparisons:
        row = {"group": group_names[comparison.group], "versus": "rest"}
        if isinstance(comparison, RatingComparison):
            row |= {
                "difference": _number(comparison.difference),
                "difference_interval": _pair(comparison.difference_interval),
                "cohen_d": _number(comparison.cohen_d),
                "cohen_d_interval": _pair(comparison.cohen_d_interval),
                "cliffs_delta": _number(comparison.cliffs_delta),
                "cliffs_delta_interval": _pair(comparison.cliffs_delta_interval),
            }
        else:
            row |= {
                "label": labels[comparison.label],
                "share": _number(comparison.share),
                "rest_share": _number(comparison.rest_share),
                "risk_difference": _number(comparison.risk_difference),
                "risk_difference_interval": _pair(comparison.risk_difference_interval),
                "odds_ratio": _number(comparison.odds_ratio),
                "odds_ratio_interval": _pair(comparison.odds_ratio_interval),
            }
        row |= {
            "p_value": _number(comparison.p_value),
            "p_holm": _number(comparison.p_holm),
            "significant": comparison.significant,
        }
        comparisons.append(row)
    value = "mean" if ratings else "share"
    items = [
        {
            "item": str(tasks[gap.task]),
            "gap": _number(gap.gap),
            **({} if gap.label is None else {"label": labels[gap.label]}),
            "groups": [
                {"group": group_names[code], "answers": int(count), value: _number(number)}
                for code, count, number in zip(gap.groups, gap.answers, gap.values, strict=True)
            ],
        }
        for gap in report.items
    ]
    return {
        "level": str(report.level),
        "group_column": group_column,
        "min_group_size": report.min_group_size,
        "suppressed_groups": [group_names[code] for code in report.suppressed],
        "permutations": report.permutations,
        "bootstrap": None
        if report.resamples == 0
        else {"resamples": report.resamples, "confidence": report.confidence},
        "seed": seed,
        "correction": "holm",
        "significance": report.significance,
        "counts": {
            "answers": report.answers,
            "workers": report.workers,
            "items": report.tasks,
            "pairable_items": report.pairable_tasks,
            "repeated_answers": report.repeated,
        },
        "groups": groups,
        "comparisons": comparisons,
        "items": items,
    }


def _shown(value: float | None, digits: int = 3, sign: str = "") -> str:
    return "–" if value is None else f"{value:{sign}.{digits}f}"


def _with_interval(value: float | None, pair: list[float | None] | None, sign: str = "+") -> str:
    text = _shown(value, sign=sign)
    if pair is None:
        return text
    return f"{text} [{_shown(pair[0], sign=sign)}, {_shown(pair[1], sign=sign)}]"


def _p(value: float | None) -> str:
    return "–" if value is None else f"{value:.4f}"


def _print_tables(result: dict[str, Any], path: Path, plot: Path | None) -> None:
    from rich.table import Table

    ratings = result["level"] == "ratings"
    summary = Table(
        title=f"crowdset bias {path.name} by {result['group_column']} --level {result['level']}",
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


def _write_svg(path: Path, result: dict[str, Any], source: Path) -> None:
    """Dots with interval bars, one row per group (ratings: its mean; labels: each label's
    risk difference against the rest), a dashed line at the reference."""
    if result["level"] == "ratings":
        rows = [
            (row["group"], row["mean"], row["mean_interval"], False) for row in result["groups"]
        ]
        answers = sum(row["answers"] for row in result["groups"])
        reference = sum((row["mean"] or 0.0) * row["answers"] for row in result["groups"]) / answers
        axis = "mean rating, 95% interval; dashed: all groups; *: differs from the rest"
        significant = {row["group"] for row in result["comparisons"] if row["significant"]}
        rows = [(name, mean, pair, name in significant) for name, mean, pair, _ in rows]
    else:
        rows = [
            (
                f"{row['group']} · {row['label']}",
                row["risk_difference"],
                row["risk_difference_interval"],
                row["significant"],
            )
            for row in result["comparisons"]
        ]
        reference = 0.0
        axis = "risk difference against the rest (item-adjusted), 95% interval; *: Holm p < 0.05"
    title = f"{source.name}: by {result['group_column']}"
    path.write_text(svg_plot(title, axis, rows, reference), encoding="utf-8")


Row = tuple[str, float | None, list[float | None] | None, bool]


def svg_plot(title: str, axis: str, rows: list[Row], reference: float) -> str:
    """A self-contained SVG: a dot per row at its value, a bar over its interval, ``*``
    after the name of a significant row, a dashed vertical line at ``reference``."""
    from xml.sax.saxutils import escape

    numbers = [reference] + [
        x
        for _, value, pair, _ in rows
        for x in [value, *(pair or [])]
        if x is not None and math.isfinite(x)
    ]
    low, high = min(numbers), max(numbers)
    pad = (high - low) * 0.08 or 0.5
    low, high = low - pad, high + pad
    width, left, right, top, step = 760, 280, 40, 50, 26
    plot_width = width - left - right
    height = top + step * len(rows) + 60

    def x(value: float) -> float:
        return left + (value - low) / (high - low) * plot_width

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="13">',
        f'<rect width="{width}" height="{height}" fill="white"/>',
        f'<text x="{width / 2}" y="24" text-anchor="middle" font-size="15">{escape(title)}</text>',
    ]
    bottom = top + step * len(rows)
    for tick in _ticks(low, high):
        tx = x(tick)
        parts.append(
            f'<line x1="{tx:.1f}" y1="{top - 8}" x2="{tx:.1f}" y2="{bottom}" stroke="#eee"/>'
            f'<text x="{tx:.1f}" y="{bottom + 18}" text-anchor="middle">{tick:g}</text>'
        )
    rx = x(reference)
    parts.append(
        f'<line x1="{rx:.1f}" y1="{top - 8}" x2="{rx:.1f}" y2="{bottom}" stroke="#888" '
        'stroke-dasharray="4 3"/>'
    )
    for index, (name, value, pair, marked) in enumerate(rows):
        y = top + step * index + step / 2
        label = escape(name + (" *" if marked else ""))
        parts.append(f'<text x="{left - 12}" y="{y + 4:.1f}" text-anchor="end">{label}</text>')
        if pair is not None and pair[0] is not None and pair[1] is not None:
            parts.append(
                f'<line x1="{x(pair[0]):.1f}" y1="{y:.1f}" x2="{x(pair[1]):.1f}" y2="{y:.1f}" '
                'stroke="#1f5fa8" stroke-width="2"/>'
            )
        if value is not None and math.isfinite(value):
            colour = "#c0392b" if marked else "#1f5fa8"
            parts.append(f'<circle cx="{x(value):.1f}" cy="{y:.1f}" r="5" fill="{colour}"/>')
    parts.append(
        f'<text x="{left + plot_width / 2}" y="{bottom + 42}" text-anchor="middle">'
        f"{escape(axis)}</text>"
    )
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def _ticks(low: float, high: float) -> list[float]:
    """About five round ticks between ``low`` and ``high``."""
    raw = (high - low) / 5
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)
    first = math.ceil(low / step) * step
    count = int((high - first) / step + 1e-9) + 1
    return [round(first + k * step, 10) for k in range(count)]
