"""`report forecast`: what the period will bring, by forecast category, against the target.

- closed won: deals won in the period (won date), in the base currency;
- commit, best case, pipeline, omitted: open deals expected to close in the period, by category
  (disjoint sums); forecast = won + commit, best-case forecast = won + commit + best case;
- weighted: open deals closing in the period, amount x their probability (open deals only);
- historical: the same deals weighted by the empirical win rate of their stage — of the deals that
  entered the stage and have since closed, the share that was won (stage history); a stage with fewer
  than MIN_HISTORY closed deals keeps the configured weighting (each deal's own probability, else
  the stage's): one won deal is no 100 % win rate;
- target (won_amount), attainment = won / target, gap = target - won (positive: short),
  coverage = open pipeline closing in the period / (target - won) (none when the target is met).

--by owner|team|month|pipeline|source|segment splits every figure; targets are found per owner, team
or month (a pipeline, source or segment has none).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from salescli.repository.base import Row
from salescli.services.pipeline import default_forecast_category
from salescli.services.reports.common import (
    ALL_TIME,
    STAGE_WIDTH,
    TARGETED,
    TARGETED_FIGURES,
    Chart,
    Figure,
    Report,
    ReportContext,
    Section,
    check_by,
    col,
    group_label,
    grouped,
    per_currency,
    pipeline_target_note,
    ratio,
    report_targets,
    stage_lookup,
    target_rollup_note,
    target_units,
    uncovered_target_notes,
)
from salescli.services.targets import Scope, resolve_target
from salescli.values import Period, add_months

BY = ("owner", "team", "month", "pipeline", "source", "segment")
CATEGORIES = ("commit", "best_case", "pipeline", "omitted")
METRICS = {
    "won": "closed won amount", "won_amount": "closed won amount", "commit": "commit amount",
    "best_case": "best case amount",
    "pipeline": "pipeline-category amount", "omitted": "omitted amount", "weighted": "weighted amount",
    "historical": "weighted by empirical win rates", "open": "open pipeline closing in the period",
    "target": "target", "attainment": "won / target", "gap": "target - won", "coverage": "open / (target - won)",
    "forecast": "won + commit", "won_deals": "deals won", "best_case_forecast": "won + commit + best case",
    "open_deals": "open deals closing in the period", "commit_deals": "commit deals",
    "best_case_deals": "best case deals", "pipeline_deals": "pipeline-category deals", "omitted_deals": "omitted deals",
}
RATE_SCALE = 1_000_000  # historical weighting keeps 6 decimals of a minor unit before rounding
MIN_HISTORY = 5  # closed deals through a stage before its win rate weighs the historical forecast


@dataclass
class StageRate:
    closed: int
    won: int

    @property
    def rate(self) -> Decimal | None:
        return ratio(self.won, self.closed) if self.closed else None

    @property
    def enough(self) -> bool:
        """Whether enough deals have closed through the stage for its win rate to mean something."""
        return self.closed >= MIN_HISTORY


def stage_rates(ctx: ReportContext) -> dict[int, StageRate]:
    """Empirical win rate per open stage, from the stage history of closed deals (up to the as-of day)."""
    rows = ctx.repo.stage_outcomes(ctx.filter.pipeline_id, ctx.as_of.isoformat())
    return {r["stage_id"]: StageRate(r["closed"], r["won"]) for r in rows}


def _historical_minor(rows: list[Row], stages: dict[int, Row], rates: dict[int, StageRate]) -> dict[str, int]:
    """Per currency: sum of amount x empirical win rate, in millionths of a minor unit."""
    out: dict[str, int] = defaultdict(int)
    for r in rows:
        rate = rates.get(r["stage_id"])
        amount = int(r["amount"] or 0)
        if rate is not None and rate.enough:
            out[r["currency"]] += amount * rate.won * RATE_SCALE // rate.closed
        else:  # too little history yet: the configured weighting (the deal's own probability, else the stage's)
            out[r["currency"]] += int(r["weighted100"] or 0) * RATE_SCALE // 100
    return dict(out)


def figures(ctx: ReportContext, open_rows: list[Row], won_rows: list[Row], stages: dict[int, Row],
            rates: dict[int, StageRate], target: Decimal | None) -> dict[str, Any]:
    """Every forecast figure of one group (or of the whole scope)."""
    by_cat: dict[str, dict[str, int]] = {c: defaultdict(int) for c in CATEGORIES}
    deals_by_cat: dict[str, int] = defaultdict(int)
    for r in open_rows:
        cat = r["category"] or default_forecast_category(int(stages[r["stage_id"]]["probability"]))
        if cat not in by_cat:
            cat = "pipeline"
        by_cat[cat][r["currency"]] += int(r["amount"] or 0)
        deals_by_cat[cat] += r["deals"]
    won = ctx.to_base(per_currency(won_rows, "won_amount"))
    cats = {c: ctx.to_base(dict(by_cat[c])) for c in CATEGORIES}
    open_amount = ctx.to_base(per_currency(open_rows, "amount"))
    target_money = None if target is None else _target_money(ctx, target)
    gap = None if target_money is None else target_money - won
    return {
        "won": won,
        "won_amount": won,  # (the name the other reports give it; "won" is kept for scripts that read it)
        "won_deals": sum(r["won"] or 0 for r in won_rows),
        **cats,
        "open": open_amount,
        "open_deals": sum(r["deals"] for r in open_rows),
        **{f"{c}_deals": deals_by_cat[c] for c in CATEGORIES},
        "weighted": ctx.to_base(per_currency(open_rows, "weighted100"), 100),
        "historical": ctx.to_base(_historical_minor(open_rows, stages, rates), RATE_SCALE),
        "forecast": won + cats["commit"],
        "best_case_forecast": won + cats["commit"] + cats["best_case"],
        "target": target_money,
        "attainment": ratio(won, target_money) if target_money else None,
        "gap": gap,
        "coverage": ratio(open_amount, gap, 2) if gap is not None and gap > 0 else None,
    }


def _target_money(ctx: ReportContext, minor: Decimal) -> Decimal:
    from salescli.values import minor_to_decimal

    return minor_to_decimal(int(minor), ctx.base)


def months_of(period: Period) -> list[Period]:
    out = []
    start = date(period.start.year, period.start.month, 1)
    while start < period.end:
        nxt = add_months(start, 1)
        out.append(Period(max(start, period.start), min(nxt, period.end), f"{start.year}-{start.month:02d}"))
        start = nxt
    return out


def build(ctx: ReportContext, by: str | None = None) -> Report:
    by = check_by(by, BY, None)
    repo = ctx.repo
    stages = stage_lookup(ctx)
    rates = stage_rates(ctx)
    won_end = ctx.events_end
    group = "all" if by in (None, "month") else by
    month = by == "month"
    open_rows = repo.open_forecast(ctx.filter, group, start=ctx.start, end=ctx.end, as_of=ctx.as_of_sql,
                                   month=month, upto=ctx.upto)
    won_rows = [r for r in repo.closed_in_period(ctx.filter, group, start=ctx.start, end=won_end, month=month,
                                                     upto=ctx.upto)
                if r["won"]]
    target_rows = report_targets(ctx, "won_amount")
    teams = repo.teams()
    total_target = resolve_target(repo, "won_amount", ctx.period, ctx.scope, target_rows, teams)
    totals = figures(ctx, open_rows, won_rows, stages, rates, total_target)

    sections: list[Section] = []
    if by is not None:
        sections.append(_by_section(ctx, by, open_rows, won_rows, stages, rates, target_rows, teams, totals))
    sections.append(_stage_section(ctx, open_rows, stages, rates))
    cats = [("closed won", totals["won"]), ("commit", totals["commit"]), ("best case", totals["best_case"]),
            ("pipeline", totals["pipeline"]), ("omitted", totals["omitted"])]
    if totals["target"] is not None:
        cats.append(("target", totals["target"]))
    scope = ctx.scope_label()
    report = Report(
        name="forecast",
        title=f"Forecast {ctx.period.label}" + (f" — by {by}" if by else "") + (f" ({scope})" if scope else ""),
        meta=ctx.meta("forecast", by),
        summary={**totals, "currency": ctx.base},
        figures=[
            Figure("won", "closed won", "money"), Figure("commit", "commit", "money"),
            Figure("best_case", "best case", "money"), Figure("pipeline", "pipeline", "money"),
            Figure("omitted", "omitted", "money"), Figure("weighted", "weighted", "money"),
            Figure("historical", "weighted (history)", "money"), Figure("forecast", "won + commit", "money"),
            Figure("target", "target", "money"), Figure("attainment", "attainment", "rate"),
            Figure("gap", "gap to target", "gap"), Figure("coverage", "pipeline coverage", "ratio"),
        ],
        sections=sections,
        charts=[Chart(f"Forecast categories {ctx.period.label} ({ctx.base})", ctx.base,
                      [(label, float(value)) for label, value in cats])],
        metrics={k: totals[k] for k in METRICS},
        csv_section="groups" if by else "stages",
    )
    if by is not None:
        note = target_rollup_note(by, list(sections[0].rows), totals["target"], ctx.base)
        if note:
            report.notes.append(note)
    report.notes.extend(uncovered_target_notes(ctx, totals, target_rows, teams, TARGETED_FIGURES[:1], end=won_end))
    report.notes.extend(pipeline_target_note(ctx))
    if ctx.period != ALL_TIME and ctx.period.start <= ctx.as_of < ctx.period.end and not ctx.as_of_sql:
        late = repo.open_closing_before(ctx.filter, ctx.start)  # still open, their close date gone: no period's
        if late:
            from salescli.services.money import convert_totals
            from salescli.values import currency_decimals

            n = sum(r["deals"] for r in late)
            # (not ctx.to_base: these deals are in none of the report's figures, nor their currencies)
            amount, unpriced = convert_totals({r["currency"]: r["amount"] for r in late}, ctx.base, ctx.rates)
            priced = any(r["currency"] not in unpriced for r in late)
            shown = (f"{amount:,.{currency_decimals(ctx.base)}f} {ctx.base}" if priced else "") + (
                f"{' + ' if priced else 'in '}{'/'.join(unpriced)} without a rate" if unpriced else "")
            report.notes.append(f"{n:,} open deal{'s' if n != 1 else ''} ({shown}) closing"
                                f" before {ctx.period.label} {'is' if n == 1 else 'are'} in no forecast: give"
                                f" {'it a' if n == 1 else 'them'} new close date{'s' if n != 1 else ''}"
                                " (salescli report stale)")
    if not ctx.as_of_sql:
        undated = repo.open_without_close(ctx.filter)
        if undated:
            report.notes.append(f"{undated:,} open deal{'s' if undated != 1 else ''} without a close date"
                                f" {'is' if undated == 1 else 'are'} in no period's forecast (salescli report stale"
                                " lists every open deal)")
    if ctx.historical:
        report.notes.append(f"as of {ctx.as_of.isoformat()} from the stage history: current amounts and close dates;"
                            " a deal in another stage since weighs that stage's probability")
    no_history = sorted({stages[r["stage_id"]]["name"] for r in open_rows
                         if not (rates.get(r["stage_id"]) and rates[r["stage_id"]].enough)})
    if no_history:
        report.notes.append(f"fewer than {MIN_HISTORY} closed deals have been through " + ", ".join(no_history)
                            + " yet: the historical forecast uses the configured probabilities there")
    return report.finish(ctx)


def _stage_section(ctx: ReportContext, open_rows: list[Row], stages: dict[int, Row],
                   rates: dict[int, StageRate]) -> Section:
    rows = []
    by_stage = grouped(open_rows, "stage_id")
    for sid, stage in stages.items():
        if sid not in by_stage:
            continue
        mine = by_stage[sid]
        rate = rates.get(sid)
        amount = ctx.to_base(per_currency(mine, "amount"))
        weighted = ctx.to_base(per_currency(mine, "weighted100"), 100)
        exact_amount = ctx.to_base(per_currency(mine, "amount"), exact=True)
        exact_weighted = ctx.to_base(per_currency(mine, "weighted100"), 100, exact=True)
        rows.append({
            "stage": stage["name"],
            "pipeline": stage["pipeline"],
            "deals": sum(r["deals"] for r in mine),
            "amount": amount,
            # the configured weighting of these deals: the stage's probability unless deals set their own
            # (a ratio of the unrounded sums: ¥333 at 10% is 2.23 and 0.22 rounded, 0.0987 of each other)
            "probability": (ratio(exact_weighted, exact_amount) if exact_amount
                            else ratio(stage["probability"], 100)),
            "win_rate": rate.rate if rate else None,
            "closed_deals": rate.closed if rate else 0,
            "weighted": weighted,
            "historical": ctx.to_base(_historical_minor(mine, stages, rates), RATE_SCALE),
        })
    columns = [
        col("stage", comfortable=STAGE_WIDTH), col("pipeline", in_table=False), col("deals", "deals", "count"),
        col("amount", "amount", "money"), col("probability", "prob", "rate"),
        col("win_rate", "hist. win", "rate", drop=2), col("closed_deals", "of n", "count", drop=1),
        col("weighted", "weighted", "money"), col("historical", "weighted hist.", "money"),
    ]
    closing = "Open deals" if ctx.period == ALL_TIME else f"Open deals closing in {ctx.period.label}"
    return Section("stages", f"{closing}: configured vs historical weighting",
                   columns, rows, empty="no open deals expected to close in the period")


def _by_section(ctx: ReportContext, by: str, open_rows: list[Row], won_rows: list[Row], stages: dict[int, Row],
                rates: dict[int, StageRate], target_rows: list[Row], teams: dict[str, str | None],
                totals: dict[str, Any]) -> Section:
    repo = ctx.repo
    open_g = grouped(open_rows)
    won_g = grouped(won_rows)
    name = "pipeline_name" if by == "pipeline" else by  # "pipeline" is the pipeline category's amount
    rows: list[dict[str, Any]] = []
    if by == "month":
        for month in months_of(ctx.period):
            target = resolve_target(repo, "won_amount", month, ctx.scope, target_rows, teams)
            if ctx.period == ALL_TIME and target is None and month.label not in open_g and month.label not in won_g:
                continue  # all dates: the months something happens in, not 1900-01 to 2200-12
            rows.append({"month": month.label, **figures(ctx, open_g.get(month.label, []),
                                                          won_g.get(month.label, []), stages, rates, target)})
    else:
        keys = set(open_g) | set(won_g)
        if by in TARGETED:
            keys |= target_units(by, target_rows, teams, ctx.scope)
        for key in keys:
            target = None
            if by in TARGETED and (key or by == "team"):
                unit = Scope(owner=key) if by == "owner" else Scope(team=key) if key else Scope(no_team=True)
                target = resolve_target(repo, "won_amount", ctx.period, unit, target_rows, teams)
            rows.append({name: group_label(by, key, ctx), **figures(ctx, open_g.get(key, []), won_g.get(key, []),
                                                               stages, rates, target)})
        rows.sort(key=lambda r: (-(r["won"] + r["open"]), r[name]))
    columns = [
        col(name, by), col("won", "won", "money"), col("won_deals", "won n", "count", in_table=False),
        col("commit", "commit", "money"), col("best_case", "best case", "money"),
        col("pipeline", "pipeline", "money", in_table=False), col("omitted", "omitted", "money", in_table=False),
        col("open", "open", "money", in_table=False), col("weighted", "weighted", "money"),
        col("historical", "historical", "money", in_table=False), col("forecast", "forecast", "money", in_table=False),
        col("target", "target", "money"), col("attainment", "attain.", "rate"),
        col("gap", "gap", "gap", in_table=False), col("coverage", "cover", "ratio"),
        # the summary's other keys, as docs/reports.md promises (after the first ones: CSV columns keep their places)
        col("won_amount", "won amount", "money", in_table=False), col("open_deals", "open n", "count", in_table=False),
        *(col(f"{c}_deals", f"{c} n", "count", in_table=False) for c in CATEGORIES),
        col("best_case_forecast", "best-case forecast", "money", in_table=False),
    ]
    return Section("groups", f"Forecast by {by} ({ctx.base})", columns, rows, empty="nothing in the period",
                   footer={name: "Total", **totals})
