"""salescli activity log|list|show|edit|rm"""

from __future__ import annotations

import sys
from typing import Annotated, Any

import typer

from salescli.commands.options import (
    AllOpt,
    FormatOpt,
    LimitOpt,
    OutputOpt,
    YesOpt,
    app_context,
    changed_fields,
    confirm,
    flush_notices,
    say,
    table_rows,
    typed_date,
)

app = typer.Typer(help="Activities (calls, e-mails, meetings, notes): log, list, show, edit, rm.",
                  no_args_is_help=True)

DealOpt = Annotated[str | None, typer.Option("--deal", help="Deal id (brings its contact and company).")]
ContactOpt = Annotated[
    str | None, typer.Option("--contact", help="Contact id, e-mail or name (brings their company).")
]
CompanyOpt = Annotated[str | None, typer.Option("--company", help="Company id, domain or name.")]
NotesOpt = Annotated[str | None, typer.Option("--notes", help='Free text; "-" reads it from stdin.')]
OutcomeOpt = Annotated[
    str | None, typer.Option("--outcome", help="What came of it (left a message, agreed a demo...).")
]
OwnerOpt = Annotated[str | None, typer.Option("--owner", help="Who did it (default: you).")]
DateOpt = Annotated[
    str | None, typer.Option("--date", help="When it happened (default: today): 2026-11-20, yesterday, -3d.")
]
EditDateOpt = Annotated[str | None, typer.Option("--date", help="When it happened: 2026-11-20, yesterday, -3d.")]


def read_notes(notes: str | None) -> str | None:
    """--notes - reads stdin (a pipe or a here-document; typed at a terminal, after a hint: it would wait
    silently)."""
    if notes == "-":
        if sys.stdin.isatty():
            say("reading notes from stdin; end with Ctrl-D")
        return sys.stdin.read()
    return notes


def changed_text(row: dict[str, Any], changed: dict[str, Any]) -> str:
    """`activity edit` and `task edit`: what changed, as the options name it ("due 2026-12-04", "date
    2026-11-20", "deal Acme renewal", "company cleared", "notes")."""
    names = {"occurred_at": "date", "due_date": "due", "deal_id": "deal", "contact_id": "contact",
             "company_id": "company"}
    valued = {"owner", "occurred_at", "due_date", "deal_id", "contact_id", "company_id"}  # (the kind: in the message)
    return ", ".join(changed_fields({**row, "notes": row.get("body")}, changed, names, valued))  # (notes: the body)


def about(row: dict[str, Any]) -> str:
    from salescli.services.activities import about as about_text

    return about_text(row)


def subject_line(row: dict[str, Any]) -> str:
    return str(row["subject"]) + (f" → {row['outcome']}" if row.get("outcome") else "")


def list_columns() -> list[Any]:
    from salescli.render import Column

    return [
        Column("id", justify="right"),
        Column("occurred_at", "date", show=lambda v, r: str(v or "")[:10]),
        Column("kind"),
        Column("subject", show=lambda v, r: subject_line(r)),
        Column("outcome", in_table=False),
        Column("due_date", in_table=False),
        Column("done_at", in_table=False),
        Column("status", in_table=False),
        Column("notes", in_table=False),
        Column("deal_id", in_table=False),
        Column("deal", "about", show=lambda v, r: about(r)),
        Column("contact_id", in_table=False),
        Column("contact", in_table=False),
        Column("company_id", in_table=False),
        Column("company", in_table=False),
        Column("owner", drop=1),
        Column("automation_id", in_table=False),
        Column("external_id", in_table=False),
        Column("created_at", in_table=False),
        Column("updated_at", in_table=False),
    ]


def emit(row: Any, fmt: str | None, output: str | None) -> None:
    """What add/log/edit print: the id, or the record with -f/-o."""
    from salescli.render import pick_format, render_record
    from salescli.services.activities import activity_view

    chosen = pick_format(fmt, output)
    if chosen == "table" and not output:
        typer.echo(row["id"])
    else:
        render_record(activity_view(row), fmt=chosen, output=output)


