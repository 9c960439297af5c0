"""The ``crowdset`` command loads each command's module only when that command runs."""

from __future__ import annotations

import importlib
import inspect
import os
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from crowdset.cli import main
from crowdset.cli.main import COMMAND_MODULES, COMMAND_SUMMARIES, app


def _names_by_module() -> dict[str, list[str]]:
    names: dict[str, list[str]] = defaultdict(list)
    for name, module in COMMAND_MODULES.items():
        names[module].append(name)
    return names


@pytest.mark.parametrize(("module", "names"), sorted(_names_by_module().items()))
def test_each_module_registers_exactly_the_commands_listed_for_it(
    module: str, names: list[str]
) -> None:
    # a command a module adds but the table leaves out could never be run
    holder = typer.Typer()
    importlib.import_module(f"crowdset.cli.{module}").register(holder)
    registered = typer.main.get_group(holder).list_commands(None)  # type: ignore[arg-type]
    assert sorted(registered) == sorted(names)


def test_help_lists_every_command_with_its_summary() -> None:
    result = CliRunner().invoke(app, ["--help"], terminal_width=200)
    assert result.exit_code == 0, result.output
    for name in COMMAND_MODULES:
        assert f" {name} " in result.output
    assert "Parallel corpora" in result.output  # a lazily loaded group's own help


def _own_summary(name: str) -> str:
    """The first paragraph of a command's own help, as ``crowdset --help`` shows it."""
    command = main._commands_of(COMMAND_MODULES[name]).get_command(None, name)  # type: ignore[arg-type]
    assert command is not None, f"crowdset.cli.{COMMAND_MODULES[name]} registers no {name!r}"
    text = inspect.cleandoc(command.short_help or command.help or "")
    return text.split("\n\n")[0].replace("\n", " ").strip()


@pytest.mark.parametrize("name", list(COMMAND_MODULES))
def test_every_command_has_its_own_summary_for_the_lazy_help(name: str) -> None:
    # crowdset --help lists COMMAND_SUMMARIES instead of importing every command's module
    own = _own_summary(name)
    assert COMMAND_SUMMARIES.get(name) == own, (
        f"add to COMMAND_SUMMARIES in src/crowdset/cli/main.py: {name!r}: {own!r},"
    )


def test_every_summary_names_a_command() -> None:
    assert set(COMMAND_SUMMARIES) <= set(COMMAND_MODULES)


def test_lazy_help_is_the_help_of_the_loaded_commands(monkeypatch: pytest.MonkeyPatch) -> None:
    lazy = CliRunner().invoke(app, ["--help"], terminal_width=100)
    monkeypatch.setattr(main, "COMMAND_SUMMARIES", {})  # every module loaded for its help
    loaded = CliRunner().invoke(app, ["--help"], terminal_width=100)
    assert lazy.exit_code == loaded.exit_code == 0
    assert lazy.output == loaded.output


def _modules_loaded_by(*args: str) -> list[str]:
    """The modules a fresh interpreter imports to run ``crowdset ARGS`` (its help, here)."""
    probe = (
        "import sys\n"
        "from crowdset.cli.main import app\n"
        "try:\n"
        f"    app({list(args)!r})\n"
        "except SystemExit:\n"
        "    pass\n"
        "print('MODULES', ' '.join(sorted(sys.modules)))\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert "Usage" in done.stdout, done.stdout[-500:] + done.stderr[-2000:]
    return done.stdout.rpartition("MODULES ")[2].split()


HEAVY = ("fastapi", "sqlalchemy", "pydantic_settings", "numpy", "pandas", "scipy", "pyarrow")


def test_crowdset_help_imports_no_command_and_nothing_heavy() -> None:
    loaded = _modules_loaded_by("--help")
    assert [name for name in HEAVY if name in loaded] == []
    commands = {f"crowdset.cli.{module}" for module in COMMAND_MODULES.values()}
    assert sorted(commands.intersection(loaded)) == []
    assert not any(name.startswith("crowdset.api") for name in loaded)


def test_aggregate_help_imports_neither_the_database_nor_the_web_app() -> None:
    loaded = _modules_loaded_by("aggregate", "--help")
    heavy = ("fastapi", "sqlalchemy", "pydantic_settings", "pandas", "scipy", "pyarrow")
    assert [name for name in heavy if name in loaded] == []


def test_an_unknown_command_is_refused() -> None:
    result = CliRunner().invoke(app, ["nope"])
    assert result.exit_code == 2
    assert "No such command 'nope'" in result.output


def test_corpus_filter_starts_without_the_database_or_data_science_stack() -> None:
    # in a fresh interpreter: this test process has imported everything already
    probe = (
        "import sys\n"
        "from crowdset.cli.main import app\n"
        "try:\n"
        "    app(['corpus', 'filter', '--help'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "heavy = ['pandas', 'scipy', 'sklearn', 'sqlalchemy', 'fastapi', 'pydantic_settings']\n"
        "print('LOADED', [m for m in heavy if m in sys.modules])\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert "LOADED []" in done.stdout, done.stdout[-500:] + done.stderr[-2000:]
    assert "--workers" in done.stdout  # the command's help really was printed


def _crowdset(*args: str) -> subprocess.CompletedProcess[str]:
    """The real entry point (``crowdset.cli.main.run``) in a fresh interpreter."""
    entry = "import sys; from crowdset.cli.main import run; sys.argv[0] = 'crowdset'; run()"
    # buffered, as a pipe is by default: an unflushed stream would lose what it holds
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    return subprocess.run(
        [sys.executable, "-c", entry, *args], capture_output=True, text=True, check=False, env=env
    )


def test_the_entry_point_keeps_exit_codes_and_flushes_output(tmp_path: Path) -> None:
    # run() ends the process with os._exit: nothing buffered may be lost, no code changed
    corpus = tmp_path / "in.tsv"
    corpus.write_text("".join(f"pair number {i} here\tPaar Nummer {i} hier\n" for i in range(300)))
    done = _crowdset("corpus", "filter", str(corpus), "-o", str(tmp_path / "kept.tsv"))
    assert done.returncode == 0, done.stderr
    assert "Kept" in done.stdout + done.stderr  # the report, printed last
    assert len((tmp_path / "kept.tsv").read_text().splitlines()) > 0
    estimate = _crowdset("corpus", "estimate", "--pairs", "1000")
    assert estimate.returncode == 0, estimate.stderr
    assert "pairs to review" in estimate.stdout  # printed on stdout, the buffered stream
    assert _crowdset("no-such-command").returncode == 2
    bad = tmp_path / "bad.yaml"
    bad.write_text("- nope: {}\n")
    failed = _crowdset(
        "corpus", "filter", str(corpus), "-o", str(tmp_path / "k2.tsv"), "--config", str(bad)
    )
    assert failed.returncode == 2, failed.stderr  # spec_invalid's exit code
    assert "spec_invalid" in failed.stderr
