"""Activities and follow-up tasks: logging, links, completion, and the last-activity dates they move.

An activity (call, email, meeting, note) is something that happened on a date; a task is an
activities row of kind 'task' with a due date, and counts as activity once it is done (on its
done date). Links are completed automatically: a deal brings its contact and company, a contact
brings its company, unless given explicitly.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field

from salescli.errors import InvalidValue, NotFound, RuleError
from salescli.models import Record, validate
from salescli.services.config import period_settings
from salescli.services.refs import known_user, parse_id, resolve_company, resolve_contact

if TYPE_CHECKING:
    from salescli.repository import Repository
    from salescli.repository.base import Query, Row

ACTIVITY_KINDS = ("call", "email", "meeting", "note")
ALL_KINDS = (*ACTIVITY_KINDS, "task")
MAX_NOTES = 100_000


class ActivityData(Record):
    kind: Literal["call", "email", "meeting", "note", "task"]
    subject: str = Field(min_length=1, max_length=500)
    notes: str | None = Field(default=None, max_length=MAX_NOTES)
    outcome: str | None = Field(default=None, max_length=1000)
    owner: str | None = Field(default=None, max_length=200)


@dataclass
class LinkRefs:
    """What the person typed for --deal, --contact, --company (None: not given; "": unlink)."""

    deal: str | None = None
    contact: str | None = None
    company: str | None = None

    def given(self) -> bool:
        return self.deal is not None or self.contact is not None or self.company is not None


AS_A_TASK = "plan it as a task: salescli task add SUBJECT --due DATE"  # what to do instead of logging ahead


def parse_kind(text: str, *, allow_task: bool = False, option: str = "KIND") -> str:
    """A kind as typed: any case, plural (calls) or spelt e-mail."""
    kind = text.strip().lower().replace("-", "")
    allowed = ALL_KINDS if allow_task else ACTIVITY_KINDS
    if kind not in allowed and kind.endswith("s") and kind[:-1] in allowed:
        kind = kind[:-1]
    if kind not in allowed:
        err = InvalidValue(option, text, f"is not one of {', '.join(allowed)}")
        if kind in ("task", "tasks", "todo"):
            err.hint = AS_A_TASK
        raise err
    return kind


def parse_record_id(text: str, what: str) -> int:
    """An activity or task id as typed ('12' or '#12'); anything else is a usage error."""
    found = parse_id(text)
    if found is None:
        raise InvalidValue(what.upper(), text, f"is not {'an' if what[0] in 'aeiou' else 'a'} {what} id (a number)")
    return found


def resolve_task_ref(repo: Repository, ref: str, *, done: bool = False) -> int:
    """A task by id ('21', '#21') or by the subject of an open task (done: of a done one), whole (any case), else a
    part of it."""
    from salescli.errors import AmbiguousReference, NotFound

    found = parse_id(ref)
    if found is not None:
        return found
    state = "done" if done else "open"
    if not ref.strip():
        raise InvalidValue("TASK", ref, f"is not a task id or the subject of an {state} task")
    part = len(ref.strip()) >= 3  # (a letter or two is in every other subject: "x" is a mistyped id)
    rows = repo.open_tasks_named(ref.strip(), part=part, done=done)
    listing = "salescli task list --all" if done else "salescli task list"
    if not rows and not part:
        raise NotFound(f'no {state} task named "{ref.strip()}"',
                       hint=f"give its id, or three letters or more of its subject (see `{listing}`)")
    if not rows:
        raise NotFound(f'no {state} task with "{ref.strip()}" in its subject', hint=f"see `{listing}`")
    if len(rows) > 1:
        listed = "; ".join(f"{r['id']} {r['subject']} (" + (f"done {str(r['done_at'])[:10]}" if done else
                                                             f"due {r['due_date']}" if r["due_date"] else "no due date")
                           + f", {r['owner']})" for r in rows[:10])
        raise AmbiguousReference(f'task "{ref.strip()}" is ambiguous: {"more than 10" if len(rows) > 10 else len(rows)}'
                                 f" {state} tasks match ({listed})", hint="use the task id")
    return int(rows[0]["id"])


def resolve_any_task(repo: Repository, ref: str) -> int:
    """A task by id or subject: an open one's, else a done one's (show, edit and rm take either)."""
    from salescli.errors import NotFound

    try:
        return resolve_task_ref(repo, ref)
    except NotFound as not_open:
        try:
            return resolve_task_ref(repo, ref, done=True)
        except NotFound:
            raise not_open from None


def resolve_deal(repo: Repository, ref: str, field: str = "--deal") -> Row:
    """The deal named by id or unique title (the deals module's rules), the option named when unknown."""
    from salescli.services.deals import resolve_deal as find_deal

    return find_deal(repo, ref, field)


def _links(repo: Repository, refs: LinkRefs, current: Row | None = None) -> dict[str, int | None]:
    """Deal, contact and company ids for refs; a deal brings its contact and company, a contact its company.

    On an edit (current given) a link not mentioned keeps its value, unless a changed deal or
    contact brings a new one.
    """
    links: dict[str, int | None] = {
        "deal_id": current.get("deal_id") if current else None,
        "contact_id": current.get("contact_id") if current else None,
        "company_id": current.get("company_id") if current else None,
    }
    deal = contact = None
    if refs.deal is not None:
        deal = resolve_deal(repo, refs.deal) if refs.deal.strip() else None
        links["deal_id"] = deal["id"] if deal else None
    if refs.contact is not None:
        contact = resolve_contact(repo, refs.contact, "--contact") if refs.contact.strip() else None
        links["contact_id"] = contact["id"] if contact else None
    if refs.company is not None:
        company = resolve_company(repo, refs.company, "--company") if refs.company.strip() else None
        links["company_id"] = company["id"] if company else None
    # explicit > the deal's > the contact's; on an edit, a contact or company chosen apart from the old deal's
    # (not the one it brought) stays when only the deal changes
    keep_contact = keep_company = False
    if current is not None and deal is not None:
        old = repo.deal(int(current["deal_id"])) if current.get("deal_id") else None
        keep_contact = current.get("contact_id") is not None and current["contact_id"] != (old or {}).get("contact_id")
        keep_company = current.get("company_id") is not None and current["company_id"] not in (
            (old or {}).get("company_id"), _company_of(repo, (old or {}).get("contact_id")))
    moved = current is not None and deal is not None  # (an edit to another deal: what the old one brought goes)
    brought_company = contact.get("company_id") if contact is not None else None
    if deal is not None:
        if refs.contact is None and not keep_contact and (deal.get("contact_id") is not None or moved):
            links["contact_id"] = deal.get("contact_id")
            if brought_company is None and deal.get("contact_id") is not None:
                brought_company = _company_of(repo, deal["contact_id"])
        if deal.get("company_id") is not None:
            brought_company = deal["company_id"]
    if refs.company is None and not keep_company and (brought_company is not None or moved):
        links["company_id"] = brought_company or _company_of(repo, links["contact_id"])
    if deal is not None and contact is not None and refs.company is None and contact.get("company_id") and (
            deal.get("company_id") and contact["company_id"] != deal["company_id"] == links["company_id"]):
        repo.notices.append(f"note: contact {contact['id']} {contact['name']} is at {contact.get('company')}, not at"
                            f" deal {deal['id']}'s company ({deal.get('company')}), under which this is filed;"
                            " --company files it under another")
    return links


def _company_of(repo: Repository, contact_id: int | None) -> int | None:
    person = repo.contact(int(contact_id)) if contact_id else None
    return person.get("company_id") if person else None


def _owner(repo: Repository, name: str | None) -> str | None:
    if not name:
        return None
    repo.ensure_user(name, announce=True)
    return repo.user_spelling(name)


def _not_in_future(day: date, today: date, option: str) -> None:
    if day > today:
        raise RuleError(
            f'{option} {day.isoformat()} is in the future; an activity records what happened',
            hint=AS_A_TASK,
        )


def _happened_on(row: Row) -> str | None:
    """The date a row counts as activity on its links (None for an open task)."""
    if row["kind"] == "task":
        return str(row["done_at"])[:10] if row.get("done_at") else None
    return str(row["occurred_at"])[:10]


def _get(repo: Repository, row_id: int, task: bool | None) -> Row:
    row = repo.activity(row_id)
    what = "task" if task else "activity"
    if row is None:
        raise NotFound(f"{what} {row_id} not found",
                       hint=f"list them with `salescli {'task' if task else 'activity'} list --all`")
    if task is True and row["kind"] != "task":
        raise NotFound(f"task {row_id} not found ({row_id} is a {row['kind']})",
                       hint=f"see it with `salescli activity show {row_id}`")
    return row


def get_activity(repo: Repository, row_id: int) -> Row:
    return _get(repo, row_id, None)


def get_task(repo: Repository, row_id: int) -> Row:
    return _get(repo, row_id, True)


def log_activity(
    repo: Repository,
    *,
    kind: str,
    subject: str,
    day: date,
    today: date,
    refs: LinkRefs,
    notes: str | None = None,
    outcome: str | None = None,
    owner: str | None = None,
) -> Row:
    """Record a call, e-mail, meeting or note, and move its links' last activity forward."""
    data = validate(ActivityData, {"kind": kind, "subject": subject, "notes": notes, "outcome": outcome,
                                   "owner": owner}, names={"kind": "KIND", "subject": "SUBJECT"})
    if data.kind == "task":
        raise InvalidValue("KIND", kind, "is not one of call, email, meeting, note (add tasks with `task add`)")
    _not_in_future(day, today, "--date")
    with repo.write():
        links = _links(repo, refs)
        now = repo.now()
        new_id = repo.create_record("activities", "activity", {
            "kind": data.kind, "subject": data.subject, "body": data.notes, "outcome": data.outcome,
            **links, "owner": _owner(repo, data.owner), "occurred_at": day.isoformat(),
            "created_at": now, "updated_at": now,
        })
        repo.touch_last_activity(day.isoformat(), links)
    return get_activity(repo, new_id)


def add_task(
    repo: Repository,
    *,
    subject: str,
    due: date,
    today: date,
    refs: LinkRefs,
    notes: str | None = None,
    owner: str | None = None,
) -> Row:
    """A follow-up task; it is activity on its links only once done."""
    data = validate(ActivityData, {"kind": "task", "subject": subject, "notes": notes, "owner": owner},
                    names={"subject": "SUBJECT"})
    with repo.write():
        links = _links(repo, refs)
        now = repo.now()
        new_id = repo.create_record("activities", "task", {
            "kind": "task", "subject": data.subject, "body": data.notes, **links,
            "owner": _owner(repo, data.owner), "occurred_at": today.isoformat(), "due_date": due.isoformat(),
            "created_at": now, "updated_at": now,
        })
    return get_task(repo, new_id)


def complete_task(repo: Repository, task_id: int, day: date, today: date, outcome: str | None = None) -> Row:
    """Mark a task done on day; that counts as activity on its deal, contact and company."""
    _not_in_future(day, today, "--date")
    with repo.write():
        row = get_task(repo, task_id)
        if row["done_at"] is not None:
            raise RuleError(f"task {task_id} is already done ({row['done_at']})",
                            hint=f"open it again: salescli task reopen {task_id}")
        # an open task is dated the day it was added (or its file's day; a reopened one, the day it was opened
        # again); it may be done a little before that or its due day, not months before both: a slip (of the year)
        added, due = str(row["occurred_at"])[:10], str(row["due_date"] or "")[:10]
        earliest = date.fromisoformat(min(added, due or added)) - timedelta(days=31)
        if day < earliest:
            since = f"was added ({added})" + (f" and due ({due})" if due else "")
            raise RuleError(f"--date {day.isoformat()} is months before task {task_id} {since}: a slip?",
                            hint="give the day it was done, e.g. --date yesterday")
        # a done task happened on its done day: activity lists and --since go by occurred_at
        changes: dict[str, Any] = {"done_at": day.isoformat(), "occurred_at": day.isoformat()}
        if outcome is not None:
            changes["outcome"] = validate(ActivityData, {"kind": "task", "subject": row["subject"],
                                                         "outcome": outcome}).outcome
        repo.change_record("activities", "task", task_id, changes, action="done")
        repo.update_row("activities", task_id, {"updated_at": repo.now()})
        repo.touch_last_activity(day.isoformat(), row)
    return get_task(repo, task_id)


def reopen_task(repo: Repository, task_id: int) -> Row:
    """A done task open again (done by mistake, or not really done): no longer activity on its links, dated
    as it was before it was done, without the outcome it was done with (the change log keeps it)."""
    with repo.write():
        row = get_task(repo, task_id)
        if row["done_at"] is None:
            raise RuleError(f"task {task_id} is not done", hint=f"mark it done: salescli task done {task_id}")
        opened_on = repo.task_day_before_done(task_id) or str(row["created_at"])[:10]
        repo.change_record("activities", "task", task_id, {"done_at": None, "occurred_at": opened_on,
                                                           "outcome": None}, action="reopen")
        repo.update_row("activities", task_id, {"updated_at": repo.now()})
        repo.forget_last_activity(str(row["done_at"]), row)
    return get_task(repo, task_id)


def edit_activity(
    repo: Repository,
    row_id: int,
    changes: dict[str, Any],
    refs: LinkRefs,
    today: date,
    *,
    task: bool = False,
) -> tuple[Row, dict[str, Any]]:
    """Change an activity's (or, with task=True, a task's) fields and links.

    changes may hold kind, subject, notes, outcome, owner, day (a date: when it happened) and
    due (a date, tasks only); an empty text clears notes and outcome.
    """
    with repo.write():
        current = _get(repo, row_id, True if task else None)
        is_task = current["kind"] == "task"
        kind = changes.get("kind", current["kind"])
        if kind != current["kind"] and (is_task or kind == "task"):
            raise RuleError(f"activity {row_id} is a {current['kind']}; a task and an activity cannot change "
                            "into each other", hint="log a new one and remove this one")
        data = validate(ActivityData, {
            "kind": kind,
            "subject": changes.get("subject", current["subject"]),
            "notes": changes.get("notes", current["body"]),
            "outcome": changes.get("outcome", current["outcome"]),
            "owner": changes.get("owner", current["owner"]),
        })
        values: dict[str, Any] = {"kind": data.kind, "subject": data.subject, "body": data.notes,
                                  "outcome": data.outcome,
                                  "owner": _owner(repo, data.owner) if "owner" in changes else current["owner"]}
        if "day" in changes:
            if is_task:
                raise RuleError("--date is when an activity happened; a task has --due", hint="use --due")
            _not_in_future(changes["day"], today, "--date")
            values["occurred_at"] = changes["day"].isoformat()
        if "due" in changes:
            if not is_task:
                raise RuleError(f"activity {row_id} is a {current['kind']}, not a task; it has no due date")
            values["due_date"] = changes["due"].isoformat()
        values.update(_links(repo, refs, current))
        changed = repo.change_record("activities", "task" if is_task else "activity", row_id, values)
        if changed:
            repo.update_row("activities", row_id, {"updated_at": repo.now()})
        if changed.keys() & {"occurred_at", "deal_id", "contact_id", "company_id"}:
            after = {**current, **values}
            repo.forget_last_activity(_happened_on(current), current)
            day = _happened_on(after)
            if day is not None:
                repo.touch_last_activity(day, after)
    return _get(repo, row_id, None), {("notes" if k == "body" else k): v for k, v in changed.items()}


def remove_activity(repo: Repository, row: Row) -> None:
    """Delete an activity or task; its links' last activity falls back to the one before."""
    with repo.write():
        repo.delete_record("activities", "task" if row["kind"] == "task" else "activity", row["id"])
        repo.forget_last_activity(_happened_on(row), row)


def since_date(text: str, today: date, settings: dict[str, str], day_first: bool | None) -> date:
    """--since: the start of a period (this-month, 2026-Q4) or a date (2026-11-01, -7d)."""
    import re

    from salescli.values import add_months, month_number, parse_date, parse_period

    try:
        period = parse_period(text, today, *period_settings(settings))
        start = period.start
    except InvalidValue:
        pass
    else:
        if period.days == 1 and start > today:  # `--since "Dec 31"` on Nov 28: the last Dec 31, as a date is
            return parse_date(text, today, day_first, past=True)
        bare = month_number(text) is not None or re.fullmatch(r"\s*[qQ][1-4]\s*", text)
        if bare and start > today:  # `--since march` in a fiscal year from April: the last March, not the next
            return parse_period(text, add_months(today, -12), *period_settings(settings)).start
        return start
    try:
        return parse_date(text, today, day_first, past=True,
                          fiscal_start=int(settings.get("fiscal_year_start_month", 1)))
    except InvalidValue as exc:
        if "ambiguous" in exc.reason or "valid date" in exc.reason:
            raise exc.with_field("--since") from None
        raise InvalidValue("--since", text, "is not a period or a date (examples: this-month, 2026-Q4, 2026-11-01,"
                           " -7d)") from None


def about(row: Row | dict[str, Any]) -> str:
    """What an activity or task is about, in one cell: its deal, else its contact, else its company."""
    if row.get("deal_id") is not None:
        return f"deal {row['deal_id']} {row.get('deal') or ''}".strip()
    return str(row.get("contact") or row.get("company") or "")


def activity_view(row: Row) -> dict[str, Any]:
    """An activity or task as scripts see it (stable keys)."""
    out = {
        "id": row["id"],
        "kind": row["kind"],
        "subject": row["subject"],
        "occurred_at": row["occurred_at"],
        "due_date": row.get("due_date"),
        "done_at": row.get("done_at"),
        "status": ("done" if row.get("done_at") else "open") if row["kind"] == "task" else None,
        "outcome": row.get("outcome"),
        "notes": row.get("body"),
        "deal_id": row.get("deal_id"),
        "deal": row.get("deal"),
        "contact_id": row.get("contact_id"),
        "contact": row.get("contact"),
        "company_id": row.get("company_id"),
        "company": row.get("company"),
        "owner": row.get("owner"),
        "automation_id": row.get("automation_id"),
        "external_id": row.get("external_id"),
        "created_at": row.get("created_at"),
        "updated_at": row.get("updated_at"),
    }
    return out


def list_query(
    repo: Repository,
    today: date,
    *,
    deal: str | None = None,
    contact: str | None = None,
    company: str | None = None,
    kind: str | None = None,
    owner: str | None = None,
    since: str | None = None,
    day_first: bool | None = None,
) -> Query:
    """`activity list`: filters as typed, resolved to ids; newest first."""
    since_iso = since_date(since, today, repo.settings(), day_first).isoformat() if since is not None else None
    return repo.activity_query(
        deal_id=resolve_deal(repo, deal)["id"] if deal is not None else None,
        contact_id=resolve_contact(repo, contact, "--contact")["id"] if contact is not None else None,
        company_id=resolve_company(repo, company, "--company")["id"] if company is not None else None,
        kind=kind,
        owner=known_user(repo, owner) if owner else None,  # (a typo is exit 3, as in every filter; "": none)
        since=since_iso,
    )


TASK_WINDOWS = ("overdue", "today", "week")


def task_list_query(
    repo: Repository,
    today: date,
    *,
    windows: list[str],
    owner: str | None,
    acting_user: str,
    everything: bool,
    everyone: bool = False,
    as_stood: bool = False,
) -> Query:
    """`task list`: open tasks of the acting user by default; --owner picks another person, --everyone
    every owner; --all adds done tasks and, without --owner, everyone's. Windows (overdue, today, week)
    add up. as_stood: the open tasks as they stood on a past today (see as_they_stood)."""
    from salescli.values import parse_period

    spans: list[tuple[str | None, str]] = []
    tomorrow = (today + timedelta(days=1)).isoformat()
    for window in windows:
        if window == "overdue":
            spans.append((None, today.isoformat()))
        elif window == "today":
            spans.append((today.isoformat(), tomorrow))
        else:
            week = parse_period("this-week", today, *period_settings(repo.settings()))
            spans.append((week.start.isoformat(), week.end.isoformat()))
    if owner:
        owner = known_user(repo, owner)
    who = task_list_owner(owner, acting_user, everything=everything, everyone=everyone)
    on = today.isoformat() if as_stood else None
    return repo.task_query(owner=repo.user_spelling(who) if who is not None else None,
                           include_done=everything, due_windows=spans, open_on=on)


def as_they_stood(repo: Repository, today: date, everything: bool) -> bool:
    """Whether `task list` reads the open tasks as they stood on a past --today (an activity is dated after it),
    as `today` lists them; --all lists every task as it is."""
    from salescli.repository.activities import activity_dated_after

    return not everything and activity_dated_after(repo, today.isoformat())


def task_list_owner(owner: str | None, acting_user: str, *, everything: bool, everyone: bool) -> str | None:
    """Whose tasks `task list` shows: --owner's, else the acting user's unless --all or --everyone (None:
    every owner's)."""
    return owner if owner else (None if everything or everyone else acting_user)  # ("": as if not given)


def empty_activity_list_text(repo: Repository) -> str:
    """What an empty, unfiltered `activity list` says: where the open tasks are, when there are some (a CRM's
    to-do list, imported: every task still open)."""
    tasks = repo.open_task_count()
    if not tasks:
        return "no activities"
    return f"no activities done yet; {tasks:,} open task{'s' * (tasks != 1)} in `salescli task list --everyone`"


def empty_task_list_hint(repo: Repository, whose: str) -> str | None:
    """For an empty list of someone's tasks when others have open ones: whose there are to see instead."""
    owners = [r for r in repo.open_task_owners() if r["owner"] != repo.user_spelling(whose)]
    if not owners:
        return None
    listed = ", ".join(f"{r['owner']} ({r['tasks']:,})" for r in owners[:5]) + (", …" if len(owners) > 5 else "")
    return (f"open tasks belong to {listed}: try `salescli task list --everyone` or"
            f" `salescli task list --owner {owners[0]['owner']}`")


def task_view(row: Row, today: date, as_stood: bool = False) -> dict[str, Any]:
    """A task as scripts see it, with days_overdue (0 unless open and past due) and a readable state; as_stood
    (see as_they_stood): one done after the day as it stood then (open)."""
    if as_stood and row.get("done_at") and str(row["done_at"])[:10] > today.isoformat():
        row = {**row, "done_at": None}
    out = activity_view(row)
    due = row.get("due_date")
    late = 0
    if row.get("done_at"):
        state = f"done {row['done_at']}"
    elif due and due[:10] < today.isoformat():
        late = (today - date.fromisoformat(due[:10])).days
        state = f"overdue {late}d"
    elif due and due[:10] == today.isoformat():
        state = "due today"
    else:
        state = "open"
    out["days_overdue"] = late
    out["state"] = state
    return out
