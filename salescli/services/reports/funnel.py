"""`report funnel`: stage-to-stage conversion of one pipeline, from the stage history.

For each stage: the deals that entered it in the period (first entry), their amount, and of those
the share that later entered a later open stage or a won stage (reaching Lost is not progress), by
count and by value; and the median days a deal stayed in the stage (stays that began in the period
and have ended). The pipeline is --pipeline, else the default one.
"""

from __future__ import annotations

from typing import Any

from salescli.errors import NotFound
from salescli.services.reports.common import (
    Chart,
    Figure,
    Report,
    ReportContext,
    Section,
    col,
    days,
    grouped,
    per_currency,
    ratio,
    stage_lookup,
)

METRICS = {"entered": "deals that entered the first stage", "won": "deals that reached a won stage",
           "conversion": "first stage to won, by count"}


def build(ctx: ReportContext) -> Report:
    repo = ctx.repo
    pipeline_id = ctx.filter.pipeline_id
    if pipeline_id is None:
        default = repo.default_pipeline()
        if default is None:
            raise NotFound("there is no pipeline")
        pipeline_id = int(default["id"])
    stages = [s for s in stage_lookup(ctx).values() if s["pipeline_id"] == pipeline_id and s["kind"] != "lost"]
    entries = grouped(repo.funnel(ctx.filter, pipeline_id, start=ctx.start, end=ctx.end), "stage_id")
    medians = {r["stage_id"]: r for r in repo.stage_medians(ctx.filter, start=ctx.start, end=ctx.end)}
    rows: list[dict[str, Any]] = []
    for stage in stages:
        mine = entries.get(stage["id"], [])
        entered = sum(r["entered"] for r in mine)
        converted = sum(r["converted"] or 0 for r in mine)
        entered_amount = ctx.to_base(per_currency(mine, "entered_amount"))
        converted_amount = ctx.to_base(per_currency(mine, "converted_amount"))
        won_stage = stage["kind"] == "won"
        med = medians.get(stage["id"])
        rows.append({
            "stage": stage["name"],
            "kind": stage["kind"],
            "entered": entered,
            "entered_amount": entered_amount,
            "converted": None if won_stage else converted,
            "conversion": None if won_stage else ratio(converted, entered),
            "converted_amount": None if won_stage else converted_amount,
            "value_conversion": None if won_stage else ratio(converted_amount, entered_amount),
            "median_days": None if won_stage or med is None else days(med["median"]),
            "stays": 0 if won_stage or med is None else med["stays"],
        })
    first = rows[0] if rows else None
    won_row = next((r for r in rows if r["kind"] == "won"), None)
    summary = {
        "pipeline": repo.pipeline_names().get(pipeline_id),
        "entered": first["entered"] if first else 0,
        "won": won_row["entered"] if won_row else 0,
        "conversion": ratio(won_row["entered"], first["entered"]) if first and won_row else None,
    }
    columns = [
        col("stage"), col("kind", in_table=False), col("entered", "entered", "count"),
        col("entered_amount", "amount", "money"), col("converted", "moved on", "count"),
        col("conversion", "conv %", "rate"), col("converted_amount", "converted amount", "money", in_table=False),
        col("value_conversion", "value %", "rate"), col("median_days", "median d", "days"),
        col("stays", "stays", "count", in_table=False),
    ]
    report = Report(
        name="funnel",
        title=f"Funnel {summary['pipeline']} {ctx.period.label}" + (f" ({ctx.scope_label()})"
                                                                  if ctx.scope_label() else ""),
        meta=ctx.meta("funnel", None),
        summary={**summary, "currency": ctx.base},
        figures=[Figure("entered", f"entered {rows[0]['stage'] if rows else 'first stage'}"),
                 Figure("won", "reached won"), Figure("conversion", "overall conversion", "rate")],
        sections=[Section("stages", f"Stage conversion (deals entering each stage in {ctx.period.label})",
                          columns, rows)],
        charts=[Chart("Funnel: deals entering each stage", "deals",
                      [(r["stage"], float(r["entered"])) for r in rows], kind="count")],
        metrics={k: summary[k] for k in METRICS},
        csv_section="stages",
    )
    return report.finish(ctx)
