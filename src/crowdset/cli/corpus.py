"""``crowdset corpus …``: commands over parallel corpora (SPEC §4)."""

from __future__ import annotations

import json
import os
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from pathlib import Path
from typing import IO, TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from crowdset.cli.common import context_from, principal_for, settings_from
from crowdset.core.filtering import FilterReport, Pipeline, default_rules, load_rules
from crowdset.core.filtering import with_languages as fill_languages
from crowdset.core.money import format_amount
from crowdset.errors import InvalidInput
from crowdset.formats.parallel import DEFAULT_CHUNK, ParallelFormat, read_pairs
from crowdset.formats.parallel_run import atomic_outputs, count_lines, filter_chunks
from crowdset.formats.parallel_writers import (
    JsonlPairWriter,
    MosesPairWriter,
    OutputFormat,
    PairWriter,
    RejectedWriter,
    TmxPairWriter,
    TsvPairWriter,
)

if TYPE_CHECKING:
    from crowdset.core.review_budget import ReviewEstimate

# The commands that touch the database import their services when they run: the services
# pull in SQLAlchemy, pandas and SciPy, over a second that `corpus filter` and `corpus
# estimate`, which need none of them, should not wait for.

_SUFFIXES = {".tsv": "tsv", ".jsonl": "jsonl", ".json": "jsonl", ".tmx": "tmx"}

_EXAMPLE = "crowdset corpus filter train.en train.de -o clean --src-lang en --tgt-lang de"
# Typer keeps the line breaks of help text, so each paragraph is one line here.
FILTER_HELP = "\n\n".join(
    (
        "Run the machine filters of a pipeline over a parallel corpus.",
        "Reads IN (TSV, TMX, JSONL) or IN IN2 (a pair of Moses files) and streams it through "
        "the rules of --config (the default pipeline when omitted, see examples/filters.yaml) "
        "on --workers cores. Writes the kept pairs to -o, the removed ones with rule and reason "
        "to --rejected (JSONL), and prints how many pairs each rule removed. A malformed input "
        "stops the run at its first bad line, and no output file is left behind.",
        f"Example: {_EXAMPLE}",
    )
)


def _input_format(inputs: list[Path], given: ParallelFormat | None) -> ParallelFormat:
    if given is not None:
        return given
    if len(inputs) == 2:
        return ParallelFormat.MOSES
    return ParallelFormat(_SUFFIXES.get(inputs[0].suffix.lower(), "tsv"))


def output_format(output: Path, given: OutputFormat | None, source: ParallelFormat) -> OutputFormat:
    if given is not None:
        return given
    if output.suffix.lower() in _SUFFIXES:
        return OutputFormat(_SUFFIXES[output.suffix.lower()])
    return OutputFormat.MOSES if source is ParallelFormat.MOSES else OutputFormat.TSV


def _columns(value: str) -> tuple[int, int]:
    try:
        src, tgt = (int(part) for part in value.split(","))
    except ValueError:
        raise typer.BadParameter(
            f"expected two 1-based column numbers like 3,4, got {value!r}"
        ) from None
    if src < 1 or tgt < 1 or src == tgt:
        raise typer.BadParameter(f"columns must be two different numbers ≥ 1, got {value!r}")
    return src, tgt


def output_paths(output: Path, fmt: OutputFormat, src: str | None, tgt: str | None) -> list[Path]:
    if fmt is OutputFormat.MOSES:
        return [
            output.with_name(f"{output.name}.{src or 'src'}"),
            output.with_name(f"{output.name}.{tgt or 'tgt'}"),
        ]
    return [output]


def _kept_writer(
    fmt: OutputFormat, handles: list[IO[str]], src: str | None, tgt: str | None
) -> PairWriter:
    if fmt is OutputFormat.MOSES:
        return MosesPairWriter(handles[0], handles[1])
    if fmt is OutputFormat.JSONL:
        return JsonlPairWriter(handles[0])
    if fmt is OutputFormat.TMX:
        return TmxPairWriter(handles[0], src or "src", tgt or "tgt")
    return TsvPairWriter(handles[0])


