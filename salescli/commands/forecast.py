"""salescli forecast snapshot"""

from __future__ import annotations

from typing import Annotated

import typer

from salescli.commands.options import FormatOpt, OutputOpt, app_context, say
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
    for cur in stored["missing_rates"]:
        say(f"note: amounts in {cur} are not included: no exchange rate")
    if chosen == "table" and not output:
        typer.echo(stored["id"])
    else:
        render_record(stored, fmt=chosen, output=output)
