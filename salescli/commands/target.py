"""salescli target set|list|import|rm"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from salescli.commands.options import FormatOpt, OutputOpt, YesOpt, app_context, confirm, flush_notices, say

app = typer.Typer(help="Targets (quotas) per owner or team and period: won_amount, deals_won or activities.",
                  no_args_is_help=True)

MetricOpt = Annotated[str, typer.Option("--metric", "-m", show_default=False,
                                        help="won_amount (default), deals_won or activities.")]


def columns() -> list[Any]:
    from salescli.render import Column
    from salescli.services.reports.common import col

    return [
        # one table column for whose target it is (an owner, or team:NAME); json/csv keep owner and team apart
        Column("id", justify="right"), Column("owner", "for", show=lambda v, r: v or f"team:{r['team']}"),
        Column("team", in_table=False), Column("period"),
        Column("period_start", in_table=False), Column("period_end", in_table=False), Column("metric"),
        col("value", "target", "money"), Column("currency", in_table=False), col("actual", "actual", "money"),
        col("attainment", "attain.", "rate"), Column("missing_rates", in_table=False),
    ]


def _describe(view: dict[str, Any]) -> str:
    from salescli.values import format_money, to_minor

    who = view["owner"] or f"team:{view['team']}"
    value = view["value"]
    shown = format_money(to_minor(value, view["currency"]), view["currency"]) if view["currency"] else str(value)
    return f"{who} {view['period']} {view['metric']} {shown}"


@app.command("set")
def set_(
    ctx: typer.Context,
    unit: Annotated[str, typer.Argument(metavar="OWNER|team:NAME", help="An owner, or team:NAME.")],
    period: Annotated[str, typer.Argument(help="2026-Q4, 2026, 2026-11, this-quarter…")],
    value: Annotated[str, typer.Argument(help="50k (won_amount: money in the base currency), or a count.")],
    metric: MetricOpt = "won_amount",
) -> None:
    """Set a target (replaces the value of the same owner/team, period and metric); prints its id.

    \b
    Examples:
      salescli target set dana 2026-Q4 50k
      salescli target set team:SMB 2026 40 --metric deals_won
    """
    from salescli.services.targets import set_target, target_view

    app = app_context(ctx)
    row, state = set_target(app.repo(create=True), unit, period, value, metric, app.today)
    flush_notices(app)
    verb = {"created": "set", "updated": "updated"}.get(state, "unchanged:")
    say(f"{verb} target {row['id']}: {_describe(target_view(row))}")
    typer.echo(row["id"])


@app.command("list")
def list_(
    ctx: typer.Context,
    period: Annotated[str | None, typer.Option("--period", "-p", help="Only targets overlapping this period.")
                      ] = None,
    owner: Annotated[str | None, typer.Option("--owner", help="Only this owner's targets.")] = None,
    team: Annotated[str | None, typer.Option("--team", help="Only this team's targets.")] = None,
    metric: Annotated[str | None, typer.Option("--metric", "-m", help="Only this metric.")] = None,
    fmt: FormatOpt = None,
    output: OutputOpt = None,
) -> None:
    """List targets with what has been achieved so far (actual) and attainment.

    \b
    Example: salescli target list --period 2026-Q4
    """
    from salescli.render import pick_format, render_rows
    from salescli.services.reports.common import parse_report_period
    from salescli.services.targets import parse_metric, target_progress

    chosen = pick_format(fmt, output)
    app = app_context(ctx)
    repo = app.repo()
    span = parse_report_period(period, app.today, repo.settings()) if period else None
    if owner:
        from salescli.services.refs import known_user

        owner = known_user(repo, owner)  # (a typo is not found, with the user it may have meant: not "no targets")
    if team:
        from salescli.services.refs import known_team

        team = known_team(repo, team)
    scope, name = ("owner", owner) if owner else ("team", team) if team else (None, None)
    rows = repo.target_rows(scope=scope, name=name, metric=parse_metric(metric) if metric else None,
                            start=span.start.isoformat() if span else None, end=span.end.isoformat() if span else None)
    from salescli.services.money import missing_rate_note

    progress = target_progress(repo, rows, app.today)
    render_rows(progress, columns(), fmt=chosen, output=output, empty="no targets")
    for cur in sorted({c for row in progress for c in row["missing_rates"] or ()}):  # json and csv have a column
        say("note: " + missing_rate_note(repo, cur, app.today, "amounts left out of the actuals"))


@app.command("import")
def import_(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(
        help="CSV with columns owner, period, value and optionally metric (`target list -f csv` writes one).")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Check every row and count; write nothing.")] = False,
    fmt: Annotated[str | None, typer.Option(
        "--format", "-f", help="table (default) or json: the summary as JSON on stdout.")] = None,
) -> None:
    """Import targets from CSV (owner may be team:NAME); all rows or none (exit 4 naming the line).

    \b
    Example: salescli target import quotas.csv --dry-run
    """
    import json

    from salescli.services.targets import TargetsRejected, import_targets

    chosen = (fmt or "table").strip().lower()
    if chosen not in ("table", "json"):
        from salescli.errors import InvalidValue

        raise InvalidValue("--format", fmt or "", "is not one of table, json")
    from salescli.commands.io import repo_for

    app = app_context(ctx)
    with repo_for(app, dry_run) as repo:  # (a dry run on no database plans on a fresh one, then drops it)
        try:
            summary = import_targets(repo, file, app.today, dry_run=dry_run)
        except TargetsRejected as exc:
            if dry_run and chosen == "json":  # a dry run's output is its plan, errors included (exit 4 all the same)
                typer.echo(json.dumps({"errors": exc.errors, "dry_run": True}, ensure_ascii=False))
            raise
        for message in repo.notices:  # (the plan's own repository when there is no database yet)
            say(message)
        repo.notices.clear()
    say(f"{'would import' if dry_run else 'imported'} {summary['rows']} target{'s' if summary['rows'] != 1 else ''}"
        f" ({summary['created']} new, {summary['updated']} updated, {summary['unchanged']} unchanged)")
    if chosen == "json":
        typer.echo(json.dumps({**summary, "dry_run": dry_run}))


@app.command("rm")
def rm(
    ctx: typer.Context,
    target_id: Annotated[int, typer.Argument(metavar="ID", help="Target id (see target list).")],
    yes: YesOpt = False,
) -> None:
    """Delete a target. Asks first; --yes in scripts.

    \b
    Example: salescli target rm 3 --yes
    """
    from salescli.services.targets import remove_target, target_view

    repo = app_context(ctx).repo()
    row = repo.target(target_id)
    if row is None:
        from salescli.errors import NotFound

        raise NotFound(f"no target {target_id}", hint="see `salescli target list`")
    confirm(f"Delete target {target_id} ({_describe(target_view(row))})?", yes)
    remove_target(repo, target_id)
    say(f"deleted target {target_id}")
