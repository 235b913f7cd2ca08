"""salescli company add|list|show|edit|merge|rm"""

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

app = typer.Typer(help="Companies (accounts): add, list, show, edit, merge, rm.", no_args_is_help=True)

NameOpt = Annotated[str | None, typer.Option("--name", help="New name.")]
DomainOpt = Annotated[str | None, typer.Option("--domain", help="Web domain, unique (acme.io).")]
IndustryOpt = Annotated[str | None, typer.Option("--industry", help="Industry.")]
SegmentOpt = Annotated[str | None, typer.Option("--segment", help="b2b, b2c, enterprise, saas or any word.")]
TerritoryOpt = Annotated[str | None, typer.Option("--territory", help="Sales territory.")]
OwnerOpt = Annotated[str | None, typer.Option("--owner", help="Owner (default: you).")]
NotesOpt = Annotated[str | None, typer.Option("--notes", help="Free-text notes (- reads them from stdin).")]
EditOwnerOpt = Annotated[str | None, typer.Option("--owner", help="New owner.")]


def list_columns() -> list[Any]:
    from salescli.render import Column

    return [
        Column("id", justify="right"),
        Column("name", comfortable=20),
        Column("domain", comfortable=40),  # (a domain cut is no domain)
        Column("industry", in_table=False),
        Column("segment", drop=2),
        Column("territory", in_table=False),
        Column("owner", drop=4),
        Column("tags", drop=1),
        Column("contact_count", "contacts", justify="right", drop=3),  # (show: the contacts themselves)
        Column("open_deals", "open deals", justify="right"),
        Column("notes", in_table=False),
        Column("external_id", in_table=False),
        Column("extra", in_table=False),
        Column("created_at", in_table=False),
        Column("updated_at", in_table=False),
        Column("last_activity_at", in_table=False),
    ]


def _emit(row: Any, fmt: str | None, output: str | None) -> None:
    from salescli.render import pick_format, render_record
    from salescli.services.crm import company_view

    chosen = pick_format(fmt, output)
    if chosen == "table" and not output:
        typer.echo(row["id"])
    else:
        render_record(company_view(row), fmt=chosen, output=output)


@app.command("add")
def add(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Company name.")],
    domain: DomainOpt = None,
    industry: IndustryOpt = None,
    segment: SegmentOpt = None,
    territory: TerritoryOpt = None,
    owner: OwnerOpt = None,
    tag: TagOpt = None,
    notes: NotesOpt = None,
    fmt: FormatOpt = None,
    output: OutputOpt = None,
) -> None:
    """Add a company; prints its id.

    \b
    Example: salescli company add Initech --domain initech.io --tag key-account
    """
    from salescli.services.crm import add_company

    app = app_context(ctx)
    row = add_company(
        app.repo(create=True),
        {"name": name, "domain": domain, "industry": industry, "segment": segment,
         "territory": territory, "owner": owner or app.user, "tags": tags_from(tag), "notes": read_notes(notes)},
    )
    flush_notices(app)
    say(f"added company {row['id']} {row['name']}")
    _emit(row, fmt, output)


@app.command("list")
def list_(
    ctx: typer.Context,
    tag: Annotated[str | None, typer.Option("--tag", "-t", help="Only companies with this tag (a,b: both).")] = None,
    owner: Annotated[str | None, typer.Option("--owner", help="Only this owner's companies.")] = None,
    segment: Annotated[str | None, typer.Option("--segment", help="Only this segment.")] = None,
    industry: Annotated[str | None, typer.Option("--industry", help="Only this industry.")] = None,
    sort: Annotated[str, typer.Option("--sort", help="id, name, created, updated, owner, segment, activity.")] = "id",
    limit: LimitOpt = None,
    show_all: AllOpt = False,
    fmt: FormatOpt = None,
    output: OutputOpt = None,
) -> None:
    """List companies.

    \b
    Example:
      salescli company list --segment saas --sort name -f csv -o companies.csv
    """
    from salescli.render import pick_format, render_rows
    from salescli.repository.crm import COMPANY_SORTS
    from salescli.services.crm import company_view

    key = sort_key(sort, COMPANY_SORTS)
    chosen = pick_format(fmt, output)
    repo = app_context(ctx).repo()
    if owner:  # (a typo in a cron job's filter is exit 3, as in every filter; "" is no filter, as in deal list)
        from salescli.services.refs import known_user

        owner = known_user(repo, owner)
    query = repo.company_query(tag=tag.lower() if tag else None, owner=owner, segment=segment,
                               industry=industry, sort=key)
    sql_limit, shown = table_rows(limit, show_all)
    total = repo.count(query) if chosen == "table" else None
    render_rows((company_view(r) for r in repo.fetch(query, sql_limit)), list_columns(), fmt=chosen,
                output=output, table_limit=shown, total=total,
                empty="no companies")


