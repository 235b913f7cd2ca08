"""Users: name, e-mail, team, territory. Created on first mention; teams let figures roll up."""

from __future__ import annotations

import shlex
from dataclasses import dataclass
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


def _team_spelling(repo: Repository, team: str | None) -> str | None:
    """A team as spelt already ("enterprise" typed, "Enterprise" known: reports group by team, so two spellings
    would be two teams); a new team one slip from a known one is named in a note."""
    if not team:
        return team
    same = repo.team_spelling(team)
    if same is not None:
        return same
    from salescli.values import typo_of

    meant = typo_of(team, repo.team_names())
    if meant is not None:
        repo.notices.append(f"note: new team {team}, one slip from team {meant}: if a typo, salescli user edit NAME"
                            f" --team {shlex.quote(meant)}")
    return team


def _given(option: str, text: str | None) -> None:
    """A user's name given empty (`user add ""`, a script's unset variable) is a usage error naming it."""
    if text is not None and not text.strip():
        from salescli.errors import UsageError

        raise UsageError(f'{option} "{text}" is empty: give a user name')


def _email_free(repo: Repository, email: str | None, user_id: int | None) -> None:
    """One user an e-mail: an owner given by it (an export's) is that user."""
    if not email:
        return
    other = repo.user_by_email(email, user_id)
    if other is not None:
        raise RuleError(f"user {other['name']} has the e-mail {email}", hint="one e-mail a user: owners given by"
                        " e-mail in imports are that user")


def add_user(repo: Repository, data: dict[str, Any]) -> Row:
    """A new user; an existing name (any case) is a conflict (use edit)."""
    from salescli.repository.base import check_user_name

    _given("NAME", data["name"])

    model = validate(UserData, data)
    with repo.write():
        existing = repo.user_row(repo.user_spelling(model.name))  # ("ZOË ÜNAL", "Dana  Kim": the same people)
        if existing is not None:
            raise RuleError(f"user {existing['name']} already exists",
                            hint=f"change it with: salescli user edit {existing['name']} --team ...")
        check_user_name(model.name)
        _email_free(repo, model.email, None)
        repo.create_record("users", "user", {**model.model_dump(), "team": _team_spelling(repo, model.team),
                                             "created_at": repo.now()})
    row = repo.user_row(model.name)
    assert row is not None
    return row


def edit_user(repo: Repository, name: str, changes: dict[str, Any]) -> tuple[Row, dict[str, Any]]:
    """Change e-mail, team or territory ("" clears); unknown user is exit 3."""
    _given("NAME", name)
    current = repo.user_row(repo.user_spelling(name.strip()))
    if current is None:
        raise NotFound(f'no user named "{name}"', hint="see `salescli user list`")
    merged = {"name": current["name"], **{k: current[k] for k in FIELDS}, **changes}
    model = validate(UserData, merged)
    values = {k: getattr(model, k) for k in FIELDS if k in changes}
    with repo.write():
        if values.get("email") and values["email"].casefold() != (current["email"] or "").casefold():
            _email_free(repo, values["email"], current["id"])  # (its own, kept: not asked again)
        if values.get("team"):
            values["team"] = _team_spelling(repo, values["team"])
        changed = repo.change_record("users", "user", current["id"], values)
        if "team" in changed and current["team"] and repo.closed_deal_count(current["name"]):
            # a team is not dated: the closed periods' team figures move with the user
            repo.notices.append(f"note: reports by team now count {current['name']}'s deals, activities and targets"
                                f" under {values['team'] or '(no team)'}, not {current['team']}, closed periods"
                                " included")
    row = repo.user_row(current["name"])
    assert row is not None
    return row, changed


def user_view(row: Row) -> dict[str, Any]:
    return {k: row.get(k) for k in ("id", "name", "email", "team", "territory", "open_deals", "created_at")}


_SINGULAR = {"deals": "deal", "activities": "activity", "tasks": "task", "companies": "company",
             "contacts": "contact", "automations": "automation", "targets": "target"}


