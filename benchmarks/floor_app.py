"""The floor of the stack: a one-command Typer app that prints "ok".

benchmarks/startup.py times salescli against this, in the same run and the same venv: whatever
salescli adds on top of it is ours to keep small.
"""

from __future__ import annotations

import typer

app = typer.Typer(add_completion=False, rich_markup_mode=None, pretty_exceptions_enable=False)


@app.command()
def main() -> None:
    """Print ok."""
    typer.echo("ok")


if __name__ == "__main__":
    app()
