"""`salescli db check`: SQLite's own checks, then salescli's invariants over the data."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from salescli.repository import Repository

MAX_PER_CHECK = 1000


def check_database(repo: Repository) -> tuple[list[dict[str, Any]], list[str]]:
    """(problems, checks run). A problem: check, entity, id, detail."""
    from salescli.services.pipeline import REQUIRED_FIELDS

    problems: list[dict[str, Any]] = []
    ran = ["integrity_check"]
    for message in repo.integrity_problems():
        problems.append({"check": "integrity", "entity": "database", "id": None, "detail": message})
    if problems:
        return problems, ran  # a damaged file: the other checks would only repeat it
    ran.append("foreign_key_check")
    for row in repo.foreign_key_problems():
        problems.append({"check": "foreign key", "entity": row["table"], "id": row["rowid"],
                         "detail": f"points at a missing {row['parent']} row"})
    for name, sql, _ in repo.check_queries(REQUIRED_FIELDS):
        ran.append(name)
        found = repo.run_check(sql)
        for row in found[:MAX_PER_CHECK]:
            problems.append({"check": name, **row})
        if len(found) > MAX_PER_CHECK:
            problems.append({"check": name, "entity": "", "id": None,
                             "detail": f"more than {MAX_PER_CHECK} problems of this kind"})
    return problems, ran
