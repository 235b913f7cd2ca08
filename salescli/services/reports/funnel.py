"""`report funnel`: stage-to-stage conversion of one pipeline, from the stage history.

For each stage: the deals that entered it in the period (first entry), their amount, and of those
the share that later entered a later open stage or a won stage (reaching Lost is not progress), by
count and by value; and the median days a deal stayed in the stage (stays that began in the period
and have ended). A deal back in a stage it was in before the period, or moved back from a later open
stage, is not a new entry. The pipeline
is --pipeline, else the default one (filters.pipeline names it; a note names the other pipelines
holding deals, which it leaves out). --by adds, per group, the deals that entered the first stage in
the period and how many of them have been won since (a cohort, as the summary's conversion), and
the group's rows of the stages its deals entered (the CSV with --by).
"""

from __future__ import annotations

from typing import Any

from salescli.errors import NotFound
from salescli.render import Column
from salescli.repository.base import Row
from salescli.services.reports.common import (
    ALL_TIME,
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
BY_HINTS = {"pipeline": "a funnel is of one pipeline's stages: --pipeline NAME picks it"}
METRICS = {"entered": "deals that entered the first stage", "won": "deals that reached a won stage",
           "won_since": "of the deals entering the first stage, those won since",
           "conversion": "won since / entered the first stage (a share of the same deals)",
           "flow_conversion": "won / entered the first stage in the period (different deals)"}


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


def overall(rows: list[dict[str, Any]], cohort_figures: dict[str, Any]) -> dict[str, Any]:
    """The summary: deals entering the first stage and a won stage in the period; of the first, those won
    since and their share (the conversion, at most 100%); and the flow ratio won / entered, which
    compares different deals (over 100% when more deals were won than entered the first stage)."""
    first = rows[0] if rows else None
    won_row = next((r for r in rows if r["kind"] == "won"), None)
    return {
        "entered": first["entered"] if first else 0,
        "won": won_row["entered"] if won_row else 0,
        "won_since": cohort_figures["reached_won"],
        "conversion": cohort_figures["conversion"],
        "flow_conversion": ratio(won_row["entered"], first["entered"]) if first and won_row else None,
    }


def cohort(ctx: ReportContext, first: Row | None, entries: list[Row]) -> dict[str, Any]:
    """Of the deals that entered the first stage in the period, how many (and how much) have reached a
    won stage since: a share of the same deals, at most 100%."""
    mine = [r for r in entries if first is not None and r["stage_id"] == first["id"]]
    entered, won = sum(r["entered"] for r in mine), sum(r["won_later"] or 0 for r in mine)
    entered_amount = ctx.to_base(per_currency(mine, "entered_amount"))
    won_amount = ctx.to_base(per_currency(mine, "won_later_amount"))
    return {"entered": entered, "entered_amount": entered_amount, "reached_won": won,
            "reached_won_amount": won_amount, "conversion": ratio(won, entered),
            "value_conversion": ratio(won_amount, entered_amount)}


def _group_sections(ctx: ReportContext, by: str, stages: list[Row], entries: list[Row],
                    columns: list[Column], total: dict[str, Any]) -> list[Section]:
    """--by: each group's cohort conversion from the first stage to won (with the pipeline's, total,
    as the footer), then its rows of the stages its deals entered."""
    medians = grouped(ctx.repo.stage_medians(ctx.filter, start=ctx.start, end=ctx.events_end, upto=ctx.upto,
                                             by=by))
    first = stages[0] if stages else None
    groups = []
    for key, mine in grouped(entries).items():
        rows = [r for r in stage_rows(ctx, stages, mine, medians.get(key, [])) if r["entered"]]
        groups.append((group_label(by, key, ctx), cohort(ctx, first, mine), rows))
    groups.sort(key=lambda g: (-g[1]["entered"], -g[1]["reached_won"], g[0]))
    summary_rows = [{by: label, **figures} for label, figures, _ in groups]
    detail_rows = [{by: label, **row} for label, _, rows in groups for row in rows]
    name = first["name"] if first else "the first stage"
    empty = "no deal entered a stage in the period"
    return [
        Section(f"by_{by}", f"By {by}: of the deals entering {name}, those won since", [
            col(by), col("entered", "entered", "count"), col("entered_amount", "amount", "money"),
            col("reached_won", "won", "count"), col("reached_won_amount", "won amount", "money"),
            col("conversion", "conv %", "rate"), col("value_conversion", "value %", "rate")],
            summary_rows, empty=empty, limited=False, footer={by: "Total", **total}),
        Section(f"stages_by_{by}", f"Stage conversion by {by}", [col(by), *columns], detail_rows,
                empty=empty, limited=False),
    ]


def build(ctx: ReportContext, by: str | None = None) -> Report:
    chosen = check_by(by, BY, None, BY_HINTS)
    repo = ctx.repo
    pipeline_id = ctx.filter.pipeline_id
    notes: list[str] = []
    if pipeline_id is None:
        default = repo.default_pipeline()
        if default is None:
            raise NotFound("there is no pipeline")
        pipeline_id = int(default["id"])
        # a funnel is of one pipeline's stages: say which others it left out
        others = [name for name in repo.pipelines_holding_deals(ctx.filter) if name != default["name"]]
        if others:
            one = len(others) == 1
            named = others[0] if one else f"{', '.join(others[:-1])} and {others[-1]}"
            notes.append(f"the funnel of pipeline {default['name']} only: {named} {'holds' if one else 'hold'}"
                         f" deals too (--pipeline NAME reports {'it' if one else 'them'})")
    stages = [s for s in stage_lookup(ctx).values() if s["pipeline_id"] == pipeline_id and s["kind"] != "lost"]
    # per group when --by: the stage rows add the groups up
    entries = repo.funnel(ctx.filter, pipeline_id, start=ctx.start, end=ctx.events_end, upto=ctx.upto,
                          by=chosen or "all", first_stage=stages[0]["id"] if stages else None)
    rows = stage_rows(ctx, stages, entries, repo.stage_medians(ctx.filter, start=ctx.start, end=ctx.events_end,
                                                               upto=ctx.upto))
    the_cohort = cohort(ctx, stages[0] if stages else None, entries)
    summary = {"pipeline": repo.pipeline_names().get(pipeline_id), **overall(rows, the_cohort), "cohort": the_cohort}
    columns = [
        col("stage"), col("kind", in_table=False), col("entered", "entered", "count"),
        col("entered_amount", "amount", "money"), col("converted", "moved on", "count"),
        col("conversion", "conv %", "rate"), col("converted_amount", "converted amount", "money", in_table=False),
        col("value_conversion", "value %", "rate"), col("median_days", "median d", "days"),
        col("stays", "stays", "count", in_table=False),
    ]
    during = "" if ctx.period == ALL_TIME else f" in {ctx.period.label}"
    sections = [Section("stages", f"Stage conversion (deals entering each stage{during})", columns, rows)]
    if chosen:  # the summary's cohort is the groups' Total row
        sections = [*_group_sections(ctx, chosen, stages, entries, columns, the_cohort), *sections]
    meta = ctx.meta("funnel", chosen)
    meta["filters"]["pipeline"] = summary["pipeline"]  # the pipeline reported, the default one included
    report = Report(
        name="funnel",
        title=f"Funnel {summary['pipeline']} {ctx.period.label}" + (f" ({ctx.scope_label()})"
                                                                  if ctx.scope_label() else ""),
        meta=meta,
        summary={**summary, "currency": ctx.base},
        figures=[Figure("entered", f"entered {rows[0]['stage'] if rows else 'first stage'}"),
                 Figure("won_since", "of them won since"), Figure("conversion", "conversion", "rate"),
                 Figure("won", "won in the period")],
        sections=sections,
        charts=[Chart("Funnel: deals entering each stage", "deals",
                      [(r["stage"], float(r["entered"])) for r in rows], kind="count")],
        metrics={k: summary[k] for k in METRICS},
        csv_section=f"stages_by_{chosen}" if chosen else "stages",
        notes=notes,
    )
    return report.finish(ctx)
