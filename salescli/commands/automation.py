"""salescli automation add|list|rm"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from salescli.commands.options import FormatOpt, OutputOpt, YesOpt, app_context, say

app = typer.Typer(help="Automations: a follow-up task created when a deal is created, won, lost or enters a stage.",
                  no_args_is_help=True)


def list_columns() -> list[Any]:
    from salescli.render import Column

    return [
        Column("id", justify="right"),
        Column("on"),
        Column("event", in_table=False),
        Column("stage", in_table=False),
        Column("task"),
        Column("due"),
        Column("due_days", in_table=False),
        Column("owner"),
        Column("tasks_created", "tasks created", justify="right"),
        Column("created_at", in_table=False),
    ]


@app.command("add")
def add(
    ctx: typer.Context,
    on: Annotated[str, typer.Option("--on", help="won, lost, created or stage:NAME.")],
    task: Annotated[str, typer.Option("--task", help="Subject of the task to create.")],
    due: Annotated[str, typer.Option("--due", help="Due after the event: +7d, +2w, +0d.")] = "+0d",
    owner: Annotated[
        str | None, typer.Option("--owner", help="deal-owner (the default) or a person's name.")
    ] = None,
    fmt: FormatOpt = None,
    output: OutputOpt = None,
) -> None:
    """Add an automation; prints its id.

    \b
    Example:
      salescli automation add --on stage:Proposal --task "Call about it" --due +3d
    """
    from salescli.render import pick_format, render_record
    from salescli.services.automations import add_automation, automation_view

    chosen = pick_format(fmt, output)
    row = add_automation(app_context(ctx).repo(create=True), on, task, due, owner)
    view = automation_view(row)
    say(f'added automation {row["id"]}: on {view["on"]} -> task "{view["task"]}" due {view["due"]}'
        f' for {view["owner"]}')
    if chosen == "table" and not output:
        typer.echo(row["id"])
    else:
        render_record(view, fmt=chosen, output=output)


@app.command("list")
def list_(ctx: typer.Context, fmt: FormatOpt = None, output: OutputOpt = None) -> None:
    """List automations.

    \b
    Example: salescli automation list -f json
    """
    from salescli.render import pick_format, render_rows
    from salescli.services.automations import automation_view

    chosen = pick_format(fmt, output)
    repo = app_context(ctx).repo()
    render_rows((automation_view(r) for r in repo.fetch(repo.automation_query())), list_columns(), fmt=chosen,
                output=output, table_limit=None, empty="no automations")


@app.command("rm")
def rm(
    ctx: typer.Context,
    ref: Annotated[str, typer.Argument(metavar="ID", help="Automation id.")],
    yes: YesOpt = False,
) -> None:
    """Delete an automation (tasks it already created stay). Asks first; --yes in scripts.

    \b
    Example: salescli automation rm 1 --yes
    """
    from salescli.commands.options import confirm
    from salescli.services.activities import parse_record_id
    from salescli.services.automations import automation_view, get_automation, remove_automation

    automation_id = parse_record_id(ref, "automation")
    repo = app_context(ctx).repo()
    view = automation_view(get_automation(repo, automation_id))
    confirm(f'Delete automation {automation_id} (on {view["on"]} -> "{view["task"]}")?', yes)
    remove_automation(repo, automation_id)
    say(f"deleted automation {automation_id}")
