"""`salescli sql`: one read-only query against the database, for scripts."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from salescli.errors import MigrationBlocked, RuleError, UsageError

if TYPE_CHECKING:
    from salescli.context import AppContext
    from salescli.repository import Repository


def run_query(app: AppContext, query: str) -> tuple[list[str], Iterator[dict[str, Any]]]:
    """Open the database read-only and run the query; (column names, rows as dicts)."""
    from salescli.repository import Repository

    if not query.strip():
        raise UsageError("sql: the query is empty (example: salescli sql \"SELECT count(*) FROM deals\")")
    def open_read_only() -> Repository:
        return Repository.open(app.db_path, create=False, read_only=True, busy_timeout=app.busy_timeout,
                               user=app.user, now=app.now)

    try:
        repo = open_read_only()
    except MigrationBlocked:
        # an older schema: migrate it as any other command does (and says so), then read
        if not os.access(app.db_path, os.W_OK):
            raise
        app.repo().close()
        app._repo = None
        repo = open_read_only()
    app._repo = repo  # closed with the context when the command ends
    try:
        columns, rows = repo.read_query(query)
    except (sqlite3.Warning, sqlite3.DatabaseError) as exc:
        text = str(exc)
        if "one statement at a time" in text:  # (a Warning, or since Python 3.11 a ProgrammingError)
            raise UsageError("sql: one statement at a time (this query has another after a `;`)") from None
        if isinstance(exc, sqlite3.Warning):
            raise
        if "readonly" in text or "read-only" in text or "not authorized" in text or "authorization denied" in text:
            raise RuleError(f"sql: only reading queries are allowed ({text})",
                            hint="salescli sql opens the database read-only; change data with the commands") from None
        raise _query_error(exc, app.db_path) from None
    unique = _unique(columns)

    def as_dicts() -> Iterator[dict[str, Any]]:
        try:
            for row in rows:
                # a BLOB as SQLite writes one (x'00ff'), not Python's b'\x00\xff'
                yield dict(zip(unique, (f"x'{v.hex()}'" if isinstance(v, bytes) else v for v in row), strict=True))
        except sqlite3.DatabaseError as exc:
            raise _query_error(exc, app.db_path) from None

    return unique, as_dicts()


def _query_error(exc: sqlite3.DatabaseError, path: Any) -> Exception:
    """A query SQLite cannot run is the user's (exit 2); a database that is corrupt, busy or unreadable
    is a storage fault (exit 5), as for every other command given that file."""
    text = str(exc).lower()
    if any(w in text for w in ("malformed", "corrupt", "not a database", "disk i/o", "locked", "busy")):
        from salescli.repository.base import translate_sqlite_error

        return translate_sqlite_error(exc, path)
    return UsageError(f"sql: {exc}")


def _unique(columns: list[str]) -> list[str]:
    """Column names made unique (SELECT a.id, b.id gives id, id_2), so no value hides another."""
    seen: dict[str, int] = {}
    out = []
    for name in columns:
        n = seen.get(name, 0) + 1
        seen[name] = n
        out.append(name if n == 1 else f"{name}_{n}")
    return out
