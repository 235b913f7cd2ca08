"""`salescli db check`: SQLite's own checks, then salescli's invariants over the data."""

from __future__ import annotations

import shlex
import sqlite3
from typing import TYPE_CHECKING, Any

from salescli.errors import DatabaseCorrupt

if TYPE_CHECKING:
    from salescli.repository import Repository

MAX_PER_CHECK = 1000
#: Checks of the pipeline's rules, which `deal move --force` and imports may knowingly break: listed as
#: warnings (exit 0); every other check is a problem (exit 1).
WARNINGS = ("open past Proposal without amount", "missing required field")


def restore_hint(path: object) -> str:
    """What to do about a corrupt file (from `db check`, whose hint cannot be "run `salescli db check`")."""
    return f"restore a backup made with `salescli db backup` ({shlex.quote(str(path))} was left as it was)"


def corrupt(path: object, detail: str) -> DatabaseCorrupt:
    """The one-line refusal of a file SQLite finds damaged."""
    return DatabaseCorrupt(f"database {path} is corrupt: {detail}", hint=restore_hint(path))


def check_database(repo: Repository) -> tuple[list[dict[str, Any]], list[str]]:
    """(problems, checks run). A problem: check, level (problem or warning: see WARNINGS), entity, id,
    detail.

    A file SQLite finds damaged is no list of problems but a DatabaseCorrupt (exit 5): the checks of
    salescli's rules would only read garbage, and the fix is a backup, not an edit.
    """
    from salescli.models import CONTACT_STATUSES
    from salescli.repository.base import ROW_PROBLEMS, translate_sqlite_error
    from salescli.services.pipeline import FORECAST_CATEGORIES, REQUIRED_FIELDS

    problems: list[dict[str, Any]] = []
    ran = ["integrity_check"]
    try:
        damage = [line for message in repo.integrity_problems() for line in str(message).splitlines()
                  if line.strip() and not line.startswith("*** in database")]
    except sqlite3.Error as exc:
        err = translate_sqlite_error(exc, repo.path)
        if isinstance(err, DatabaseCorrupt):  # too damaged for the check itself to walk the file
            raise corrupt(repo.path, f"integrity_check failed ({exc})") from None
        raise err from None
    # a value its table's CHECK or NOT NULL refuses, written around salescli: the file is sound, the row is
    # listed (salescli's own checks name it where they can: a negative amount, an unknown status)
    broken = [line for line in damage if line.startswith(ROW_PROBLEMS)]
    damage = [line for line in damage if line not in broken]
    if damage:
        many = f"{len(damage)} problems, the first" if len(damage) > 1 else "1 problem"
        raise corrupt(repo.path, f"SQLite's integrity_check found {many}: {damage[0]}")
    ran.append("foreign_key_check")
    for row in repo.foreign_key_problems():
        problems.append({"check": "foreign key", "level": "problem", "entity": row["table"], "id": row["rowid"],
                         "detail": f"points at a missing {row['parent']} row"})
    for name, sql, _ in repo.check_queries(REQUIRED_FIELDS, FORECAST_CATEGORIES, CONTACT_STATUSES):
        ran.append(name)
        found = repo.run_check(sql)
        level = "warning" if name in WARNINGS else "problem"
        for row in found[:MAX_PER_CHECK]:
            problems.append({"check": name, "level": level, **row})
        if len(found) > MAX_PER_CHECK:
            problems.append({"check": name, "level": level, "entity": "", "id": None,
                             "detail": f"more than {MAX_PER_CHECK} problems of this kind"})
    # what integrity_check finds of a CHECK or NOT NULL that the checks above did not name row by row
    named = {p["entity"] for p in problems}
    for line in dict.fromkeys(broken):  # (one line per row: said once, with the count)
        table = line.rsplit(" ", 1)[-1].split(".")[0]
        if ENTITY_OF_TABLE.get(table, table) in named:
            continue
        rows = broken.count(line)
        problems.insert(0, {"check": "constraint", "level": "problem", "entity": ENTITY_OF_TABLE.get(table, table),
                            "id": None, "detail": f"integrity_check: {line}" + (f" ({rows} rows)" if rows > 1 else "")})
    return problems, ran


ENTITY_OF_TABLE = {"companies": "company", "contacts": "contact", "deals": "deal", "activities": "activity",
                   "stages": "stage", "pipelines": "pipeline", "targets": "target", "users": "user"}


# the checks of values a command cannot read (written around salescli): what a command that failed on a value
# of the wrong type looks for before it is taken for a bug
UNREADABLE = ("not a whole number", "malformed JSON", "not a date", "unknown value")


def unreadable_values(repo: Repository) -> tuple[int, dict[str, Any]] | None:
    """(how many, the first) of the stored values no command can read — a text where a number belongs, tags
    that are no JSON — or None when there are none."""
    from salescli.models import CONTACT_STATUSES
    from salescli.services.pipeline import FORECAST_CATEGORIES, REQUIRED_FIELDS

    found: list[dict[str, Any]] = []
    for name, sql, _ in repo.check_queries(REQUIRED_FIELDS, FORECAST_CATEGORIES, CONTACT_STATUSES):
        if name in UNREADABLE:
            found += repo.run_check(sql)
    return (len(found), found[0]) if found else None
