"""`report pipeline`: the open pipeline per stage (or owner, team, pipeline, source, segment).

Per group: open deals, amount, weighted amount (amount x probability), the amount expected to close
in the period, average age (days since creation), and how many are stale. As of a past day
(--as-of) the open deals and their stages come from the stage history; staleness is not known then.
"""

from __future__ import annotations

from typing import Any

from salescli.repository.base import Row
from salescli.services.reports.common import (
    ALL_TIME,
    STAGE_WIDTH,
    Chart,
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
    stage_lookup,
)

BY = ("stage", "owner", "team", "pipeline", "source", "segment")
METRICS = {
    "deals": "open deals",
    "amount": "open amount (base currency)",
    "weighted": "weighted amount",
    "closing": "amount expected to close in the period",
    "stale": "stale open deals",
    "parked": "parked deals",
    "no_next_step": "open deals without a next step",
    "closing_deals": "open deals expected to close in the period", "avg_age_days": "average age of open deals (days)",
    "without_amount": "open deals without an amount",
}


def _figures(ctx: ReportContext, rows: list[Row]) -> dict[str, Any]:
    deals = sum(r["deals"] for r in rows)
    age = sum(r["age_days"] or 0 for r in rows)
    stale_known = not ctx.historical
    return {
        "deals": deals,
        "amount": ctx.to_base(per_currency(rows, "amount")),
        "weighted": ctx.to_base(per_currency(rows, "weighted100"), 100),
        "closing": ctx.to_base(per_currency(rows, "closing")),
        "closing_deals": sum(r["closing_deals"] or 0 for r in rows),
        "avg_age_days": days(age / deals) if deals else None,
        "stale": sum(r["stale"] or 0 for r in rows) if stale_known else None,
        "parked": sum(r["parked"] or 0 for r in rows) if stale_known else None,
        "no_next_step": sum(r["no_next_step"] or 0 for r in rows) if stale_known else None,
        "without_amount": deals - sum(r["with_amount"] for r in rows),
    }


def stage_rows(ctx: ReportContext, rows: list[Row]) -> list[dict[str, Any]]:
    """One row per open stage of the pipelines in view (empty stages too), in pipeline order."""
    stages = stage_lookup(ctx)
    by_stage = grouped(rows)
    pipelines = {stages[sid]["pipeline_id"] for sid in by_stage if sid in stages}
    if ctx.filter.pipeline_id is not None:
        pipelines = {ctx.filter.pipeline_id}
    if not pipelines:
        default = next((s["pipeline_id"] for s in stages.values() if s["is_default"]), None)
        pipelines = {default} if default is not None else set()
    out = []
    for sid, stage in stages.items():
        if stage["pipeline_id"] not in pipelines or (stage["kind"] != "open" and sid not in by_stage):
            continue
        out.append({"stage": stage["name"], "pipeline": stage["pipeline"], "probability": stage["probability"],
                    **_figures(ctx, by_stage.get(sid, []))})
    return out


def build(ctx: ReportContext, by: str | None = None) -> Report:
    by = check_by(by, BY, "stage")
    assert by is not None
    rows = ctx.repo.open_pipeline(ctx.filter, by, start=ctx.start, end=ctx.end, day=ctx.as_of.isoformat(),
                                  as_of=ctx.as_of_sql, stale_days=ctx.stale_days, upto=ctx.upto)
    if by == "stage":
        body = stage_rows(ctx, rows)
        several = len({r["pipeline"] for r in body}) > 1
        head = [col("stage", "stage", comfortable=STAGE_WIDTH), col("pipeline", "pipeline", in_table=several)]
        head.append(col("probability", "prob", "count", in_table=False))
    else:
        body = [{by: group_label(by, key, ctx), **_figures(ctx, grp)} for key, grp in grouped(rows).items()]
        body.sort(key=lambda r: (-r["amount"], r[by]))
        head = [col(by, by)]
    totals = _figures(ctx, rows)
    columns = head + [
        col("deals", "deals", "count"),
        col("amount", "amount", "money"),
        col("weighted", "weighted", "money"),
        col("closing", "closing", "money"),
        col("closing_deals", "closing deals", "count", in_table=False),
        col("avg_age_days", "age d", "days", drop=1),  # (on a narrow terminal before a stage's name is cut)
        col("stale", "stale", "count", drop=2),
        col("parked", "parked", "count", in_table=False),
        col("no_next_step", "no next step", "count", in_table=False),
        col("without_amount", "without amount", "count", in_table=False),
    ]
    label_key = head[0].key
    footer = {label_key: "Total", **totals}
    scope = ctx.scope_label()
    title = f"Pipeline by {by} — {ctx.as_of.isoformat()}" + (f" ({scope})" if scope else "")
    sections = [Section("rows", f"Open deals by {by} ({ctx.base}; closing = expected to close in "
                                f"{ctx.period.label})", columns, body, empty="no open deals", footer=footer)]
    sections.append(Section("not_converted", "Not in the totals (no exchange rate)",
                            [col("currency"), col("deals", "deals", "count"), col("amount", "amount", "exact_money")],
                            _not_converted(ctx, rows), hide_empty=True))
    report = Report(
        name="pipeline",
        title=title,
        meta=ctx.meta("pipeline", by),
        summary={**totals, "currency": ctx.base},
        figures=[
            Figure("deals", "open deals"), Figure("amount", f"amount ({ctx.base})", "money"),
            Figure("weighted", "weighted", "money"),
            Figure("closing", "closing (any date)" if ctx.period == ALL_TIME else f"closing in {ctx.period.label}",
                   "money"),
            Figure("avg_age_days", "average age (days)", "days"), Figure("stale", "stale"),
            Figure("parked", "parked"), Figure("no_next_step", "no next step"),
        ],
        sections=sections,
        charts=[Chart(f"Pipeline by {by} ({ctx.base})", ctx.base,
                      [(str(r[label_key]), float(r["amount"])) for r in body])],
        metrics={k: totals[k] for k in METRICS},
        csv_section="rows",
    )
    if totals["without_amount"]:
        n = totals["without_amount"]
        verbs = "has no amount and counts" if n == 1 else "have no amount and count"
        report.notes.append(f"{n:,} of the {totals['deals']:,} open deals {verbs} as 0 in the amounts")
    if ctx.historical:
        report.notes.append(f"as of {ctx.as_of.isoformat()} from the stage history: current amounts and close "
                            "dates; staleness is only known for today")
    return report.finish(ctx)


def _not_converted(ctx: ReportContext, rows: list[Row]) -> list[dict[str, Any]]:
    from salescli.values import minor_to_decimal

    out = []
    for cur in sorted({r["currency"] for r in rows}):
        if cur == ctx.base or cur in ctx.rates:
            continue
        mine = [r for r in rows if r["currency"] == cur]
        out.append({"currency": cur, "deals": sum(r["deals"] for r in mine),
                    "amount": minor_to_decimal(sum(r["amount"] for r in mine), cur)})
    return out
