"""`report weekly`: the cron job's report for one week (default: the last complete week).

- what changed in the week: new deals, deals advanced to a later open stage or moved back (or reopened), close
  dates pushed later (from the change log), won and lost;
- the pipeline by stage as of the week's last day (today if the week is not over);
- the forecast of the fiscal quarter the week ends in, against its target;
- at-risk deals: open deals expected to close by the quarter's end that are stale or lack a next step;
- overdue tasks, and activity per rep (or --by team, pipeline, source or segment) in the week.

A digest: the at-risk deals and overdue tasks list the LIST_ROWS largest (oldest) in every format,
with their full counts in the summary; `report stale` and `report activity` list them all.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import date, timedelta
from typing import Any

from salescli.render import Column
from salescli.services.reports import activity, forecast, pipeline
from salescli.services.reports.common import (
    TARGETED_FIGURES,
    Chart,
    Figure,
    Report,
    ReportContext,
    Section,
    check_by,
    col,
    period_json,
    pipeline_target_note,
    report_targets,
    short,
    uncovered_target_notes,
)
from salescli.services.targets import resolve_target
from salescli.values import Period

METRICS = {
    "new": "deals created in the week", "advanced": "deals moved to a later stage",
    "moved_back": "deals moved back a stage or reopened", "slipped": "close dates pushed",
    "won": "deals won in the week", "lost": "deals lost in the week", "stale": "stale open deals",
    "at_risk": "at-risk deals", "overdue": "overdue tasks", "activities": "activities in the week",
    "attainment": "quarter: won / target", "coverage": "quarter: open / (target - won)", "gap": "quarter: target - won",
    "new_amount": "amount of deals created in the week", "won_amount": "amount won in the week",
    "lost_amount": "amount lost in the week", "open_deals": "open deals", "open_amount": "open amount",
    "weighted": "weighted open amount",
}
LIST_ROWS = 10
BY = activity.BY  # --by groups the activity section


def default_week(today: date, week_start: int) -> Period:
    """The last complete week before today."""
    from salescli.values import week_of

    return week_of(today - timedelta(days=7), week_start)


def parse_week(text: str | None, today: date, settings: dict[str, str], option: str = "--week"
               ) -> tuple[Period, Period]:
    """--week (or --period): a week (2026-W48, last-week) or a day in it; default the last complete week.

    Returns the week and the fiscal quarter it ends in (the forecast's period).
    """
    from salescli.errors import InvalidValue
    from salescli.services.config import period_settings
    from salescli.values import fiscal_quarter, parse_period, week_of

    fiscal_start, week_start, _day_first = period_settings(settings)
    if text is None:
        week = default_week(today, week_start)
    else:
        not_a_week = InvalidValue(option, text, "is not a week (2026-W48, last-week, this-week, or a date in the week)")
        try:
            span = parse_period(text, today, fiscal_start, week_start)
        except InvalidValue:
            raise not_a_week from None
        if span.days == 1:
            span = week_of(span.start, week_start)
        if span.days != 7:
            raise not_a_week
        week = span
    return week, fiscal_quarter(week.end - timedelta(days=1), fiscal_start)


def _events(ctx: ReportContext, week: Period, limit: int | None) -> tuple[Iterator[dict[str, Any]], dict[str, int],
                                                                     dict[str, Any]]:
    from salescli.values import minor_to_decimal

    start, end = week.start.isoformat(), min(week.end.isoformat(), ctx.upto)  # (a week not over yet: to today)
    counts = {"new": 0, "advanced": 0, "moved_back": 0, "slipped": 0, "won": 0, "lost": 0}
    amounts: dict[str, dict[str, int]] = {"new": {}, "won": {}, "lost": {}}
    for r in ctx.repo.week_event_totals(ctx.filter, start=start, end=end, upto=ctx.upto):
        counts[r["event"]] += r["n"]
        if r["event"] in amounts:
            amounts[r["event"]][r["currency"]] = r["amount"]
    money = {f"{k}_amount": ctx.to_base(v) for k, v in amounts.items()}

    def rows() -> Iterator[dict[str, Any]]:
        for r in ctx.repo.week_events(ctx.filter, start=start, end=end, limit=limit, upto=ctx.upto):
            event = r["event"]
            detail = brief = ""
            if event in ("advanced", "moved_back"):
                detail, brief = f"{r['detail_from']} → {r['detail_to']}", f"→ {r['detail_to']}"
            elif event == "slipped":
                detail, brief = f"close {r['detail_from']} → {r['detail_to']}", f"close → {r['detail_to']}"
            elif event == "lost" and r["detail_from"]:
                detail = brief = str(r["detail_from"])
            yield {
                "day": r["day"], "event": event, "deal_id": r["deal_id"], "title": r["title"], "owner": r["owner"],
                "amount": None if r["amount_minor"] is None else minor_to_decimal(r["amount_minor"], r["currency"]),
                "currency": r["currency"], "detail": detail, "brief": brief,  # brief: the table's (not in json)
            }

    return rows(), counts, money


def _shown(total: int, which: str) -> str:
    return f" ({which} {LIST_ROWS} of {total:,})" if total > LIST_ROWS else ""


def build(ctx: ReportContext, week: Period, by: str | None = None, list_limit: int | None = None) -> Report:
    """list_limit: read only the first changes of the week (a table shows no more); by: the activity
    section's groups (BY, default owner)."""
    given = by
    by = check_by(by, BY, "owner")
    assert by is not None
    repo = ctx.repo
    rows, counts, money = _events(ctx, week, list_limit)
    last_day = week.end - timedelta(days=1)
    # The pipeline and the forecast as they stand now when the week ended within the last 7 days (the cron
    # case: staleness is known); for an older week, as they stood on its last day (stage history).
    snap = replace(ctx, as_of=ctx.today if (ctx.today - last_day).days <= 7 else last_day)
    pipe_rows = repo.open_pipeline(snap.filter, "stage", start=snap.start, end=snap.end,
                                   day=snap.as_of.isoformat(), as_of=snap.as_of_sql, stale_days=snap.stale_days,
                                   upto=snap.upto)
    stage_rows = pipeline.stage_rows(snap, pipe_rows)
    pipe_totals = pipeline._figures(snap, pipe_rows)
    stages = {s["id"]: s for s in repo.stage_table()}
    rates = forecast.stage_rates(snap)
    won_end = snap.events_end
    open_rows = repo.open_forecast(snap.filter, "all", start=snap.start, end=snap.end, as_of=snap.as_of_sql,
                                   upto=snap.upto)
    won_rows = [r for r in repo.closed_in_period(snap.filter, "all", start=snap.start, end=won_end, upto=snap.upto)
                if r["won"]]
    target = resolve_target(repo, "won_amount", snap.period, snap.scope, report_targets(snap, "won_amount"))
    fc = forecast.figures(snap, open_rows, won_rows, stages, rates, target)
    act_ctx = replace(ctx, period=week)
    act_rows, act_totals = activity.activity_rows(act_ctx, by, week.start.isoformat(), act_ctx.events_end)
    act_rows = [r for r in act_rows if r["total"]]  # a group with only overdue tasks: no column for them here
    today = ctx.today.isoformat()
    at_risk_total = repo.at_risk_count(ctx.filter, today=today, stale_days=ctx.stale_days, end=snap.end)
    overdue_total = act_totals["overdue"]

    def at_risk() -> Any:
        from salescli.values import minor_to_decimal

        for r in repo.at_risk_deals(ctx.filter, today=today, stale_days=ctx.stale_days, end=snap.end,
                                    scale=ctx.fx_scale(), limit=LIST_ROWS):
            why = [w for w, on in (("stale", r["is_stale"]), ("no next step", r["no_next_step"])) if on]
            yield {"id": r["id"], "title": r["title"], "owner": r["owner"], "stage": r["stage"],
                   "amount": None if r["amount_minor"] is None else minor_to_decimal(r["amount_minor"], r["currency"]),
                   "currency": r["currency"], "forecast_category": r["forecast_category"],
                   "expected_close": r["expected_close"], "why": ", ".join(why)}

    past = snap.as_of != ctx.today  # an older week: its pipeline and forecast, but today's risks and tasks
    on_day = f" on {snap.as_of.isoformat()}" if past else ""
    now = " (today)" if past else ""
    summary = {
        "week": period_json(week),
        "figures_as_of": snap.as_of.isoformat(),
        **counts, **money,
        "open_deals": pipe_totals["deals"], "open_amount": pipe_totals["amount"], "weighted": pipe_totals["weighted"],
        "stale": pipe_totals["stale"],
        "forecast": {"period": period_json(snap.period), **fc},
        "at_risk": at_risk_total, "overdue": overdue_total, "activities": act_totals["total"],
        "currency": ctx.base,
    }
    forecast_rows = [
        {"figure": "closed won", "value": fc["won"], "kind": "money"},
        {"figure": "commit", "value": fc["commit"], "kind": "money"},
        {"figure": "best case", "value": fc["best_case"], "kind": "money"},
        {"figure": "pipeline", "value": fc["pipeline"], "kind": "money"},
        {"figure": "weighted", "value": fc["weighted"], "kind": "money"},
        {"figure": "weighted (history)", "value": fc["historical"], "kind": "money"},
        {"figure": "target", "value": fc["target"], "kind": "money"},
        {"figure": "attainment", "value": fc["attainment"], "kind": "rate"},
        {"figure": "gap to target", "value": fc["gap"], "kind": "gap"},
        {"figure": "pipeline coverage", "value": fc["coverage"], "kind": "ratio"},
    ]
    from salescli.services.reports.common import CELLS

    for r in forecast_rows:
        r["text"] = CELLS[r["kind"]](r["value"], None) if r["value"] is not None else "–"
    money_cols = [col("amount", "amount", "priced"), col("currency", in_table=False)]
    sections = [
        Section("changes", f"What changed in {week.label}", [
            Column("day", show=lambda v, r: str(v or "")[5:]), col("event"), col("deal_id", "deal", "id"),
            short("title"), Column("owner", drop=1), *money_cols,
            Column("detail", show=lambda v, r: r["brief"], wrap=True)], rows, empty="no changes this week",
            total=sum(counts.values()), table_limit=30),
        Section("pipeline", f"Pipeline by stage on {snap.as_of.isoformat()} ({ctx.base})", [
            col("stage"), col("deals", "deals", "count"), col("amount", "amount", "money"),
            col("weighted", "weighted", "money"), col("stale", "stale", "count")], stage_rows,
            empty="no open deals", footer={"stage": "Total", **pipe_totals}, limited=False),
        Section("forecast", f"Forecast {snap.period.label}{on_day} ({ctx.base})",
                [col("figure"), col("value", in_table=False), Column("text", "value", justify="right")],
                forecast_rows, in_json=False, limited=False),
        Section("at_risk", f"At-risk deals{now} closing by {(snap.period.end - timedelta(days=1)).isoformat()}"
                + _shown(at_risk_total, "largest"), [
            col("id", "id", "id"), short("title"), col("owner"), col("stage", in_table=False), *money_cols,
            col("forecast_category", "forecast", in_table=False), col("expected_close", "close"), col("why")],
            at_risk(), empty="no deal at risk", table_limit=LIST_ROWS),
        replace(activity.overdue_section(ctx, LIST_ROWS), title=f"Overdue tasks{now}" + _shown(overdue_total, "oldest"),
                total=None),
        Section("activity", f"Activity per {'rep' if by == 'owner' else by} in {week.label}", [
            col(by), *(col(k, k, "count") for k in activity.KINDS), col("total", "total", "count")],
            act_rows, empty="no activity this week", footer={by: "Total", **act_totals}, limited=False),
    ]
    title = f"Weekly report {week.label} ({week.start.isoformat()} to {last_day.isoformat()})"
    if ctx.scope_label():
        title += f" — {ctx.scope_label()}"
    report = Report(
        name="weekly",
        title=title,
        meta=ctx.meta("weekly", given and by),
        summary=summary,
        figures=[
            Figure("new", "new deals"), Figure("advanced", "advanced"), Figure("moved_back", "moved back"),
            Figure("slipped", "close dates pushed"),
            Figure("won", "won"), Figure("won_amount", "won amount", "money"), Figure("lost", "lost"),
            Figure("open_deals", "open deals"), Figure("open_amount", "open amount", "money"),
            Figure("stale", "stale"), Figure("at_risk", "at risk"), Figure("overdue", "overdue tasks"),
            Figure("activities", "activities"),
        ],
        sections=sections,
        charts=[
            Chart(f"Pipeline by stage ({ctx.base})", ctx.base, [(r["stage"], float(r["amount"])) for r in stage_rows]),
            Chart(f"Forecast {snap.period.label}{on_day} ({ctx.base})", ctx.base, [
                (label, float(fc[key])) for label, key in (("closed won", "won"), ("commit", "commit"),
                                                           ("best case", "best_case"), ("pipeline", "pipeline"))]
                + ([("target", float(fc["target"]))] if fc["target"] is not None else [])),
            Chart(f"Activities per {'rep' if by == 'owner' else by}, {week.label}", "activities",
                  [(str(r[by]), float(r["total"])) for r in act_rows], kind="count"),
        ],
        metrics={**counts, "stale": pipe_totals["stale"], "at_risk": at_risk_total, "overdue": overdue_total,
                 "activities": act_totals["total"], "attainment": fc["attainment"], "coverage": fc["coverage"],
                 "gap": fc["gap"]},
        csv_section="changes",
    )
    report.meta["week"] = period_json(week)
    report.meta["period"] = period_json(snap.period)
    if fc["target"] is not None:  # the quarter's target set for some owners only: whose wins it counts
        report.notes += uncovered_target_notes(snap, fc, report_targets(snap, "won_amount"),
                                               repo.teams(), TARGETED_FIGURES[:1], end=won_end)
    report.notes += pipeline_target_note(snap)
    if past:
        report.notes.append(f"an earlier week: the pipeline and forecast are as they stood on {snap.as_of.isoformat()}"
                            " (from the stage history; amounts and close dates are today's); the at-risk deals and"
                            f" overdue tasks are today's ({ctx.today.isoformat()})")
    return report.finish(ctx)