@dataclass
class Handover:
    """What `user rm` would do: the user, their heir's name (None: no --to), and what they own."""

    user: Row
    heir: str | None
    owned: dict[str, list[Row]]

    @property
    def counts(self) -> dict[str, int]:
        """deals, activities, tasks, companies, contacts, automations, targets: how many (none left out)."""
        out = {k: len(v) for k, v in self.owned.items() if k != "activities"}
        acts = self.owned["activities"]
        out["activities"] = sum(1 for r in acts if r["kind"] != "task")
        out["tasks"] = len(acts) - out["activities"]
        order = ("deals", "activities", "tasks", "companies", "contacts", "automations", "targets")
        return {k: out[k] for k in order if out.get(k)}

    def text(self) -> str:
        """'3 deals, 1 task and 2 targets'"""
        parts = [f"{n} {_SINGULAR[k] if n == 1 else k}" for k, n in self.counts.items()]
        return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def plan_removal(repo: Repository, name: str, heir: str | None) -> Handover:
    """Check a `user rm` before anything is asked or written: the user exists and is not the one acting, the
    heir exists, and what they own can go to the heir (or, without one, that they own nothing)."""
    for option, text in (("NAME", name), ("--to", heir)):
        _given(option, text)
    user = repo.user_row(repo.user_spelling(name.strip()))
    if user is None:
        raise NotFound(f'no user named "{name}"', hint="see `salescli user list`")
    if repo.user is not None and user["name"].lower() == repo.user.lower():
        raise RuleError(f"user {user['name']} is the one acting (--user / SALESCLI_USER / the login): they would"
                        " come back with the next change",
                        hint="run it as someone else: salescli --user NAME user rm …")
    to = None
    if heir is not None:
        found = repo.user_row(repo.user_spelling(heir.strip()))
        if found is None:
            raise NotFound(f'--to "{heir}": no user named so', hint=f"add them first: salescli user add {heir}")
        if found["id"] == user["id"]:
            raise RuleError(f"--to {heir} is the user being removed")
        to = found["name"]
    owned = repo.owned_by(user["name"])
    plan = Handover(user, to, owned)
    if to is None and plan.counts:
        raise RuleError(f"user {user['name']} owns {plan.text()}",
                        hint=f"hand them to someone: salescli user rm {user['name']} --to NAME")
    for target in owned["targets"]:
        held = repo.target_like("owner", to or "", target["period_start"], target["period_end"], target["metric"])
        if held is not None and held["currency"] != target["currency"]:
            raise RuleError(f"{to}'s {target['metric']} target for {target['period_label']} is in {held['currency']},"
                            f" {user['name']}'s in {target['currency']}: they cannot be added up",
                            hint=f"remove one first: salescli target rm {target['id']}")
    return plan


def remove_user(repo: Repository, name: str, heir: str | None = None) -> Handover:
    """Delete a user (a typo'd name, someone who left). What they own goes to `heir`, each change logged: a
    target the heir has for the same period and metric grows by theirs, an automation the heir has the same of
    goes (both said); without an heir, a user who owns anything is refused (exit 1) with the counts."""
    with repo.write():
        plan = plan_removal(repo, name, heir)
        user, to = plan.user, plan.heir
        for table, column, entity in repo.OWNED:
            if table != "automations":
                repo.hand_over(table, column, entity, user["name"], to)
                continue
            for row in plan.owned[table]:
                if repo.has_same_automation(row, to):
                    repo.delete_record("automations", "automation", row["id"])
                    repo.notices.append(f"automation {row['id']} of {user['name']} removed: {to} has the same one")
                    continue
                repo.change_record(table, "automation", row["id"], {column: to})
        for target in plan.owned["targets"]:
            held = repo.target_like("owner", to or "", target["period_start"], target["period_end"], target["metric"])
            if held is None:
                nested = [t for t in repo.targets_overlapping(target["period_start"], target["period_end"],
                                                             target["metric"])
                          if t["scope"] == "owner" and t["name"] == to]
                repo.change_record("targets", "target", target["id"], {"name": to})
                if nested:  # 2026-11 beside the heir's 2026-Q4: a month's figures read the month's target alone
                    repo.notices.append(
                        f"note: {to} now has {user['name']}'s {target['metric']} target for {target['period_label']}"
                        f" beside their own for {nested[0]['period_label']}: a period reads the target set for it"
                        f" (not the two added); set the total with `salescli target set {shlex.quote(str(to))}"
                        f" {target['period_label']} ...`")
                continue
            # the heir has a target of that period and metric (in the same currency): it grows by the leaver's
            total = int(held["value"]) + int(target["value"])
            repo.change_record("targets", "target", held["id"], {"value": total})
            repo.delete_record("targets", "target", target["id"])
            repo.notices.append(f"{to}'s {target['metric']} target for {target['period_label']} is now"
                                f" {_target_value(total, target)} ({_target_value(int(held['value']), target)} +"
                                f" {user['name']}'s {_target_value(int(target['value']), target)})")
        repo.delete_record("users", "user", user["id"], {"handed_to": to} if to else None)  # (imports follow it)
    return plan


def _target_value(value: int, target: Row) -> str:
    from salescli.values import format_money

    return format_money(value, target["currency"]) if target["currency"] else f"{value:,}"
