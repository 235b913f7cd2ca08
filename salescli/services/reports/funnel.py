"""`report funnel`: stage-to-stage conversion of one pipeline, from the stage history.

For each stage: the deals that entered it in the period (first entry), their amount, and of those
the share that later entered a later open stage or a won stage (reaching Lost is not progress), by
count and by value; and the median days a deal stayed in the stage (stays that began in the period
and have ended). The pipeline is --pipeline, else the default one. --by adds each group's
conversion from the first stage to won, and its stage-by-stage rows (the CSV with --by).
"""

from __future__ import annotations

from typing import Any

from salescli.errors import NotFound
from salescli.render import Column
from salescli.repository.base import Row
from salescli.services.reports.common import (
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
    ratio,
    stage_lookup,
)

BY = ("owner", "team", "source", "segment")
METRICS = {"entered": "deals that entered the first stage", "won": "deals that reached a won stage",
           "conversion": "first stage to won, by count"}


def stage_rows(ctx: ReportContext, stages: list[Row], entries: list[Row], medians: list[Row]) -> list[dict[str, Any]]:
    """One row per stage from the funnel's entries and the stays' medians (of one group, or all)."""
    by_stage = grouped(entries, "stage_id")
    median_of = {r["stage_id"]: r for r in medians}
    rows: list[dict[str, Any]] = []
    for stage in stages:
        mine = by_stage.get(stage["id"], [])
        entered = sum(r["entered"] for r in mine)
        converted = sum(r["converted"] or 0 for r in mine)
        entered_amount = ctx.to_base(per_currency(mine, "entered_amount"))
        converted_amount = ctx.to_base(per_currency(mine, "converted_amount"))
        won_stage = stage["kind"] == "won"
        med = median_of.get(stage["id"])
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
    return rows


def overall(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """First stage entered, won, and the conversion between them (by count and by value)."""
    first = rows[0] if rows else None
    won_row = next((r for r in rows if r["kind"] == "won"), None)
    return {
        "entered": first["entered"] if first else 0,
        "entered_amount": first["entered_amount"] if first else 0,
        "won": won_row["entered"] if won_row else 0,
        "won_amount": won_row["entered_amount"] if won_row else 0,
        "conversion": ratio(won_row["entered"], first["entered"]) if first and won_row else None,
        "value_conversion": (ratio(won_row["entered_amount"], first["entered_amount"])
                             if first and won_row else None),
    }


def _group_sections(ctx: ReportContext, by: str, stages: list[Row], entries: list[Row],
                    columns: list[Column]) -> list[Section]:
    """--by: each group's overall conversion, then its stage-by-stage rows (groups with a deal that
    entered a stage of the pipeline in the period)."""
    medians = grouped(ctx.repo.stage_medians(ctx.filter, start=ctx.start, end=ctx.end, by=by))
    groups = []
    for key, mine in grouped(entries).items():
        rows = stage_rows(ctx, stages, mine, medians.get(key, []))
        groups.append((group_label(by, key, ctx), overall(rows), rows))
    groups.sort(key=lambda g: (-g[1]["entered"], -g[1]["won"], g[0]))
    first = stages[0]["name"] if stages else "the first stage"
    summary_rows = [{by: label, **figures} for label, figures, _ in groups]
    detail_rows = [{by: label, **row} for label, _, rows in groups for row in rows]
    return [
        Section(f"by_{by}", f"Conversion by {by}: entered {first} → reached won", [
            col(by), col("entered", "entered", "count"), col("entered_amount", "amount", "money"),
            col("won", "won", "count"), col("won_amount", "won amount", "money"),
            col("conversion", "conv %", "rate"), col("value_conversion", "value %", "rate")],
            summary_rows, empty="no deal entered a stage in the period", table_limit=None),
        Section(f"stages_by_{by}", f"Stage conversion by {by}", [col(by), *columns], detail_rows,
                empty="no deal entered a stage in the period", table_limit=None),
    ]


def build(ctx: ReportContext, by: str | None = None) -> Report:
    chosen = check_by(by, BY, None)
    repo = ctx.repo
    pipeline_id = ctx.filter.pipeline_id
    if pipeline_id is None:
        default = repo.default_pipeline()
        if default is None:
            raise NotFound("there is no pipeline")
        pipeline_id = int(default["id"])
    stages = [s for s in stage_lookup(ctx).values() if s["pipeline_id"] == pipeline_id and s["kind"] != "lost"]
    # per group when --by: the stage rows add the groups up
    entries = repo.funnel(ctx.filter, pipeline_id, start=ctx.start, end=ctx.end, by=chosen or "all")
    rows = stage_rows(ctx, stages, entries, repo.stage_medians(ctx.filter, start=ctx.start, end=ctx.end))
    totals = overall(rows)
    summary = {"pipeline": repo.pipeline_names().get(pipeline_id),
               **{k: totals[k] for k in ("entered", "won", "conversion")}}
    columns = [
        col("stage"), col("kind", in_table=False), col("entered", "entered", "count"),
        col("entered_amount", "amount", "money"), col("converted", "moved on", "count"),
        col("conversion", "conv %", "rate"), col("converted_amount", "converted amount", "money", in_table=False),
        col("value_conversion", "value %", "rate"), col("median_days", "median d", "days"),
        col("stays", "stays", "count", in_table=False),
    ]
    sections = [Section("stages", f"Stage conversion (deals entering each stage in {ctx.period.label})",
                        columns, rows)]
    if chosen:
        sections = [*_group_sections(ctx, chosen, stages, entries, columns), *sections]
    report = Report(
        name="funnel",
        title=f"Funnel {summary['pipeline']} {ctx.period.label}" + (f" ({ctx.scope_label()})"
                                                                  if ctx.scope_label() else ""),
        meta=ctx.meta("funnel", chosen),
        summary={**summary, "currency": ctx.base},
        figures=[Figure("entered", f"entered {rows[0]['stage'] if rows else 'first stage'}"),
                 Figure("won", "reached won"), Figure("conversion", "overall conversion", "rate")],
        sections=sections,
        charts=[Chart("Funnel: deals entering each stage", "deals",
                      [(r["stage"], float(r["entered"])) for r in rows], kind="count")],
        metrics={k: summary[k] for k in METRICS},
        csv_section=f"stages_by_{chosen}" if chosen else "stages",
    )
    return report.finish(ctx)
