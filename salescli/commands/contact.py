"""salescli contact add|list|show|edit|merge|rm|forget"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from salescli.commands.activity import read_notes
from salescli.commands.options import (
    AllOpt,
    ExtraOpt,
    FormatOpt,
    LimitOpt,
    OutputOpt,
    TagOpt,
    YesOpt,
    app_context,
    changed_fields,
    confirm,
    extra_from,
    flush_notices,
    linked_counts,
    merge_duplicate,
    say,
    sort_key,
    table_rows,
    tags_from,
)

app = typer.Typer(help="Contacts (people): add, list, show, edit, merge, rm, forget.", no_args_is_help=True)

EmailOpt = Annotated[str | None, typer.Option("--email", help="E-mail address, unique.")]
PhoneOpt = Annotated[str | None, typer.Option("--phone", help="Phone number.")]
TitleOpt = Annotated[str | None, typer.Option("--title", help="Job title.")]
CompanyOpt = Annotated[
    str | None, typer.Option("--company", help="Company id, domain or name (created when new).")
]
OwnerOpt = Annotated[str | None, typer.Option("--owner", help="Owner (default: you).")]
StatusOpt = Annotated[str | None, typer.Option("--status", help="lead, prospect, customer or churned.")]
SourceOpt = Annotated[str | None, typer.Option("--source", help="Where the contact came from.")]
NotesOpt = Annotated[str | None, typer.Option("--notes", help="Free-text notes (- reads them from stdin).")]
EditOwnerOpt = Annotated[str | None, typer.Option("--owner", help="New owner.")]


def list_columns() -> list[Any]:
    from salescli.render import Column

    return [
        Column("id", justify="right"),
        Column("name"),
        Column("email", comfortable=40),
        Column("phone", in_table=False),
        Column("title", in_table=False),
        Column("company_id", in_table=False),
        Column("company"),
        Column("status", drop=3),
        Column("owner", drop=2),
        Column("source", in_table=False),
        Column("tags", drop=1),
        Column("notes", in_table=False),
        Column("external_id", in_table=False),
        Column("extra", in_table=False),
        Column("created_at", in_table=False),
        Column("updated_at", in_table=False),
        Column("last_activity_at", in_table=False),
    ]


def _emit(row: Any, fmt: str | None, output: str | None) -> None:
    from salescli.render import pick_format, render_record
    from salescli.services.crm import contact_view

    chosen = pick_format(fmt, output)
    if chosen == "table" and not output:
        typer.echo(row["id"])
    else:
        render_record(contact_view(row), fmt=chosen, output=output)


@app.command("add")
def add(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Full name.")],
    email: EmailOpt = None,
    phone: PhoneOpt = None,
    title: TitleOpt = None,
    company: CompanyOpt = None,
    owner: OwnerOpt = None,
    status: StatusOpt = None,
    source: SourceOpt = None,
    tag: TagOpt = None,
    notes: NotesOpt = None,
    fmt: FormatOpt = None,
    output: OutputOpt = None,
) -> None:
    """Add a contact; prints its id. --company links an existing company or creates it.

    \b
    Example:
      salescli contact add "Priya Nair" --email priya@acme-robotics.io --company 1
    """
    from salescli.services.crm import add_contact

    app = app_context(ctx)
    row = add_contact(
        app.repo(create=True),
        {"name": name, "email": email, "phone": phone, "title": title, "owner": owner or app.user,
         "status": status, "source": source, "tags": tags_from(tag), "notes": read_notes(notes)},
        company_ref=company,
    )
    flush_notices(app)
    say(f"added contact {row['id']} {row['name']}")
    _emit(row, fmt, output)


@app.command("list")
def list_(
    ctx: typer.Context,
    tag: Annotated[str | None, typer.Option("--tag", "-t", help="Only contacts with this tag (a,b: both).")] = None,
    owner: Annotated[str | None, typer.Option("--owner", help="Only this owner's contacts.")] = None,
    status: Annotated[str | None, typer.Option("--status", help="lead, prospect, customer or churned.")] = None,
    company: Annotated[str | None, typer.Option("--company", help="Only people at this company.")] = None,
    source: Annotated[str | None, typer.Option("--source", help="Only this source.")] = None,
    sort: Annotated[
        str, typer.Option("--sort", help="id, name, email, company, created, updated, status, owner, activity.")
    ] = "id",
    limit: LimitOpt = None,
    show_all: AllOpt = False,
    fmt: FormatOpt = None,
    output: OutputOpt = None,
) -> None:
    """List contacts.

    \b
    Example:
      salescli contact list --company "Acme Robotics" --status customer -f json
    """
    from salescli.errors import InvalidValue
    from salescli.render import pick_format, render_rows
    from salescli.repository.crm import CONTACT_SORTS
    from salescli.services.crm import contact_view
    from salescli.services.refs import resolve_company

    key = sort_key(sort, CONTACT_SORTS)
    if status is not None:
        from salescli.models import CONTACT_STATUSES

        if status.lower() not in CONTACT_STATUSES:
            raise InvalidValue("--status", status, f"is not one of {', '.join(CONTACT_STATUSES)}")
    chosen = pick_format(fmt, output)
    repo = app_context(ctx).repo()
    company_id = resolve_company(repo, company, "--company")["id"] if company else None
    if owner:  # (a typo in a cron job's filter is exit 3, as in every filter; "" is no filter, as in deal list)
        from salescli.services.refs import known_user

        owner = known_user(repo, owner)
    query = repo.contact_query(tag=tag.lower() if tag else None, owner=owner,
                               status=status.lower() if status else None, company_id=company_id,
                               source=source, sort=key)
    sql_limit, shown = table_rows(limit, show_all)
    total = repo.count(query) if chosen == "table" and limit is None else None
    render_rows((contact_view(r) for r in repo.fetch(query, sql_limit)), list_columns(), fmt=chosen,
                output=output, table_limit=shown, total=total, empty="no contacts")


@app.command("show")
def show(
    ctx: typer.Context,
    ref: Annotated[str, typer.Argument(help="Contact id, e-mail or name.")],
    fmt: FormatOpt = None,
    output: OutputOpt = None,
) -> None:
    """Show a contact with their deals and timeline.

    \b
    Example: salescli contact show ana.silva@acme-robotics.io
    """
    from salescli.render import pick_format, render_record
    from salescli.services.crm import contact_story, contact_view

    repo = app_context(ctx).repo()
    chosen = pick_format(fmt, output)
    record, sections = contact_story(repo, ref)
    render_record(contact_view(record), fmt=chosen, output=output, title=f"Contact {record['id']}",
                  sections=sections)


@app.command("edit")
def edit(
    ctx: typer.Context,
    ref: Annotated[str, typer.Argument(help="Contact id, e-mail or name.")],
    name: Annotated[str | None, typer.Option("--name", help="New name.")] = None,
    email: EmailOpt = None,
    phone: PhoneOpt = None,
    title: TitleOpt = None,
    company: Annotated[
        str | None, typer.Option("--company", help='Company id, domain or name ("" unlinks).')
    ] = None,
    owner: EditOwnerOpt = None,
    status: StatusOpt = None,
    source: SourceOpt = None,
    tag: Annotated[list[str] | None, typer.Option("--tag", "-t", help="Replace the tags.")] = None,
    add_tag: Annotated[list[str] | None, typer.Option("--add-tag", help="Add a tag.")] = None,
    remove_tag: Annotated[list[str] | None, typer.Option("--remove-tag", help="Remove a tag.")] = None,
    notes: NotesOpt = None,
    extra: ExtraOpt = None,
    fmt: FormatOpt = None,
    output: OutputOpt = None,
) -> None:
    """Change a contact's fields (an empty value clears a field: --phone "").

    \b
    Example: salescli contact edit ben.okafor@acme-robotics.io --status customer
    """
    from salescli.services.crm import edit_contact, tag_changes

    changes: dict[str, Any] = {
        k: v for k, v in {"name": name, "email": email, "phone": phone, "title": title, "owner": owner,
                          "status": status, "source": source, "notes": read_notes(notes)}.items() if v is not None
    }
    app = app_context(ctx)
    row, changed = edit_contact(
        app.repo(), ref, changes, company_ref=company,
        tags=tag_changes(tags_from(tag) if tag is not None else None, tags_from(add_tag), tags_from(remove_tag)),
        extra=extra_from(extra),
    )
    flush_notices(app)
    named = changed_fields(row, changed, {"company_id": "company"},
                           {"company_id", "owner", "status", "name", "email", "phone", "title"})
    say(f"updated contact {row['id']}: {', '.join(named)}" if changed else f"contact {row['id']}: nothing changed")
    _emit(row, fmt, output)


@app.command("rm")
def rm(
    ctx: typer.Context,
    ref: Annotated[str, typer.Argument(help="Contact id, e-mail or name.")],
    yes: YesOpt = False,
) -> None:
    """Delete a contact (deals and activities stay, unlinked). Asks first; --yes in scripts.

    \b
    Example: salescli contact rm ben.okafor@acme-robotics.io --yes
    """
    from salescli.services.crm import remove_contact
    from salescli.services.refs import resolve_contact

    repo = app_context(ctx).repo()
    row = resolve_contact(repo, ref)
    linked = linked_counts(repo.contact_links(row["id"]))
    confirm(f"Delete contact {row['id']} {row['name']}" + (f" (unlinks {linked})" if linked else "") + "?", yes)
    remove_contact(repo, row["id"])
    say(f"deleted contact {row['id']} {row['name']}" + (f"; unlinked {linked}" if linked else ""))


@app.command("forget")
def forget(
    ctx: typer.Context,
    ref: Annotated[str, typer.Argument(help="Contact id, e-mail or name.")],
    yes: YesOpt = False,
) -> None:
    """Erase a person's data everywhere, history included (GDPR); deal figures stay, anonymous.

    The erased bytes are overwritten in the file (secure_delete) and the WAL is truncated. A contact deleted
    since (contact rm, an undone import) is found by id or e-mail in the history, and erased there. Backups and
    exports made before are files of their own: delete or make them again.

    \b
    Example: salescli contact forget ana.silva@acme-robotics.io --yes
    """
    from salescli.errors import NotFound
    from salescli.services.crm import forget_contact
    from salescli.services.refs import resolve_contact

    repo = app_context(ctx).repo()
    try:
        people = [resolve_contact(repo, ref)]
    except NotFound:  # deleted since: the history still holds them (by id or e-mail: each one that had it)
        people = [{**d, "name": d.get("name") or f"#{d['id']}"} for d in repo.deleted_contacts(ref)]
        if not people:
            raise
    tasks = [t for row in people for t in repo.open_contact_tasks(row["id"])]  # to-dos linked to them: kept, blank
    blanked = (f" (the subject of {len(tasks)} open task{'s' if len(tasks) != 1 else ''} included: kept with"
               " their due dates, erased)") if tasks else ""
    who = " and ".join(f"{row['id']} {row['name']}" for row in people)
    confirm(f"Erase contact{'s' if len(people) > 1 else ''} {who} and every trace of them{blanked}? This cannot be"
            " undone (backups and exports made before still hold them)", yes)

    def n(counts: dict[str, int], key: str, one: str, many: str) -> str:
        count = counts.get(key, 0)
        return f"{count} {one if count == 1 else many}"

    for row in people:
        counts = forget_contact(repo, row["id"])
        flush_notices(app_context(ctx))
        say(f"forgot contact {row['id']}: erased {n(counts, 'history', 'history entry', 'history entries')},"
            f" {n(counts, 'activities', 'activity', 'activities')} anonymised,"
            f" {n(counts, 'deals', 'deal', 'deals')} unlinked")
    if tasks:
        listed = ", ".join(map(str, tasks[:10])) + (" …" if len(tasks) > 10 else "")
        say(f"open task{'s' if len(tasks) != 1 else ''} {listed} now read{'' if len(tasks) != 1 else 's'}"
            f" \"(erased)\": reword {'them' if len(tasks) != 1 else 'it'} with salescli task edit"
            f" {'ID' if len(tasks) != 1 else tasks[0]} --subject TEXT")
    say("note: backups (db backup, the .bak a migration leaves) and exports made before still hold them: delete or"
        " make them again")


@app.command("merge")
def merge(
    ctx: typer.Context,
    keep: Annotated[str, typer.Argument(help="Contact id, e-mail or name of the one to keep.")],
    duplicate: Annotated[str, typer.Argument(help="Contact id, e-mail or name of the duplicate (deleted).")],
    yes: YesOpt = False,
    fmt: FormatOpt = None,
    output: OutputOpt = None,
) -> None:
    """Merge a duplicate contact into another, then delete it. Asks first; --yes in scripts.

    Its deals and activities move to the one kept; fields the kept one lacks are
    filled from it, tags are joined, and values both have that differ (a
    second name, e-mail or phone) are written into the kept one's notes.

    \b
    Example: salescli contact merge ana.silva@acme-robotics.io 2 --yes
    """
    _emit(merge_duplicate(app_context(ctx), "contact", keep, duplicate, yes), fmt, output)
