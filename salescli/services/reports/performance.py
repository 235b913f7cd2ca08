"""`report performance`: per owner (or team, pipeline, source, segment) for the period.

won count and amount, lost count, win rate = won / (won + lost) of deals closed in the period,
average won amount (a won deal without an amount counts as 0), median sales cycle (days from
creation to won), activities by kind (logged in the period; tasks when done), quota attainment =
won amount / won_amount target, and pacing = won amount / the part of the target a linear pace
expects by the report's day (1.0 = on pace; each target spread evenly over its own days, so a
September target expects nothing in August). Targets are set per owner or team: a pipeline, source
or segment has none; its activities are those of its deals (a segment's, of its companies too).
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from salescli.repository.base import Row
from salescli.services.money import quantize
from salescli.services.reports.common import (
    ALL_TIME,
    TARGETED,
    TARGETED_FIGURES,
    Figure,
    Report,
    ReportContext,
    Section,
    check_by,
    col,
    days,
    group_label,
    grouped,
    per_currency,
    pipeline_target_note,
    ratio,
    report_targets,
    target_rollup_note,
    target_units,
    uncovered_target_notes,
)
from salescli.services.targets import Scope, count_shown, resolve_target

BY = ("owner", "team", "pipeline", "source", "segment")
KINDS = ("call", "email", "meeting", "note", "task")
METRICS = {
    "won": "deals won", "won_amount": "won amount", "lost": "deals lost", "win_rate": "won / (won + lost)",
    "avg_won": "average won amount", "median_cycle_days": "median days to win", "activities": "activities",
    "attainment": "won amount / target", "pacing": "won amount / target expected by now",
    "lost_amount": "lost amount", "target": "won amount target", "expected_to_date": "target expected by now",
    "call": "calls", "email": "e-mails", "meeting": "meetings", "note": "notes", "task": "tasks done",
    "deals_won_target": "deals won target", "deals_won_attainment": "deals won / target",
    "activities_target": "activities target", "activities_attainment": "activities / target",
}


def figures(ctx: ReportContext, closed: list[Row], acts: list[Row], median: float | None,
            targets: dict[str, Decimal | None]) -> dict[str, Any]:
    from salescli.values import minor_to_decimal

    won = sum(r["won"] or 0 for r in closed)
    lost = sum(r["lost"] or 0 for r in closed)
    won_amount = ctx.to_base(per_currency(closed, "won_amount"))
    priced = ctx.priced(closed, "won_with_amount")  # won deals whose amount is in won_amount (a rate known)
    kinds = {k: sum(r["n"] for r in acts if r["kind"] == k) for k in KINDS}
    target = targets.get("won_amount")
    target_money = None if target is None else minor_to_decimal(int(target), ctx.base)
    expected = targets.get("expected")  # (all dates: no share of the period has passed, no pacing)
    expected_money = None if expected is None else minor_to_decimal(int(expected), ctx.base)
    deals_target = targets.get("deals_won")
    acts_target = targets.get("activities")
    total_acts = sum(kinds.values())
    return {
        "won": won,
        "won_amount": won_amount,
        "lost": lost,
        "lost_amount": ctx.to_base(per_currency(closed, "lost_amount")),
        "win_rate": ratio(won, won + lost),
        "avg_won": quantize(won_amount / priced, ctx.base) if priced else None,  # (the base currency's decimals)
        "median_cycle_days": days(median),
        "activities": total_acts,
        **kinds,
        "target": target_money,
        "attainment": ratio(won_amount, target_money) if target_money else None,
        "expected_to_date": expected_money,
        "pacing": ratio(won_amount, expected_money) if expected_money else None,
        "deals_won_target": count_shown(deals_target) if deals_target is not None else None,  # (may be 0.75)
        "deals_won_attainment": ratio(won, deals_target) if deals_target else None,
        "activities_target": count_shown(acts_target) if acts_target is not None else None,
        "activities_attainment": ratio(total_acts, acts_target) if acts_target else None,
    }


def _targets(ctx: ReportContext, scope: Scope, rows: list[Row], teams: dict[str, str | None]
             ) -> dict[str, Decimal | None]:
    targets = {m: resolve_target(ctx.repo, m, ctx.period, scope, rows, teams, exact=True)  # (counts unrounded: an
               for m in ("won_amount", "deals_won", "activities")}  # attainment divides by the exact part)
    if ctx.period != ALL_TIME:  # what the won amount target expects by the end of the report's day
        targets["expected"] = resolve_target(ctx.repo, "won_amount", ctx.period, scope, rows, teams,
                                             upto=ctx.as_of + timedelta(days=1))
    return targets


def build(ctx: ReportContext, by: str | None = None) -> Report:
    by = check_by(by, BY, "owner")
    assert by is not None
    repo = ctx.repo
    f = ctx.filter
    end = ctx.events_end
    closed = repo.closed_in_period(f, by, start=ctx.start, end=end, upto=ctx.upto)
    medians = repo.median_cycle(f, by, start=ctx.start, end=end, upto=ctx.upto)
    overall_median = repo.median_cycle(f, "all", start=ctx.start, end=end, upto=ctx.upto).get("")
    acts = repo.activity_counts(f, by, start=ctx.start, end=end)
    target_rows = report_targets(ctx)
    teams = repo.teams()
    closed_g, acts_g = grouped(closed), grouped(acts)
    keys = set(closed_g) | set(acts_g)
    if by in TARGETED:
        keys |= target_units(by, target_rows, teams, ctx.scope)
    rows = []
    for key in keys:
        targets: dict[str, Decimal | None] = {}
        if by in TARGETED and (key or by == "team"):
            unit = Scope(owner=key) if by == "owner" else Scope(team=key) if key else Scope(no_team=True)
            targets = _targets(ctx, unit, target_rows, teams)
        rows.append({by: group_label(by, key, ctx),
                     **figures(ctx, closed_g.get(key, []), acts_g.get(key, []), medians.get(key), targets)})
    rows.sort(key=lambda r: (-r["won_amount"], -r["won"], r[by]))
    totals = figures(ctx, closed, acts, overall_median, _targets(ctx, ctx.scope, target_rows, teams))
    columns = [
        col(by), col("won", "won", "count"), col("won_amount", "won amt", "money"), col("lost", "lost", "count"),
        col("lost_amount", "lost amount", "money", in_table=False),
        col("win_rate", "win %", "rate"), col("avg_won", "avg won", "money", in_table=False),
        col("median_cycle_days", "cycle d", "days"), col("activities", "acts", "count"),
        *(col(k, k, "count", in_table=False) for k in KINDS),
        col("target", "target", "money", in_table=False), col("attainment", "quota", "rate"),
        col("expected_to_date", "expected to date", "money", in_table=False), col("pacing", "pace", "rate"),
        col("deals_won_target", in_table=False), col("deals_won_attainment", in_table=False),
        col("activities_target", in_table=False), col("activities_attainment", in_table=False),
    ]
    footer = {by: "Total", **totals}
    scope = ctx.scope_label()
    report = Report(
        name="performance",
        title=f"Performance {ctx.period.label} by {by}" + (f" ({scope})" if scope else ""),
        meta=ctx.meta("performance", by),
        summary={**totals, "currency": ctx.base},
        figures=[
            Figure("won", "deals won"), Figure("won_amount", "won amount", "money"), Figure("lost", "deals lost"),
            Figure("win_rate", "win rate", "rate"), Figure("avg_won", "average won", "money"),
            Figure("median_cycle_days", "median cycle (days)", "days"), Figure("activities", "activities"),
            Figure("target", "target", "money"), Figure("attainment", "quota attainment", "rate"),
            Figure("pacing", "pacing vs linear target", "rate"),
        ],
        sections=[Section("rows", f"By {by} ({ctx.base}; win % of deals closed in {ctx.period.label})", columns,
                          rows, empty="no deals closed and no activity in the period", footer=footer)],
        metrics={k: totals[k] for k in METRICS},
        csv_section="rows",
    )
    from salescli.services.reports.common import Chart

    report.charts.append(Chart(f"Won amount by {by} ({ctx.base})", ctx.base,
                               [(str(r[by]), float(r["won_amount"])) for r in rows]))
    note = target_rollup_note(by, rows, totals["target"], ctx.base)
    if note:
        report.notes.append(note)
    report.notes.extend(uncovered_target_notes(ctx, totals, target_rows, teams, TARGETED_FIGURES))
    report.notes.extend(pipeline_target_note(ctx))
    return report.finish(ctx)