def show_record(ctx: typer.Context, ref: str, fmt: str | None, output: str | None, task: bool) -> None:
    from salescli.render import pick_format, render_record
    from salescli.services.activities import activity_view, get_activity, get_task, parse_record_id, resolve_any_task

    chosen = pick_format(fmt, output)
    repo = app_context(ctx).repo()
    row_id = resolve_any_task(repo, ref) if task else parse_record_id(ref, "activity")
    row = get_task(repo, row_id) if task else get_activity(repo, row_id)
    title = f"Task {row['id']}" if row["kind"] == "task" else f"Activity {row['id']}"
    render_record(activity_view(row), fmt=chosen, output=output, title=title)


def remove_record(ctx: typer.Context, ref: str, yes: bool, task: bool) -> None:
    from salescli.services.activities import (
        get_activity,
        get_task,
        parse_record_id,
        remove_activity,
        resolve_any_task,
    )

    repo = app_context(ctx).repo()
    row_id = resolve_any_task(repo, ref) if task else parse_record_id(ref, "activity")
    row = get_task(repo, row_id) if task else get_activity(repo, row_id)
    what = "task" if row["kind"] == "task" else row["kind"]
    confirm(f'Delete {what} {row["id"]} "{row["subject"]}"?', yes)
    remove_activity(repo, row)
    say(f"deleted {what} {row['id']}")


@app.command("log")
def log(
    ctx: typer.Context,
    kind: Annotated[str, typer.Argument(help="call, email, meeting or note.")],
    subject: Annotated[str, typer.Argument(help="What it was about.")],
    deal: DealOpt = None,
    contact: ContactOpt = None,
    company: CompanyOpt = None,
    when: DateOpt = None,
    notes: NotesOpt = None,
    outcome: OutcomeOpt = None,
    owner: OwnerOpt = None,
    fmt: FormatOpt = None,
    output: OutputOpt = None,
) -> None:
    """Log a call, e-mail, meeting or note; prints its id. Moves the linked records' last activity.

    \b
    Example:
      salescli activity log call Pricing --contact ana.silva@acme-robotics.io
    """
    from salescli.render import pick_format
    from salescli.services.activities import LinkRefs, log_activity, parse_kind

    app = app_context(ctx)
    pick_format(fmt, output)
    kind = parse_kind(kind)
    day = typed_date(app, when, "--date", past=True) if when is not None else app.today
    row = log_activity(app.repo(create=True), kind=kind, subject=subject, day=day, today=app.today,
                       refs=LinkRefs(deal, contact, company), notes=read_notes(notes), outcome=outcome,
                       owner=owner or app.user)
    flush_notices(app)
    say(f"logged {row['kind']} {row['id']}")
    emit(row, fmt, output)


