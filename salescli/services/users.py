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


# What a user can own: (table, the column naming them, entity in the history)
_OWNED = (("deals", "owner", "deal"), ("activities", "owner", None), ("companies", "owner", "company"),
          ("contacts", "owner", "contact"), ("automations", "owner_rule", "automation"))


def remove_user(repo: Repository, name: str, heir: str | None = None) -> dict[str, int]:
    """Delete a user (a typo'd name, someone who left). What they own — deals, activities and tasks,
    companies, contacts, automations, targets — goes to `heir`, each change logged; without one, a user
    who owns anything is refused (exit 1) with the counts. Returns what was handed over."""
    with repo.write():
        user = repo.user_row(name)
        if user is None:
            raise NotFound(f'no user named "{name}"', hint="see `salescli user list`")
        to = None
        if heir is not None:
            found = repo.user_row(heir)
            if found is None:
                raise NotFound(f'--to "{heir}": no user named so', hint=f"add them first: salescli user add {heir}")
            if found["id"] == user["id"]:
                raise RuleError(f"--to {heir} is the user being removed")
            to = found["name"]
        owned: dict[str, list[Row]] = {}
        for table, column, _entity in _OWNED:
            extra = ", kind" if table == "activities" else ""
            owned[table] = repo.all(f"SELECT id{extra} FROM {table} WHERE {column} = ? COLLATE NOCASE ORDER BY id",
                                    (user["name"],))
        owned["targets"] = repo.all("SELECT * FROM targets WHERE scope = 'owner' AND name = ? COLLATE NOCASE"
                                    " ORDER BY id", (user["name"],))
        counts = {k: len(v) for k, v in owned.items() if v}
        if counts and to is None:
            raise RuleError(f"user {user['name']} owns {_owned_text(counts)}",
                            hint=f"hand them to someone: salescli user rm {user['name']} --to NAME")
        for table, column, entity in _OWNED:
            for row in owned[table]:
                kind = entity or ("task" if row["kind"] == "task" else "activity")
                repo.change_record(table, kind, row["id"], {column: to})
        for target in owned["targets"]:
            held = repo.target_like("owner", to or "", target["period_start"], target["period_end"], target["metric"])
            if held is None:
                repo.change_record("targets", "target", target["id"], {"name": to})
                continue
            # the heir has a target of that period and metric: it grows by the leaver's, and says so
            total = int(held["value"]) + int(target["value"])
            repo.change_record("targets", "target", held["id"], {"value": total})
            repo.delete_record("targets", "target", target["id"])
            def shown(value: int, currency: str | None = target["currency"]) -> str:
                from salescli.values import format_money

                return format_money(value, currency) if currency else f"{value:,}"

            repo.notices.append(f"{to}'s {target['metric']} target for {target['period_label']} is now"
                                f" {shown(total)} ({shown(int(held['value']))} + {user['name']}'s"
                                f" {shown(int(target['value']))})")
        repo.delete_record("users", "user", user["id"])
    return counts


def _owned_text(counts: dict[str, int]) -> str:
    """'3 deals, 1 activity and 2 targets'"""
    singular = {"deals": "deal", "activities": "activity or task", "companies": "company", "contacts": "contact",
                "automations": "automation", "targets": "target"}
    parts = [f"{n} {singular[k] if n == 1 else k.replace('activities', 'activities and tasks')}"
             for k, n in counts.items()]
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
