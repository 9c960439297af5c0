"""Runs ``crowdset corpus …`` through :func:`crowdset.cli.corpus.register` on a bare Typer app,
so the benchmark works whether or not the main ``crowdset`` entry point is installed."""

import typer

from crowdset.cli.corpus import register

app = typer.Typer()
register(app)

if __name__ == "__main__":
    app()
