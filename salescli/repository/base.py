"""Opening, migrating and writing to the database; the change log; settings and users.

Only the repository package knows tables, columns and SQL.
"""

from __future__ import annotations

import errno
import json
import os
import sqlite3
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from salescli.errors import DatabaseCorrupt, DatabaseError, MigrationBlocked, RuleError
from salescli.migrations import APPLICATION_ID, MIGRATIONS, SCHEMA_VERSION, statements

SQLITE_HEADER = b"SQLite format 3\x00"
#: New users a command names one by one (more: one line).
ANNOUNCED_USERS = 10

DEFAULT_SETTINGS: dict[str, str] = {
    "base_currency": "USD",
    "day_first": "unset",
    "fiscal_year_start_month": "1",
    "week_start": "monday",
    "default_stale_days": "30",
}

Row = dict[str, Any]


def _no_space(path: Path | str) -> bool:
    """Whether the disk holding the database has (next to) no room left: the cause of many I/O errors."""
    try:
        st = os.statvfs(Path(path).parent)
    except OSError:
        return False
    return st.f_bavail * st.f_frsize < 256 * 1024


#: The files SQLite keeps beside a database: its WAL, shared memory and rollback journal.
SQLITE_COMPANIONS = ("-wal", "-shm", "-journal")

#: quick_check/integrity_check lines about a row's value (a CHECK or NOT NULL it breaks), not the file's pages:
#: `db check` lists the row to fix, and a backup copies a sound file.
ROW_PROBLEMS = ("CHECK constraint failed", "NULL value in", "NOT NULL")


def _quick_check(conn: sqlite3.Connection) -> list[str]:
    """SQLite's quick_check of a database: ["ok"], or its first problems (of the file, not of a row's value)."""
    try:
        lines = [r[0] for r in conn.execute("PRAGMA quick_check(10000)")]
    except sqlite3.DatabaseError as exc:  # (a page it cannot even read)
        return [str(exc)]
    # (one row may hold several lines: "*** in database main ***\nPage 601: …\nPage 602: …")
    found = [part for line in lines for part in str(line).splitlines()
             if part.strip() and not part.startswith("*** in database")]
    return [line for line in found if not line.startswith(ROW_PROBLEMS)] or ["ok"]


def _backup_error(exc: BaseException, target: Path) -> DatabaseError:
    """A backup that could not be written: name the backup file (the database is fine)."""
    import errno

    text = str(exc).lower()
    if "full" in text or getattr(exc, "errno", None) in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
        return DatabaseError(f"disk full while writing {target}; no backup written")
    reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
    return DatabaseError(f"cannot write {target} ({reason}); no backup written")


def translate_sqlite_error(exc: sqlite3.Error, path: Path | str) -> DatabaseError:
    """Turn a SQLite failure into the one-line error a person can act on (exit 5)."""
    text = str(exc).lower()
    if "locked" in text or "busy" in text:
        return DatabaseError(
            f"database {path} is busy (another process is writing to it); nothing changed",
            hint="try again, or raise SALESCLI_BUSY_TIMEOUT (seconds)",
        )
    if "readonly" in text or "read-only" in text or "unable to open" in text:
        folder = Path(path).parent
        if folder.is_dir() and not os.access(folder, os.W_OK):
            return DatabaseError(
                f"database {path} cannot be used: its folder {folder} is not writable"
                " (SQLite keeps its -wal and -shm files beside the database); nothing changed",
                hint="make the folder writable, or copy the database into a folder you can write to",
            )
    if "readonly" in text or "read-only" in text:
        # a read of a read-only database leaves its -wal/-shm read-only too: the file itself may be writable
        # again, and those refuse the write
        stuck = [f"{path}{suffix}" for suffix in ("-wal", "-shm") if os.path.exists(f"{path}{suffix}")
                 and not os.access(f"{path}{suffix}", os.W_OK)]
        if stuck and os.access(path, os.W_OK):
            are = "is" if len(stuck) == 1 else "are"
            return DatabaseError(f"database {path} cannot be written: {' and '.join(stuck)} {are} read-only;"
                                 " nothing changed", hint=f"chmod 600 {' '.join(stuck)}")
        return DatabaseError(
            f"database {path} is read-only; nothing changed", hint=f"check the file's permissions (ls -l {path})"
        )
    if "malformed" in text or "corrupt" in text:
        return DatabaseCorrupt(
            f"database {path} is corrupt ({exc})",
            hint="run `salescli db check`, or restore a backup made with `salescli db backup`",
        )
    if "not a database" in text or "file is encrypted" in text:
        return DatabaseError(f"{path} is not a SQLite database")
    name = getattr(exc, "sqlite_errorname", "") or ""
    if "full" in text or name == "SQLITE_IOERR_SHMSIZE" or (name.startswith("SQLITE_IOERR") and _no_space(path)):
        return DatabaseError(f"disk full while writing {path}; nothing changed",
                             hint="free some space on its disk, then try again")
    if "unable to open" in text:
        return DatabaseError(f"cannot open database {path} ({exc})")
    return DatabaseError(f"database error on {path}: {exc}")


FileId = tuple[int, int]  # (st_dev, st_ino): which file a path names


def _file_id(path: Path) -> FileId | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_dev, st.st_ino


def _remove_created(path: Path, file_id: FileId, folders: Sequence[Path] = ()) -> bool:
    """Remove a database file this process created, its -wal, -shm and -journal, and the (empty) folders
    it made for it — only while the path still names that very file. Best effort: the command that
    created it is failing with its own error."""
    if _file_id(path) != file_id:
        return False
    for suffix in ("", *SQLITE_COMPANIONS):
        try:
            os.unlink(f"{path}{suffix}")
        except OSError:
            pass
    _remove_folders(folders)
    return True


