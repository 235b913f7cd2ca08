"""salescli task add|list|show|done|reopen|edit|rm"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from salescli.commands.activity import (
    CompanyOpt,
    ContactOpt,
    DealOpt,
    NotesOpt,
    about,
    changed_text,
    emit,
    read_notes,
    remove_record,
    show_record,
    subject_line,
)
from salescli.commands.options import (
    FormatOpt,
    LimitOpt,
    OutputOpt,
    YesOpt,
    app_context,
    flush_notices,
    say,
    typed_date,
)

app = typer.Typer(help="Follow-up tasks: add, list, show, done, reopen, edit, rm.", no_args_is_help=True)

DueOpt = Annotated[str | None, typer.Option("--due", help="Due date: 2026-12-05, friday, +3d (default: today).")]


def list_columns(*, owner: bool = True) -> list[Any]:
    """The task list's columns; owner=False: the owner only in json/csv (a table of one person's tasks)."""
    from salescli.render import Column

    return [
        Column("id", justify="right"),
        Column("due_date", "due"),
        Column("state", comfortable=15),  # ("done 2026-11-18" whole: a lesser column goes first)
        Column("subject", show=lambda v, r: subject_line(r)),
        Column("days_overdue", in_table=False),
        Column("status", in_table=False),
        Column("done_at", in_table=False),
        Column("outcome", in_table=False),
        Column("notes", in_table=False),
        Column("deal_id", in_table=False),
        Column("deal", "about", show=lambda v, r: about(r)),
        Column("contact_id", in_table=False),
        Column("contact", in_table=False),
        Column("company_id", in_table=False),
        Column("company", in_table=False),
        Column("owner", in_table=owner, drop=1),
        Column("automation_id", in_table=False),
        Column("occurred_at", "created", in_table=False),
        Column("external_id", in_table=False),
        Column("created_at", in_table=False),
        Column("updated_at", in_table=False),
    ]


@app.command("add")
def add(
    ctx: typer.Context,
    subject: Annotated[str, typer.Argument(help="What to do.")],
    due: DueOpt = None,
    deal: DealOpt = None,
    contact: ContactOpt = None,
    company: CompanyOpt = None,
    notes: NotesOpt = None,
    owner: Annotated[str | None, typer.Option("--owner", help="Who should do it (default: you).")] = None,
    fmt: FormatOpt = None,
    output: OutputOpt = None,
) -> None:
    """Add a follow-up task; prints its id.

    \b
    Example: salescli task add "Send the contract" --due friday --deal 12
    """
    from salescli.render import pick_format
    from salescli.services.activities import LinkRefs, add_task

    app = app_context(ctx)
    pick_format(fmt, output)
    day = typed_date(app, due, "--due") if due is not None else app.today
    row = add_task(app.repo(create=True), subject=subject, due=day, today=app.today,
                   refs=LinkRefs(deal, contact, company), notes=read_notes(notes), owner=owner or app.user)
    flush_notices(app)
    say(f"added task {row['id']} due {row['due_date']}")
    _past_due(row, app.today)
    emit(row, fmt, output)


def _past_due(row: Any, today: Any) -> None:
    """An open task given a due date already past (-1d, 13/01 typed in November): say so, as `deal add` does of
    a close date; it is overdue from the start."""
    due = str(row["due_date"] or "")[:10]
    if not row["done_at"] and due and due < today.isoformat():
        say(f"note: task {row['id']}'s due date {due} is in the past: the task counts as overdue until it is"
            f" done or given a later date (salescli task edit {row['id']} --due DATE)")


@app.command("list")
def list_(
    ctx: typer.Context,
    overdue: Annotated[bool, typer.Option("--overdue", help="Due before today.")] = False,
    today: Annotated[
        bool, typer.Option("--today", help="Due today (the global --today before the command pins the date).")
    ] = False,
    week: Annotated[bool, typer.Option("--week", help="Due this week (week_start setting).")] = False,
    owner: Annotated[str | None, typer.Option("--owner", help="This person's tasks instead of yours.")] = None,
    everyone: Annotated[bool, typer.Option("--everyone", help="Every owner's open tasks.")] = False,
    everything: Annotated[
        bool, typer.Option("--all", help="Done tasks too, and everyone's unless --owner (tables: 100 rows, --limit N).")
    ] = False,
    limit: LimitOpt = None,
    fmt: FormatOpt = None,
    output: OutputOpt = None,
) -> None:
    """List tasks by due date: your open ones unless --owner, --everyone or --all.

    --overdue, --today and --week combine (--overdue --today: everything due by today).

    \b
    Examples:
      salescli task list --overdue --today
      salescli task list --everyone --overdue -f json
    """
    from salescli.commands.options import table_rows
    from salescli.render import pick_format, render_rows
    from salescli.services.activities import (
        as_they_stood,
        empty_task_list_hint,
        task_list_owner,
        task_list_query,
        task_view,
    )

    if everyone and owner:
        from salescli.errors import UsageError

        raise UsageError("--everyone and --owner exclude each other")
    app = app_context(ctx)
    chosen = pick_format(fmt, output)
    windows = [name for name, on in (("overdue", overdue), ("today", today), ("week", week)) if on]
    repo = app.repo()
    as_stood = as_they_stood(repo, app.today, everything)
    query = task_list_query(repo, app.today, windows=windows, owner=owner, acting_user=app.user,
                            everything=everything, everyone=everyone, as_stood=as_stood)
    sql_limit, shown = table_rows(limit, False)
    total = repo.count(query) if chosen == "table" and limit is None else None
    rows = repo.fetch_activities(query, sql_limit if sql_limit is not None else shown if chosen == "table" else None)
    views: Any = (task_view(r, app.today, as_stood) for r in rows)
    # an owner column that says the same name on every row (yours, or the --owner asked for) takes the room
    # the subject needs: a table leaves it out (json and csv keep it)
    show_owner = task_list_owner(owner, app.user, everything=everything, everyone=everyone) is None
    if show_owner and chosen == "table":  # (at most a table's rows: --everyone when all of them are yours)
        views = list(views)
        me = repo.user_spelling(app.user)
        show_owner = any(v["owner"] != me for v in views)
    whose = task_list_owner(owner, app.user, everything=everything, everyone=everyone)
    written = render_rows(views, list_columns(owner=show_owner), fmt=chosen, output=output,
                          table_limit=shown, total=total, empty="no tasks" if whose is None else f"no tasks of {whose}")
    if not written and whose is not None and chosen == "table":
        hint = empty_task_list_hint(repo, whose)
        if hint:
            from salescli.render import note

            note(hint)


@app.command("show")
def show(
    ctx: typer.Context,
    ref: Annotated[str, typer.Argument(metavar="TASK", help="Task id, or (a part of) a task's subject.")],
    fmt: FormatOpt = None,
    output: OutputOpt = None,
) -> None:
    """Show a task.

    \b
    Example: salescli task show 21
    """
    show_record(ctx, ref, fmt, output, task=True)


@app.command("done")
def done(
    ctx: typer.Context,
    refs: Annotated[list[str], typer.Argument(
        metavar="TASK", help="Task id, or (a part of) an open task's subject; several: all done, or none (-f json:"
        " the task list's rows of them).")],
    outcome: Annotated[str | None, typer.Option("--outcome", help="What came of it.")] = None,
    when: Annotated[str | None, typer.Option("--date", help="When it was done (default: today).")] = None,
    fmt: FormatOpt = None,
    output: OutputOpt = None,
) -> None:
    """Mark tasks done (each counts as activity on its deal, contact and company).

    \b
    Example: salescli task done "order form" --outcome "form sent"
    Example: salescli task done 20 21
    """
    from salescli.render import pick_format, render_rows
    from salescli.services.activities import complete_task, resolve_task_ref

    app = app_context(ctx)
    chosen = pick_format(fmt, output)
    day = typed_date(app, when, "--date", past=True) if when is not None else app.today
    repo = app.repo()
    with repo.write():  # one transaction: a task that cannot be done leaves the others open too
        ids = list(dict.fromkeys(resolve_task_ref(repo, ref) for ref in refs))
        rows = [complete_task(repo, task_id, day, app.today, outcome) for task_id in ids]
    for row in rows:
        say(f"done: task {row['id']} \"{row['subject']}\" ({row['done_at']})")
    if len(rows) == 1 or (chosen == "table" and not output):
        for row in rows:
            emit(row, fmt, output)
    else:  # several: the rows `task list` would show of them
        from salescli.services.activities import task_view

        render_rows([task_view(r, app.today) for r in rows], list_columns(), fmt=chosen, output=output,
                    table_limit=None)


@app.command("reopen")
def reopen(
    ctx: typer.Context,
    ref: Annotated[str, typer.Argument(metavar="TASK", help="Task id, or (a part of) a done task's subject.")],
    fmt: FormatOpt = None,
    output: OutputOpt = None,
) -> None:
    """Open a done task again (done by mistake): a next step again, not an activity, without its outcome.

    \b
    Example: salescli task reopen 23
    """
    from salescli.render import pick_format
    from salescli.services.activities import reopen_task, resolve_task_ref

    app = app_context(ctx)
    pick_format(fmt, output)
    repo = app.repo()
    row = reopen_task(repo, resolve_task_ref(repo, ref, done=True))
    say(f"reopened: task {row['id']} \"{row['subject']}\" (" + (f"due {row['due_date']})" if row["due_date"] else
                                                              "no due date)"))
    emit(row, fmt, output)


@app.command("edit")
def edit(
    ctx: typer.Context,
    ref: Annotated[str, typer.Argument(metavar="TASK", help="Task id, or (a part of) a task's subject.")],
    subject: Annotated[str | None, typer.Option("--subject", help="New subject.")] = None,
    due: Annotated[str | None, typer.Option("--due", help="New due date.")] = None,
    deal: Annotated[str | None, typer.Option("--deal", help='Deal id ("" unlinks).')] = None,
    contact: Annotated[str | None, typer.Option("--contact", help='Contact ("" unlinks).')] = None,
    company: Annotated[str | None, typer.Option("--company", help='Company ("" unlinks).')] = None,
    notes: NotesOpt = None,
    owner: Annotated[str | None, typer.Option("--owner", help="Who should do it.")] = None,
    fmt: FormatOpt = None,
    output: OutputOpt = None,
) -> None:
    """Change a task: subject, due date, owner, notes, links.

    \b
    Example: salescli task edit 21 --due +2d --owner sam
    """
    from salescli.render import pick_format
    from salescli.services.activities import LinkRefs, edit_activity, resolve_any_task

    app = app_context(ctx)
    pick_format(fmt, output)
    task_id = resolve_any_task(app.repo(), ref)
    changes: dict[str, Any] = {k: v for k, v in {
        "subject": subject, "notes": read_notes(notes), "owner": owner,
        "due": typed_date(app, due, "--due") if due is not None else None,
    }.items() if v is not None}
    row, changed = edit_activity(app.repo(), task_id, changes, LinkRefs(deal, contact, company), app.today,
                                 task=True)
    flush_notices(app)
    say(f"updated task {row['id']}: {changed_text(row, changed)}" if changed else f"task {row['id']}: nothing changed")
    if "due_date" in changed:
        _past_due(row, app.today)
    emit(row, fmt, output)


@app.command("rm")
def rm(
    ctx: typer.Context,
    ref: Annotated[str, typer.Argument(metavar="TASK", help="Task id, or (a part of) a task's subject.")],
    yes: YesOpt = False,
) -> None:
    """Delete a task. Asks first; --yes in scripts.

    \b
    Example: salescli task rm 21 --yes
    """
    remove_record(ctx, ref, yes, task=True)
