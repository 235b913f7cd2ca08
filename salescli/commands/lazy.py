"""A Typer app whose commands become Click commands only when one of them runs.

Typer turns every command of a group into a Click command (inspecting each signature and its
options, ~3-5 ms a command) before running the one that was asked for. A group of ten commands with
many options pays that on every run; `LazyTyper` builds just the command being run (and all of them
for --help). Use it like typer.Typer: `app = LazyTyper(help=..., no_args_is_help=True)`.
"""

from __future__ import annotations

from difflib import get_close_matches
from typing import Any

import typer
from typer.core import TyperGroup
from typer.models import CommandInfo


def _name(info: CommandInfo) -> str:
    return info.name or info.callback.__name__.lower().replace("_", "-")  # type: ignore[union-attr]


class LazyGroup(TyperGroup):
    """A group that keeps its commands as Typer CommandInfo until they are asked for."""

    pending: dict[str, CommandInfo] = {}  # set per app by LazyTyper

    def list_commands(self, ctx: Any) -> list[str]:
        return list(dict.fromkeys([*self.pending, *self.commands]))

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        if cmd_name not in self.commands and cmd_name in self.pending:
            import typer.main

            self.commands[cmd_name] = typer.main.get_command_from_info(
                self.pending[cmd_name], pretty_exceptions_short=True, rich_markup_mode=None
            )
        return self.commands.get(cmd_name)

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        try:
            return super().resolve_command(ctx, args)
        except typer._click.exceptions.UsageError as exc:
            matches = get_close_matches(args[0], list(self.pending)) if args else []
            if matches and "Did you mean" not in exc.message:
                exc.message = f"{exc.message.rstrip('.')}. Did you mean {', '.join(repr(m) for m in matches)}?"
            raise


class LazyTyper(typer.Typer):
    """typer.Typer whose @app.command()s are built on demand (see LazyGroup)."""

    def __init__(self, **kwargs: Any) -> None:
        self._pending: dict[str, CommandInfo] = {}
        group = type("LazyGroupOf" + str(id(self)), (LazyGroup,), {"pending": self._pending})
        super().__init__(cls=group, **kwargs)

    def command(self, *args: Any, **kwargs: Any) -> Any:
        register = super().command(*args, **kwargs)

        def decorator(f: Any) -> Any:
            result = register(f)
            info = self.registered_commands.pop()
            self._pending[_name(info)] = info
            return result

        return decorator
