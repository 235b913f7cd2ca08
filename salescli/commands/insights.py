"""salescli insights"""

from __future__ import annotations

from typing import Annotated

import typer

from salescli.commands.options import AllOpt, LimitOpt, OutputOpt, ReportFormatOpt, app_context
from salescli.commands.report import OwnerOpt, PipelineOpt, TeamOpt, fail_if_text

# services.insights.METRICS, spelled out so that --help does not import the service (a test keeps them equal)
METRICS = ("insights", "stuck", "pushed", "quiet", "rep_win_rate", "rep_activity", "stage_probability")
FailIfOpt = Annotated[list[str] | None, typer.Option("--fail-if", help=fail_if_text(METRICS, ("stuck>0", "quiet>=3")))]


def insights(
    ctx: typer.Context,
    owner: OwnerOpt = None,
    team: TeamOpt = None,
    pipeline: PipelineOpt = None,
    period: Annotated[str | None, typer.Option(
        "--period", "-p", help="Window for the rep rules (default: the last 90 days).")] = None,
    fail_if: FailIfOpt = None,
    limit: LimitOpt = None,
    show_all: AllOpt = False,
    fmt: ReportFormatOpt = None,
    output: OutputOpt = None,
) -> None:
    """Coaching: deals stuck in a stage, close dates pushed, big deals gone quiet, reps far below their
    team's median, stages whose probability is far from their win rate — each with its numbers.

    \b
    Example: salescli insights --owner dana
    """
    from salescli.errors import ConditionMet
    from salescli.render import pick_format
    from salescli.render_report import REPORT_FORMATS, render_report
    from salescli.services import insights as service
    from salescli.services.reports import common

    conditions = common.parse_conditions(fail_if, service.METRICS)
    chosen = pick_format(fmt, output, REPORT_FORMATS)
    app = app_context(ctx)
    repo = app.repo()
    window = None if period else service.default_period(app.today)
    rctx = common.resolve(repo, app.today, period=period, period_value=window, pipeline=pipeline, owner=owner,
                          team=team)
    table_limit = limit if limit else None if show_all else -1
    # a table (or html) shows the first deals of each rule: let SQLite stop there too
    list_limit = None if chosen not in ("table", "html") else 20 if table_limit == -1 else table_limit
    report = service.build(rctx, list_limit=list_limit)
    render_report(report, fmt=chosen, output=output, table_limit=table_limit)
    held = common.failed_conditions(report, conditions)
    if held:
        raise ConditionMet("--fail-if held: " + "; ".join(held))
