"""Automations: the standard follow-ups of a sales process, created when a deal event happens.

A rule says: on an event (a deal created, won, lost, or entering a named stage) create a task
"SUBJECT" due N days later for the deal's owner (or a named user). Deal commands call fire()
inside their own transaction, so a failed command creates no task.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from salescli.errors import InvalidValue, NotFound, RuleError

if TYPE_CHECKING:
    from salescli.repository import Repository
    from salescli.repository.base import Row

EVENTS = ("created", "won", "lost")
DEAL_OWNER = "deal-owner"
MAX_DUE_DAYS = 3650
_DUE_RE = re.compile(r"\+?\s*([0-9]{1,5})\s*(d|day|days|w|week|weeks)?")


def fire(repo: Repository, deal: Row, event: str, today: date, stage_name: str | None = None, *,
         not_before: date | None = None) -> list[int]:
    """Create the tasks that automations attach to this deal event, inside the caller's transaction; today is
    the day of the event (a deal won with --date: that day), which the due dates count from, but never
    before not_before (the real today: a deal backdated two months gets its "qualify in 2 days" task due
    today, not overdue from the start).

    event is 'created', 'won', 'lost' or 'stage' (with stage_name). Returns the new task ids and
    leaves a notice for each on repo.notices.
    """
    created: list[int] = []
    with repo.write():
        for rule in repo.automations_for(event, stage_name):
            still_open = repo.open_automation_tasks(deal["id"], automation_id=rule["id"])
            if still_open:  # a deal won, reopened and won again: one follow-up, not two
                repo.notices.append(f'task {still_open[0]["id"]} "{rule["task_subject"]}" from automation'
                                    f' {rule["id"]} is still open for deal {deal["id"]}; no second task')
                continue
            owner = deal.get("owner") if rule["owner_rule"] == DEAL_OWNER else rule["owner_rule"]
            owner = owner or repo.user  # a deal without an owner: whoever moved it follows up
            due = today + timedelta(days=int(rule["due_days"]))
            passed = None  # the due date the delay gave, when it was already past
            if not_before is not None and due < not_before:
                passed, due = due, not_before
            now = repo.now()
            task_id = repo.create_record(
                "activities",
                "task",
                {
                    "kind": "task",
                    "subject": rule["task_subject"],
                    "deal_id": deal["id"],
                    "contact_id": deal.get("contact_id"),
                    "company_id": deal.get("company_id"),
                    "owner": owner,
                    "occurred_at": today.isoformat(),
                    "due_date": due.isoformat(),
                    "automation_id": rule["id"],
                    "created_at": now,
                    "updated_at": now,
                },
            )
            repo.ensure_user(owner, announce=True)
            created.append(task_id)
            repo.notices.append(
                f'created task {task_id} "{rule["task_subject"]}" due {due.isoformat()} (automation {rule["id"]}'
                + (f"; its +{rule['due_days']}d, {passed.isoformat()}, was already past)" if passed else ")")
            )
    return created


def event_label(rule: Row) -> str:
    """How --on spells the rule's event: won, lost, created, stage:NAME."""
    return f"stage:{rule['stage_name']}" if rule["event"] == "stage" else str(rule["event"])


def parse_event(repo: Repository, text: str) -> tuple[str, str | None]:
    """--on: won, lost, created or stage:NAME (a stage of some pipeline, any case)."""
    raw = text.strip()
    low = raw.lower()
    if low in EVENTS:
        return low, None
    if low.startswith("stage:"):
        name = raw[len("stage:"):].strip()
        if not name:
            raise InvalidValue("--on", text, "names no stage (example: stage:Proposal)")
        spelt = repo.stage_names_like(name)
        if not spelt:
            raise NotFound(f'--on: stage "{name}" not found in any pipeline',
                           hint="list stages with `salescli pipeline show`")
        return "stage", spelt[0]
    raise InvalidValue("--on", text, "is not one of won, lost, created, stage:NAME")


def parse_due_days(text: str) -> int:
    """--due: +Nd or +Nw after the event (+0d: the same day)."""
    m = _DUE_RE.fullmatch(text.strip().lower())
    if not m:
        raise InvalidValue("--due", text, "is not a delay after the event (examples: +7d, +2w, +0d)")
    days = int(m.group(1)) * (7 if (m.group(2) or "d").startswith("w") else 1)
    if days > MAX_DUE_DAYS:
        raise InvalidValue("--due", text, f"is too far after the event (at most {MAX_DUE_DAYS} days)")
    return days


def add_automation(repo: Repository, on: str, subject: str, due: str, owner: str | None) -> Row:
    """A new rule; the task subject and owner are checked like a task's."""
    from salescli.models import validate
    from salescli.services.activities import ActivityData

    days = parse_due_days(due)
    rule_owner = (owner or DEAL_OWNER).strip()
    data = validate(ActivityData, {"kind": "task", "subject": subject,
                                   "owner": None if rule_owner.lower() == DEAL_OWNER else rule_owner},
                    names={"subject": "--task"})
    with repo.write():
        event, stage = parse_event(repo, on)
        rule = {"id": 0, "event": event, "stage_name": stage, "task_subject": data.subject, "due_days": days,
                "owner_rule": repo.user_spelling(data.owner) if data.owner else DEAL_OWNER}
        same = repo.same_automation(rule, rule["owner_rule"])
        if same is not None:  # (each would make its own copy of the task)
            raise RuleError(f"automation {same} does this already", hint="see `salescli automation list`")
        if data.owner is not None:
            repo.ensure_user(data.owner, announce=True)
        rule.pop("id")
        new_id = repo.create_record("automations", "automation", {**rule, "created_at": repo.now()})
    return get_automation(repo, new_id)


def get_automation(repo: Repository, automation_id: int) -> Row:
    row = repo.automation(automation_id)
    if row is None:
        raise NotFound(f"automation {automation_id} not found", hint="list them with `salescli automation list`")
    return row


def remove_automation(repo: Repository, automation_id: int) -> Row:
    """Delete a rule; tasks it already created stay."""
    with repo.write():
        row = get_automation(repo, automation_id)
        repo.delete_record("automations", "automation", automation_id)
    return row


def automation_view(row: Row) -> dict[str, Any]:
    return {
        "id": row["id"],
        "on": event_label(row),
        "event": row["event"],
        "stage": row.get("stage_name"),
        "task": row["task_subject"],
        "due_days": row["due_days"],
        "due": f"+{row['due_days']}d",
        "owner": row["owner_rule"],
        "tasks_created": row.get("tasks_created"),
        "created_at": row.get("created_at"),
    }
