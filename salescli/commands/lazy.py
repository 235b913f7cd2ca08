"""A Typer app whose commands become Click commands only when one of them runs.

Typer turns every command of a group into a Click command (inspecting each signature and its
options, ~3-5 ms a command) before running the one that was asked for. A group of ten commands with
many options pays that on every run; `LazyTyper` builds just the command being run (and all of them
for --help). Use it like typer.Typer: `app = LazyTyper(help=..., no_args_is_help=True)`.
"""

from __future__ import annotations

from typing import Any

import typer
from typer.core import TyperGroup
from typer.models import CommandInfo

#: How an option's value reads in help (`--period <period>`, where Typer prints `<str>`): by option,
#: else the option's own name (`--currency <currency>`).
PLACEHOLDERS = {
    "--db": "path", "--user": "name", "--today": "date",
    "--format": "format", "--output": "file", "--rejects": "file", "--map-file": "file",
    "--owner": "name", "--team": "name", "--pipeline": "name", "--preset": "name",
    "--fail-if": "condition", "--by": "group", "--map": "column=field", "--stages": "stages",
    "--notes": "text", "--note": "text", "--reason": "text", "--next-step": "text", "--subject": "text",
    "--task": "text",
    "--date": "date", "--due": "date", "--close": "date", "--next-step-date": "date", "--as-of": "date",
    "--until": "date", "--since": "period|date", "--closing": "period", "--week": "week",
    "--before": "stage", "--after": "stage", "--move-to": "stage", "--on": "event",
    "--tag": "tag", "--add-tag": "tag", "--remove-tag": "tag", "--require": "fields",
    "--min-amount": "amount", "--rot-days": "days", "--limit": "n", "--position": "n",
    "--forecast-category": "category", "--external-id": "id", "--sort": "field",
    "--probability": "percent", "--on-error": "abort|skip", "--on-duplicate": "update|skip|error",
}


def _no_type(ctx: Any) -> None:
    return None


def _no_range() -> None:
    return None


def name_placeholders(command: Any) -> Any:
    """Give each option taking a value a placeholder that says what to type (see PLACEHOLDERS), and
    each argument its name in capitals (`ID`, `REF`) without Typer's `<str>`; an overflow bound
    (`[1<=x<=1000000000]`) is not shown."""
    for param in getattr(command, "params", ()):
        if getattr(param, "param_type_name", "") == "argument":
            param.metavar = param.metavar or (param.name or "value").upper()
            param.display_type_rich = _no_type
            # usage: `deal show [OPTIONS] REF` as Click writes it, not Typer's `{REF}` (reads as a choice)
            usage = param.metavar if param.required else f"[{param.metavar}]"
            param._usage_display_name = (lambda text: lambda: text)(usage + ("..." if param.nargs != 1 else ""))
            continue
        if getattr(param, "param_type_name", "") != "option" or param.metavar is not None:
            continue
        if param.is_flag or param.count:
            continue
        if (getattr(param, "max", None) or 0) >= 10**9:  # a bound against overflow, not advice: unsaid
            param._get_number_range_help_str = _no_range
        named = [PLACEHOLDERS[opt] for opt in param.opts if opt in PLACEHOLDERS]
        param.metavar = f"<{named[0] if named else max(param.opts, key=len).lstrip('-')}>"
    for sub in getattr(command, "commands", {}).values():  # a group's commands built already
        name_placeholders(sub)
    return command


def _name(info: CommandInfo) -> str:
    return info.name or info.callback.__name__.lower().replace("_", "-")  # type: ignore[union-attr]


def _distance(a: str, b: str) -> int:
    """Edits (insert, delete, replace, swap two neighbours) from a to b: `lsit` is one from `list`."""
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        row = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            row[j] = min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + (ca != cb))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                row[j] = min(row[j], previous2[j - 2] + 1)
        previous2, previous = previous, row
    return previous[-1]


def closest(word: str, names: list[str]) -> list[str]:
    """The names nearest to a mistyped one (one edit for short words, two for long ones), else none."""
    scored = {name: _distance(word.lower(), name.lower()) for name in names}
    best = min(scored.values(), default=99)
    if best > (2 if len(word) >= 7 else 1):
        return []
    return [name for name, d in scored.items() if d == best]


class SuggestingGroup(TyperGroup):
    """A group whose "No such command" names the nearest visible command (never a hidden alias)."""

    def suggestion_names(self) -> list[str]:
        return [name for name, command in self.commands.items() if not getattr(command, "hidden", False)]

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        try:
            return super().resolve_command(ctx, args)
        except typer._click.exceptions.UsageError as exc:
            if args and exc.message.startswith("No such command"):
                message = exc.message.split(" Did you mean")[0].rstrip(".")
                matches = closest(args[0], self.suggestion_names())
                if matches:
                    message += f". Did you mean {' or '.join(repr(m) for m in matches)}?"
                exc.message = message if matches else message + "."
            raise


class LazyGroup(SuggestingGroup):
    """A group that keeps its commands as Typer CommandInfo until they are asked for."""

    pending: dict[str, CommandInfo] = {}  # set per app by LazyTyper

    def list_commands(self, ctx: Any) -> list[str]:
        return list(dict.fromkeys([*self.pending, *self.commands]))

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        if cmd_name not in self.commands and cmd_name in self.pending:
            import typer.main

            self.commands[cmd_name] = name_placeholders(typer.main.get_command_from_info(
                self.pending[cmd_name], pretty_exceptions_short=True, rich_markup_mode=None
            ))
        return self.commands.get(cmd_name)

    def suggestion_names(self) -> list[str]:
        return [name for name, info in self.pending.items() if not info.hidden]


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
