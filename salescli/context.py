"""AppContext: who acts, on which database, and what "today" is.

Built once by the root command from --db/--user/--today and the environment;
opens the repository lazily so `--help` and parse errors never touch a file.
"""

from __future__ import annotations

import getpass
import os
import sys
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from salescli.errors import InvalidValue

if TYPE_CHECKING:
    from salescli.repository import Repository

DEFAULT_BUSY_TIMEOUT = 10.0


def default_db_path() -> Path:
    """The platform's user data folder (~/.local/share/salescli/sales.db on Linux)."""
    base = os.environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local", "share")
    return Path(base) / "salescli" / "sales.db"


def resolve_db_path(option: str | None) -> tuple[Path, bool]:
    """The database path and whether it is the default location (whose folder we may create).
    `--db ""` (a script's unset $DB) is refused rather than read as "the default database"."""
    if option is not None and not option.strip():
        raise InvalidValue("--db", option, "is empty (leave --db out for the default database)")
    if option:
        return Path(option).expanduser(), False
    env = os.environ.get("SALESCLI_DB")
    if env is not None and not env.strip():  # `SALESCLI_DB=$DB` with DB unset: not the default database
        raise InvalidValue("SALESCLI_DB", env, "is set but empty (unset it for the default database)")
    if env:
        return Path(env).expanduser(), False
    return default_db_path(), True


#: A user's name is at most this long (as `user add` and --owner take it).
USER_NAME_LENGTH = 200


def resolve_user(option: str | None) -> tuple[str, str]:
    """Who acts, and where that came from: --user, else $SALESCLI_USER, else the login; on one line, as
    values.one_line puts a name (not imported here: every command starts through this)."""
    import re

    for source, given in (("--user", option), ("$SALESCLI_USER", os.environ.get("SALESCLI_USER"))):
        name = re.sub(r"\s*[\r\n\u2028\u2029]+\s*", " ", given or "").strip()
        if name:
            return name, source
    try:
        return getpass.getuser(), "the login name"
    except Exception:  # no login name in some containers
        return "me", "the login name"


def busy_timeout_from_env() -> float:
    raw = os.environ.get("SALESCLI_BUSY_TIMEOUT")
    if raw is None or raw.strip() == "":
        return DEFAULT_BUSY_TIMEOUT
    try:
        value = float(raw)
    except ValueError:
        raise InvalidValue("SALESCLI_BUSY_TIMEOUT", raw, "is not a number of seconds") from None
    if not (0 <= value <= 86400):
        raise InvalidValue("SALESCLI_BUSY_TIMEOUT", raw, "must be between 0 and 86400 seconds")
    return value


@dataclass
class AppContext:
    """What every command needs: the database location, the acting user, today."""

    db_path: Path
    user: str
    today: date
    user_source: str = "--user"  # where user came from, for the error of one too long
    today_pinned: bool = False
    default_location: bool = False
    busy_timeout: float = DEFAULT_BUSY_TIMEOUT
    _repo: Repository | None = field(default=None, repr=False)
    saved: bool = field(default=False, repr=False)  # a transaction committed (known once the database is closed)
    #: the command's context (the last made): a signal that lands after the command returned still finds
    #: whether it saved anything (cli.main says so)
    current: ClassVar[AppContext | None] = None

    def __post_init__(self) -> None:
        AppContext.current = self

    def now(self) -> str:
        """The timestamp written into history: the local time (the clock "today" comes from, so that a
        deal created at 8 pm in Los Angeles is not a day older than today), or midnight of a pinned --today."""
        if self.today_pinned:
            return f"{self.today.isoformat()}T00:00:00"
        return datetime.now().replace(microsecond=0).isoformat()

    def repo(self, *, create: bool = False, adopt_empty: bool = False) -> Repository:
        """Open the database; only writing commands may create it (init: in an empty file made for it)."""
        from salescli.repository import Repository

        if self._repo is None:
            if len(self.user) > USER_NAME_LENGTH:  # (checked here: `--help` and the like still work)
                raise InvalidValue(self.user_source, self.user[:40] + "…",
                                   f"is too long (at most {USER_NAME_LENGTH} characters)")
            self._repo = Repository.open(
                self.db_path,
                create=create,
                create_folder=self.default_location,
                busy_timeout=self.busy_timeout,
                user=self.user,
                now=self.now,
                adopt_empty=adopt_empty,
            )
            # Opening may have migrated the file: say so (and where the backup is) on every command,
            # reading ones included.
            for message in self._repo.notices:
                print(message, file=sys.stderr)
            self._repo.notices.clear()
        return self._repo

    def note_created_database(self) -> None:
        """After a command that succeeded: tell a person at a terminal that its first write created the
        database (a mistyped --db would go unseen; init says so itself, scripts need no telling)."""
        from salescli.render import note

        if self._repo is not None and self._repo.created is not None and sys.stderr.isatty():
            note(f"note: created database {self.db_path}")

    def settings(self) -> dict[str, str]:
        """Settings stored in the database (defaults when there is no database yet)."""
        if self._repo is None and not self.db_path.exists():
            from salescli.repository.base import DEFAULT_SETTINGS

            return dict(DEFAULT_SETTINGS)
        return self.repo().settings()

    def day_first(self) -> bool | None:
        """The day-first setting: None (unset: 03/04/2026 is ambiguous), True or False."""
        value = self.settings().get("day_first", "unset")
        return None if value == "unset" else value == "true"

    def close(self) -> None:
        if self._repo is not None:
            self.saved = self.saved or self._repo.saved_changes()  # (asked after: see current)
            self._repo.close()
            self._repo = None

    def discard_created_database(self) -> None:
        """The command failed: close the database, removing it if this very process created it (a first write
        that failed leaves no file behind, nor its -wal and -shm). A file that existed before is never touched."""
        if self._repo is not None:
            repo, self._repo = self._repo, None
            repo.discard_created()
