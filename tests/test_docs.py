"""Docs are code: an undocumented command, setting or error code fails the build."""

from __future__ import annotations

from pathlib import Path

import pytest

from crowdset.cli.reference import command_paths, help_text, render
from crowdset.errors import all_error_classes
from crowdset.settings import Settings

DOCS = Path(__file__).parent.parent / "docs"


def test_cli_reference_is_up_to_date() -> None:
    assert (DOCS / "cli.md").read_text() == render(), "run `make docs`"


@pytest.mark.parametrize("path", list(command_paths()), ids=" ".join)
def test_every_command_help_ends_with_an_example(path: tuple[str, ...]) -> None:
    text = help_text(path)
    # Drop the option and argument boxes; what is left ends with the example paragraph, whether
    # it is the last paragraph of the docstring or an epilog printed after the boxes.
    prose = [line for line in text.splitlines() if not line.strip().startswith(("╭", "│", "╰"))]
    last = "\n".join(prose).strip().split("\n\n")[-1].strip()
    assert last.startswith("Example: ") and "crowdset " in last, text


@pytest.mark.parametrize("name", list(Settings.model_fields))
def test_every_setting_is_documented(name: str) -> None:
    assert f"`CROWDSET_{name.upper()}`" in (DOCS / "settings.md").read_text()


@pytest.mark.parametrize("error", all_error_classes(), ids=lambda cls: cls.code)
def test_every_error_code_is_documented(error: type) -> None:
    row = f"| `{error.code}` | {error.status} | {error.exit_code} |"  # type: ignore[attr-defined]
    assert row in (DOCS / "errors.md").read_text()
