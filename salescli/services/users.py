"""Users: name, e-mail, team, territory. Created on first mention; teams let figures roll up."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import Field, field_validator

from salescli.errors import NotFound, RuleError
from salescli.models import Record, normalize_email, validate

if TYPE_CHECKING:
    from salescli.repository import Repository
    from salescli.repository.base import Row

FIELDS = ("email", "team", "territory")


class UserData(Record):
    name: str = Field(min_length=1, max_length=200)
    email: str | None = None
    team: str | None = Field(default=None, max_length=200)
    territory: str | None = Field(default=None, max_length=200)

    @field_validator("email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        return None if value is None else normalize_email(value)


def add_user(repo: Repository, data: dict[str, Any]) -> Row:
    """A new user; an existing name (any case) is a conflict (use edit)."""
    model = validate(UserData, data)
    with repo.write():
        existing = repo.user_row(model.name)
        if existing is not None:
            raise RuleError(f"user {existing['name']} already exists",
                            hint=f"change it with: salescli user edit {existing['name']} --team ...")
        repo.create_record("users", "user", {**model.model_dump(), "created_at": repo.now()})
    row = repo.user_row(model.name)
    assert row is not None
    return row


def edit_user(repo: Repository, name: str, changes: dict[str, Any]) -> tuple[Row, dict[str, Any]]:
    """Change e-mail, team or territory ("" clears); unknown user is exit 3."""
    current = repo.user_row(name)
    if current is None:
        raise NotFound(f'no user named "{name}"', hint="see `salescli user list`")
    merged = {"name": current["name"], **{k: current[k] for k in FIELDS}, **changes}
    model = validate(UserData, merged)
    values = {k: getattr(model, k) for k in FIELDS if k in changes}
    with repo.write():
        changed = repo.change_record("users", "user", current["id"], values)
    row = repo.user_row(current["name"])
    assert row is not None
    return row, changed


def user_view(row: Row) -> dict[str, Any]:
    return {k: row.get(k) for k in ("id", "name", "email", "team", "territory", "open_deals", "created_at")}