def _remove_folders(folders: Sequence[Path]) -> None:
    """Remove folders this process made, deepest first; stop at one that is not empty."""
    for folder in folders:
        try:
            folder.rmdir()
        except OSError:
            break


# The change-log entities of a table (each a fixed name: they go into SQL text).
_TABLE_ENTITIES: dict[str, tuple[str, ...]] = {
    "companies": ("company",), "contacts": ("contact",), "deals": ("deal",), "activities": ("activity", "task"),
    "automations": ("automation",), "targets": ("target",), "pipelines": ("pipeline",), "stages": ("stage",),
    "users": ("user",), "forecast_snapshots": ("forecast_snapshot",),
}


_BUSY_SLICE_MS = 100  # how long one wait for another writer's lock lasts before Python looks at signals


def reserved_user_name(name: str) -> str | None:
    """Why a new user may not have this name, or None: it may not read as a team (`team:East`, as targets and
    reports name teams) or as the automation rule `deal-owner` (such a user could never get a target or a rule)."""
    folded = name.strip().casefold()
    if folded.startswith("team:"):
        return "cannot be a user's name: \"team:\" names a team (targets, reports --team)"
    if folded == "deal-owner":
        return "cannot be a user's name: an automation's owner \"deal-owner\" means the deal's owner"
    return None


def check_user_name(name: str) -> None:
    """A new user's name, refused when reserved (exit 1)."""
    from salescli.errors import RuleError

    reason = reserved_user_name(name)
    if reason is not None:
        raise RuleError(f'"{name}" {reason}', hint="give the person's name" + (
            "; a team is set with: salescli user edit NAME --team TEAM" if "team" in reason else ""))


@dataclass
class Query:
    """A SELECT built from allow-listed pieces; values are always bound parameters."""

    select: str
    source: str
    where: list[str] = field(default_factory=list)
    params: list[Any] = field(default_factory=list)
    order_by: str | None = None
    # the values of the ? in select and in order_by (a column or an order as of a day), bound around params
    select_params: list[Any] = field(default_factory=list)
    order_params: list[Any] = field(default_factory=list)

    def add(self, clause: str, *params: Any) -> Query:
        self.where.append(clause)
        self.params.extend(params)
        return self

    def sql(self, limit: int | None = None) -> tuple[str, list[Any]]:
        sql = f"SELECT {self.select} FROM {self.source}"
        if self.where:
            sql += " WHERE " + " AND ".join(f"({w})" for w in self.where)
        params = [*self.select_params, *self.params]
        if self.order_by:
            sql += f" ORDER BY {self.order_by}"
            params += self.order_params
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
        return sql, params

    def count_sql(self) -> tuple[str, list[Any]]:
        sql = f"SELECT count(*) FROM {self.source}"
        if self.where:
            sql += " WHERE " + " AND ".join(f"({w})" for w in self.where)
        return sql, list(self.params)


def _casefold(value: Any) -> Any:
    return value.casefold() if isinstance(value, str) else value


def _dict_factory(cursor: sqlite3.Cursor, row: Sequence[Any]) -> Row:
    return {col[0]: value for col, value in zip(cursor.description, row, strict=True)}


