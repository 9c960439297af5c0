"""The bias report (``crowdset.core.bias``) as JSON-ready data and as an SVG plot, drawn
without a plotting library: one rendering for the file command, the campaign command, the API
and the dashboard."""

from __future__ import annotations

import math
from typing import Any

from crowdset.core.bias import BiasReport, RatingComparison


def _number(value: float) -> float | None:
    """A float for JSON: NaN (undefined) and infinities become null."""
    return float(value) if math.isfinite(value) else None


def _pair(interval: tuple[float, float] | None) -> list[float | None] | None:
    return None if interval is None else [_number(interval[0]), _number(interval[1])]


def bias_json(
    report: BiasReport,
    group_column: str,
    group_names: list[str],
    labels: list[str],
    tasks: list[Any],
    seed: int,
) -> dict[str, Any]:
    """The report as JSON-ready data, group and label codes replaced by their names: what
    ``crowdset bias --format json``, ``crowdset campaign bias`` and ``GET …/bias`` give."""
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


def bias_svg(result: dict[str, Any], title: str) -> str:
    """The plot of :func:`bias_json`'s result: dots with interval bars, one row per group
    (ratings: its mean; labels: each label's risk difference against the rest), a dashed line
    at the reference."""
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
    return svg_plot(title, axis, rows, reference)


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