def report_table(report: FilterReport) -> Table:
    """The per-rule report as a Rich table (also used by the docs)."""
    table = Table(title=f"Kept {report.kept:,} of {report.total:,} pairs")
    table.add_column("rule")
    table.add_column("removed", justify="right")
    table.add_column("%", justify="right")
    all_reasons = any(rule.failing is not None for rule in report.rules)
    if all_reasons:
        table.add_column("failing (any order)", justify="right")
    table.add_column("first example")
    for rule in report.rules:
        share = 100 * rule.removed / report.total if report.total else 0.0
        example = f"line {rule.examples[0][0]}: {rule.examples[0][1]}" if rule.examples else ""
        row = [rule.name, f"{rule.removed:,}", f"{share:.1f}"]
        if all_reasons:
            row.append(f"{rule.failing or 0:,}")
        table.add_row(*row, example)
    return table


def filter_command(
    inputs: Annotated[
        list[Path],
        typer.Argument(
            help="IN, or IN IN2 for a pair of Moses files.",
            show_default=False,
            exists=True,
            dir_okay=False,
        ),
    ],
    output: Annotated[
        Path,
        typer.Option(
            "--output",
            "-o",
            help="Kept pairs. For Moses output, the prefix of OUTPUT.SRC_LANG and OUTPUT.TGT_LANG.",
        ),
    ],
    rejected: Annotated[
        Path | None, typer.Option(help="Removed pairs with rule and reason (JSONL).")
    ] = None,
    config: Annotated[
        Path | None, typer.Option(help="Pipeline YAML; the default pipeline when omitted.")
    ] = None,
    fmt: Annotated[
        ParallelFormat | None,
        typer.Option("--format", help="Input format; guessed from the file name(s) if omitted."),
    ] = None,
    to: Annotated[
        OutputFormat | None,
        typer.Option(help="Output format; guessed from -o's suffix, else like the input."),
    ] = None,
    src_lang: Annotated[
        str | None, typer.Option(help="Source language (ISO 639-1) for language and script rules.")
    ] = None,
    tgt_lang: Annotated[str | None, typer.Option(help="Target language (ISO 639-1).")] = None,
    columns: Annotated[str, typer.Option(help="TSV: 1-based source and target columns.")] = "1,2",
    header: Annotated[bool, typer.Option(help="TSV: the first line is a header.")] = False,
    workers: Annotated[
        int, typer.Option(min=0, help="Processes scoring chunks; 0 means one per core.")
    ] = 0,
    all_reasons: Annotated[
        bool,
        typer.Option(help="Score every rule on every pair, to count each rule's failures."),
    ] = False,
    scores: Annotated[
        bool | None, typer.Option(help="JSONL output: include each rule's scores (default: yes).")
    ] = None,
    chunk_size: Annotated[
        int, typer.Option(min=1, help="Pairs per chunk sent to a worker.")
    ] = DEFAULT_CHUNK,
    report_json: Annotated[
        Path | None, typer.Option("--report", help="Also write the report as JSON here.")
    ] = None,
) -> None:
    source = _input_format(inputs, fmt)
    target = output_format(output, to, source)
    if config is not None:
        try:
            text = config.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise InvalidInput(
                f"{config}: cannot read the pipeline ({error}); check --config",
                field="config",
                value=str(config),
            ) from None
        rules = load_rules(text, source=str(config))
    else:
        rules = default_rules()
    rules = fill_languages(rules, src_lang, tgt_lang)
    with_scores = target is OutputFormat.JSONL if scores is None else scores
    pipeline = Pipeline(rules, all_reasons=all_reasons, with_scores=with_scores)
    chunks = read_pairs(
        inputs,
        source,
        src_lang=src_lang,
        tgt_lang=tgt_lang,
        columns=_columns(columns),
        header=header,
        chunk_size=chunk_size,
    )
    paths = output_paths(output, target, src_lang, tgt_lang)
    if rejected is not None:
        paths.append(rejected)
    total = None if source is ParallelFormat.TMX else count_lines(inputs) - int(header)
    console = Console(stderr=True)
    with (
        atomic_outputs(paths) as handles,
        Progress(
            TextColumn("[bold]filtering"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[kept]} kept"),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        ) as progress,
    ):
        task = progress.add_task("filter", total=total, kept=0)
        kept_handles = handles[:-1] if rejected is not None else handles
        report = filter_chunks(
            chunks,
            pipeline,
            _kept_writer(target, kept_handles, src_lang, tgt_lang),
            RejectedWriter(handles[-1]) if rejected is not None else None,
            workers=workers or os.cpu_count() or 1,
            on_progress=lambda r: progress.update(task, completed=r.total, kept=f"{r.kept:,}"),
        )
    Console().print(report_table(report))
    if report_json is not None:
        report_json.write_text(json.dumps(report.to_dict(), indent=2) + "\n", encoding="utf-8")


_ESTIMATE_EXAMPLE = "crowdset corpus estimate --input clean.tsv --reviewers 3 --crowd 50"
ESTIMATE_HELP = "\n\n".join(
    (
        "Estimate the workload, budget, pool, reserve and time to finish of a review.",
        "Before anything is spent (SPEC §4): W = R · P_R · W_n / (1 − c) minutes, where R is "
        "--reviewers, P_R the pairs to review (--pairs, or counted in the filter's kept output "
        "--input), W_n --seconds-per-pair and c --challenge-share. The pool is W minutes × "
        "--price-per-minute (default: the fair hourly wage / 60), rounded up to the minor unit, "
        "so the planned work is paid at least the fair wage; the reserve is priced on top of it "
        "(reserve_share of the budget, rounded down) and the budget is pool + reserve. The time to "
        "finish assumes --crowd reviewers working --hours-per-day each.",
        f"Example: {_ESTIMATE_EXAMPLE}",
    )
)


def count_pairs(inputs: list[Path], fmt: ParallelFormat | None) -> int:
    """Pairs in a corpus, read in chunks with a spinner on stderr (TSV without header)."""
    source = _input_format(inputs, fmt)
    total = 0
    with Progress(
        SpinnerColumn(),
        TextColumn("[bold]counting pairs"),
        TextColumn("{task.completed:,}"),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
    ) as progress:
        task = progress.add_task("count", total=None)
        for chunk in read_pairs(inputs, source):
            total += len(chunk)
            progress.update(task, completed=total)
    return total


def _price(text: str, minor_per_unit: int) -> Fraction:
    try:
        credits = Decimal(text.strip().replace(",", "").replace("_", ""))
    except InvalidOperation:
        raise typer.BadParameter(
            f"{text!r} is not a number: write credits per minute like 1 or 0.85",
            param_hint="--price-per-minute",
        ) from None
    if not credits.is_finite() or credits <= 0:
        raise typer.BadParameter(
            f"must be a positive number of credits per minute, got {text!r}",
            param_hint="--price-per-minute",
        )
    return Fraction(credits) * minor_per_unit


def estimate_table(estimate: ReviewEstimate, decimals: int, currency: str, reserve: str) -> Table:
    """The estimate as a Rich table: W in hours, money in credits, time in days."""

    def money(minor: int) -> str:
        return format_amount(minor, decimals, currency)

    price = float(estimate.price_per_minute / 10**decimals)
    table = Table(title=f"Review of {estimate.pairs:,} pairs", show_header=False)
    table.add_column("", style="bold")
    table.add_column("", justify="right")
    table.add_column("", style="dim")
    table.add_row("pairs to review P_R", f"{estimate.pairs:,}", "")
    table.add_row("reviewers per pair R", f"{estimate.reviewers}", "")
    table.add_row(
        "ratings", f"{estimate.ratings:,}", f"{float(estimate.challenge_share):.0%} challenge pairs"
    )
    table.add_row(
        "workload W",
        f"{float(estimate.workload_hours):,.1f} h",
        f"{float(estimate.minutes_per_pair) * 60:g} s per rating",
    )
    table.add_row("price per minute", f"{price:,.4g} {currency}", "")
    table.add_row("pool", money(estimate.pool), "W × price, rounded up; paid out at close")
    table.add_row(
        "reserve", money(estimate.reserve), f"on top of the pool: {reserve} of the budget"
    )
    table.add_row("budget", money(estimate.budget), "pool + reserve")
    table.add_row(
        "time to finish",
        f"{float(estimate.days):,.1f} days",
        f"{estimate.crowd:,} reviewers × {float(estimate.hours_per_day):g} h/day",
    )
    return table


def estimate_command(
    typer_ctx: typer.Context,
    pairs: Annotated[
        int | None, typer.Option(min=0, help="Pairs to review (P_R); or give --input.")
    ] = None,
    inputs: Annotated[
        list[Path] | None,
        typer.Option(
            "--input",
            help="The filter's kept output, whose pairs are counted; twice for Moses files.",
            exists=True,
            dir_okay=False,
        ),
    ] = None,
    fmt: Annotated[
        ParallelFormat | None,
        typer.Option("--format", help="Format of --input; guessed from the file name(s)."),
    ] = None,
    reviewers: Annotated[int, typer.Option(min=1, help="Reviewers per pair (R).")] = 3,
    seconds_per_pair: Annotated[float, typer.Option(help="Seconds one rating takes (W_n).")] = 30.0,
    challenge_share: Annotated[
        float,
        typer.Option(help="Share of ratings on challenge pairs (c), in [0, 1)."),
    ] = 0.05,
    crowd: Annotated[int, typer.Option(min=1, help="Reviewers working in parallel.")] = 10,
    hours_per_day: Annotated[
        float, typer.Option(help="Hours each reviewer works a day, in (0, 24].")
    ] = 2.0,
    price_per_minute: Annotated[
        str | None,
        typer.Option(
            help="Credits per minute of work; default the fair hourly wage / 60.",
            show_default=False,
        ),
    ] = None,
) -> None:
    if (pairs is None) == (not inputs):
        raise typer.BadParameter("give either --pairs N or --input KEPT_FILE", param_hint="--pairs")
    if not seconds_per_pair > 0:  # also refuses nan
        raise typer.BadParameter(
            f"must be > 0 (the seconds one rating takes), got {seconds_per_pair:g}",
            param_hint="--seconds-per-pair",
        )
    # imported here: filter, the command that must start fast, needs none of it
    from crowdset.core.review_budget import (
        estimate_review,
        price_per_minute_at,
        require_fair_price_per_minute,
    )

    settings = settings_from(typer_ctx)
    minor = settings.minor_per_unit
    price = (
        price_per_minute_at(settings.fair_hourly_wage, minor)
        if price_per_minute is None
        else _price(price_per_minute, minor)
    )
    require_fair_price_per_minute(price, settings.fair_hourly_wage, minor)
    count = pairs if pairs is not None else count_pairs(inputs or [], fmt)
    estimate = estimate_review(
        pairs=count,
        reviewers=reviewers,
        minutes_per_pair=Fraction(Decimal(str(seconds_per_pair))) / 60,
        challenge_share=challenge_share,
        price_per_minute=price,
        reserve_share=settings.reserve_share,
        crowd=crowd,
        hours_per_day=hours_per_day,
    )
    Console().print(
        estimate_table(
            estimate,
            settings.currency_decimals,
            settings.currency_name,
            f"{float(settings.reserve_share):.0%}",
        )
    )


IMPORT_HELP = "\n\n".join(
    (
        "Import a parallel corpus into the database, whole or not at all.",
        "Reads IN (TSV, TMX, JSONL) or IN IN2 (a pair of Moses files) in a single transaction. "
        "A malformed input (mixed encodings, a missing tab, unequal Moses files) stops at its "
        "first bad line, names it, and leaves the database as it was. The corpus's pairs can "
        "then be reviewed: crowdset campaign create review.yaml --corpus ID.",
        "Example: crowdset corpus import news.en news.de --name news --src-lang en "
        "--tgt-lang de --as req@example.org",
    )
)


def import_command(
    typer_ctx: typer.Context,
    inputs: Annotated[
        list[Path],
        typer.Argument(
            help="IN, or IN IN2 for a pair of Moses files.",
            show_default=False,
            exists=True,
            dir_okay=False,
        ),
    ],
    name: Annotated[str, typer.Option(help="The corpus's name.")],
    as_user: Annotated[str, typer.Option("--as", help="The requester who owns it (email).")],
    fmt: Annotated[
        ParallelFormat | None,
        typer.Option("--format", help="Input format; guessed from the file name(s) if omitted."),
    ] = None,
    src_lang: Annotated[str | None, typer.Option(help="Source language (ISO 639-1).")] = None,
    tgt_lang: Annotated[str | None, typer.Option(help="Target language (ISO 639-1).")] = None,
    columns: Annotated[str, typer.Option(help="TSV: 1-based source and target columns.")] = "1,2",
    header: Annotated[bool, typer.Option(help="TSV: the first line is a header.")] = False,
) -> None:
    from crowdset.services import corpora  # see the note on imports at the top

    ctx = context_from(typer_ctx)
    viewer = principal_for(ctx, as_user)
    source = _input_format(inputs, fmt)
    chunks = read_pairs(
        inputs,
        source,
        src_lang=src_lang,
        tgt_lang=tgt_lang,
        columns=_columns(columns),
        header=header,
    )
    total = count_lines(inputs[:1]) if source is not ParallelFormat.TMX else None
    with Progress(
        SpinnerColumn(),
        TextColumn("importing"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
    ) as bar:
        task = bar.add_task("import", total=total)
        view = corpora.import_corpus(
            ctx,
            viewer,
            chunks,
            name=name,
            origin=" ".join(map(str, inputs)),
            source_lang=src_lang,
            target_lang=tgt_lang,
            on_chunk=lambda n: bar.advance(task, n),
        )
    Console().print(f"[green]✓[/] corpus {view.id} {view.name!r}: {view.pairs:,} pairs imported")


LIST_HELP = "\n\n".join(
    (
        "The corpora a requester imported: id, name, languages, pairs, whether the machine "
        "filters ran on import (web, REST) and what they kept, origin and date.",
        "Example: crowdset corpus list --as req@example.org",
    )
)


def list_command(
    typer_ctx: typer.Context,
    as_user: Annotated[str, typer.Option("--as", help="Whose corpora (email).")],
) -> None:
    from crowdset.services import corpora  # see the note on imports at the top

    ctx = context_from(typer_ctx)
    viewer = principal_for(ctx, as_user)
    table = Table(title="Corpora")
    for column in ("id", "name", "languages", "pairs", "filtered", "from", "imported"):
        table.add_column(column, justify="right" if column in ("id", "pairs") else "left")
    for view in corpora.list_corpora(ctx, viewer):
        languages = f"{view.source_lang or '?'}→{view.target_lang or '?'}"
        report = view.filter_report
        filtered = f"kept {report['kept']:,} of {report['total']:,}" if report else "no"
        table.add_row(
            str(view.id),
            view.name,
            languages,
            f"{view.pairs:,}",
            filtered,
            view.origin,
            view.created_at.strftime("%Y-%m-%d %H:%M"),
        )
    Console().print(table)


def register(app: typer.Typer) -> None:
    """Add the ``corpus`` commands to the main application."""
    corpus = typer.Typer(
        help="Parallel corpora: machine filtering and review estimates (SPEC §4).",
        no_args_is_help=True,
    )
    corpus.command("import", help=IMPORT_HELP)(import_command)
    corpus.command("list", help=LIST_HELP)(list_command)
    corpus.command("filter", help=FILTER_HELP)(filter_command)
    corpus.command("estimate", help=ESTIMATE_HELP)(estimate_command)
    app.add_typer(corpus, name="corpus")
