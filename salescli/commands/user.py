"""salescli user add|list|edit|rm"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from salescli.commands.options import (
    FormatOpt,
    OutputOpt,
    YesOpt,
    app_context,
    changed_fields,
    confirm,
    flush_notices,
    say,
)

app = typer.Typer(help="Users (owners, reps): e-mail, team and territory, so figures roll up by team.",
                  no_args_is_help=True)

EmailOpt = Annotated[str | None, typer.Option("--email", help="E-mail address.")]
TeamOpt = Annotated[str | None, typer.Option("--team", help="Team (reports roll up by it: --by team, --team).")]
TerritoryOpt = Annotated[str | None, typer.Option("--territory", help="Sales territory.")]


def columns() -> list[Any]:
    from salescli.render import Column

    return [Column("id", justify="right"), Column("name"), Column("email", drop=2, comfortable=40), Column("team"),
            Column("territory", drop=1), Column("open_deals", "open deals", justify="right"),
            Column("created_at", in_table=False)]


@app.command("add")
def add(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="User name (as used for --owner).")],
    email: EmailOpt = None,
    team: TeamOpt = None,
    territory: TerritoryOpt = None,
) -> None:
    """Add a user; prints its id. (Users are also created when first named as an owner.)

    \b
    Example:
      salescli user add ana --email ana@example.com --team East --territory EMEA
    """
    from salescli.services.users import add_user

    app = app_context(ctx)
    row = add_user(app.repo(create=True), {"name": name, "email": email, "team": team, "territory": territory})
    flush_notices(app)
    say(f"added user {row['id']} {row['name']}" + (f" (team {row['team']})" if row["team"] else ""))
    typer.echo(row["id"])


@app.command("list")
def list_(
    ctx: typer.Context,
    team: Annotated[str | None, typer.Option("--team", help="Only this team.")] = None,
    fmt: FormatOpt = None,
    output: OutputOpt = None,
) -> None:
    """List users with their team, territory and open deals.

    \b
    Example: salescli user list --team Enterprise
    """
    from salescli.render import pick_format, render_rows
    from salescli.services.users import user_view

    chosen = pick_format(fmt, output)
    repo = app_context(ctx).repo()
    render_rows((user_view(r) for r in repo.users(team)), columns(), fmt=chosen, output=output, empty="no users")


@app.command("edit")
def edit(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="User name.")],
    email: EmailOpt = None,
    team: TeamOpt = None,
    territory: TerritoryOpt = None,
) -> None:
    """Change a user's e-mail, team or territory (an empty value clears it: --team "").

    \b
    Example: salescli user edit lee --team Enterprise
    """
    from salescli.services.users import edit_user

    changes = {k: v for k, v in {"email": email, "team": team, "territory": territory}.items() if v is not None}
    app = app_context(ctx)
    row, changed = edit_user(app.repo(), name, changes)
    flush_notices(app)
    named = changed_fields(row, changed, {}, {"email", "team", "territory"})
    say(f"updated user {row['name']}: {', '.join(named)}" if changed else f"user {row['name']}: nothing changed")


@app.command("rm")
def rm(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="User name.")],
    to: Annotated[str | None, typer.Option("--to", help="The user who takes over what they own.")] = None,
    yes: YesOpt = False,
) -> None:
    """Remove a user (a misspelt name, someone who left). Asks first; --yes in scripts.

    What they own (deals, activities and tasks, companies, contacts,
    automations, targets) goes to --to, a target adding to one --to has for
    the same period; without --to, a user who owns anything is refused.

    \b
    Example: salescli user rm lee --to dana --yes
    """
    from salescli.services.users import plan_removal, remove_user

    app = app_context(ctx)
    repo = app.repo()
    plan = plan_removal(repo, name, to)  # an unknown user or heir, or no --to for what they own: before asking
    who = plan.user["name"]
    confirm(f"Remove user {who}" + (f" and give {plan.text()} to {plan.heir}?" if plan.counts else "?"), yes)
    done = remove_user(repo, name, to)
    flush_notices(app)
    say(f"removed user {who}" + (f"; gave {done.text()} to {done.heir}" if done.counts else ""))
