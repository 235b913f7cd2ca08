"""The error tree: every failure a user can cause, each with its exit code.

Raised by the core, translated to one stderr line in one place (cli.py).
No Typer or rich import here.
"""

from __future__ import annotations

import re
from enum import IntEnum


class ExitStatus(IntEnum):
    """Exit codes documented in the README and DESIGN.md."""

    OK = 0
    RULE = 1
    USAGE = 2
    NOT_FOUND = 3
    IMPORT_REJECTED = 4
    DATABASE = 5
    CONDITION = 6
    INTERRUPTED = 130
    TERMINATED = 143


class SalesCliError(Exception):
    """Base of every error a user can cause; carries its exit status and an optional hint."""

    exit_status: ExitStatus = ExitStatus.RULE

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


class RuleError(SalesCliError):
    """A value of the right form that breaks a rule (missing field, conflict, ambiguity)."""

    exit_status = ExitStatus.RULE


class RuleValue(RuleError):
    """A value of the right form that breaks a rule, named with its option: `--stages "Won:50" is not …`."""

    def __init__(self, field: str, value: str, reason: str) -> None:
        super().__init__(f'{field} "{shown_value(value)}" {reason}')


class ConfirmationRequired(RuleError):
    """A destructive command run without a terminal and without --yes."""


class AmbiguousReference(RuleError):
    """A reference that matches more than one record."""


class UsageError(SalesCliError):
    """A command line value of the wrong form."""

    exit_status = ExitStatus.USAGE


class InvalidValue(UsageError):
    """A value a person typed that cannot be parsed (money, date, period...).

    ``field`` names the option or column; ``value`` is the text at fault.
    """

    def __init__(self, field: str | None, value: str, reason: str) -> None:
        self.field = field
        self.value = value
        self.reason = reason
        where = f"{field} " if field else ""
        super().__init__(f'{where}"{shown_value(value)}" {reason}')

    def with_field(self, field: str) -> InvalidValue:
        """The same error, attributed to a named option or column."""
        return InvalidValue(field, self.value, self.reason)


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def printable(text: str) -> str:
    """Text safe to print on a terminal: control characters (ESC sequences that would recolour, retitle or
    write to the clipboard of the reader's terminal) shown as \\xNN; newlines and tabs kept."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def shown_value(value: str, limit: int = 80) -> str:
    """A value as an error message quotes it: on one line, printable, and not 10,000 characters long."""
    text = printable(value.replace("\r", "\\r").replace("\n", "\\n"))
    return text if len(text) <= limit else text[: limit - 1] + "…"


class NotFound(SalesCliError):
    """An unknown id or name of a record."""

    exit_status = ExitStatus.NOT_FOUND


class ImportRejected(SalesCliError):
    """An import refused for any reason; nothing was written."""

    exit_status = ExitStatus.IMPORT_REJECTED


class DatabaseError(SalesCliError):
    """Database busy, missing, corrupt, read-only, not salescli, newer schema."""

    exit_status = ExitStatus.DATABASE


class MigrationBlocked(DatabaseError):
    """An older schema that cannot be migrated through this connection (read-only)."""


class DatabaseCorrupt(DatabaseError):
    """SQLite found the file damaged (malformed pages, a failed integrity_check)."""


class ConditionMet(SalesCliError):
    """A report's --fail-if condition held."""

    exit_status = ExitStatus.CONDITION