class RepositoryBase:
    """Connection, transactions, migrations, change log, settings, users."""

    def __init__(self, conn: sqlite3.Connection, path: Path, user: str, now: Callable[[], str]) -> None:
        self.conn = conn
        self.path = path
        self._user_typed = user
        self._user: str | None = None
        self.now = now
        self._depth = 0
        self._wal_checked = False  # a file in rollback mode goes WAL on its first write (see write)
        self.commits = 0  # transactions this command committed
        self._committing = False
        self.batch_id: int | None = None
        self.notices: list[str] = []  # what the caller should tell the user (e.g. "created company 4")
        self._known_users: list[str] | None = None  # the users before this command's first new one
        self._announced = 0
        self.migrated_from: int | None = None  # the schema version this command migrated the file from
        self.file_id: FileId | None = None  # the file opened: a write refuses a path that names another now
        self.created: FileId | None = None  # set when this process created the file (first write on a new path)
        self.created_folders: list[Path] = []  # folders made for it, deepest first
        self._data_version: int | None = None  # after opening: another connection's commit changes it

    # -- opening -------------------------------------------------------------------------
    @classmethod
    def open(
        cls,
        path: Path,
        *,
        create: bool,
        create_folder: bool = False,
        busy_timeout: float = 10.0,
        user: str = "me",
        now: Callable[[], str] = lambda: "",
        read_only: bool = False,
        adopt_empty: bool = False,
    ) -> Any:
        """Open (and, for writers, create) a salescli database, migrating an older one.

        A file this call creates is removed again if opening it fails; `created` remembers it so that a
        command that then fails can remove it too (discard_created): a mistyped path leaves nothing.
        adopt_empty (`init`): an empty file made beforehand (`install -m 600 /dev/null sales.db`) becomes
        the database, keeping its mode; other commands refuse it (a truncated database is no new one)."""
        created: FileId | None = None
        folders: list[Path] = []
        # another process created the file a moment ago: it may still be making it a database (seconds to wait)
        racing = 0.0
        if not path.exists():
            if not create:
                raise DatabaseError(
                    f"no database at {path}",
                    hint="run `salescli init` to create one, or pass --db / set SALESCLI_DB",
                )
            folder = path.parent
            if not folder.is_dir():
                if create_folder:
                    missing = folder
                    while not missing.exists() and missing != missing.parent:
                        folders.append(missing)
                        missing = missing.parent
                    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
                else:
                    raise DatabaseError(f"cannot create database {path}: folder {folder} does not exist")
            try:
                fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
                try:
                    st = os.fstat(fd)
                finally:
                    os.close(fd)
                created = (st.st_dev, st.st_ino)
            except FileExistsError:
                folders = []  # another process created it first; open it like any other, once it is one
                racing = 3.0  # (making a database takes well under a second)
            except OSError as exc:
                _remove_folders(folders)
                raise DatabaseError(f"cannot create database {path}: {exc.strerror}") from None
        elif path.is_dir():
            raise DatabaseError(f"{path} is a folder, not a database file")
        elif not path.is_file():  # a FIFO would block the read below forever; a device is no database
            raise DatabaseError(f"{path} is not a regular file, not a database file")
        elif time.time() - path.stat().st_mtime < 2:
            racing = 1.5  # (made a moment ago: perhaps by a process that is still making it a database)
        fresh = created is not None or (adopt_empty and path.is_file() and path.stat().st_size == 0)
        repo = None
        try:
            deadline = time.monotonic() + racing
            while True:
                try:
                    repo = cls._connect(path, created=fresh, busy_timeout=busy_timeout, user=user, now=now,
                                        read_only=read_only)
                    break
                except DatabaseError as exc:
                    # two cron jobs' first runs: the loser of the create waits for the winner's schema
                    # (an empty file, or one without salescli's id yet, until the winner commits)
                    if not racing or time.monotonic() > deadline or not (
                            "is an empty file" in exc.message or "of another application" in exc.message):
                        raise
                    time.sleep(0.05)
            repo.file_id = created or _file_id(path)
            if created is not None:
                repo.created = created
                repo.created_folders = folders
                repo._data_version = repo.scalar("PRAGMA data_version")
        except BaseException:  # (a Ctrl-C or SIGTERM too, up to the moment the caller holds the repository)
            if created is not None:  # a file just made and never usable: nothing of anyone's is in it
                if repo is not None:
                    repo.close()
                _remove_created(path, created, folders)
            raise
        return repo

    @classmethod
    def _connect(cls, path: Path, *, created: bool, busy_timeout: float, user: str, now: Callable[[], str],
                 read_only: bool) -> Any:
        """Check the file is a salescli database (migrating an older one) and connect to it."""
        try:
            with open(path, "rb") as fh:
                header = fh.read(16)
        except OSError as exc:
            raise DatabaseError(f"cannot read database {path}: {exc.strerror}") from None
        if header and header != SQLITE_HEADER:
            raise DatabaseError(f"{path} is not a SQLite database", hint="check the --db path")
        if not header and not created:
            raise DatabaseError(
                f"{path} is an empty file, not a salescli database",
                hint="`salescli init` makes it a database; or pass another --db path",
            )
        conn: sqlite3.Connection | None = None
        try:
            uri = f"file:{path}?mode=ro" if read_only else str(path)
            conn = sqlite3.connect(
                uri, uri=read_only, timeout=busy_timeout, isolation_level=None, check_same_thread=False
            )
            conn.row_factory = _dict_factory
            conn.execute("PRAGMA foreign_keys = ON")
            conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
            # Deleted or overwritten text is zeroed, not left in free space (contact forget relies on it).
            conn.execute("PRAGMA secure_delete = ON")
            # Unicode-aware case folding for name lookups (NOCASE folds ASCII only).
            conn.create_function("casefold", 1, _casefold, deterministic=True)
            repo = cls(conn, path, user, now)
            if created:
                conn.execute("PRAGMA journal_mode = WAL")
                conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            repo._check_and_migrate(created)
        except BaseException as exc:
            if conn is not None:
                conn.close()  # a refused file is left as it was, without -wal/-shm beside it
            if isinstance(exc, sqlite3.Error):
                raise translate_sqlite_error(exc, path) from None
            raise
        return repo

    def _check_and_migrate(self, created: bool) -> None:
        app_id = self.conn.execute("PRAGMA application_id").fetchone()["application_id"]
        if app_id != APPLICATION_ID:
            raise DatabaseError(
                f"{self.path} is a SQLite database of another application, not salescli",
                hint="pass the path of a salescli database with --db",
            )
        version = self.schema_version()
        if version > SCHEMA_VERSION:
            raise DatabaseError(
                f"{self.path} was written by a newer salescli (schema {version}, this one knows {SCHEMA_VERSION})",
                hint="upgrade salescli (pip install -U salescli)",
            )
        if version < SCHEMA_VERSION:
            self.migrate(backup=version > 0)

    def schema_version(self) -> int:
        return int(self.conn.execute("PRAGMA user_version").fetchone()["user_version"])

    def backup_before_migration(self, version: int) -> Path:
        """Copy the file beside itself before migrating it. Called with the write lock held, so a
        second connection reads the (still unmigrated) committed state: only the process that
        migrates writes a backup."""
        target = self.path.with_name(f"{self.path.name}.v{version}.bak")
        n = 1
        while target.exists():
            n += 1
            target = self.path.with_name(f"{self.path.name}.v{version}.{n}.bak")
        reader = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True)
        try:
            self.backup_to(target, source=reader)
        finally:
            reader.close()
        self.notices.append(f"backed up schema {version} database to {target} before migrating")
        return target

    def backup_to(self, target: Path, source: sqlite3.Connection | None = None, verify: bool = False,
                  replace: bool = True) -> None:
        """Online backup (safe while others write) into a new 0600 file, written then renamed; with verify, a
        copy SQLite's quick_check finds damaged is refused (exit 5) and the file it would replace kept.

        A failure (disk full, no permission) leaves no file and names the backup, not the database. The WAL
        and shared-memory files of the database a --force replaces go with it: SQLite would replay the old
        file's WAL onto the new one. Without replace, a file that appeared at target meanwhile (another backup
        to it, run at the same moment) is kept and this one refused, as if it had been there at the start."""
        from salescli.render import sweep_stale_temporaries

        tmp = target.with_name(f".{target.name}.tmp{os.getpid()}")
        sweep_stale_temporaries(target)
        try:
            fd = os.open(tmp, os.O_CREAT | os.O_TRUNC | os.O_WRONLY, 0o600)
            os.close(fd)
            dest = sqlite3.connect(str(tmp))
            try:
                (source or self.conn).backup(dest)
                dest.execute("PRAGMA journal_mode = DELETE")
                problems = _quick_check(dest) if verify else ["ok"]
            finally:
                dest.close()
            if problems != ["ok"]:
                more = f", and {len(problems) - 1} more" if len(problems) > 1 else ""
                raise DatabaseCorrupt(f"database {self.path} is damaged, so its copy would be: no backup written"
                                      f" (quick_check: {problems[0]}{more})",
                                      hint="run `salescli db check`; keep your earlier backups")
            os.chmod(tmp, 0o600)
            if not replace and target.exists():  # (checked again at the link: another backup may be writing it)
                raise RuleError(f"{target} already exists", hint="pass --force to overwrite it")
            for suffix in SQLITE_COMPANIONS:  # (a file once there left them: SQLite would replay them on this)
                target.with_name(target.name + suffix).unlink(missing_ok=True)
            if replace:
                os.replace(tmp, target)
                return
            try:
                os.link(tmp, target)  # fails when the name was taken meanwhile: no check-then-rename race
            except FileExistsError:
                raise RuleError(f"{target} already exists", hint="pass --force to overwrite it") from None
            except OSError as exc:
                if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV):
                    raise
                # a file system without hard links (vfat): the name reserved first, then the rename onto it
                try:
                    os.close(os.open(target, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
                except FileExistsError:
                    raise RuleError(f"{target} already exists", hint="pass --force to overwrite it") from None
                try:
                    os.replace(tmp, target)
                except BaseException:
                    target.unlink(missing_ok=True)  # (the empty file that held the name)
                    raise
                return
            tmp.unlink(missing_ok=True)
        except BaseException as exc:
            for leftover in (tmp, *(tmp.with_name(tmp.name + s) for s in SQLITE_COMPANIONS)):
                leftover.unlink(missing_ok=True)  # (the copy's own rollback journal, when the disk filled up)
            if isinstance(exc, sqlite3.Error | OSError):
                raise _backup_error(exc, target) from None
            raise

    def migrate(self, backup: bool = False) -> None:
        """Apply pending migrations in one IMMEDIATE transaction (exactly once across processes).

        With backup, the file is first copied beside itself, under the write lock: a process that
        finds the work already done by another writes no backup. A failed migration removes it."""
        old = self.schema_version()
        try:
            self._migrate(backup)
        except sqlite3.Error as exc:
            if "readonly" in str(exc).lower() and os.access(self.path.parent, os.W_OK):
                raise MigrationBlocked(
                    f"database {self.path} needs migrating from schema {old} to {SCHEMA_VERSION}"
                    " but is read-only; nothing changed",
                    hint="make the file writable (chmod u+w), then run `salescli db migrate`",
                ) from None
            raise

    def _begin_immediate(self) -> None:
        """BEGIN IMMEDIATE, waiting for another writer (up to the busy timeout) in slices of 0.1 s: SQLite's own
        wait sleeps in C, where Python cannot act on Ctrl-C or SIGTERM until it ends (a minute, with a long
        SALESCLI_BUSY_TIMEOUT); between slices the signal ends the command at once."""
        wait_ms = int(self.scalar("PRAGMA busy_timeout") or 0)
        if wait_ms <= _BUSY_SLICE_MS:
            self.conn.execute("BEGIN IMMEDIATE")
            return
        deadline = time.monotonic() + wait_ms / 1000
        self.conn.execute(f"PRAGMA busy_timeout = {_BUSY_SLICE_MS}")
        try:
            while True:
                try:
                    self.conn.execute("BEGIN IMMEDIATE")
                    return
                except sqlite3.OperationalError as exc:
                    if getattr(exc, "sqlite_errorcode", None) != sqlite3.SQLITE_BUSY or time.monotonic() >= deadline:
                        raise
        finally:
            self.conn.execute(f"PRAGMA busy_timeout = {wait_ms}")

    def _migrate(self, backup: bool) -> None:
        self._switch_to_wal()  # (a write: a file in rollback mode goes WAL, as on any write)
        self._begin_immediate()
        copy: Path | None = None
        try:
            version = self.schema_version()  # re-read: another process may have migrated meanwhile
            if backup and 0 < version < SCHEMA_VERSION:
                copy = self.backup_before_migration(version)
            for index in range(version, SCHEMA_VERSION):
                _name, script = MIGRATIONS[index]
                for stmt in statements(script):
                    self.conn.execute(stmt)
                self._after_migration(index + 1)
            self.conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            self.conn.execute("COMMIT")
            if 0 < version < SCHEMA_VERSION:
                self.migrated_from = version
        except BaseException:
            if self.conn.in_transaction:  # SQLite already rolled back after a disk-full or I/O error
                self.conn.execute("ROLLBACK")
            if copy is not None:
                copy.unlink(missing_ok=True)
                self.notices.pop()
            raise

    def _after_migration(self, version: int) -> None:
        """Data that a migration seeds (default pipeline, default automation)."""
        now = self.now()
        if version == 2:
            self.conn.execute(
                "INSERT INTO pipelines (name, is_default, created_at) VALUES ('Default', 1, ?)", (now,)
            )
            pid = self.conn.execute("SELECT last_insert_rowid() AS id").fetchone()["id"]
            stages = [
                ("Prospecting", 10, "open", []),
                ("Qualification", 20, "open", []),
                ("Needs Analysis", 40, "open", []),
                ("Proposal", 60, "open", ["amount", "expected_close"]),
                ("Negotiation", 80, "open", ["amount", "expected_close"]),
                ("Won", 100, "won", []),
                ("Lost", 0, "lost", []),
            ]
            for pos, (name, prob, kind, required) in enumerate(stages, start=1):
                self.conn.execute(
                    "INSERT INTO stages (pipeline_id, name, position, probability, kind, required_fields)"
                    " VALUES (?, ?, ?, ?, ?, ?)",
                    (pid, name, pos, prob, kind, json.dumps(required)),
                )
        if version == 3:
            self.conn.execute(
                "INSERT INTO automations (event, task_subject, due_days, owner_rule, created_at)"
                " VALUES ('won', 'Post-sale follow-up', 7, 'deal-owner', ?)",
                (now,),
            )

    def discard_created(self) -> bool:
        """The command failed: close, and remove the database file if this very process created it and nothing
        of anyone's is in it — no transaction of this command was committed, no other connection committed
        one (PRAGMA data_version), none is writing now. Never a file that existed before. True if removed."""
        removed = False
        try:
            if self.created is not None and not self.saved_changes():
                if self.conn.in_transaction:
                    self.conn.execute("ROLLBACK")
                self._depth = 0
                self.conn.execute("PRAGMA busy_timeout = 0")  # another writer is at work: its file now
                self.conn.execute("BEGIN IMMEDIATE")
                try:
                    # Removed under the write lock: a salescli that opened the file meanwhile and waits
                    # to write finds the path gone when it gets the lock, and refuses (see write()).
                    if self.scalar("PRAGMA data_version") == self._data_version:
                        removed = _remove_created(self.path, self.created, self.created_folders)
                finally:
                    self.conn.execute("ROLLBACK")
        except sqlite3.Error:
            pass  # locked or failing: leave the file
        finally:
            self.close()
        return removed

    def checkpoint(self) -> bool:
        """Copy the WAL into the database and truncate it; False when a reader keeps part of it alive."""
        row = self.one("PRAGMA wal_checkpoint(TRUNCATE)")
        return row is not None and row["busy"] == 0

    def close(self) -> None:
        try:
            self.conn.close()
        except sqlite3.Error:
            pass

    # -- transactions --------------------------------------------------------------------
    def _switch_to_wal(self) -> None:
        """A file restored from a backup (`db backup` writes rollback mode: one self-contained file) or written
        by another tool is in rollback mode, where a long report blocks writers: its first write switches it
        to WAL (persistent, once), so that reading it never changes it. Best effort: another connection in
        rollback mode keeps it from switching this time."""
        if self._wal_checked:
            return
        self._wal_checked = True
        if self.conn.execute("PRAGMA journal_mode").fetchone()["journal_mode"] != "wal":
            try:
                self.conn.execute("PRAGMA journal_mode = WAL")
            except sqlite3.OperationalError:
                pass

    @contextmanager
    def write(self) -> Iterator[None]:
        """One IMMEDIATE transaction per command; nested calls join the outer one."""
        if self._depth == 0:
            self.__dict__.pop("_reopened_since_cache", None)  # (what reports learnt of the data may change now)
            self._switch_to_wal()
            self._begin_immediate()
            if self.file_id is not None and _file_id(self.path) != self.file_id:
                # Another salescli created this file, failed, and removed it while we waited for the lock
                # (or the file was replaced): writing now would write into a file nobody can see again.
                self.conn.execute("ROLLBACK")
                raise DatabaseError(f"database {self.path} was removed or replaced while this command ran;"
                                    " nothing changed", hint="run the command again")
        self._depth += 1
        try:
            yield
        except BaseException:
            self._depth -= 1
            if self._depth == 0 and self.conn.in_transaction:  # SQLite may have rolled back already (disk full)
                self.conn.execute("ROLLBACK")
            raise
        self._depth -= 1
        if self._depth == 0:
            # An interrupt (Ctrl-C, SIGTERM) is raised between two Python steps, so it can land just after
            # COMMIT returned: saved_changes() then tells the truth instead of "nothing was saved".
            self._committing = True
            try:
                self.conn.execute("COMMIT")
            except sqlite3.Error:
                self._committing = False
                raise
            self.commits += 1
            self._committing = False

    @contextmanager
    def read_transaction(self) -> Iterator[None]:
        """One read transaction: every query inside sees the database as the first one did (an export's
        columns and its rows, read by two statements, then agree though others write meanwhile)."""
        if self._depth or self.conn.in_transaction:
            yield
            return
        self.conn.execute("BEGIN")
        try:
            yield
        finally:
            if self.conn.in_transaction:
                self.conn.execute("COMMIT")

    def saved_changes(self) -> bool:
        """Whether this command committed a transaction (or an interrupt arrived as its COMMIT returned)."""
        if self.commits:
            return True
        try:
            return self._committing and not self.conn.in_transaction
        except sqlite3.ProgrammingError:  # closed
            return False

    # -- helpers -------------------------------------------------------------------------
    def one(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        row: Row | None = self.conn.execute(sql, params).fetchone()
        return row

    def all(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        return list(self.conn.execute(sql, params).fetchall())

    def scalar(self, sql: str, params: Sequence[Any] = ()) -> Any:
        row = self.conn.execute(sql, params).fetchone()
        return None if row is None else next(iter(row.values()))

    def fetch(self, query: Query, limit: int | None = None) -> Iterator[Row]:
        sql, params = query.sql(limit)
        yield from self.stream(sql, params)

    def stream(self, sql: str, params: Any = ()) -> Iterator[Row]:
        """The rows of a query, as they come. Not `yield from cursor`: a generator finalised after the
        connection closed (a list cut short by its limit, or the reader of a pipe gone) would call
        cursor.close() and print an ignored exception on stderr."""
        cursor = self.conn.execute(sql, params)
        while batch := cursor.fetchmany(256):
            yield from batch

    def count(self, query: Query) -> int:
        sql, params = query.count_sql()
        return int(self.scalar(sql, params))

    def insert(self, table: str, values: Row) -> int:
        cols = ", ".join(values)
        marks = ", ".join("?" for _ in values)
        cur = self.conn.execute(f"INSERT INTO {table} ({cols}) VALUES ({marks})", list(values.values()))
        return int(cur.lastrowid or 0)

    def update_row(self, table: str, row_id: int, values: Row) -> None:
        if not values:
            return
        sets = ", ".join(f"{col} = ?" for col in values)
        self.conn.execute(f"UPDATE {table} SET {sets} WHERE id = ?", [*values.values(), row_id])

    # -- change log ----------------------------------------------------------------------
    def record_change(
        self, entity: str, entity_id: int, action: str, before: Row | None, after: Row | None
    ) -> None:
        self.conn.execute(
            "INSERT INTO changes (batch_id, entity, entity_id, action, changed_at, changed_by, before, after)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                self.batch_id,
                entity,
                entity_id,
                action,
                self.now(),
                self.user,
                None if before is None else json.dumps(before, default=str, ensure_ascii=False),
                None if after is None else json.dumps(after, default=str, ensure_ascii=False),
            ),
        )

    def next_id(self, table: str) -> int:
        """The id a new row of table gets: past every id it ever had, deleted rows' included (their
        history stays in the change log under that id; SQLite alone would give the last id again after
        `deal rm` or `import undo`, and `history deal N` would mix two deals)."""
        logged = " ".join(f"UNION ALL SELECT max(entity_id) FROM changes WHERE entity = '{entity}'"
                          for entity in _TABLE_ENTITIES.get(table, ()))
        return int(self.scalar(f"SELECT coalesce(max(m), 0) + 1 FROM (SELECT max(id) AS m FROM {table} {logged})"))

    def create_record(self, table: str, entity: str, values: Row) -> int:
        """Insert a row (with an id never used before) and log its creation."""
        new_id = self.insert(table, {"id": self.next_id(table), **values})
        self.record_change(entity, new_id, "create", None, {k: v for k, v in values.items() if v is not None})
        return new_id

    def change_record(self, table: str, entity: str, row_id: int, values: Row, action: str = "update") -> Row:
        """Update the fields that really change and log before/after of just those; returns the changes."""
        current = self.one(f"SELECT * FROM {table} WHERE id = ?", (row_id,)) or {}
        changed = {k: v for k, v in values.items() if current.get(k) != v}
        meaningful = {k: v for k, v in changed.items() if k not in ("updated_at",)}
        if not meaningful:
            return {}
        self.update_row(table, row_id, changed)
        self.record_change(
            entity, row_id, action, {k: current.get(k) for k in meaningful}, meaningful
        )
        return meaningful

    def delete_record(self, table: str, entity: str, row_id: int, after: Row | None = None) -> None:
        """Delete a row, logged with what it held (after: what became of it, e.g. a user's heir)."""
        current = self.one(f"SELECT * FROM {table} WHERE id = ?", (row_id,))
        self.conn.execute(f"DELETE FROM {table} WHERE id = ?", (row_id,))
        self.record_change(entity, row_id, "delete", current, after)

    def merged_away(self, table: str, entity: str, row_id: int, before: Row, kept_id: int) -> None:
        """Delete a duplicate merged into another record (`company merge`), logged as a merge."""
        self.conn.execute(f"DELETE FROM {table} WHERE id = ?", (row_id,))  # (a fixed name)
        self.record_change(entity, row_id, "merge", before, {"merged_into": kept_id})

    def merged_into_id(self, entity: str, row_id: int) -> int | None:
        """The record a company or contact was merged into (its merge record), or None."""
        return self.scalar(  # type: ignore[no-any-return]
            "SELECT json_extract(after, '$.merged_into') FROM changes WHERE entity = ? AND entity_id = ?"
            " AND action = 'merge' AND after LIKE '%merged_into%'", (entity, row_id))

    def merged_by_key(self, entity: str, key: str, value: str) -> int | None:
        """The record a company (key domain or name) or contact (key email) with that value was merged into, along a
        chain of merges; None when no merged record had it, or the record it went into is gone too."""
        match = f"json_extract(before, '$.{key}') = ?" if key != "name" else \
            "casefold(json_extract(before, '$.name')) = casefold(?)"  # (a name, in any case)
        found = self.scalar(
            "SELECT json_extract(after, '$.merged_into') FROM changes WHERE entity = ? AND action = 'merge'"
            f" AND {match} ORDER BY id DESC LIMIT 1", (entity, value))
        if found is None:
            return None
        table = "companies" if entity == "company" else "contacts"
        return int(found) if self.row_exists(table, int(found)) else self.merged_end(entity, int(found))

    def merged_end(self, entity: str, row_id: int) -> int | None:
        """The existing company or contact that record row_id went into along a chain of merges, or None (not
        merged, or what it went into is gone too)."""
        table = "companies" if entity == "company" else "contacts"
        number: int | None = row_id
        for _hop in range(50):
            number = self.merged_into_id(entity, number) if number is not None else None
            if number is None or self.row_exists(table, number):
                return number
        return None

    def row_exists(self, table: str, row_id: int) -> bool:
        return self.scalar(f"SELECT EXISTS (SELECT 1 FROM {table} WHERE id = ?)", (row_id,)) == 1  # (a fixed name)

    def record_label(self, table: str, column: str, row_id: int) -> Any:
        """A record's name or title (table and column are fixed names), None when it is not there."""
        return self.scalar(f"SELECT {column} FROM {table} WHERE id = ?", (row_id,))

    def last_removal(self, entity: str, row_id: int) -> Row | None:
        """How a record left (its delete or merge change: action, before, after as JSON text), None when
        the change log has no such change."""
        return self.one(
            "SELECT action, before, after FROM changes WHERE entity = ? AND entity_id = ?"
            " AND action IN ('delete', 'merge') ORDER BY id DESC LIMIT 1", (entity, row_id))

    def history_query(self, entity: str | None, entity_id: int | None, latest: int | None = None) -> Query:
        """The change log of a kind of record (and one record of it), oldest first; latest: only the last
        that many changes (still oldest first)."""
        q = Query(
            "id, changed_at, changed_by, entity, entity_id, action, batch_id, before, after",
            "changes",
            order_by="id",
        )
        if entity == "import" and entity_id is not None:  # a batch: what it wrote (and its undo), and its record
            q.add("batch_id = ? OR (entity = 'import' AND entity_id = ?)", entity_id, entity_id)
        else:
            if entity in ("activity", "task") and entity_id is not None:
                q.add("entity IN ('activity', 'task')")  # (one table, one id: `history activity N` of a task too)
            elif entity:
                q.add("entity = ?", entity)
            if entity_id is not None:
                q.add("entity_id = ?", entity_id)
        if latest is not None:
            # from the id of the latest-th newest change on: the rows still stream oldest first, and no
            # more than `latest` of them are read (none is held in memory to be turned around)
            where = " AND ".join(f"({w})" for w in q.where) or "1"
            q.add(f"id >= coalesce((SELECT id FROM changes WHERE {where} ORDER BY id DESC LIMIT 1 OFFSET ?), 0)",
                  *q.params, latest - 1)
        return q

    # -- settings and users --------------------------------------------------------------
    def settings(self) -> dict[str, str]:
        values = dict(DEFAULT_SETTINGS)
        for row in self.all("SELECT key, value FROM settings"):
            values[row["key"]] = row["value"]
        return values

    def set_setting(self, key: str, value: str) -> None:
        before = self.settings().get(key)
        self.conn.execute(
            "INSERT INTO settings (key, value) VALUES (?, ?)"
            " ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (key, value),
        )
        self.record_change("setting", 0, f"set {key}", {key: before}, {key: value})

    def ensure_user(self, name: str | None, *, announce: bool = False) -> None:
        """Users are created on first mention (as owner or actor). announce (a command, not an import): a new
        user other than the one acting is named in a notice, and refused when one slip from a known user;
        the acting user one slip from a known user (a mistyped --user or $SALESCLI_USER, or a new colleague
        whose login reads like one) is named in a notice with the command that undoes it."""
        if not name:
            return
        name = self.user_spelling(name)  # ("ZOË" is Zoë: a user known in another case is that user)
        if announce and not self.scalar("SELECT EXISTS (SELECT 1 FROM users WHERE name = ?)", (name,)):
            check_user_name(name)
            import shlex

            from salescli.values import fold

            gone = self.user_handovers().get(fold(name)) if name != self.user else None
            if gone is not None:  # one who left: not made again by a mention (an import gives their rows to the heir)
                left, heir = gone
                raise RuleError(f"user {left} was removed, their records handed to {heir} (user rm --to)",
                                hint=f"give {heir}, or bring {left} back: salescli user add {shlex.quote(left)}")
            if name != self.user:
                self._check_not_a_typo(name)
            else:
                self._note_acting_slip(name)
        cur = self.conn.execute(
            "INSERT INTO users (name, created_at) VALUES (?, ?) ON CONFLICT(name) DO NOTHING",
            (name, self.now()),
        )
        if announce and cur.rowcount == 1 and name != self.user:
            self._announce_user(name)

    def _check_not_a_typo(self, name: str) -> None:
        """A first mention one slip from a known user ('anna' beside 'ana') is refused, as a company name close
        to a known one is: a typo would otherwise become a user, and its target would add to the company's.
        `user add NAME` creates such a one on purpose."""
        import shlex

        from salescli.errors import NotFound
        from salescli.values import typo_of

        match = typo_of(name, self._users_known(name))
        if match is not None:
            raise NotFound(f'no user named "{name}"; did you mean {match}?',
                           hint=f"to add a user named {name}, add it first: salescli user add {shlex.quote(name)}")

    def _note_acting_slip(self, name: str) -> None:
        import shlex

        from salescli.values import typo_of

        match = typo_of(name, self._users_known(name))
        if match is not None:
            self.notices.append(f"new user {name} (the acting user), one slip from user {match}:"
                                f" if a typo, salescli user rm {shlex.quote(name)} --to {shlex.quote(match)}")

    def _users_known(self, name: str) -> list[str]:
        from salescli.values import SUGGEST_AMONG

        if self._known_users is None:  # the users known before this command, loaded once
            self._known_users = [str(r["name"]) for r in self.conn.execute(
                "SELECT name FROM users WHERE name <> ? LIMIT ?", (name, SUGGEST_AMONG + 1))]
        return self._known_users

    def _announce_user(self, name: str) -> None:
        """'new user sam (first mention)' (one that reads like a known user was refused before); past
        ANNOUNCED_USERS new names (a target import), one line says there are more."""
        self._announced += 1
        if self._announced > ANNOUNCED_USERS:
            if self._announced == ANNOUNCED_USERS + 1:
                self.notices.append("more new users (see salescli user list)")
            return
        self.notices.append(f"new user {name} (first mention)")

    @property
    def user(self) -> str:
        """Who acts, as the users table spells them ($SALESCLI_USER=Dana is user dana: history and new owners
        name her so); looked up on first use, so a command that never asks (db check of a damaged file)
        reads nothing for it."""
        if self._user is None:
            self._user = self.user_spelling(self._user_typed) if self._user_typed else self._user_typed
        return self._user

    def user_spelling(self, name: str) -> str:
        """A user's name as first recorded ('Dana' typed, 'dana' known: 'dana'); unknown names as given.

        Owners are compared exactly (so the (owner, ...) indexes serve queries); writes store this
        spelling, and filters look it up first.
        """
        from salescli.values import fold

        found = self.scalar("SELECT name FROM users WHERE name = ? COLLATE NOCASE", (name,))
        if found is not None:
            return str(found)
        # NOCASE folds ASCII letters only ("ZOË" is Zoë, "STRASSE" Straße); "Dana  Kim" or a pasted tab: runs of
        # spaces as one (users are a team: read them all, the first of one folded name as it)
        users: dict[str, str] = {}
        for r in self.all("SELECT name FROM users ORDER BY id"):
            users.setdefault(fold(r["name"]), r["name"])
        found = users.get(fold(name))
        if found is None and "@" in name:  # a user's e-mail: that user (as imports read an owner given so), or the
            holder = self.user_by_email(name)  # former one of a user removed and added again since
            found = holder["name"] if holder is not None else next(
                (users[fold(r["name"])] for r in reversed(self.removed_users())
                 if fold(r["email"] or "") == fold(name) and fold(r["name"]) in users), None)
        return str(found) if found is not None else name

    def user_heirs(self) -> dict[str, str]:
        """Removed users' names and e-mails (folded) -> whom their records went to (`user rm NAME --to HEIR`; the
        last removal of a name decides, one without --to ends it), along a chain of removals to a user still here;
        a user added again since is theirs again (left out). Read once: an import asks it for every new owner."""
        return {key: heir for key, (_, heir) in self.user_handovers().items()}

    def user_handovers(self) -> dict[str, tuple[str, str]]:
        """As user_heirs, with the removed user's name as recorded: key -> (name, heir)."""
        from salescli.values import fold

        users = {fold(r["name"]) for r in self.all("SELECT name FROM users")}
        handed: dict[str, tuple[str, str | None]] = {}
        for r in self.removed_users():
            if fold(r["name"]) not in users:
                for key in (r["name"], r["email"]):
                    if key:
                        handed[fold(key)] = (r["name"], r["heir"])
        heirs: dict[str, tuple[str, str]] = {}
        for key, (name, heir) in handed.items():
            for _ in range(5):  # (lee to dana, dana to kim since: kim)
                if heir is None or fold(heir) in users:
                    break
                heir = handed.get(fold(heir), (None, None))[1]
            if heir is not None and fold(heir) in users:
                heirs[key] = (name, heir)
        return heirs

    def removed_users(self) -> list[Row]:
        """Every `user rm`, oldest first: name, email, heir (users are a team: their removals few)."""
        return self.all("SELECT json_extract(before, '$.name') AS name, json_extract(before, '$.email') AS email,"
                        " json_extract(after, '$.handed_to') AS heir FROM changes WHERE entity = 'user'"
                        " AND action = 'delete' AND json_extract(before, '$.name') IS NOT NULL ORDER BY id")

    def user_by_email(self, email: str, except_id: int | None = None) -> Row | None:
        """The user (id, name) whose e-mail this is, in any case; except_id: another than that one."""
        return self.one("SELECT id, name FROM users WHERE casefold(email) = ? AND id IS NOT ? ORDER BY id LIMIT 1",
                        (email.strip().casefold(), except_id))

    def table_counts(self) -> dict[str, int]:
        tables = ["companies", "contacts", "deals", "activities", "pipelines", "stages",
                  "stage_history", "targets", "users", "changes", "import_batches"]
        return {t: int(self.scalar(f"SELECT count(*) FROM {t}")) for t in tables}