@app.command("show")
def show(
    ctx: typer.Context,
    ref: Annotated[str, typer.Argument(help="Company id, domain or name.")],
    fmt: FormatOpt = None,
    output: OutputOpt = None,
) -> None:
    """Show a company with its contacts and deals.

    \b
    Example: salescli company show acme-robotics.io
    """
    from salescli.render import pick_format, render_record
    from salescli.services.crm import company_story, company_view

    repo = app_context(ctx).repo()
    chosen = pick_format(fmt, output)
    record, sections = company_story(repo, ref)
    render_record(company_view(record), fmt=chosen, output=output, title=f"Company {record['id']}",
                  sections=sections, labels={"contact_count": "contacts"})  # (to read: the count; json: both)


@app.command("edit")
def edit(
    ctx: typer.Context,
    ref: Annotated[str, typer.Argument(help="Company id, domain or name.")],
    name: NameOpt = None,
    domain: DomainOpt = None,
    industry: IndustryOpt = None,
    segment: SegmentOpt = None,
    territory: TerritoryOpt = None,
    owner: EditOwnerOpt = None,
    tag: Annotated[list[str] | None, typer.Option("--tag", "-t", help="Replace the tags.")] = None,
    add_tag: Annotated[list[str] | None, typer.Option("--add-tag", help="Add a tag.")] = None,
    remove_tag: Annotated[list[str] | None, typer.Option("--remove-tag", help="Remove a tag.")] = None,
    notes: NotesOpt = None,
    extra: ExtraOpt = None,
    fmt: FormatOpt = None,
    output: OutputOpt = None,
) -> None:
    """Change a company's fields (an empty value clears a field: --domain "").

    \b
    Example: salescli company edit "Cobalt Analytics" --add-tag strategic
    """
    from salescli.services.crm import edit_company, tag_changes

    changes: dict[str, Any] = {
        k: v for k, v in {"name": name, "domain": domain, "industry": industry, "segment": segment,
                          "territory": territory, "owner": owner, "notes": read_notes(notes)}.items() if v is not None
    }
    app = app_context(ctx)
    repo = app.repo()
    row, changed = edit_company(repo, ref, changes,
                                tags=tag_changes(tags_from(tag) if tag is not None else None,
                                                 tags_from(add_tag), tags_from(remove_tag)),
                                extra=extra_from(extra))
    flush_notices(app)
    named = changed_fields(row, changed, {}, {"name", "domain", "industry", "segment", "territory", "owner"})
    say(f"updated company {row['id']}: {', '.join(named)}" if changed else f"company {row['id']}: nothing changed")
    _emit(row, fmt, output)


@app.command("rm")
def rm(
    ctx: typer.Context,
    ref: Annotated[str, typer.Argument(help="Company id, domain or name.")],
    yes: YesOpt = False,
) -> None:
    """Delete a company (its contacts and deals stay, unlinked). Asks first; --yes in scripts.

    \b
    Example: salescli company rm 12 --yes
    """
    from salescli.services.crm import remove_company
    from salescli.services.refs import resolve_company

    repo = app_context(ctx).repo()
    row = resolve_company(repo, ref)
    links = repo.company_links(row["id"])
    linked = linked_counts(links)
    confirm(f"Delete company {row['id']} {row['name']}" + (f" (unlinks {linked})" if linked else "") + "?", yes)
    remove_company(repo, row["id"])
    say(f"deleted company {row['id']} {row['name']}" + (f"; unlinked {linked}" if linked else ""))


@app.command("merge")
def merge(
    ctx: typer.Context,
    keep: Annotated[str, typer.Argument(help="Company id, domain or name of the one to keep.")],
    duplicate: Annotated[str, typer.Argument(help="Company id, domain or name of the duplicate (deleted).")],
    yes: YesOpt = False,
    fmt: FormatOpt = None,
    output: OutputOpt = None,
) -> None:
    """Merge a duplicate company into another, then delete it. Asks first; --yes in scripts.

    Its contacts, deals and activities move to the one kept; fields the kept one lacks are
    filled from it, tags are joined, and values both have that differ (a
    second name, e-mail or phone) are written into the kept one's notes.

    \b
    Example: salescli company merge acme-robotics.io 12 --yes
    """
    _emit(merge_duplicate(app_context(ctx), "company", keep, duplicate, yes), fmt, output)
