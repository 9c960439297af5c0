"""Generates docs/cli.md from every command's ``--help`` (``make docs``); a test keeps them equal.

Run: ``python -m crowdset.cli.reference > docs/cli.md``
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import typer
from typer.testing import CliRunner

from crowdset.cli.main import app

HEADER = """# CLI reference

Generated from `--help` by `make docs`; `tests/test_docs.py` fails when it is out of date.
Every command maps domain errors to a message on stderr and an exit code (see errors.md).
"""


def command_paths() -> Iterator[tuple[str, ...]]:
    """Every leaf command as the words typed after ``crowdset``, in a stable order."""
    root = typer.main.get_command(app)

    # Typer vends its own copy of click, so groups are recognised by shape, not by class.
    def walk(command: Any, ctx: Any, path: tuple[str, ...]) -> Iterator[tuple[str, ...]]:
        if hasattr(command, "list_commands"):
            for name in sorted(command.list_commands(ctx)):
                sub = command.get_command(ctx, name)
                yield from walk(sub, type(ctx)(sub, info_name=name, parent=ctx), (*path, name))
        else:
            yield path

    yield from walk(root, typer.Context(root, info_name="crowdset"), ())


def help_text(path: tuple[str, ...]) -> str:
    result = CliRunner().invoke(
        app, [*path, "--help"], env={"COLUMNS": "100", "NO_COLOR": "1", "TERM": "dumb"}
    )
    return "\n".join(line.rstrip() for line in result.output.strip().splitlines())


def render() -> str:
    parts = [HEADER]
    for path in command_paths():
        parts.append(f"## crowdset {' '.join(path)}\n\n```text\n{help_text(path)}\n```\n")
    return "\n".join(parts)


if __name__ == "__main__":
    print(render(), end="")