@app.command("list")
def list_(
    ctx: typer.Context,
    deal: Annotated[str | None, typer.Option("--deal", help="Only this deal's.")] = None,
    contact: Annotated[str | None, typer.Option("--contact", help="Only this contact's.")] = None,
    company: Annotated[str | None, typer.Option("--company", help="Only this company's.")] = None,
    kind: Annotated[
        str | None,
        typer.Option("--kind", help="call, email, meeting, note or task (done ones: open tasks are in `task list`)."),
    ] = None,
    owner: Annotated[str | None, typer.Option("--owner", help="Only this person's.")] = None,
    since: Annotated[
        str | None, typer.Option("--since", help="From the start of a period or a date: this-month, 2026-Q4, -7d.")
    ] = None,
    limit: LimitOpt = None,
    show_all: AllOpt = False,
    fmt: FormatOpt = None,
    output: OutputOpt = None,
) -> None:
    """List activities, newest first (done tasks included; open ones are in `task list`).

    \b
    Example: salescli activity list --company 1 --since this-quarter -o acme.csv
    """
    from salescli.render import pick_format, render_rows
    from salescli.services.activities import activity_view, empty_activity_list_text, list_query, parse_kind

    app = app_context(ctx)
    chosen = pick_format(fmt, output)
    kind = parse_kind(kind, allow_task=True, option="--kind") if kind is not None else None
    repo = app.repo()
    query = list_query(repo, app.today, deal=deal, contact=contact, company=company, kind=kind, owner=owner,
                       since=since, day_first=app.day_first())
    sql_limit, shown = table_rows(limit, show_all)
    total = repo.count(query) if chosen == "table" and limit is None else None
    rows = repo.fetch_activities(query, sql_limit if sql_limit is not None else shown if chosen == "table" else None)
    empty = "no activities"
    if total == 0 and kind in (None, "task") and not any((deal, contact, company, owner, since)):
        empty = empty_activity_list_text(repo)
    render_rows((activity_view(r) for r in rows), list_columns(), fmt=chosen, output=output, table_limit=shown,
                total=total, empty=empty)


@app.command("show")
def show(
    ctx: typer.Context,
    ref: Annotated[str, typer.Argument(metavar="ID", help="Activity (or task) id.")],
    fmt: FormatOpt = None,
    output: OutputOpt = None,
) -> None:
    """Show an activity with its notes and links.

    \b
    Example: salescli activity show 4
    """
    show_record(ctx, ref, fmt, output, task=False)


@app.command("edit")
def edit(
    ctx: typer.Context,
    ref: Annotated[str, typer.Argument(metavar="ID", help="Activity id.")],
    kind: Annotated[str | None, typer.Option("--kind", help="call, email, meeting or note.")] = None,
    subject: Annotated[str | None, typer.Option("--subject", help="New subject.")] = None,
    deal: Annotated[str | None, typer.Option("--deal", help='Deal id ("" unlinks).')] = None,
    contact: Annotated[str | None, typer.Option("--contact", help='Contact ("" unlinks).')] = None,
    company: Annotated[str | None, typer.Option("--company", help='Company ("" unlinks).')] = None,
    when: EditDateOpt = None,
    notes: NotesOpt = None,
    outcome: OutcomeOpt = None,
    owner: Annotated[str | None, typer.Option("--owner", help="Who did it.")] = None,
    fmt: FormatOpt = None,
    output: OutputOpt = None,
) -> None:
    """Change an activity (an empty value clears notes or outcome: --outcome "").

    \b
    Example: salescli activity edit 13 --date yesterday --outcome "demo booked"
    """
    from salescli.render import pick_format
    from salescli.services.activities import LinkRefs, edit_activity, parse_kind, parse_record_id

    app = app_context(ctx)
    pick_format(fmt, output)
    row_id = parse_record_id(ref, "activity")
    changes: dict[str, Any] = {k: v for k, v in {
        "kind": parse_kind(kind, option="--kind") if kind is not None else None,
        "subject": subject, "notes": read_notes(notes), "outcome": outcome, "owner": owner,
        "day": typed_date(app, when, "--date", past=True) if when is not None else None,
    }.items() if v is not None}
    row, changed = edit_activity(app.repo(), row_id, changes, LinkRefs(deal, contact, company), app.today)
    flush_notices(app)
    say(f"updated {row['kind']} {row['id']}: {changed_text(row, changed)}" if changed
        else f"{row['kind']} {row['id']}: nothing changed")
    emit(row, fmt, output)


@app.command("rm")
def rm(
    ctx: typer.Context,
    ref: Annotated[str, typer.Argument(metavar="ID", help="Activity id.")],
    yes: YesOpt = False,
) -> None:
    """Delete an activity. Asks first; --yes in scripts.

    \b
    Example: salescli activity rm 19 --yes
    """
    remove_record(ctx, ref, yes, task=False)
