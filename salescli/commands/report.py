"""salescli report pipeline|forecast|performance|velocity|funnel|activity|stale|lost-reasons|weekly|forecast-accuracy"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Annotated, Any

import typer
import typer.main
from typer.core import TyperOption
from typer.models import CommandInfo

from salescli.commands.lazy import SuggestingGroup, name_placeholders
from salescli.commands.options import AllOpt, LimitOpt, OutputOpt, ReportFormatOpt, app_context, say, typed_date

_COMMANDS: dict[str, CommandInfo] = {}  # report name -> its command, turned into a Click command when it runs


class _ReportGroup(SuggestingGroup):
    """Builds only the report that runs: converting a command's signature costs a few ms, ten of them
    would be paid by every report (a cron job's report on a small database takes less than that)."""

    def list_commands(self, ctx: Any) -> list[str]:
        return list(_COMMANDS)

    def suggestion_names(self) -> list[str]:
        return [name for name, info in _COMMANDS.items() if not info.hidden]

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        if cmd_name not in self.commands and cmd_name in _COMMANDS:
            command = typer.main.get_command_from_info(
                _COMMANDS[cmd_name], pretty_exceptions_short=True, rich_markup_mode=None)
            for param in command.params:
                if param.name == "fail_if" and isinstance(param, TyperOption):
                    param.help = fail_if_help(cmd_name)
            self.commands[cmd_name] = name_placeholders(command)
        return self.commands.get(cmd_name)


class _ReportTyper(typer.Typer):
    def command(self, name: str | None = None, **kwargs: Any) -> Any:  # type: ignore[override]
        register = super().command(name, **kwargs)

        def decorator(f: Any) -> Any:
            result = register(f)
            info = self.registered_commands.pop()
            _COMMANDS[info.name or f.__name__] = info
            return result

        return decorator


app = _ReportTyper(
    cls=_ReportGroup,
    help="Reports: pipeline, forecast, performance, velocity, funnel, activity, stale, lost-reasons, weekly, "
         "forecast-accuracy. Every report: -f table|json|csv|markdown|html, -o FILE, --fail-if.",
    no_args_is_help=True,
)

PeriodOpt = Annotated[str | None, typer.Option(
    "--period", "-p", help="2026-Q4, 2026-11, 2026, this-month, last-quarter, ytd, all… (default: this quarter).")]
PipelineOpt = Annotated[str | None, typer.Option("--pipeline", help="Only this pipeline.")]
OwnerOpt = Annotated[str | None, typer.Option("--owner", help="Only this owner's deals and activities.")]
DealOwnerOpt = Annotated[str | None, typer.Option("--owner", help="Only this owner's deals.")]
TeamOpt = Annotated[str | None, typer.Option("--team", help="Only the owners of this team.")]
AsOfOpt = Annotated[str | None, typer.Option(
    "--as-of", help="Describe a past day (from the stage history): 2026-10-31, -30d.")]
ChartOpt = Annotated[bool, typer.Option("--chart", help="Add terminal bar charts to a table.")]
FailIfOpt = Annotated[list[str] | None, typer.Option(
    "--fail-if", help="Exit 6 after printing when a condition (METRIC<NUMBER) holds. Repeatable.")]
# Examples for each report's --fail-if help; its metrics are the report's own METRICS (see fail_if_help).
FAIL_IF_EXAMPLES = {
    "pipeline": ("stale>5", "weighted<100k"),
    "forecast": ("coverage<3", "attainment<50%"),
    "performance": ("win_rate<25%", "pacing<0.8"),
    "velocity": ("velocity<1000", "win_rate<25%"),
    "funnel": ("conversion<10%", "entered<5"),
    "activity": ("overdue>10", "call<20"),
    "stale": ("stale>5", "no_next_step>0"),
    "lost-reasons": ("lost>5", "lost_amount>50k"),
    "weekly": ("at_risk>0", "coverage<3"),
    "forecast-accuracy": ("mape_commit>20%", "snapshots<4"),
}


def fail_if_text(metrics: Iterable[str], examples: Iterable[str]) -> str:
    """--fail-if's help: examples (only of metrics the command has) and every metric it accepts."""
    names = list(metrics)
    shown = [e for e in examples if re.split(r"[<>=!]", e, maxsplit=1)[0] in names] or [f"{names[0]}>0"]
    listed = " or ".join(f'"{e}"' for e in shown)
    return f"Exit 6 after printing when a condition holds, e.g. {listed}. Metrics: {', '.join(names)}. Repeatable."


def fail_if_help(name: str) -> str:
    """A report's --fail-if help, from the metrics its service module defines (imported when the report runs)."""
    from importlib import import_module

    from salescli.services.reports import REPORTS

    module = import_module(f"salescli.services.reports.{REPORTS[name]}")
    return fail_if_text(module.METRICS, FAIL_IF_EXAMPLES.get(name, ()))


def by_opt(choices: str) -> Any:
    return typer.Option("--by", help=f"Group by {choices}.")


def _run(ctx: typer.Context, name: str, *, fmt: str | None, output: str | None, fail_if: list[str] | None,
         chart: bool = False, table_limit: int | None = -1, build: dict[str, Any] | None = None,
         week: tuple[str | None, str] = (None, "--week"), **scope: Any) -> None:
    """Parse the options (usage errors first), build the report, render it, then test --fail-if."""
    from importlib import import_module

    from salescli.errors import ConditionMet
    from salescli.render import pick_format
    from salescli.render_report import REPORT_FORMATS, render_report
    from salescli.services.reports import REPORTS, common

    module = import_module(f"salescli.services.reports.{REPORTS[name]}")
    conditions = common.parse_conditions(fail_if, module.METRICS)
    if build and build.get("by") is not None:  # a wrong --by is a usage error, before any name is looked up
        common.check_by(build["by"], module.BY, None, getattr(module, "BY_HINTS", None))
    chosen = pick_format(fmt, output, REPORT_FORMATS)
    app = app_context(ctx)
    repo = app.repo()
    if scope.get("as_of") is not None:  # read as every typed date is: day-first, fiscal year, relative words
        scope["as_of"] = typed_date(app, scope["as_of"], "--as-of", past=True)
    args = dict(build or {})
    if name == "weekly":
        from salescli.services.reports.weekly import parse_week

        week_period, quarter = parse_week(week[0], app.today, repo.settings(), option=week[1])
        scope["period_value"] = quarter
        args["week"] = week_period
    if name in ("stale", "activity", "weekly"):
        # a table (or the e-mailed html) shows the first rows of a long list: let SQLite stop there too
        default = 30 if name == "weekly" else 100
        args["list_limit"] = None if chosen not in ("table", "html") else default if table_limit == -1 else table_limit
    report = module.build(common.resolve(repo, app.today, **scope), **args)
    render_report(report, fmt=chosen, output=output, chart=chart, table_limit=table_limit)
    for text in common.untested_conditions(report, conditions):
        say(f"note: {text}")
    held = common.failed_conditions(report, conditions)
    if held:
        raise ConditionMet("--fail-if held: " + "; ".join(held))


def _limit(limit: int | None, show_all: bool) -> int | None:
    if limit is not None:
        return limit
    return None if show_all else -1


@app.command("pipeline")
def pipeline(
    ctx: typer.Context,
    period: PeriodOpt = None,
    pipeline: PipelineOpt = None,
    owner: DealOwnerOpt = None,
    team: TeamOpt = None,
    by: Annotated[str | None, by_opt("stage (default), owner, team, pipeline, source or segment")] = None,
    as_of: AsOfOpt = None,
    chart: ChartOpt = False,
    fail_if: FailIfOpt = None,
    fmt: ReportFormatOpt = None,
    output: OutputOpt = None,
) -> None:
    """The open pipeline per stage: deals, amount, weighted amount, closing in the period, age, stale.

    \b
    Example: salescli report pipeline --by owner --chart
    """
    _run(ctx, "pipeline", fmt=fmt, output=output, fail_if=fail_if, chart=chart, build={"by": by},
         period=period, pipeline=pipeline, owner=owner, team=team, as_of=as_of)


@app.command("forecast")
def forecast(
    ctx: typer.Context,
    period: PeriodOpt = None,
    pipeline: PipelineOpt = None,
    owner: DealOwnerOpt = None,
    team: TeamOpt = None,
    by: Annotated[str | None, by_opt("owner, team, month, pipeline, source or segment")] = None,
    as_of: AsOfOpt = None,
    chart: ChartOpt = False,
    fail_if: FailIfOpt = None,
    fmt: ReportFormatOpt = None,
    output: OutputOpt = None,
) -> None:
    """The period's forecast: closed won, commit, best case, pipeline, omitted, weighted (configured and
    historical win rates), target, attainment, gap, coverage.

    \b
    Examples:
      salescli report forecast --period 2026-Q4 --by owner
      salescli report forecast --fail-if "coverage<3"
    """
    _run(ctx, "forecast", fmt=fmt, output=output, fail_if=fail_if, chart=chart, build={"by": by},
         period=period, pipeline=pipeline, owner=owner, team=team, as_of=as_of)


@app.command("performance")
def performance(
    ctx: typer.Context,
    period: PeriodOpt = None,
    pipeline: PipelineOpt = None,
    owner: OwnerOpt = None,
    team: TeamOpt = None,
    by: Annotated[str | None, by_opt("owner (default), team, pipeline, source or segment")] = None,
    chart: ChartOpt = False,
    fail_if: FailIfOpt = None,
    fmt: ReportFormatOpt = None,
    output: OutputOpt = None,
) -> None:
    """Per owner or team (or pipeline, source, segment): won, lost, win rate, average won, median sales
    cycle, activities, quota, pacing.

    \b
    Example: salescli report performance --period last-quarter --by team
    """
    _run(ctx, "performance", fmt=fmt, output=output, fail_if=fail_if, chart=chart, build={"by": by},
         period=period, pipeline=pipeline, owner=owner, team=team)


@app.command("velocity")
def velocity(
    ctx: typer.Context,
    period: PeriodOpt = None,
    pipeline: PipelineOpt = None,
    owner: DealOwnerOpt = None,
    team: TeamOpt = None,
    by: Annotated[str | None, by_opt("pipeline, owner, team, source or segment (default: pipeline and owner)")
                  ] = None,
    chart: ChartOpt = False,
    fail_if: FailIfOpt = None,
    fmt: ReportFormatOpt = None,
    output: OutputOpt = None,
) -> None:
    """Pipeline velocity (open deals x win rate x average won / average cycle days) and its four inputs.

    \b
    Example: salescli report velocity --period 2026
    """
    _run(ctx, "velocity", fmt=fmt, output=output, fail_if=fail_if, chart=chart, build={"by": by},
         period=period, pipeline=pipeline, owner=owner, team=team)


@app.command("funnel")
def funnel(
    ctx: typer.Context,
    period: PeriodOpt = None,
    pipeline: PipelineOpt = None,
    owner: DealOwnerOpt = None,
    team: TeamOpt = None,
    by: Annotated[str | None, by_opt("owner, team, source or segment (each group's conversion; one pipeline: "
                                     "choose it with --pipeline)")] = None,
    chart: ChartOpt = False,
    fail_if: FailIfOpt = None,
    fmt: ReportFormatOpt = None,
    output: OutputOpt = None,
) -> None:
    """Stage-to-stage conversion (count and value) and median days in stage, from the stage history.

    \b
    Examples:
      salescli report funnel --period 2026 --chart
      salescli report funnel --period 2026 --by owner -f csv
    """
    _run(ctx, "funnel", fmt=fmt, output=output, fail_if=fail_if, chart=chart, build={"by": by},
         period=period, pipeline=pipeline, owner=owner, team=team)


@app.command("activity")
def activity(
    ctx: typer.Context,
    period: PeriodOpt = None,
    pipeline: PipelineOpt = None,
    owner: OwnerOpt = None,
    team: TeamOpt = None,
    by: Annotated[str | None, by_opt("owner (default), team, or the deal's pipeline or source, or the company's "
                                     "segment")] = None,
    chart: ChartOpt = False,
    fail_if: FailIfOpt = None,
    limit: LimitOpt = None,
    show_all: AllOpt = False,
    fmt: ReportFormatOpt = None,
    output: OutputOpt = None,
) -> None:
    """Activities by owner and kind for the period, and overdue tasks.

    \b
    Example: salescli report activity --period this-month --fail-if "overdue>10"
    """
    _run(ctx, "activity", fmt=fmt, output=output, fail_if=fail_if, chart=chart, build={"by": by},
         table_limit=_limit(limit, show_all), period=period, pipeline=pipeline, owner=owner, team=team)


@app.command("stale")
def stale(
    ctx: typer.Context,
    period: Annotated[str | None, typer.Option(
        "--period", "-p", show_default=False,
        help="Only deals expected to close in this period (or overdue before it): 2026-Q4, this-month, "
             "2026-11… (default: every open deal).")] = "all",
    pipeline: PipelineOpt = None,
    owner: DealOwnerOpt = None,
    team: TeamOpt = None,
    by: Annotated[str | None, by_opt("owner, team, pipeline, source or segment (counts per group)")] = None,
    fail_if: FailIfOpt = None,
    limit: LimitOpt = None,
    show_all: AllOpt = False,
    fmt: ReportFormatOpt = None,
    output: OutputOpt = None,
) -> None:
    """Stale, parked and no-next-step deals, largest first, with the reason for each.

    \b
    Examples:
      salescli report stale --owner dana --fail-if "stale>5"
      salescli report stale --period this-quarter --by owner
    """
    _run(ctx, "stale", fmt=fmt, output=output, fail_if=fail_if, table_limit=_limit(limit, show_all),
         build={"by": by}, period="all" if period is None else period, pipeline=pipeline, owner=owner, team=team)


@app.command("lost-reasons")
def lost_reasons(
    ctx: typer.Context,
    period: PeriodOpt = None,
    pipeline: PipelineOpt = None,
    owner: DealOwnerOpt = None,
    team: TeamOpt = None,
    by: Annotated[str | None, by_opt("owner, team, pipeline, source or segment (each group's reasons)")] = None,
    chart: ChartOpt = False,
    fail_if: FailIfOpt = None,
    fmt: ReportFormatOpt = None,
    output: OutputOpt = None,
) -> None:
    """Deals lost in the period by category and reason (count, value) and the stage they were lost from.

    \b
    Examples:
      salescli report lost-reasons --period ytd
      salescli report lost-reasons --period ytd --by owner -f csv
    """
    _run(ctx, "lost-reasons", fmt=fmt, output=output, fail_if=fail_if, chart=chart, build={"by": by},
         period=period, pipeline=pipeline, owner=owner, team=team)


@app.command("weekly")
def weekly(
    ctx: typer.Context,
    week: Annotated[str | None, typer.Option(
        "--week", help="2026-W48, last-week, this-week, or a date in the week (default: the last complete week).")
    ] = None,
    period: Annotated[str | None, typer.Option("--period", "-p", help="The same as --week.")] = None,
    pipeline: PipelineOpt = None,
    owner: OwnerOpt = None,
    team: TeamOpt = None,
    by: Annotated[str | None, by_opt("owner (default), team, pipeline, source or segment, for the activity "
                                     "section")] = None,
    chart: ChartOpt = False,
    fail_if: FailIfOpt = None,
    limit: LimitOpt = None,
    show_all: AllOpt = False,
    fmt: ReportFormatOpt = None,
    output: OutputOpt = None,
) -> None:
    """The weekly report for cron: what changed, the pipeline, the quarter's forecast against target,
    at-risk deals, overdue tasks, activity per rep.

    \b
    Example (cron, every Monday, then mail the file):
      salescli report weekly -o week.html
    """
    if week is not None and period is not None:
        from salescli.errors import UsageError

        raise UsageError("give the week once: --week or --period")
    _run(ctx, "weekly", fmt=fmt, output=output, fail_if=fail_if, chart=chart, build={"by": by},
         week=(week, "--week") if period is None else (period, "--period"),
         table_limit=_limit(limit, show_all), pipeline=pipeline, owner=owner, team=team)


@app.command("forecast-accuracy")
def forecast_accuracy(
    ctx: typer.Context,
    period: Annotated[str | None, typer.Option(
        "--period", "-p", show_default=False,
        help="Only snapshots of periods overlapping this one (default: all).")] = "all",
    pipeline: PipelineOpt = None,
    owner: OwnerOpt = None,
    team: TeamOpt = None,
    fail_if: FailIfOpt = None,
    fmt: ReportFormatOpt = None,
    output: OutputOpt = None,
) -> None:
    """Past forecast snapshots (salescli forecast snapshot) against what was actually won.

    \b
    Example: salescli report forecast-accuracy --period 2026
    """
    _run(ctx, "forecast-accuracy", fmt=fmt, output=output, fail_if=fail_if,
         period=period, pipeline=pipeline, owner=owner, team=team)
