"""salescli forecast snapshot|list|rm"""

from __future__ import annotations

from typing import Annotated

import typer

from salescli.commands.options import FormatOpt, OutputOpt, YesOpt, app_context, confirm, say
from salescli.commands.report import OwnerOpt, PipelineOpt, TeamOpt

SnapshotPeriodOpt = Annotated[str | None, typer.Option(
    "--period", "-p", help="A period not over yet: 2026-Q4, 2026-11, this-month, next-quarter… (default: this"
                           " quarter).")]

app = typer.Typer(help="Forecast snapshots: store the period's forecast (weekly, from cron) to measure accuracy.",
                  no_args_is_help=True)


@app.command("snapshot")
def snapshot(
    ctx: typer.Context,
    period: SnapshotPeriodOpt = None,
    pipeline: PipelineOpt = None,
    owner: OwnerOpt = None,
    team: TeamOpt = None,
    fmt: FormatOpt = None,
    output: OutputOpt = None,
) -> None:
    """Store the period's forecast figures as of today; prints the snapshot id.
    `report forecast-accuracy` later compares snapshots with what was actually won.
    A forecast is made before its period ends: a period already over, or
    --period all, is refused.

    \b
    Example (cron, every Monday): salescli forecast snapshot --period this-quarter
    """
    from salescli.render import pick_format, render_record
    from salescli.services.reports import common
    from salescli.services.reports.accuracy import take_snapshot

    chosen = pick_format(fmt, output)
    app = app_context(ctx)
    rctx = common.resolve(app.repo(), app.today, period=period, pipeline=pipeline, owner=owner, team=team)
    stored = take_snapshot(rctx)
    def amount(key: str) -> str:
        return "–" if stored[key] is None else f"{stored[key]:,}"

    say(f"forecast snapshot {stored['id']}{' (replaces the one taken earlier today)' if stored['replaced'] else ''}:"
        f" {stored['period']} ({stored['scope']}) won {amount('won')}, "
        f"commit {amount('commit')}, weighted {amount('weighted')} {stored['currency']}")
    from salescli.services.money import missing_rate_note

    for cur in stored["missing_rates"]:
        say("note: " + missing_rate_note(app.repo(), cur, app.today, "amounts left out of the snapshot"))
    if chosen == "table" and not output:
        typer.echo(stored["id"])
    else:
        render_record(stored, fmt=chosen, output=output)


@app.command("list")
def list_(
    ctx: typer.Context,
    period: Annotated[str | None, typer.Option(
        "--period", "-p", help="Only snapshots of periods overlapping this one (2026-Q4, this-year…).")] = None,
    fmt: FormatOpt = None,
    output: OutputOpt = None,
) -> None:
    """The stored forecast snapshots, oldest first: when taken, of which period and
    scope, and the figures they stored.

    \b
    Example: salescli forecast list --period this-year
    """
    from salescli.render import pick_format, render_rows
    from salescli.services.reports.accuracy import snapshot_columns, snapshot_views

    chosen = pick_format(fmt, output)
    app = app_context(ctx)
    render_rows(snapshot_views(app.repo(), app.today, period), snapshot_columns(), fmt=chosen, output=output,
                empty="no forecast snapshots")


@app.command("rm")
def rm(
    ctx: typer.Context,
    snapshot_id: Annotated[int, typer.Argument(metavar="ID", help="Snapshot id (see forecast list).")],
    yes: YesOpt = False,
) -> None:
    """Delete a forecast snapshot (one taken by mistake counts in forecast-accuracy).
    Asks first; --yes in scripts.

    \b
    Example: salescli forecast rm 1 --yes
    """
    from salescli.services.reports.accuracy import remove_snapshot

    repo = app_context(ctx).repo()
    row = repo.snapshot(snapshot_id)
    if row is None:
        from salescli.errors import NotFound

        raise NotFound(f"no forecast snapshot {snapshot_id}", hint="see `salescli forecast list`")
    confirm(f"Delete forecast snapshot {snapshot_id} ({row['period_label']}, {row['scope']}, taken"
            f" {row['taken_at'][:10]})?", yes)
    remove_snapshot(repo, snapshot_id)
    say(f"deleted forecast snapshot {snapshot_id}")
